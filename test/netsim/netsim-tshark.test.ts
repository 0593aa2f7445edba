// tshark reads what the virtual hosts and routers put on their links: an ARP exchange, a ping through
// two routers, a TTL expiry, a traceroute and an ARP timeout (host unreachable), written to one pcapng
// with an interface per link. Wireshark must find no malformed packet and no bad checksum, and its
// fields must say what the routers did: MACs rewritten per hop, IPs kept, TTL down by one per router,
// ICMP time exceeded quoting the original header.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/index.ts';
import { CHECKSUM_PREFS, tsharkFields } from '../../src/lab/tshark.ts';
import { requireTool } from '../helpers/tools.ts';
import { MAC, twoRouters, type TwoRouters } from './host-testbed.ts';

const LINKS = ['lan1', 'core', 'lan2'] as const;
const FIELDS = [
  'frame.number',
  'frame.interface_name',
  'eth.src',
  'eth.dst',
  'arp.opcode',
  'arp.dst.proto_ipv4',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmp.seq',
  'udp.dstport',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

describe.skipIf(!requireTool('tshark'))('tshark decodes the virtual network', () => {
  let dir: string;
  let path: string;
  let rows: Row[];
  let t: TwoRouters;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netlab-netsim-'));
    path = join(dir, 'two-routers.pcapng');
    t = twoRouters({ arp: { retryMs: 20, tries: 2 } });
    const ping = await t.h1.ping('10.0.3.20', { count: 2, intervalMs: 5, timeoutMs: 2000 });
    expect(ping.stats.received).toBe(2);
    const expired = await t.h1.ping('10.0.3.20', { count: 1, ttl: 2, timeoutMs: 2000 });
    expect(expired.errors).toHaveLength(1);
    const trace = await t.h1.traceroute('10.0.3.20', { timeoutMs: 2000 });
    expect(trace.reached).toBe(true);
    const missing = await t.h1.ping('10.0.3.99', { count: 1, timeoutMs: 2000 });
    expect(missing.errors[0]?.message).toBe('Destination Host Unreachable');
    await t.close();

    const w = new PcapngWriter({ interfaces: LINKS.map((name) => ({ linkType: 1, name, description: `netlab ${name}` })) });
    for (const r of t.log) {
      const ns = BigInt(Math.round((performance.timeOrigin + r.at) * 1e6));
      w.write({
        tsSec: Number(ns / 1_000_000_000n),
        tsNsec: Number(ns % 1_000_000_000n),
        data: r.frame,
        interfaceId: LINKS.indexOf(r.link as (typeof LINKS)[number]),
      });
    }
    writeFileSync(path, w.toBytes());
    rows = tsharkFields(
      path,
      FIELDS,
      CHECKSUM_PREFS.filter((p) => p !== 'eth.check_fcs:TRUE'),
    ).map((cols) => Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row);
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('finds every frame, no malformed packet, no bad checksum, no expert warning', () => {
    expect(rows.length).toBe(t.log.length);
    const bad = execFileSync(
      'tshark',
      [
        '-n',
        '-r',
        path,
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-Y',
        '_ws.malformed || _ws.expert.severity >= "Warning" || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"',
      ],
      { encoding: 'utf8' },
    );
    expect(bad).toBe('');
    const good = execFileSync(
      'tshark',
      ['-n', '-r', path, '-o', 'ip.check_checksum:TRUE', '-Y', 'ip.checksum.status == "Good" && !icmp.type == 3 && !icmp.type == 11'],
      { encoding: 'utf8' },
    );
    expect(good.trim().split('\n').length).toBeGreaterThan(10);
  });

  it('shows the ARP request broadcast and the unicast reply on the first LAN', () => {
    const arp = rows.filter((r) => r['frame.interface_name'] === 'lan1' && r['arp.opcode'] !== '');
    expect(arp[0]).toMatchObject({ 'arp.opcode': '1', 'eth.src': MAC.h1, 'eth.dst': 'ff:ff:ff:ff:ff:ff', 'arp.dst.proto_ipv4': '10.0.1.1' });
    expect(arp[1]).toMatchObject({ 'arp.opcode': '2', 'eth.src': MAC.r1lan, 'eth.dst': MAC.h1 });
  });

  it('the same echo request on each link: router MAC as source, same IP source, TTL 64, 63, 62', () => {
    const seq1 = (link: string): Row | undefined =>
      rows.find((r) => r['frame.interface_name'] === link && r['icmp.type'] === '8' && r['icmp.seq'] === '1' && r['ip.ttl'] !== '2');
    const [a, b, c] = LINKS.map(seq1);
    expect([a?.['eth.src'], b?.['eth.src'], c?.['eth.src']]).toEqual([MAC.h1, MAC.r1core, MAC.r2lan]);
    expect([a?.['eth.dst'], b?.['eth.dst'], c?.['eth.dst']]).toEqual([MAC.r1lan, MAC.r2core, MAC.h2]);
    expect([a, b, c].map((r) => `${r?.['ip.src']}>${r?.['ip.dst']}`)).toEqual(Array(3).fill('10.0.1.10>10.0.3.20'));
    expect([a, b, c].map((r) => r?.['ip.ttl'])).toEqual(['64', '63', '62']);
    expect(new Set([a, b, c].map((r) => r?.['icmp.ident'])).size).toBe(1);
    const reply = rows.find((r) => r['frame.interface_name'] === 'lan1' && r['icmp.type'] === '0' && r['icmp.seq'] === '1');
    expect(reply).toMatchObject({ 'ip.src': '10.0.3.20', 'ip.dst': '10.0.1.10', 'ip.ttl': '62', 'eth.src': MAC.r1lan });
  });

  it('TTL expiry: ICMP type 11 from the router, the original header embedded with TTL 1', () => {
    const te = rows.find((r) => r['frame.interface_name'] === 'lan1' && r['icmp.type'].startsWith('11') && r['icmp.seq'] !== '');
    expect(te).toBeDefined();
    const row = te as Row;
    expect(row['icmp.code'].split(',')[0]).toBe('0');
    expect(row['ip.src'].split(',')).toEqual(['10.0.2.2', '10.0.1.10']);
    expect(row['ip.dst'].split(',')).toEqual(['10.0.1.10', '10.0.3.20']);
    expect(row['ip.ttl'].split(',')).toEqual(['63', '1']);
    expect(row['icmp.type'].split(',')).toEqual(['11', '8']);
  });

  it('traceroute: UDP probes from 33434, time exceeded from each router, port unreachable from the target', () => {
    const probes = rows.filter((r) => r['frame.interface_name'] === 'lan1' && r['udp.dstport'] !== '' && r['icmp.type'] === '');
    expect(probes.map((r) => `${r['udp.dstport']}@${r['ip.ttl']}`)).toEqual([
      '33434@1',
      '33435@1',
      '33436@1',
      '33437@2',
      '33438@2',
      '33439@2',
      '33440@3',
      '33441@3',
      '33442@3',
    ]);
    const answers = rows.filter((r) => r['frame.interface_name'] === 'lan1' && r['icmp.type'] !== '' && r['udp.dstport'] !== '');
    expect(answers.map((r) => `${r['ip.src'].split(',')[0]} ${r['icmp.type'].split(',')[0]}/${r['icmp.code'].split(',')[0]} ${r['udp.dstport']}`)).toEqual([
      '10.0.1.1 11/0 33434',
      '10.0.1.1 11/0 33435',
      '10.0.1.1 11/0 33436',
      '10.0.2.2 11/0 33437',
      '10.0.2.2 11/0 33438',
      '10.0.2.2 11/0 33439',
      '10.0.3.20 3/3 33440',
      '10.0.3.20 3/3 33441',
      '10.0.3.20 3/3 33442',
    ]);
  });

  it('ARP timeout on the far LAN: requests go unanswered, then host unreachable from r2 to the sender', () => {
    const asks = rows.filter((r) => r['frame.interface_name'] === 'lan2' && r['arp.opcode'] === '1' && r['arp.dst.proto_ipv4'] === '10.0.3.99');
    expect(asks).toHaveLength(2);
    const unreach = rows.find((r) => r['frame.interface_name'] === 'lan1' && r['icmp.type'].startsWith('3,'));
    expect(unreach?.['icmp.code'].split(',')[0]).toBe('1');
    expect(unreach?.['ip.src'].split(',')).toEqual(['10.0.2.2', '10.0.1.10']);
    expect(unreach?.['ip.dst'].split(',')).toEqual(['10.0.1.10', '10.0.3.99']);
  });
});
