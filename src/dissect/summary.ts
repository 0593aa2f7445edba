// tshark's default output: one line per packet, `No. Time Source → Destination Protocol Length Info`,
// padded the way tshark 4.0 pads its columns: the number right-aligned to 5, the time right-aligned
// to 10, the source right-aligned to 12, the destination left-aligned to 12 (widths in bytes, as
// tshark counts them), the rest as is.

import type { Dissection } from './dissection.ts';
import { frameField } from './lookup.ts';
import { timePrecision } from './frame-fields.ts';

/** The UTF-8 length of a column's text, counted without encoding it when the text is ASCII. */
function byteLength(s: string): number {
  // Columns are short: a scan for non-ASCII beats asking Buffer (a call into C++ per column).
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** Runs of spaces for the padding, shared (the widths are at most 12). */
const SPACES = Array.from({ length: 13 }, (_, n) => ' '.repeat(n));

function spaces(n: number): string {
  return n < SPACES.length ? SPACES[n] : ' '.repeat(n);
}

function padStart(s: string, width: number): string {
  if (s.length >= width) return s;
  const n = byteLength(s);
  return n >= width ? s : spaces(width - n) + s;
}

function padEnd(s: string, width: number): string {
  if (s.length >= width) return s;
  const n = byteLength(s);
  return n >= width ? s : s + spaces(width - n);
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
  return cutTime(rel, precisionOf(d.packet.iface.tsResolution));
}

/** timePrecision of the last resolution asked about (one interface in nearly every capture). */
let lastResolution = NaN;
let lastPrecision = 0;

function precisionOf(tsResolution: number): number {
  if (tsResolution !== lastResolution) {
    lastPrecision = timePrecision(tsResolution);
    lastResolution = tsResolution;
  }
  return lastPrecision;
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
  return `${padStart(String(d.packet.number), 5)} ${padStart(timeColumn(d), 10)} ${padStart(c.src, 12)} \u2192 ${padEnd(c.dst, 12)} ${c.protocol} ${d.packet.origLength} ${c.info}`;
}
