// The tcp-spoofing lab: a --check run through the runner (every checkpoint, the exercises' scripted
// right and wrong answers, the filters counted again by tshark, no malformed packet, good checksums),
// the forged command in the old server's stream as tshark reads it, the CLI's last line, and two runs
// broken on purpose whose checkpoints must fail: the old pair given RFC 6528 ISNs (the attacker's
// predictions miss), and a router doing ingress filtering (BCP 38: forged sources never arrive).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import lab, { tcpSpoofingLab } from '../../labs/tcp-spoofing.ts';
import { requireTool } from '../helpers/tools.ts';
import { failedLabels, labCli, labHarness, tsharkRows } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['blind-connection.pcapng', 'injection.pcapng', 'probes.pcapng'];
const { temp, run } = labHarness('tcpspoof');

const checked = describeTcpLabCheck({ name: 'tcp-spoofing', lab, run, captures: CAPTURES, minPassed: 45, minFilters: 14 });

describe.skipIf(!requireTool('tshark'))('lab tcp-spoofing, what the taps saw', () => {
  it("shows the forged command arriving at the old server from the trusted client's address", () => {
    const rows = tsharkRows(join(checked.out(), 'tcp-spoofing', 'injection.pcapng'), 'ip.dst == 10.1.2.2 && tcp.len > 0', ['ip.src', 'tcp.seq', 'tcp.payload']);
    const text = rows.map((r) => [r[0], r[1], Buffer.from(r[2] ?? '', 'hex').toString('latin1')]);
    expect(text).toEqual([
      ['10.1.1.1', '1', 'LOGIN alice\n'],
      ['10.1.1.1', '13', 'GRANT mallory\n'],
      ['10.1.1.1', '13', 'LIST\n'],
    ]);
  });
});

describe('lab tcp-spoofing, broken on purpose', () => {
  it('fails the "accepted" checkpoints when the old pair uses RFC 6528 ISNs too', async () => {
    const { summary: s } = await run(tcpSpoofingLab({ oldIsn: 'rfc6528' }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain("the old server's ISNs are 64000 apart (one connection)");
    expect(failed).toContain("the old server's ISN is the predicted one");
    expect(failed).toContain('the old server opened a session it believes is the trusted client');
    expect(failed).toContain("the old server's service read the forged command after the login");
    expect(failed).not.toContain("today's server opened no session");
  }, 90_000);

  it('fails the attack checkpoints when the router drops forged sources (BCP 38 ingress filtering)', async () => {
    const bcp38 = tcpSpoofingLab({
      // IPv4 sent by the attacker (source MAC 02:00:00:00:05:01) with a source (bytes 26-29) not its own 198.51.100.66.
      fault: (link, f) => (link === 'attacker' && f[10] === 0x05 && f[11] === 0x01 && f[12] === 0x08 && f[13] === 0x00 && f[26] !== 198 ? undefined : f),
    });
    const { summary: s } = await run(bcp38, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('the old server opened a session it believes is the trusted client');
    expect(failed).toContain('the exact RST reset the old session');
    expect(failed).not.toContain("the old server's ISNs are 64000 apart (one connection)");
  }, 90_000);
});

describe('netlab lab run tcp-spoofing --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('tcp-spoofing', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
