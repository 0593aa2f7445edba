// The dns-load-balancing lab: a --check run through the runner passes; its four captures are DNS on
// port 53 with good checksums and nothing malformed, and tshark reads the rotated orders, the regions'
// answers with their SCOPE and the cached dead address; a server that does not rotate and a resolver
// cache that never lets go make their checkpoints fail; a fixture run writes nothing; the CLI exits 0.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/dns-load-balancing.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { expectCleanDnsCaptures, failedLabels, labCli, labHarness, tsharkRows } from './harness.ts';

const { temp, run } = labHarness('dns-lb-lab');

/** The lab with `step` run first (it may change the state before the servers start). */
const withFirst = (step: Step<unknown>): AnyLab => ({ ...lab, steps: [step, ...lab.steps] });

describe('lab dns-load-balancing, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 90_000);

  it('passes every checkpoint', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 37 : 28);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes one capture per step that asks questions', () => {
    expect(readdirSync(join(r.out, 'dns-load-balancing')).sort()).toEqual([
      'dns-lb-cached.pcapng',
      'dns-lb-failover.pcapng',
      'dns-lb-geo.pcapng',
      'dns-lb-round-robin.pcapng',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('tshark: every frame is DNS on port 53 with a good checksum, nothing malformed, each filter selects frames', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(4);
    expectCleanDnsCaptures(captures);
    const geo = captures.find((c) => c.path.endsWith('dns-lb-geo.pcapng'))?.absolutePath ?? '';
    // The client-subnet questions from the resolver's address and the SCOPE of each answer.
    expect(
      tsharkRows(geo, 'dns.opt.client.family && dns.flags.response == 1', ['dns.opt.client.addr4', 'dns.opt.client.netmask', 'dns.opt.client.scope', 'dns.a']),
    ).toEqual([
      ['127.1.0.0', '24', '16', '198.51.100.14'],
      ['127.2.0.0', '24', '16', '15.125.23.214'],
      ['127.53.0.0', '24', '24', '192.0.2.14'],
    ]);
    const cached = captures.find((c) => c.path.endsWith('dns-lb-cached.pcapng'))?.absolutePath ?? '';
    const answers = tsharkRows(cached, 'dns.flags.response == 1 && ip.src == 127.53.0.53', ['dns.a', 'dns.resp.ttl']);
    expect(answers.map((a) => a[0]?.split(',').sort().join(','))).toEqual(['127.60.0.11,127.60.0.12', '127.60.0.11,127.60.0.12', '127.60.0.11']);
    expect(Number(answers[1]?.[1]?.split(',')[0])).toBeLessThan(5);
  });
});

describe('lab dns-load-balancing, checkpoints that fail', () => {
  it('an authoritative server that does not rotate fails the round-robin checkpoints', async () => {
    const noRotation: Step<unknown> = {
      title: 'no rotation',
      explain: '',
      run(ctx) {
        (ctx.state as { rotate: boolean }).rotate = false;
      },
    };
    const broken = withFirst(noRotation);
    const r = await run({ ...broken, steps: broken.steps.slice(0, 3) });
    expect(failedLabels(r.summary)).toEqual(['each address comes first equally often: 2 times in 6', 'each answer is the one before turned by one']);
    expect(r.text.replace(/\s+/g, ' ')).toMatch(/FAIL each address comes first equally often: 2 times in 6: 6, 0, 0 \(expected 2, 2, 2\)/);
  }, 60_000);

  it('a resolver cache that never lets go fails the "TTL ran out" checkpoints', async () => {
    const forever: Step<unknown> = {
      title: 'a cache that keeps everything',
      explain: '',
      run(ctx) {
        const state = ctx.state as { net?: { resolver: { cache: { get: (...a: unknown[]) => unknown } } } };
        const cache = state.net?.resolver.cache;
        if (cache === undefined) throw new Error('no resolver');
        // The cache's clock stands still: nothing it holds ever expires.
        const frozen = Date.now();
        (cache as unknown as { clock: { now(): number } }).clock = { now: () => frozen };
      },
    };
    const steps = lab.steps;
    const r = await run({ ...lab, steps: [steps[0], forever, steps[4]] });
    expect(failedLabels(r.summary)).toEqual(expect.arrayContaining(['once the TTL ran out the resolver asked again and the dead address is gone']));
  }, 60_000);
});

describe('lab dns-load-balancing, deterministic (fixtures)', () => {
  it('passes and writes nothing into the fixtures folder (real sockets differ on every run)', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(readdirSync(r.out)).toEqual([]);
  }, 90_000);
});

describe('netlab lab run dns-load-balancing --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('dns-load-balancing', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
