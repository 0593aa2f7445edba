// Passive outlier detection on a fake clock: ejection after consecutive 5xx or connect failures, the
// ejection time growing with each ejection up to the cap, the cap on how many may be out, the decay.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, OutlierDetector, type BalancerEvent, type EndpointSpec } from '../../src/balance/index.ts';

const FIVE: EndpointSpec[] = ['s1', 's2', 's3', 's4', 's5'].map((name, i) => ({ name, address: '127.0.0.1', port: 8001 + i }));

function setup(outlier: ConstructorParameters<typeof OutlierDetector>[0], specs = FIVE) {
  const clock = new ManualClock();
  const b = new Balancer({ endpoints: specs, policy: 'round_robin', clock, random: seededRandom('o'), outlier });
  const events: BalancerEvent[] = [];
  b.onEvent((e) => events.push(e));
  const hit = (name: string, outcome: { status?: number; error?: 'connect' | 'reset' | 'timeout' }): void => {
    b.begin(b.endpoint(name)!).finish(outcome);
  };
  return { clock, b, events, hit };
}

describe('outlier detection', () => {
  it('ejects after N consecutive 5xx; a success in between resets the count', () => {
    const { b, hit, events } = setup({ consecutive5xx: 3, maxEjectionPercent: 100 });
    hit('s1', { status: 503 });
    hit('s1', { status: 500 });
    hit('s1', { status: 200 });
    hit('s1', { status: 502 });
    hit('s1', { status: 504 });
    expect(b.endpoint('s1')!.state).toBe('healthy');
    hit('s1', { error: 'reset' }); // a reset counts as a server error
    expect(b.endpoint('s1')!.state).toBe('ejected');
    expect(events).toMatchObject([{ type: 'ejected', reason: 'consecutive_5xx', ejections: 1, untilMs: 30_000 }]);
    expect(b.summary()[0]).toMatchObject({ name: 's1', state: 'ejected', total: 6, failures: 5, ejections: 1, ejectedForMs: 30_000 });
    // No pick goes to it while ejected.
    for (let i = 0; i < 20; i++) expect(b.pick().endpoint?.name).not.toBe('s1');
  });

  it('ejects after N consecutive connect failures, which do not count as 5xx', () => {
    const { b, hit } = setup({ consecutive5xx: 2, consecutiveConnectFailures: 3, maxEjectionPercent: 100 });
    hit('s2', { error: 'connect' });
    hit('s2', { error: 'connect' });
    expect(b.outlier!.counters(b.endpoint('s2')!)).toEqual({ consecutive5xx: 0, consecutiveConnectFailures: 2 });
    expect(b.endpoint('s2')!.ejected).toBe(false);
    hit('s2', { error: 'connect' });
    expect(b.endpoint('s2')!.ejected).toBe(true);
  });

  it('the ejection time is base × ejections, capped; the endpoint comes back when it runs out', () => {
    const { b, hit, clock, events } = setup({ consecutive5xx: 1, baseEjectionMs: 10_000, maxEjectionMs: 35_000, maxEjectionPercent: 100, decayIntervalMs: 1_000_000 });
    const durations: number[] = [];
    for (let round = 0; round < 5; round++) {
      hit('s1', { status: 500 });
      const until = b.endpoint('s1')!.ejectedUntil!;
      durations.push(until - clock.now());
      clock.advance(until - clock.now() - 1);
      expect(b.pick({ exclude: new Set(['s2', 's3', 's4', 's5']) }).endpoint).toBeUndefined(); // still out 1 ms before
      clock.advance(1);
      expect(b.pick({ exclude: new Set(['s2', 's3', 's4', 's5']) }).endpoint?.name).toBe('s1'); // back on time
    }
    expect(durations).toEqual([10_000, 20_000, 30_000, 35_000, 35_000]);
    expect(events.filter((e) => e.type === 'unejected')).toHaveLength(5);
  });

  it('the ejection count decays while the endpoint stays in', () => {
    const { b, hit, clock } = setup({ consecutive5xx: 1, baseEjectionMs: 1_000, maxEjectionPercent: 100, decayIntervalMs: 10_000 });
    const s1 = b.endpoint('s1')!;
    hit('s1', { status: 500 });
    clock.advance(1_000);
    b.sweep();
    hit('s1', { status: 500 });
    expect(b.outlier!.ejections(s1, clock.now())).toBe(2);
    clock.advance(2_000);
    b.sweep();
    clock.advance(15_000); // 1 interval in without trouble: 2 -> 1
    expect(b.outlier!.ejections(s1, clock.now())).toBe(1);
    hit('s1', { status: 500 });
    expect(s1.ejectedUntil! - clock.now()).toBe(2_000);
  });

  it('no more than maxEjectionPercent may be out (at least one); refusals are reported', () => {
    const { b, hit, events } = setup({ consecutive5xx: 1, maxEjectionPercent: 40 });
    for (const n of ['s1', 's2', 's3']) hit(n, { status: 500 });
    expect(b.endpoints.filter((e) => e.ejected).map((e) => e.name)).toEqual(['s1', 's2']);
    expect(events[2]).toMatchObject({ type: 'eject_refused', endpoint: { name: 's3' }, ejected: 2, limit: 2 });
    const d = new OutlierDetector({ maxEjectionPercent: 10 });
    expect(d.ejectionLimit(3)).toBe(1);
    expect(d.ejectionLimit(25)).toBe(2);
    expect(new OutlierDetector({ maxEjectionPercent: 0 }).ejectionLimit(10)).toBe(0);
  });

  it('checks its options', () => {
    expect(() => new OutlierDetector({ baseEjectionMs: 0 })).toThrow(/baseEjectionMs/);
    expect(() => new OutlierDetector({ baseEjectionMs: 10, maxEjectionMs: 5 })).toThrow(/below/);
    expect(() => new OutlierDetector({ maxEjectionPercent: 101 })).toThrow(/0\.\.100/);
    expect(() => new OutlierDetector({ consecutive5xx: 1.5 })).toThrow(/consecutive5xx/);
  });
});
