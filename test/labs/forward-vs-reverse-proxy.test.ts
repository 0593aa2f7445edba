// The forward-vs-reverse-proxy lab: one --check run through the runner passes every checkpoint and
// both exercises; its captures open in tshark with nothing malformed and every printed filter selects
// in tshark the frames the lab says; a forward proxy that stops writing X-Forwarded-For makes the
// checkpoint "C learns A's address only from X-Forwarded-For" fail.

import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/forward-vs-reverse-proxy.ts';
import type { FwdState } from '../../labs/forward-vs-reverse-proxy/state.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCount } from './harness.ts';

const { run } = labHarness('fwd-lab');

describe('lab forward-vs-reverse-proxy, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and both exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(20);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('the captures: nothing malformed, every printed filter selects what the lab says in tshark', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop())).toEqual(['forward.pcapng', 'reverse.pcapng', 'connect.pcapng']);
    for (const c of captures) {
      expect(tsharkCount(c.absolutePath, '_ws.malformed || _ws.expert.severity >= "Warning"'), c.path).toBe(0);
      for (const f of c.filters) {
        if (typeof f.frames === 'number') expect(tsharkCount(c.absolutePath, f.filter), `${c.path}: ${f.filter}`).toBe(f.frames);
      }
    }
  });
});

describe('lab forward-vs-reverse-proxy, a checkpoint that fails', () => {
  it('a forward proxy that writes no X-Forwarded-For fails the checkpoint that says C learns A from it', async () => {
    const state = lab.state;
    if (state === undefined) throw new Error('the lab has no state');
    const broken = {
      ...lab,
      exercises: [],
      state: (): FwdState => ({ ...(state() as FwdState), forwardedFor: 'remove' }),
      steps: [lab.steps[0]],
    } as unknown as AnyLab;
    const b = await run(broken);
    expect(failedLabels(b.summary), b.text).toEqual(["C learns A's address only from X-Forwarded-For"]);
  }, 30_000);
});
