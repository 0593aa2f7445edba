// The tcp-handshake-and-close lab: a --check run through the runner (every checkpoint, the exercises'
// scripted right and wrong answers, the filters counted again by tshark, no malformed packet), the
// CLI's last line, and two runs with something broken on purpose whose checkpoints must fail: a
// TIME-WAIT far shorter than 2 x MSL, and a link that loses the server's RST.

import { describe, expect, it } from 'vitest';
import lab, { tcpHandshakeAndCloseLab } from '../../labs/tcp-handshake-and-close.ts';
import { failedLabels, labCli, labHarness } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['close.pcapng', 'closed-port.pcapng', 'data.pcapng', 'handshake.pcapng', 'quick-reuse.pcapng'];
const { temp, run } = labHarness('tcphs');

describeTcpLabCheck({ name: 'tcp-handshake-and-close', lab, run, captures: CAPTURES, minPassed: 50, minFilters: 10 });

describe('lab tcp-handshake-and-close, broken on purpose', () => {
  it('fails the TIME-WAIT checkpoints when the client waits 2 x 100 ms instead of 2 x 500 ms', async () => {
    const { summary: s } = await run(tcpHandshakeAndCloseLab({ clientMslMs: 100 }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('TIME-WAIT lasted 2 x MSL = 1000 ms');
    expect(failed).toContain('connect() from the same local port during TIME-WAIT is refused');
    expect(failed).not.toContain('three segments: SYN, SYN-ACK, ACK');
  }, 90_000);

  it('fails the closed-port checkpoints when the link loses the RST', async () => {
    const faulty = tcpHandshakeAndCloseLab({
      // TCP (IPv4 protocol 6) with the RST bit set: the flags byte is at 14 + 20 + 13.
      fault: (_link, frame) => (frame[23] === 6 && ((frame[47] ?? 0) & 0x04) !== 0 ? undefined : frame),
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('step "A closed port answers with RST" ran to the end');
    expect(failed.some((l) => l.startsWith('filter "tcp.flags.reset == 1" selects frames of'))).toBe(true);
    expect(failed).not.toContain('three segments: SYN, SYN-ACK, ACK');
    expect(failed).not.toContain('TIME-WAIT lasted 2 x MSL = 1000 ms');
  }, 90_000);
});

describe('netlab lab run tcp-handshake-and-close --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('tcp-handshake-and-close', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
