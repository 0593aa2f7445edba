// The text of a followed stream's chunks, as the Follow panel shows them: ASCII (printable bytes as
// they are, a line feed as a line break, a CR before it dropped, every other byte as a dot) or a hex
// dump (per direction offsets, 16 bytes a line, their ASCII). Pure, so tests read the same text.

import { bytesOf, printable } from './hex-rows.ts';

/** ASCII of a chunk's bytes. */
export function asciiOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0a) s += '\n';
    else if (b === 0x0d && bytes[i + 1] === 0x0a) continue;
    else if (b === 0x09) s += '\t';
    else s += printable(b);
  }
  return s;
}

/** A hex dump of a chunk, its offsets counted from the start of its direction (`start`). */
export function hexDumpOf(bytes: Uint8Array, start: number): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = Array.from(bytes.subarray(off, off + 16));
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${(start + off).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${row.map(printable).join('')}`);
  }
  return lines.join('\n');
}

export interface ChunkText {
  dir: 0 | 1;
  frame: number;
  text: string;
}

/** Every chunk as text in the mode asked for. */
export function followTexts(chunks: readonly { dir: 0 | 1; frame: number; hex: string }[], mode: 'ascii' | 'hex'): ChunkText[] {
  const done: [number, number] = [0, 0];
  return chunks.map((c) => {
    const bytes = bytesOf(c.hex);
    const text = mode === 'ascii' ? asciiOf(bytes) : hexDumpOf(bytes, done[c.dir]);
    done[c.dir] += bytes.length;
    return { dir: c.dir, frame: c.frame, text };
  });
}
