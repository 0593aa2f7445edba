// tshark's default output: one line per packet, `No. Time Source → Destination Protocol Length Info`,
// padded the way tshark 4.0 pads its columns: the number right-aligned to 5, the time right-aligned
// to 10, the source right-aligned to 12, the destination left-aligned to 12 (widths in bytes, as
// tshark counts them), the rest as is.

import type { Dissection } from './dissection.ts';
import { frameField } from './lookup.ts';
import { timePrecision } from './frame-fields.ts';

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function padStart(s: string, width: number): string {
  const n = byteLength(s);
  return n >= width ? s : ' '.repeat(width - n) + s;
}

function padEnd(s: string, width: number): string {
  const n = byteLength(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** Cuts tshark's 9-decimal relative time (`-0.000000766`) to `digits` decimals, as the Time column does. */
export function cutTime(rel: string, digits: number): string {
  const dot = rel.indexOf('.');
  if (dot < 0) return rel;
  return digits === 0 ? rel.slice(0, dot) : rel.slice(0, dot + 1 + digits);
}

/** The Time column: seconds since the first frame, with the capture's timestamp precision. */
export function timeColumn(d: Dissection): string {
  const rel = frameField(d, 'frame.time_relative')?.show ?? '0.000000000';
  return cutTime(rel, timePrecision(d.packet.iface.tsResolution));
}

/** The seven columns of tshark's default output, as text. */
export interface SummaryColumns {
  no: string;
  time: string;
  src: string;
  dst: string;
  protocol: string;
  length: string;
  info: string;
}

/** Lays the columns out as tshark 4.0 does. */
export function formatSummary(c: SummaryColumns): string {
  return `${padStart(c.no, 5)} ${padStart(c.time, 10)} ${padStart(c.src, 12)} \u2192 ${padEnd(c.dst, 12)} ${c.protocol} ${c.length} ${c.info}`;
}

/** The summary line of one frame. */
export function summaryLine(d: Dissection): string {
  const c = d.columns;
  return formatSummary({
    no: String(d.packet.number),
    time: timeColumn(d),
    src: c.src,
    dst: c.dst,
    protocol: c.protocol,
    length: String(d.packet.origLength),
    info: c.info,
  });
}
