// Domain names (RFC 1035 §3.1, §4.1.4): presentation text <-> labels, reading a name from a message
// with compression pointers (hostile input included), and the writer that compresses on encode.
//
// Text form (see dns-types.ts): no trailing dot, root = "", "\." and "\\" inside a label, "\DDD"
// for bytes outside 0x21..0x7e.
//
// Reading is bounded: a pointer must point strictly before the labels that led to it (so every jump
// goes backwards and a loop is impossible; a compressor only ever points at what it wrote earlier),
// the name may hold at most 255 octets in wire form, label types 01 and 10 (lengths 64..191, RFC 6891
// §5 retired them) are refused, and every byte read is inside the message. Nothing is allocated from
// a length read off the wire.
//
// The work is bounded too, not only loops: backwards-only pointers still allow a chain of thousands
// of pointers each pointing at the one before, and a message of names all leading into that chain
// costs chain length x name count; and five thousand two-byte names pointing at one 127-label name
// re-read 127 labels each. One name may follow at most MAX_NAME_POINTERS pointers (more than any name
// a compressor writes can use), and the names of a message share a DecompressBudget of
// MAX_DECOMPRESS_STEPS steps, a step being a pointer followed or a label read through one (mature
// resolvers cap decompression work the same way), so a 64 KB message decodes in a bounded number of
// steps whatever it holds. Labels read in place are bounded by the message's own bytes.

import { DnsEncodeError } from './dns-types.ts';

/** The largest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;
/** The largest name in wire form, length octets and the root's zero included (RFC 1035 §2.3.4). */
export const MAX_NAME_LENGTH = 255;
/** Compression pointers address the first 16 KiB of a message. */
const MAX_POINTER_TARGET = 0x3fff;
/**
 * Pointers one name may follow. A name of at most 255 octets has at most 127 labels; a compressor
 * points only at labels, so one pointer to reach each label is 127, plus one. More means pointers
 * leading straight to pointers, which add nothing but work.
 */
export const MAX_NAME_POINTERS = 128;
/**
 * Decompression steps (pointers followed, and labels read through a pointer) one message may take in
 * all its names. A compressor's output follows one to three pointers per name to a suffix of a few
 * labels: a 64 KB answer of 4,000 records owned by five-label names takes about 32,000 steps. A 64 KB
 * message holds at most about 5,500 names (12 bytes per record at the least), so 65,536 leaves room
 * for any real message and bounds a hostile one (about 20 ms at most, where an unbounded one took
 * over half a second).
 */
export const MAX_DECOMPRESS_STEPS = 65_536;

/** The decompression work left to the names of one message (one object shared by its readName calls). */
export class DecompressBudget {
  /** Steps taken so far: pointers followed and labels read through them. */
  used = 0;
  /** Pointers followed so far. */
  pointers = 0;
  constructor(readonly limit: number = MAX_DECOMPRESS_STEPS) {}
}

// ---------------------------------------------------------------------------------------------
// Text

function isPlain(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c;
}

