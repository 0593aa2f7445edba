// Sequence number arithmetic (RFC 9293 §3.4): sequence numbers live modulo 2^32, and "a < b" means b
// lies less than 2^31 ahead of a. Every comparison of sequence or acknowledgment numbers in tcp/ goes
// through these functions.

/** a + n, modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** How far b lies ahead of a (negative when behind), in -2^31..2^31-1. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(b, a) > 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(b, a) >= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** True when lo <= x < hi (modulo 2^32). */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return seqLe(lo, x) && seqLt(x, hi);
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}
