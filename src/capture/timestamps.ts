// Timestamp conversions shared by the readers and writers.

import { NetlabRangeError } from '../base/errors.ts';

/**
 * The nanoseconds of a classic pcap record, as Wireshark 4.0 computes them: the microsecond field
 * times 1000 (or the nanosecond field) in 32-bit arithmetic, kept as a signed 32-bit number and never
 * carried into the seconds. A microsecond field of 1,000,000 gives 1e9 nanoseconds (tshark prints
 * `S.1000000000`), 0x80000000 wraps to 0, and 0xffffffff becomes -1000.
 */
export function pcapFractionToNsec(fraction: number, nanosecondMagic: boolean): number {
  return nanosecondMagic ? fraction | 0 : (fraction * 1000) | 0;
}

/** The fraction field is outside 0..999999 (usec) or 0..999999999 (nsec). */
export function pcapFractionOutOfRange(fraction: number, nanosecondMagic: boolean): boolean {
  return fraction >= (nanosecondMagic ? 1_000_000_000 : 1_000_000);
}

const NS_PER_SEC = 1_000_000_000n;

/**
 * Seconds and nanoseconds of a pcapng 64-bit timestamp with `ticksPerSecond` units, plus the
 * interface's if_tsoffset seconds. The sub-second part is truncated to whole nanoseconds.
 */
export function ticksToTime(high: number, low: number, ticksPerSecond: bigint, offsetSeconds: bigint): { tsSec: number; tsNsec: number } {
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const sec = ticks / ticksPerSecond + offsetSeconds;
  const rem = ticks % ticksPerSecond;
  return { tsSec: Number(sec), tsNsec: Number((rem * NS_PER_SEC) / ticksPerSecond) };
}

/** Nanosecond ticks for a pcapng writer with if_tsresol 9, as the two 32-bit halves. */
export function timeToNsTicks(tsSec: number, tsNsec: number): { high: number; low: number } {
  const ticks = BigInt(tsSec) * NS_PER_SEC + BigInt(tsNsec);
  return { high: Number(ticks >> 32n), low: Number(ticks & 0xffffffffn) };
}

/** Throws a RangeError for a timestamp a writer cannot store. */
export function checkWritableTime(tsSec: number, tsNsec: number, maxSec: number): void {
  if (!Number.isInteger(tsSec) || tsSec < 0 || tsSec > maxSec) {
    throw new NetlabRangeError(`tsSec must be an integer from 0 to ${maxSec}, got ${tsSec}`);
  }
  if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= 1e9) {
    throw new NetlabRangeError(`tsNsec must be an integer from 0 to 999999999, got ${tsNsec}`);
  }
}
