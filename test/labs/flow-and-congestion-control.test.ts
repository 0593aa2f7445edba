// The flow-and-congestion-control lab: a --check run through the runner (every checkpoint, the exercises'
// scripted right and wrong answers, the filters counted again by tshark, no malformed packet), the
// CLI's last line, the SVG chart, and two runs with something broken on purpose whose checkpoints must
// fail: a transfer with no loss, and a link that loses the zero-window probes.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { flowAndCongestionLab } from '../../labs/flow-and-congestion-control.ts';
import { tcpOf } from '../../labs/tcp-handshake-and-close/net.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { failedLabels, labCli, labHarness, tsharkCount } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['congestion.pcapng', 'zero-window.pcapng'];
const { temp, run } = labHarness('tcpflow');

describe('lab flow-and-congestion-control, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 90_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(28);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('writes one capture per step that moves frames, and the cwnd chart beside them', () => {
    expect(readdirSync(join(out, 'flow-and-congestion-control')).sort()).toEqual(['congestion.pcapng', 'cwnd.svg', 'zero-window.pcapng']);
    const svg = readFileSync(join(out, 'flow-and-congestion-control', 'cwnd.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<path d="M[^"]+"/g)?.length).toBe(2);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'flow-and-congestion-control', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
    }, 120_000);

    it('selects with each printed filter as many frames as the lab says', () => {
      const filters = summary.labs[0].captures.flatMap((c) => c.filters.map((f) => ({ path: c.absolutePath, filter: f.filter, frames: f.frames })));
      expect(filters.length).toBeGreaterThanOrEqual(5);
      for (const f of filters) if (typeof f.frames === 'number') expect(tsharkCount(f.path, f.filter), `${f.path}: ${f.filter}`).toBe(f.frames);
    }, 180_000);

    it('finds good TCP checksums on every segment', () => {
      for (const f of CAPTURES) {
        const path = join(out, 'flow-and-congestion-control', f);
        expect(tsharkCount(path, 'tcp.checksum.status == "Good"', ['tcp.check_checksum:TRUE']), f).toBe(tsharkCount(path, 'tcp'));
      }
    }, 120_000);
  });
});

describe('lab flow-and-congestion-control, broken on purpose', () => {
  it('fails the loss and ssthresh checkpoints when no segment is lost', async () => {
    const { summary: s } = await run(flowAndCongestionLab({ lossAt: -1 }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('one loss, repaired by fast retransmit');
    expect(failed).not.toContain("the server's window went down to 0 with its buffer full");
  }, 120_000);

  it('fails the probe checkpoints when the link loses the zero-window probes', async () => {
    const faulty = flowAndCongestionLab({ fault: (link, frame) => (link === 'lan' && tcpOf(frame)?.len === 1 ? undefined : frame) });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('each probe is one byte past the window');
    expect(failed).not.toContain('cwnd starts at the initial window, 4380 bytes (3 segments), in slow start');
  }, 120_000);
});

describe('netlab lab run flow-and-congestion-control --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('flow-and-congestion-control', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
