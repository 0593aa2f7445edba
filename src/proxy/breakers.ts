// Circuit breaking at run time for one cluster: the config's `circuitBreakers` made into Envoy's four
// thresholds (features/circuit-breaker.ts ClusterLimits: requests, pending requests, connections,
// retries) and, when `endpoint` is set, an EndpointBreaker per endpoint (closed / open / half-open with
// probes). forward.ts asks it before each step; an overflow is answered 503 with X-Netlab-Overflow
// naming the threshold, and an open endpoint is left out of the balancer's pick.

import type { NetClock } from '../base/timer-clock.ts';
import type { Attempt, AttemptOutcome } from '../balance/index.ts';
import type { HttpConnectionPool, Upstream } from '../http/index.ts';
import type { CircuitBreakersConfig } from './config-features.ts';
import {
  type BreakerPermit,
  type BreakerState,
  ClusterLimits,
  type ClusterOverflow,
  type ClusterResource,
  type ClusterSlot,
  EndpointBreaker,
  type TripRule,
} from './features/circuit-breaker.ts';

export interface ClusterBreakersOptions {
  readonly clock: NetClock;
  readonly onOverflow?: (resource: ClusterResource) => void;
  readonly onTransition?: (endpoint: string, from: BreakerState, to: BreakerState) => void;
}

/** The header an overflow answer carries, naming the threshold (or `breaker-open`). */
export const OVERFLOW_HEADER = 'X-Netlab-Overflow';

export class ClusterBreakers {
  readonly config: CircuitBreakersConfig;
  readonly limits: ClusterLimits;
  private readonly breakers = new Map<string, EndpointBreaker>();
  private readonly opts: ClusterBreakersOptions;
  private connectionOverflows = 0;

  constructor(config: CircuitBreakersConfig, options: ClusterBreakersOptions) {
    this.config = config;
    this.opts = options;
    this.limits = new ClusterLimits({
      maxConnections: config.maxConnections,
      maxPendingRequests: config.maxPendingRequests,
      maxRequests: config.maxRequests,
      maxRetries: config.maxRetries,
    });
  }

  /** Takes a slot of a resource; an overflow is counted and reported. */
  acquire(resource: ClusterResource): ClusterSlot | ClusterOverflow {
    const s = this.limits.acquire(resource);
    if (!s.ok) this.opts.onOverflow?.(resource);
    return s;
  }

  /**
   * Before leasing a connection to `up`: nothing to hold when an idle one is ready; otherwise a new
   * connection is needed (refused at maxConnections over the whole cluster) and the request waits
   * for it as a pending request (refused at maxPendingRequests).
   */
  beforeLease(pool: HttpConnectionPool, all: readonly Upstream[], up: Upstream): ClusterSlot | ClusterOverflow | undefined {
    if (pool.stats(up).idle > 0) return undefined;
    let open = 0;
    for (const u of all) {
      const s = pool.stats(u);
      open += s.busy + s.idle + s.connecting;
    }
    const max = this.limits.limits.connections;
    if (open >= max && pool.stats(up).waiting === 0) {
      this.connectionOverflows++;
      this.opts.onOverflow?.('connections');
      return { ok: false, resource: 'connections', limit: max };
    }
    return this.acquire('pending');
  }

  /** Connection overflows so far (the pool holds the connections; this counts the refusals). */
  get connectionOverflowCount(): number {
    return this.connectionOverflows;
  }

  /** The endpoint's breaker (made on first use), or undefined when endpoint breakers are off. */
  breaker(endpoint: string): EndpointBreaker | undefined {
    const c = this.config.endpoint;
    if (c === undefined) return undefined;
    let b = this.breakers.get(endpoint);
    if (b === undefined) {
      const trip: TripRule =
        'consecutiveFailures' in c.trip
          ? { kind: 'consecutive', failures: c.trip.consecutiveFailures }
          : { kind: 'rate', failureRate: c.trip.failureRate, minRequests: c.trip.minRequests, windowMs: c.trip.windowMs };
      b = new EndpointBreaker({
        clock: this.opts.clock,
        trip,
        openMs: c.openMs,
        ...(c.maxOpenMs === undefined ? {} : { maxOpenMs: c.maxOpenMs }),
        probes: c.probes,
        successesToClose: c.successesToClose,
        onTransition: (from, to) => this.opts.onTransition?.(endpoint, from, to),
      });
      this.breakers.set(endpoint, b);
    }
    return b;
  }

  /** Names of the endpoints whose breaker is open now (the balancer must skip them). */
  openEndpoints(): Set<string> {
    const out = new Set<string>();
    for (const [name, b] of this.breakers) if (b.state === 'open') out.add(name);
    return out;
  }

  /** Breaker states by endpoint (only endpoints seen so far). */
  states(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [name, b] of this.breakers) out[name] = b.state;
    return out;
  }
}

/**
 * An attempt whose outcome also reaches the endpoint's breaker: a response under 500 is a success,
 * a 5xx or no response a failure, except when `clientLeft()` says the client went away first (the
 * exchange was cut from the client's side): that is no news of the endpoint, and is not counted.
 */
export function withBreaker(
  attempt: Attempt,
  permit: BreakerPermit | undefined,
  clientLeft: () => boolean = () => false,
): { finish(o: AttemptOutcome): void; firstByte(): number } {
  if (permit === undefined) return attempt;
  return {
    firstByte: () => attempt.firstByte(),
    finish: (o: AttemptOutcome) => {
      attempt.finish(o);
      if (o.error === undefined && (o.status === undefined || o.status < 500)) permit.success();
      else if (clientLeft()) permit.cancel();
      else permit.failure();
    },
  };
}
