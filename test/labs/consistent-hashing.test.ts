// The consistent-hashing lab: one --check run through the runner passes every checkpoint and both
// exercises; its capture of both sides of netlab's proxy opens in tshark with nothing malformed, every
// printed filter selects in tshark the frames the lab says, and tshark's reading of the upstream
// requests (X-User and the backend address) shows the keys that moved at the reload, all to server5,
// each where a ring built here from src/balance puts it; a ring with 1 virtual node per server fails
// the "evened out" checkpoint; a fixture run passes and writes nothing.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { type ChashState } from '../../labs/consistent-hashing.ts';
import { buildRing, Endpoint, hashFunction, ringLookup } from '../../src/balance/index.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCounts, tsharkRows } from './harness.ts';

const { run } = labHarness('chash-lab');

/** Where a ring of server1..serverN (160 points each, FNV-1a 64) puts a key: 127.82.1.K. */
function ringAddress(n: number, key: string): string {
  const hash = hashFunction('fnv1a64');
  const eps = Array.from({ length: n }, (_, i) => new Endpoint({ name: `server${i + 1}`, address: `127.82.1.${i + 1}`, port: 1 }));
  return ringLookup(buildRing(eps, 160, hash), hash(key))?.address ?? '-';
}

describe('lab consistent-hashing, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint and both exercises, and prints the final count', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(25);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it.skipIf(!requireTool('tshark'))('the capture of both sides: nothing malformed, every printed filter selects what the lab says in tshark', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures.map((c) => c.path.split('/').pop())).toEqual(['reload.pcapng']);
    for (const c of captures) {
      const [bad, ...counts] = tsharkCounts(c.absolutePath, ['_ws.malformed || _ws.expert.severity >= "Warning"', ...c.filters.map((f) => f.filter)]);
      expect(bad, c.path).toBe(0);
      expect(c.filters.length).toBe(6);
      c.filters.forEach((f, i) => {
        expect(typeof f.frames, f.filter).toBe('number');
        expect(counts[i], f.filter).toBe(f.frames);
      });
    }
  });

  it.skipIf(!requireTool('tshark'))('tshark: each key reached the backend the ring gives, before and after; the keys that moved went to server5', () => {
    const file = join(r.out, 'consistent-hashing', 'reload.pcapng');
    const rows = tsharkRows(file, 'http.request && http.x_forwarded_for', ['http.request.line', 'ip.dst']);
    expect(rows).toHaveLength(100);
    const seen = new Map<string, string[]>();
    for (const [lines, dst] of rows) {
      const key = /X-User: (user-\d{3})/.exec(lines)?.[1];
      expect(key, lines).toBeDefined();
      seen.set(key as string, [...(seen.get(key as string) ?? []), dst]);
    }
    expect(seen.size).toBe(50);
    const moved: string[] = [];
    for (const [key, [before, after, ...more]] of seen) {
      expect(more, key).toEqual([]);
      expect([before, after], key).toEqual([ringAddress(4, key), ringAddress(5, key)]);
      if (before !== after) moved.push(after);
    }
    expect(moved.length).toBeGreaterThanOrEqual(5);
    expect(moved.length).toBeLessThanOrEqual(15);
    expect(new Set(moved)).toEqual(new Set(['127.82.1.5']));
  });
});

describe('lab consistent-hashing, deterministic (fixtures)', () => {
  it('passes and writes nothing into the fixtures folder (ports and request ids differ on every run)', async () => {
    const proxyStep = lab.steps[lab.steps.length - 1];
    const only = { ...lab, exercises: [], steps: [proxyStep] } as unknown as AnyLab;
    const res = await run(only, { deterministic: true });
    expect(res.summary.failed, res.text).toBe(0);
    expect(readdirSync(res.out)).toEqual([]);
  }, 30_000);
});

describe('lab consistent-hashing, a checkpoint that fails', () => {
  it('a ring with 1 virtual node per server fails the "evened out" checkpoint, and only it', async () => {
    const step = lab.steps.find((s) => s.title.startsWith('Virtual nodes'));
    if (step === undefined) throw new Error('the lab has no virtual-node step');
    const broken = { ...lab, exercises: [], state: (): ChashState => ({ evenVnodes: 1 }), steps: [step] } as unknown as AnyLab;
    const b = await run(broken);
    expect(failedLabels(b.summary), b.text).toEqual(['1 virtual nodes per server: evened out, no share above 1.10x the mean and sd/mean under 0.08']);
  }, 30_000);
});