/** One label in presentation form ("\." for a dot inside it, "\DDD" for unprintable bytes). */
export function labelText(label: Uint8Array): string {
  let s = '';
  for (const c of label) {
    if (isPlain(c)) s += String.fromCharCode(c);
    else if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/** Labels -> text ("www.example.com"; the root is ""). */
export function labelsToName(labels: readonly Uint8Array[]): string {
  return labels.map(labelText).join('.');
}

/**
 * Text -> labels. Accepts a trailing dot ("example.com." is "example.com"); "" and "." are the root.
 * Throws DnsEncodeError naming the problem: an empty label, a label over 63 octets, a name over 255
 * octets, a bad escape.
 */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '' || name === '.') return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let i = 0;
  let endsWithDot = false;
  const push = (): void => {
    if (cur.length === 0) throw new DnsEncodeError(`name '${name}' has an empty label`);
    if (cur.length > MAX_LABEL_LENGTH) throw new DnsEncodeError(`name '${name}' has a label of ${cur.length} octets (at most ${MAX_LABEL_LENGTH})`);
    labels.push(Uint8Array.from(cur));
    cur = [];
  };
  while (i < name.length) {
    const ch = name.charCodeAt(i);
    endsWithDot = false;
    if (ch === 0x2e) {
      push();
      endsWithDot = true;
      i++;
      continue;
    }
    if (ch === 0x5c) {
      const next = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(next)) {
        const v = Number(next);
        if (v > 255) throw new DnsEncodeError(`name '${name}': escape \\${next} is over 255`);
        cur.push(v);
        i += 4;
        continue;
      }
      if (i + 1 >= name.length) throw new DnsEncodeError(`name '${name}' ends with a lone backslash`);
      const c = name.codePointAt(i + 1) ?? 0;
      if (c > 0x7f) throw new DnsEncodeError(`name '${name}': escaped character ${String.fromCodePoint(c)} is not ASCII (write \\DDD bytes)`);
      cur.push(c);
      i += 2;
      continue;
    }
    if (ch > 0x7f) {
      const cp = name.codePointAt(i) ?? 0;
      // A non-ASCII character is written as its UTF-8 bytes (no IDNA conversion).
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) cur.push(b);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    cur.push(ch);
    i++;
  }
  if (!endsWithDot) push();
  else if (labels.length === 0) throw new DnsEncodeError(`name '${name}' has an empty label`);
  const wire = labels.reduce((n, l) => n + 1 + l.length, 1);
  if (wire > MAX_NAME_LENGTH) throw new DnsEncodeError(`name '${name}' is ${wire} octets in wire form (at most ${MAX_NAME_LENGTH})`);
  return labels;
}

/** Canonical form for comparisons: lower-case ASCII letters, no trailing dot (RFC 4343). */
export function canonicalName(name: string): string {
  return labelsToName(nameToLabels(name).map(lowerLabel));
}

function lowerLabel(l: Uint8Array): Uint8Array {
  return l.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));
}

/** True when two names are the same name, ignoring ASCII case (RFC 4343). Bad names are never equal. */
export function dnsNamesEqual(a: string, b: string): boolean {
  try {
    return canonicalName(a) === canonicalName(b);
  } catch {
    return false;
  }
}

