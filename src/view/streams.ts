// The view's per-frame flow index and TCP "Follow stream".
//
// FlowIndex dissects the capture once, in order, with its own DissectState (so `tcp.stream` numbers
// are exactly those of `netlab decode`), and keeps for each frame only what following a stream and
// drawing a sequence diagram need: the TCP stream index, the ports, the raw sequence number, the
// flags and where the TCP payload lies in the frame. It grows with the capture while it loads.
//
// followTcp() puts a stream's payload back in order per direction as Wireshark's Follow TCP Stream
// does: each direction starts at its SYN's sequence number + 1 (or at the first segment seen), bytes
// already delivered (a retransmission, or the overlapping head of a segment) are skipped, and a
// segment that starts beyond the next expected byte is held until the hole before it is filled.
// Segments still held at the end (a hole never filled) are not shown, as in Wireshark.

import type { CapturedPacket } from '../capture/types.ts';
import { DissectState, FieldSelection } from '../dissect/context.ts';
import { dissect } from '../dissect/dissect.ts';
import type { Dissection } from '../dissect/dissection.ts';
import type { Field } from '../dissect/field.ts';

const SYN = 0x002;

/** What the index keeps of one frame. */
export interface FlowFrame {
  /** `tcp.stream`, or -1 when the frame carries no TCP segment of a stream. */
  stream: number;
  /** Transport ports (TCP or UDP), or -1. */
  srcPort: number;
  dstPort: number;
  /** Network addresses as the summary columns show them ('' when none). */
  src: string;
  dst: string;
  /** TCP only: the raw sequence number, the flags (9 bits) and the payload's place in the frame. */
  seq: number;
  flags: number;
  payloadOffset: number;
  payloadLength: number;
}

const NONE: FlowFrame = { stream: -1, srcPort: -1, dstPort: -1, src: '', dst: '', seq: 0, flags: 0, payloadOffset: 0, payloadLength: 0 };

function uintOf(fields: readonly Field[], name: string): number {
  const f = fields.find((x) => x.name === name);
  return f !== undefined && typeof f.value === 'number' ? f.value : -1;
}

/** The flow facts of one dissected frame (the outermost transport layer; ICMP-quoted ones are not). */
export function flowFrameOf(d: Dissection): FlowFrame {
  const top = (i: number): boolean => (d.parents?.[i] ?? -1) === -1;
  const ti = d.protos.findIndex((p, i) => (p.proto === 'tcp' || p.proto === 'udp') && top(i));
  if (ti < 0) return { ...NONE, src: d.columns.src, dst: d.columns.dst };
  const node = d.protos[ti];
  const proto = node.proto;
  const out: FlowFrame = {
    ...NONE,
    src: d.columns.src,
    dst: d.columns.dst,
    srcPort: uintOf(node.fields, `${proto}.srcport`),
    dstPort: uintOf(node.fields, `${proto}.dstport`),
  };
  if (proto !== 'tcp') return out;
  const stream = uintOf(node.fields, 'tcp.stream');
  const len = uintOf(node.fields, 'tcp.len');
  const b = d.packet.data;
  const off = node.offset;
  if (stream < 0 || off + 20 > b.length) return out;
  out.stream = stream;
  out.seq = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  out.flags = ((b[off + 12] & 1) << 8) | b[off + 13];
  const start = off + (b[off + 12] >> 4) * 4;
  // Payload bytes the frame holds (a snapped frame keeps fewer than tcp.len says).
  out.payloadOffset = start;
  out.payloadLength = Math.max(0, Math.min(Math.max(len, 0), b.length - start));
  return out;
}

