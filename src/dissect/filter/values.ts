// The values a display filter compares, and the comparisons themselves. A field occurrence and a
// literal both become a Val; comparing two Vals of kinds that do not mix is simply false.

import type { Field } from '../field.ts';
import type { Comparison } from './parser.ts';
import { guardedTest, type GuardedRegex } from './regex-guard.ts';

export type Val =
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'float'; v: number }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'str'; v: string }
  /** An address with a prefix length (CIDR): matches every address in the network. */
  | { t: 'net'; v: Uint8Array; prefix: number }
  | { t: 're'; v: GuardedRegex }
  | { t: 'none' };

const utf8 = new TextEncoder();

/** A field occurrence as a filter value. */
export function fieldVal(f: Field): Val {
  const v = f.value;
  switch (f.kind) {
    case 'uint':
    case 'int':
      if (typeof v === 'number') return Number.isInteger(v) ? { t: 'int', v: BigInt(v) } : { t: 'float', v };
      if (typeof v === 'bigint') return { t: 'int', v };
      if (typeof v === 'boolean') return { t: 'bool', v };
      break;
    case 'bool':
      if (typeof v === 'boolean') return { t: 'bool', v };
      if (typeof v === 'number' || typeof v === 'bigint') return { t: 'bool', v: Number(v) !== 0 };
      break;
    case 'float':
    case 'time':
    case 'reltime':
      if (typeof v === 'number') return { t: 'float', v };
      break;
    case 'string':
      if (typeof v === 'string') return { t: 'str', v };
      break;
    case 'none':
      return { t: 'none' };
    default:
      break;
  }
  if (v instanceof Uint8Array) return { t: 'bytes', v };
  if (typeof v === 'string') return { t: 'str', v };
  if (typeof v === 'number') return Number.isInteger(v) ? { t: 'int', v: BigInt(v) } : { t: 'float', v };
  if (typeof v === 'bigint') return { t: 'int', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  return { t: 'none' };
}

/** The bytes of a value, for slices and byte comparisons (strings as UTF-8). */
export function valBytes(v: Val): Uint8Array | undefined {
  if (v.t === 'bytes' || v.t === 'net') return v.v;
  if (v.t === 'str') return utf8.encode(v.v);
  return undefined;
}

function numeric(v: Val): number | bigint | undefined {
  if (v.t === 'int') return v.v;
  if (v.t === 'bool') return v.v ? 1n : 0n;
  if (v.t === 'float') return v.v;
  return undefined;
}

function cmpNum(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}

function bytesContain(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function inNet(addr: Uint8Array, net: Uint8Array, prefix: number): boolean {
  if (addr.length !== net.length) return false;
  let bits = prefix;
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Orders two values: negative, zero, positive; undefined when they do not compare. */
function order(a: Val, b: Val): number | undefined {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return cmpNum(na, nb);
  if (a.t === 'str' && b.t === 'str') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if (b.t === 'net') {
    const ab = valBytes(a);
    if (ab === undefined) return undefined;
    if (inNet(ab, b.v, b.prefix)) return 0;
    return cmpBytes(ab, b.v);
  }
  const ab = valBytes(a);
  const bb = valBytes(b);
  if (ab !== undefined && bb !== undefined) return cmpBytes(ab, bb);
  return undefined;
}

/**
 * compare() of an integer field's value held as a number against an integer literal, without
 * making the value a bigint first (a number and a bigint compare exactly).
 */
export function compareNumberToInt(cmp: Comparison, a: number, b: bigint): boolean {
  switch (cmp) {
    case 'eq':
      return !(a < b || a > b);
    case 'ne':
      return a < b || a > b;
    case 'lt':
      return a < b;
    case 'le':
      return !(a > b);
    case 'gt':
      return a > b;
    case 'ge':
      return !(a < b);
    default:
      return compare(cmp, { t: 'int', v: BigInt(a) }, { t: 'int', v: b });
  }
}

/** One comparison of one left value against one right value. */
export function compare(cmp: Comparison, a: Val, b: Val): boolean {
  switch (cmp) {
    case 'contains': {
      if (a.t === 'str' && b.t === 'str') return a.v.includes(b.v);
      const ab = valBytes(a);
      const bb = valBytes(b);
      return ab !== undefined && bb !== undefined && bytesContain(ab, bb);
    }
    case 'matches': {
      if (b.t !== 're') return false;
      const text = a.t === 'str' ? a.v : a.t === 'bytes' ? latin1(a.v) : undefined;
      if (text === undefined) return false;
      return guardedTest(b.v, text);
    }
    default: {
      const o = order(a, b);
      if (o === undefined) return false;
      switch (cmp) {
        case 'eq':
          return o === 0;
        case 'ne':
          return o !== 0;
        case 'lt':
          return o < 0;
        case 'le':
          return o <= 0;
        case 'gt':
          return o > 0;
        case 'ge':
          return o >= 0;
      }
    }
  }
}
