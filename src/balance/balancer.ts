// A cluster's balancer: its endpoints, its policy, outlier detection, drain, and the rule for when no
// endpoint can take a request. The proxy and the L4 balancer call pick() for each request or
// connection, begin() when they start using the endpoint, and finish the returned Attempt when it
// ends; the Balancer keeps the counters (active, EWMAs, failures) every policy reads.
//
// Who may be picked: healthy (active checks), not ejected (outlier detection), not draining, and not
// excluded by the caller (a retry excludes what it already tried). When none is left:
//  - every endpoint that could be picked was excluded: { reason: 'all_excluded' } (retries ran out);
//  - every endpoint that could be picked is at maxActivePerEndpoint: { reason: 'all_busy' };
//  - otherwise, with failOpen, the policy picks among the endpoints that are not draining, whatever
//    their health (traffic to maybe-broken endpoints beats a certain 503), and the result says so;
//  - otherwise { reason: 'all_down' }: the caller answers 503 (L7) or closes (L4).

import { NetlabError, NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import type { NetClock } from '../base/timer-clock.ts';
import { Endpoint, type EndpointOptions, type EndpointSpec, type EndpointState } from './endpoint.ts';
import { OutlierDetector, type OutlierEvent, type OutlierOptions } from './outlier.ts';
import { createPolicy, type PolicyConfig } from './policies.ts';
import type { FailureKind, FinishInfo, Policy, PolicyName, RequestContext } from './policy.ts';

export interface BalancerOptions {
  readonly endpoints: readonly EndpointSpec[];
  /** A policy name, a policy config, or a policy object. */
  readonly policy: PolicyName | PolicyConfig | Policy;
  readonly clock: NetClock;
  /** For the random policies (seededRandom in tests). */
  readonly random: Random;
  /** Passive outlier detection; off when absent or false. */
  readonly outlier?: OutlierOptions | false;
  /** When no endpoint is available, pick among all that are not draining. Default false (503). */
  readonly failOpen?: boolean;
  readonly endpointOptions?: EndpointOptions;
  /** Most requests or connections open at once on one endpoint; one at its limit is skipped. Default: no limit. */
  readonly maxActivePerEndpoint?: number;
}

export type PickResult =
  | { readonly endpoint: Endpoint; readonly failOpen: boolean }
  | { readonly endpoint: undefined; readonly reason: 'all_down' | 'all_excluded' | 'all_busy' | 'empty' };

export type BalancerEvent = OutlierEvent | { readonly type: 'drained'; readonly endpoint: Endpoint; readonly at: number };

export interface EndpointSummary {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly state: EndpointState;
  readonly active: number;
  readonly total: number;
  readonly failures: number;
  readonly ttfbEwmaMs: number | undefined;
  readonly peakEwmaMs: number | undefined;
  /** Times ejected by outlier detection (after decay). */
  readonly ejections: number;
  /** Time left in the current ejection (0 when not ejected). */
  readonly ejectedForMs: number;
}

/** How a request ended, as the caller reports it (the Attempt measures the times). */
export interface AttemptOutcome {
  readonly status?: number;
  readonly error?: FailureKind;
}

/** One request (or connection) on one endpoint. Finish it exactly once; later calls do nothing. */
export class Attempt {
  readonly startedAt: number;
  private firstByteAt: number | undefined;
  private finished: FinishInfo | undefined;

  constructor(
    private readonly balancer: Balancer,
    readonly endpoint: Endpoint,
    private readonly clock: NetClock,
  ) {
    this.startedAt = clock.now();
  }

  /** The first byte of the response arrived (the first call counts); returns when it did (clock ms). */
  firstByte(): number {
    if (this.firstByteAt === undefined && this.finished === undefined) this.firstByteAt = this.clock.now();
    return this.firstByteAt ?? this.clock.now();
  }

  get done(): boolean {
    return this.finished !== undefined;
  }

  /** Ends the attempt; returns what was recorded. */
  finish(outcome: AttemptOutcome = {}): FinishInfo {
    if (this.finished !== undefined) return this.finished;
    const now = this.clock.now();
    // Built field by field (no spread objects: this runs once per proxied request).
    const info: { -readonly [K in keyof FinishInfo]: FinishInfo[K] } = { durationMs: now - this.startedAt };
    if (this.firstByteAt !== undefined) info.ttfbMs = this.firstByteAt - this.startedAt;
    if (outcome.status !== undefined) info.status = outcome.status;
    if (outcome.error !== undefined) info.error = outcome.error;
    this.finished = info;
    this.balancer.recordFinish(this.endpoint, info, now);
    return info;
  }
}

export class Balancer {
  readonly policy: Policy;
  readonly outlier: OutlierDetector | undefined;
  readonly failOpen: boolean;
  readonly maxActivePerEndpoint: number;
  private list: Endpoint[] = [];
  private readonly clock: NetClock;
  private readonly endpointOptions: EndpointOptions;
  private readonly listeners: ((e: BalancerEvent) => void)[] = [];

  constructor(options: BalancerOptions) {
    this.clock = options.clock;
    this.policy = typeof options.policy === 'object' && 'pick' in options.policy ? options.policy : createPolicy(options.policy, options.random);
    this.outlier = options.outlier === undefined || options.outlier === false ? undefined : new OutlierDetector(options.outlier);
    this.failOpen = options.failOpen ?? false;
    this.endpointOptions = options.endpointOptions ?? {};
    this.maxActivePerEndpoint = options.maxActivePerEndpoint ?? Number.POSITIVE_INFINITY;
    if (!(this.maxActivePerEndpoint >= 1))
      throw new NetlabRangeError(`maxActivePerEndpoint must be >= 1, got ${this.maxActivePerEndpoint}`, { layer: 'balance' });
    this.setEndpoints(options.endpoints);
  }

  /** Every endpoint, in cluster order. */
  get endpoints(): readonly Endpoint[] {
    return this.list;
  }

  /** One row per endpoint for tables and metrics: state, counters and latency estimates at now. */
  summary(): EndpointSummary[] {
    const now = this.clock.now();
    return this.list.map((e) => ({
      name: e.name,
      address: e.address,
      port: e.port,
      weight: e.weight,
      state: e.state,
      active: e.active,
      total: e.total,
      failures: e.failures,
      ttfbEwmaMs: e.ttfb.value,
      peakEwmaMs: e.peak.estimate(now),
      ejections: this.outlier?.ejections(e, now) ?? 0,
      ejectedForMs: e.ejectedUntil === undefined ? 0 : Math.max(0, e.ejectedUntil - now),
    }));
  }

  endpoint(name: string): Endpoint | undefined {
    return this.list.find((e) => e.name === name);
  }

  /** Tells `listener` of every event; returns a function that stops it (a one-off listener must call it, or it stays for the balancer's life). */
  onEvent(listener: (e: BalancerEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private emit(e: BalancerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Replaces the endpoint list (a reload). An endpoint whose name, address and port are unchanged keeps
   * its object, counters and state (its weight is updated); others are new. Requests on removed
   * endpoints still finish through their Attempt.
   */
  setEndpoints(specs: readonly EndpointSpec[]): void {
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new NetlabError('ERR_CONFIG', `endpoint name ${s.name} appears twice`, { layer: 'balance' });
      names.add(s.name);
    }
    const old = new Map(this.list.map((e) => [e.name, e]));
    this.list = specs.map((s) => {
      const e = old.get(s.name);
      if (e !== undefined && e.address === s.address && e.port === s.port) {
        const w = s.weight ?? 1;
        if (!(Number.isFinite(w) && w > 0)) throw new NetlabRangeError(`endpoint ${s.name}: weight must be > 0, got ${w}`, { layer: 'balance' });
        e.weight = w;
        return e;
      }
      return new Endpoint(s, this.endpointOptions);
    });
    this.outlier?.retain(names);
  }

  /** Endpoints that may take a new request now (after bringing back those whose ejection ran out). */
  candidates(ctx: RequestContext = {}): Endpoint[] {
    this.sweep();
    return this.available(ctx.exclude);
  }

  private available(exclude: ReadonlySet<string> | undefined): Endpoint[] {
    const out: Endpoint[] = [];
    const limit = this.maxActivePerEndpoint;
    for (const e of this.list) if (e.available && e.active < limit && (exclude === undefined || !exclude.has(e.name))) out.push(e);
    return out;
  }

  /** Un-ejects endpoints whose time ran out (pick does this itself). */
  sweep(): void {
    if (this.outlier === undefined) return;
    const events = this.outlier.sweep(this.list, this.clock.now());
    for (const ev of events) this.emit(ev);
  }

  pick(ctx: RequestContext = {}): PickResult {
    if (this.list.length === 0) return { endpoint: undefined, reason: 'empty' };
    const now = this.clock.now();
    this.sweep();
    const exclude = ctx.exclude;
    let candidates = this.available(exclude);
    let failOpen = false;
    if (candidates.length === 0) {
      const open = this.list.filter((e) => e.available && !(exclude?.has(e.name) ?? false));
      if (open.length > 0) return { endpoint: undefined, reason: 'all_busy' };
      if (this.list.some((e) => e.available)) return { endpoint: undefined, reason: 'all_excluded' };
      if (!this.failOpen) return { endpoint: undefined, reason: 'all_down' };
      candidates = this.list.filter((e) => !e.draining && e.active < this.maxActivePerEndpoint && !(exclude?.has(e.name) ?? false));
      if (candidates.length === 0) return { endpoint: undefined, reason: 'all_down' };
      failOpen = true;
    }
    const endpoint = this.policy.pick({ clientAddress: ctx.clientAddress, hashKey: ctx.hashKey, exclude, candidates, all: this.list, now });
    if (endpoint === undefined) return { endpoint: undefined, reason: 'all_down' };
    return { endpoint, failOpen };
  }

  /** Starts a request on `endpoint` (counts it active, calls the policy's onStart). */
  begin(endpoint: Endpoint): Attempt {
    endpoint.active++;
    endpoint.total++;
    const attempt = new Attempt(this, endpoint, this.clock);
    this.policy.onStart?.(endpoint, attempt.startedAt);
    return attempt;
  }

  /** Called by Attempt.finish: counters, EWMAs, the policy hook, outlier detection, drain. */
  recordFinish(endpoint: Endpoint, info: FinishInfo, now: number): void {
    endpoint.active = Math.max(0, endpoint.active - 1);
    const failed = info.error !== undefined || (info.status !== undefined && info.status >= 500);
    if (failed) endpoint.failures++;
    if (info.error === undefined) {
      const latency = info.ttfbMs ?? info.durationMs;
      endpoint.ttfb.add(latency);
      endpoint.peak.add(latency, now);
    } else if (info.error === 'timeout') {
      // A timeout says the endpoint is at least this slow.
      endpoint.peak.add(info.durationMs, now);
    }
    this.policy.onFinish?.(endpoint, info, now);
    if (this.outlier !== undefined && this.list.includes(endpoint)) {
      const ev = this.outlier.record(endpoint, this.list, info, now);
      if (ev !== undefined) this.emit(ev);
    }
    if (endpoint.draining && endpoint.active === 0) this.emit({ type: 'drained', endpoint, at: now });
  }

  /**
   * Drains an endpoint: no new picks, requests on it finish. Returns true when it is already idle
   * (otherwise a 'drained' event comes when the last request ends).
   */
  drain(name: string): boolean {
    const e = this.mustFind(name);
    e.draining = true;
    if (e.active === 0) {
      this.emit({ type: 'drained', endpoint: e, at: this.clock.now() });
      return true;
    }
    return false;
  }

  /** Takes an endpoint out of drain. */
  undrain(name: string): void {
    this.mustFind(name).draining = false;
  }

  private mustFind(name: string): Endpoint {
    const e = this.endpoint(name);
    if (e === undefined)
      throw new NetlabError('ERR_NOT_FOUND', `no endpoint named ${name} (have: ${this.list.map((x) => x.name).join(', ') || 'none'})`, { layer: 'balance' });
    return e;
  }
}
