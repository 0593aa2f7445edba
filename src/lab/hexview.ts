// A hex dump whose bytes take their layer's colour, like Wireshark's bytes pane with a layer
// selected: Ethernet, IP, TCP/UDP and the data each in their own colour, with a legend that gives
// every layer's byte range. Without colour the legend alone tells the spans apart.
//
//   0000  aa bb cc dd ee ff 11 22 33 44 55 66 08 00 45 00   ......."3DUf..E.
//   ...
//   ethernet  0000-000d   14 bytes
//   ipv4      000e-0021   20 bytes

import { decode } from '../wire/decode.ts';
import type { Palette } from './colour.ts';

export interface ByteSpan {
  readonly label: string;
  readonly offset: number;
  readonly length: number;
  /** SGR colour code; default: by the label's protocol family. */
  readonly colour?: number;
}

export interface HexOptions {
  /** A line above the dump. */
  readonly title?: string;
  /** Spans to mark. Default: the layers of the frame decoded with `linkType`. */
  readonly spans?: readonly ByteSpan[];
  /** pcap LINKTYPE of the bytes when spans are decoded (default 1, Ethernet). */
  readonly linkType?: number;
  /** FCS bytes at the end of an Ethernet frame (default 0). */
  readonly fcsLength?: number;
}

const FAMILY_COLOUR: Readonly<Record<string, number>> = {
  ethernet: 36,
  eth: 36,
  vlan: 36,
  arp: 36,
  sll: 36,
  sll2: 36,
  null: 36,
  raw: 36,
  ipv4: 33,
  ip: 33,
  ipv6: 33,
  icmp: 35,
  icmpv6: 35,
  tcp: 32,
  udp: 32,
  vxlan: 34,
  data: 95,
  'tcp payload': 95,
  'tls record': 95,
};
const FALLBACK = [96, 93, 92, 94, 91];

/** The layers of a frame as spans (each layer's own header bytes; the payload is the next layer's). */
export function frameSpans(bytes: Uint8Array, linkType = 1, fcsLength = 0): ByteSpan[] {
  const { layers } = decode(bytes, linkType, { fcsLength });
  return layers
    .filter((l) => l.length > 0)
    .map((l, i, all) => ({
      label: payloadLabel(l.kind, all[i - 1]?.kind, bytes, l.offset),
      offset: l.offset,
      length: Math.min(l.length, Math.max(0, bytes.length - l.offset)),
    }));
}

/** What undecoded bytes after TCP are: a TLS record (content type 20-23, version 3.x) says so. */
function payloadLabel(kind: string, before: string | undefined, bytes: Uint8Array, at: number): string {
  if (kind !== 'data' || before !== 'tcp' || at + 5 > bytes.length) return kind;
  const type = bytes[at];
  return type >= 20 && type <= 23 && bytes[at + 1] === 3 && bytes[at + 2] <= 4 ? 'tls record' : 'tcp payload';
}

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0');
}

/** Renders the dump and the legend as lines. */
export function renderHex(bytes: Uint8Array, pal: Palette, options: HexOptions = {}): string[] {
  const fcs = options.fcsLength ?? 0;
  const decoded = options.spans ?? frameSpans(bytes, options.linkType ?? 1, fcs);
  // The FCS is Ethernet's trailer: a span of its own, never "outside every layer".
  const spans =
    options.spans === undefined && fcs > 0 && bytes.length >= fcs
      ? [...decoded, { label: 'ethernet fcs', offset: bytes.length - fcs, length: fcs, colour: 36 }]
      : decoded;
  // A protocol that comes back (the inner Ethernet of VXLAN) takes the bright variant of its colour.
  const seen = new Map<number, number>();
  const colours = spans.map((s, i) => {
    const base = s.colour ?? FAMILY_COLOUR[s.label] ?? FALLBACK[i % FALLBACK.length];
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n % 2 === 1 && base < 90 ? base + 60 : base;
  });
  // Each byte belongs to the innermost (last listed) span covering it.
  const owner = new Int32Array(bytes.length).fill(-1);
  spans.forEach((s, k) => {
    for (let i = Math.max(0, s.offset); i < s.offset + s.length && i < bytes.length; i++) owner[i] = k;
  });
  const digits = Math.max(4, hex(Math.max(bytes.length, 1) - 1, 1).length);
  const lines: string[] = [];
  if (options.title !== undefined) lines.push(options.title);
  const paintRun = (text: string, k: number): string => (k < 0 ? pal.style('dim', text) : pal.paint(colours[k], text));
  for (let off = 0; off < bytes.length; off += 16) {
    const n = Math.min(16, bytes.length - off);
    let hexPart = '';
    let ascii = '';
    // Group runs of the same owner so each run is painted once.
    let i = 0;
    while (i < n) {
      const k = owner[off + i];
      let j = i;
      while (j < n && owner[off + j] === k) j++;
      const run = bytes.subarray(off + i, off + j);
      const h = Array.from(run, (b) => hex(b, 2)).join(' ');
      const a = Array.from(run, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      hexPart += (i > 0 ? ' ' : '') + paintRun(h, k);
      ascii += paintRun(a, k);
      i = j;
    }
    lines.push(`${hex(off, digits)}  ${hexPart}${' '.repeat((16 - n) * 3)}   ${ascii}`);
  }
  const labelWidth = Math.max(0, ...spans.map((s) => s.label.length));
  spans.forEach((s, k) => {
    const end = s.offset + Math.max(s.length, 1) - 1;
    const bytesText = `${String(s.length).padStart(5)} byte${s.length === 1 ? '' : 's'}`;
    lines.push(`${pal.paint(colours[k], s.label.padEnd(labelWidth))}  ${hex(s.offset, digits)}-${hex(end, digits)}  ${bytesText}`);
  });
  const outside = owner.reduce((n, k) => (k < 0 ? n + 1 : n), 0);
  if (outside > 0 && spans.length > 0) lines.push(pal.style('dim', `(${outside} byte${outside === 1 ? '' : 's'} after the last layer: padding)`));
  return lines;
}
