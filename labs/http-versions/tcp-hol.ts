// TCP's own head-of-line blocking, on netlab's userspace TCP in the virtual network (simulated time,
// so every run gives the same numbers). A server sends three responses (streams 1, 3, 5), each six
// HTTP/2 DATA frames of 1000 bytes (a 9-byte frame header each: length, type 0, flags, stream id),
// in turn: 1, 3, 5, 1, 3, 5, ... Either all on one TCP connection (what HTTP/2 does) or each on a
// connection of its own (what three HTTP/1.1 connections do). The link loses the first copy of the
// segment that carries stream 1's second frame. The client reads what its TCP hands it (in order
// only) and notes when each stream's last byte arrived.

import { LabNet } from '../../src/netsim/index.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import type { Timestamp } from '../../src/lab/index.ts';
import type { FrameSink } from '../../src/netsim/index.ts';
import { tcpOf, tcpPair } from '../tcp-handshake-and-close/net.ts';

export const STREAMS = [1, 3, 5] as const;
export const FRAMES_PER_STREAM = 6;
export const FRAME_BYTES = 1000;
/** One-way delay of the virtual link (so one round trip is 20 ms). */
export const LINK_DELAY_MS = 10;
/** The frame whose segment the link loses (stream 1, its second frame). */
export const LOST = { stream: 1, part: 2 } as const;

export type HolMode = 'one connection' | 'three connections';

export interface HolResult {
  readonly mode: HolMode;
  readonly lose: boolean;
  /** Stream id -> ms from the first byte sent until the client's application had the stream's last byte. */
  readonly doneMs: Record<number, number>;
  /** Segments the server retransmitted (all connections). */
  readonly retransmits: number;
  /** Segments the client's TCP held out of order (all connections). */
  readonly outOfOrder: number;
  /** Frames lost on purpose (1 with loss). */
  readonly dropped: number;
}

const marker = (stream: number, part: number): string => `[stream ${stream} part ${part}]`;

/** One DATA frame: header (length 24 bits, type 0, flags: END_STREAM on the last, stream id), payload. */
export function dataFrame(stream: number, part: number): Buffer {
  const payload = Buffer.alloc(FRAME_BYTES, marker(stream, part));
  const head = Buffer.alloc(9);
  head.writeUIntBE(FRAME_BYTES, 0, 3);
  head[3] = 0; // DATA
  head[4] = part === FRAMES_PER_STREAM ? 0x1 : 0; // END_STREAM
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** Reads DATA frames out of one in-order byte stream; calls `onEnd(stream)` at each END_STREAM. */
function frameReader(onEnd: (stream: number) => void): (bytes: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (bytes) => {
    buf = Buffer.concat([buf, bytes]);
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      if (((buf[4] ?? 0) & 0x1) !== 0) onEnd(buf.readUInt32BE(5) & 0x7fffffff);
      buf = buf.subarray(9 + len);
    }
  };
}

/** Runs one case in a network of its own; `record` gets its frames (the capture). */
export async function runHol(mode: HolMode, lose: boolean, start: Timestamp, record?: FrameSink): Promise<HolResult> {
  const net = new LabNet({ start, delayMs: LINK_DELAY_MS });
  try {
    const tcp = { rto: { minMs: 200 }, timestamps: false, noDelay: true };
    const pair = await tcpPair(net, { link: 'hol', subnet: 18, client: tcp, server: tcp });
    if (record !== undefined) net.record(record);
    const n = mode === 'one connection' ? 1 : STREAMS.length;
    const accepted: VirtualTcpSocket[] = [];
    pair.server.tcp.listen(80, (s) => {
      accepted.push(s);
    });
    const clients = Array.from({ length: n }, () => pair.client.tcp.connect({ host: pair.serverAddr, port: 80, noDelay: true }));
    await net.runUntil(() => accepted.length === n && clients.every((c) => c.state === 'ESTABLISHED'), 5000, 'the connections did not open');
    // Connections are accepted in the order they were opened: client i <-> accepted[i].
    const doneAt: Record<number, number> = {};
    for (const [i, c] of clients.entries()) {
      const read = frameReader((stream) => {
        doneAt[stream] = net.clock.now();
      });
      c.on('data', (b: Buffer) => read(b));
      void i;
    }
    let dropped = 0;
    const lostMark = Buffer.from(marker(LOST.stream, LOST.part));
    if (lose) {
      pair.slow.server.drop = (f) => {
        const t = tcpOf(f);
        if (dropped > 0 || t === undefined || t.len === 0) return false;
        if (Buffer.from(f).indexOf(lostMark) < 0) return false;
        dropped++;
        return true;
      };
    }
    const t0 = net.clock.now();
    for (let part = 1; part <= FRAMES_PER_STREAM; part++)
      for (const [k, stream] of STREAMS.entries()) {
        const sock = accepted[mode === 'one connection' ? 0 : k];
        sock?.write(dataFrame(stream, part));
      }
    await net.runUntil(() => STREAMS.every((s) => doneAt[s] !== undefined), 10_000, 'the streams did not all arrive');
    pair.slow.server.drop = undefined;
    await net.wait(50);
    net.stopRecording();
    const doneMs: Record<number, number> = {};
    for (const s of STREAMS) doneMs[s] = (doneAt[s] ?? Number.NaN) - t0;
    return {
      mode,
      lose,
      doneMs,
      retransmits: accepted.reduce((a, s) => a + s.info().counters.retransmits, 0),
      outOfOrder: clients.reduce((a, s) => a + s.info().counters.outOfOrderSegments, 0),
      dropped,
    };
  } finally {
    net.stopRecording();
    await net.close();
  }
}
