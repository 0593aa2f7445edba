// The policies that draw at random (from the seeded generator in tests): weighted random, power of
// two choices (Mitzenmacher: draw two, take the less loaded, and the worst queue shrinks from
// O(log n / log log n) to O(log log n)), and peak-EWMA (Finagle's and Linkerd's: power of two choices
// on cost = latency estimate × (active + 1)).

import { NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import type { Endpoint } from './endpoint.ts';
import type { PickContext, Policy } from './policy.ts';

/** A uniform number in [0, 1) from 32 random bits. */
function unit(random: Random): number {
  return random.uint32() / 0x1_0000_0000;
}

/** Weighted random: each candidate with probability weight / total weight. */
export class RandomPolicy implements Policy {
  readonly name = 'random' as const;

  constructor(private readonly random: Random) {}

  pick(ctx: PickContext): Endpoint | undefined {
    const c = ctx.candidates;
    if (c.length === 0) return undefined;
    let total = 0;
    for (const e of c) total += e.weight;
    let r = unit(this.random) * total;
    for (const e of c) {
      r -= e.weight;
      if (r < 0) return e;
    }
    return c[c.length - 1];
  }
}

/** `k` distinct candidates drawn uniformly (all of them, in order, when k >= their number). */
export function drawDistinct(candidates: readonly Endpoint[], k: number, random: Random): Endpoint[] {
  const n = candidates.length;
  if (k >= n) return [...candidates];
  const idx = Array.from({ length: n }, (_, i) => i);
  const out: Endpoint[] = [];
  for (let i = 0; i < k; i++) {
    const j = random.int(i, n - 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
    out.push(candidates[idx[i]]);
  }
  return out;
}

/** Power of two choices: two distinct random candidates, the one with fewer active (the first drawn on a tie). */
export class PowerOfTwo implements Policy {
  readonly name = 'power_of_two' as const;

  constructor(private readonly random: Random) {}

  pick(ctx: PickContext): Endpoint | undefined {
    const c = ctx.candidates;
    if (c.length === 0) return undefined;
    if (c.length === 1) return c[0];
    const [a, b] = drawDistinct(c, 2, this.random);
    return b.active / b.weight < a.active / a.weight ? b : a;
  }
}

export interface PeakEwmaOptions {
  /** How many candidates to compare: 2 (default, as Finagle) or more; every candidate when >= their number. */
  readonly choices?: number;
}

/**
 * Peak EWMA: cost = peak-EWMA latency estimate at now × (active + 1), lowest cost wins among `choices`
 * random candidates. An endpoint with no sample yet costs 0, so a new endpoint is tried at once.
 */
export class PeakEwmaPolicy implements Policy {
  readonly name = 'peak_ewma' as const;
  readonly choices: number;

  constructor(
    private readonly random: Random,
    options: PeakEwmaOptions = {},
  ) {
    this.choices = options.choices ?? 2;
    if (!(Number.isInteger(this.choices) && this.choices >= 2)) throw new NetlabRangeError(`peak_ewma: choices must be an integer >= 2, got ${this.choices}`, { layer: 'balance' });
  }

  pick(ctx: PickContext): Endpoint | undefined {
    const c = ctx.candidates;
    if (c.length === 0) return undefined;
    if (c.length === 1) return c[0];
    const drawn = drawDistinct(c, this.choices, this.random);
    let best = drawn[0];
    let bestCost = Number.POSITIVE_INFINITY;
    for (const e of drawn) {
      const cost = (e.peak.estimate(ctx.now) ?? 0) * (e.active + 1);
      if (cost < bestCost) {
        best = e;
        bestCost = cost;
      }
    }
    return best;
  }
}
