// Small helpers shared by the link/network mappers: Wireshark's bit-pattern prefix for masked fields,
// its truncation of long byte strings in -V, a field list that stops at the captured end (as
// Wireshark's tree stops where an exception hit), and value-string lookups.

import { type Field, formatBytesHex, type FieldOpts, rawField } from '../field.ts';

/**
 * Wireshark's bit picture of a masked field: `width` bits, the masked ones as 0/1, the others as '.',
 * in groups of 4: bitPattern(0x45, 0xf0, 8) = '0100 ....'.
 */
export function bitPattern(value: number, mask: number, width: number): string {
  // The same few (width, mask, value) triples come back on every frame: keep what was built.
  if (width > 32 || mask > 0xffffffff) return buildPattern(value, mask, width);
  const byField = patterns.get(width * 0x100000000 + mask);
  const hit = byField?.get(value);
  if (hit !== undefined) return hit;
  const s = buildPattern(value, mask, width);
  if (byField === undefined) {
    if (patterns.size < 4096) patterns.set(width * 0x100000000 + mask, new Map([[value, s]]));
  } else if (byField.size < 4096) byField.set(value, s);
  return s;
}

const patterns = new Map<number, Map<number, string>>();

function buildPattern(value: number, mask: number, width: number): string {
  let s = '';
  for (let i = width - 1; i >= 0; i--) {
    const bit = 2 ** i;
    const inMask = Math.floor(mask / bit) % 2 === 1;
    s += inMask ? (Math.floor(value / bit) % 2 === 1 ? '1' : '0') : '.';
    if (i > 0 && i % 4 === 0) s += ' ';
  }
  return s;
}

/** `-V` shows at most 36 bytes of a byte string, then an ellipsis. */
export function bytesForText(b: Uint8Array): string {
  return b.length > 36 ? formatBytesHex(b.subarray(0, 36)) + '\u2026' : formatBytesHex(b);
}

/** A bytes field whose -V text truncates like Wireshark's (`Trailer: 1111…`). */
export function bytesFieldT(name: string, label: string, frame: Uint8Array, offset: number, length: number, o?: FieldOpts): Field {
  const v = frame.slice(offset, offset + length);
  return rawField(name, label, 'bytes', v, formatBytesHex(v), offset, length, { text: `${label}: ${length === 0 ? '<MISSING>' : bytesForText(v)}`, ...o });
}

/** An FT_NONE field: tshark -T fields prints "1" for each occurrence of one. */
export function noneField(name: string, label: string, offset: number, length: number, o?: FieldOpts): Field {
  return rawField(name, label, 'none', null, '1', offset, length, o);
}

/** A text-only tree item (no filter name), such as IPv4's "Options: (4 bytes), Router Alert". */
export function textItem(text: string, offset: number, length: number, children?: Field[]): Field {
  return rawField('', text, 'none', null, '', offset, length, { text, children });
}

/** Looks a value up in a value-string table; Wireshark prints unknown values as 'Unknown'. */
export function vs(table: Readonly<Record<number, string>>, v: number, unknown = 'Unknown'): string {
  return table[v] ?? unknown;
}

/**
 * Collects fields in tree order until one would reach past the captured bytes: Wireshark's tree
 * stops at the first field an exception cuts off, so later fields are not shown either.
 */
export class FieldList {
  readonly fields: Field[] = [];
  /** True once a field did not fit. */
  cut = false;
  constructor(private readonly capturedEnd: number) {}

  /** True when [offset, offset+length) is captured (and nothing was cut before). */
  fits(offset: number, length: number): boolean {
    if (this.cut) return false;
    if (offset + length > this.capturedEnd) {
      this.cut = true;
      return false;
    }
    return true;
  }

  /** Adds the field made by `make` if its bytes are captured; returns it (or undefined). */
  add(offset: number, length: number, make: () => Field): Field | undefined {
    if (!this.fits(offset, length)) return undefined;
    const f = make();
    this.fields.push(f);
    return f;
  }

  /** Adds fields that need no bytes (generated, hidden). */
  push(...fields: Field[]): void {
    if (!this.cut) this.fields.push(...fields);
  }
}
