// The nat-exhaustion-and-timeouts lab: a --check run through the runner (every checkpoint, the
// exercises' scripted right and wrong answers, the filters counted again by tshark, no malformed
// packet, good TCP checksums), the CLI's last line, and two runs broken on purpose whose checkpoints
// must fail: a translator with no quota and a pool wide open (nothing runs out), and one whose UDP
// mappings are refreshed by inbound traffic too (the idle PC's mapping never expires).

import { describe, expect, it } from 'vitest';
import lab, { natExhaustionLab } from '../../labs/nat-exhaustion-and-timeouts.ts';
import { failedLabels, labCli, labHarness } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['forward.pcapng', 'pool.pcapng', 'quota.pcapng', 'tcp-timeouts.pcapng', 'udp-timeout.pcapng'];
const { temp, run } = labHarness('natexh');

describeTcpLabCheck({ name: 'nat-exhaustion-and-timeouts', lab, run, captures: CAPTURES, minPassed: 50, minFilters: 12 });

describe('lab nat-exhaustion-and-timeouts, broken on purpose', () => {
  it('fails the quota and pool checkpoints when nothing runs out', async () => {
    const { summary: s } = await run(natExhaustionLab({ nat: { perHostQuota: 1000, ports: { max: 65535 } } }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('the fifth heard nothing: no answer, no ICMP error');
    expect(failed).toContain('r1 counted one refusal for the quota');
    expect(failed).toContain('pc2 heard ICMP 3/13 from r1: EHOSTUNREACH');
    expect(failed).not.toContain('the first four flows got public ports 50001-50004 and their answers');
    expect(failed).not.toContain('pc1 hears ECONNRESET');
  }, 90_000);

  it('fails the UDP timeout checkpoints when inbound traffic refreshes the mappings', async () => {
    const { summary: s } = await run(natExhaustionLab({ nat: { udpInboundRefresh: true } }), { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('the idle PC got the pushes at 50 s and 100 s, not the one at 150 s');
    expect(failed).toContain('talking again, pc1 gets a new public port: a new client to the server');
    expect(failed).not.toContain('the PC sending keep-alives got all three');
  }, 90_000);
});

describe('netlab lab run nat-exhaustion-and-timeouts --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('nat-exhaustion-and-timeouts', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
