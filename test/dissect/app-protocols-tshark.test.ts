// The application dissectors added for issue 19 (LDAP with GSS-API/SPNEGO/Kerberos, PPTP, SSH, BJNP,
// OSPFv3, db-lsp-disc with JSON, gQUIC) beside tshark 4.0: on the repository's captures every field netlab
// emits, frame.protocols, every summary line and the whole -V text must be tshark's; a crafted LDAP
// conversation checks the filters, controls and operations the captures do not hold, with messages
// split over segments and several in one segment.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { jsonNode } from '../../src/dissect/protocols/json.ts';
import { ldapPduLength } from '../../src/dissect/protocols/ldap.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { encode, ethernet, ipv4, ipv6, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS, verboseDiffs } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeLdapCapture } from './ldap-capture.ts';
import { writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const captures = join(import.meta.dirname, '..', 'captures');
const dir = mkdtempSync(join(tmpdir(), 'netlab-app-protocols-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('application dissectors (netlab alone)', () => {
  it('reads an LDAP message length from its BER header, short and long forms', () => {
    expect(ldapPduLength(Uint8Array.of(0x30))).toBe(0);
    expect(ldapPduLength(Uint8Array.of(0x30, 0x05))).toBe(7);
    expect(ldapPduLength(Uint8Array.of(0x30, 0x84, 0, 0, 5))).toBe(0);
    expect(ldapPduLength(Uint8Array.of(0x30, 0x84, 0, 0, 5, 0x42))).toBe(6 + 0x542);
    expect(ldapPduLength(Uint8Array.of(0x17, 0x03, 0x03))).toBe(3);
  });

  it('reports bad JSON as a malformation instead of throwing', () => {
    const b = text('{"a": [1, 2,, 3]}');
    const node = jsonNode(b, 0, b.length);
    expect(node.malformed[0]?.reason).toMatch(/value was expected/);
    expect(node.malformed[0]?.offset).toBe(12);
  });

  it('gives a BJNP port datagram that does not start printable to data', async () => {
    const path = join(dir, 'bjnp.pcapng');
    const dgram = (body: Uint8Array): Uint8Array =>
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }),
        ipv4({ src: '10.0.0.5', dst: '10.0.0.255' }),
        udp({ sport: 50000, dport: 8612 }),
        payload(body),
      ]);
    await writeFrames(path, [dgram(Uint8Array.of(0x01, 0x02, 0x03)), dgram(text('BJNP\x01\x30\0\0\0\x07\0\x01\0\0\0\x02hi'))]);
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:ethertype:ip:udp:data');
    expect(fieldText(ds[1], 'bjnp.payload')).toBe('6869');
    expect(summaryLine(ds[1])).toMatch(/ BJNP \d+ Printer Command: Get Printer Identity\s*$/);
  });
});

