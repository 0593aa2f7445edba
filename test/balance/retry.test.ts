// Retries: which failures, which methods, how many, the budget, and the jittered backoff.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/base/random.ts';
import { backoffMs, isIdempotent, RetryBudget, retryReason, RetryPolicy } from '../../src/balance/index.ts';

describe('retries', () => {
  it('matches outcomes against the retry-on list', () => {
    const on = ['connect_failure', '503', '5xx'] as const;
    expect(retryReason({ error: 'connect' }, on)).toBe('connect_failure');
    expect(retryReason({ error: 'reset' }, on)).toBeUndefined();
    expect(retryReason({ status: 503 }, on)).toBe('503');
    expect(retryReason({ status: 500 }, on)).toBe('5xx');
    expect(retryReason({ status: 404 }, on)).toBeUndefined();
    expect(retryReason({ status: 502 }, ['503'])).toBeUndefined();
    expect(retryReason({ error: 'timeout' }, ['timeout'])).toBe('timeout');
  });

  it('retries idempotent methods only, except after a connect failure', () => {
    expect(['GET', 'head', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT'].some(isIdempotent)).toBe(false);
    const p = new RetryPolicy({ attempts: 2, retryOn: ['connect_failure', 'reset', '503'] }, seededRandom('r'));
    expect(p.decide('POST', 1, { status: 503 })).toEqual({ retry: false, why: 'not_idempotent' });
    expect(p.decide('POST', 1, { error: 'connect' })).toMatchObject({ retry: true, reason: 'connect_failure', retryNumber: 1 });
    expect(new RetryPolicy({ nonIdempotent: true }, seededRandom('r')).decide('POST', 1, { status: 503 })).toMatchObject({ retry: true });
    expect(p.decide('GET', 1, { status: 200 })).toEqual({ retry: false, why: 'not_retryable' });
  });

  it('stops after the configured attempts', () => {
    const p = new RetryPolicy({ attempts: 2 }, seededRandom('r'), new RetryBudget({ minConcurrent: 100 }));
    expect(p.decide('GET', 1, { error: 'reset' }).retry).toBe(true);
    expect(p.decide('GET', 2, { error: 'reset' }).retry).toBe(true);
    expect(p.decide('GET', 3, { error: 'reset' })).toEqual({ retry: false, why: 'attempts_used' });
  });

  it('the budget caps retries in flight at a share of requests in flight, never below the minimum', () => {
    const b = new RetryBudget({ percent: 20, minConcurrent: 2 });
    for (let i = 0; i < 20; i++) b.requestStarted();
    expect(b.limit).toBe(4);
    expect([1, 2, 3, 4, 5].map(() => b.tryStartRetry())).toEqual([true, true, true, true, false]);
    b.retryFinished();
    expect(b.tryStartRetry()).toBe(true);
    for (let i = 0; i < 20; i++) b.requestFinished();
    expect(b.limit).toBe(2);
    const p = new RetryPolicy({ attempts: 5 }, seededRandom('r'), new RetryBudget({ minConcurrent: 1 }));
    expect(p.decide('GET', 1, { error: 'connect' }).retry).toBe(true);
    expect(p.decide('GET', 1, { error: 'connect' })).toEqual({ retry: false, why: 'budget_spent' });
  });

  it('backoff: full jitter within [0, min(max, base × (2^N − 1))], spread over the range (seeded)', () => {
    const r = seededRandom('backoff');
    for (const [n, upper] of [
      [1, 25],
      [2, 75],
      [3, 175],
      [4, 250],
      [10, 250],
    ] as const) {
      const xs = Array.from({ length: 2000 }, () => backoffMs(n, 25, 250, r));
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...xs)).toBeLessThanOrEqual(upper);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(Math.abs(mean - upper / 2)).toBeLessThan(upper * 0.05);
    }
    expect(() => backoffMs(0, 25, 250, r)).toThrow(/retry/);
  });
});
