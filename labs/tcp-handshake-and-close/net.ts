// The TCP labs' network: pairs of virtual hosts (a client and a server) on one LabNet link each, with
// fixed MACs, addresses and ephemeral ports, seeded randomness (so ISNs and captures repeat), ARP
// already done; the TCP segments among a LabNet's frames, with sequence and ACK numbers relative to
// each side's ISN as Wireshark shows them; and a "slow path" that keeps a copy of chosen frames to
// deliver them again later (an old duplicate, as a congested or rerouted path delivers one).

import { seededRandom } from '../../src/base/index.ts';
import { Host } from '../../src/netsim/index.ts';
import type { LabNet, WireFrame } from '../../src/netsim/index.ts';
import type { FramePort } from '../../src/netsim/index.ts';
import type { TcpSettings } from '../../src/netsim/tcp/index.ts';
import { tcpSegments, flagNames } from '../../src/lab/index.ts';
import type { ImpairmentOptions } from '../../src/netsim/index.ts';
import { impair } from '../../src/netsim/index.ts';

export interface TcpPair {
  readonly client: Host;
  readonly server: Host;
  readonly clientAddr: string;
  readonly serverAddr: string;
  readonly link: string;
  /** Frames the client sends pass here first (kept or impaired). */
  readonly clientPort: FramePort;
  readonly serverPort: FramePort;
  readonly slow: { client: SlowPath; server: SlowPath };
}

export interface PairOptions {
  /** Link name, and the third octet of 10.0.N.0/24. */
  readonly link: string;
  readonly subnet: number;
  readonly client?: TcpSettings;
  readonly server?: TcpSettings;
  /** Impairments on what the client sends, and on what the server sends (seeded). */
  readonly impairClient?: ImpairmentOptions;
  readonly impairServer?: ImpairmentOptions;
  readonly firstEphemeralPort?: number;
}

/**
 * A port that keeps a copy of the frames `keep` picks (and sends them on), and holds back the frames
 * `hold` picks (sent only by `release()`: late, out of order, or never: lost); `drop` loses frames.
 */
export interface SlowPath extends FramePort {
  keep: ((frame: Uint8Array) => boolean) | undefined;
  hold: ((frame: Uint8Array) => boolean) | undefined;
  drop: ((frame: Uint8Array) => boolean) | undefined;
  readonly held: Uint8Array[];
  /** Sends the copies kept (and forgets them); how many. */
  release(): number;
}

function slowPath(inner: FramePort): SlowPath {
  const held: Uint8Array[] = [];
  const p: SlowPath = {
    name: inner.name,
    keep: undefined,
    hold: undefined,
    drop: undefined,
    held,
    send(frame) {
      if (p.drop?.(frame) === true) return;
      if (p.hold?.(frame) === true) {
        held.push(frame.slice());
        return;
      }
      if (p.keep?.(frame) === true) {
        held.push(frame.slice());
        p.keep = undefined;
      }
      inner.send(frame);
    },
    onFrame: (h) => inner.onFrame(h),
    close: () => inner.close(),
    release() {
      const n = held.length;
      for (const f of held.splice(0)) inner.send(f);
      return n;
    },
  };
  return p;
}

/** A client 10.0.N.1 and a server 10.0.N.2 on a link of `net`; resolves once ARP is done both ways. */
export async function tcpPair(net: LabNet, o: PairOptions): Promise<TcpPair> {
  const clientAddr = `10.0.${o.subnet}.1`;
  const serverAddr = `10.0.${o.subnet}.2`;
  const [a, b] = net.link(o.link, 'client-eth0', 'server-eth0');
  const sa = slowPath(a);
  const sb = slowPath(b);
  const pa: FramePort = o.impairClient === undefined ? sa : impair(sa, o.impairClient, net.clock);
  const pb: FramePort = o.impairServer === undefined ? sb : impair(sb, o.impairServer, net.clock);
  const hex = o.subnet.toString(16).padStart(2, '0');
  const client = net.node(
    new Host({ name: 'client', clock: net.clock, random: seededRandom(`${o.link}-client`), firstEphemeralPort: o.firstEphemeralPort ?? 40000, tcp: o.client }),
  );
  const server = net.node(new Host({ name: 'server', clock: net.clock, random: seededRandom(`${o.link}-server`), tcp: o.server }));
  client.addInterface({ name: 'eth0', port: pa, mac: `02:00:00:${hex}:00:01`, address: `${clientAddr}/24`, announce: false });
  server.addInterface({ name: 'eth0', port: pb, mac: `02:00:00:${hex}:00:02`, address: `${serverAddr}/24`, announce: false });
  // ARP both ways before the lab records anything (the ping is not in any capture).
  await net.run(client.ping(serverAddr, { count: 1, timeoutMs: 1000 }));
  return { client, server, clientAddr, serverAddr, link: o.link, clientPort: pa, serverPort: pb, slow: { client: sa, server: sb } };
}

