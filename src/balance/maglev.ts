// Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
// NSDI 2016, section 3.4): a lookup table of prime size M; each endpoint's preference list is the
// permutation (offset + j × skip) mod M, with offset = h1(name) mod M and skip = h2(name) mod (M − 1) + 1;
// endpoints take turns claiming their next preferred free slot until the table is full. Each endpoint
// ends with ⌊M/n⌋ or ⌈M/n⌉ slots (near-perfect evenness), and removing an endpoint moves few slots
// besides its own (small disruption). Weights: an endpoint takes a turn each round in proportion to
// weight / maximum weight. A key goes to table[hash(key) mod M].

import { NetlabRangeError } from '../base/errors.ts';
import type { Endpoint } from './endpoint.ts';
import { hashFunction, murmur3, type HashName } from './hash.ts';
import type { PickContext, Policy } from './policy.ts';
import { CandidateSet } from './ring-hash.ts';

export interface MaglevOptions {
  /** Table size, a prime (default 65537, the paper's small size). Should be well above 100 × endpoints. */
  readonly tableSize?: number;
  /** Hash for keys (default fnv1a64). */
  readonly hash?: HashName;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** The lookup table: for each slot, the index of its endpoint in `endpoints` (−1 only when empty). */
export function buildMaglevTable(endpoints: readonly Endpoint[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const n = endpoints.length;
  if (n === 0) return table;
  const h1 = hashFunction('fnv1a64');
  const offset = endpoints.map((e) => h1(e.name) % size);
  const skip = endpoints.map((e) => (murmur3(e.name, 0x9747b28c) % (size - 1)) + 1);
  const next = new Array<number>(n).fill(0);
  const maxWeight = Math.max(...endpoints.map((e) => e.weight));
  const share = endpoints.map((e) => e.weight / maxWeight);
  const credit = new Array<number>(n).fill(0);
  let filled = 0;
  while (filled < size) {
    for (let i = 0; i < n && filled < size; i++) {
      credit[i] += share[i];
      if (credit[i] < 1 - 1e-9) continue;
      credit[i] -= 1;
      let slot = (offset[i] + next[i] * skip[i]) % size;
      while (table[slot] >= 0) {
        next[i]++;
        slot = (offset[i] + next[i] * skip[i]) % size;
      }
      table[slot] = i;
      next[i]++;
      filled++;
    }
  }
  return table;
}

export class Maglev implements Policy {
  readonly name = 'maglev' as const;
  readonly tableSize: number;
  private readonly hash: (k: string) => number;
  private table: Int32Array | undefined;
  private owners: readonly Endpoint[] = [];
  private readonly built = new CandidateSet();

  constructor(options: MaglevOptions = {}) {
    this.tableSize = options.tableSize ?? 65537;
    if (!isPrime(this.tableSize) || this.tableSize > 5_000_011) {
      throw new NetlabRangeError(`maglev: tableSize must be a prime no larger than 5000011, got ${this.tableSize}`, { layer: 'balance' });
    }
    this.hash = hashFunction(options.hash ?? 'fnv1a64');
  }

  /** The table and its endpoints for these candidates (built once per candidate set). */
  tableFor(candidates: readonly Endpoint[]): { table: Int32Array; owners: readonly Endpoint[] } {
    if (this.table === undefined || !this.built.same(candidates)) {
      this.table = buildMaglevTable(candidates, this.tableSize);
      this.owners = [...candidates];
      this.built.remember(candidates);
    }
    return { table: this.table, owners: this.owners };
  }

  pick(ctx: PickContext): Endpoint | undefined {
    if (ctx.candidates.length === 0) return undefined;
    const { table, owners } = this.tableFor(ctx.candidates);
    const key = ctx.hashKey ?? ctx.clientAddress ?? '';
    return owners[table[this.hash(key) % this.tableSize]];
  }
}
