// Rate limiting decisions, free of sockets: each limiter reads time from a NetClock and answers
// allowed/denied with what the 429 response (or a successful response) carries: Retry-After seconds
// and the IETF RateLimit-Policy / RateLimit field values.
//
// Field syntax follows draft-ietf-httpapi-ratelimit-headers-10 (27 September 2025; the -08 rewrite
// to Structured Field lists is unchanged there): both fields are Lists (RFC 9651) of Items whose
// bare item is a String naming the policy. Revision -12 (20 November 2026) exists; its text was not
// checked here, so re-read it before relying on these values.
//   RateLimit-Policy: "name";q=<quota>;w=<window seconds>
//   RateLimit:        "name";r=<remaining>;t=<seconds until the quota resets>
// Retry-After (RFC 9110 §10.2.3) is a delay in whole seconds, rounded up so a client that waits
// exactly that long is allowed.
//
// Algorithms: token bucket, leaky bucket (as a meter, and as a queue with a drain rate), fixed
// window, sliding log and sliding window counter. KeyedLimiter keeps one limiter per key (client
// address, a header, an API key) in a table bounded by LRU eviction.

import { NetlabError, NetlabRangeError } from '../../base/errors.ts';
import type { NetClock } from '../../base/timer-clock.ts';
import { formatIpv4, parseIpv4, parseIpv6 } from '../../wire/address-text.ts';

/** What one request's check decided, and what the response headers need. */
export interface RateDecision {
  readonly allowed: boolean;
  /** The policy's name (the String item in both fields). */
  readonly policy: string;
  /** Quota units per window (RateLimit-Policy `q`). */
  readonly limit: number;
  /** The window in seconds (RateLimit-Policy `w`). */
  readonly windowSeconds: number;
  /** Units left after this decision (RateLimit `r`), never negative. */
  readonly remaining: number;
  /** Whole seconds until the quota is back to full or the window resets (RateLimit `t`). */
  readonly resetSeconds: number;
  /** On a denial: whole seconds until a request of the same cost would be allowed. */
  readonly retryAfterSeconds?: number;
}

/** Anything that decides one request at the current time. */
export interface RateLimiter {
  readonly policy: string;
  /** Decides a request costing `cost` units (1 by default); an allowed request consumes them. */
  check(cost?: number): RateDecision;
}

const LAYER = { layer: 'proxy' } as const;

function positive(what: string, v: number): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new NetlabRangeError(`${what} must be a finite number above 0, got ${v}`, LAYER);
  return v;
}

function positiveInt(what: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) throw new NetlabRangeError(`${what} must be a whole number above 0, got ${v}`, LAYER);
  return v;
}

function checkCost(cost: number, limit: number): number {
  if (!(Number.isFinite(cost) && cost > 0)) throw new NetlabRangeError(`cost must be a finite number above 0, got ${cost}`, LAYER);
  if (cost > limit) throw new NetlabRangeError(`cost ${cost} is more than the limit ${limit}: it could never be allowed`, LAYER);
  return cost;
}

/** A policy name must be printable ASCII (it is written as a Structured Field String). */
function policyName(name: string | undefined): string {
  const n = name ?? 'default';
  if (n.length === 0 || !/^[\x20-\x7e]*$/.test(n))
    throw new NetlabError('ERR_ARGUMENT', `policy name ${JSON.stringify(n)} must be 1 or more printable ASCII characters`, LAYER);
  return n;
}

const secondsUp = (ms: number): number => Math.max(0, Math.ceil(ms / 1000 - 1e-9));

function decision(allowed: boolean, policy: string, limit: number, windowMs: number, remaining: number, resetMs: number, retryMs?: number): RateDecision {
  const d: RateDecision = {
    allowed,
    policy,
    limit,
    windowSeconds: secondsUp(windowMs),
    remaining: Math.max(0, Math.floor(remaining + 1e-9)),
    resetSeconds: secondsUp(resetMs),
  };
  return allowed || retryMs === undefined ? d : { ...d, retryAfterSeconds: Math.max(1, secondsUp(retryMs)) };
}

