// Small BER readers for the LDAP dissector (BER as LDAP uses it: definite lengths, long forms up to
// 4 bytes, non-minimal lengths allowed), over src/wire/der.ts. Each returns undefined or a
// DerError-shaped problem rather than throwing; the caller turns a problem into a malformation.

import { type DerTlv, isDerError, readTlv } from '../../wire/der.ts';
import type { Field, FieldOpts } from '../field.ts';
import { bytesFieldT } from './link-fields.ts';

export class BerProblem extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Reads the TLV at `at` (which must end by `end`), or throws a BerProblem naming `what`. */
export function tlv(b: Uint8Array, at: number, end: number, what: string): DerTlv {
  const t = readTlv(b, at, end);
  if (isDerError(t)) throw new BerProblem(t.offset, `${what}: ${t.reason}`);
  return t;
}

/** Reads the TLV at `at` and checks its class and tag number. */
export function expect(b: Uint8Array, at: number, end: number, cls: number, tag: number, what: string): DerTlv {
  const t = tlv(b, at, end, what);
  if (t.cls !== cls || t.tag !== tag) throw new BerProblem(at, `${what}: expected tag [${cls}:${tag}], found [${t.cls}:${t.tag}]`);
  return t;
}

/** The children of a constructed value, in order. */
export function children(b: Uint8Array, t: DerTlv, what: string): DerTlv[] {
  const out: DerTlv[] = [];
  let p = t.contentOffset;
  while (p < t.end) {
    if (out.length >= 4096) throw new BerProblem(p, `${what}: more than 4096 values`);
    const c = tlv(b, p, t.end, what);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** An INTEGER or ENUMERATED content as a number (two's complement, up to 6 bytes). */
export function berInt(b: Uint8Array, t: DerTlv, what: string): number {
  if (t.length === 0 || t.length > 6) throw new BerProblem(t.offset, `${what}: integer of ${t.length} bytes`);
  let v = 0;
  for (let i = t.contentOffset; i < t.end; i++) v = v * 256 + b[i];
  return b[t.contentOffset] & 0x80 ? v - 256 ** t.length : v;
}

export function berBool(b: Uint8Array, t: DerTlv): boolean {
  return t.length > 0 && b[t.contentOffset] !== 0;
}

const utf8 = new TextDecoder('utf-8');

/** An OCTET STRING's content as text (UTF-8, as LDAP strings are). */
export function berText(b: Uint8Array, t: DerTlv): string {
  return utf8.decode(b.subarray(t.contentOffset, t.end));
}

/** True when every byte is printable ASCII (Wireshark then shows a value as text). */
export function printable(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

/** A bytes item as Wireshark shows one: truncated in -V, and `<MISSING>` when empty (in -T fields too). */
export function berBytes(name: string, label: string, b: Uint8Array, offset: number, length: number, o?: FieldOpts): Field {
  const f = bytesFieldT(name, label, b, offset, length, o);
  if (length === 0) f.show = '<MISSING>';
  return f;
}
