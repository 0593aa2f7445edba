// The rate-limits-and-circuit-breakers lab's state: the proxies and backends the first step starts,
// the manual clock the rate-limit proxy runs on, and the numbers later steps and the exercises read.

import type { ManualClock } from '../../src/base/index.ts';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import type { Backend, SilentListener } from './parts.ts';

export interface Lab {
  /** The proxy on the manual clock (rate limits, the endpoint breaker). */
  readonly timed: ReverseProxy;
  /** The proxy on the real clock (load shedding, cluster thresholds). */
  readonly live: ReverseProxy;
  readonly clock: ManualClock;
  readonly orders: Backend;
  readonly payments: Backend;
  readonly work: Backend;
  readonly held: Backend;
  readonly silent: SilentListener;
}

/** One algorithm's row of the window comparison. */
export interface WindowRow {
  readonly algorithm: string;
  /** Requests accepted at each instant of the timeline. */
  readonly accepted: readonly number[];
  /** The most accepted requests in any 60 s. */
  readonly most60: number;
}

export interface RateState {
  lab?: Lab;
  /** The break-on-purpose knob: the POST route's token bucket refills this many tokens a minute. */
  tokensPerMinute: number;
  /** Retry-After of the first 429 of the token bucket (s). */
  retryAfterS?: number;
  windows?: readonly WindowRow[];
  /** Load shedding: offered, shed. */
  offered?: number;
  shed?: number;
}
