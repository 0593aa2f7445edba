// The dns-spoofing lab: a --check run passes; tshark dissects the captures (forgeries included) with
// nothing malformed and sees the forged answer the weak resolver took; a "weak" resolver that is in
// fact hardened makes the poisoning checkpoints fail; a fixture run writes nothing; the CLI exits 0.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/dns-spoofing.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labHarness, tsharkCount, tsharkRows, labCli } from './harness.ts';

const { temp, run } = labHarness('dns-spoofing-lab');

describe('lab dns-spoofing, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 35 : 30);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes the four captures', () => {
    expect(readdirSync(join(r.out, 'dns-spoofing')).sort()).toEqual([
      'dns-spoofing-bailiwick.pcapng',
      'dns-spoofing-forged.pcapng',
      'dns-spoofing-hardened.pcapng',
      'dns-spoofing-poisoned.pcapng',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('tshark: nothing malformed, the forgeries and their reasons, the poisoned answer', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(4);
    for (const c of captures) {
      expect(tsharkCount(c.absolutePath, 'frame'), c.path).toBeGreaterThan(0);
      expect(tsharkCount(c.absolutePath, '_ws.malformed'), c.path).toBe(0);
      expect(tsharkCount(c.absolutePath, 'udp.checksum.status == "Bad"', ['udp.check_checksum:TRUE']), c.path).toBe(0);
      for (const f of c.filters) if (f.frames !== 0) expect(tsharkCount(c.absolutePath, f.filter), `${f.filter} on ${c.path}`).toBeGreaterThan(0);
    }
    const forged = captures.find((c) => c.path.endsWith('dns-spoofing-forged.pcapng'))?.absolutePath ?? '';
    const reasons = tsharkRows(forged, 'frame.comment contains "turned away"', ['frame.comment']).map((row) =>
      row[0].replace(/^.*\): /, '').replace(/\d+/g, 'N'),
    );
    expect(reasons).toEqual([
      'wrong ID N (expected N)',
      'from N.N.N.N:N, not the server asked (N.N.N.N:N)',
      'from N.N.N.N:N, not the server asked (N.N.N.N:N)',
      'wrong question www.example.org (expected www.example.com)',
    ]);
    const poisoned = captures.find((c) => c.path.endsWith('dns-spoofing-poisoned.pcapng'))?.absolutePath ?? '';
    expect(
      tsharkRows(poisoned, 'ip.src == 127.53.0.3 && dns.a == 127.66.6.6 && frame.comment contains "taken as the answer"', ['dns.qry.name', 'dns.resp.ttl']),
    ).toEqual([['login.example.com', '86400']]);
  });
});

describe('lab dns-spoofing, checkpoints that fail', () => {
  it('a "weak" resolver that is in fact hardened is not poisoned: the poisoning checkpoints fail', async () => {
    const hardened: AnyLab = { ...lab, state: () => ({ ...(lab.state?.() as object), weakOptions: undefined }) };
    const r = await run(hardened);
    expect(failedLabels(r.summary)).toEqual(
      expect.arrayContaining([
        "the probe came from the weak resolver's one port",
        'the forged answer won the race',
        'the cache is poisoned: login.example.com -> 127.66.6.6 for a day',
        "a victim asking later gets the attacker's address, from the cache",
      ]),
    );
  }, 60_000);
});

describe('lab dns-spoofing, deterministic (fixtures)', () => {
  it('passes and writes nothing into the fixtures folder', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(readdirSync(r.out)).toEqual([]);
  }, 60_000);
});

describe('netlab lab run dns-spoofing --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('dns-spoofing', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});