/** The flow index of a capture's frames (frame n at index n - 1), filled in order as frames arrive. */
export class FlowIndex {
  private readonly state = new DissectState(
    undefined,
    new FieldSelection(['tcp.stream', 'tcp.len', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport']),
  );
  private readonly frames: FlowFrame[] = [];
  /** Frame indexes of each TCP stream, in capture order. */
  private readonly streams: number[][] = [];

  /** Frames indexed so far. */
  get length(): number {
    return this.frames.length;
  }

  /** Number of TCP streams seen so far. */
  get streamCount(): number {
    return this.streams.length;
  }

  /** Indexes every frame of `packets` not indexed yet (they must be the same capture, in order). */
  update(packets: readonly CapturedPacket[]): void {
    for (let i = this.frames.length; i < packets.length; i++) {
      let f: FlowFrame;
      try {
        f = flowFrameOf(dissect(packets[i], this.state));
      } catch {
        f = NONE; // shown on its row as not dissected
      }
      this.frames.push(f);
      if (f.stream >= 0) {
        while (this.streams.length <= f.stream) this.streams.push([]);
        this.streams[f.stream].push(i);
      }
    }
  }

  /** Frame `no` (1-based), or undefined. */
  frame(no: number): FlowFrame | undefined {
    return this.frames[no - 1];
  }

  /** The frame indexes (0-based) of a TCP stream, or undefined when there is no such stream. */
  streamFrames(stream: number): readonly number[] | undefined {
    return this.streams[stream];
  }
}

/** One run of bytes of a followed stream: who sent it (0 client, 1 server), in which frame. */
export interface StreamChunk {
  dir: 0 | 1;
  frame: number;
  data: Uint8Array;
}

export interface FollowedStream {
  stream: number;
  /** The endpoints, `address:port` (IPv6 in brackets); the client sent the stream's first frame. */
  client: string;
  server: string;
  chunks: StreamChunk[];
  /** Bytes per direction after reassembly: [client, server]. */
  bytes: [number, number];
  /** Segments dropped as already seen (retransmissions) and segments held for a hole never filled. */
  retransmitted: number;
  unfilled: number;
  /** Frames of the stream, in order. */
  frames: number[];
}

const after = (a: number, b: number): boolean => ((a - b) | 0) > 0;

export function endpointText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

interface DirState {
  next: number | undefined;
  held: { seq: number; data: Uint8Array; frame: number }[];
}

/** Puts a TCP stream's payload back in order, per direction (see the top of the file). */
export function followTcp(index: FlowIndex, packets: readonly CapturedPacket[], stream: number): FollowedStream | undefined {
  const list = index.streamFrames(stream);
  if (list === undefined || list.length === 0) return undefined;
  const first = index.frame(list[0] + 1) as FlowFrame;
  const clientKey = `${first.src}\u0000${first.srcPort}`;
  const out: FollowedStream = {
    stream,
    client: endpointText(first.src, first.srcPort),
    server: endpointText(first.dst, first.dstPort),
    chunks: [],
    bytes: [0, 0],
    retransmitted: 0,
    unfilled: 0,
    frames: list.map((i) => i + 1),
  };
  const dirs: [DirState, DirState] = [
    { next: undefined, held: [] },
    { next: undefined, held: [] },
  ];
  const emit = (dir: 0 | 1, frame: number, data: Uint8Array): void => {
    if (data.length === 0) return;
    out.chunks.push({ dir, frame, data });
    out.bytes[dir] += data.length;
  };
  /** Delivers a segment that starts at or before the next expected byte; false when all of it was seen. */
  const deliver = (dir: 0 | 1, st: DirState, seq: number, data: Uint8Array, frame: number): boolean => {
    const next = st.next as number;
    const skip = (next - seq) >>> 0;
    if (skip >= data.length) return false;
    emit(dir, frame, data.subarray(skip));
    st.next = (seq + data.length) >>> 0;
    return true;
  };
  for (const i of list) {
    const f = index.frame(i + 1) as FlowFrame;
    const dir: 0 | 1 = `${f.src}\u0000${f.srcPort}` === clientKey ? 0 : 1;
    const st = dirs[dir];
    let seq = f.seq;
    if (f.flags & SYN) {
      seq = (seq + 1) >>> 0;
      // A SYN (again, with another initial number) sets where the direction's bytes start.
      if (st.next === undefined || out.bytes[dir] === 0) st.next = seq;
    }
    if (st.next === undefined) st.next = seq;
    if (f.payloadLength === 0) continue;
    const p = packets[i].data;
    const data = p.subarray(f.payloadOffset, f.payloadOffset + f.payloadLength);
    if (after(seq, st.next)) {
      if (!st.held.some((h) => h.seq === seq && h.data.length >= data.length)) st.held.push({ seq, data, frame: i + 1 });
      continue;
    }
    if (!deliver(dir, st, seq, data, i + 1)) {
      out.retransmitted++;
      continue;
    }
    // Held segments the new bytes reached, in sequence order.
    for (;;) {
      const next = st.next as number;
      const ready = st.held.filter((h) => !after(h.seq, next)).sort((a, b) => (a.seq - b.seq) | 0 || b.data.length - a.data.length);
      if (ready.length === 0) break;
      const h = ready[0];
      st.held.splice(st.held.indexOf(h), 1);
      if (!deliver(dir, st, h.seq, h.data, h.frame)) out.retransmitted++;
    }
  }
  out.unfilled = dirs[0].held.length + dirs[1].held.length;
  return out;
}
