// The display filter against tshark 4.0's verdicts: the shared captures merged into one file, and for
// each filter the frames tshark displays must be the frames netlab displays.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { compileFilter } from '../../src/dissect/filter/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const run = promisify(execFile);
const CAPTURES = SHARED_CAPTURES;
const UNREADABLE = /^malformed-(linktype|pcap-version|pcapng-shb)/;

/** Filters over the fields netlab's mappers produce; each is run by both tools on the same file. */
export const FILTERS: readonly string[] = [
  'ip',
  'ipv6',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'arp',
  'vlan',
  'eth',
  'data',
  'sll',
  'null',
  'not ip and not ipv6',
  '!(tcp || udp) && ip',
  'tcp or udp and icmp',
  'ip.addr == 10.0.0.1 or ipv6',
  'ip.src == 10.0.0.0/8',
  'ip.addr == 192.168.0.0/16',
  'ip.dst == 255.255.255.255',
  'ip.src != 10.0.0.138',
  'ip.addr ~= 10.0.0.1',
  'ip.addr != 10.0.0.1',
  'ip.src === 10.0.1.2',
  'ip.src == ip.dst',
  'count(ip.src) > 1',
  'ip.src#2 == 10.0.1.2',
  'ip.ttl > 64',
  'ip.ttl <= 1',
  'ip.ttl in {1..10, 128}',
  'ip.flags.df',
  'ip.flags.df == 1',
  'ip.flags.df == False',
  'ip.flags.mf == 1',
  'ip.frag_offset > 0',
  'ip.proto == 17',
  'ip.proto == 0x11',
  'ip.len < 100',
  'ip.id == 0x0001',
  'ip.checksum.status == 0',
  'ip.hdr_len > 20',
  'ip.dsfield.dscp != 0',
  'ip.version == 4',
  'ipv6.addr == fe80::/10',
  'ipv6.src == ::1',
  'ipv6.addr == 2001:db8::/32',
  'ipv6.nxt == 58',
  'ipv6.hlim == 255',
  'ipv6.plen > 100',
  'tcp.port == 80',
  'tcp.port in {80, 443}',
  'tcp.port not in {80, 443}',
  'tcp.srcport >= 1024 && tcp.dstport < 1024',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.reset',
  'tcp.flags.reset == 1',
  'tcp.flags == 0x012',
  'tcp.flags.str contains "S"',
  'tcp.len > 0',
  'tcp.seq == 0',
  'tcp.ack == 1',
  'tcp.window_size_value < 1000',
  'tcp.checksum.status == 0',
  'tcp.hdr_len > 20',
  'tcp.stream == 1',
  'tcp.payload contains "HTTP"',
  'len(tcp.payload) > 100',
  'tcp.port != 80',
  'tcp.srcport == 80 || tcp.dstport == 80',
  'udp.port == 53',
  'udp.port ~= 53',
  'udp.length > 100',
  'udp.checksum.status == 1',
  'udp.srcport == udp.dstport',
  'udp.stream == 2',
  'icmp.type == 8',
  'icmp.type == 3 && icmp.code == 3',
  'icmp.checksum.status == 1',
  'icmpv6.type == 135',
  'icmpv6.type >= 133 && icmpv6.type <= 137',
  'eth.addr == ff:ff:ff:ff:ff:ff',
  'eth.dst[0] == 01',
  'eth.dst[0:3] == 01:00:5e',
  'eth.type == 0x0806',
  'eth.src == 00-0c-29-cf-30-15',
  'eth.src contains 23:fb',
  'vlan.id == 100',
  'vlan.id',
  'arp.opcode == 2',
  'arp.src.proto_ipv4 == 10.0.0.0/8',
  'frame.len > 1000',
  'frame.cap_len < frame.len',
  'frame.protocols contains "tcp"',
  'frame contains "GET"',
  'frame matches "get /"',
  'frame matches "(?-i)get /"',
  'frame.number in {1..3}',
  'frame.time_relative > 1',
  'frame.interface_id == 1',
  'frame.encap_type == 7',
  'data.len > 10',
  'data.data contains 00:00:00:00',
];

