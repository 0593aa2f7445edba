// The flow-and-congestion-control lab: a --check run through the runner (every checkpoint, the exercises'
// scripted right and wrong answers, the filters counted again by tshark, no malformed packet), the
// CLI's last line, the SVG chart, and two runs with something broken on purpose whose checkpoints must
// fail: a transfer with no loss, and a link that loses the zero-window probes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import lab, { flowAndCongestionLab } from '../../labs/flow-and-congestion-control.ts';
import { tcpOf } from '../../labs/tcp-handshake-and-close/net.ts';
import { failedLabels, labCli, labHarness } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['congestion.pcapng', 'zero-window.pcapng'];
const { temp, run } = labHarness('tcpflow');

const checked = describeTcpLabCheck({
  name: 'flow-and-congestion-control',
  lab,
  run,
  captures: CAPTURES,
  otherFiles: ['cwnd.svg'],
  minPassed: 28,
  minFilters: 5,
});

describe('lab flow-and-congestion-control, the cwnd chart', () => {
  it('writes cwnd.svg beside the captures: two curves', () => {
    const svg = readFileSync(join(checked.out(), 'flow-and-congestion-control', 'cwnd.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<path d="M[^"]+"/g)?.length).toBe(2);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
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
