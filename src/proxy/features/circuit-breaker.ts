// Circuit breaking, free of sockets.
//
// ClusterLimits: per-cluster ceilings on connections, pending requests, requests and retries
// (Envoy's circuit-breaker thresholds): counters with acquire/release, so a cluster in trouble cannot
// pile up unbounded work; an acquire beyond the ceiling is refused (the proxy answers 503).
//
// EndpointBreaker: a breaker per endpoint with three states.
//   closed     every request goes through; results are counted;
//   open       (after the trip rule fired) every request is refused at once, for openMs;
//   half-open  (after openMs) up to `probes` requests at a time go through as probes; one probe
//              failing opens the breaker again (openMs doubling up to maxOpenMs), `successesToClose`
//              probe successes close it.
// Trip rules: N consecutive failures, or a failure rate over a rolling window with a minimum number
// of requests. Results of requests begun before the last state change are ignored (they describe
// the endpoint as it was).

import { NetlabError, NetlabRangeError } from '../../base/errors.ts';
import type { NetClock } from '../../base/timer-clock.ts';

const LAYER = { layer: 'proxy' } as const;

function whole(what: string, v: number, min = 1): number {
  if (!(Number.isInteger(v) && v >= min)) throw new NetlabRangeError(`${what} must be a whole number, ${min} or more, got ${v}`, LAYER);
  return v;
}

export type ClusterResource = 'connections' | 'pending' | 'requests' | 'retries';
const RESOURCES: readonly ClusterResource[] = ['connections', 'pending', 'requests', 'retries'];

export interface ClusterLimitsOptions {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

/** A resource held: release() once when done (more calls do nothing). */
export interface ClusterSlot {
  readonly ok: true;
  readonly resource: ClusterResource;
  release(): void;
}

/** A resource refused: the cluster is at its ceiling for it. */
export interface ClusterOverflow {
  readonly ok: false;
  readonly resource: ClusterResource;
  readonly limit: number;
}

/** Per-cluster ceilings (Envoy's defaults are 1024 connections, pending and requests, and 3 retries). */
export class ClusterLimits {
  private readonly max: Record<ClusterResource, number>;
  private readonly used: Record<ClusterResource, number> = { connections: 0, pending: 0, requests: 0, retries: 0 };
  private readonly overflowCount: Record<ClusterResource, number> = { connections: 0, pending: 0, requests: 0, retries: 0 };

  constructor(o: ClusterLimitsOptions = {}) {
    this.max = {
      connections: whole('maxConnections', o.maxConnections ?? 1024),
      pending: whole('maxPendingRequests', o.maxPendingRequests ?? 1024),
      requests: whole('maxRequests', o.maxRequests ?? 1024),
      retries: whole('maxRetries', o.maxRetries ?? 3, 0),
    };
  }

  acquire(resource: ClusterResource): ClusterSlot | ClusterOverflow {
    if (!RESOURCES.includes(resource))
      throw new NetlabError('ERR_ARGUMENT', `unknown cluster resource ${JSON.stringify(resource)}; expected one of ${RESOURCES.join(', ')}`, LAYER);
    if (this.used[resource] >= this.max[resource]) {
      this.overflowCount[resource]++;
      return { ok: false, resource, limit: this.max[resource] };
    }
    this.used[resource]++;
    let done = false;
    return {
      ok: true,
      resource,
      release: () => {
        if (done) return;
        done = true;
        this.used[resource]--;
      },
    };
  }

  /** In use now, per resource. */
  get inUse(): Readonly<Record<ClusterResource, number>> {
    return { ...this.used };
  }

  /** Acquires refused so far, per resource. */
  get overflows(): Readonly<Record<ClusterResource, number>> {
    return { ...this.overflowCount };
  }

