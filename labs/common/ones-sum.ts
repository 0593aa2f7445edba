// The one's-complement sum as a person does it on paper: 16-bit words added one by one, the carries
// folded back in at the end, then complemented. Labs print the rows; the result is checked against
// the wire layer's internetChecksum.

import type { Cell } from '../../src/lab/index.ts';

export interface Word {
  /** What the word is: `source address (high)`, `"Ho"`. */
  label: string;
  value: number;
}

export interface HandSum {
  /** The words summed, in order. */
  words: readonly Word[];
  rows: Cell[][];
  /** Sum before folding (may exceed 0xffff). */
  raw: number;
  /** After folding the carries back in. */
  folded: number;
  /** One's complement of the folded sum: the checksum field's value. */
  checksum: number;
  /** Lines that show the folding: `0x2b4d0 -> 0xb4d0 + 0x2 = 0xb4d2`. */
  foldSteps: string[];
}

export const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
export const hexN = (n: number): string => `0x${n.toString(16)}`;

/** The words of bytes, big-endian, an odd last byte padded with zero on the right (RFC 1071). */
export function wordsOf(bytes: Uint8Array, label: (i: number) => string): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push({ label: label(i), value: (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0) });
  return out;
}

/** Adds the words one by one (rows: word, value, running sum), then folds and complements. */
export function handSum(words: readonly Word[]): HandSum {
  let sum = 0;
  const rows: Cell[][] = [];
  for (const w of words) {
    sum += w.value;
    rows.push([w.label, hex4(w.value), hexN(sum)]);
  }
  const raw = sum;
  const foldSteps: string[] = [];
  while (sum > 0xffff) {
    const next = (sum & 0xffff) + (sum >>> 16);
    foldSteps.push(`${hexN(sum)}: ${hex4(sum & 0xffff)} + carry ${hexN(sum >>> 16)} = ${hexN(next)}`);
    sum = next;
  }
  return { words, rows, raw, folded: sum, checksum: ~sum & 0xffff, foldSteps };
}

/** A text at most `n` characters, as a word label: `"Ho"`. */
export function asciiLabel(bytes: Uint8Array, i: number): string {
  const c = (b: number | undefined): string => (b === undefined ? '' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
  return `"${c(bytes[i])}${c(bytes[i + 1])}"`;
}
