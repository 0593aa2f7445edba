// Active health checks with rise/fall counting (HAProxy's and Envoy's model): every `intervalMs` each
// target is probed (TCP connect or HTTP GET, health-probes.ts); a probe that has not succeeded within
// `timeoutMs` fails. A healthy target turns unhealthy after `fall` failures in a row, an unhealthy
// one healthy after `rise` successes in a row; each turn is a 'change' event, each probe a 'check'
// event. Time comes from a clock the caller may give (the shape of netsim's NetClock, so its
// ManualClock drives it), and the probe itself can be replaced, so the counting is tested without
// sockets or waiting. `stop()` clears every timer and aborts the probes in flight.

import { EventEmitter } from 'node:events';
import { probeFor, type HealthCheckSpec } from './health-probes.ts';
import { NetlabRangeError } from '../base/errors.ts';

export type { HealthCheckSpec, HttpCheck, TcpCheck } from './health-probes.ts';
export { HealthProbeError, httpProbe, tcpProbe } from './health-probes.ts';

/** A timer handle from the clock. */
export interface HealthTimer {
  readonly id: number;
}

/** The clock the checker reads (structurally netsim's NetClock). */
export interface HealthClock {
  now(): number;
  setTimer(fn: () => void, ms: number): HealthTimer;
  clearTimer(handle: HealthTimer): void;
}

/** The machine's clock. */
export function systemHealthClock(): HealthClock {
  let next = 1;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  return {
    now: () => performance.now(),
    setTimer(fn, ms) {
      const id = next++;
      timers.set(
        id,
        setTimeout(
          () => {
            timers.delete(id);
            fn();
          },
          Math.max(0, ms),
        ),
      );
      return { id };
    },
    clearTimer(h) {
      const t = timers.get(h.id);
      if (t !== undefined) clearTimeout(t);
      timers.delete(h.id);
    },
  };
}

/** One probe: resolves when healthy, rejects (with the reason) when not. Must honour `signal`. */
export type HealthProbe = (spec: HealthCheckSpec, signal: AbortSignal) => Promise<void>;

export interface HealthTarget {
  /** The name events and lookups use (for DNS failover: the address). */
  id: string;
  check: HealthCheckSpec;
}

export interface HealthCheckOptions {
  /** Time between the end of one probe and the start of the next (ms). */
  intervalMs: number;
  /** A probe not done in this time fails (ms). */
  timeoutMs: number;
  /** Successes in a row that make an unhealthy target healthy. */
  rise: number;
  /** Failures in a row that make a healthy target unhealthy. */
  fall: number;
  /** State before the first verdict (default healthy: traffic flows until `fall` failures). */
  initial?: 'healthy' | 'unhealthy';
  clock?: HealthClock;
  /** Replaces the real TCP/HTTP probe (tests, labs that script an outage). */
  probe?: HealthProbe;
}

export interface HealthStatus {
  id: string;
  healthy: boolean;
  /** Successes (positive) or failures (negative) in a row. */
  streak: number;
  checks: number;
  lastError?: string;
  /** Clock time of the last state change (or of the start). */
  since: number;
}

export interface HealthChange {
  id: string;
  healthy: boolean;
  /** Why: the last probe's error, or "N checks passed". */
  reason: string;
  at: number;
}

export interface HealthCheckResult {
  id: string;
  ok: boolean;
  error?: string;
  at: number;
  durationMs: number;
}

export interface HealthEvents {
  change: [HealthChange];
  check: [HealthCheckResult];
}

/** Counts one target's verdicts; returns the change a verdict causes, if any. Pure. */
export class RiseFall {
  healthy: boolean;
  streak = 0;

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    initial: boolean,
  ) {
    this.healthy = initial;
  }

  /** Records one probe's result; true when the state turned. */
  record(ok: boolean): boolean {
    this.streak = ok ? Math.max(0, this.streak) + 1 : Math.min(0, this.streak) - 1;
    if (this.healthy && !ok && -this.streak >= this.fall) {
      this.healthy = false;
      return true;
    }
    if (!this.healthy && ok && this.streak >= this.rise) {
      this.healthy = true;
      return true;
    }
    return false;
  }
}

interface TargetState {
  target: HealthTarget;
  counter: RiseFall;
  checks: number;
  lastError?: string;
  since: number;
  timer?: HealthTimer;
  inFlight?: AbortController;
  running?: Promise<void>;
}

