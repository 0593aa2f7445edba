// tshark reads the PROXY protocol headers netlab writes (its heuristic `proxy` dissector on TCP) and
// finds the same version, command, family, addresses, ports, length and TLV types netlab's parser
// does. One divergence is recorded, not hidden: tshark 4.0 parses the sub-TLVs of an SSL TLV up to the
// end of the whole header instead of the SSL TLV's own length, so TLVs after an SSL TLV are shown
// inside it and the rest are lost; the headers compared here put the SSL TLV last, and a separate
// check shows the divergence on one that does not.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, type ProxyHeader, proxyTlv } from '../../src/wire/proxy-protocol.ts';
import { tcp } from '../../src/wire/tcp.ts';
import { requireTool } from '../helpers/tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-l4-pp-'));
afterAll(() => {
  if (process.env.KEEP !== '1') rmSync(dir, { recursive: true, force: true });
});

const HEADERS: Uint8Array[] = [
  encodeProxyV1({ family: 'tcp4', source: '192.0.2.1', destination: '198.51.100.2', sourcePort: 51234, destinationPort: 443 }),
  encodeProxyV1({ family: 'tcp6', source: '2001:db8::7', destination: '2001:db8::8', sourcePort: 1, destinationPort: 65535 }),
  encodeProxyV2({
    family: 'tcp4',
    source: '192.0.2.1',
    destination: '198.51.100.2',
    sourcePort: 51234,
    destinationPort: 443,
    tlvs: [
      proxyTlv.alpn('h2'),
      proxyTlv.authority('a.test'),
      proxyTlv.uniqueId('u1'),
      proxyTlv.netns('ns'),
      proxyTlv.ssl({ version: 'TLSv1.3', cn: 'client-1' }),
    ],
  }),
  encodeProxyV2({
    family: 'tcp4',
    source: '10.0.0.1',
    destination: '10.0.0.2',
    sourcePort: 5353,
    destinationPort: 53,
    tlvs: [proxyTlv.authority('dns.test')],
    crc32c: true,
  }),
  encodeProxyV2({ family: 'udp4', source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 5353, destinationPort: 53 }),
  encodeProxyV2({ family: 'tcp6', source: '2001:db8::1', destination: '::1', sourcePort: 1, destinationPort: 2 }),
  encodeProxyV2({ family: 'unspec', command: 'local' }),
];

function capture(headers: readonly Uint8Array[], name: string): string {
  const w = new PcapWriter({ linkType: 1 });
  for (const [i, h] of headers.entries()) {
    const frame = encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '127.0.0.1', dst: '127.0.0.2' }),
      tcp({ sport: 40_000 + i, dport: 4000, flags: 'PA', seq: 1, ack: 1 }),
      payload(h),
    ]);
    w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: frame });
  }
  const path = join(dir, name);
  writeFileSync(path, w.toBytes());
  return path;
}

const FIELDS = [
  'proxy.v1.proto',
  'proxy.v2.version',
  'proxy.v2.cmd',
  'proxy.v2.addr_family_protocol',
  'proxy.src.ipv4',
  'proxy.dst.ipv4',
  'proxy.src.ipv6',
  'proxy.dst.ipv6',
  'proxy.srcport',
  'proxy.dstport',
  'proxy.v2.length',
  'proxy.v2.tlv.type',
  'proxy.v2.tlv.ssl.version',
  '_ws.malformed',
];

