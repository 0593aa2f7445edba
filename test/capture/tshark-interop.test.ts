// Real peers: tshark and capinfos read what the writers produce (pcap and pcapng, both byte orders,
// the Decryption Secrets Block), and the reader's timestamps match tshark's frame.time_epoch on the
// shared captures, the out-of-range microsecond file included.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { openCapture } from '../../src/capture/read.ts';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { frame } from './craft.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-capture-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stderr without tshark's "Running as user root" notice. */
function realErrors(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('Running as user'))
    .join('\n');
}

async function tsharkFields(path: string, fields: string[]): Promise<string[][]> {
  const args = ['-r', path, '-T', 'fields', '-E', 'separator=\t'];
  for (const f of fields) args.push('-e', f);
  const { stdout, stderr } = await run('tshark', args, { maxBuffer: 1 << 26 });
  expect(realErrors(stderr)).toBe('');
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** frame.time_epoch as tshark 4.0 prints it, including its rendering of a negative nanosecond value. */
function tsharkEpoch(sec: number, nsec: number): string {
  if (nsec < 0) return `-${sec}.${String(-nsec).padStart(9, '0')}`;
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

const KEYLOG = 'CLIENT_RANDOM 0102030405060708091011121314151617181920212223242526272829303132 ' + 'ab'.repeat(48) + '\n';

function writeAll(): { path: string; count: number; pcapng: boolean }[] {
  const out: { path: string; count: number; pcapng: boolean }[] = [];
  for (const precision of ['usec', 'nsec'] as const) {
    for (const byteOrder of ['le', 'be'] as const) {
      const w = new PcapWriter({ linkType: 1, precision, byteOrder });
      for (let i = 0; i < 7; i++) w.write({ tsSec: 1_700_000_000 + i, tsNsec: 123_456_789 + i, data: frame(i) });
      const path = join(dir, `w-${precision}-${byteOrder}.pcap`);
      writeFileSync(path, w.toBytes());
      out.push({ path, count: 7, pcapng: false });
    }
  }
  for (const byteOrder of ['le', 'be'] as const) {
    const w = new PcapngWriter({
      byteOrder,
      interfaces: [
        { linkType: 1, name: 'veth0', description: 'lab' },
        { linkType: 101, name: 'tun0' },
      ],
    });
    w.writeTlsKeyLog(KEYLOG);
    for (let i = 0; i < 9; i++) {
      w.write({
        tsSec: 1_700_000_000 + i,
        tsNsec: 987_654_321 - i,
        data: i % 2 === 0 ? frame(i) : frame(i).subarray(14),
        interfaceId: i % 2,
        comments: i === 4 ? ['five', 'fünf'] : [],
      });
    }
    const path = join(dir, `w-${byteOrder}.pcapng`);
    writeFileSync(path, w.toBytes());
    out.push({ path, count: 9, pcapng: true });
  }
  return out;
}

describe.skipIf(!requireTool('tshark'))('tshark reads what the writers write', () => {
  const files = writeAll();
  for (const f of files) {
    it(`${f.path.split('/').pop()}: packet count, timestamps, interfaces, comments`, async () => {
      const rows = await tsharkFields(f.path, ['frame.number', 'frame.time_epoch', 'frame.interface_id', 'frame.interface_name', 'frame.comment', 'frame.len']);
      expect(rows).toHaveLength(f.count);
      const cap = await openCapture(f.path);
      const ours: CapturedPacket[] = [];
      for await (const p of cap.packets()) ours.push(p);
      expect(rows.map((r) => r[1])).toEqual(ours.map((p) => tsharkEpoch(p.tsSec, p.tsNsec)));
      expect(rows.map((r) => Number(r[5]))).toEqual(ours.map((p) => p.origLength));
      if (f.pcapng) {
        expect(rows.map((r) => r[2])).toEqual(ours.map((p) => String(p.interfaceId)));
        expect(rows.map((r) => r[3])).toEqual(ours.map((p) => p.iface.name));
        expect(rows[4][4]).toBe('five,fünf');
      }
    });
  }

  it.skipIf(!requireTool('capinfos'))('capinfos counts the packets, the interfaces and the decryption secrets', async () => {
    const ng = files.find((f) => f.path.endsWith('w-le.pcapng'));
    const { stdout, stderr } = await run('capinfos', ['-c', '-D', '-I', ng!.path]);
    expect(realErrors(stderr)).toBe('');
    expect(stdout).toMatch(/Number of packets:\s+9\b/);
    expect(stdout).toMatch(/Number of decryption secrets in file: 1/);
    expect(stdout).toMatch(/Name = veth0/);
    expect(stdout).toMatch(/Time precision = nanoseconds \(9\)/);
  });
});

describe.skipIf(!requireTool('tshark'))('timestamps and lengths agree with tshark on the shared captures', () => {
  const files = [
    'malformed-timestamp-usec-overflow-tcpdump.pcap',
    'pcap-nsec-synthetic-pcapplusplus.pcap',
    'pcap-be-nsec-http-pcapplusplus.pcap',
    'pcap-be-pptp-gre-tcpdump.pcap',
    'pcapng-multi-interface-pcapplusplus.pcapng',
    'pcapng-eth-sll-interfaces-ldap-pcapplusplus.pcapng',
    'malformed-snaplen1-incl-gt-snaplen-zeek.pcap',
    'sll-ipv6-http-pcapplusplus.pcap',
  ];
  for (const name of files) {
    it(name, async () => {
      const path = join(SHARED_CAPTURES, name);
      const rows = await tsharkFields(path, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
      const cap = await openCapture(path);
      const ours: string[][] = [];
      for await (const p of cap.packets()) ours.push([tsharkEpoch(p.tsSec, p.tsNsec), String(p.origLength), String(p.data.length)]);
      expect(ours).toEqual(rows);
    });
  }
});
