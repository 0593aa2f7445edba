// The one interface every balancing policy implements, and what a pick is given.
//
// A policy never filters endpoints itself: the Balancer hands it `candidates`, the endpoints that may
// take a new request now (healthy, not ejected, not draining, not excluded by a retry), in the
// cluster's order, and `all`, every endpoint of the cluster in that order (IP hash needs the full list
// so `hash % n` does not shift when one endpoint goes down). The hooks let a policy keep state of its
// own (smooth WRR lowers an endpoint's effective weight after a failure); the counters every policy
// reads (active, EWMAs) are kept by the Balancer on the Endpoint before the hook runs.

import type { Endpoint } from './endpoint.ts';

/** What a request (L7) or a connection (L4) offers a policy to decide on. */
export interface RequestContext {
  /** The client's address (after trusted-proxy processing), for IP hash and client-address stickiness. */
  readonly clientAddress?: string;
  /** The key the hashing policies hash (a header, a cookie, the path...); default: the client address. */
  readonly hashKey?: string;
  /** Endpoints not to pick (a retry excludes those already tried). */
  readonly exclude?: ReadonlySet<string>;
}

export interface PickContext extends RequestContext {
  /** Endpoints that may take a new request, in cluster order (never empty when pick is called). */
  readonly candidates: readonly Endpoint[];
  /** Every endpoint of the cluster, in cluster order. */
  readonly all: readonly Endpoint[];
  /** Clock time (ms). */
  readonly now: number;
}

/** How a request on an endpoint ended. */
export interface FinishInfo {
  /** Time from start to the first response byte, in ms; undefined when none came. */
  readonly ttfbMs?: number;
  /** Time from start to the end, in ms. */
  readonly durationMs: number;
  /** HTTP status (L7); undefined for L4 or when no response came. */
  readonly status?: number;
  /** Set when the request failed without a complete response. */
  readonly error?: FailureKind;
}

/** connect: no connection was made; reset: the peer reset; timeout: a timeout fired; other: anything else. */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'other';

export type PolicyName =
  | 'round_robin'
  | 'weighted_round_robin'
  | 'least_connections'
  | 'weighted_least_connections'
  | 'ip_hash'
  | 'least_time'
  | 'ring_hash'
  | 'maglev'
  | 'power_of_two'
  | 'peak_ewma'
  | 'random';

export const POLICY_NAMES: readonly PolicyName[] = [
  'round_robin',
  'weighted_round_robin',
  'least_connections',
  'weighted_least_connections',
  'ip_hash',
  'least_time',
  'ring_hash',
  'maglev',
  'power_of_two',
  'peak_ewma',
  'random',
];

export interface Policy {
  readonly name: PolicyName;
  /** An endpoint from `ctx.candidates`, or undefined when the policy cannot choose (no candidates). */
  pick(ctx: PickContext): Endpoint | undefined;
  /** A request started on `endpoint` (after `active` was counted up). */
  onStart?(endpoint: Endpoint, now: number): void;
  /** A request on `endpoint` ended (after `active` was counted down and the EWMAs updated). */
  onFinish?(endpoint: Endpoint, info: FinishInfo, now: number): void;
}

/**
 * The candidate with the lowest score; among equal scores, the first at or after position `start`
 * (so a caller that moves `start` on each pick spreads ties round robin).
 */
export function lowestScore(candidates: readonly Endpoint[], score: (e: Endpoint) => number, start: number): Endpoint | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  let best: Endpoint | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const e = candidates[(start + i) % n];
    const s = score(e);
    if (best === undefined || s < bestScore) {
      best = e;
      bestScore = s;
    }
  }
  return best;
}