export interface TokenBucketOptions {
  /** Most tokens the bucket holds (the burst); it starts full. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  readonly clock: NetClock;
  readonly policy?: string;
}

/** Token bucket: tokens refill at a steady rate up to `capacity`; a request takes `cost` tokens. */
export class TokenBucket implements RateLimiter {
  readonly policy: string;
  private readonly capacity: number;
  private readonly rate: number; // tokens per ms
  private readonly clock: NetClock;
  private tokens: number;
  private last: number;

  constructor(o: TokenBucketOptions) {
    this.capacity = positive('token bucket capacity', o.capacity);
    this.rate = positive('token bucket refillPerSecond', o.refillPerSecond) / 1000;
    this.clock = o.clock;
    this.policy = policyName(o.policy);
    this.tokens = this.capacity;
    this.last = o.clock.now();
  }

  /** Tokens in the bucket now (fractional). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.rate);
    this.last = Math.max(this.last, now);
  }

  check(cost = 1): RateDecision {
    checkCost(cost, this.capacity);
    this.refill();
    const windowMs = this.capacity / this.rate;
    if (this.tokens + 1e-9 >= cost) {
      this.tokens = Math.max(0, this.tokens - cost);
      return decision(true, this.policy, this.capacity, windowMs, this.tokens, (this.capacity - this.tokens) / this.rate);
    }
    return decision(false, this.policy, this.capacity, windowMs, this.tokens, (this.capacity - this.tokens) / this.rate, (cost - this.tokens) / this.rate);
  }
}

export interface LeakyBucketOptions {
  /** How much the bucket holds: units (meter) or waiting requests (queue). */
  readonly capacity: number;
  /** Units that leak (meter) or requests released (queue) per second. */
  readonly leakPerSecond: number;
  readonly clock: NetClock;
  readonly policy?: string;
}

/**
 * Leaky bucket as a meter: each request pours `cost` units in, the bucket leaks at a steady rate, and
 * a request that would overflow it is denied. (The same decisions as GCRA.)
 */
export class LeakyBucketMeter implements RateLimiter {
  readonly policy: string;
  private readonly capacity: number;
  private readonly rate: number; // units per ms
  private readonly clock: NetClock;
  private level = 0;
  private last: number;

  constructor(o: LeakyBucketOptions) {
    this.capacity = positive('leaky bucket capacity', o.capacity);
    this.rate = positive('leaky bucket leakPerSecond', o.leakPerSecond) / 1000;
    this.clock = o.clock;
    this.policy = policyName(o.policy);
    this.last = o.clock.now();
  }

  /** Units in the bucket now. */
  get fill(): number {
    this.leak();
    return this.level;
  }

  private leak(): void {
    const now = this.clock.now();
    if (now > this.last) this.level = Math.max(0, this.level - (now - this.last) * this.rate);
    this.last = Math.max(this.last, now);
  }

  check(cost = 1): RateDecision {
    checkCost(cost, this.capacity);
    this.leak();
    const windowMs = this.capacity / this.rate;
    if (this.level + cost <= this.capacity + 1e-9) {
      this.level += cost;
      return decision(true, this.policy, this.capacity, windowMs, this.capacity - this.level, this.level / this.rate);
    }
    return decision(
      false,
      this.policy,
      this.capacity,
      windowMs,
      this.capacity - this.level,
      this.level / this.rate,
      (this.level + cost - this.capacity) / this.rate,
    );
  }
}

/** What offering a request to a LeakyBucketQueue decided. */
export interface LeakyOffer {
  readonly decision: RateDecision;
  /** When accepted: the clock time (ms) at which the request leaves the queue for the upstream. */
  readonly releaseAt?: number;
  /** When accepted: milliseconds from now until then (0: send it now). */
  readonly delayMs?: number;
}

/**
 * Leaky bucket as a queue: requests wait in a FIFO of `capacity` places and leave it one every
 * 1/leakPerSecond seconds, so bursts come out evenly spaced; a request finding the queue full is denied.
 * `offer` says when the request is released; `due()` hands back the items whose time has come.
 */
export class LeakyBucketQueue<T = unknown> {
  readonly policy: string;
  private readonly capacity: number;
  private readonly intervalMs: number;
  private readonly clock: NetClock;
  private readonly items: { at: number; item: T }[] = [];
  private head = 0;
  private nextFree = -Infinity;

