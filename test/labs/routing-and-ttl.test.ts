// The routing-and-ttl lab: a --check run through the runner, every printed filter counted again by
// tshark's own display-filter engine, no malformed packet in any capture, two deterministic runs that
// write the same bytes, a run with a fault on one link whose checkpoints fail, the CLI's last line;
// and the lab network underneath (LabNet: simulated time, stalls, lost frames).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab, { routingAndTtlLab } from '../../labs/routing-and-ttl.ts';
import { ADDR, MAC } from '../../labs/routing-and-ttl/topology.ts';
import { LabNet } from '../../src/netsim/lab-net.ts';
import { viewFrames } from '../../labs/netsim/frame-view.ts';
import { Host } from '../../src/netsim/host.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { tsharkSummary } from '../../src/cli/tshark-summary.ts';
import { expectPrintedFilters, labHarness, failedLabels, labCli } from './harness.ts';
import { requireTool } from '../helpers/tools.ts';

const CAPTURES = ['no-such-host.pcapng', 'no-such-neighbour.pcapng', 'one-router.pcapng', 'traceroute.pcapng', 'two-routers.pcapng'];
const { temp, run } = labHarness('routing');

describe('lab routing-and-ttl, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(lab));
  }, 60_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(55);
    expect(text.trim().split('\n').pop()).toBe(`${summary.passed} passed, 0 failed`);
  });

  it('writes one capture per step that moves frames', () => {
    expect(readdirSync(join(out, 'routing-and-ttl')).sort()).toEqual(CAPTURES);
  });

  describe.skipIf(!requireTool('tshark'))('tshark', () => {
    it('reads every capture with no malformed packet', () => {
      for (const f of CAPTURES) {
        const s = tsharkSummary(join(out, 'routing-and-ttl', f));
        expect(s.frames, f).toBeGreaterThan(0);
        expect(s.malformed, f).toBe(0);
      }
    });

    it('selects with each printed filter as many frames as the lab says', () => {
      expectPrintedFilters(summary, { atLeast: 15 }, { numbersOnly: true });
    });

    it("names the link of every frame in its comment, and the far side has the router's MAC and h1's IP", () => {
      const path = join(out, 'routing-and-ttl', 'two-routers.pcapng');
      const rows = execFileSync(
        'tshark',
        [
          '-n',
          '-r',
          path,
          '-Y',
          'icmp.type == 8',
          '-T',
          'fields',
          '-e',
          'frame.comment',
          '-e',
          'eth.src',
          '-e',
          'eth.dst',
          '-e',
          'ip.src',
          '-e',
          'ip.ttl',
          '-e',
          'ip.checksum.status',
          '-o',
          'ip.check_checksum:TRUE',
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows).toEqual([
        ['lan1: h1-eth0 -> r1-eth0', MAC.h1, MAC.r1lan1, ADDR.h1, '64', '1'],
        ['core: r1-eth2 -> r2-eth0', MAC.r1core, MAC.r2core, ADDR.h1, '63', '1'],
        ['lan3: r2-eth1 -> h3-eth0', MAC.r2lan3, MAC.h3, ADDR.h1, '62', '1'],
      ]);
    });
  });
});

describe('lab routing-and-ttl, deterministic (fixtures)', () => {
  it('writes the same bytes twice', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { out: dir, summary: s, text: cText } = await run(lab, { deterministic: true });
      expect(s.failed, cText).toBe(0);
      runs.push(join(dir, 'routing-and-ttl'));
    }
    expect(readdirSync(runs[0]).sort()).toEqual(CAPTURES);
    expect(readdirSync(runs[1]).sort()).toEqual(CAPTURES);
    for (const f of CAPTURES) expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(runs[1], f))), f).toBe(0);
  }, 60_000);
});

