// The floating-ip-failover lab: a --check run through the runner (real loopback balancers and the
// virtual network), every printed filter counted again by tshark, no malformed packet, and a run with
// the gratuitous ARPs lost on lb2's link, whose checkpoints about the takeover fail.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { floatingIpFailoverLab } from '../../labs/floating-ip-failover.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { expectPrintedFilters, labHarness, failedLabels } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['heartbeats.pcapng', 'split-brain.pcapng', 'takeover.pcapng'];
const { run } = labHarness('failover');

describe('lab floating-ip-failover, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(30);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('measured the detection against the configured figure and counted the failed requests', () => {
    const labels = summary.labs[0].results.map((r) => r.label);
    expect(labels).toContain('lb2 decided after the configured silence, interval x threshold + skew (180.5 ms)');
    expect(labels).toContain('failover is not instant: requests failed while nobody held the address');
    expect(labels).toContain("lb2's binds were refused by the kernel");
  });

  it('writes the three captures of the virtual network', () => {
    expect(readdirSync(join(out, 'floating-ip-failover')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet, and every printed filter selects what the lab says', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'floating-ip-failover', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
      expectPrintedFilters(summary, 8);
      // The gratuitous ARP Wireshark sees: lb2's MAC for 10.0.0.100, three links.
      const garp = execFileSync(
        'tshark',
        ['-n', '-r', join(out, 'floating-ip-failover', 'takeover.pcapng'), '-Y', 'arp.isgratuitous', '-T', 'fields', '-e', 'arp.src.hw_mac'],
        {
          encoding: 'utf8',
        },
      );
      expect(garp.trim().split('\n')).toEqual(['02:00:00:00:00:12', '02:00:00:00:00:12', '02:00:00:00:00:12']);
    });
  });
});

describe('lab floating-ip-failover broken on purpose', () => {
  it("fails the takeover checkpoints when the gratuitous ARPs are lost on lb2's link", async () => {
    const faulty = floatingIpFailoverLab({
      // ARP frames from lb2's card (sender MAC 02:00:00:00:00:12) announcing 10.0.0.100 are lost.
      fault: (link, frame) =>
        link === 'lb2-sw1' && frame[12] === 0x08 && frame[13] === 0x06 && frame[27] === 0x12 && frame[31] === 100 && frame[41] === 100 ? undefined : frame,
    });
    const { summary: s } = await run(faulty);
    const failed = failedLabels(s);
    expect(failed).toContain("both clients' ARP entries moved from lb1's MAC to lb2's");
    expect(failed).toContain('lb2 broadcast a gratuitous ARP for the address, sender = target, from its own MAC');
    expect(failed).toContain("the clients followed the last announcement: lb2's");
    expect(failed).not.toContain('lb1 became master, lb2 stayed backup');
    expect(failed).not.toContain('lb2 took the address');
  }, 60_000);
});
