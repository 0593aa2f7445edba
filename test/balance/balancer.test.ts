// The Balancer around the policies: who may be picked, the all-down rule, fail-open, drain, retries
// excluding what was tried, reloads keeping counters, and the times an Attempt measures.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, Ewma, PeakEwma, type BalancerEvent } from '../../src/balance/index.ts';
import { THREE } from './simulate.ts';

function make(failOpen = false) {
  const clock = new ManualClock();
  const b = new Balancer({ endpoints: THREE, policy: 'round_robin', clock, random: seededRandom('b'), failOpen });
  const events: BalancerEvent[] = [];
  b.onEvent((e) => events.push(e));
  return { clock, b, events };
}

describe('Balancer', () => {
  it('with every endpoint down: no endpoint and reason all_down (the caller answers 503)', () => {
    const { b } = make();
    for (const e of b.endpoints) e.healthy = false;
    expect(b.pick()).toEqual({ endpoint: undefined, reason: 'all_down' });
  });

  it('fail-open: with every endpoint down, picks among them anyway and says so; never a draining one', () => {
    const { b } = make(true);
    for (const e of b.endpoints) e.healthy = false;
    b.endpoint('b')!.draining = true;
    const names = Array.from({ length: 4 }, () => {
      const r = b.pick();
      expect(r).toMatchObject({ failOpen: true });
      return r.endpoint?.name;
    });
    expect(names).toEqual(['a', 'c', 'a', 'c']);
    b.endpoint('a')!.healthy = true;
    expect(b.pick()).toMatchObject({ endpoint: { name: 'a' }, failOpen: false });
  });

  it('a retry excludes endpoints already tried; when all are excluded the reason says so', () => {
    const { b } = make();
    expect(b.pick({ exclude: new Set(['a']) }).endpoint?.name).toBe('b');
    expect(b.pick({ exclude: new Set(['a', 'b', 'c']) })).toEqual({ endpoint: undefined, reason: 'all_excluded' });
    expect(new Balancer({ endpoints: [], policy: 'random', clock: new ManualClock(), random: seededRandom('e') }).pick()).toEqual({
      endpoint: undefined,
      reason: 'empty',
    });
  });

  it('maxActivePerEndpoint: an endpoint at its limit is skipped; all at their limit is all_busy', () => {
    const b = new Balancer({ endpoints: THREE, policy: 'round_robin', clock: new ManualClock(), random: seededRandom('m'), maxActivePerEndpoint: 2 });
    const held = Array.from({ length: 6 }, () => {
      const e = b.pick().endpoint!;
      return b.begin(e);
    });
    expect(held.map((a) => a.endpoint.name).join('')).toBe('abcabc');
    expect(b.pick()).toEqual({ endpoint: undefined, reason: 'all_busy' });
    held[1].finish({ status: 200 });
    expect(b.pick().endpoint?.name).toBe('b');
    expect(() => new Balancer({ endpoints: THREE, policy: 'random', clock: new ManualClock(), random: seededRandom('m'), maxActivePerEndpoint: 0 })).toThrow(
      /maxActivePerEndpoint/,
    );
  });

  it('onEvent returns a function that stops the listener (a one-off drain waiter does not stay for ever)', () => {
    const { b, events } = make();
    const once: BalancerEvent[] = [];
    const stop = b.onEvent((e) => once.push(e));
    expect(b.drain('a')).toBe(true);
    stop();
    stop(); // twice is harmless
    b.undrain('a');
    expect(b.drain('a')).toBe(true);
    expect(once.map((e) => e.type)).toEqual(['drained']);
    expect(events.map((e) => e.type)).toEqual(['drained', 'drained']);
  });

  it('drain: no new picks, requests in flight finish, then a drained event', () => {
    const { b, clock, events } = make();
    const attempts = [b.begin(b.endpoint('a')!), b.begin(b.endpoint('a')!)];
    expect(b.drain('a')).toBe(false);
    expect(b.endpoint('a')!.state).toBe('draining');
    for (let i = 0; i < 6; i++) expect(b.pick().endpoint?.name).not.toBe('a');
    clock.advance(50);
    attempts[0].finish({ status: 200 });
    expect(events).toEqual([]);
    attempts[1].finish({ status: 200 });
    expect(events).toMatchObject([{ type: 'drained', endpoint: { name: 'a' }, at: 50 }]);
    b.undrain('a');
    expect(b.endpoint('a')!.state).toBe('healthy');
    expect(b.drain('c')).toBe(true); // idle: drained at once
    expect(() => b.drain('zz')).toThrow(/no endpoint named zz/);
  });

  it('an Attempt measures time to first byte and duration, counts active, and finishes once', () => {
    const { b, clock } = make();
    const a = b.endpoint('a')!;
    const att = b.begin(a);
    expect(a.active).toBe(1);
    clock.advance(30);
    att.firstByte();
    clock.advance(20);
    att.firstByte(); // only the first counts
    expect(att.finish({ status: 503 })).toEqual({ durationMs: 50, ttfbMs: 30, status: 503 });
    expect(att.finish({ status: 200 })).toEqual({ durationMs: 50, ttfbMs: 30, status: 503 });
    expect(a.stats()).toMatchObject({ active: 0, total: 1, failures: 1, ttfbEwmaMs: 30, peakEwmaMs: 30 });
    const conn = b.begin(a);
    clock.advance(5);
    expect(conn.finish({ error: 'connect' })).toEqual({ durationMs: 5, error: 'connect' });
    expect(a.stats()).toMatchObject({ failures: 2, ttfbEwmaMs: 30 });
  });

  it('a reload keeps the counters of unchanged endpoints and replaces moved ones', () => {
    const { b } = make();
    const a = b.endpoint('a')!;
    b.begin(a);
    b.setEndpoints([
      { name: 'a', address: '127.0.0.1', port: 8001, weight: 7 },
      { name: 'b', address: '127.0.0.2', port: 8002 },
    ]);
    expect(b.endpoint('a')).toBe(a);
    expect(a.weight).toBe(7);
    expect(a.active).toBe(1);
    expect(b.endpoint('b')!.address).toBe('127.0.0.2');
    expect(b.endpoint('c')).toBeUndefined();
    expect(() => b.setEndpoints([THREE[0], THREE[0]])).toThrow(/appears twice/);
    expect(() => b.setEndpoints([{ ...THREE[0], weight: 0 }])).toThrow(/weight must be > 0/);
  });

  it('states: draining over ejected over unhealthy', () => {
    const { b } = make();
    const a = b.endpoint('a')!;
    a.healthy = false;
    expect(a.state).toBe('unhealthy');
    a.ejectedUntil = 10;
    expect(a.state).toBe('ejected');
    a.draining = true;
    expect(a.state).toBe('draining');
    expect(a.available).toBe(false);
  });
});

describe('latency estimates', () => {
  it('EWMA moves alpha of the way to each sample', () => {
    const e = new Ewma(0.5);
    expect(e.value).toBeUndefined();
    e.add(100);
    e.add(0);
    e.add(0);
    expect(e.value).toBe(25);
    expect(() => new Ewma(0)).toThrow(/alpha/);
  });

  it('peak EWMA jumps to a slower sample at once, forgives with time, and decays while idle', () => {
    const p = new PeakEwma(1000);
    p.add(10, 0);
    p.add(500, 10); // a peak: taken at once
    expect(p.value).toBe(500);
    p.add(10, 20); // 10 ms later: barely moves
    expect(p.value).toBeGreaterThan(490);
    p.add(10, 5020); // 5 τ later: nearly forgiven
    expect(p.value).toBeLessThan(15);
    p.add(400, 5020);
    expect(p.estimate(5020)).toBe(400);
    expect(p.estimate(6020)).toBeCloseTo(400 / Math.E, 6);
  });
});
