// Active health checks: every interval each endpoint is probed; `fall` failures in a row take a
// healthy endpoint out, `rise` passes in a row bring an unhealthy one back (a common study guide
// setting: 3 failures out, 2 passes back; HAProxy's defaults are fall 3, rise 2). A probe that does not
// answer within the timeout is a failure. The probe itself is the caller's function (an HTTP GET
// /health in the proxy, a TCP connect in the L4 balancer); this file only keeps time, with the
// NetClock's timers, and the state.

import { NetlabRangeError } from '../base/errors.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import type { Endpoint } from './endpoint.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** What was seen ("200 OK", "connection refused", "body did not match"). */
  readonly detail?: string;
}

/** Probes one endpoint. Resolve with the verdict; a rejection counts as a failure. Stop when `signal` aborts. */
export type Probe = (endpoint: Endpoint, signal: AbortSignal) => Promise<ProbeResult | boolean>;

export interface HealthCheckOptions {
  /** Between the starts of two probes (a probe slower than this delays the next until it ends). Default 5 000 ms. */
  readonly intervalMs?: number;
  /** Interval while the endpoint is unhealthy (default: intervalMs). */
  readonly unhealthyIntervalMs?: number;
  /** A probe still unanswered after this is a failure. Default 2 000 ms. */
  readonly timeoutMs?: number;
  /** Failures in a row that take a healthy endpoint out. Default 3. */
  readonly fall?: number;
  /** Passes in a row that bring an unhealthy endpoint back. Default 2. */
  readonly rise?: number;
  /** The state before the first probe. Default true (healthy), as HAProxy starts servers. */
  readonly initiallyHealthy?: boolean;
}

/** The fall/rise counter of one endpoint: a pure state machine. */
export class HealthState {
  healthy: boolean;
  /** Failures in a row (while healthy, counting towards fall). */
  failures = 0;
  /** Passes in a row (while unhealthy, counting towards rise). */
  passes = 0;

  constructor(
    readonly fall = 3,
    readonly rise = 2,
    initiallyHealthy = true,
  ) {
    if (!(Number.isInteger(fall) && fall >= 1)) throw new NetlabRangeError(`health check: fall must be a whole number >= 1, got ${fall}`, { layer: 'balance' });
    if (!(Number.isInteger(rise) && rise >= 1)) throw new NetlabRangeError(`health check: rise must be a whole number >= 1, got ${rise}`, { layer: 'balance' });
    this.healthy = initiallyHealthy;
  }

  /** Counts one probe; returns 'down' or 'up' when the state changes. */
  record(ok: boolean): 'down' | 'up' | undefined {
    if (ok) {
      this.failures = 0;
      if (this.healthy) return undefined;
      this.passes++;
      if (this.passes >= this.rise) {
        this.healthy = true;
        this.passes = 0;
        return 'up';
      }
      return undefined;
    }
    this.passes = 0;
    if (!this.healthy) return undefined;
    this.failures++;
    if (this.failures >= this.fall) {
      this.healthy = false;
      this.failures = 0;
      return 'down';
    }
    return undefined;
  }
}

export interface HealthEvent {
  readonly endpoint: Endpoint;
  /** The probe's verdict. */
  readonly ok: boolean;
  readonly detail: string;
  /** Set when this probe changed the endpoint's state. */
  readonly change?: 'down' | 'up';
  readonly at: number;
}

interface Target {
  readonly endpoint: Endpoint;
  readonly state: HealthState;
  timer?: TimerHandle;
  timeout?: TimerHandle;
  abort?: AbortController;
  /** Bumped when a probe is settled or abandoned, so a late answer is ignored. */
  generation: number;
  /** When the probe in flight started. */
  startedAt: number;
}

/**
 * Probes a set of endpoints on the clock and sets each Endpoint's `healthy` flag. The first probe of
 * each endpoint runs as soon as the checker starts (a timer of 0 ms).
 */
export class HealthChecker {
  readonly intervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
  private readonly initiallyHealthy: boolean;
  private readonly targets = new Map<string, Target>();
  private readonly listeners: ((e: HealthEvent) => void)[] = [];
  private running = false;

