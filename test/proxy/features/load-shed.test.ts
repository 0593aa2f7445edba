// Load shedding on a ManualClock: 5000 requests in one second against a proxy that serves 1000 a
// second (5 in flight, 5 ms each) sheds exactly 4000 with 503; the lag signal sheds a proportional share.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/base/random.ts';
import { ManualClock } from '../../../src/base/timer-clock.ts';
import { LoadShedder } from '../../../src/proxy/features/load-shed.ts';

describe('load shedding', () => {
  it('sheds 4000 of 5000 requests/s when the proxy serves 1000/s', () => {
    const clock = new ManualClock();
    const s = new LoadShedder({ maxConcurrent: 5, retryAfterSeconds: 2 });
    let ok = 0;
    let shed = 0;
    // One request every 0.2 ms for one second; each admitted one holds its place for 5 ms. The clock
    // counts in units of 0.2 ms so every time is a whole number (no rounding drift at the edges).
    for (let i = 0; i < 5000; i++) {
      const v = s.admit();
      if (v.admitted) {
        ok++;
        clock.setTimer(() => v.release(), 25);
      } else {
        shed++;
        expect(v).toEqual({ admitted: false, status: 503, reason: 'concurrency', retryAfterSeconds: 2 });
      }
      clock.advance(1);
    }
    clock.advance(50);
    expect([ok, shed]).toEqual([1000, 4000]);
    expect(s.stats).toMatchObject({ inFlight: 0, peakInFlight: 5, admitted: 1000, shed: { concurrency: 4000, 'event-loop-lag': 0 } });
  });

  it('releases once, however often release() is called', () => {
    const s = new LoadShedder({ maxConcurrent: 1 });
    const t = s.admit();
    expect(s.admit().admitted).toBe(false);
    if (!t.admitted) throw new Error('first request refused');
    t.release();
    t.release();
    expect(s.stats.inFlight).toBe(0);
    const u = s.admit();
    expect(u.admitted).toBe(true);
    expect(s.admit().admitted).toBe(false);
  });

  it('sheds by event-loop lag: none below soft, a proportional share between, all above hard', () => {
    const s = new LoadShedder({ lagSoftMs: 50, lagHardMs: 250, random: seededRandom('shed') });
    const count = (n: number): number => {
      let shed = 0;
      for (let i = 0; i < n; i++) {
        const v = s.admit();
        if (v.admitted) v.release();
        else shed++;
      }
      return shed;
    };
    s.reportLag(49);
    expect(count(1000)).toBe(0);
    s.reportLag(100); // a quarter
    expect(s.lagShedShare).toBe(0.25);
    const quarter = count(10_000);
    expect(quarter).toBeGreaterThan(2300);
    expect(quarter).toBeLessThan(2700);
    s.reportLag(250);
    expect(count(1000)).toBe(1000);
    expect(s.stats.shed['event-loop-lag']).toBe(quarter + 1000);
    s.reportLag(0);
    expect(count(100)).toBe(0);
  });

  it('refuses options that cannot work', () => {
    expect(() => new LoadShedder({})).toThrow(/needs maxConcurrent/);
    expect(() => new LoadShedder({ maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    expect(() => new LoadShedder({ lagSoftMs: 300, lagHardMs: 200 })).toThrow(/lagSoftMs/);
    expect(() => new LoadShedder({ maxConcurrent: 1 }).reportLag(-1)).toThrow(/lag/);
  });
});