  constructor(o: LeakyBucketOptions) {
    this.capacity = positiveInt('leaky bucket queue capacity', o.capacity);
    this.intervalMs = 1000 / positive('leaky bucket leakPerSecond', o.leakPerSecond);
    this.clock = o.clock;
    this.policy = policyName(o.policy);
  }

  /** Requests accepted and not yet released (their release time is still ahead). */
  get waiting(): number {
    // Release times only grow along the queue: count back from the end.
    const now = this.clock.now();
    let i = this.items.length;
    while (i > this.head && this.items[i - 1].at > now) i--;
    return this.items.length - i;
  }

  /** Items held (released or not) that `due()` has not handed back yet. */
  get size(): number {
    return this.items.length - this.head;
  }

  offer(item: T): LeakyOffer {
    const now = this.clock.now();
    const windowMs = this.capacity * this.intervalMs;
    const waiting = this.waiting;
    if (waiting >= this.capacity) {
      // The first waiting request leaves at its release time, making a place.
      const firstAt = this.items[this.items.length - waiting].at;
      return { decision: decision(false, this.policy, this.capacity, windowMs, 0, this.nextFree - now, firstAt - now) };
    }
    const at = Math.max(now, this.nextFree);
    this.nextFree = at + this.intervalMs;
    this.items.push({ at, item });
    const remaining = this.capacity - waiting - (at > now ? 1 : 0);
    return { decision: decision(true, this.policy, this.capacity, windowMs, remaining, this.nextFree - now), releaseAt: at, delayMs: at - now };
  }

  /** Removes and returns, in order, the items whose release time has come. */
  due(): T[] {
    const now = this.clock.now();
    const out: T[] = [];
    while (this.head < this.items.length && this.items[this.head].at <= now) out.push(this.items[this.head++].item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }
}

export interface WindowOptions {
  /** Requests (units) allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
  readonly clock: NetClock;
  readonly policy?: string;
}

/** Fixed window: a counter per aligned window [k*W, (k+1)*W); it resets at each boundary. */
export class FixedWindow implements RateLimiter {
  readonly policy: string;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: NetClock;
  private window = -Infinity;
  private count = 0;

  constructor(o: WindowOptions) {
    this.limit = positiveInt('fixed window limit', o.limit);
    this.windowMs = positive('fixed window windowMs', o.windowMs);
    this.clock = o.clock;
    this.policy = policyName(o.policy);
  }

  check(cost = 1): RateDecision {
    checkCost(cost, this.limit);
    const now = this.clock.now();
    const w = Math.floor(now / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.count = 0;
    }
    const resetMs = (w + 1) * this.windowMs - now;
    if (this.count + cost <= this.limit) {
      this.count += cost;
      return decision(true, this.policy, this.limit, this.windowMs, this.limit - this.count, resetMs);
    }
    return decision(false, this.policy, this.limit, this.windowMs, this.limit - this.count, resetMs, resetMs);
  }
}

/** Sliding log: the time of every allowed request in the last window is kept; memory grows with the limit. */
export class SlidingLog implements RateLimiter {
  readonly policy: string;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: NetClock;
  private readonly log: number[] = [];
  private head = 0;

  constructor(o: WindowOptions) {
    this.limit = positiveInt('sliding log limit', o.limit);
    this.windowMs = positive('sliding log windowMs', o.windowMs);
    this.clock = o.clock;
    this.policy = policyName(o.policy);
  }

  /** Requests counted in the window ending now. */
  get count(): number {
    this.evict(this.clock.now());
    return this.log.length - this.head;
  }

  private evict(now: number): void {
    while (this.head < this.log.length && this.log[this.head] <= now - this.windowMs) this.head++;
    if (this.head > 64 && this.head * 2 > this.log.length) {
      this.log.splice(0, this.head);
      this.head = 0;
    }
  }

