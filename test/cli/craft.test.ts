// `netlab craft`: packets from flags and JSON, written to pcap/pcapng, read back by netlab and tshark.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { buildPackets, layersFromArgs, packetsFromJson } from '../../src/cli/craft.ts';
import { CliError } from '../../src/cli/io.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');
const dir = mkdtempSync(join(tmpdir(), 'netlab-craft-'));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function netlab(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

const SYN = [
  '--eth',
  'src=11:22:33:44:55:66,dst=aa:bb:cc:dd:ee:ff',
  '--ipv4',
  'src=192.168.1.10,dst=142.250.183.110',
  '--tcp',
  'sport=54321,dport=443,flags=S,seq=12345678',
];

describe('layers from the command line', () => {
  it('keeps the order of the flags and reads key=value lists', () => {
    expect(layersFromArgs(['craft', ...SYN, '--payload', 'Hola', '-w', 'x.pcapng'])).toEqual([
      { layer: 'eth', src: '11:22:33:44:55:66', dst: 'aa:bb:cc:dd:ee:ff' },
      { layer: 'ipv4', src: '192.168.1.10', dst: '142.250.183.110' },
      { layer: 'tcp', sport: '54321', dport: '443', flags: 'S', seq: '12345678' },
      { layer: 'payload', data: 'Hola' },
    ]);
    expect(layersFromArgs(['--udp=sport=1,dport=2', '--payload-hex', 'dead'])).toEqual([
      { layer: 'udp', sport: '1', dport: '2' },
      { layer: 'payload', hex: 'dead' },
    ]);
  });

  it('names the layer and the key of a mistake', () => {
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (e instanceof CliError) return e.message;
        throw e;
      }
      return 'no error';
    };
    const one = (layers: ReturnType<typeof layersFromArgs>) => (): unknown => buildPackets({ packets: [{ layers }], time: 0 });
    expect(err(one(layersFromArgs(['--tcp', 'sprot=1,dport=2'])))).toMatch(/unknown key "sprot" for layer tcp \(known: sport, dport/);
    expect(err(one(layersFromArgs(['--ipv4', 'src=10.0.0.1,dst=10.0.0.2', '--udp', 'sport=x,dport=2'])))).toMatch(/udp sport: "x" is not a number/);
    expect(err(one([{ layer: 'foo' }]))).toMatch(/unknown layer "foo"/);
    expect(err(one(layersFromArgs(['--udp', 'dport=2'])))).toMatch(/layer udp needs sport=/);
    expect(err(one(layersFromArgs(['--ipv4', 'src=10.0.0.300,dst=10.0.0.2'])))).toMatch(/ipv4/);
    expect(err(one(layersFromArgs(['--udp', 'sport=1,dport=2'])))).toMatch(/must start with an Ethernet or an IP layer/);
  });
});

describe('JSON descriptions', () => {
  it('takes one packet, an array of packets, or packets with times and comments', () => {
    expect(packetsFromJson('[{"layer":"ipv4","src":"10.0.0.1","dst":"10.0.0.2"}]', 'f')).toHaveLength(1);
    const ps = packetsFromJson(
      '[[{"layer":"ipv4","src":"10.0.0.1","dst":"10.0.0.2"}], {"time": 5, "comment": "hi", "layers": [{"layer":"ipv6","src":"::1","dst":"::2"}]}]',
      'f',
    );
    expect(ps).toHaveLength(2);
    expect(ps[1]).toMatchObject({ time: 5, comment: 'hi' });
    expect(() => packetsFromJson('{', 'f')).toThrow(/not valid JSON/);
    expect(() => packetsFromJson('[1]', 'f')).toThrow(/packet 1 must be an array of layers/);
  });
});

