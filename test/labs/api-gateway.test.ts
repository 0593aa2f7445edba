// The api-gateway lab: one --check run through the runner passes every checkpoint and both
// exercises; its captures open in tshark with nothing malformed and every printed filter selects in
// tshark the frames the lab says; a gateway without idempotency keys charges a retried payment twice
// and fails the checkpoints that say otherwise.

import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/api-gateway.ts';
import type { GatewayState } from '../../labs/api-gateway/state.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCounts } from './harness.ts';

const { run } = labHarness('gw-lab');

describe('lab api-gateway, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and both exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(20);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('the captures: nothing malformed, every printed filter selects what the lab says in tshark', { timeout: 120_000 }, () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop())).toEqual([
      'tokens.pcapng',
      'user-id.pcapng',
      'rewrite.pcapng',
      'limits.pcapng',
      'idempotency.pcapng',
      'beside.pcapng',
    ]);
    // One tshark pass per capture (io,stat counts every filter at once).
    for (const c of captures) {
      const filters = c.filters.filter((f) => typeof f.frames === 'number');
      const counts = tsharkCounts(c.absolutePath, ['_ws.malformed || _ws.expert.severity >= "Warning"', ...filters.map((f) => f.filter)]);
      expect(counts, c.path).toEqual([0, ...filters.map((f) => f.frames)]);
    }
  });
});

describe('lab api-gateway, checkpoints that fail', () => {
  it('without idempotency keys a retried payment is charged twice', async () => {
    const state = lab.state;
    if (state === undefined) throw new Error('the lab has no state');
    const broken = {
      ...lab,
      exercises: [],
      state: (): GatewayState => ({ ...(state() as GatewayState), idempotency: false }),
      steps: [lab.steps[0], lab.steps[5]],
    } as unknown as AnyLab;
    const b = await run(broken);
    expect(failedLabels(b.summary), b.text).toEqual([
      'a POST without a key: 400',
      'the retry got the first answer back, byte for byte',
      'the retry is marked Idempotent-Replayed',
      'the same key with another amount: 422',
      'the copy sent while the first was running: 409',
      'the payments service charged once per key: 2 charges',
    ]);
  }, 30_000);
});
