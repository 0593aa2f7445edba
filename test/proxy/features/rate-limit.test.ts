// Rate limiters on a ManualClock: the study guides' 3-a-minute POST API, a fixed window letting twice
// the limit through across a boundary where the sliding log and counter do not, leaky bucket
// smoothing, header values, and a keyed table that stays bounded under 100,000 keys.

import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/base/errors.ts';
import { ManualClock } from '../../../src/base/timer-clock.ts';
import {
  FixedWindow,
  KeyedLimiter,
  LeakyBucketMeter,
  LeakyBucketQueue,
  type RateLimiter,
  SlidingLog,
  SlidingWindowCounter,
  TokenBucket,
  rateLimitHeaders,
  rateLimitKey,
} from '../../../src/proxy/features/rate-limit.ts';

function burst(l: RateLimiter, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (l.check().allowed) ok++;
  return ok;
}

describe('token bucket', () => {
  it('a POST API with 3 tokens a minute: the 4th request gets 429 with Retry-After 20', () => {
    const clock = new ManualClock();
    const b = new TokenBucket({ capacity: 3, refillPerSecond: 3 / 60, clock, policy: 'post' });
    const d = [b.check(), b.check(), b.check()];
    expect(d.map((x) => [x.allowed, x.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    const fourth = b.check();
    expect(fourth.allowed).toBe(false);
    expect(fourth.retryAfterSeconds).toBe(20);
    expect(rateLimitHeaders(fourth)).toEqual({ 'RateLimit-Policy': '"post";q=3;w=60', RateLimit: '"post";r=0;t=60', 'Retry-After': '20' });
    clock.advance(19_999);
    expect(b.check().allowed).toBe(false);
    expect(b.check().retryAfterSeconds).toBe(1);
    clock.advance(1);
    const fifth = b.check();
    expect(fifth.allowed).toBe(true);
    expect(rateLimitHeaders(fifth)).toEqual({ 'RateLimit-Policy': '"post";q=3;w=60', RateLimit: '"post";r=0;t=60' });
    clock.advance(10 * 60_000);
    expect(b.available).toBe(3);
  });

  it('refuses a cost above the capacity and bad options', () => {
    const clock = new ManualClock();
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1, clock })).toThrow(/capacity/);
    expect(() => new TokenBucket({ capacity: 2, refillPerSecond: 1, clock }).check(3)).toThrow(/never be allowed/);
    let code: string | undefined;
    try {
      new TokenBucket({ capacity: 1, refillPerSecond: 1, clock, policy: 'caf\u00e9' });
    } catch (e) {
      code = errorCode(e);
    }
    expect(code).toBe('ERR_ARGUMENT');
  });

  it('escapes the policy name as a Structured Field String', () => {
    const b = new TokenBucket({ capacity: 1, refillPerSecond: 1, clock: new ManualClock(), policy: 'a"b\\c' });
    expect(rateLimitHeaders(b.check())['RateLimit-Policy']).toBe('"a\\"b\\\\c";q=1;w=1');
  });
});