describe('netlab craft', () => {
  it('writes a SYN to pcapng, prints what it wrote and how to open it', async () => {
    const out = join(dir, 'syn.pcapng');
    const r = await netlab('craft', ...SYN, '-w', out, '--time', '1700000000');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/192\.168\.1\.10 → 142\.250\.183\.110 TCP 54 54321 → 443 \[SYN\] Seq=0 Win=8192 Len=0$/);
    expect(lines[1]).toBe(`wrote 1 packet (${readFileSync(out).length} bytes) to ${out}`);
    expect(lines[2]).toContain(`wireshark ${out}`);
    const cap = parseCapture(readFileSync(out));
    expect(cap.format).toBe('pcapng-le');
    expect(cap.packets[0].tsSec).toBe(1700000000);
  });

  it('writes pcap by extension, --count copies, wrong checksum on request', async () => {
    const out = join(dir, 'bad.pcap');
    const r = await netlab(
      'craft',
      '--ipv4',
      'src=10.0.0.1,dst=10.0.0.2',
      '--udp',
      'sport=1,dport=2,checksum=0xdead',
      '--payload',
      'Hola',
      '--count',
      '3',
      '-w',
      out,
    );
    expect(r.code).toBe(0);
    const cap = parseCapture(readFileSync(out));
    expect(cap.format).toBe('pcap-le-usec');
    expect(cap.interfaces[0].linkType).toBe(101);
    expect(cap.packets).toHaveLength(3);
    expect(r.stdout).toContain('[UDP CHECKSUM INCORRECT]');
  });

  it('appends the FCS with --fcs and declares it in the capture', async () => {
    const out = join(dir, 'fcs.pcapng');
    const r = await netlab('craft', '--fcs', ...SYN, '-w', out);
    expect(r.code).toBe(0);
    const cap = parseCapture(readFileSync(out));
    expect(cap.interfaces[0].fcsLength).toBe(4);
    expect(cap.packets[0].data.length).toBe(58);
  });

  it('builds a sequence from --json', async () => {
    const json = join(dir, 'seq.json');
    writeFileSync(
      json,
      JSON.stringify([
        [
          { layer: 'eth', src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' },
          { layer: 'arp', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' },
        ],
        [
          { layer: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
          { layer: 'icmp', type: 'echo-request', id: 1, seq: 1 },
          { layer: 'payload', data: 'ping' },
        ],
      ]),
    );
    const out = join(dir, 'seq.pcapng');
    const r = await netlab('craft', '--json', json, '-w', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ARP 42 Who has 10\.0\.0\.2\? Tell 10\.0\.0\.1/);
    expect(r.stdout).toMatch(/ICMP 32 Echo \(ping\) request/);
    expect(parseCapture(readFileSync(out)).interfaces.map((i) => i.linkType)).toEqual([1, 101]);
  });

  it('prints the packet (summary and hex with layer spans) when no file is given', async () => {
    const r = await netlab('craft', ...SYN);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^0000 {2}aa bb cc dd ee ff 11 22 33 44 55 66 08 00 45 00/m);
    expect(r.stdout).toMatch(/^ {2}tcp +0022-0035 +20 bytes/m);
    expect(r.stdout).toContain('add -w FILE.pcapng');
  });

  it('refuses unknown keys and layers with exit code 1', async () => {
    const r = await netlab('craft', '--ipv4', 'src=10.0.0.1,dst=10.0.0.2,tll=3', '-w', join(dir, 'x.pcap'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^netlab: packet, ipv4 tll: |unknown key "tll" for layer ipv4/);
    const none = await netlab('craft', '-w', join(dir, 'y.pcap'));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('nothing to craft');
    const ext = await netlab('craft', ...SYN, '-w', join(dir, 'z.txt'));
    expect(ext.code).toBe(1);
    expect(ext.stderr).toContain('.pcapng or .pcap');
  });

  it.skipIf(!requireTool('tshark'))('writes what tshark reads: a SYN with a wrong IP checksum', async () => {
    const out = join(dir, 'badip.pcapng');
    await netlab('craft', ...SYN.slice(0, 3), 'src=192.168.1.10,dst=142.250.183.110,checksum=0x1234', ...SYN.slice(4), '-w', out);
    const { stdout } = await run('tshark', [
      '-r',
      out,
      '-o',
      'ip.check_checksum:TRUE',
      '-T',
      'fields',
      '-e',
      'ip.checksum',
      '-e',
      'ip.checksum.status',
      '-e',
      'tcp.flags.syn',
      '-e',
      'tcp.dstport',
    ]);
    expect(stdout).toBe('0x1234\t0\t1\t443\n');
  });
});