/** Every field of the given protocols (and frame.protocols) on every frame; the differences. */
async function disagreements(path: string, protos: readonly string[]): Promise<string[]> {
  const all = await compareCapture(path);
  const ours = all.filter((a) => a.field === 'frame.protocols' || protos.some((p) => a.field === p || a.field.startsWith(`${p}.`)));
  expect(ours.length).toBeGreaterThan(protos.length);
  return ours.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`);
}

async function summaryDiffs(path: string): Promise<string[]> {
  const ds = await dissectAll(path);
  const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
  const theirs = stdout.split('\n').filter((l) => l !== '');
  return ds.map((d, i) => (summaryLine(d).trimEnd() === theirs[i]?.trimEnd() ? '' : `${summaryLine(d)} | ${theirs[i]}`)).filter((x) => x !== '');
}

describe.skipIf(!requireTool('tshark'))('application dissectors beside tshark', () => {
  const cases: [file: string, protos: string[]][] = [
    ['pcapng-eth-sll-interfaces-ldap-pcapplusplus.pcapng', ['ldap', 'gss-api', 'spnego', 'kerberos', 'ber', 'tcp.pdu']],
    ['pcap-be-pptp-gre-tcpdump.pcap', ['pptp']],
    ['pcap-nsec-http-to-ssh-zeek.pcap', ['ssh']],
    ['null-loopback-pcapplusplus.pcap', ['bjnp']],
    ['ipv6-ext-headers-pcapplusplus.pcapng', ['ospf']],
  ];
  for (const [file, protos] of cases) {
    it(`${file}: fields, frame.protocols, summary lines and -V`, async () => {
      const path = join(captures, file);
      expect(await disagreements(path, protos)).toEqual([]);
      expect(await summaryDiffs(path)).toEqual([]);
      expect(await verboseDiffs(path)).toEqual([]);
    });
  }

  it('db-lsp-disc with its JSON, gQUIC and data on UDP 443: fields, frame.protocols, summary lines and -V', async () => {
    const path = join(captures, 'pcapng-multi-interface-pcapplusplus.pcapng');
    const all = await compareCapture(path);
    expect(all.map((a) => a.field)).toEqual(
      expect.arrayContaining(['json.value.number', 'json.value.string', 'json.key', 'json.path', 'gquic.cid', 'gquic.payload', 'data.data']),
    );
    expect(all.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(path);
    expect(ds.slice(0, 4).map((d) => fieldText(d, 'frame.protocols'))).toEqual([
      'eth:ethertype:ip:udp:db-lsp-disc:json',
      'eth:ethertype:ip:udp:db-lsp-disc:json',
      'null:ip:udp:db-lsp-disc:json',
      'null:ip:udp:db-lsp-disc:json',
    ]);
    expect(await summaryDiffs(path)).toEqual([]);
    // Known: the Client Hello's STREAM frame and tags (frames 51 and 57) are not dissected; frames 27
    // and 56 are TLS cipher suite names outside these dissectors.
    const v = await verboseDiffs(path);
    expect(v.filter((d) => ![27, 56].includes(d.frame))).toEqual([
      { frame: 51, line: 77, ours: undefined, tshark: '    STREAM (Special Frame Type) Stream ID: 1, Type: CHLO (Client Hello)' },
      { frame: 57, line: 77, ours: undefined, tshark: '    STREAM (Special Frame Type) Stream ID: 1, Type: CHLO (Client Hello)' },
    ]);
  });

  it('a data node over a reassembled IP datagram dumps the datagram bytes in -V, as tshark does', async () => {
    for (const file of ['ipv4-fragments-udp-pcapplusplus.pcap', 'ipv6-fragments-udp-pcapplusplus.pcap'])
      expect(await verboseDiffs(join(captures, file))).toEqual([]);
  });

  it('NTP -V: stratum, poll, precision, root delay and dispersion, reference IDs of primary and secondary servers', async () => {
    const path = join(dir, 'ntp.pcapng');
    const ids = ['GPS\0', 'LOCL', 'DCF\0', 'XFAC', '\0\0\0\0', 'JJY\0'];
    const frames: Uint8Array[] = [];
    const values: [stratum: number, poll: number, precision: number][] = [
      [0, 0, 0],
      [1, 3, 1],
      [2, 4, 0x7f],
      [15, 5, 0x80],
      [16, 17, 0xff],
      [17, 18, 0xec],
      [255, 128, 6],
    ];
    values.forEach(([stratum, poll, precision], i) => {
      for (const id of i < 2 ? ids : ['\x0a\x01\x02\x03']) {
        const b = new Uint8Array(48);
        b.set([0x23, stratum, poll, precision, 0, 1, 0x80, 0, 0, 0, 0, 71], 0);
        b.set(text(id), 12);
        frames.push(
          encode([
            ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
            ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
            udp({ sport: 123, dport: 123 }),
            payload(b),
          ]),
        );
      }
    });
    const v6 = new Uint8Array(48);
    v6.set([0x24, 3, 6, 0xe9], 0);
    v6.set([0xde, 0xad, 0xbe, 0xef], 12);
    frames.push(
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: 0x86dd }),
        ipv6({ src: 'fe80::1', dst: 'fe80::2' }),
        udp({ sport: 123, dport: 123 }),
        payload(v6),
      ]),
    );
    await writeFrames(path, frames);
    expect(await disagreements(path, ['ntp'])).toEqual([]);
    expect(await verboseDiffs(path)).toEqual([]);
  });

  it('a crafted LDAP conversation: filters, controls, reassembly and several messages per segment', async () => {
    const path = join(dir, 'ldap.pcapng');
    await writeLdapCapture(path);
    expect(await disagreements(path, ['ldap', 'tcp.pdu'])).toEqual([]);
    expect(await summaryDiffs(path)).toEqual([]);
    // Known: on the segment that completes a PDU and holds more, the TCP reassembly hook lists
    // `TCP segment data` after all the `[PDU Size]` items; tshark puts it after the completed PDU's.
    expect(await verboseDiffs(path)).toEqual([{ frame: 12, line: 88, ours: '    [PDU Size: 49]', tshark: '    TCP segment data (9 bytes)' }]);
    const ds = await dissectAll(path);
    expect(ds.map((d) => fieldText(d, 'ldap.filter')).filter((f) => f !== '')).toEqual(['0']);
    // The completed PDU and the whole ones after it are two calls of the dissector: ldap is listed twice.
    expect(fieldText(ds[11], 'frame.protocols')).toBe('eth:ethertype:ip:tcp:ldap:ldap');
    expect(summaryLine(ds[11])).toContain('searchResDone(2) success '.concat(' [2 results]'));
  });
});