  constructor(
    private readonly clock: NetClock,
    private readonly probe: Probe,
    options: HealthCheckOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.unhealthyIntervalMs = options.unhealthyIntervalMs ?? this.intervalMs;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.fall = options.fall ?? 3;
    this.rise = options.rise ?? 2;
    this.initiallyHealthy = options.initiallyHealthy ?? true;
    for (const [k, v] of [
      ['intervalMs', this.intervalMs],
      ['unhealthyIntervalMs', this.unhealthyIntervalMs],
      ['timeoutMs', this.timeoutMs],
    ] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new NetlabRangeError(`health check: ${k} must be > 0 ms, got ${v}`, { layer: 'balance' });
    }
    new HealthState(this.fall, this.rise); // checks fall and rise now, not at the first probe
  }

  /** Called with every probe's outcome. */
  onEvent(listener: (e: HealthEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Starts probing these endpoints (or the new set after a reload: added ones start, removed ones stop). */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    const keep = new Set<string>();
    for (const e of endpoints) {
      keep.add(e.name);
      const old = this.targets.get(e.name);
      if (old !== undefined && old.endpoint === e) continue;
      if (old !== undefined) this.stopTarget(old);
      const t: Target = { endpoint: e, state: new HealthState(this.fall, this.rise, this.initiallyHealthy), generation: 0, startedAt: 0 };
      e.healthy = t.state.healthy;
      this.targets.set(e.name, t);
      if (this.running) this.schedule(t, 0);
    }
    for (const [name, t] of this.targets) {
      if (!keep.has(name)) {
        this.stopTarget(t);
        this.targets.delete(name);
      }
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const t of this.targets.values()) this.schedule(t, 0);
  }

  /** Stops every timer and abandons probes in flight (their answers are ignored). */
  stop(): void {
    this.running = false;
    for (const t of this.targets.values()) this.stopTarget(t);
  }

  /** The fall/rise state of an endpoint. */
  stateOf(name: string): { healthy: boolean; failures: number; passes: number } | undefined {
    const t = this.targets.get(name);
    return t === undefined ? undefined : { healthy: t.state.healthy, failures: t.state.failures, passes: t.state.passes };
  }

  private stopTarget(t: Target): void {
    if (t.timer !== undefined) this.clock.clearTimer(t.timer);
    if (t.timeout !== undefined) this.clock.clearTimer(t.timeout);
    t.timer = undefined;
    t.timeout = undefined;
    t.abort?.abort();
    t.abort = undefined;
    t.generation++;
  }

  private schedule(t: Target, ms: number): void {
    t.timer = this.clock.setTimer(() => {
      t.timer = undefined;
      this.run(t);
    }, ms);
  }

  private run(t: Target): void {
    const generation = ++t.generation;
    t.startedAt = this.clock.now();
    const abort = new AbortController();
    t.abort = abort;
    t.timeout = this.clock.setTimer(() => {
      t.timeout = undefined;
      if (t.generation !== generation) return;
      abort.abort();
      this.settle(t, false, `no answer within ${this.timeoutMs} ms`);
    }, this.timeoutMs);
    let answer: Promise<ProbeResult | boolean>;
    try {
      answer = this.probe(t.endpoint, abort.signal);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (r) => {
        if (t.generation !== generation) return;
        const res = typeof r === 'boolean' ? { ok: r } : r;
        this.settle(t, res.ok, res.detail ?? (res.ok ? 'passed' : 'failed'));
      },
      (err: unknown) => {
        if (t.generation !== generation) return;
        this.settle(t, false, err instanceof Error ? err.message : String(err));
      },
    );
  }

  private settle(t: Target, ok: boolean, detail: string): void {
    t.generation++;
    if (t.timeout !== undefined) this.clock.clearTimer(t.timeout);
    t.timeout = undefined;
    t.abort = undefined;
    const change = t.state.record(ok);
    t.endpoint.healthy = t.state.healthy;
    const event: HealthEvent = change === undefined ? { endpoint: t.endpoint, ok, detail, at: this.clock.now() } : { endpoint: t.endpoint, ok, detail, change, at: this.clock.now() };
    for (const l of this.listeners) l(event);
    const interval = t.state.healthy ? this.intervalMs : this.unhealthyIntervalMs;
    if (this.running) this.schedule(t, Math.max(0, t.startedAt + interval - this.clock.now()));
  }
}
