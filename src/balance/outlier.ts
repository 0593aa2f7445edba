// Passive outlier detection, Envoy's way: the answers real requests get are the probe. After
// `consecutive5xx` server errors in a row (a 5xx, a reset or a timeout), or `consecutiveConnectFailures`
// failed connects in a row, the endpoint is ejected for baseEjectionMs × (how many times it has been
// ejected), capped at maxEjectionMs; when that time runs out it takes traffic again. Only
// maxEjectionPercent of the cluster may be out at once (at least one endpoint when the percentage is
// above 0, as Envoy does), so a failing upstream cannot empty the cluster through this path. The
// ejection count falls by one for every decayIntervalMs an endpoint stays in without being ejected.
//
// No timers: un-ejection happens when the Balancer calls sweep() (on every pick), at the clock's time.

import { NetlabRangeError } from '../base/errors.ts';
import type { Endpoint } from './endpoint.ts';
import type { FinishInfo } from './policy.ts';

export interface OutlierOptions {
  /** Consecutive 5xx (or reset/timeout) before ejection; 0 turns this check off. Default 5. */
  readonly consecutive5xx?: number;
  /** Consecutive connect failures before ejection; 0 turns this check off. Default 5. */
  readonly consecutiveConnectFailures?: number;
  /** Default 30 000 ms. */
  readonly baseEjectionMs?: number;
  /** Longest ejection. Default 300 000 ms. */
  readonly maxEjectionMs?: number;
  /** Most of the cluster that may be ejected at once, 0..100. Default 10. */
  readonly maxEjectionPercent?: number;
  /** Default 10 000 ms. */
  readonly decayIntervalMs?: number;
}

export type OutlierReason = 'consecutive_5xx' | 'consecutive_connect_failures';

export type OutlierEvent =
  | { readonly type: 'ejected'; readonly endpoint: Endpoint; readonly reason: OutlierReason; readonly ejections: number; readonly untilMs: number; readonly at: number }
  | { readonly type: 'eject_refused'; readonly endpoint: Endpoint; readonly reason: OutlierReason; readonly ejected: number; readonly limit: number; readonly at: number }
  | { readonly type: 'unejected'; readonly endpoint: Endpoint; readonly at: number };

interface OutlierState {
  consecutive5xx: number;
  consecutiveConnect: number;
  ejections: number;
  /** When it last came back (or was first seen). */
  backSince: number;
}

function checkCount(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new NetlabRangeError(`outlier detection: ${name} must be a whole number >= 0, got ${v}`, { layer: 'balance' });
}

function checkMs(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new NetlabRangeError(`outlier detection: ${name} must be > 0 ms, got ${v}`, { layer: 'balance' });
}

/** Whether a finished request counts as a server error for consecutive5xx. */
export function isServerError(info: FinishInfo): boolean {
  if (info.error !== undefined) return info.error !== 'connect';
  return info.status !== undefined && info.status >= 500;
}

export class OutlierDetector {
  readonly consecutive5xx: number;
  readonly consecutiveConnectFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
  readonly decayIntervalMs: number;
  private readonly state = new Map<string, OutlierState>();

  constructor(options: OutlierOptions = {}) {
    this.consecutive5xx = options.consecutive5xx ?? 5;
    this.consecutiveConnectFailures = options.consecutiveConnectFailures ?? 5;
    this.baseEjectionMs = options.baseEjectionMs ?? 30_000;
    this.maxEjectionMs = options.maxEjectionMs ?? 300_000;
    this.maxEjectionPercent = options.maxEjectionPercent ?? 10;
    this.decayIntervalMs = options.decayIntervalMs ?? 10_000;
    checkCount('consecutive5xx', this.consecutive5xx);
    checkCount('consecutiveConnectFailures', this.consecutiveConnectFailures);
    checkMs('baseEjectionMs', this.baseEjectionMs);
    checkMs('maxEjectionMs', this.maxEjectionMs);
    checkMs('decayIntervalMs', this.decayIntervalMs);
    if (this.maxEjectionMs < this.baseEjectionMs) throw new NetlabRangeError(`outlier detection: maxEjectionMs (${this.maxEjectionMs}) is below baseEjectionMs (${this.baseEjectionMs})`, { layer: 'balance' });
    if (!(this.maxEjectionPercent >= 0 && this.maxEjectionPercent <= 100)) throw new NetlabRangeError(`outlier detection: maxEjectionPercent must be 0..100, got ${this.maxEjectionPercent}`, { layer: 'balance' });
  }

