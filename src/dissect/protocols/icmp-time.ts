// Time and number text ICMP shows as Wireshark does: lifetimes in words, the timestamp Wireshark
// finds at the start of echo data, and FT_DOUBLE as -T fields prints it (also used by ICMPv6 and DNS).

import type { NsTime } from '../frame-fields.ts';

/** "3 minutes, 20 seconds" (Wireshark's time_secs_to_str). */
export function secsToText(total: number): string {
  if (total === 0) return '0 seconds';
  const parts: string[] = [];
  const unit = (n: number, name: string): void => {
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(total / 86400), 'day');
  unit(Math.floor((total % 86400) / 3600), 'hour');
  unit(Math.floor((total % 3600) / 60), 'minute');
  unit(total % 60, 'second');
  return parts.join(', ');
}

/** "4 hours, 28 minutes, 51.171 seconds" (Wireshark's time_msecs_to_str). */
export function msecsToText(ms: number): string {
  if (ms === 0) return '0 seconds';
  const secs = Math.floor(ms / 1000);
  const frac = ms % 1000;
  const parts: string[] = [];
  const unit = (n: number, name: string): void => {
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(secs / 86400), 'day');
  unit(Math.floor((secs % 86400) / 3600), 'hour');
  unit(Math.floor((secs % 3600) / 60), 'minute');
  const s = secs % 60;
  if (frac > 0) parts.push(`${s}.${String(frac).padStart(3, '0')} seconds`);
  else unit(s, 'second');
  return parts.join(', ');
}

export const MS_PER_DAY = 86400000;

/** Wireshark's guess between big- and little-endian for an ICMP timestamp (ms since midnight UT). */
export function bestGuessMsOfDay(b: Uint8Array, at: number, frameMs: number): number {
  const be = (((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) & 0x7fffffff) >>> 0;
  const le = (((b[at + 3] << 24) | (b[at + 2] << 16) | (b[at + 1] << 8) | b[at]) & 0x7fffffff) >>> 0;
  if (be < MS_PER_DAY && le >= MS_PER_DAY) return be;
  if (le < MS_PER_DAY && be >= MS_PER_DAY) return le;
  const diff = (x: number): number => (x - frameMs) >>> 0;
  if (be < MS_PER_DAY && le < MS_PER_DAY) {
    let b2 = be;
    let l2 = le;
    if (b2 < frameMs && b2 <= MS_PER_DAY / 4 && frameMs >= MS_PER_DAY - MS_PER_DAY / 4) b2 += MS_PER_DAY;
    if (l2 < frameMs && l2 <= MS_PER_DAY / 4 && frameMs >= MS_PER_DAY - MS_PER_DAY / 4) l2 += MS_PER_DAY;
    return diff(b2) < diff(l2) ? be : le;
  }
  return diff(be) < diff(le) ? be : le;
}

/**
 * The timestamp Wireshark reads from the first 8 bytes of echo data (seconds and microseconds, either
 * byte order), when it lies within a day of the frame's time.
 */
export function echoDataTimestamp(frame: Uint8Array, dataOffset: number, dataEnd: number, now: NsTime): NsTime | undefined {
  if (dataEnd - dataOffset < 8) return undefined;
  const be = (i: number): number => ((frame[i] << 24) | (frame[i + 1] << 16) | (frame[i + 2] << 8) | frame[i + 3]) >>> 0;
  const le = (i: number): number => ((frame[i + 3] << 24) | (frame[i + 2] << 16) | (frame[i + 1] << 8) | frame[i]) >>> 0;
  // Seconds are compared as 32-bit signed differences, as Wireshark does.
  const near = (secs: number, usecs: number): boolean => Math.abs((secs - now.secs) | 0) < 86400 && usecs < 1000000;
  let secs = be(dataOffset);
  let usecs = be(dataOffset + 4);
  if (!near(secs, usecs)) {
    secs = le(dataOffset);
    usecs = le(dataOffset + 4);
  }
  if (!near(secs, usecs)) return undefined;
  // Seconds are a signed 32-bit time_t in Wireshark's nstime.
  return { secs: secs | 0, nsecs: usecs * 1000 };
}

/** A double as tshark prints FT_DOUBLE with -T fields (%.15g, no trailing zeros). */
export function formatDouble(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -5 || exp >= 15) {
    const [m, e] = x.toExponential(14).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toPrecision(15);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