function positiveInt(v: number, what: string, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new NetlabRangeError(`health check option ${what} must be an integer >= ${min}, got ${v}`);
}

export class HealthChecker extends EventEmitter<HealthEvents> {
  private readonly states = new Map<string, TargetState>();
  private readonly clock: HealthClock;
  private readonly probe: HealthProbe;
  private started = false;

  constructor(
    targets: readonly HealthTarget[],
    private readonly options: HealthCheckOptions,
  ) {
    super();
    positiveInt(options.intervalMs, 'intervalMs', 1);
    positiveInt(options.timeoutMs, 'timeoutMs', 1);
    positiveInt(options.rise, 'rise', 1);
    positiveInt(options.fall, 'fall', 1);
    this.clock = options.clock ?? systemHealthClock();
    this.probe = options.probe ?? probeFor;
    const initial = (options.initial ?? 'healthy') === 'healthy';
    for (const t of targets) {
      if (this.states.has(t.id)) throw new NetlabRangeError(`health check target '${t.id}' is listed twice`);
      this.states.set(t.id, { target: t, counter: new RiseFall(options.rise, options.fall, initial), checks: 0, since: this.clock.now() });
    }
  }

  /** Starts probing every target now, then every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const st of this.states.values()) this.schedule(st, 0);
  }

  /** Stops: no timer left, probes in flight aborted and awaited. */
  async stop(): Promise<void> {
    this.started = false;
    const running: Promise<void>[] = [];
    for (const st of this.states.values()) {
      if (st.timer !== undefined) this.clock.clearTimer(st.timer);
      st.timer = undefined;
      st.inFlight?.abort('health checker stopped');
      if (st.running) running.push(st.running);
    }
    await Promise.all(running);
  }

  isHealthy(id: string): boolean {
    const st = this.states.get(id);
    if (st === undefined) throw new NetlabRangeError(`no health check target '${id}'`);
    return st.counter.healthy;
  }

  status(): HealthStatus[] {
    return [...this.states.values()].map((st) => {
      const s: HealthStatus = { id: st.target.id, healthy: st.counter.healthy, streak: st.counter.streak, checks: st.checks, since: st.since };
      if (st.lastError !== undefined) s.lastError = st.lastError;
      return s;
    });
  }

  /** Probes every target once now (not waiting for the interval); resolves when all are counted. */
  async checkNow(): Promise<void> {
    await Promise.all([...this.states.values()].map((st) => st.running ?? this.runOnce(st)));
  }

  private schedule(st: TargetState, ms: number): void {
    if (!this.started) return;
    st.timer = this.clock.setTimer(() => {
      st.timer = undefined;
      void (st.running ?? this.runOnce(st)).then(() => this.schedule(st, this.options.intervalMs));
    }, ms);
  }

  private runOnce(st: TargetState): Promise<void> {
    const ac = new AbortController();
    st.inFlight = ac;
    const start = this.clock.now();
    const timeout = this.clock.setTimer(() => ac.abort(`timed out after ${this.options.timeoutMs} ms`), this.options.timeoutMs);
    const run = (async () => {
      let error: string | undefined;
      try {
        await this.probe(st.target.check, ac.signal);
        if (ac.signal.aborted) error = String(ac.signal.reason);
      } catch (err) {
        error = ac.signal.aborted ? String(ac.signal.reason) : err instanceof Error ? err.message : String(err);
      }
      this.clock.clearTimer(timeout);
      st.inFlight = undefined;
      st.running = undefined;
      if (ac.signal.aborted && ac.signal.reason === 'health checker stopped') return;
      const at = this.clock.now();
      st.checks++;
      if (error !== undefined) st.lastError = error;
      const result: HealthCheckResult = { id: st.target.id, ok: error === undefined, at, durationMs: at - start };
      if (error !== undefined) result.error = error;
      this.emit('check', result);
      if (st.counter.record(error === undefined)) {
        st.since = at;
        const healthy = st.counter.healthy;
        this.emit('change', { id: st.target.id, healthy, reason: healthy ? `${this.options.rise} check(s) passed in a row` : (error ?? 'failed'), at });
      }
    })();
    st.running = run;
    return run;
  }
}