  check(cost = 1): RateDecision {
    checkCost(cost, this.limit);
    if (!Number.isInteger(cost)) throw new NetlabRangeError(`a sliding log counts whole requests; cost ${cost} is not whole`, LAYER);
    const now = this.clock.now();
    this.evict(now);
    const used = this.log.length - this.head;
    const resetAt = (i: number): number => this.log[this.head + i] + this.windowMs - now;
    if (used + cost <= this.limit) {
      for (let i = 0; i < cost; i++) this.log.push(now);
      const n = this.log.length - this.head;
      return decision(true, this.policy, this.limit, this.windowMs, this.limit - n, resetAt(n - 1));
    }
    // Allowed again once enough of the oldest entries have slid out of the window.
    const mustLeave = used + cost - this.limit;
    return decision(false, this.policy, this.limit, this.windowMs, this.limit - used, resetAt(used - 1), resetAt(mustLeave - 1));
  }
}

/**
 * Sliding window counter: counts for the current and the previous fixed window, the previous one
 * weighted by how much of it still overlaps the sliding window: prev * (1 - elapsed/W) + current.
 */
export class SlidingWindowCounter implements RateLimiter {
  readonly policy: string;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: NetClock;
  private window = -Infinity;
  private current = 0;
  private previous = 0;

  constructor(o: WindowOptions) {
    this.limit = positiveInt('sliding window counter limit', o.limit);
    this.windowMs = positive('sliding window counter windowMs', o.windowMs);
    this.clock = o.clock;
    this.policy = policyName(o.policy);
  }

  private roll(now: number): number {
    const w = Math.floor(now / this.windowMs);
    if (w !== this.window) {
      this.previous = w === this.window + 1 ? this.current : 0;
      this.current = 0;
      this.window = w;
    }
    return now - w * this.windowMs;
  }

  /** The weighted count for the sliding window ending now. */
  get estimate(): number {
    const elapsed = this.roll(this.clock.now());
    return this.previous * (1 - elapsed / this.windowMs) + this.current;
  }

