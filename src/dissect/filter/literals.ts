// Reading the literals of a display filter: numbers (decimal, 0x hex, 0 octal, 0b binary),
// IPv4/IPv6 addresses with an optional prefix, MAC addresses and byte strings (`aa:bb:cc`,
// `aa-bb-cc`, `aabb.cc00`, `aabbcc`). Each returns undefined when the text is not one.

/** An integer literal as Wireshark reads it; undefined when it is not one (`09`, `1e2`, `0x`). */
export function parseInteger(text: string): bigint | undefined {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2];
  let v: bigint;
  if (/^0[xXbB]/.test(body)) v = BigInt(body.toLowerCase());
  else if (body.length > 1 && body[0] === '0') v = BigInt('0o' + body.slice(1));
  else v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

/** A decimal number with optional fraction and exponent (floats, relative times). */
export function parseFloatLiteral(text: string): number | undefined {
  if (!/^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) {
    const i = parseInteger(text);
    return i === undefined ? undefined : Number(i);
  }
  return Number(text);
}

export { parseIpv4, parseIpv6 } from '../../wire/address-text.ts';

/**
 * A byte string: hex bytes separated by `:`, `-` or `.` (one or two digits each), dotted groups of
 * four digits (`6cf0.49b2.de6e`), or an even run of hex digits with no separator.
 */
export function parseByteString(text: string): Uint8Array | undefined {
  let hexes: string[];
  if (/^[0-9a-fA-F]{1,2}([:\-.][0-9a-fA-F]{1,2})*$/.test(text)) {
    hexes = text.split(/[:\-.]/).map((h) => h.padStart(2, '0'));
  } else if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})+$/.test(text)) {
    hexes = text.replace(/\./g, '').match(/../g) as string[];
  } else if (/^([0-9a-fA-F]{2})+$/.test(text)) {
    hexes = text.match(/../g) as string[];
  } else {
    return undefined;
  }
  return Uint8Array.from(hexes.map((h) => parseInt(h, 16)));
}

/** Splits `addr/bits` into its parts; bits undefined when there is no slash. */
export function splitPrefix(text: string): { addr: string; bits?: string } {
  const i = text.lastIndexOf('/');
  if (i < 0) return { addr: text };
  return { addr: text.slice(0, i), bits: text.slice(i + 1) };
}
