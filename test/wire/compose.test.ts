// Scapy-style composition over the whole stack: encode([ethernet(), ipv4(), tcp(), payload()]) fills
// every length, protocol number and checksum left unset, decodes back to the same stack, and tshark
// agrees that every checksum is right (and wrong where one was set wrong on purpose).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload, type LayerSpec } from '../../src/wire/encode.ts';
import { ethernet, vlan } from '../../src/wire/ethernet.ts';
import { icmp } from '../../src/wire/icmp.ts';
import { icmpv6 } from '../../src/wire/icmpv6.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import { ipv6 } from '../../src/wire/ipv6.ts';
import { tcp } from '../../src/wire/tcp.ts';
import { udp } from '../../src/wire/udp.ts';
import { vxlan } from '../../src/wire/vxlan.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const eth = () => ethernet({ src: A, dst: B });
const v4 = (src = '10.1.0.1', dst = '10.1.0.2') => ipv4({ src, dst });
const v6 = () => ipv6({ src: '2001:db8::a', dst: '2001:db8::b' });

/** Each stack, what the decoder must find, and what tshark lists in frame.protocols. */
const STACKS: { name: string; layers: LayerSpec[]; kinds: string; tshark: string; bad?: string }[] = [
  {
    name: 'ethernet/ipv4/tcp/payload',
    layers: [
      eth(),
      v4(),
      tcp({ sport: 40000, dport: 9999, flags: 'PA', seq: 1, ack: 1, options: ['nop', 'nop', { timestamp: [1, 2] }] }),
      payload('hello over tcp'),
    ],
    kinds: 'ethernet:ipv4:tcp:data',
    tshark: 'eth:ethertype:ip:tcp:data',
  },
  {
    name: 'ethernet/ipv4 with options/udp',
    layers: [
      eth(),
      ipv4({ src: '10.1.0.1', dst: '10.1.0.2', options: [Uint8Array.of(0x94, 4, 0, 0)] }),
      udp({ sport: 5000, dport: 9999 }),
      payload('datagram'),
    ],
    kinds: 'ethernet:ipv4:udp:data',
    tshark: 'eth:ethertype:ip:udp:data',
  },
  {
    name: 'ethernet/vlan/ipv6/udp',
    layers: [eth(), vlan({ id: 42 }), v6(), udp({ sport: 5000, dport: 9999 }), payload('v6')],
    kinds: 'ethernet:vlan:ipv6:udp:data',
    tshark: 'eth:ethertype:vlan:ethertype:ipv6:udp:data',
  },
  {
    name: 'ethernet/ipv6/icmpv6 neighbour solicitation',
    layers: [
      eth(),
      ipv6({ src: 'fe80::a', dst: 'ff02::1:ff00:b', hopLimit: 255 }),
      icmpv6({ type: 135, target: 'fe80::b', ndOptions: [{ sourceLinkAddr: Uint8Array.of(2, 0, 0, 0, 0, 0x0a) }] }),
    ],
    kinds: 'ethernet:ipv6:icmpv6',
    tshark: 'eth:ethertype:ipv6:icmpv6',
  },
  {
    name: 'ethernet/ipv4/icmp port unreachable quoting ipv4/udp',
    layers: [eth(), v4('10.1.0.2', '10.1.0.1'), icmp({ type: 3, code: 3 }), v4(), udp({ sport: 5000, dport: 9999 }), payload('probe')],
    kinds: 'ethernet:ipv4:icmp:ipv4:udp:data',
    tshark: 'eth:ethertype:ip:icmp:ip:udp:data',
  },
  {
    name: 'vxlan tunnel carrying tcp',
    layers: [
      eth(),
      v4('127.0.0.1', '127.0.0.2'),
      udp({ sport: 40001, dport: 4789 }),
      vxlan({ vni: 7 }),
      ethernet({ src: '02:00:00:00:01:01', dst: '02:00:00:00:01:02' }),
      v4('192.168.7.1', '192.168.7.2'),
      tcp({ sport: 1234, dport: 9999, flags: 'S' }),
    ],
    kinds: 'ethernet:ipv4:udp:vxlan:ethernet:ipv4:tcp',
    tshark: 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp',
  },
  {
    name: 'a wrong tcp checksum, one argument away',
    layers: [eth(), v4(), tcp({ sport: 40002, dport: 9999, checksum: 0xdead }), payload('x')],
    kinds: 'ethernet:ipv4:tcp:data',
    tshark: 'eth:ethertype:ip:tcp:data',
    bad: 'tcp',
  },
];

describe('compose: encode fills the stack, decode finds it again', () => {
  for (const s of STACKS) {
    it(s.name, () => {
      const frame = encode(s.layers);
      const { layers, malformed } = decode(frame, 1);
      expect(malformed).toEqual([]);
      expect(layers.map((l) => l.kind).join(':')).toBe(s.kinds);
      for (const l of layers) {
        const status = (l.value as { checksumStatus?: string }).checksumStatus;
        if (status === undefined) continue;
        expect(`${l.kind}:${status}`).toBe(`${l.kind}:${l.kind === s.bad ? 'bad' : 'good'}`);
      }
    });
  }

  it('fills the IPv4 protocol and lengths from the layers inside', () => {
    const frame = encode([eth(), v4(), udp({ sport: 1, dport: 2 }), payload('abc')]);
    expect(frame[14 + 9]).toBe(17);
    expect((frame[16] << 8) | frame[17]).toBe(20 + 8 + 3);
    expect((frame[38] << 8) | frame[39]).toBe(8 + 3);
  });
});

describe.skipIf(!requireTool('tshark'))('compose: tshark agrees', () => {
  it('reads every composed frame with the same protocols and correct checksums', async () => {
    const path = join(dir, 'compose.pcap');
    const w = new PcapWriter({ linkType: 1 });
    STACKS.forEach((s, i) => w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: encode(s.layers) }));
    writeFileSync(path, w.toBytes());
    const { stdout } = await run(
      'tshark',
      [
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'tcp.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-r',
        path,
        '-T',
        'fields',
        '-E',
        'occurrence=a',
        '-E',
        'aggregator=,',
        '-e',
        'frame.protocols',
        '-e',
        'ip.checksum.status',
        '-e',
        'tcp.checksum.status',
        '-e',
        'udp.checksum.status',
        '-e',
        'icmp.checksum.status',
        '-e',
        'icmpv6.checksum.status',
      ],
      { maxBuffer: 1 << 24 },
    );
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(STACKS.length);
    rows.forEach((r, i) => {
      const s = STACKS[i];
      expect(r[0]).toBe(s.tshark);
      const statuses = r
        .slice(1)
        .join(',')
        .split(',')
        .filter((x) => x !== '');
      // Inside an ICMP error the quoted datagram's checksums are not verified (2): skip those.
      const expected = s.bad === undefined ? statuses.map((x) => (x === '2' ? '2' : '1')) : statuses;
      expect(statuses).toEqual(expected);
      if (s.bad === 'tcp') expect(r[2]).toBe('0');
    });
  });
});
