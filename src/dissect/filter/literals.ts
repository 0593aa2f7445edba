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

/** Dotted-quad IPv4 address. */
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

/** RFC 4291 text form of an IPv6 address (with `::` and an embedded IPv4 tail). */
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
