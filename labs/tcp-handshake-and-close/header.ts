// The TCP header of a segment as spans for the hex view (Ethernet, IPv4, the 20 fixed bytes, then each
// option its own span) and as rows of a table (the fixed fields, then the options).

import type { ByteSpan, Cell } from '../../src/lab/index.ts';
import type { SegView } from './net.ts';

const ETH = 14;
const IP = 20;

/** Ethernet, IPv4, the fixed TCP header and each option, as spans of the frame. */
export function headerSpans(s: SegView): ByteSpan[] {
  const tcp = ETH + IP;
  return [
    { label: 'ethernet', offset: 0, length: ETH },
    { label: 'ipv4', offset: ETH, length: IP },
    { label: 'tcp (20 fixed bytes)', offset: tcp, length: 20 },
    ...s.options.map((o) => ({ label: `tcp option ${o.type}`, offset: o.offset, length: o.length })),
  ];
}

const u16 = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u32 = (b: Uint8Array, at: number): number => ((u16(b, at) << 16) | u16(b, at + 2)) >>> 0;
const hexOf = (b: Uint8Array, at: number, n: number): string => Array.from(b.subarray(at, at + n), (x) => x.toString(16).padStart(2, '0')).join(' ');

/** The fixed fields and the options of the segment's TCP header (offsets within the TCP header). */
export function headerRows(s: SegView): Cell[][] {
  const b = s.frame;
  const t = ETH + IP;
  const rows: Cell[][] = [
    ['0-1', 'source port', u16(b, t)],
    ['2-3', 'destination port', u16(b, t + 2)],
    ['4-7', 'sequence number', u32(b, t + 4)],
    ['8-11', 'acknowledgment number', u32(b, t + 8)],
    ['12', 'data offset (high 4 bits)', `${(b[t + 12] ?? 0) >> 4} words = ${((b[t + 12] ?? 0) >> 4) * 4} bytes`],
    ['13', 'flags', s.flags],
    ['14-15', 'window', u16(b, t + 14)],
    [
      '16-17',
      'checksum',
      `0x${u16(b, t + 16)
        .toString(16)
        .padStart(4, '0')}`,
    ],
    ['18-19', 'urgent pointer', u16(b, t + 18)],
  ];
  for (const o of s.options) rows.push([`${o.offset - t}-${o.offset - t + o.length - 1}`, `option ${o.type}`, hexOf(b, o.offset, o.length)]);
  return rows;
}
