// A TCP conversation drawn as a sequence diagram, from the frames of a capture (a socket tap's
// `frames`, or crafted ones): flags as Wireshark names them, relative sequence and ACK numbers
// (each side's SYN is 0), payload length, the MSS on SYNs, and the time since the first frame.
//
//   ctx.show.sequence(tcpFlowDiagram(tap.frames));

import { formatIpv4, formatIpv6 } from '../dissect/field.ts';
import { decode, nearestLayer } from '../wire/decode.ts';
import type { Ipv4 } from '../wire/ipv4.ts';
import type { Ipv6 } from '../wire/ipv6.ts';
import type { Tcp } from '../wire/tcp.ts';
import type { SequenceMessage, SequenceSpec } from './sequence.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface FlowFrame {
  readonly sec: number;
  readonly nsec: number;
  readonly data: Uint8Array;
}

export interface TcpFlowOptions {
  readonly title?: string;
  /** Which connection, by order of first appearance (default 0, the first). */
  readonly stream?: number;
  /** Names for the two ends (default `client ADDRESS:PORT`, `server ADDRESS:PORT`). */
  readonly names?: readonly [string, string];
  /** pcap LINKTYPE of the frames (default 1, Ethernet). */
  readonly linkType?: number;
  /** Show at most this many segments (default 40); the rest are counted in a last note. */
  readonly limit?: number;
}

/** One TCP segment of a frame, with its endpoints as text. */
export interface SegmentSummary {
  readonly src: string;
  readonly dst: string;
  readonly tcp: Tcp;
  readonly length: number;
  readonly ms: number;
}

const FLAG_ORDER: readonly (keyof Pick<Tcp['flags'], 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg'>)[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'];

/** Wireshark's flag list: [SYN, ACK] is written "SYN, ACK". */
export function flagNames(f: Tcp['flags']): string {
  return (
    FLAG_ORDER.filter((k) => f[k])
      .map((k) => k.toUpperCase())
      .join(', ') || 'none'
  );
}

/** The TCP segments among the frames (others are skipped). */
export function tcpSegments(frames: readonly FlowFrame[], linkType = 1): SegmentSummary[] {
  const out: SegmentSummary[] = [];
  const t0 = frames.length > 0 ? frames[0].sec * 1000 + frames[0].nsec / 1e6 : 0;
  for (const fr of frames) {
    const { layers } = decode(fr.data, linkType);
    const tcp = nearestLayer<Tcp>(layers, 'tcp');
    const ip4 = nearestLayer<Ipv4>(layers, 'ipv4');
    const ip6 = nearestLayer<Ipv6>(layers, 'ipv6');
    if (tcp === undefined || (ip4 === undefined && ip6 === undefined)) continue;
    // The IP layer nearest the TCP header (the inner one of a tunnel).
    const v4 = ip4 !== undefined && (ip6 === undefined || layers.indexOf(ip4) > layers.indexOf(ip6));
    const ip: { src: Uint8Array; dst: Uint8Array } | undefined = v4 ? ip4?.value : ip6?.value;
    if (ip === undefined) continue;
    const addr = (b: Uint8Array): string => (v4 ? formatIpv4(b) : `[${formatIpv6(b)}]`);
    const length = Math.max(0, (tcp.payloadEnd ?? 0) - (tcp.payloadOffset ?? 0));
    out.push({
      src: `${addr(ip.src)}:${tcp.value.srcPort}`,
      dst: `${addr(ip.dst)}:${tcp.value.dstPort}`,
      tcp: tcp.value,
      length,
      ms: fr.sec * 1000 + fr.nsec / 1e6 - t0,
    });
  }
  return out;
}

/** The sequence diagram of one TCP connection among the frames. */
export function tcpFlowDiagram(frames: readonly FlowFrame[], options: TcpFlowOptions = {}): SequenceSpec {
  const segs = tcpSegments(frames, options.linkType ?? 1);
  const key = (s: SegmentSummary): string => [s.src, s.dst].sort().join(' ');
  const streams: string[] = [];
  for (const s of segs) if (!streams.includes(key(s))) streams.push(key(s));
  const wanted = streams[options.stream ?? 0];
  if (wanted === undefined)
    throw new NetlabRangeError(`tcpFlowDiagram: no TCP stream ${options.stream ?? 0} among ${frames.length} frames (${streams.length} streams)`);
  const mine = segs.filter((s) => key(s) === wanted);
  // The client is the side that sent the first SYN without ACK, else the first sender.
  const first = mine.find((s) => s.tcp.flags.syn && !s.tcp.flags.ack) ?? mine[0];
  const client = first.src;
  const server = first.dst;
  const isn = new Map<string, number>();
  for (const s of mine) if (!isn.has(s.src)) isn.set(s.src, s.tcp.flags.syn ? s.tcp.seq : (s.tcp.seq - 1) >>> 0);
  const rel = (end: string, n: number): number => (n - (isn.get(end) ?? n)) >>> 0;
  const t0 = mine[0].ms;
  const limit = options.limit ?? 40;
  const messages: SequenceMessage[] = mine.slice(0, limit).map((s) => {
    const peer = s.src === client ? server : client;
    const parts = [flagNames(s.tcp.flags), `seq=${rel(s.src, s.tcp.seq)}`];
    if (s.tcp.flags.ack) parts.push(`ack=${rel(peer, s.tcp.ack)}`);
    if (s.length > 0) parts.push(`len=${s.length}`);
    const mss = s.tcp.options.find((o) => o.type === 'mss');
    if (mss !== undefined && mss.type === 'mss') parts.push(`mss=${mss.mss}`);
    return { from: s.src === client ? 0 : 1, to: s.src === client ? 1 : 0, label: parts.join(' '), time: `${(s.ms - t0).toFixed(3)} ms` };
  });
  if (mine.length > limit) messages.push({ from: 0, to: 0, label: `... ${mine.length - limit} more segments` });
  const names = options.names ?? [`client ${client}`, `server ${server}`];
  return { title: options.title, participants: [names[0], names[1]], messages };
}
