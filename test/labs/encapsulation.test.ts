// The encapsulation lab: a --check run through the runner with its exact checkpoint count, every printed
// filter counted again by tshark's own display-filter engine, two deterministic runs that write the same
// bytes, runs with a router bug whose checkpoints fail, the CLI's last line with and without tshark on
// PATH; and the NIC model underneath (what it drops and why).

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { encapsulationLab } from '../../labs/encapsulation.ts';
import { FcsNic } from '../../src/netsim/fcs-nic.ts';
import { CLIENT, GATEWAY, ISN, REQUEST, clientFrame } from '../../labs/encapsulation/seed.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkInstalled } from '../../src/lab/tshark.ts';
import { encode, ethernet, ipv4, macBytes, udp, payload, internetChecksum } from '../../src/wire/index.ts';
import { expectPrintedFilters, labHarness, failedLabels } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CAPTURES = ['bad-fcs.pcapng', 'group-source-mac.pcapng', 'handshake-and-get.pcapng', 'two-hops.pcapng'];
/** Checkpoints of a full run: 57 of the lab's own and its filters', 4 more when tshark confirms. */
const CHECKPOINTS_WITHOUT_TSHARK = 63; // with the 6 of its two exercises
const TSHARK_CHECKPOINTS = 4;

const { temp, run } = labHarness('encapsulation');

describe('lab encapsulation, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint, as many as the lab has', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBe(CHECKPOINTS_WITHOUT_TSHARK + (tsharkInstalled() ? TSHARK_CHECKPOINTS : 0));
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it("checks a study guide's numbers", () => {
    const labels = summary.labs[0].results.map((r) => `${r.label}: ${r.observed}`);
    expect(labels).toContain("the SYN carries a study guide's sequence number: 12345678");
    expect(labels).toContain('the SYN-ACK acknowledges 12345679 (the SYN counts as one byte): 12345679');
    expect(labels).toContain('IPv4 byte 9, the protocol, says TCP (6): 6');
    expect(labels).toContain('the Ethernet header is dst, src, EtherType: aa bb cc dd ee ff 11 22 33 44 55 66 08 00');
    expect(labels.some((l) => l.startsWith("it is not a study guide's placeholder: 0x") && !l.endsWith(' 0xabcd1234'))).toBe(true);
  });

  it('writes one capture per step that has frames', () => {
    expect(readdirSync(join(out, 'encapsulation')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('selects with each printed filter as many frames as the lab says', () => {
      expectPrintedFilters(summary, 11, { numbersOnly: true });
    }, 120_000);
  });
});

describe('lab encapsulation, deterministic (fixtures)', () => {
  it('writes the same bytes twice', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { out: dir, summary: s, text: cText } = await run(lab, { deterministic: true });
      expect(s.failed, cText).toBe(0);
      runs.push(join(dir, 'encapsulation'));
    }
    for (const f of CAPTURES) expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(runs[1], f))), f).toBe(0);
  }, 120_000);
});

