// `netlab craft` with bad values, run as the real command: every refusal is one line naming the
// option or the field and its range, exit code 1, no stack trace, nothing written; a wrong value that
// fits its field (a bad checksum, TTL 0, VLAN 4095) is still written as given.

import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { buildPackets, type CraftOptions } from '../../src/cli/craft.ts';
import { CliError } from '../../src/cli/io.ts';
import { layersFromArgs, packetsFromJson } from '../../src/cli/craft/layers.ts';
import { expectRefusal, netlabAll } from './cli-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-craft-'));
const UDP = ['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--udp', 'sport=1,dport=2'];
const ETH = 'src=02:00:00:00:00:01,dst=02:00:00:00:00:02';

/** The CliError message `craft` gives for these layers and options (in-process: the same code the command runs). */
function craftError(args: string[], options: Partial<CraftOptions> = {}, json?: unknown): string {
  try {
    const packets = json === undefined ? [{ layers: layersFromArgs(args) }] : packetsFromJson(JSON.stringify(json), 'p.json');
    buildPackets({ packets, time: 1_700_000_000, ...options });
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    expect(e.exitCode).toBe(1);
    return e.message;
  }
  return 'accepted';
}

describe('craft refuses numbers its fields cannot hold (never wraps them)', () => {
  const cases: [string[], RegExp][] = [
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2,ttl=256', '--udp', 'sport=1,dport=2'], /ipv4 ttl: 256 does not fit the 8-bit field \(0 to 255\)/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2,ttl=-1', '--udp', 'sport=1,dport=2'], /ipv4 ttl: -1 does not fit the 8-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--udp', 'sport=70000,dport=2'], /udp sport: 70000 does not fit the 16-bit field \(0 to 65535\)/],
    [['--eth', ETH, '--vlan', 'id=5000', ...UDP], /vlan id: 5000 does not fit the 12-bit field \(0 to 4095\)/],
    [['--eth', ETH, '--vlan', 'id=1,pcp=8', ...UDP], /vlan pcp: 8 does not fit the 3-bit field \(0 to 7\)/],
    [['--ipv6', 'src=::1,dst=::2,flowLabel=0x100000', '--udp', 'sport=1,dport=2'], /ipv6 flowLabel: 1048576 does not fit the 20-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--tcp', 'sport=1,dport=2,seq=4294967296'], /tcp seq: 4294967296 does not fit the 32-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--tcp', 'sport=1,dport=2,flags=0x1000'], /tcp flags: 4096 does not fit the 12-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--tcp', 'sport=1,dport=2,options=mss:70000'], /tcp options mss: 70000 does not fit the 16-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--tcp', 'sport=1,dport=2,options=wscale:256'], /tcp options wscale: 256 does not fit the 8-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--icmp', 'type=256'], /icmp type: 256 does not fit the 8-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--icmp', 'type=13,timestamps=1/2/4294967296'], /icmp timestamps: 4294967296 does not fit the 32-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--udp', 'sport=1,dport=4789', '--vxlan', 'vni=0x1000000'], /vxlan vni: 16777216 does not fit the 24-bit field/],
    [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2,fragmentOffset=8192', '--udp', 'sport=1,dport=2'], /ipv4 fragmentOffset: 8192 does not fit the 13-bit field/],
    [['--eth', 'src=02:00:00:00:00:01,dst=02:00:00:00:00:02,type=0x10000', '--payload', 'x'], /eth type: 65536 does not fit the 16-bit field/],
  ];
  for (const [args, expected] of cases) {
    it(args.join(' '), () => expect(craftError(args)).toMatch(expected));
  }

  it('the same from JSON', () => {
    expect(craftError([], {}, [[{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 256 }, { layer: 'udp', sport: 1, dport: 2 }]])).toMatch(/ipv4 ttl: 256 does not fit the 8-bit field/);
    expect(craftError([], {}, [{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 70000, dport: 2 }])).toMatch(/udp sport: 70000 does not fit/);
    expect(craftError([], {}, [{ layer: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, { layer: 'vlan', id: 5000 }])).toMatch(/vlan id: 5000 does not fit/);
    expect(craftError([], {}, [{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'tcp', sport: 1, dport: 2, options: [{ mss: 70000 }] }])).toMatch(/tcp options\[0\] mss: 70000 does not fit/);
    expect(craftError([], {}, [{ layers: [{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', protocol: 17 }], time: -1 }])).toMatch(/packet time -1: a time is seconds since 1970 from 0 to 4294967295/);
    expect(craftError([], {}, [{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', options: [1, 300] }])).toMatch(/ipv4 options\[1\]: 300 does not fit the 8-bit field/);
  });

  it('accepts every wrong value that fits: checksum 0xdead, TTL 0, VLAN 4095, UDP length 1', () => {
    expect(craftError(['--eth', ETH, '--vlan', 'id=4095', '--ipv4', 'src=10.0.0.1,dst=10.0.0.2,ttl=0,checksum=0xdead', '--udp', 'sport=1,dport=2,length=1'])).toBe('accepted');
  });

  it('refuses --count, --time and --interval out of range', () => {
    expect(craftError(UDP, { count: 0 })).toMatch(/--count 0: give a whole number of copies from 1 to 100000000/);
    expect(craftError(UDP, { count: 1.5 })).toMatch(/--count 1.5/);
    expect(craftError(UDP, { interval: -1 })).toMatch(/--interval -1: give seconds between packets from 0 to/);
    expect(craftError(UDP, { interval: Number.NaN })).toMatch(/--interval NaN/);
    expect(craftError(UDP, { time: -5 })).toMatch(/--time -5: a time is seconds since 1970 from 0 to 4294967295/);
    expect(craftError(UDP, { time: 4294967295, count: 3, interval: 1 })).toMatch(/the last packet would be at 4294967297 s/);
  });
});

describe('netlab craft refuses bad input in one line (the real command)', () => {
  it('options out of range and bad paths: exit 1, the name and range said, nothing written', async () => {
    mkdirSync(join(dir, 'folder.pcapng'));
    const out = join(dir, 'never.pcapng');
    const cases: [string[], RegExp][] = [
      [[...UDP, '--time', '-5', '-w', out], /^netlab: --time -5: out of range \(give a number of seconds since 1970 from 0 to 4294967295\)$/],
      [[...UDP, '--interval', 'abc', '-w', out], /^netlab: --interval: not a number \(give a number of seconds from 0 to 31536000\)$/],
      [['--ipv4', 'src=10.0.0.1,dst=10.0.0.2,ttl=256', '--udp', 'sport=1,dport=2', '-w', out], /^netlab: packet, ipv4 ttl: 256 does not fit the 8-bit field \(0 to 255\)$/],
      [[...UDP, '-w', join(dir, 'no', 'such', 'x.pcapng')], /-w .*x\.pcapng: the folder .*no\/such does not exist$/],
      [[...UDP, '-w', join(dir, 'folder.pcapng')], /-w .*folder\.pcapng: is a folder/],
      [['--json', dir], /is a folder, not a file/],
    ];
    const results = await netlabAll(cases.map(([a]) => ['craft', ...a]), 3);
    results.forEach((r, i) => expectRefusal(r, 1, cases[i][1]));
    expect(existsSync(out)).toBe(false);
  }, 180_000);

  it('still writes a wrong value that fits its field: checksum, TTL 0, VLAN 4095, UDP length 1', async () => {
    const out = join(dir, 'wrong.pcapng');
    const [r] = await netlabAll([['craft', '--eth', ETH, '--vlan', 'id=4095', '--ipv4', 'src=10.0.0.1,dst=10.0.0.2,ttl=0,checksum=0xdead', '--udp', 'sport=1,dport=2,length=1', '-w', out]]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const data = parseCapture(readFileSync(out)).packets[0].data;
    expect(((data[14] << 8) | data[15]) & 0xfff).toBe(4095);
    expect(data[18 + 8]).toBe(0); // TTL
    expect((data[18 + 10] << 8) | data[18 + 11]).toBe(0xdead);
    expect((data[38 + 4] << 8) | data[38 + 5]).toBe(1);
  }, 120_000);
});

describe('craft in constant memory', () => {
  it('plans a million copies without encoding them up front', () => {
    const [p] = packetsFromJson(JSON.stringify([{ layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { layer: 'udp', sport: 1, dport: 2 }]), 'x.json');
    const before = process.memoryUsage().heapUsed;
    const plan = buildPackets({ packets: [p], count: 1_000_000, time: 1_700_000_000, interval: 0.001 });
    expect(plan.total).toBe(1_000_000);
    expect(plan.sequence).toHaveLength(1);
    let n = 0;
    let last = { tsSec: 0, tsNsec: 0 };
    for (const q of plan.packets()) {
      n++;
      last = q;
    }
    expect(n).toBe(1_000_000);
    // 999,999 ms after the first packet, exactly (integer microseconds, no float drift).
    expect(last).toMatchObject({ tsSec: 1_700_000_000 + 999, tsNsec: 999_000_000 });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(layersFromArgs(['--ipv4', 'src=1.1.1.1,dst=2.2.2.2'])).toHaveLength(1);
  });

  it('streams --count 200000 to a .pcapng.gz file that reads back whole', async () => {
    const out = join(dir, 'many.pcapng.gz');
    const [r] = await netlabAll([['craft', ...UDP, '--count', '200000', '--time', '1700000000', '-w', out]]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\.\.\. and 199900 more \(200000 copies of 1\)/);
    expect(r.stdout).toMatch(/wrote 200000 packets/);
    const cap = parseCapture(readFileSync(out));
    expect(cap.error).toBeUndefined();
    expect(cap.packets).toHaveLength(200000);
    expect(cap.packets[199999].tsSec).toBe(1_700_000_000 + 199);
  }, 180_000);
});
