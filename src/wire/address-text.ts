// Addresses as text, both ways: the one module for IPv4, IPv6 and MAC text in netlab. Formatting
// follows what tshark prints (RFC 5952 for IPv6, with IPv4-mapped addresses as ::ffff:a.b.c.d);
// parsing is strict (no leading '+', no empty groups, no zone ids) and returns undefined on bad text,
// so each caller decides how to report it (the `*OrThrow` forms throw a NetlabRangeError naming it).

import { NetlabRangeError } from '../base/errors.ts';

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 4 bytes (at `off`) as dotted-quad text. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** A 32-bit address held as a number, as dotted-quad text. */
export function formatIpv4Number(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** RFC 5952 text of 16 bytes (lower case, the longest run of two or more zero groups as "::"). */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[off + i] << 8) | b[off + i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses print with their IPv4 tail, as Wireshark and inet_ntop print them.
  const isMapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  if (isMapped) return `::ffff:${formatIpv4(b, off + 12)}`;
  const parts = g.map((x) => x.toString(16));
  if (bestStart < 0) return parts.join(':');
  return `${parts.slice(0, bestStart).join(':')}::${parts.slice(bestStart + bestLen).join(':')}`;
}

/** 6 bytes (at `off`) as 'aa:bb:cc:dd:ee:ff'. */
export function formatMac(b: Uint8Array, off = 0): string {
  return `${HEX2[b[off]]}:${HEX2[b[off + 1]]}:${HEX2[b[off + 2]]}:${HEX2[b[off + 3]]}:${HEX2[b[off + 4]]}:${HEX2[b[off + 5]]}`;
}

/** Dotted-quad text (four decimal numbers 0-255, at most three digits each) as 4 bytes. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 §2.2 text of an IPv6 address (with `::` and an embedded IPv4 tail) as 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** 'aa:bb:cc:dd:ee:ff' (or '-' or '.' separators, or 12 hex digits) as 6 bytes. */
export function parseMac(text: string): Uint8Array | undefined {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function parseIpv4OrThrow(text: string): Uint8Array {
  const b = parseIpv4(text.trim());
  if (b === undefined) throw new NetlabRangeError(`not an IPv4 address: '${text}' (expected four numbers 0-255 like 192.168.1.10)`, { layer: 'wire' });
  return b;
}

export function parseIpv6OrThrow(text: string): Uint8Array {
  const b = parseIpv6(text.trim());
  if (b === undefined) throw new NetlabRangeError(`not an IPv6 address: '${text}' (expected text like 2001:db8::1)`, { layer: 'wire' });
  return b;
}

export function parseMacOrThrow(text: string): Uint8Array {
  const b = parseMac(text.trim());
  if (b === undefined) throw new NetlabRangeError(`not a MAC address: '${text}' (expected six hex bytes like aa:bb:cc:dd:ee:ff)`, { layer: 'wire' });
  return b;
}
