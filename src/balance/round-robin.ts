// Round robin and nginx's smooth weighted round robin.

import type { Endpoint } from './endpoint.ts';
import type { FinishInfo, PickContext, Policy } from './policy.ts';

/**
 * Plain round robin: the next candidate after the one picked last, in cluster order. Keeping the
 * position in the full list (not a counter over the candidates) means that when b of a,b,c goes down
 * the order becomes a,c,a,c and, when b returns, a,b,c again from where it was.
 */
export class RoundRobin implements Policy {
  readonly name = 'round_robin' as const;
  private last = -1;

  pick(ctx: PickContext): Endpoint | undefined {
    const { all, candidates } = ctx;
    if (candidates.length === 0) return undefined;
    if (candidates.length === all.length) {
      // Everyone may be picked (the common case): no set to build.
      this.last = (this.last + 1) % all.length;
      return all[this.last];
    }
    const ok = new Set(candidates);
    for (let i = 1; i <= all.length; i++) {
      const idx = (this.last + i) % all.length;
      if (ok.has(all[idx])) {
        this.last = idx;
        return all[idx];
      }
    }
    return candidates[0];
  }
}

export interface SmoothWrrOptions {
  /**
   * nginx's max_fails: a failure lowers an endpoint's effective weight by weight / maxFails, and each
   * later pick raises it by 1 again up to the weight. Default 1.
   */
  readonly maxFails?: number;
}

interface WrrState {
  current: number;
  effective: number;
}

/**
 * Smooth weighted round robin as nginx does it: on each pick every candidate's `current` grows by its
 * effective weight, the largest `current` wins (the first in cluster order on a tie), and the winner's
 * `current` drops by the sum of the effective weights. Weights 5,1,1 give a a b a c a a: the heavy
 * endpoint's turns are spread out, not bunched as 5 a's then b then c.
 * A failure (a connection error, or 502/503/504) lowers the effective weight; picks restore it.
 */
export class SmoothWeightedRoundRobin implements Policy {
  readonly name = 'weighted_round_robin' as const;
  private readonly state = new Map<Endpoint, WrrState>();
  private readonly maxFails: number;

  constructor(options: SmoothWrrOptions = {}) {
    this.maxFails = options.maxFails ?? 1;
  }

  private stateOf(e: Endpoint): WrrState {
    let s = this.state.get(e);
    if (s === undefined) {
      s = { current: 0, effective: e.weight };
      this.state.set(e, s);
    }
    return s;
  }

  /** The current and effective weight of an endpoint (for tests and the lab's table). */
  weights(e: Endpoint): { current: number; effective: number } {
    const s = this.stateOf(e);
    return { current: s.current, effective: s.effective };
  }

  pick(ctx: PickContext): Endpoint | undefined {
    let best: Endpoint | undefined;
    let bestState: WrrState | undefined;
    let total = 0;
    for (const e of ctx.candidates) {
      const s = this.stateOf(e);
      s.current += s.effective;
      total += s.effective;
      if (s.effective < e.weight) s.effective = Math.min(e.weight, s.effective + 1);
      if (bestState === undefined || s.current > bestState.current) {
        best = e;
        bestState = s;
      }
    }
    if (bestState !== undefined) bestState.current -= total;
    // Endpoints no longer in the cluster are forgotten.
    if (this.state.size > ctx.all.length) {
      const live = new Set(ctx.all);
      for (const e of this.state.keys()) if (!live.has(e)) this.state.delete(e);
    }
    return best;
  }

  onFinish(endpoint: Endpoint, info: FinishInfo): void {
    const failed = info.error !== undefined || info.status === 502 || info.status === 503 || info.status === 504;
    if (!failed) return;
    const s = this.stateOf(endpoint);
    s.effective = Math.max(0, s.effective - endpoint.weight / this.maxFails);
  }
}
