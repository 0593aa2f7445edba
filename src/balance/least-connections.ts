// The policies that read how busy each endpoint is now: least connections, weighted least
// connections and least response time. Ties go round robin: each pick starts its scan one position
// further, so equally idle endpoints take turns instead of the first one taking everything.

import type { Endpoint } from './endpoint.ts';
import { lowestScore, type PickContext, type Policy } from './policy.ts';

/** The candidate with the fewest active requests. */
export class LeastConnections implements Policy {
  readonly name = 'least_connections' as const;
  private turn = 0;

  pick(ctx: PickContext): Endpoint | undefined {
    return lowestScore(ctx.candidates, (e) => e.active, this.turn++ % Math.max(1, ctx.candidates.length));
  }
}

/** The candidate with the lowest active / weight. */
export class WeightedLeastConnections implements Policy {
  readonly name = 'weighted_least_connections' as const;
  private turn = 0;

  pick(ctx: PickContext): Endpoint | undefined {
    return lowestScore(ctx.candidates, (e) => e.active / e.weight, this.turn++ % Math.max(1, ctx.candidates.length));
  }
}

/**
 * Least response time: the lowest (active + 1) × time-to-first-byte EWMA. The + 1 makes an idle fast
 * endpoint beat an idle slow one (active × TTFB alone scores every idle endpoint 0); an endpoint with
 * no sample yet scores 0 so it is tried. Ties go round robin.
 */
export class LeastTime implements Policy {
  readonly name = 'least_time' as const;
  private turn = 0;

  pick(ctx: PickContext): Endpoint | undefined {
    return lowestScore(ctx.candidates, (e) => (e.active + 1) * (e.ttfb.value ?? 0), this.turn++ % Math.max(1, ctx.candidates.length));
  }
}
