// The consistent-hashing lab's computations, all on netlab's own balancing code (src/balance): keys
// placed with hash % n, on a ring with virtual nodes (buildRing, ringLookup) and in a Maglev table
// (buildMaglevTable); shares, how many keys move when a server joins or leaves, and the spread of the
// shares (standard deviation and max over mean). Pure and fast: no sockets, no clock.

import { buildMaglevTable, buildRing, Endpoint, fnv1a32, hashFunction, ringLookup, type Ring } from '../../src/balance/index.ts';

/** The ring's and Maglev's key hash (netlab's default for both: FNV-1a 64, avalanched, 53 bits). */
export const keyHash = hashFunction('fnv1a64');

/** Keys as the lab names them: user-0001, user-0002, ... (the width grows with n). */
export function userKeys(n: number, width = 4): string[] {
  return Array.from({ length: n }, (_, i) => `user-${String(i + 1).padStart(width, '0')}`);
}

/** Endpoints named server1..serverN (the names the ring hashes: "server1#0", "server1#1", ...). */
export function servers(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint({ name: `server${i + 1}`, address: `127.82.1.${i + 1}`, port: 8000 }));
}

/** hash % n: the index of each key's server, with netlab's ip_hash hash (FNV-1a 32). */
export function moduloPlace(keys: readonly string[], n: number): number[] {
  return keys.map((k) => fnv1a32(k) % n);
}

/** The name of each key's server on a ring. */
export function ringPlace(ring: Ring, keys: readonly string[]): string[] {
  return keys.map((k) => ringLookup(ring, keyHash(k))?.name ?? '-');
}

export function ringOf(endpoints: readonly Endpoint[], virtualNodes: number): Ring {
  return buildRing(endpoints, virtualNodes, keyHash);
}

/** The name of each key's server in a Maglev table of `size` slots over `endpoints`. */
export function maglevPlace(endpoints: readonly Endpoint[], size: number, keys: readonly string[]): string[] {
  const table = buildMaglevTable(endpoints, size);
  return keys.map((k) => endpoints[table[keyHash(k) % size]]?.name ?? '-');
}

/** The endpoint name in each slot of a Maglev table of `size` slots. */
export function maglevTable(endpoints: readonly Endpoint[], size: number): string[] {
  return Array.from(buildMaglevTable(endpoints, size), (i) => endpoints[i]?.name ?? '-');
}

/** Slots per endpoint in a Maglev table (in the order of `endpoints`). */
export function maglevSlots(endpoints: readonly Endpoint[], size: number): number[] {
  const table = buildMaglevTable(endpoints, size);
  const out = endpoints.map(() => 0);
  for (const i of table) out[i]++;
  return out;
}

/**
 * The fraction of the ring each endpoint owns (the arcs ending at its points, measured exactly on the
 * hash's 53-bit circle), in the order of `endpoints`.
 */
export function ringShares(ring: Ring, endpoints: readonly Endpoint[]): number[] {
  const full = 2 ** 53;
  const n = ring.positions.length;
  const own = new Map<string, number>(endpoints.map((e) => [e.name, 0]));
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? ring.positions[n - 1] - full : ring.positions[i - 1];
    const name = ring.owners[i].name;
    own.set(name, (own.get(name) ?? 0) + (ring.positions[i] - prev));
  }
  return endpoints.map((e) => (own.get(e.name) ?? 0) / full);
}

/** How many of each name in `placed`, in the order of `names`. */
export function tally(placed: readonly string[], names: readonly string[]): number[] {
  return names.map((n) => placed.filter((p) => p === n).length);
}

/** Population standard deviation over the mean, and the largest over the mean. */
export function spread(values: readonly number[]): { cv: number; maxOverMean: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { cv: sd / mean, maxOverMean: Math.max(...values) / mean };
}

/** Indexes where two placements differ. */
export function movedIndexes<T>(before: readonly T[], after: readonly T[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) out.push(i);
  return out;
}
