// The tcp-reliability lab: a --check run through the runner (every checkpoint, the exercises'
// scripted right and wrong answers, the filters counted again by tshark, no malformed packet), the
// CLI's last line, and two runs with something broken on purpose whose checkpoints must fail: a
// receiver that ACKs every segment, and a link that loses the duplicate ACKs.

import { describe, expect, it } from 'vitest';
import lab, { tcpReliabilityLab } from '../../labs/tcp-reliability.ts';
import { tcpOf } from '../../labs/tcp-handshake-and-close/net.ts';
import { failedLabels, labCli, labHarness } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['delayed-acks.pcapng', 'lossy.pcapng', 'out-of-order.pcapng', 'timeout.pcapng'];
const { temp, run } = labHarness('tcprel');

describeTcpLabCheck({ name: 'tcp-reliability', lab, run, captures: CAPTURES, minPassed: 40, minFilters: 8 });

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