/**
 * The filter is judged on the frames whose dissection agrees with tshark's (same frame.protocols):
 * where a dissector differs (IP reassembly, a protocol netlab does not dissect), a different verdict
 * says nothing about the filter. Frames whose tree differs in another way are listed here.
 */
const NETLAB_PROTOCOLS = new Set([
  'eth',
  'ethertype',
  'vlan',
  'ieee8021ad',
  'arp',
  'sll',
  'null',
  'raw',
  'ip',
  'ipv6',
  'icmp',
  'icmpv6',
  'tcp',
  'udp',
  'vxlan',
  'data',
]);

const DISSECTION_DIFFERS: Readonly<Record<string, string>> = {
  'malformed-snaplen1-incl-gt-snaplen-zeek.pcap:1':
    'an 8-byte frame: tshark lists eth in frame.protocols but adds no eth tree item (so `eth` is false); netlab adds the eth node',
};

describe.skipIf(!requireTool('tshark') || !requireTool('mergecap'))('display filter: same frames as tshark', () => {
  let merged = '';
  let ds: Dissection[] = [];
  let comparable: Dissection[] = [];
  let upperOnly: Dissection[] = [];
  beforeAll(async () => {
    const names = readdirSync(CAPTURES)
      .filter((f) => /\.pcap(ng)?$/.test(f) && !UNREADABLE.test(f))
      .sort();
    merged = join(mkdtempSync(join(tmpdir(), 'netlab-filter-')), 'all.pcapng');
    await run('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...names.map((f) => join(CAPTURES, f))]);
    ds = await dissectAll(merged);
    const skip = new Set<number>();
    let base = 0;
    for (const name of names) {
      const n = (await dissectAll(join(CAPTURES, name))).length;
      for (let k = 1; k <= n; k++) if (DISSECTION_DIFFERS[`${name}:${k}`] !== undefined) skip.add(base + k);
      base += n;
    }
    const { stdout } = await run('tshark', ['-r', merged, ...TSHARK_CHECKSUM_OPTS, '-T', 'fields', '-e', 'frame.protocols'], { maxBuffer: 1 << 24 });
    const theirs = stdout.split('\n');
    comparable = ds.filter((d, i) => !skip.has(d.packet.number) && fieldText(d, 'frame.protocols') === theirs[i]);
    // Frames where tshark goes on with a protocol netlab does not dissect (HTTP, DNS, TLS...) where
    // netlab has `data`: the same up to there, so judged on filters that do not look at `data`.
    upperOnly = ds.filter((d, i) => {
      const ours = fieldText(d, 'frame.protocols').split(':');
      const t = (theirs[i] ?? '').split(':');
      if (ours[ours.length - 1] === 'data') ours.pop();
      return (
        !skip.has(d.packet.number) && t.length > ours.length && ours.every((p, k) => t[k] === p) && !t.slice(ours.length).some((p) => NETLAB_PROTOCOLS.has(p))
      );
    });
  }, 120_000);

  it('judges most frames', () => {
    expect(comparable.length).toBeGreaterThan(200);
  });

  for (const filter of FILTERS) {
    it(filter, async () => {
      const { stdout } = await run('tshark', ['-r', merged, ...TSHARK_CHECKSUM_OPTS, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
        maxBuffer: 1 << 24,
      });
      const f = compileFilter(filter);
      const frames = f.fields.some((n) => n === 'data' || n.startsWith('data.'))
        ? comparable
        : [...comparable, ...upperOnly].sort((a, b) => a.packet.number - b.packet.number);
      const judged = new Set(frames.map((d) => d.packet.number));
      const theirs = stdout
        .split('\n')
        .filter((l) => l !== '')
        .map(Number)
        .filter((n) => judged.has(n));
      const ours = frames.filter((d) => f.matches(d)).map((d) => d.packet.number);
      expect(ours).toEqual(theirs);
    });
  }
});