function tsharkRows(path: string): Record<string, string>[] {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [FIELDS[i], v])));
}

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** What tshark should print for each field, from netlab's parse. */
function expected(h: ProxyHeader): Record<string, string> {
  const six = h.family === 'tcp6' || h.family === 'udp6';
  const fam = { unspec: 0, tcp4: 0x11, udp4: 0x12, tcp6: 0x21, udp6: 0x22, 'unix-stream': 0x31, 'unix-dgram': 0x32 }[h.family];
  // Top-level types, then the SSL TLV's first sub-TLV (all tshark 4.0 shows reliably).
  // tshark 4.0 shows no TLV item for CRC32C (nor for NOOP), so it is left out of the comparison (netlab verifies it).
  const top = h.tlvs.filter((t) => t.type !== 0x03).flatMap((t) => [t.type, ...(t.ssl?.tlvs.slice(0, 1).map((s) => s.type) ?? [])]);
  const ssl = h.tlvs.find((t) => t.ssl !== undefined)?.ssl?.tlvs;
  return {
    'proxy.v1.proto': h.version === 1 ? (h.family === 'tcp4' ? 'TCP4' : h.family === 'tcp6' ? 'TCP6' : 'UNKNOWN') : '',
    'proxy.v2.version': h.version === 2 ? '2' : '',
    'proxy.v2.cmd': h.version === 2 ? (h.command === 'proxy' ? '1' : '0') : '',
    'proxy.v2.addr_family_protocol': h.version === 2 ? hex2(fam) : '',
    'proxy.src.ipv4': !six && h.source !== undefined ? h.source : '',
    'proxy.dst.ipv4': !six && h.destination !== undefined ? h.destination : '',
    'proxy.src.ipv6': six && h.source !== undefined ? h.source : '',
    'proxy.dst.ipv6': six && h.destination !== undefined ? h.destination : '',
    'proxy.srcport': h.sourcePort === undefined ? '' : String(h.sourcePort),
    'proxy.dstport': h.destinationPort === undefined ? '' : String(h.destinationPort),
    'proxy.v2.length': h.v2Length === undefined ? '' : String(h.v2Length),
    'proxy.v2.tlv.type': top.map(hex2).join(','),
    'proxy.v2.tlv.ssl.version': ssl?.[0]?.type === 0x21 ? (ssl[0].text ?? '') : '',
    '_ws.malformed': '',
  };
}

describe.skipIf(!requireTool('tshark'))('tshark decodes the PROXY headers netlab writes', () => {
  it('agrees field by field on v1 and v2 headers (every family, LOCAL, TLVs, CRC32C)', () => {
    const rows = tsharkRows(capture(HEADERS, 'pp.pcap'));
    expect(rows).toHaveLength(HEADERS.length);
    let agree = 0;
    HEADERS.forEach((b, i) => {
      const v = parseProxyHeader(b);
      if (v.status !== 'ok') throw new Error(`netlab could not parse its own header ${i}`);
      const want = expected(v.header);
      const got = { ...rows[i] };
      // tshark 4.0 may list further SSL sub-TLVs after the first; compare the reliable prefix.
      got['proxy.v2.tlv.type'] = got['proxy.v2.tlv.type']
        .split(',')
        .slice(0, want['proxy.v2.tlv.type'] === '' ? 0 : want['proxy.v2.tlv.type'].split(',').length)
        .join(',');
      expect(got, `frame ${i + 1}`).toEqual(want);
      agree += Object.keys(want).length;
    });
    console.log(`PROXY protocol: ${agree}/${agree} field-frames agree with tshark over ${HEADERS.length} headers`);
  });

  it('tshark 4.0 reads TLVs after an SSL TLV as SSL sub-TLVs (the recorded divergence)', () => {
    const b = encodeProxyV2({
      family: 'tcp4',
      source: '1.2.3.4',
      destination: '5.6.7.8',
      sourcePort: 1,
      destinationPort: 2,
      tlvs: [proxyTlv.ssl({ cn: 'c' }), proxyTlv.netns('blue')],
    });
    const v = parseProxyHeader(b);
    expect(v.status === 'ok' && v.header.tlvs.map((t) => t.type)).toEqual([0x20, 0x30]);
    const row = tsharkRows(capture([b], 'pp-ssl.pcap'))[0];
    // netlab: SSL (with CN), then NETNS at the top level.
    console.log(
      `SSL then NETNS: netlab reads 0x20(0x22),0x30; tshark ${execFileSync('tshark', ['-v'], { encoding: 'utf8' }).split('\n')[0]} shows ${row['proxy.v2.tlv.type'] || 'none'}`,
    );
    expect(row['proxy.v2.tlv.type'].startsWith('0x20')).toBe(true);
  });
});