describe('windows across a boundary: 10 a minute, 10 requests at 59 s and 10 at 61 s', () => {
  const run = (make: (clock: ManualClock) => RateLimiter): [number, number] => {
    const clock = new ManualClock();
    const l = make(clock);
    clock.advance(59_000);
    const a = burst(l, 10);
    clock.advance(2_000);
    return [a, burst(l, 10)];
  };
  it('the fixed window lets 20 through in 2 seconds, twice the limit', () => {
    expect(run((clock) => new FixedWindow({ limit: 10, windowMs: 60_000, clock }))).toEqual([10, 10]);
  });
  it('the sliding log lets 10 through', () => {
    expect(run((clock) => new SlidingLog({ limit: 10, windowMs: 60_000, clock }))).toEqual([10, 0]);
  });
  it('the sliding window counter lets 10 through (10 * 59/60 = 9.83 already counted)', () => {
    expect(run((clock) => new SlidingWindowCounter({ limit: 10, windowMs: 60_000, clock }))).toEqual([10, 0]);
  });

  it('fixed window: Retry-After is the time to the boundary', () => {
    const clock = new ManualClock(30_000);
    const f = new FixedWindow({ limit: 2, windowMs: 60_000, clock });
    burst(f, 2);
    clock.advance(500);
    const d = f.check();
    expect([d.allowed, d.retryAfterSeconds, d.resetSeconds]).toEqual([false, 30, 30]);
  });

  it('sliding log: 3 a minute, Retry-After until the oldest slides out', () => {
    const clock = new ManualClock();
    const s = new SlidingLog({ limit: 3, windowMs: 60_000, clock });
    s.check();
    clock.advance(10_000);
    s.check();
    clock.advance(10_000);
    s.check();
    clock.advance(5_000);
    const d = s.check();
    expect([d.allowed, d.retryAfterSeconds]).toEqual([false, 35]);
    clock.advance(35_000);
    expect(s.check().allowed).toBe(true);
    expect(s.count).toBe(3);
  });

  it('sliding window counter: the Retry-After it gives is the first moment allowed', () => {
    const clock = new ManualClock();
    const s = new SlidingWindowCounter({ limit: 10, windowMs: 60_000, clock });
    clock.advance(50_000);
    burst(s, 10);
    clock.advance(20_000); // 10 s into the next window: estimate 10 * 50/60 = 8.33
    expect(burst(s, 1)).toBe(1); // 9.33
    const d = s.check(); // 10.33 > 10
    expect(d.allowed).toBe(false);
    // room = 10 - 1 - 1 = 8: wait until 10 * (60 - e)/60 <= 8, e = 12 s: 2 s from now
    expect(d.retryAfterSeconds).toBe(2);
    clock.advance(1_999);
    expect(s.check().allowed).toBe(false);
    clock.advance(1);
    expect(s.check().allowed).toBe(true);
  });
});

describe('leaky bucket', () => {
  it('as a queue: a burst of 10 comes out one every 100 ms; the 6th of a full queue is refused', () => {
    const clock = new ManualClock();
    const q = new LeakyBucketQueue<number>({ capacity: 5, leakPerSecond: 10, clock });
    const offers = [0, 1, 2, 3, 4, 5, 6].map((i) => q.offer(i));
    expect(offers.map((o) => o.delayMs)).toEqual([0, 100, 200, 300, 400, 500, undefined]);
    expect(offers[6].decision.allowed).toBe(false);
    expect(offers[6].decision.retryAfterSeconds).toBe(1);
    const released: [number, number][] = [];
    for (let t = 0; t <= 600; t += 50) {
      for (const i of q.due()) released.push([i, clock.now()]);
      clock.advance(50);
    }
    expect(released).toEqual([
      [0, 0],
      [1, 100],
      [2, 200],
      [3, 300],
      [4, 400],
      [5, 500],
    ]);
    expect(q.size).toBe(0);
    // Idle since 500 ms: the next one goes at once.
    expect(q.offer(7).delayMs).toBe(0);
  });

  it('as a meter: 20 requests at once pass 5 (the capacity), then one per 200 ms', () => {
    const clock = new ManualClock();
    const m = new LeakyBucketMeter({ capacity: 5, leakPerSecond: 5, clock });
    expect(burst(m, 20)).toBe(5);
    const d = m.check();
    expect([d.allowed, d.retryAfterSeconds]).toEqual([false, 1]);
    let allowed = 0;
    for (let t = 0; t < 2000; t += 10) {
      clock.advance(10);
      allowed += burst(m, 3);
    }
    expect(allowed).toBe(10); // 2 s at 5 a second, evenly: no burst after the first
    expect(m.fill).toBeCloseTo(5, 6);
  });
});