/** A TCP segment as the TCP labs read it: who sent it, relative numbers, flags as Wireshark names them. */
export interface SegView {
  readonly index: number;
  readonly atMs: number;
  readonly from: 'client' | 'server';
  readonly flags: string;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly ackFlag: boolean;
  readonly seq: number;
  readonly ack: number;
  readonly rawSeq: number;
  readonly rawAck: number;
  readonly len: number;
  readonly win: number;
  readonly hdrLen: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly options: readonly { type: string; offset: number; length: number }[];
  readonly frame: Uint8Array;
}

/**
 * The TCP segments among `frames`, numbered relative to `isn` (each side's ISN; a side missing from
 * it gets its first SYN's seq, or raw numbers).
 */
export function segViews(net: LabNet, frames: readonly WireFrame[], clientAddr: string, isn: { client?: number; server?: number } = {}): SegView[] {
  const out: SegView[] = [];
  const base = { ...isn };
  for (const f of frames) {
    const [s] = tcpSegments([{ ...net.timestamp(f.atMs), data: f.frame }]);
    if (s === undefined) continue;
    const from = s.src.startsWith(`${clientAddr}:`) ? 'client' : 'server';
    const to = from === 'client' ? 'server' : 'client';
    if (s.tcp.flags.syn && base[from] === undefined) base[from] = s.tcp.seq;
    const mine = base[from] ?? 0;
    const theirs = base[to] ?? 0;
    out.push({
      index: f.index,
      atMs: f.atMs,
      from,
      flags: flagNames(s.tcp.flags),
      syn: s.tcp.flags.syn,
      fin: s.tcp.flags.fin,
      rst: s.tcp.flags.rst,
      ackFlag: s.tcp.flags.ack,
      seq: (s.tcp.seq - mine) >>> 0,
      ack: s.tcp.flags.ack ? (s.tcp.ack - theirs) >>> 0 : 0,
      rawSeq: s.tcp.seq,
      rawAck: s.tcp.ack,
      len: s.length,
      win: s.tcp.window,
      hdrLen: s.tcp.headerLength,
      srcPort: s.tcp.srcPort,
      dstPort: s.tcp.dstPort,
      options: s.tcp.options.map((o) => ({ type: o.type, offset: o.offset, length: o.length })),
      frame: f.frame,
    });
  }
  return out;
}

/** One line per segment: `12.500 ms client [SYN] seq=0 ack=0 len=0`. */
export function segLine(s: SegView): string {
  return `${s.atMs.toFixed(3).padStart(9)} ms ${s.from.padEnd(6)} [${s.flags}] seq=${s.seq}${s.ackFlag ? ` ack=${s.ack}` : ''} len=${s.len} win=${s.win}`;
}

/** Bytes of `text` repeated to `n` bytes. */
export function filler(text: string, n: number): Buffer {
  const one = Buffer.from(text);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = one[i % one.length];
  return out;
}

/** The TCP segment in one frame: seq, ack, payload length and flags (undefined when not TCP). */
export function tcpOf(frame: Uint8Array): { seq: number; ack: number; len: number; syn: boolean; fin: boolean; ackFlag: boolean; srcPort: number } | undefined {
  const [s] = tcpSegments([{ sec: 0, nsec: 0, data: frame }]);
  if (s === undefined) return undefined;
  return { seq: s.tcp.seq, ack: s.tcp.ack, len: s.length, syn: s.tcp.flags.syn, fin: s.tcp.flags.fin, ackFlag: s.tcp.flags.ack, srcPort: s.tcp.srcPort };
}
