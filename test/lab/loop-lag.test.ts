// LoopLag measures how late this process's timers run (a loop kept busy on purpose shows), and
// runQueueWaitMs reads the kernel's run-queue wait for this thread (where Linux says it).

import { describe, expect, it } from 'vitest';
import { LoopLag, runQueueWaitMs } from '../../src/lab/loop-lag.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('LoopLag', () => {
  it('sees a loop blocked for 60 ms as a timer 60 ms late, and allows that much for a timer due then', async () => {
    const lag = new LoopLag(5);
    try {
      await sleep(30);
      const blockedAt = performance.now();
      while (performance.now() - blockedAt < 60) {
        // busy: no timer can run
      }
      const freedAt = performance.now();
      await sleep(30);
      expect(lag.worstMs(blockedAt, freedAt + 20)).toBeGreaterThanOrEqual(50);
      // A timer due in the middle of the stall ran when it ended: the allowance covers its lateness.
      expect(lag.allowanceMs(blockedAt + 10, freedAt)).toBeGreaterThanOrEqual(freedAt - (blockedAt + 10));
      expect(lag.samples.length).toBeGreaterThan(5);
      expect(lag.samples.every((s) => s.lateMs >= 0)).toBe(true);
    } finally {
      lag.stop();
    }
    const n = lag.samples.length;
    await sleep(30);
    expect(lag.samples.length).toBe(n);
  });

  it('refuses a sampling period under 1 ms', () => {
    expect(() => new LoopLag(0)).toThrow(/sampleMs must be >= 1, got 0/);
  });
});

describe('runQueueWaitMs', () => {
  it('is a count that never goes back, or undefined where the kernel does not say', () => {
    const a = runQueueWaitMs();
    const b = runQueueWaitMs();
    if (process.platform === 'linux') expect(a).toBeTypeOf('number');
    if (a !== undefined && b !== undefined) expect(b).toBeGreaterThanOrEqual(a);
  });
});
