// The udp-load-balancing lab: a --check run through the runner (netlab's DNS servers behind netlab's
// UDP balancer on 127.77.1.x), every printed filter counted again by tshark, no malformed packet, dig
// through the balancer when it is installed, and a run without health checks whose failover
// checkpoints fail.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { udpLoadBalancingLab } from '../../labs/udp-load-balancing.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { expectPrintedFilters, labHarness, failedLabels } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['udp-lb-failover.pcapng', 'udp-lb-round-robin.pcapng'];
const { run } = labHarness('udplb');

describe('lab udp-load-balancing, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(25);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('writes the two captures', () => {
    expect(readdirSync(join(out, 'udp-load-balancing')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('dig'))('dig', () => {
    it('asked through the balancer and got the two live servers', () => {
      const labels = summary.labs[0].results.filter((r) => r.passed).map((r) => r.label);
      expect(labels).toContain('dig got four answers, from dns-1 and dns-3 in turn');
    });
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet, and every printed filter selects what the lab says', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'udp-load-balancing', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
      expectPrintedFilters(summary, 9);
    });
  });
});

describe('lab udp-load-balancing broken on purpose', () => {
  it('without health checks the dead server stays in the rotation: the failover checkpoints fail', async () => {
    const { summary: s } = await run(udpLoadBalancingLab({ healthChecks: false }));
    const failed = failedLabels(s);
    expect(failed.some((l) => l.startsWith('the health check took dns-2 out'))).toBe(true);
    // Whether later questions still reach dns-2 depends on the balancer seeing its send errors in time
    // (ICMP port unreachable on the dead port), so that checkpoint is not asserted either way here.
    expect(failed).not.toContain('round robin: 10 queries to each server');
    expect(failed).not.toContain('questions sent to dns-2 after it died timed out and were asked again');
  }, 60_000);
});