  private stateOf(e: Endpoint, now: number): OutlierState {
    let s = this.state.get(e.name);
    if (s === undefined) {
      s = { consecutive5xx: 0, consecutiveConnect: 0, ejections: 0, backSince: now };
      this.state.set(e.name, s);
    }
    return s;
  }

  /** How many endpoints of `all` may be ejected at once. */
  ejectionLimit(total: number): number {
    if (this.maxEjectionPercent === 0) return 0;
    return Math.max(1, Math.floor((total * this.maxEjectionPercent) / 100));
  }

  /** Times `e` has been ejected (after decay, as of `now`). */
  ejections(e: Endpoint, now: number): number {
    const s = this.state.get(e.name);
    if (s === undefined) return 0;
    if (e.ejected) return s.ejections;
    return Math.max(0, s.ejections - Math.floor((now - s.backSince) / this.decayIntervalMs));
  }

  /** The consecutive counters of `e` (for tables and tests). */
  counters(e: Endpoint): { consecutive5xx: number; consecutiveConnectFailures: number } {
    const s = this.state.get(e.name);
    return { consecutive5xx: s?.consecutive5xx ?? 0, consecutiveConnectFailures: s?.consecutiveConnect ?? 0 };
  }

  /** How long the next ejection of an endpoint ejected `n` times before would last. */
  ejectionMs(n: number): number {
    return Math.min(this.maxEjectionMs, this.baseEjectionMs * n);
  }

  /** Counts one finished request; returns what it caused, if anything. */
  record(e: Endpoint, all: readonly Endpoint[], info: FinishInfo, now: number): OutlierEvent | undefined {
    const s = this.stateOf(e, now);
    let reason: OutlierReason | undefined;
    if (info.error === 'connect') {
      s.consecutiveConnect++;
      if (this.consecutiveConnectFailures > 0 && s.consecutiveConnect >= this.consecutiveConnectFailures) reason = 'consecutive_connect_failures';
    } else {
      s.consecutiveConnect = 0;
      if (isServerError(info)) {
        s.consecutive5xx++;
        if (this.consecutive5xx > 0 && s.consecutive5xx >= this.consecutive5xx) reason = 'consecutive_5xx';
      } else {
        s.consecutive5xx = 0;
      }
    }
    if (reason === undefined || e.ejected) return undefined;
    const ejected = all.filter((x) => x.ejected).length;
    const limit = this.ejectionLimit(all.length);
    if (ejected >= limit) return { type: 'eject_refused', endpoint: e, reason, ejected, limit, at: now };
    s.ejections = this.ejections(e, now) + 1;
    const untilMs = now + this.ejectionMs(s.ejections);
    e.ejectedUntil = untilMs;
    s.consecutive5xx = 0;
    s.consecutiveConnect = 0;
    return { type: 'ejected', endpoint: e, reason, ejections: s.ejections, untilMs, at: now };
  }

  /** Brings back every endpoint whose ejection time has run out. */
  sweep(all: readonly Endpoint[], now: number): OutlierEvent[] {
    const out: OutlierEvent[] = [];
    for (const e of all) {
      if (e.ejectedUntil !== undefined && e.ejectedUntil <= now) {
        e.ejectedUntil = undefined;
        const s = this.stateOf(e, now);
        s.backSince = now;
        s.consecutive5xx = 0;
        s.consecutiveConnect = 0;
        out.push({ type: 'unejected', endpoint: e, at: now });
      }
    }
    return out;
  }

  /** The earliest time an ejected endpoint comes back (for a caller that wants a timer), or undefined. */
  nextUnejectAt(all: readonly Endpoint[]): number | undefined {
    let t: number | undefined;
    for (const e of all) if (e.ejectedUntil !== undefined && (t === undefined || e.ejectedUntil < t)) t = e.ejectedUntil;
    return t;
  }

  /** Forgets endpoints no longer in the cluster. */
  retain(names: ReadonlySet<string>): void {
    for (const k of this.state.keys()) if (!names.has(k)) this.state.delete(k);
  }
}