  check(cost = 1): RateDecision {
    checkCost(cost, this.limit);
    const now = this.clock.now();
    const elapsed = this.roll(now);
    const W = this.windowMs;
    const est = this.previous * (1 - elapsed / W) + this.current;
    const resetMs = this.current > 0 ? 2 * W - elapsed : this.previous > 0 ? W - elapsed : 0;
    if (est + cost <= this.limit + 1e-9) {
      this.current += cost;
      return decision(true, this.policy, this.limit, W, this.limit - est - cost, this.current > 0 ? 2 * W - elapsed : resetMs);
    }
    let retryMs: number;
    const room = this.limit - this.current - cost;
    if (room >= 0 && this.previous > 0) {
      // Within this window, once the previous window's weight has fallen enough.
      retryMs = W - elapsed - (room * W) / this.previous;
    } else {
      // In the next window, when this window (then the previous one) weighs little enough.
      const t = this.current > 0 ? W * (1 - (this.limit - cost) / this.current) : 0;
      retryMs = W - elapsed + Math.max(0, t);
    }
    return decision(false, this.policy, this.limit, W, this.limit - est, resetMs, retryMs);
  }
}

/** The field values for a decision (draft-ietf-httpapi-ratelimit-headers-10 §3, §4; RFC 9110 §10.2.3). */
export interface RateLimitHeaders {
  'RateLimit-Policy': string;
  RateLimit: string;
  'Retry-After'?: string;
}

const sfString = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The RateLimit-Policy item for a decision's policy: `"name";q=3;w=60`. */
export function rateLimitPolicyValue(d: Pick<RateDecision, 'policy' | 'limit' | 'windowSeconds'>): string {
  return `${sfString(d.policy)};q=${Math.floor(d.limit)};w=${d.windowSeconds}`;
}

/** The RateLimit item: `"name";r=0;t=20`. */
export function rateLimitValue(d: Pick<RateDecision, 'policy' | 'remaining' | 'resetSeconds'>): string {
  return `${sfString(d.policy)};r=${d.remaining};t=${d.resetSeconds}`;
}

/** All the fields a response carries for a decision (Retry-After only on a denial). */
export function rateLimitHeaders(d: RateDecision): RateLimitHeaders {
  const h: RateLimitHeaders = { 'RateLimit-Policy': rateLimitPolicyValue(d), RateLimit: rateLimitValue(d) };
  if (!d.allowed && d.retryAfterSeconds !== undefined) h['Retry-After'] = String(d.retryAfterSeconds);
  return h;
}

/** Where a limiter's key comes from. */
export type RateKeySource =
  | { readonly by: 'address' /** IPv6 clients are grouped by this prefix length (default 64): one host holds a /64. */; readonly ipv6Prefix?: number }
  | { readonly by: 'header'; readonly name: string }
  | { readonly by: 'api-key' /** The header holding the key (default x-api-key). */; readonly header?: string };

/** The request facts a key is drawn from; header names in lower case. */
export interface RateKeyInput {
  readonly remoteAddress: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/**
 * The address part of a key: an IPv4 address as it is; an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * in any notation or case) as its IPv4 address; any other IPv6 address cut to `prefix` bits (a zone
 * id dropped). Text that is no address at all is its own key.
 */
function addressGroup(addr: string, prefix: number): string {
  const a = addr.replace(/%.*$/, '');
  if (parseIpv4(a) !== undefined) return a;
  const b = parseIpv6(a);
  if (b === undefined) return addr;
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return formatIpv4(b, 12);
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    const g = bits === 0 ? 0 : ((b[2 * i] << 8) | b[2 * i + 1]) & ((0xffff << (16 - bits)) & 0xffff);
    groups.push(g.toString(16));
  }
  return `${groups.join(':')}/${prefix}`;
}

/** The key for a request, or undefined when the header it needs is missing. */
export function rateLimitKey(src: RateKeySource, req: RateKeyInput): string | undefined {
  if (src.by === 'address') {
    const p = src.ipv6Prefix ?? 64;
    if (!(Number.isInteger(p) && p >= 1 && p <= 128)) throw new NetlabRangeError(`ipv6Prefix must be 1..128, got ${p}`, LAYER);
    return `addr:${addressGroup(req.remoteAddress, p)}`;
  }
  const name = (src.by === 'header' ? src.name : (src.header ?? 'x-api-key')).toLowerCase();
  const v = req.headers[name];
  const value = Array.isArray(v) ? v[0] : (v as string | undefined);
  if (value === undefined || value.trim() === '') return undefined;
  return `${src.by === 'header' ? `hdr:${name}` : 'key'}:${value.trim()}`;
}

export interface KeyedLimiterOptions {
  /** Builds the limiter for a key seen for the first time (or again after eviction). */
  readonly create: (key: string) => RateLimiter;
  /** Most keys held; the least recently used is forgotten beyond it. */
  readonly maxKeys: number;
}

/**
 * One limiter per key in a table bounded by LRU eviction (a Map kept in use order), so memory stays
 * bounded under any number of keys. A forgotten key starts again with a fresh limiter: eviction errs
 * toward allowing, so size maxKeys above the number of clients active within one window.
 */
export class KeyedLimiter {
  private readonly table = new Map<string, RateLimiter>();
  private readonly create: (key: string) => RateLimiter;
  private readonly maxKeys: number;
  /** Keys forgotten to stay within maxKeys. */
  evictions = 0;

  constructor(o: KeyedLimiterOptions) {
    this.create = o.create;
    this.maxKeys = positiveInt('maxKeys', o.maxKeys);
  }

  get size(): number {
    return this.table.size;
  }

  has(key: string): boolean {
    return this.table.has(key);
  }

  check(key: string, cost = 1): RateDecision {
    let l = this.table.get(key);
    if (l === undefined) {
      l = this.create(key);
      while (this.table.size >= this.maxKeys) {
        const oldest = this.table.keys().next().value as string;
        this.table.delete(oldest);
        this.evictions++;
      }
    } else {
      this.table.delete(key);
    }
    this.table.set(key, l);
    return l.check(cost);
  }
}
