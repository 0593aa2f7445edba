// netlab's floating-IP heartbeat (src/wire/vrrp-heartbeat.ts, UDP 8112) as `netlab_hb`: Wireshark has
// no dissector for it, so the netlab_hb.* fields are checked against the codec's own decode, and
// tshark must show the same datagram as `data` of the same length, with every field below agreeing.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../../src/wire/vrrp-heartbeat.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, emittedFields, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-hb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const beats: Heartbeat[] = [
  { type: 'advert', priority: 200, preempt: true, intervalMs: 100, vip: '10.0.0.100', instance: 0xdeadbeef, seq: 1 },
  { type: 'advert', priority: 100, preempt: false, intervalMs: 65535, vip: '192.168.7.1', instance: 7, seq: 0xffffffff },
  { type: 'resign', priority: 254, preempt: false, intervalMs: 1, vip: '10.0.0.100', instance: 0, seq: 42 },
];

function frame(body: Uint8Array, sport = 40000): Uint8Array {
  return encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
    udp({ sport, dport: 8112 }),
    payload(body),
  ]);
}

function badCrc(): Uint8Array {
  const b = encodeHeartbeat(beats[0]);
  b[27] ^= 0xff;
  return b;
}

const bodies = (): Uint8Array[] => [...beats.map(encodeHeartbeat), badCrc(), encodeHeartbeat(beats[1]).subarray(0, 20)];
const frames = (): Uint8Array[] => bodies().map((b, i) => frame(b, 40000 + i));

async function capture(): Promise<string> {
  const path = join(dir, 'hb.pcapng');
  await writeFrames(path, frames());
  return path;
}

const HB_FIELDS = ['version', 'type', 'priority', 'flags', 'flags.preempt', 'interval', 'reserved', 'vip', 'instance', 'seq', 'crc', 'crc.status'];

describe('netlab heartbeat (netlab alone)', () => {
  it('shows every field as the codec decodes it, and the codec refusal as a malformation', async () => {
    const ds = await dissectAll(await capture());
    const got = (k: number, f: string): string => fieldText(ds[k], `netlab_hb.${f}`);
    beats.forEach((h, k) => {
      const v = decodeHeartbeat(bodies()[k]);
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      expect(v.value).toEqual(h);
      expect(ds[k].protos.map((p) => p.proto).slice(-2)).toEqual(['udp', 'netlab_hb']);
      expect(got(k, 'type')).toBe(v.value.type === 'advert' ? '1' : '2');
      expect(got(k, 'priority')).toBe(String(v.value.priority));
      expect(got(k, 'flags.preempt')).toBe(v.value.preempt ? '1' : '0');
      expect(got(k, 'interval')).toBe(String(v.value.intervalMs));
      expect(got(k, 'vip')).toBe(v.value.vip);
      expect(Number(got(k, 'instance'))).toBe(v.value.instance);
      expect(got(k, 'seq')).toBe(String(v.value.seq));
      expect(got(k, 'crc.status')).toBe('1');
      expect(ds[k].protos.at(-1)?.malformed).toEqual([]);
    });
    expect(summaryLine(ds[0])).toMatch(/ NETLAB-HB 70 ADVERT 10\.0\.0\.100 priority 200 preempt seq 1 interval 100ms$/);
    expect(summaryLine(ds[2])).toMatch(/ NETLAB-HB 70 RESIGN 10\.0\.0\.100 priority 254 seq 42 interval 1ms$/);
    // A bad CRC: fields still shown, status 0 (bad), the codec's reason as a malformation.
    expect(got(3, 'crc.status')).toBe('0');
    expect(ds[3].protos.at(-1)?.malformed[0]?.reason).toMatch(/CRC-32C does not match/);
    expect(treeLines(ds[3]).join('\n')).toMatch(/CRC-32C: 0x[0-9a-f]{8} incorrect, should be 0x[0-9a-f]{8}/);
    // Truncated: the fields up to the cut, nothing past it, and the reason.
    expect(got(4, 'seq')).toBe('');
    expect(got(4, 'instance')).toBe('0x00000007');
    expect(ds[4].protos.at(-1)?.malformed[0]?.reason).toMatch(/20 bytes, a heartbeat is 28/);
    expect(summaryLine(ds[4])).toMatch(/ NETLAB-HB \d+ Malformed heartbeat: 20 bytes, a heartbeat is 28$/);
  });

  it('leaves port 8112 without the magic as data; elsewhere, only a heartbeat the codec accepts', async () => {
    const path = join(dir, 'other.pcapng');
    const onPort = (body: Uint8Array, port: number): Uint8Array =>
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
        ipv4({ src: '127.0.0.1', dst: '127.0.0.1' }),
        udp({ sport: port, dport: port }),
        payload(body),
      ]);
    await writeFrames(path, [frame(new TextEncoder().encode('not a heartbeat at all')), onPort(encodeHeartbeat(beats[0]), 41234), onPort(badCrc(), 41234)]);
    const ds = await dissectAll(path);
    expect(ds.map((d) => d.protos.map((p) => p.proto).at(-1))).toEqual(['data', 'netlab_hb', 'data']);
  });
});

describe.skipIf(!requireTool('tshark'))('netlab heartbeat beside tshark', () => {
  it('tshark shows data of the heartbeat length; every other field agrees', async () => {
    const path = await capture();
    const ds = await dissectAll(path);
    const { stdout } = await run('tshark', [
      '-r',
      path,
      ...TSHARK_CHECKSUM_OPTS,
      '-T',
      'fields',
      '-e',
      'frame.protocols',
      '-e',
      'data.len',
      '-e',
      'udp.length',
    ]);
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(ds.length);
    rows.forEach(([protos, dataLen, udpLen], k) => {
      expect(protos).toBe('eth:ethertype:ip:udp:data');
      expect(fieldText(ds[k], 'frame.protocols')).toBe('eth:ethertype:ip:udp:netlab_hb');
      const node = ds[k].protos.at(-1);
      expect(Number(dataLen)).toBe(node?.length);
      expect(Number(udpLen) - 8).toBe(node?.length);
    });
    const ours = new Set(ds.flatMap((d) => HB_FIELDS.map((f) => `netlab_hb.${f}`).filter((f) => fieldText(d, f) !== '')));
    expect(ours.size).toBe(HB_FIELDS.length);
    // tshark knows no netlab_hb.* names: every other field netlab emits is compared.
    const others = emittedFields(ds).filter((f) => !f.startsWith('netlab_hb') && f !== 'frame.protocols');
    const result = await compareCapture(path, others);
    const bad = result.filter((a) => a.agree !== a.frames);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    expect(result.length).toBeGreaterThan(20);
  });
});
