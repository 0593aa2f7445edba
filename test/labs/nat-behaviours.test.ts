// The nat-behaviours lab: one --check run through the runner (the virtual network on simulated time),
// every printed filter counted again by tshark in one pass per capture, the public port read from a
// STUN answer by tshark, and a run with the "symmetric" NAT misconfigured as endpoint-independent,
// whose checkpoints about symmetric behaviour fail while the cones' still pass.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { natBehavioursLab } from '../../labs/nat-behaviours.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { failedLabels, labHarness, tsharkCounts, tsharkRows } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['four-types.pcapng', 'hairpin.pcapng', 'punch-cones.pcapng', 'punch-symmetric.pcapng', 'stun.pcapng'];
const { run } = labHarness('natbeh');

describe('lab nat-behaviours, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 120_000);

  it('passes every checkpoint, exercises graded both ways', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(50);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('checked the types, the punching matrix, hairpinning and STUN per type', () => {
    const labels = summary.labs[0].results.map((r) => r.label);
    expect(labels).toContain('symmetric: a new public port for each destination');
    expect(labels).toContain('restricted: what got in to the public port');
    expect(labels).toContain('symmetric NATs: no punch got through either way');
    expect(labels).toContain("the reason: alice's NAT used a port toward bob other than the one bob learned");
    expect(labels).toContain('hole punching works for the cones and fails whenever a NAT is symmetric (learned endpoints only)');
    expect(labels).toContain('hairpinning off: nothing arrived, every punch refused as hairpin-off');
    for (const t of ['full cone', 'restricted', 'port-restricted', 'symmetric'])
      expect(labels.some((l) => l.startsWith(`${t}: STUN finds mapping`))).toBe(true);
    expect(labels).toContain('full cone, no hairpin: hairpinning not seen (configured off, filtering EI)');
    expect(labels).toContain('restricted: hairpinning not seen (configured on, filtering AD)');
  });

  it('writes the five captures of the virtual network', () => {
    expect(readdirSync(join(out, 'nat-behaviours')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('counts what every printed filter selects as the lab says, and reads the public port in a STUN answer', () => {
      const byPath = new Map<string, { filter: string; frames: number }[]>();
      for (const c of summary.labs[0].captures) {
        byPath.set(
          c.absolutePath,
          c.filters.filter((f) => typeof f.frames === 'number').map((f) => ({ filter: f.filter, frames: f.frames as number })),
        );
      }
      expect([...byPath.values()].flat().length).toBe(14);
      for (const [path, filters] of byPath) {
        expect(tsharkCounts(path, ['frame', ...filters.map((f) => f.filter)]).slice(1), path).toEqual(filters.map((f) => f.frames));
      }
      const rows = tsharkRows(join(out, 'nat-behaviours', 'stun.pcapng'), 'stun.att.port-xord && frame.comment contains "lan-symmetric:"', [
        'ip.dst',
        'udp.dstport',
        'stun.att.ipv4',
        'stun.att.port',
      ]);
      expect(rows.length).toBeGreaterThan(0);
      const [dst, dport, ip, port] = rows[0];
      // The NAT rewrote the header back to the inside; the payload still says what the outside saw.
      expect([dst, ip.split(',')[0]]).toEqual(['192.168.1.2', '203.0.113.14']);
      expect(Number(port.split(',')[0])).toBe(50000);
      expect(Number(dport)).toBeLessThan(50000);
    });
  });
});

describe('lab nat-behaviours broken on purpose', () => {
  it('fails the symmetric checkpoints when the "symmetric" NAT maps endpoint-independently', async () => {
    const broken = natBehavioursLab({ misconfigure: { symmetric: { mapping: 'endpoint-independent' } } });
    const { summary: s } = await run(broken);
    const failed = failedLabels(s);
    expect(failed).toContain('symmetric: a new public port for each destination');
    expect(failed).toContain('symmetric NATs: no punch got through either way');
    expect(failed).toContain('hole punching works for the cones and fails whenever a NAT is symmetric (learned endpoints only)');
    expect(failed).toContain('symmetric: STUN finds mapping APD, filtering APD');
    expect(failed).not.toContain('full cone: one public port for every destination');
    expect(failed).not.toContain('port-restricted: STUN finds mapping EI, filtering APD');
    expect(failed).not.toContain("port-restricted cones: alice's first punch dropped by bob's NAT (bob had sent nothing yet), the rest got in");
  }, 120_000);
});
