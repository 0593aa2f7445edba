// The rate-limits-and-circuit-breakers lab: one --check run through the runner passes every
// checkpoint and the three exercises; its captures open in tshark with nothing malformed and every
// printed filter selects in tshark the frames the lab says (429s of the token bucket, 503s of the shed
// load and of the open breaker); a token bucket refilling 6 tokens a minute instead of 3 makes the
// Retry-After and refill checkpoints fail.

import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/rate-limits-and-circuit-breakers.ts';
import type { RateState } from '../../labs/rate-limits/state.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCount, tsharkCounts } from './harness.ts';

const { run } = labHarness('rate-lab');

describe('lab rate-limits-and-circuit-breakers, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint and the three exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(40);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('the captures: nothing malformed, every printed filter selects what the lab says in tshark', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop())).toEqual(['bucket.pcapng', 'windows.pcapng', 'shed.pcapng', 'breaker.pcapng']);
    for (const c of captures) {
      const filters = c.filters.filter((f) => typeof f.frames === 'number' && !f.filter.includes(','));
      const counts = tsharkCounts(c.absolutePath, ['_ws.malformed || _ws.expert.severity >= "Warning"', ...filters.map((f) => f.filter)]);
      expect(counts[0], `${c.path}: malformed`).toBe(0);
      filters.forEach((f, i) => expect(counts[i + 1], `${c.path}: ${f.filter}`).toBe(f.frames));
    }
    const byPath = (name: string): string => captures.find((c) => c.path.endsWith(name))?.absolutePath ?? '';
    // tshark's own reading of the numbers the lab prints.
    expect(tsharkCount(byPath('bucket.pcapng'), 'http.response.code == 429 && http.response.line contains "Retry-After: 20"')).toBe(3);
    expect(tsharkCount(byPath('shed.pcapng'), 'http.response.code == 503')).toBe(400);
    expect(tsharkCount(byPath('breaker.pcapng'), 'http.response.code == 503 && http.response.line contains "breaker-open"')).toBe(6);
  });
});

describe('lab rate-limits-and-circuit-breakers, checkpoints that fail', () => {
  it('a bucket refilling 6 tokens a minute fails the Retry-After and refill checkpoints', async () => {
    const state = lab.state;
    if (state === undefined) throw new Error('the lab has no state');
    const broken = {
      ...lab,
      exercises: [],
      state: (): RateState => ({ ...(state() as RateState), tokensPerMinute: 6 }),
      steps: [lab.steps[0]],
    } as unknown as AnyLab;
    const b = await run(broken);
    const failed = failedLabels(b.summary);
    expect(failed, b.text).toContain('the 429 says Retry-After: 20 (60 s / 3 tokens)');
    expect(failed).toContain('20 s later exactly one token is back: one 200, then 429');
  }, 30_000);
});