/** True when `name` is `zone` or below it ("www.example.com" is under "example.com" and under ""). */
export function isSubdomain(name: string, zone: string): boolean {
  try {
    const n = nameToLabels(name).map(lowerLabel);
    const z = nameToLabels(zone).map(lowerLabel);
    if (z.length > n.length) return false;
    for (let i = 1; i <= z.length; i++) {
      const a = n[n.length - i];
      const b = z[z.length - i];
      if (a.length !== b.length || a.some((c, k) => c !== b[k])) return false;
    }
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A name read from a message. */
export interface ReadName {
  labels: Uint8Array[];
  /** Offset just after the name where it started (after the first pointer, if any). */
  next: number;
  /** Compression pointers followed. */
  pointers: number;
}

/** Why a name could not be read: offset (from the message start) and reason. */
export interface NameError {
  offset: number;
  reason: string;
}

/**
 * Reads the name at `start` of `msg` (the DNS message: offsets are from its first byte). `limit`
 * bounds the bytes the name may occupy in place (the end of the RDATA, or of the message); pointers
 * may lead anywhere before themselves. `budget`, shared by the names of one message, bounds the
 * pointer follows of all of them. Never throws.
 */
export function readName(msg: Uint8Array, start: number, limit: number = msg.length, budget?: DecompressBudget): ReadName | NameError {
  const labels: Uint8Array[] = [];
  let pos = start;
  let end = Math.min(limit, msg.length);
  let next = -1;
  let wire = 1;
  let pointers = 0;
  // Where the current run of in-place labels began: a pointer must lead before it, so each jump goes
  // strictly backwards and no chain of pointers can come round again.
  let runStart = start;
  for (;;) {
    if (pos >= end) return { offset: pos, reason: next < 0 ? 'name runs past the end of its data' : 'compression pointer leads past the end of the message' };
    const len = msg[pos];
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return { offset: pos, reason: 'compression pointer cut short' };
      const target = ((len & 0x3f) << 8) | msg[pos + 1];
      if (target >= pos)
        return { offset: pos, reason: target === pos ? `compression pointer to itself (${target})` : `forward compression pointer to ${target}` };
      if (target >= runStart) return { offset: pos, reason: `compression pointer loop (to ${target}, inside the labels that lead to it)` };
      if (pointers >= MAX_NAME_POINTERS) return { offset: pos, reason: `name follows more than ${MAX_NAME_POINTERS} compression pointers` };
      if (budget !== undefined) {
        if (budget.used >= budget.limit) return { offset: pos, reason: overBudget(budget) };
        budget.used++;
        budget.pointers++;
      }
      runStart = target;
      if (next < 0) next = pos + 2;
      pointers++;
      pos = target;
      // After a jump the name may use any earlier byte of the message.
      end = msg.length;
      continue;
    }
    if (kind !== 0)
      return {
        offset: pos,
        reason: `label length 0x${len.toString(16)}: label type ${kind === 0x40 ? '01 (extended)' : '10 (reserved)'}, or a label over ${MAX_LABEL_LENGTH} octets`,
      };
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { labels, next, pointers };
    }
    wire += 1 + len;
    if (wire > MAX_NAME_LENGTH) return { offset: pos, reason: `name longer than ${MAX_NAME_LENGTH} octets` };
    if (pos + 1 + len > end) return { offset: pos, reason: `label of ${len} octets runs past the end of its data` };
    if (next >= 0 && budget !== undefined) {
      if (budget.used >= budget.limit) return { offset: pos, reason: overBudget(budget) };
      budget.used++;
    }
    labels.push(msg.slice(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

function overBudget(b: DecompressBudget): string {
  return `the message's names take more than ${b.limit} decompression steps (pointers followed and labels read through them; ${b.pointers} pointers so far): decoding work is bounded`;
}

export function isNameError(r: ReadName | NameError): r is NameError {
  return (r as NameError).reason !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A growable byte buffer with a name-compression table, for encoding a message. */
export class DnsWriter {
  private buf = new Uint8Array(512);
  length = 0;
  /** Suffix key -> offset of that suffix in the message (exact bytes, so decoding keeps the case). */
  private readonly suffixes = new Map<string, number>();

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.room(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  u32(v: number): void {
    this.room(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** Writes a 16-bit value at an earlier offset (a length filled in afterwards). */
  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  /**
   * Writes a name; with `compress`, the longest suffix already written becomes a pointer, and the new
   * suffixes are remembered for later names either way (RFC 3597 §4: names in unknown RDATA are not
   * compressed, but names in it may not be pointed to either, so `remember` is off there).
   */
  name(labels: readonly Uint8Array[], compress: boolean, remember = true): void {
    for (let i = 0; i < labels.length; i++) {
      const key = suffixKey(labels, i);
      if (compress) {
        const at = this.suffixes.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (remember && this.length <= MAX_POINTER_TARGET && !this.suffixes.has(key)) this.suffixes.set(key, this.length);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }
  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function suffixKey(labels: readonly Uint8Array[], from: number): string {
  let k = '';
  for (let i = from; i < labels.length; i++) k += String.fromCharCode(labels[i].length) + String.fromCharCode(...labels[i]);
  return k;
}

/** The wire form of a name without compression (for RDATA of types whose names may not be compressed). */
export function nameWire(labels: readonly Uint8Array[]): Uint8Array {
  const w = new DnsWriter();
  w.name(labels, false, false);
  return w.finish();
}
