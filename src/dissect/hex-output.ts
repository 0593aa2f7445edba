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
  const digits = offsetDigits(data.length);
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const n = Math.min(16, data.length - off);
    const hex = new Painter();
    const ascii = new Painter();
    for (let i = 0; i < n; i++) {
      const c = colorOf?.(off + i);
      if (i > 0) hex.add(' ', c === colorOf?.(off + i - 1) ? c : undefined);
      hex.add(data[off + i].toString(16).padStart(2, '0'), c);
      ascii.add(printable(data[off + i]), c);
    }
    const pad = ' '.repeat((16 - n) * 3);
    lines.push(`${off.toString(16).padStart(digits, '0')}  ${hex.text()}${pad}   ${ascii.text()}`);
  }
  return lines;
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
  const data = d.packet.data;
  if (opts.spans === false) return hexDump(data);
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
    return spans.length > 0 ? [...lines, `layers: ${legend}`] : lines;
  }
  const digits = offsetDigits(data.length);
  const h = (n: number): string => n.toString(16).padStart(digits, '0');
  const width = Math.max(0, ...spans.map((s) => s.proto.length));
  const legend = spans.map(
    (s) =>
      `  ${s.proto.padEnd(width)}  ${h(s.offset)}-${h(s.offset + s.length - 1)}  ${String(s.length).padStart(5)} byte${s.length === 1 ? ' ' : 's'}  ${s.label}`,
  );
  return [...hexDump(data), ...legend];
}
