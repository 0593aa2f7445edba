// `netlab decode` as a user runs it: a child process, its stdout, stderr and exit code.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'netlab.js');
const CAPTURES = SHARED_CAPTURES;
const cap = (f: string): string => join(CAPTURES, f);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function netlab(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('netlab decode', () => {
  it('prints one summary line per packet', async () => {
    const r = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^ {4}1 {3}0\.000000 172\.16\.133\.2 → 172\.217\.11\.78 ICMP 98 Echo \(ping\) request/);
  });

  it('takes the file as an argument too, and reads gzip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-'));
    const gz = join(dir, 'echo.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(cap('icmp-echo-zeek.pcap'))));
    const a = await netlab('decode', cap('icmp-echo-zeek.pcap'));
    const b = await netlab('decode', '-r', gz);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('-c counts packets read, -Y filters (as tshark 4.0: -c 4 -Y reply gives frames 2 and 4)', async () => {
    const r = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-Y', 'icmp.type == 0', '-c', '4', '-T', 'fields', '-e', 'frame.number');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2\n4\n');
  });

  it('-T fields with -E options', async () => {
    const r = await netlab(
      'decode',
      '-r',
      cap('icmp-echo-zeek.pcap'),
      '-c',
      '2',
      '-T',
      'fields',
      '-e',
      'frame.number',
      '-e',
      'ip.src',
      '-e',
      'tcp.port',
      '-E',
      'header=y',
      '-E',
      'separator=,',
      '-E',
      'quote=d',
    );
    expect(r.stdout).toBe('"frame.number","ip.src","tcp.port"\n"1","172.16.133.2",\n"2","172.217.11.78",\n');
  });

  it('-T json is one JSON array', async () => {
    const r = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-c', '3', '-T', 'json');
    const doc = JSON.parse(r.stdout) as Array<{ _source: { layers: Record<string, unknown> } }>;
    expect(doc).toHaveLength(3);
    expect(Object.keys(doc[0]._source.layers).slice(0, 3)).toEqual(['frame', 'eth', 'ip']);
    const empty = await netlab('decode', '-r', cap('empty-pcap-zeek.pcap'), '-T', 'json');
    expect(empty.stdout).toBe('[]\n');
  });

  it('-V prints the tree, -x the hex with a legend of layer spans', async () => {
    const v = await netlab('decode', '-r', cap('arp-reply-pcapplusplus.pcap'), '-V');
    expect(v.stdout.startsWith('Frame 1: 60 bytes on wire (480 bits), 60 bytes captured (480 bits)\n')).toBe(true);
    expect(v.stdout.endsWith('\n\n')).toBe(true);
    const x = await netlab('decode', '-r', cap('arp-reply-pcapplusplus.pcap'), '-x');
    expect(x.stdout).toContain('0000  6c f0 49 b2 de 6e 30 46 9a 23 fb fa 08 06 00 01   l.I..n0F.#......\n');
    expect(x.stdout).toMatch(/\n {2}eth +0000-000d +14 bytes {2}Ethernet II/);
    expect(x.stdout).toMatch(/\n {2}arp +000e-0029 +28 bytes {2}Address Resolution Protocol/);
  });

  it('accepts the checksum preferences and refuses others', async () => {
    const ok = await netlab('decode', '-r', cap('udp-basic-zeek.pcap'), '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE');
    expect(ok.code).toBe(0);
    const bad = await netlab('decode', '-r', cap('udp-basic-zeek.pcap'), '-o', 'gui.something:1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('-o gui.something:1');
  });

  it('a malformed packet does not stop the run', async () => {
    const r = await netlab('decode', '-r', cap('malformed-tcp-header-pcapplusplus.pcap'));
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stdout).toContain('[Malformed Packet]');
  });
});

describe('netlab decode errors', () => {
  it('unknown fields: "Some fields aren\'t valid", exit 1', async () => {
    const r = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-T', 'fields', '-e', 'ip.src', '-e', 'foo.bar', '-e', 'ip.bogus');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("netlab: Some fields aren't valid:\n\tip.bogus\n\tfoo.bar\n");
  });

  it('a bad filter: message, filter and caret, exit 2', async () => {
    const r = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-Y', 'ip.dst == foo');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('netlab: "foo" is not a valid hostname or IPv4 address.\n    ip.dst == foo\n              ^~~\n');
  });

  it('a missing file, a file that is not a capture, an unsupported version: exit 2', async () => {
    const missing = await netlab('decode', '-r', '/nonexistent/x.pcap');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('netlab: The file "/nonexistent/x.pcap" doesn\'t exist.\n');
    const notCapture = await netlab('decode', '-r', join(ROOT, 'package.json'));
    expect(notCapture.code).toBe(2);
    expect(notCapture.stderr).toMatch(/^netlab: The file ".*package\.json" isn't a capture file netlab can read: /);
    const version = await netlab('decode', '-r', cap('malformed-pcap-version-1-4-libpcap.pcap'));
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('major version 1');
  });

  it('option mistakes, as tshark words them', async () => {
    const noFields = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-T', 'fields');
    expect(noFields.code).toBe(1);
    expect(noFields.stderr).toContain('no fields were specified with "-e"');
    const noT = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-e', 'ip.src');
    expect(noT.code).toBe(1);
    const badE = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-T', 'fields', '-e', 'ip.src', '-E', 'occurrence=2');
    expect(badE.code).toBe(1);
    expect(badE.stderr).toContain('"occurrence" is not a valid field output option=value pair.');
    const badT = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '-T', 'pdml');
    expect(badT.code).toBe(1);
    const noFile = await netlab('decode');
    expect(noFile.code).toBe(1);
    const unknown = await netlab('decode', '-r', cap('icmp-echo-zeek.pcap'), '--bogus');
    expect(unknown.code).toBe(1);
  });

  it('stops quietly when the reader of stdout goes away', async () => {
    const r = await new Promise<Result>((resolve) => {
      execFile('sh', ['-c', `node ${BIN} decode -r ${cap('dns-edns-ecs-tc-tcp-retry-zeek.pcap')} -V | head -1`], (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : 1, stdout, stderr }),
      );
    });
    expect(r.stdout.split('\n')[0]).toMatch(/^Frame 1: /);
    expect(r.stderr).toBe('');
  });
});
