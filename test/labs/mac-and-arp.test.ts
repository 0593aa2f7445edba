// The mac-and-arp lab: a --check run through the runner, every printed filter counted again by
// tshark, no malformed packet, two deterministic runs that write the same bytes, and faults on the
// links that make the checkpoints about flooding and the gratuitous ARP fail.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { macAndArpLab } from '../../labs/mac-and-arp.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { expectPrintedFilters, labHarness, failedLabels } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['arp-and-ping.pcapng', 'gratuitous-arp.pcapng', 'learned.pcapng', 'unknown-unicast.pcapng'];
const { run } = labHarness('macarp');

describe('lab mac-and-arp, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(50);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('writes one capture per step that moves frames', () => {
    expect(readdirSync(join(out, 'mac-and-arp')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet, and every printed filter selects what the lab says', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'mac-and-arp', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
      expectPrintedFilters(summary, 13);
    });
  });
});

describe('lab mac-and-arp, deterministic', () => {
  it('writes the same bytes twice, and the same as fixtures/', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { out: dir, summary: s } = await run(lab, { deterministic: true });
      expect(s.failed).toBe(0);
      runs.push(join(dir, 'mac-and-arp'));
    }
    const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'mac-and-arp');
    for (const f of CAPTURES) {
      expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(runs[1], f))), f).toBe(0);
      expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(fixtures, f))), `fixtures/mac-and-arp/${f}`).toBe(0);
    }
  }, 60_000);
});

describe('lab mac-and-arp with faults', () => {
  it('fails the flooding checkpoints when frames to h3 are lost', async () => {
    const faulty = macAndArpLab({ fault: (link, frame) => (link === 'h3-sw1' ? undefined : frame) });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('the switch flooded it out of p2 and p3, not back out of p1');
    expect(failed).toContain('the echo request was flooded to h2 and h3');
    expect(failed).toContain("h3's card dropped it (not its MAC): one frame ignored, no IP packet received");
    expect(failed).not.toContain("the reply is a unicast from h2's MAC to h1's");
    expect(failed).not.toContain("h1's entry for 192.168.1.3 changed from h2's MAC to h4's");
  }, 60_000);

  it('fails the gratuitous ARP checkpoints when the announcement is turned into an ordinary request', async () => {
    // Target IP 192.168.1.3 -> 192.168.1.99 in ARP frames whose sender is 192.168.1.3 on h4's link.
    const faulty = macAndArpLab({
      fault: (link, frame) => {
        if (link === 'h4-sw1' && frame[12] === 0x08 && frame[13] === 0x06 && frame[31] === 3 && frame[41] === 3) frame[41] = 99;
        return frame;
      },
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('h4 broadcast an ARP request for its own address (sender = target)');
    expect(failed.some((l) => l.startsWith('filter "arp.isgratuitous" selects frames'))).toBe(true);
    expect(failed).not.toContain('the ARP request is sent to the broadcast address');
  }, 60_000);
});
