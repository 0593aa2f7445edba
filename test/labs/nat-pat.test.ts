// The nat-pat lab: a --check run through the runner (every checkpoint, the exercises' scripted right
// and wrong answers, the filters counted again by tshark, no malformed packet, good TCP checksums on
// both sides of the translator), the CLI's last line, and two runs broken on purpose whose checkpoints
// must fail: a translator that allocates at random where the guide's table needs 50001 onward, and a
// link on which the router's outside frames carry pc1's MAC.

import { describe, expect, it } from 'vitest';
import lab, { natPatLab } from '../../labs/nat-pat.ts';
import { MAC } from '../../labs/nat-pat/home.ts';
import { seededRandom } from '../../src/base/random.ts';
import { failedLabels, labCli, labHarness } from './harness.ts';
import { describeTcpLabCheck } from './tcp-lab-check.ts';

const CAPTURES = ['no-nat.pcapng', 'pat-table.pcapng', 'preserve.pcapng', 'random.pcapng', 'way-back.pcapng'];
const { temp, run } = labHarness('natpat');

describeTcpLabCheck({ name: 'nat-pat', lab, run, captures: CAPTURES, minPassed: 45, minFilters: 10 });

const mac = (text: string): Uint8Array => Uint8Array.from(text.split(':').map((x) => parseInt(x, 16)));

describe('lab nat-pat, broken on purpose', () => {
  it("fails the guide's table when the translator picks ports at random", async () => {
    const broken = natPatLab({
      nat: { ports: { min: 50001, max: 65535, preserve: false, parity: false, allocation: 'random' }, random: seededRandom('broken') },
    });
    const { summary: s } = await run(broken, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain("the table is the study guide's, row for row");
    expect(failed).toContain('the servers saw only the public address, one public port per flow');
    // Translation itself still works: the flows get their answers, no private address leaks.
    expect(failed).not.toContain('every flow got its answer through the translator');
    expect(failed).not.toContain('no private address beyond r1');
  }, 90_000);

  it("fails the MAC checkpoints when r1's outside frames carry pc1's MAC", async () => {
    const pc1 = mac(MAC.pc1);
    const r1out = Buffer.from(mac(MAC.r1out));
    const broken = natPatLab({
      fault: (link, frame) => {
        if (link === 'outside' && frame[12] === 0x08 && frame[13] === 0x00 && r1out.equals(frame.subarray(6, 12))) frame.set(pc1, 6);
        return frame;
      },
    });
    const { summary: s } = await run(broken, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain("the PCs' MACs never beyond r1 either");
    expect(failed.some((l) => l.startsWith(`filter "eth.addr == ${MAC.pc1} && frame.comment contains "outside"" selects frames`))).toBe(true);
    expect(failed).not.toContain("the table is the study guide's, row for row");
  }, 90_000);
});

describe('netlab lab run nat-pat --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('nat-pat', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 90_000);
});
