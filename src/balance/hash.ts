// The hash functions the hashing policies (IP hash, the consistent-hash ring, Maglev) share, written
// here over UTF-8 bytes: FNV-1a in 32 and 64 bits and MurmurHash3's 32-bit variant. All return
// unsigned numbers; the 64-bit FNV-1a is carried in two 32-bit halves (no BigInt on the hot path) and
// handed back either as its top 53 bits (an exact JavaScript number that keeps the hash's order) or as
// 16 hex digits.

const encoder = new TextEncoder();

/** Bytes of a key: strings are hashed as their UTF-8 encoding. */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? encoder.encode(key) : key;
}

/** True when every UTF-16 unit of `s` is below 0x80 (so its UTF-8 bytes are its char codes). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** FNV-1a, 32 bits (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(key: string | Uint8Array): number {
  let h = 0x811c9dc5;
  if (typeof key === 'string' && isAscii(key)) {
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }
  const b = keyBytes(key);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/** FNV-1a, 64 bits, as [high 32 bits, low 32 bits]. Prime 0x100000001b3 = 2^40 + 0x1b3. */
export function fnv1a64Parts(key: string | Uint8Array): [number, number] {
  const ascii = typeof key === 'string' && isAscii(key);
  const b = ascii ? undefined : keyBytes(key);
  const n = ascii ? key.length : (b as Uint8Array).length;
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < n; i++) {
    lo = (lo ^ (ascii ? (key as string).charCodeAt(i) : (b as Uint8Array)[i])) >>> 0;
    // h * (2^40 + 0x1b3) mod 2^64: the 0x1b3 part in two halves with the carry, plus lo << 40 into hi.
    const loMul = lo * 0x1b3; // < 2^41: exact
    const carry = Math.floor(loMul / 0x1_0000_0000);
    const hiMul = hi * 0x1b3 + carry + ((lo << 8) >>> 0); // < 2^42: exact
    lo = loMul >>> 0;
    hi = hiMul % 0x1_0000_0000 >>> 0;
  }
  return [hi, lo];
}

/** FNV-1a 64 as its top 53 bits: a number in [0, 2^53) ordered like the full hash. */
export function fnv1a64(key: string | Uint8Array): number {
  const [hi, lo] = fnv1a64Parts(key);
  return hi * 0x20_0000 + (lo >>> 11);
}

/** FNV-1a 64 as 16 lowercase hex digits (for tests and display). */
export function fnv1a64Hex(key: string | Uint8Array): string {
  const [hi, lo] = fnv1a64Parts(key);
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function rotl32(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** MurmurHash3 x86 32-bit with a seed. */
export function murmur3(key: string | Uint8Array, seed = 0): number {
  const b = keyBytes(key);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = b.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    k = Math.imul(k, c1);
    k = rotl32(k, 15);
    k = Math.imul(k, c2);
    h ^= k;
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  const tail = b.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= b[blocks + 2] << 16;
    if (tail >= 2) k ^= b[blocks + 1] << 8;
    k ^= b[blocks];
    k = Math.imul(k, c1);
    k = rotl32(k, 15);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= b.length;
  return fmix32(h);
}

/** MurmurHash3's 32-bit finaliser: every input bit changes each output bit with probability about 1/2. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 64-bit hash in two halves, avalanched and cut to 53 bits. FNV-1a alone is a poor ring position:
 * a key's last byte reaches the high bits only through one multiplication, so "a#1", "a#2", ... land
 * next to each other on the ring. The finaliser mixes both halves into every output bit.
 */
export function avalanche53(hi: number, lo: number): number {
  const a = fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
  const b = fmix32(hi ^ Math.imul(a, 0x85ebca6b));
  return b * 0x20_0000 + (a >>> 11);
}

/** The hash functions a config may name for the ring and Maglev. */
export type HashName = 'fnv1a64' | 'fnv1a32' | 'murmur3';
export const HASH_NAMES: readonly HashName[] = ['fnv1a64', 'fnv1a32', 'murmur3'];

/**
 * A hash by name for placing keys and points: a non-negative number (53 bits for fnv1a64, 32 for the
 * others). The FNV variants are followed by the finaliser (see avalanche53); murmur3 has its own.
 */
export function hashFunction(name: HashName): (key: string | Uint8Array) => number {
  switch (name) {
    case 'fnv1a64':
      return (k) => {
        const [hi, lo] = fnv1a64Parts(k);
        return avalanche53(hi, lo);
      };
    case 'fnv1a32':
      return (k) => fmix32(fnv1a32(k));
    case 'murmur3':
      return (k) => murmur3(k, 0);
  }
}
