// Internet checksum (RFC 1071), pseudo-headers for TCP/UDP/ICMPv6 (RFC 793, 768, 8200 §8.1)
// and incremental update (RFC 1624). Pure functions over byte arrays.

import { NetlabRangeError } from '../base/errors.ts';

/**
 * The 32-bit running one's-complement sum of 16-bit big-endian words, not yet folded.
 * An odd trailing byte is padded with a zero byte on the right (RFC 1071 §4.1).
 * `initial` lets sums be chained (pseudo-header, then header, then data).
 */
export function onesSum(b: Uint8Array, offset = 0, length = b.length - offset, initial = 0): number {
  if (length >= WIDE_MIN) return wideSum(b, offset, offset + length, initial);
  return narrowSum(b, offset, offset + length, initial);
}

/** Below this many bytes the 16-bit loop wins (a 32-bit view costs more to set up than it saves). */
const WIDE_MIN = 128;
/** 32-bit words summed before a fold, so the double stays exact (2^20 words < 2^53 / 2^32). */
const WIDE_CHUNK = 1 << 20;

/**
 * The same sum over 32-bit little-endian loads. Since 2^16 = 1 (mod 0xffff), the sum of the words
 * read little-endian is the big-endian sum with its two bytes swapped, when the words start an even
 * number of bytes from `offset` (and the big-endian sum itself when they start an odd number, RFC 1071
 * §2(B) byte-order independence). The bytes before the first 4-byte-aligned address and after the
 * last whole word go through the 16-bit loop.
 */
function wideSum(b: Uint8Array, offset: number, end: number, initial: number): number {
  const lead = (4 - ((b.byteOffset + offset) & 3)) & 3;
  const start = offset + lead;
  const words = (end - start) >>> 2;
  const tail = start + words * 4;
  const view = new Uint32Array(b.buffer, b.byteOffset + start, words);
  let le = 0;
  for (let w = 0; w < words; ) {
    const stop = Math.min(words, w + WIDE_CHUNK);
    let acc = 0;
    for (; w < stop; w++) acc += view[w];
    le = (le + (acc % 0xffff)) % 0xffff;
  }
  if (le === 0 && words > 0 && !allZero(view)) le = 0xffff;
  // The lead bytes, big-endian words from offset (an odd lead leaves half a word, padded on the right).
  let sum = narrowSum(b, offset, start, initial);
  // The middle: swapped back when it starts on a word boundary of the big-endian sum.
  sum += (lead & 1) === 0 ? ((le & 0xff) << 8) | (le >>> 8) : le;
  // The tail starts on an odd byte when the lead was odd: its first byte is a low byte.
  if ((lead & 1) === 0) return narrowSum(b, tail, end, sum);
  return tail < end ? narrowSum(b, tail + 1, end, sum + b[tail]) : sum;
}

function allZero(view: Uint32Array): boolean {
  for (let i = 0; i < view.length; i++) if (view[i] !== 0) return false;
  return true;
}

function narrowSum(b: Uint8Array, offset: number, end: number, initial: number): number {
  let sum = initial;
  let i = offset;
  // Unrolled by 8 bytes; the sum stays exact in a double well past 2^32, folded at the end.
  const end8 = end - ((end - i) % 8);
  while (i < end8) {
    sum += ((b[i] << 8) | b[i + 1]) + ((b[i + 2] << 8) | b[i + 3]) + ((b[i + 4] << 8) | b[i + 5]) + ((b[i + 6] << 8) | b[i + 7]);
    i += 8;
    if (sum > 0x3fffffffffff) sum = fold32(sum);
  }
  while (i + 1 < end) {
    sum += (b[i] << 8) | b[i + 1];
    i += 2;
  }
  if (i < end) sum += b[i] << 8;
  return fold32(sum);
}

function fold32(sum: number): number {
  // Reduce a large non-negative integer modulo 0xffff preserving one's-complement arithmetic.
  while (sum > 0xffffffff) sum = (sum % 0x100000000) + Math.floor(sum / 0x100000000);
  return sum;
}

/** Folds a running sum to 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  sum = fold32(sum);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 checksum: one's complement of the folded one's-complement sum. */
export function internetChecksum(b: Uint8Array, offset = 0, length = b.length - offset, initial = 0): number {
  return ~foldSum(onesSum(b, offset, length, initial)) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (src, dst, zero, protocol, upper-layer length). */
export function ipv4PseudoSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return (
    ((src[0] << 8) | src[1]) +
    ((src[2] << 8) | src[3]) +
    ((dst[0] << 8) | dst[1]) +
    ((dst[2] << 8) | dst[3]) +
    protocol +
    (length & 0xffff) +
    Math.floor(length / 0x10000)
  );
}

/** Sum of the IPv6 pseudo-header (src, dst, 32-bit upper-layer length, next header). */
export function ipv6PseudoSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  let s = 0;
  for (let i = 0; i < 16; i += 2) s += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1]);
  return s + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/** Addresses of the nearest IP layer, for a pseudo-header. */
export interface PseudoHeaderSource {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
}

/** Sum of the pseudo-header for an upper-layer protocol carried in IPv4 or IPv6. */
export function pseudoHeaderSum(ip: PseudoHeaderSource, protocol: number, length: number): number {
  return ip.version === 4 ? ipv4PseudoSum(ip.src, ip.dst, protocol, length) : ipv6PseudoSum(ip.src, ip.dst, protocol, length);
}

/**
 * Checksum of an upper-layer segment (TCP, UDP, ICMPv6) with its pseudo-header. The checksum field
 * inside `segment` must already be zero (or the caller subtracts it): this sums exactly what it is given.
 */
export function transportChecksum(ip: PseudoHeaderSource, protocol: number, segment: Uint8Array, offset = 0, length = segment.length - offset): number {
  return internetChecksum(segment, offset, length, pseudoHeaderSum(ip, protocol, length));
}

/**
 * True when data that contains its own checksum field verifies: the one's-complement sum over it
 * (plus an optional pseudo-header sum) folds to 0xffff.
 */
export function verifiesTo(b: Uint8Array, offset: number, length: number, initial = 0): boolean {
  return foldSum(onesSum(b, offset, length, initial)) === 0xffff;
}

/**
 * RFC 1624 eqn. 3: new checksum HC' = ~(~HC + ~m + m') when a 16-bit word changes from m to m'.
 * Returns the updated checksum field value.
 */
export function incrementalUpdate16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1624 update for a changed byte range of even length (an address, a port). */
export function incrementalUpdate(checksum: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  if (oldBytes.length !== newBytes.length || oldBytes.length % 2 !== 0) {
    throw new NetlabRangeError(`incrementalUpdate: ranges must have the same even length (got ${oldBytes.length} and ${newBytes.length})`);
  }
  let c = checksum;
  for (let i = 0; i < oldBytes.length; i += 2) {
    c = incrementalUpdate16(c, (oldBytes[i] << 8) | oldBytes[i + 1], (newBytes[i] << 8) | newBytes[i + 1]);
  }
  return c;
}
