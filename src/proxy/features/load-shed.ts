// Load shedding: the proxy refuses work with 503 when it is itself overloaded, before the work
// costs anything, so the requests it does take still finish in time. Two signals, either or both:
// - concurrency: requests in flight (admitted and not yet released) against a limit;
// - event-loop lag: a delay the caller measures (perf_hooks.monitorEventLoopDelay, for example)
//   and reports; between a soft and a hard threshold a growing share of requests is shed at random
//   (so the load eases gradually), above the hard one every request is.
// No sockets and no timers: the proxy asks `admit()` per request and calls the ticket's release()
// when the response is done.

import { NetlabRangeError } from '../../base/errors.ts';
import { cryptoRandom, type Random } from '../../base/random.ts';

export type ShedReason = 'concurrency' | 'event-loop-lag';

export interface LoadShedOptions {
  /** Most requests in flight at once; beyond it new ones get 503. */
  readonly maxConcurrent?: number;
  /** Lag (ms) from which requests start to be shed at random, proportionally up to lagHardMs. */
  readonly lagSoftMs?: number;
  /** Lag (ms) at and above which every request is shed. */
  readonly lagHardMs?: number;
  /** The Retry-After seconds a 503 carries (default 1). */
  readonly retryAfterSeconds?: number;
  /** Draws the proportional shedding (default crypto-random; seeded in tests). */
  readonly random?: Random;
}

/** A request let in: call release() once when its response is finished (more calls do nothing). */
export interface AdmitTicket {
  readonly admitted: true;
  release(): void;
}

/** A request refused: answer 503 with Retry-After. */
export interface ShedVerdict {
  readonly admitted: false;
  readonly status: 503;
  readonly reason: ShedReason;
  readonly retryAfterSeconds: number;
}

export interface LoadShedStats {
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly admitted: number;
  readonly shed: Readonly<Record<ShedReason, number>>;
  /** The last lag reported (ms). */
  readonly lagMs: number;
}

export class LoadShedder {
  private readonly maxConcurrent: number;
  private readonly soft: number;
  private readonly hard: number;
  private readonly retryAfter: number;
  private readonly random: Random;
  private inFlight = 0;
  private peak = 0;
  private admittedCount = 0;
  private readonly shedCount: Record<ShedReason, number> = { concurrency: 0, 'event-loop-lag': 0 };
  private lag = 0;

  constructor(o: LoadShedOptions) {
    if (o.maxConcurrent === undefined && o.lagHardMs === undefined)
      throw new NetlabRangeError('load shedding needs maxConcurrent, lagHardMs or both', { layer: 'proxy' });
    const mc = o.maxConcurrent ?? Infinity;
    if (!(mc === Infinity || (Number.isInteger(mc) && mc > 0)))
      throw new NetlabRangeError(`maxConcurrent must be a whole number above 0, got ${mc}`, { layer: 'proxy' });
    const hard = o.lagHardMs ?? Infinity;
    const soft = o.lagSoftMs ?? hard;
    if (!(hard > 0)) throw new NetlabRangeError(`lagHardMs must be above 0, got ${hard}`, { layer: 'proxy' });
    if (!(soft > 0 && soft <= hard)) throw new NetlabRangeError(`lagSoftMs must be above 0 and at most lagHardMs (${hard}), got ${soft}`, { layer: 'proxy' });
    const ra = o.retryAfterSeconds ?? 1;
    if (!(Number.isInteger(ra) && ra >= 0)) throw new NetlabRangeError(`retryAfterSeconds must be a whole number, 0 or more, got ${ra}`, { layer: 'proxy' });
    this.maxConcurrent = mc;
    this.soft = soft;
    this.hard = hard;
    this.retryAfter = ra;
    this.random = o.random ?? cryptoRandom();
  }

  /** Reports the event loop's current lag in milliseconds (the caller measures it). */
  reportLag(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new NetlabRangeError(`event-loop lag must be a finite number of ms, 0 or more, got ${ms}`, { layer: 'proxy' });
    this.lag = ms;
  }

  /** The share of requests the lag signal sheds now, 0..1. */
  get lagShedShare(): number {
    if (this.lag >= this.hard) return 1;
    if (this.lag < this.soft || this.hard === this.soft) return 0;
    return (this.lag - this.soft) / (this.hard - this.soft);
  }

  admit(): AdmitTicket | ShedVerdict {
    if (this.inFlight >= this.maxConcurrent) return this.shed('concurrency');
    const share = this.lagShedShare;
    if (share >= 1 || (share > 0 && this.random.uint32() / 0x1_0000_0000 < share)) return this.shed('event-loop-lag');
    this.inFlight++;
    this.admittedCount++;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
    let done = false;
    return {
      admitted: true,
      release: () => {
        if (done) return;
        done = true;
        this.inFlight--;
      },
    };
  }

  private shed(reason: ShedReason): ShedVerdict {
    this.shedCount[reason]++;
    return { admitted: false, status: 503, reason, retryAfterSeconds: this.retryAfter };
  }

  get stats(): LoadShedStats {
    return { inFlight: this.inFlight, peakInFlight: this.peak, admitted: this.admittedCount, shed: { ...this.shedCount }, lagMs: this.lag };
  }
}