describe('lab encapsulation with a router bug', () => {
  it("fails the MAC checkpoints when the router keeps the client's MAC as source on the WAN side", async () => {
    const clientMac = macBytes(CLIENT.mac);
    const faulty = encapsulationLab({
      routerWanFault: (f) => {
        if (f[12] === 0x08 && f[13] === 0x00) f.set(clientMac, 6);
        return f;
      },
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain("hop 2: source MAC = the router's WAN MAC, destination = the ISP router it found by ARP");
    expect(failed.some((l) => l.startsWith(`filter "eth.src == ${GATEWAY.wanMac} && ip.src == ${CLIENT.ip}" selects frames`))).toBe(true);
    expect(failed).not.toContain('the TTL went down by one at the router (64, then 63)');
    expect(failed).not.toContain('the IP addresses are the same on both hops');
    expect(s.failed).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('fails the checksum checkpoints when the router decrements the TTL but leaves the checksum as it was', async () => {
    const faulty = encapsulationLab({
      routerWanFault: (f) => {
        if (f[12] !== 0x08 || f[13] !== 0x00) return f;
        // Undo the RFC 1624 update: put back the checksum the header had with TTL 64.
        const header = f.slice(14, 34);
        header[8] += 1;
        header[10] = 0;
        header[11] = 0;
        const old = internetChecksum(header);
        f[24] = old >>> 8;
        f[25] = old & 0xff;
        return f;
      },
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('the IPv4 checksum changed with the TTL');
    expect(failed).toContain("the router's updated checksum equals a full recomputation");
    expect(failed).toContain('both IPv4 checksums verify');
    expect(failed).not.toContain('the TTL went down by one at the router (64, then 63)');
  }, 60_000);
});

describe('the NIC model (FcsNic)', () => {
  const nic = (): FcsNic => new FcsNic(memoryLink('a', 'b')[0], macBytes(GATEWAY.lanMac));
  const get = clientFrame({ flags: 'PA', seq: ISN + 1, ack: 1, data: REQUEST });

  it('takes a frame for its MAC with a good FCS, and hands it up without the FCS', () => {
    const v = nic().check(get);
    expect(v.accepted).toBe(true);
    if (v.accepted) expect(Buffer.from(v.frame).equals(Buffer.from(get.subarray(0, get.length - 4)))).toBe(true);
  });

  it('drops a frame with any one bit flipped, FCS bytes included', () => {
    const n = nic();
    for (const at of [0, 13, 22, 60, get.length - 1]) {
      const bad = get.slice();
      bad[at] ^= 0x80;
      expect(n.check(bad), `bit flipped in byte ${at}`).toEqual({ accepted: false, reason: 'bad FCS' });
    }
  });

  it('drops runts and frames for another station, takes broadcasts', () => {
    const n = nic();
    const small = encode([
      ethernet({ src: CLIENT.mac, dst: GATEWAY.lanMac, fcs: true }),
      ipv4({ src: CLIENT.ip, dst: '192.168.1.1' }),
      udp({ sport: 1, dport: 2 }),
      payload('x'),
    ]);
    expect(n.check(small)).toEqual({ accepted: false, reason: 'runt' });
    const other = encode([
      ethernet({ src: CLIENT.mac, dst: '02:00:00:00:09:09', fcs: true, pad: true }),
      ipv4({ src: CLIENT.ip, dst: '192.168.1.1' }),
      udp({ sport: 1, dport: 2 }),
      payload('x'),
    ]);
    expect(n.check(other)).toEqual({ accepted: false, reason: 'not for this NIC' });
    const bcast = encode([
      ethernet({ src: CLIENT.mac, dst: 'ff:ff:ff:ff:ff:ff', fcs: true, pad: true }),
      ipv4({ src: CLIENT.ip, dst: '192.168.1.255' }),
      udp({ sport: 1, dport: 2 }),
      payload('x'),
    ]);
    expect(n.check(bcast).accepted).toBe(true);
  });

  it('refuses a MAC that is not 6 bytes, naming the port', () => {
    expect(() => new FcsNic(memoryLink('lan0', 'b')[0], new Uint8Array(5))).toThrow(/lan0.*6 bytes, got 5/);
  });
});

describe('netlab lab run encapsulation --check (the CLI)', () => {
  const run = (env: NodeJS.ProcessEnv): Promise<{ stdout: string }> =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'lab', 'run', 'encapsulation', '--check', '--out', temp()], {
      cwd: ROOT,
      env,
      timeout: 60_000,
    });

  it('ends with N passed, 0 failed', async () => {
    const { stdout } = await run({ ...process.env, NO_COLOR: '1' });
    const n = CHECKPOINTS_WITHOUT_TSHARK + (tsharkInstalled() ? TSHARK_CHECKPOINTS : 0);
    expect(stdout.trim().split('\n').pop()).toBe(`${n} passed, 0 failed`);
  }, 60_000);

  it('without tshark on PATH, says the confirmation was skipped and still passes', async () => {
    const { stdout } = await run({ ...process.env, NO_COLOR: '1', PATH: '/nonexistent' });
    expect(stdout).toMatch(/skip {2}tshark is not installed: Wireshark's confirmation is skipped/);
    expect(stdout.trim().split('\n').pop()).toBe(`${CHECKPOINTS_WITHOUT_TSHARK} passed, 0 failed`);
  }, 60_000);
});
