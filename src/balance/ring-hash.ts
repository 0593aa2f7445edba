// Consistent hashing on a ring (Karger et al.; ketama's layout): each endpoint is placed at
// `virtualNodes × weight` points, the hash of "NAME#i"; a key goes to the first point at or after its
// own hash, going round. Adding an endpoint to n takes about 1/(n+1) of the keys, all of them to the
// new endpoint; removing one moves only its own keys. The ring is built over the endpoints that may
// take requests and rebuilt when that set changes, which is the same as walking past a point whose
// endpoint is down.

import { NetlabRangeError } from '../base/errors.ts';
import type { Endpoint } from './endpoint.ts';
import { hashFunction, type HashName } from './hash.ts';
import type { PickContext, Policy } from './policy.ts';

export interface RingHashOptions {
  /** Points per endpoint of weight 1 (default 160, ketama's figure). */
  readonly virtualNodes?: number;
  /** Hash for points and keys (default fnv1a64). */
  readonly hash?: HashName;
}

/** A built ring: sorted positions and the endpoint at each. */
export interface Ring {
  readonly positions: Float64Array;
  readonly owners: readonly Endpoint[];
}

/** Builds the ring for `endpoints`. Equal positions are ordered by endpoint name. */
export function buildRing(endpoints: readonly Endpoint[], virtualNodes: number, hash: (k: string) => number): Ring {
  const points: { pos: number; e: Endpoint }[] = [];
  for (const e of endpoints) {
    const count = Math.max(1, Math.round(virtualNodes * e.weight));
    for (let i = 0; i < count; i++) points.push({ pos: hash(`${e.name}#${i}`), e });
  }
  points.sort((a, b) => a.pos - b.pos || (a.e.name < b.e.name ? -1 : a.e.name > b.e.name ? 1 : 0));
  return { positions: Float64Array.from(points, (p) => p.pos), owners: points.map((p) => p.e) };
}

/** The owner of the first point at or after `h`, wrapping to the first point. */
export function ringLookup(ring: Ring, h: number): Endpoint | undefined {
  const n = ring.positions.length;
  if (n === 0) return undefined;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.positions[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return ring.owners[lo === n ? 0 : lo];
}

/**
 * Remembers the candidate set a table was built for (the endpoints and their weights, in order), so a
 * pick can tell without allocating whether the table is still good.
 */
export class CandidateSet {
  private endpoints: readonly Endpoint[] = [];
  private weights: number[] = [];

  /** True when `candidates` is the remembered set. */
  same(candidates: readonly Endpoint[]): boolean {
    if (candidates.length !== this.endpoints.length) return false;
    for (let i = 0; i < candidates.length; i++) {
      if (candidates[i] !== this.endpoints[i] || candidates[i].weight !== this.weights[i]) return false;
    }
    return true;
  }

  remember(candidates: readonly Endpoint[]): void {
    this.endpoints = [...candidates];
    this.weights = candidates.map((e) => e.weight);
  }
}

export class RingHash implements Policy {
  readonly name = 'ring_hash' as const;
  readonly virtualNodes: number;
  private readonly hash: (k: string) => number;
  private ring: Ring | undefined;
  private readonly built = new CandidateSet();

  constructor(options: RingHashOptions = {}) {
    this.virtualNodes = options.virtualNodes ?? 160;
    if (!(Number.isInteger(this.virtualNodes) && this.virtualNodes >= 1 && this.virtualNodes <= 10_000)) {
      throw new NetlabRangeError(`ring_hash: virtualNodes must be an integer 1..10000, got ${this.virtualNodes}`, { layer: 'balance' });
    }
    this.hash = hashFunction(options.hash ?? 'fnv1a64');
  }

  /** The ring for these candidates (built once per candidate set). */
  ringFor(candidates: readonly Endpoint[]): Ring {
    if (this.ring === undefined || !this.built.same(candidates)) {
      this.ring = buildRing(candidates, this.virtualNodes, this.hash);
      this.built.remember(candidates);
    }
    return this.ring;
  }

  pick(ctx: PickContext): Endpoint | undefined {
    if (ctx.candidates.length === 0) return undefined;
    const key = ctx.hashKey ?? ctx.clientAddress ?? '';
    return ringLookup(this.ringFor(ctx.candidates), this.hash(key));
  }
}
