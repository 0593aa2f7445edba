// The ports lab: a --check run through the runner (its captures read back by tshark and compared with
// what the lab's sockets reported), two deterministic runs that write the same bytes, the CLI's
// final line, and the reading of the real capture on lo (as root, with tcpdump).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import ports from '../../labs/ports.ts';
import { closedPortFrames, realCaptureOnLo } from '../../labs/ports/lo-capture.ts';
import type { RunSummary } from '../../src/lab/runner.ts';
import { labHarness, labCli } from './harness.ts';
import { findTool, requireRoot, requireTool } from '../helpers/tools.ts';

const { temp, run } = labHarness('ports');

/** tshark's fields for the frames a display filter selects, one array per frame. */
function tsharkFields(path: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function kernelRange(): { low: number; high: number } {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return { low, high };
}

/** The value a checkpoint line printed (--verbose): `✓ NAME: VALUE (expected ...)`. */
function observed(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.includes(`${name}: `));
  if (line === undefined) throw new Error(`no checkpoint "${name}" in:\n${text}`);
  const value = line.slice(line.indexOf(`${name}: `) + name.length + 2).replace(/ \(expected .*\)$/, '');
  // Values print as words now; an older run printed JSON strings.
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

describe('lab ports, --check through the runner', () => {
  let out = '';
  let text = '';
  let summary: RunSummary;

  beforeAll(async () => {
    ({ out, summary, text } = await run(ports, { verbose: true }));
  }, 60_000);

  it('passes every checkpoint and prints the final count', () => {
    expect(summary.failed, text).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(17);
    expect(text).toMatch(new RegExp(`^${summary.passed} passed, 0 failed$`, 'm'));
    // The real capture on lo ran where it can (its checkpoints are there); elsewhere step 5 only explains.
    const canCapture = process.platform === 'linux' && process.getuid?.() === 0 && findTool('tcpdump') !== undefined;
    expect(text.includes("tcpdump saw the kernel's RST")).toBe(canCapture);
  });

  it('writes the three captures', () => {
    const files = readdirSync(join(out, 'ports'))
      .filter((f) => f.endsWith('.pcapng'))
      .sort();
    expect(files).toEqual(['boundaries.pcapng', 'closed-ports.pcapng', 'four-tuples.pcapng']);
  });

  describe.skipIf(!requireTool('tshark'))('tshark reads the same story the sockets told', () => {
    it("four-tuples: three SYNs from the clients' real ephemeral ports, in the kernel's range, to one server port", () => {
      const clientPorts = observed(text, "the server saw the same ports as the clients' sockets");
      const syns = tsharkFields(join(out, 'ports', 'four-tuples.pcapng'), 'tcp.flags.syn == 1 && tcp.flags.ack == 0', ['tcp.srcport', 'tcp.dstport']);
      expect(syns.map((s) => s[0]).join(',')).toBe(clientPorts);
      expect(new Set(syns.map((s) => s[1])).size).toBe(1);
      const range = kernelRange();
      for (const [src] of syns) {
        expect(Number(src)).toBeGreaterThanOrEqual(range.low);
        expect(Number(src)).toBeLessThanOrEqual(range.high);
      }
    });

    it('closed-ports: the drawn RST goes to the port the refused connect() really had', () => {
      const client = observed(text, 'the refused connect() had an ephemeral port of its own');
      const path = join(out, 'ports', 'closed-ports.pcapng');
      const rst = tsharkFields(path, 'tcp.flags.reset == 1', ['tcp.dstport', 'frame.comment']);
      expect(rst).toHaveLength(1);
      expect(rst[0][0]).toBe(client);
      expect(rst[0][1]).toContain('drawn by the lab');
      const icmp = tsharkFields(path, 'icmp.type == 3 && icmp.code == 3', ['udp.srcport', 'udp.dstport', 'frame.comment']);
      expect(icmp).toHaveLength(1);
      expect(icmp[0][2]).toContain('drawn by the lab');
    });

    it('boundaries: TCP carries the bytes of four writes; UDP three datagrams of their own lengths', () => {
      const path = join(out, 'ports', 'boundaries.pcapng');
      expect(tsharkFields(path, 'udp', ['udp.length', 'data.data'])).toEqual([
        ['11', Buffer.from('one').toString('hex')],
        ['11', Buffer.from('two').toString('hex')],
        ['13', Buffer.from('three').toString('hex')],
      ]);
      const follow = execFileSync('tshark', ['-n', '-r', path, '-q', '-z', 'follow,tcp,raw,0'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      const lines = follow.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
      const fromClient = Buffer.from(lines.filter((l) => !l.startsWith('\t')).join(''), 'hex');
      const fromServer = Buffer.from(
        lines
          .filter((l) => l.startsWith('\t'))
          .map((l) => l.slice(1))
          .join(''),
        'hex',
      );
      expect(fromClient.length).toBe(11 + 100 * 1024);
      expect(fromClient.subarray(0, 11).toString()).toBe('onetwothree');
      expect(fromServer.toString()).toBe('ok');
      expect(tsharkFields(path, 'tcp.analysis.flags || _ws.malformed', ['frame.number'])).toEqual([]);
    });
  });

  describe.skipIf(!requireRoot('a capture on lo') || !requireTool('tcpdump') || !requireTool('tshark'))('the real capture on lo', () => {
    it("holds the kernel's RST and two ICMP port unreachables, as tshark reads them", () => {
      const path = join(out, 'ports', 'real-lo.pcap');
      expect(existsSync(path)).toBe(true);
      const rst = tsharkFields(path, 'tcp.flags.reset == 1', ['tcp.srcport', 'tcp.dstport']);
      expect(rst.length).toBeGreaterThanOrEqual(1);
      // Linux answers a SYN to a closed port with RST-ACK, as the lab draws it in closed-ports.pcapng.
      expect(tsharkFields(path, 'tcp.flags.reset == 1 && tcp.flags.ack == 1', ['tcp.srcport', 'tcp.dstport'])).toEqual(rst);
      const unreachable = tsharkFields(path, 'icmp.type == 3 && icmp.code == 3', ['udp.srcport', 'udp.dstport']);
      expect(unreachable.length).toBeGreaterThanOrEqual(2);
      // netlab's own reading (what the lab shows) agrees with tshark's.
      const mine = closedPortFrames(readFileSync(path), path);
      expect(mine.rst.map((r) => [String(r.srcPort), String(r.dstPort)])).toEqual(rst);
      expect(mine.unreachable.map((u) => [String(u.quotedSrcPort), String(u.quotedDstPort)])).toEqual(unreachable);
    });
  });
});

describe('the real capture on lo, where it cannot be taken', () => {
  it('gives the reason instead of failing (tcpdump not on PATH, or not root)', async () => {
    const path = process.env.PATH;
    process.env.PATH = temp();
    try {
      const lo = await realCaptureOnLo(temp(), 'udp port 9');
      expect(typeof lo).toBe('string');
      expect(lo).toMatch(process.getuid?.() === 0 ? /^tcpdump is not installed|Linux only/ : /needs root|Linux only/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('lab ports, deterministic (fixtures)', () => {
  it('writes the same bytes twice, with the fixed ports', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { out: dir, summary: s, text: cText } = await run(ports, { deterministic: true });
      expect(s.failed, cText).toBe(0);
      expect(cText).not.toContain('tcpdump saw');
      runs.push(join(dir, 'ports'));
    }
    const files = readdirSync(runs[0]).sort();
    expect(files).toEqual(['boundaries.pcapng', 'closed-ports.pcapng', 'four-tuples.pcapng']);
    expect(readdirSync(runs[1]).sort()).toEqual(files);
    for (const f of files) expect(Buffer.compare(readFileSync(join(runs[0], f)), readFileSync(join(runs[1], f))), f).toBe(0);
    // The drawn closed-port frames, read back by the same code that reads the real capture on lo.
    const closed = closedPortFrames(readFileSync(join(runs[0], 'closed-ports.pcapng')), 'closed-ports.pcapng');
    expect(closed).toEqual({
      frames: 4,
      rst: [{ frame: 2, srcPort: 9001, dstPort: 49200 }],
      unreachable: [{ frame: 4, quotedSrcPort: 49201, quotedDstPort: 9002 }],
    });
    if (findTool('tshark') !== undefined) {
      const syns = tsharkFields(join(runs[0], 'four-tuples.pcapng'), 'tcp.flags.syn == 1 && tcp.flags.ack == 0', ['tcp.srcport', 'tcp.dstport']);
      expect(syns).toEqual([
        ['49152', '8443'],
        ['49153', '8443'],
        ['49154', '8443'],
      ]);
    }
  }, 60_000);
});

describe('netlab lab run ports --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const out = temp();
    const stdout = await labCli('ports', out);
    expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(stdout.trim().split('\n').pop()).toMatch(/^(\d+) passed, 0 failed$/);
  }, 60_000);
});
