// `-x`: tshark's hex + ASCII dump (`0000  6c f0 49 ...   l.I..`), plus netlab's addition: the byte
// span of each layer. With colour, each layer's bytes take that layer's colour and one legend line
// names the colours; without colour, one legend line per layer gives its byte range.

import type { Dissection } from './dissection.ts';
import type { ProtoNode } from './field.ts';

export interface HexOptions {
  /** Colour the bytes of each layer (ANSI). Default false. */
  color?: boolean;
  /** Print the layer spans (legend / colours). Default true. */
  spans?: boolean;
}

/** A layer's byte range in the frame, for highlighting. */
export interface LayerSpan {
  proto: string;
  label: string;
  offset: number;
  length: number;
}

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95];

/** Digits of the offset column: at least 4, more when the data is longer than 64 KiB. */
function offsetDigits(length: number): number {
  return Math.max(4, (Math.max(length, 1) - 1).toString(16).length);
}

function printable(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/**
 * tshark's hex dump of a byte buffer: offset, 16 bytes in hex, three spaces, their ASCII.
 * `colorOf(i)` may return an ANSI colour code for byte i.
 */
export function hexDump(data: Uint8Array, colorOf?: (i: number) => number | undefined): string[] {
  if (colorOf === undefined) {
    const text = hexDumpText(data);
    return text === '' ? [] : text.slice(0, -1).split('\n');
  }
  const digits = offsetDigits(data.length);
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const n = Math.min(16, data.length - off);
    const hex = new Painter();
    const ascii = new Painter();
    for (let i = 0; i < n; i++) {
      const c = colorOf(off + i);
      if (i > 0) hex.add(' ', c === colorOf(off + i - 1) ? c : undefined);
      hex.add(data[off + i].toString(16).padStart(2, '0'), c);
      ascii.add(printable(data[off + i]), c);
    }
    const pad = ' '.repeat((16 - n) * 3);
    lines.push(`${off.toString(16).padStart(digits, '0')}  ${hex.text()}${pad}   ${ascii.text()}`);
  }
  return lines;
}

/** The character codes of '0'..'9', 'a'..'f'. */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const SPACE = 0x20;
const DOT = 0x2e;
const NEWLINE = 0x0a;
/** A row: offset, 2 spaces, 16 bytes as 47 characters of hex (padded), 3 spaces, the ASCII. */
const ROW_FIXED = 2 + 47 + 3 + 1;

/** The dump's bytes are built here, grown as needed and kept for the next frame. */
let scratch = Buffer.allocUnsafe(4096);

/**
 * The uncoloured hex dump as one string, each line ending with a newline ('' for no bytes). The text
 * is all ASCII: it is written as bytes into one buffer and read back once.
 */
export function hexDumpText(data: Uint8Array): string {
  const len = data.length;
  if (len === 0) return '';
  const digits = offsetDigits(len);
  const rows = Math.ceil(len / 16);
  const size = rows * (digits + ROW_FIXED) + len;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  const out = scratch;
  let o = 0;
  for (let off = 0; off < len; off += 16) {
    for (let k = digits - 1, v = off; k >= 0; k--, v = Math.floor(v / 16)) out[o + k] = HEX_DIGITS[v % 16];
    o += digits;
    out[o++] = SPACE;
    out[o++] = SPACE;
    const n = Math.min(16, len - off);
    const hexStart = o;
    for (let i = 0; i < n; i++) {
      const b = data[off + i];
      out[o++] = HEX_DIGITS[b >> 4];
      out[o++] = HEX_DIGITS[b & 15];
      out[o++] = SPACE;
    }
    // 47 characters of hex and padding, then the three spaces before the ASCII.
    out.fill(SPACE, o, hexStart + 50);
    o = hexStart + 50;
    for (let i = 0; i < n; i++) {
      const b = data[off + i];
      out[o++] = b >= 0x20 && b < 0x7f ? b : DOT;
    }
    out[o++] = NEWLINE;
  }
  return out.toString('latin1', 0, o);
}

/** Builds a string of coloured runs, switching the ANSI colour only where it changes. */
class Painter {
  private out = '';
  private current: number | undefined;

  add(s: string, color: number | undefined): void {
    if (color !== this.current) {
      if (this.current !== undefined) this.out += '\x1b[0m';
      if (color !== undefined) this.out += `\x1b[${color}m`;
      this.current = color;
    }
    this.out += s;
  }

  text(): string {
    return this.current === undefined ? this.out : this.out + '\x1b[0m';
  }
}

/** The layers worth highlighting: every protocol with bytes of its own (not the frame itself). */
export function layerSpans(d: Dissection): LayerSpan[] {
  return d.protos
    .filter((p: ProtoNode) => p.proto !== 'frame' && p.proto !== 'pkt_comment' && !p.proto.startsWith('_ws.') && !p.noTree && p.length > 0)
    .map((p) => ({ proto: p.proto, label: p.label, offset: p.offset, length: Math.min(p.length, Math.max(0, d.packet.data.length - p.offset)) }));
}

/** -x output for one frame: the dump lines, then the layer legend (no trailing blank line). */
export function hexLines(d: Dissection, opts: HexOptions = {}): string[] {
  const text = hexText(d, opts);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** -x output for one frame as text, each line ending with a newline (no blank line after the last). */
export function hexText(d: Dissection, opts: HexOptions = {}): string {
  const data = d.packet.data;
  if (opts.spans === false) return hexDumpText(data);
  const spans = layerSpans(d);
  if (opts.color) {
    // Each byte takes the colour of the innermost (last listed) layer that covers it.
    const owner = new Int16Array(data.length).fill(-1);
    spans.forEach((s, k) => {
      for (let i = s.offset; i < s.offset + s.length && i < data.length; i++) owner[i] = k;
    });
    const color = (k: number): number => COLORS[k % COLORS.length];
    const lines = hexDump(data, (i) => (owner[i] >= 0 ? color(owner[i]) : 2));
    const legend = spans.map((s, k) => `\x1b[${color(k)}m${s.proto}\x1b[0m`).join(' ');
    return lines.map((l) => `${l}\n`).join('') + (spans.length > 0 ? `layers: ${legend}\n` : '');
  }
  const digits = offsetDigits(data.length);
  const h = (n: number): string => n.toString(16).padStart(digits, '0');
  let width = 0;
  for (const s of spans) width = Math.max(width, s.proto.length);
  let out = hexDumpText(data);
  for (const s of spans) {
    out += `  ${s.proto.padEnd(width)}  ${h(s.offset)}-${h(s.offset + s.length - 1)}  ${String(s.length).padStart(5)} byte${s.length === 1 ? ' ' : 's'}  ${s.label}\n`;
  }
  return out;
}
