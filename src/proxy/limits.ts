// Rate limits and load shedding at run time: the config's `rateLimit` (on a listener or a route) made
// into a keyed limiter (features/rate-limit.ts), and `loadShed` into a LoadShedder fed by an
// event-loop lag sampler. The proxy asks `check()` per request; a refusal carries the status, the
// fields (Retry-After, RateLimit, RateLimit-Policy) and the text to answer with.

import type { NetClock } from '../base/timer-clock.ts';
import { fieldValue, type HttpField } from '../wire/http.ts';
import type { LoadShedConfig, RateLimitConfig } from './config-features.ts';
import { LoadShedder } from './features/load-shed.ts';
import {
  FixedWindow,
  KeyedLimiter,
  LeakyBucketMeter,
  type RateDecision,
  type RateKeySource,
  type RateLimiter,
  rateLimitHeaders,
  rateLimitKey,
  SlidingLog,
  SlidingWindowCounter,
  TokenBucket,
} from './features/rate-limit.ts';

/** What a rate limit decided for one request. */
export type RateVerdict =
  | { readonly allowed: true; readonly fields: readonly HttpField[] }
  | { readonly allowed: false; readonly status: 429 | 400; readonly fields: readonly HttpField[]; readonly text: string; readonly policy: string };

function keySource(key: string): RateKeySource | { by: 'subject' } {
  if (key === 'client_address') return { by: 'address' };
  if (key === 'jwt_subject') return { by: 'subject' };
  if (key === 'api_key') return { by: 'api-key' };
  if (key.startsWith('api_key:')) return { by: 'api-key', header: key.slice('api_key:'.length) };
  return { by: 'header', name: key.slice('header:'.length) };
}

function decisionFields(d: RateDecision): HttpField[] {
  return Object.entries(rateLimitHeaders(d)).map(([name, value]) => ({ name, value: String(value) }));
}

/** One configured rate limit (a listener's or a route's) with its table of per-key limiters. */
export class RateLimitRuntime {
  readonly config: RateLimitConfig;
  readonly policy: string;
  private readonly source: RateKeySource | { by: 'subject' };
  private readonly table: KeyedLimiter;

  constructor(config: RateLimitConfig, owner: string, clock: NetClock) {
    this.config = config;
    this.policy = config.policy ?? owner;
    this.source = keySource(config.key);
    const rate = config.ratePerSecond ?? (config.limit * 1000) / config.windowMs;
    const policy = this.policy;
    const create = (): RateLimiter => {
      switch (config.algorithm) {
        case 'token_bucket':
          return new TokenBucket({ capacity: config.limit, refillPerSecond: rate, clock, policy });
        case 'leaky_bucket':
          return new LeakyBucketMeter({ capacity: config.limit, leakPerSecond: rate, clock, policy });
        case 'fixed_window':
          return new FixedWindow({ limit: config.limit, windowMs: config.windowMs, clock, policy });
        case 'sliding_log':
          return new SlidingLog({ limit: config.limit, windowMs: config.windowMs, clock, policy });
        case 'sliding_window':
          return new SlidingWindowCounter({ limit: config.limit, windowMs: config.windowMs, clock, policy });
      }
    };
    this.table = new KeyedLimiter({ create, maxKeys: config.maxKeys });
  }

  /** Keys held now (bounded by maxKeys). */
  get keys(): number {
    return this.table.size;
  }

  /** `subject`: the user a gateway route verified (keys `jwt_subject` limits). */
  check(clientAddress: string, fields: readonly HttpField[], subject?: string): RateVerdict {
    const src = this.source;
    let key: string | undefined;
    if (src.by === 'address') key = rateLimitKey(src, { remoteAddress: clientAddress, headers: {} });
    else if (src.by === 'subject') {
      if (subject !== undefined) key = `sub:${subject}`;
      else if (this.config.missingKey === 'reject')
        return { allowed: false, status: 400, fields: [], text: `netlab proxy: rate limit ${this.policy} needs a verified user\n`, policy: this.policy };
      else key = rateLimitKey({ by: 'address' }, { remoteAddress: clientAddress, headers: {} });
    } else {
      const name = (src.by === 'header' ? src.name : (src.header ?? 'x-api-key')).toLowerCase();
      key = rateLimitKey(src, { remoteAddress: clientAddress, headers: { [name]: fieldValue(fields, name) } });
      if (key === undefined) {
        if (this.config.missingKey === 'reject')
          return { allowed: false, status: 400, fields: [], text: `netlab proxy: rate limit ${this.policy} needs the ${name} header\n`, policy: this.policy };
        key = rateLimitKey({ by: 'address' }, { remoteAddress: clientAddress, headers: {} });
      }
    }
    const d = this.table.check(key ?? 'addr:-');
    const out = decisionFields(d);
    if (d.allowed) return { allowed: true, fields: out };
    return {
      allowed: false,
      status: 429,
      fields: out,
      text: `netlab proxy: rate limit ${this.policy} (${this.config.algorithm}, ${this.config.limit} per ${this.config.windowMs} ms) reached; retry in ${d.retryAfterSeconds ?? 1} s\n`,
      policy: this.policy,
    };
  }
}

/**
 * Measures event-loop lag as the lateness of a repeating timer and reports the worst lateness of the
 * last `windowMs` to the shedder. Real timers (the lag is the real loop's), unref'd, stopped by stop().
 */
export class LagSampler {
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly samples: { at: number; lag: number }[] = [];
  private last = performance.now();

  constructor(
    private readonly shedder: LoadShedder,
    private readonly sampleMs: number,
    private readonly windowMs: number,
  ) {
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.timer.unref();
  }

  private sample(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.last - this.sampleMs);
    this.last = now;
    this.samples.push({ at: now, lag });
    while (this.samples.length > 0 && this.samples[0].at < now - this.windowMs) this.samples.shift();
    let worst = 0;
    for (const s of this.samples) worst = Math.max(worst, s.lag);
    this.shedder.reportLag(worst);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The proxy's load shedder and (when lag thresholds are set) its lag sampler. */
export class LoadShedRuntime {
  readonly config: LoadShedConfig;
  readonly shedder: LoadShedder;
  private readonly sampler: LagSampler | undefined;

  constructor(config: LoadShedConfig) {
    this.config = config;
    this.shedder = new LoadShedder({
      ...(config.maxConcurrent === undefined ? {} : { maxConcurrent: config.maxConcurrent }),
      ...(config.lagHardMs === undefined ? {} : { lagHardMs: config.lagHardMs }),
      ...(config.lagSoftMs === undefined ? {} : { lagSoftMs: config.lagSoftMs }),
      retryAfterSeconds: config.retryAfterS,
    });
    this.sampler = config.lagHardMs === undefined ? undefined : new LagSampler(this.shedder, config.lagSampleMs, config.lagWindowMs);
  }

  stop(): void {
    this.sampler?.stop();
  }
}

/** Same config (as JSON) → keep the runtime and its counters across a reload. */
export function sameConfig(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