describe('keys', () => {
  it('draws keys from the address (IPv6 by /64), a header or an API key', () => {
    const h = { 'x-api-key': ' k1 ', 'x-tenant': ['t1', 't2'] };
    expect(rateLimitKey({ by: 'address' }, { remoteAddress: '127.0.0.1', headers: {} })).toBe('addr:127.0.0.1');
    expect(rateLimitKey({ by: 'address' }, { remoteAddress: '::ffff:127.0.0.2', headers: {} })).toBe('addr:127.0.0.2');
    expect(rateLimitKey({ by: 'address' }, { remoteAddress: '2001:db8:1:2:aa::1', headers: {} })).toBe('addr:2001:db8:1:2:0:0:0:0/64');
    expect(rateLimitKey({ by: 'address' }, { remoteAddress: '2001:db8:1:2:bb::9', headers: {} })).toBe('addr:2001:db8:1:2:0:0:0:0/64');
    expect(rateLimitKey({ by: 'address', ipv6Prefix: 128 }, { remoteAddress: '::1', headers: {} })).toBe('addr:0:0:0:0:0:0:0:1/128');
    expect(rateLimitKey({ by: 'api-key' }, { remoteAddress: '127.0.0.1', headers: h })).toBe('key:k1');
    expect(rateLimitKey({ by: 'header', name: 'X-Tenant' }, { remoteAddress: '127.0.0.1', headers: h })).toBe('hdr:x-tenant:t1');
    expect(rateLimitKey({ by: 'header', name: 'x-missing' }, { remoteAddress: '127.0.0.1', headers: h })).toBeUndefined();
  });

  it('reads an IPv4-mapped address in any notation as its IPv4 address, and an embedded IPv4 tail as two groups', () => {
    const key = (remoteAddress: string, ipv6Prefix?: number): string | undefined =>
      rateLimitKey({ by: 'address', ...(ipv6Prefix === undefined ? {} : { ipv6Prefix }) }, { remoteAddress, headers: {} });
    // Hex and upper-case spellings of ::ffff:127.0.0.2 once fell into one shared key, 0:0:0:0:0:0:0:0/64.
    expect(key('::ffff:7f00:2')).toBe('addr:127.0.0.2');
    expect(key('::FFFF:127.0.0.2')).toBe('addr:127.0.0.2');
    expect(key('0:0:0:0:0:ffff:127.0.0.3')).toBe('addr:127.0.0.3');
    expect(key('::ffff:7f00:2')).not.toBe(key('::ffff:7f00:3'));
    expect(key('1:2:3:4:5:6:1.2.3.4', 128)).toBe('addr:1:2:3:4:5:6:102:304/128');
    expect(key('64:ff9b::1.2.3.4', 128)).toBe('addr:64:ff9b:0:0:0:0:102:304/128');
    expect(key('fe80::1%eth0')).toBe('addr:fe80:0:0:0:0:0:0:0/64');
    expect(key('not-an-address')).toBe('addr:not-an-address');
  });

  it('limits each key on its own', () => {
    const clock = new ManualClock();
    const k = new KeyedLimiter({ maxKeys: 10, create: () => new FixedWindow({ limit: 2, windowMs: 1000, clock }) });
    expect([k.check('a'), k.check('a'), k.check('a'), k.check('b')].map((d) => d.allowed)).toEqual([true, true, false, true]);
  });

  it('stays bounded with 100,000 keys, evicting the least recently used', () => {
    const clock = new ManualClock();
    const k = new KeyedLimiter({ maxKeys: 1000, create: () => new TokenBucket({ capacity: 1, refillPerSecond: 0.001, clock }) });
    expect(k.check('hot').allowed).toBe(true);
    for (let i = 0; i < 100_000; i++) {
      k.check(`client-${i}`);
      if (i % 500 === 0) {
        expect(k.check('hot').allowed).toBe(false); // used often: never evicted
        expect(k.size).toBeLessThanOrEqual(1000);
      }
    }
    expect(k.size).toBe(1000);
    expect(k.evictions).toBe(100_001 - 1000);
    expect(k.has('hot')).toBe(true);
    expect(k.has('client-0')).toBe(false);
    expect(k.check('client-0').allowed).toBe(true); // forgotten: a fresh bucket
  });
});
