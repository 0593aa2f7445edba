// Active health checks on a fake clock: fall and rise counts, timeouts, a throwing probe, reloads.

import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { Endpoint, HealthChecker, HealthState, type HealthEvent } from '../../src/balance/index.ts';

function ep(name: string): Endpoint {
  return new Endpoint({ name, address: '127.0.0.1', port: 8080 });
}

/** Advances the clock by `ms` in steps, letting the probes' promises settle after each. */
async function run(clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await tick();
  }
}

describe('HealthState (fall/rise)', () => {
  it('3 failures in a row take it out, 2 passes in a row bring it back', () => {
    const s = new HealthState(3, 2);
    expect([s.record(false), s.record(false), s.record(true), s.record(false), s.record(false)]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(s.record(false)).toBe('down');
    expect(s.healthy).toBe(false);
    expect([s.record(true), s.record(false), s.record(true)]).toEqual([undefined, undefined, undefined]);
    expect(s.record(true)).toBe('up');
    expect(s.healthy).toBe(true);
  });

  it('refuses fall or rise below 1', () => {
    expect(() => new HealthState(0, 2)).toThrow(/fall/);
    expect(() => new HealthState(3, 0.5)).toThrow(/rise/);
  });
});

describe('HealthChecker', () => {
  it('probes every interval; the endpoint goes down on the 3rd failure and up on the 2nd pass', async () => {
    const clock = new ManualClock();
    const e = ep('web1');
    let up = true;
    const probed: number[] = [];
    const hc = new HealthChecker(
      clock,
      async () => {
        probed.push(clock.now());
        return { ok: up, detail: up ? '200 OK {"status":"UP"}' : '503' };
      },
      { intervalMs: 1000, timeoutMs: 500, fall: 3, rise: 2 },
    );
    const events: HealthEvent[] = [];
    hc.onEvent((ev) => events.push(ev));
    hc.setEndpoints([e]);
    hc.start();
    clock.advance(0);
    await tick();
    expect(probed).toEqual([0]);
    await run(clock, 2000);
    expect(probed).toEqual([0, 1000, 2000]);
    up = false;
    await run(clock, 2000); // probes at 3000 and 4000 fail
    expect(e.healthy).toBe(true);
    await run(clock, 1000); // 5000: third failure
    expect(e.healthy).toBe(false);
    expect(e.state).toBe('unhealthy');
    expect(events.filter((x) => x.change !== undefined).map((x) => [x.change, x.at])).toEqual([['down', 5000]]);
    up = true;
    await run(clock, 1000);
    expect(e.healthy).toBe(false);
    await run(clock, 1000);
    expect(e.healthy).toBe(true);
    expect(events.filter((x) => x.change !== undefined).map((x) => [x.change, x.at])).toEqual([
      ['down', 5000],
      ['up', 7000],
    ]);
    hc.stop();
    expect(clock.pending).toBe(0);
  });

  it('a probe that does not answer in time is a failure, and its late answer is ignored', async () => {
    const clock = new ManualClock();
    const e = ep('slow');
    const aborted: boolean[] = [];
    const hc = new HealthChecker(
      clock,
      (_e, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => aborted.push(true));
          clock.setTimer(() => resolve({ ok: true }), 800); // answers after the 500 ms timeout
        }),
      { intervalMs: 1000, timeoutMs: 500, fall: 2, rise: 1 },
    );
    const events: HealthEvent[] = [];
    hc.onEvent((ev) => events.push(ev));
    hc.setEndpoints([e]);
    hc.start();
    await run(clock, 3100, 50);
    expect(events.map((x) => [x.ok, x.detail, x.at])).toEqual([
      [false, 'no answer within 500 ms', 500],
      [false, 'no answer within 500 ms', 1500],
      [false, 'no answer within 500 ms', 2500],
    ]);
    expect(e.healthy).toBe(false);
    expect(aborted.length).toBe(3);
    hc.stop();
  });

  it('a probe that throws or rejects counts as a failure with its message', async () => {
    const clock = new ManualClock();
    const e = ep('x');
    let n = 0;
    const hc = new HealthChecker(
      clock,
      (): Promise<boolean> => {
        n++;
        if (n === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
        return Promise.reject(new Error('socket hang up'));
      },
      { intervalMs: 1000, fall: 2 },
    );
    const events: HealthEvent[] = [];
    hc.onEvent((ev) => events.push(ev));
    hc.setEndpoints([e]);
    hc.start();
    await run(clock, 1100);
    expect(events.map((x) => x.detail)).toEqual(['connect ECONNREFUSED 127.0.0.1:8080', 'socket hang up']);
    expect(events[1].change).toBe('down');
    hc.stop();
  });

  it('starts unhealthy when asked, uses the unhealthy interval, and follows a reload of the endpoint set', async () => {
    const clock = new ManualClock();
    const a = ep('a');
    const b = ep('b');
    const probed: string[] = [];
    const hc = new HealthChecker(
      clock,
      async (x) => {
        probed.push(`${x.name}@${clock.now()}`);
        return false;
      },
      { intervalMs: 1000, unhealthyIntervalMs: 3000, initiallyHealthy: false },
    );
    hc.setEndpoints([a]);
    expect(a.healthy).toBe(false);
    hc.start();
    await run(clock, 3100);
    expect(probed).toEqual(['a@0', 'a@3000']);
    hc.setEndpoints([b]);
    await run(clock, 3100);
    expect(probed).toEqual(['a@0', 'a@3000', 'b@3100', 'b@6100']);
    expect(hc.stateOf('a')).toBeUndefined();
    hc.stop();
    expect(clock.pending).toBe(0);
  });
});
