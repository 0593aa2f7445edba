// The tcp-reliability lab: a --check run through the runner (every checkpoint, the exercises'
// scripted right and wrong answers, the filters counted again by tshark, no malformed packet), the
// CLI's last line, and two runs with something broken on purpose whose checkpoints must fail: a
// receiver that ACKs every segment, and a link that loses the duplicate ACKs.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { tcpReliabilityLab } from '../../labs/tcp-reliability.ts';
import { tcpOf } from '../../labs/tcp-handshake-and-close/net.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { failedLabels, labCli, labHarness, tsharkCount } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['delayed-acks.pcapng', 'lossy.pcapng', 'out-of-order.pcapng', 'timeout.pcapng'];
const { temp, run } = labHarness('tcprel');

describe('lab tcp-reliability, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 90_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(40);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('writes one capture per step that moves frames', () => {
    expect(readdirSync(join(out, 'tcp-reliability')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'tcp-reliability', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
    }, 120_000);

    it('selects with each printed filter as many frames as the lab says', () => {
      const filters = summary.labs[0].captures.flatMap((c) => c.filters.map((f) => ({ path: c.absolutePath, filter: f.filter, frames: f.frames })));
      expect(filters.length).toBeGreaterThanOrEqual(8);
      for (const f of filters) if (typeof f.frames === 'number') expect(tsharkCount(f.path, f.filter), `${f.path}: ${f.filter}`).toBe(f.frames);
    }, 180_000);

    it('finds good TCP checksums on every segment', () => {
      for (const f of CAPTURES) {
        const path = join(out, 'tcp-reliability', f);
        expect(tsharkCount(path, 'tcp.checksum.status == "Good"', ['tcp.check_checksum:TRUE']), f).toBe(tsharkCount(path, 'tcp'));
      }
    }, 120_000);
  });
});

describe('lab tcp-reliability, broken on purpose', () => {
  it('fails the cumulative-ACK checkpoint when the receiver ACKs every segment at once', async () => {
    const { summary: s } = await run(tcpReliabilityLab({ delayedAckMs: 0 }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('about half as many ACKs as segments');
    expect(failed).not.toContain('the timer waited 200, then 400, then 800 ms: doubled each time');
  }, 120_000);

  it('fails the duplicate-ACK and fast-retransmit checkpoints when the link loses the duplicate ACKs', async () => {
    // The server's duplicate ACKs on lan (a pure ACK with the same ack number as its previous one) are lost.
    let last = -1;
    const faulty = tcpReliabilityLab({
      fault: (link, frame) => {
        const t = link === 'lan' ? tcpOf(frame) : undefined;
        if (t === undefined || t.srcPort !== 80 || t.len > 0 || t.syn || t.fin) return frame;
        const dup = t.ack === last;
        last = t.ack;
        return dup ? undefined : frame;
      },
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(
      failed.some((l) => l.startsWith('ack 37 four times')),
      failed.join('\n'),
    ).toBe(true);
    expect(failed).toContain('the client counted 1 fast retransmit');
  }, 120_000);
});

describe('netlab lab run tcp-reliability --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('tcp-reliability', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
