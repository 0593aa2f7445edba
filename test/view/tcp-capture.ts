// A small classic pcap of one TCP conversation, written byte by byte for the view's tests: Ethernet,
// IPv4 (127.187.0.1 client, 127.187.0.2 server) and TCP with right checksums, one frame a segment,
// 10 ms apart. Segments are given as they appear on the wire (retransmissions, overlaps, reordering).
import { writeFileSync } from 'node:fs';

export interface Segment {
  from: 'c' | 's';
  /** Flags as letters: S SYN, A ACK, P PSH, F FIN, R RST. */
  flags: string;
  seq: number;
  ack?: number;
  data?: string | Uint8Array;
}

const CLIENT = [127, 187, 0, 1];
const SERVER = [127, 187, 0, 2];
const CPORT = 40000;
const SPORT = 8080;

function sum16(b: Uint8Array, start = 0): number {
  let s = start;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function frameOf(seg: Segment, ipId: number): Uint8Array {
  const data = typeof seg.data === 'string' ? new TextEncoder().encode(seg.data) : (seg.data ?? new Uint8Array());
  const [src, dst, sp, dp] = seg.from === 'c' ? [CLIENT, SERVER, CPORT, SPORT] : [SERVER, CLIENT, SPORT, CPORT];
  const tcp = new Uint8Array(20 + data.length);
  const dv = new DataView(tcp.buffer);
  dv.setUint16(0, sp);
  dv.setUint16(2, dp);
  dv.setUint32(4, seg.seq >>> 0);
  dv.setUint32(8, (seg.ack ?? 0) >>> 0);
  tcp[12] = 5 << 4;
  let flags = 0;
  for (const ch of seg.flags) flags |= { F: 1, S: 2, R: 4, P: 8, A: 16 }[ch] ?? 0;
  if (seg.ack === undefined && flags & 16) dv.setUint32(8, 1);
  tcp[13] = flags;
  dv.setUint16(14, 65535);
  tcp.set(data, 20);
  const pseudo = new Uint8Array(12);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, tcp.length);
  dv.setUint16(16, ~sum16(tcp, sum16(pseudo)) & 0xffff);
  const ip = new Uint8Array(20);
  const iv = new DataView(ip.buffer);
  ip[0] = 0x45;
  iv.setUint16(2, 20 + tcp.length);
  iv.setUint16(4, ipId);
  ip[8] = 64;
  ip[9] = 6;
  ip.set(src, 12);
  ip.set(dst, 16);
  iv.setUint16(10, ~sum16(ip) & 0xffff);
  const eth = new Uint8Array(14);
  eth.set(seg.from === 'c' ? [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] : [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  eth[12] = 0x08;
  return Uint8Array.from([...eth, ...ip, ...tcp]);
}

/** Writes the segments as a pcap (microseconds, Ethernet). */
export function writeTcpCapture(path: string, segments: readonly Segment[]): void {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, 1, true);
  parts.push(new Uint8Array(head.buffer));
  segments.forEach((seg, i) => {
    const frame = frameOf(seg, i + 1);
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, 1_700_000_000, true);
    rec.setUint32(4, i * 10_000, true);
    rec.setUint32(8, frame.length, true);
    rec.setUint32(12, frame.length, true);
    parts.push(new Uint8Array(rec.buffer), frame);
  });
  writeFileSync(path, Buffer.concat(parts));
}