describe('lab routing-and-ttl with a fault on lan2', () => {
  it("fails the checkpoints about the far side's MAC when the frame keeps h1's MAC as source", async () => {
    const mac = (text: string): Uint8Array => Uint8Array.from(text.split(':').map((x) => parseInt(x, 16)));
    const h1Mac = mac(MAC.h1);
    const r1Mac = Buffer.from(mac(MAC.r1lan2));
    // As if r1 had not rewritten the source MAC: IPv4 frames r1 sends on lan2 carry h1's MAC.
    const faulty = routingAndTtlLab({
      fault: (link, frame) => {
        const ipv4 = frame[12] === 0x08 && frame[13] === 0x00;
        if (link === 'lan2' && ipv4 && r1Mac.equals(frame.subarray(6, 12))) frame.set(h1Mac, 6);
        return frame;
      },
    });
    const { summary: s, text: cText } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain("on lan2 the frame comes from the router's MAC (its lan2 leg) to h2's");
    expect(failed.some((l) => l.startsWith(`filter "eth.src == ${MAC.r1lan2} && ip.src == ${ADDR.h1}" selects frames`))).toBe(true);
    // What the fault does not touch still passes: the TTL, the IPs, the later steps.
    expect(failed).not.toContain('the TTL went down by one at the router (64 on lan1, 63 on lan2)');
    expect(failed).not.toContain('the IP source and destination are the same on both sides of the router');
    expect(failed).not.toContain('its TTL went down by one per hop');
    expect(s.failed).toBe(failed.length);
    expect(cText.trim().split('\n').pop()).toMatch(/^\d+ passed, [1-9]\d* failed$/);
  }, 60_000);

  it('fails the host-unreachable checkpoints when the ICMP error is lost on core', async () => {
    const faulty = routingAndTtlLab({
      fault: (link, frame) => (link === 'core' && frame[12] === 0x08 && frame[23] === 1 && frame[34] === 3 && frame[35] === 1 ? undefined : frame),
    });
    const { summary: s } = await run(faulty, { deterministic: true });
    const failed = failedLabels(s);
    expect(failed).toContain('ICMP host unreachable went back over core and lan1');
    expect(failed).toContain('ping prints it, and counts no reply');
    expect(failed).not.toContain('r2 sent three ARP requests for it');
  }, 60_000);
});

describe('netlab lab run routing-and-ttl --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('routing-and-ttl', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});

describe('LabNet', () => {
  it('moves simulated time to each event: a frame arrives one link delay after it was sent', async () => {
    const net = new LabNet({ start: { sec: 1_704_067_200, nsec: 0 }, delayMs: 2 });
    try {
      const [a, b] = net.link('wire', 'a-eth0', 'b-eth0');
      const ha = net.node(new Host({ name: 'a', clock: net.clock }));
      const hb = net.node(new Host({ name: 'b', clock: net.clock }));
      ha.addInterface({ name: 'eth0', port: a, mac: '02:00:00:00:00:0a', address: '10.9.0.1/24', announce: false });
      hb.addInterface({ name: 'eth0', port: b, mac: '02:00:00:00:00:0b', address: '10.9.0.2/24', announce: false });
      const r = await net.run(ha.ping('10.9.0.2', { count: 1 }));
      expect(r.replies.map((x) => x.rttMs)).toEqual([8]); // ARP there and back, echo there and back
      expect(viewFrames(net.frames).map((v) => `${v.atMs} ${v.link} ${v.from}->${v.to}`)).toEqual([
        '0 wire a-eth0->b-eth0',
        '2 wire b-eth0->a-eth0',
        '4 wire a-eth0->b-eth0',
        '6 wire b-eth0->a-eth0',
      ]);
      expect(net.timestamp(6.5)).toEqual({ sec: 1_704_067_200, nsec: 6_500_000 });
    } finally {
      await net.close();
    }
  });

  it('loses what a fault drops, and says so when nothing is left to happen', async () => {
    const net = new LabNet({ start: { sec: 0, nsec: 0 }, fault: () => undefined });
    try {
      const [a, b] = net.link('dead', 'a-eth0', 'b-eth0');
      const ha = net.node(new Host({ name: 'a', clock: net.clock }));
      const hb = net.node(new Host({ name: 'b', clock: net.clock }));
      ha.addInterface({ name: 'eth0', port: a, mac: '02:00:00:00:00:0a', address: '10.9.0.1/24', announce: false });
      hb.addInterface({ name: 'eth0', port: b, mac: '02:00:00:00:00:0b', address: '10.9.0.2/24', announce: false });
      const r = await net.run(ha.ping('10.9.0.2', { count: 1, timeoutMs: 5000 }));
      expect(net.frames).toHaveLength(0);
      expect(r.errors.map((e) => e.message)).toEqual(['Destination Host Unreachable']);
      expect(net.clock.now()).toBe(3000); // three ARP tries, 1 s apart, all lost
      await expect(net.runUntil(() => false, 1000, 'a frame never came')).rejects.toThrow(/nothing is left to happen at 3000 ms and a frame never came/);
      expect(() => net.link('dead', 'x', 'y')).toThrow(/already a link named dead/);
    } finally {
      await net.close();
    }
  });

  it('refuses a bad link delay with the reason', () => {
    expect(() => new LabNet({ start: { sec: 0, nsec: 0 }, delayMs: -1 })).toThrow(/delayMs must be 0 or more, got -1/);
  });
});
