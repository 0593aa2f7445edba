// The l7-load-balancing lab: one --check run through the runner passes every checkpoint and the
// three exercises; its capture of both sides of the proxy opens in tshark with nothing malformed, every
// printed filter selects in tshark the frames the lab says, and tshark pairs each client request with
// the proxy's upstream request; a health check that takes a backend out after 2 failures instead of 3
// makes the lab's checkpoint fail.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/l7-load-balancing.ts';
import type { L7State } from '../../labs/l7-load-balancing/state.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCount, tsharkRows } from './harness.ts';

const { run } = labHarness('l7-lab');

describe('lab l7-load-balancing, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint and the three exercises, and prints the final count', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(50);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('the capture of both sides: nothing malformed, every printed filter selects what the lab says in tshark', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop())).toEqual(['both-sides.pcapng']);
    for (const c of captures) {
      expect(tsharkCount(c.absolutePath, '_ws.malformed || _ws.expert.severity >= "Warning"'), c.path).toBe(0);
      for (const f of c.filters) {
        if (typeof f.frames === 'number') expect(tsharkCount(c.absolutePath, f.filter), f.filter).toBe(f.frames);
      }
    }
  });

  it.skipIf(!requireTool('tshark'))('tshark pairs each client request with its upstream request (same URI, X-Forwarded-For = client)', () => {
    const file = join(r.out, 'l7-load-balancing', 'both-sides.pcapng');
    const client = tsharkRows(file, 'http.request && !http.x_forwarded_for', ['ip.src', 'http.request.uri', 'ip.dst']);
    const upstream = tsharkRows(file, 'http.x_forwarded_for', ['http.x_forwarded_for', 'http.request.uri', 'ip.dst']);
    expect(client.map((c) => c.slice(0, 2))).toEqual([
      ['127.70.2.1', '/cart?item=1'],
      ['127.70.2.2', '/cart?item=2'],
      ['127.70.2.3', '/cart?item=3'],
    ]);
    expect(upstream.map((u) => u.slice(0, 2))).toEqual(client.map((c) => c.slice(0, 2)));
    expect(new Set(client.map((c) => c[2]))).toEqual(new Set(['127.70.0.1']));
    expect(upstream.map((u) => u[2])).toEqual(['127.70.1.1', '127.70.1.2', '127.70.1.3']);
  });
});

describe('lab l7-load-balancing, a checkpoint that fails', () => {
  it('a health check that takes a backend out after 2 failures fails "after exactly 3 failed probes"', async () => {
    const health = lab.steps.find((s) => s.title.startsWith('Health checks'));
    if (health === undefined || lab.state === undefined) throw new Error('the lab has no health check step');
    const state = lab.state;
    const broken = {
      ...lab,
      exercises: [],
      state: (): L7State => ({ ...(state() as L7State), healthFall: 2 }),
      steps: [lab.steps[0], health],
    } as unknown as AnyLab;
    const b = await run(broken);
    expect(failedLabels(b.summary), b.text).toEqual(['... after exactly 3 failed probes in a row']);
  }, 60_000);
});
