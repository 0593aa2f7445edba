// The random source a lab draws from: crypto-random in normal runs, seeded (and so repeatable) when
// writing fixtures. The seeded generator is sfc32 (Chris Doty-Humphrey's Small Fast Counter), seeded
// through splitmix32 from a string, so the same seed gives the same numbers on every machine.

import { randomBytes } from 'node:crypto';

export interface Random {
  /** True when seeded (fixture runs). */
  readonly seeded: boolean;
  /** An unsigned 32-bit integer. */
  uint32(): number;
  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** n random bytes. */
  bytes(n: number): Uint8Array;
}

function intFrom(next: () => number, min: number, max: number): number {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`int(${min}, ${max}): need integers with min <= max`);
  const span = max - min + 1;
  if (span > 0x1_0000_0000) throw new RangeError(`int(${min}, ${max}): the range is wider than 2^32`);
  // Rejection sampling so every value is equally likely.
  const limit = Math.floor(0x1_0000_0000 / span) * span;
  let x = next();
  while (x >= limit) x = next();
  return min + (x % span);
}

function bytesFrom(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const x = next();
    for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (x >>> (8 * k)) & 0xff;
  }
  return out;
}

/** Random numbers from the operating system (crypto.randomBytes). */
export function cryptoRandom(): Random {
  const next = (): number => randomBytes(4).readUInt32LE(0);
  return {
    seeded: false,
    uint32: next,
    int: (min, max) => intFrom(next, min, max),
    bytes: (n) => new Uint8Array(randomBytes(n)),
  };
}

/** FNV-1a over the UTF-16 code units of a string: turns a seed text into 32 bits. */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A repeatable generator for `seed` (sfc32 seeded by splitmix32). */
export function seededRandom(seed: string): Random {
  let s = hashSeed(seed);
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    seeded: true,
    uint32: next,
    int: (min, max) => intFrom(next, min, max),
    bytes: (n) => bytesFrom(next, n),
  };
}
