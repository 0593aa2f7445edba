// The long-polling-behind-a-balancer lab: one --check run passes (real backends, netlab's proxy, a
// broker, all on 127.71.x loopback addresses); tshark reads both sides of the proxy with nothing
// malformed and counts every printed filter as the lab says; a broken run (every backend on the
// shared broker in the "trap" step) fails the trap's checkpoints; a fixture run writes nothing.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/long-polling-behind-a-balancer.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { labHarness, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('longpoll-lab');

describe('lab long-polling-behind-a-balancer, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint and both exercises', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(20);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes one capture per step, both sides of the proxy in each', () => {
    expect(readdirSync(join(r.out, 'long-polling-behind-a-balancer')).sort()).toEqual([
      'broker.pcapng',
      'round-robin.pcapng',
      'sticky.pcapng',
      'timeouts.pcapng',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('tshark: nothing malformed, every printed filter selects the frames the lab says', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(4);
    for (const c of captures) {
      const [malformed, ...counts] = tsharkCounts(c.absolutePath, ['_ws.malformed', ...c.filters.map((f) => f.filter)]);
      expect(malformed, c.path).toBe(0);
      c.filters.forEach((f, i) => {
        if (typeof f.frames === 'number') expect(counts[i], `${f.filter} on ${c.path}`).toBe(f.frames);
        else expect(counts[i], `${f.filter} on ${c.path}`).toBeGreaterThan(0);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))(
    "tshark: m1 from bob to the proxy, then from the proxy to a backend with an X-Request-Id that the proxy's response to bob repeats",
    () => {
      const path = join(r.out, 'long-polling-behind-a-balancer', 'round-robin.pcapng');
      const rows = tsharkRows(path, 'http.request.uri contains "id=m1"', ['ip.src', 'ip.dst', 'http.request.method', 'http.request.line']);
      expect(rows).toHaveLength(2);
      expect(rows[0].slice(0, 3)).toEqual(['127.71.0.22', '127.71.0.1', 'POST']);
      expect(rows[1][1]).toMatch(/^127\.71\.0\.1[123]$/);
      const id = /X-Request-Id: ([0-9a-f-]{36})/.exec(rows[1][3])?.[1];
      expect(id, rows[1][3]).toBeDefined();
      expect(rows[0][3]).not.toContain(id);
      const answer = tsharkRows(path, `http.response.line contains "${id}"`, ['ip.src', 'ip.dst', 'http.response.code']);
      expect(answer).toEqual([['127.71.0.1', '127.71.0.22', '202']]);
    },
  );
});

describe('lab long-polling-behind-a-balancer, a checkpoint that fails', () => {
  it('with a shared broker behind the trap step, there is no trap: its checkpoints fail', async () => {
    const share: Step<unknown> = {
      title: 'every backend on the broker',
      explain: '',
      run(ctx) {
        (ctx.state as { trapShared?: boolean }).trapShared = true;
      },
    };
    const broken: AnyLab = { ...lab, exercises: [], steps: [share, lab.steps[0] as Step<unknown>] };
    const res = await run(broken);
    const text = res.text.replace(/\s+/g, ' ');
    expect(text).toMatch(/FAIL m1 went to a backend that did not hold alice's poll/);
    expect(text).toMatch(/FAIL every message that arrived came from the backend that took its POST/);
  }, 30_000);
});

describe('lab long-polling-behind-a-balancer, deterministic (fixtures)', () => {
  it('writes nothing into the fixtures folder (request ids and timings differ on every run)', async () => {
    const only: AnyLab = { ...lab, exercises: [], steps: [lab.steps[2] as Step<unknown>] };
    const res = await run(only, { deterministic: true });
    expect(res.summary.failed, res.text).toBe(0);
    expect(readdirSync(res.out)).toEqual([]);
  }, 30_000);
});