  get limits(): Readonly<Record<ClusterResource, number>> {
    return { ...this.max };
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type TripRule =
  | { readonly kind: 'consecutive'; readonly failures: number }
  | {
      readonly kind: 'rate';
      /** Trip when failures / requests in the window reach this share (0 < share <= 1). */
      readonly failureRate: number;
      /** ...and the window holds at least this many results. */
      readonly minRequests: number;
      readonly windowMs: number;
      /** Buckets the window is counted in (default 10). */
      readonly buckets?: number;
    };

export interface EndpointBreakerOptions {
  readonly clock: NetClock;
  readonly trip: TripRule;
  /** How long the breaker stays open before probing. */
  readonly openMs: number;
  /** Longest open time when repeated probe failures double it (default openMs: no doubling). */
  readonly maxOpenMs?: number;
  /** Probes allowed at once in half-open (default 1). */
  readonly probes?: number;
  /** Probe successes that close the breaker (default 1). */
  readonly successesToClose?: number;
  /** Told of every state change. */
  readonly onTransition?: (from: BreakerState, to: BreakerState, atMs: number) => void;
}

/** A request let through: report its outcome once (later reports do nothing). */
export interface BreakerPermit {
  readonly allowed: true;
  /** True when the breaker is half-open and this request is a probe. */
  readonly probe: boolean;
  success(): void;
  failure(): void;
  /**
   * The request ended for a reason that says nothing about the endpoint (the client went away):
   * nothing is counted, and a probe's place is freed for the next request.
   */
  cancel(): void;
}

/** A request refused because the breaker is open (or half-open with every probe place taken). */
export interface BreakerReject {
  readonly allowed: false;
  readonly state: BreakerState;
  /** Milliseconds until the breaker will let a probe through (0 when waiting for probes in flight). */
  readonly retryInMs: number;
}

export class EndpointBreaker {
  private readonly clock: NetClock;
  private readonly trip: TripRule;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly probes: number;
  private readonly successesToClose: number;
  private readonly onTransition?: (from: BreakerState, to: BreakerState, atMs: number) => void;
  private current: BreakerState = 'closed';
  private generation = 0;
  private consecutive = 0;
  private openedAt = 0;
  private openMs: number;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly bucketMs: number = 0;
  private readonly bucketStart: number[] = [];
  private readonly bucketOk: number[] = [];
  private readonly bucketFail: number[] = [];

  constructor(o: EndpointBreakerOptions) {
    this.clock = o.clock;
    if (o.trip.kind === 'consecutive') whole('trip.failures', o.trip.failures);
    else if (o.trip.kind === 'rate') {
      if (!(o.trip.failureRate > 0 && o.trip.failureRate <= 1))
        throw new NetlabRangeError(`trip.failureRate must be above 0 and at most 1, got ${o.trip.failureRate}`, LAYER);
      whole('trip.minRequests', o.trip.minRequests);
      if (!(o.trip.windowMs > 0)) throw new NetlabRangeError(`trip.windowMs must be above 0, got ${o.trip.windowMs}`, LAYER);
      const n = whole('trip.buckets', o.trip.buckets ?? 10);
      this.bucketMs = o.trip.windowMs / n;
      for (let i = 0; i < n; i++) {
        this.bucketStart.push(-Infinity);
        this.bucketOk.push(0);
        this.bucketFail.push(0);
      }
    } else
      throw new NetlabError(
        'ERR_ARGUMENT',
        `unknown trip rule kind ${JSON.stringify((o.trip as { kind: unknown }).kind)}; expected consecutive or rate`,
        LAYER,
      );
    this.trip = o.trip;
    if (!(o.openMs > 0)) throw new NetlabRangeError(`openMs must be above 0, got ${o.openMs}`, LAYER);
    this.baseOpenMs = o.openMs;
    this.openMs = o.openMs;
    this.maxOpenMs = o.maxOpenMs ?? o.openMs;
    if (!(this.maxOpenMs >= o.openMs)) throw new NetlabRangeError(`maxOpenMs must be at least openMs (${o.openMs}), got ${this.maxOpenMs}`, LAYER);
    this.probes = whole('probes', o.probes ?? 1);
    this.successesToClose = whole('successesToClose', o.successesToClose ?? 1);
    this.onTransition = o.onTransition;
  }

  /** The state now (an open breaker whose time is up reads as half-open). */
  get state(): BreakerState {
    this.tick();
    return this.current;
  }

  /** Failures and total results in the rolling window (rate rule), or consecutive failures. */
  get counts(): { readonly failures: number; readonly total: number } {
    if (this.trip.kind === 'consecutive') return { failures: this.consecutive, total: this.consecutive };
    const now = this.clock.now();
    let f = 0;
    let t = 0;
    for (let i = 0; i < this.bucketStart.length; i++) {
      if (this.bucketStart[i] > now - this.trip.windowMs) {
        f += this.bucketFail[i];
        t += this.bucketFail[i] + this.bucketOk[i];
      }
    }
    return { failures: f, total: t };
  }

  private move(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    this.generation++;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    if (to === 'open') this.openedAt = this.clock.now();
    if (to === 'closed') {
      this.consecutive = 0;
      this.openMs = this.baseOpenMs;
      for (let i = 0; i < this.bucketStart.length; i++) this.bucketStart[i] = -Infinity;
    }
    this.onTransition?.(from, to, this.clock.now());
  }

  private tick(): void {
    if (this.current === 'open' && this.clock.now() >= this.openedAt + this.openMs) this.move('half-open');
  }

  allow(): BreakerPermit | BreakerReject {
    this.tick();
    if (this.current === 'open') return { allowed: false, state: 'open', retryInMs: this.openedAt + this.openMs - this.clock.now() };
    if (this.current === 'half-open') {
      if (this.probesInFlight >= this.probes) return { allowed: false, state: 'half-open', retryInMs: 0 };
      this.probesInFlight++;
      return this.permit(true);
    }
    return this.permit(false);
  }

  private permit(probe: boolean): BreakerPermit {
    const gen = this.generation;
    let done = false;
    const report = (ok: boolean): void => {
      if (done) return;
      done = true;
      if (gen !== this.generation) return;
      this.record(ok, probe);
    };
    const cancel = (): void => {
      if (done) return;
      done = true;
      if (gen === this.generation && probe) this.probesInFlight--;
    };
    return { allowed: true, probe, success: () => report(true), failure: () => report(false), cancel };
  }

  private record(ok: boolean, probe: boolean): void {
    if (probe) {
      this.probesInFlight--;
      if (!ok) {
        this.openMs = Math.min(this.maxOpenMs, this.openMs * 2);
        this.move('open');
      } else if (++this.probeSuccesses >= this.successesToClose) this.move('closed');
      return;
    }
    if (this.trip.kind === 'consecutive') {
      this.consecutive = ok ? 0 : this.consecutive + 1;
      if (this.consecutive >= this.trip.failures) this.move('open');
      return;
    }
    const now = this.clock.now();
    const slot = Math.floor(now / this.bucketMs);
    const i = slot % this.bucketStart.length;
    if (this.bucketStart[i] !== slot * this.bucketMs) {
      this.bucketStart[i] = slot * this.bucketMs;
      this.bucketOk[i] = 0;
      this.bucketFail[i] = 0;
    }
    if (ok) this.bucketOk[i]++;
    else this.bucketFail[i]++;
    const { failures, total } = this.counts;
    if (total >= this.trip.minRequests && failures / total >= this.trip.failureRate) this.move('open');
  }
}
