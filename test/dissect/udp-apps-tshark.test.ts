// IGMP, DHCP, NBNS and NTP beside tshark 4.0 on crafted datagrams (the shared captures hold DHCP DORA
// exchanges, NBNS queries and two NTP packets; these add NBNS responses, scoped names, a
// registration, DHCP options the shared captures lack, and an SNTP client's request with zero
// timestamps; IGMP queries and reports of each version). Every field netlab emits and every summary line must be tshark's.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS, verboseDiffs } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { cat, u16 } from './tls-capture.ts';
import { writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-udpapps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

/** A NetBIOS name, first-level encoded (RFC 1001 §14.1), with optional scope labels. */
function nbName(name: string, suffix: number, scope: string[] = []): Uint8Array {
  const raw = (name.toUpperCase().padEnd(15, ' ') + String.fromCharCode(suffix)).split('').map((c) => c.charCodeAt(0));
  const enc = raw.flatMap((c) => [0x41 + (c >> 4), 0x41 + (c & 0xf)]);
  const labels = scope.flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]);
  return Uint8Array.from([32, ...enc, ...labels, 0]);
}

function nbns(id: number, flags: number, q: Uint8Array[], rr: Uint8Array[], counts: [number, number, number, number]): Uint8Array {
  return cat(u16(id), u16(flags), ...counts.map(u16), ...q, ...rr);
}

function frame(src: string, dst: string, sport: number, dport: number, body: Uint8Array): Uint8Array {
  return encode([ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }), ipv4({ src, dst }), udp({ sport, dport }), payload(body)]);
}

function dhcp(op: number, xid: number, options: Uint8Array): Uint8Array {
  const head = new Uint8Array(236);
  head.set([op, 1, 6, 0], 0);
  head.set(u32(xid), 4);
  head.set(u16(0x8000), 10);
  head.set(ip('10.0.0.7'), 16);
  head.set([0x02, 0, 0, 0, 0, 0x42], 28);
  return cat(head, Uint8Array.of(0x63, 0x82, 0x53, 0x63), options, Uint8Array.of(255));
}

/** An NTP header: flags, stratum, poll 6, precision -20, delay, dispersion, refid, four timestamps. */
function ntp(flags: number, stratum: number, refid: number, times: number[]): Uint8Array {
  return cat(Uint8Array.of(flags, stratum, 6, 0xec), u32(0x0d0b), u32(0x0af6), u32(refid), ...times.map(u32));
}

/** An IGMP message over IPv4 with router alert, its checksum filled in. */
function igmp(dst: string, body: number[]): Uint8Array {
  const m = Uint8Array.from(body);
  let sum = 0;
  for (let i = 0; i < m.length; i += 2) sum += (m[i] << 8) | (m[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  m.set(u16(~sum & 0xffff), 2);
  return encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '01:00:5e:00:00:01' }),
    ipv4({ src: '10.0.0.1', dst, ttl: 1, protocol: 2, options: Uint8Array.of(0x94, 4, 0, 0) }),
    payload(m),
  ]);
}

function frames(): Uint8Array[] {
  const q = (name: string, sfx: number, scope: string[] = []): Uint8Array => cat(nbName(name, sfx, scope), u16(32), u16(1));
  const nb = (name: string, sfx: number, addr: string): Uint8Array => cat(nbName(name, sfx), u16(32), u16(1), u32(300000), u16(6), u16(0x6000), ip(addr));
  const igmps = [
    igmp('224.0.0.1', [0x11, 100, 0, 0, 0, 0, 0, 0]),
    igmp('239.1.2.3', [0x16, 0, 0, 0, 239, 1, 2, 3]),
    igmp('224.0.0.2', [0x17, 0, 0, 0, 239, 1, 2, 3]),
    igmp('239.1.2.3', [0x11, 10, 0, 0, 239, 1, 2, 3, 0x0a, 125, 0, 1, 10, 0, 0, 9]),
    igmp('224.0.0.22', [0x22, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 239, 1, 2, 3, 1, 0, 0, 1, 239, 1, 2, 4, 10, 0, 0, 9]),
  ];
  return [
    ...igmps,
    frame('10.0.0.1', '10.0.0.255', 137, 137, nbns(0x1234, 0x0110, [q('fileserver', 0x20)], [], [1, 0, 0, 0])),
    frame('10.0.0.9', '10.0.0.1', 137, 137, nbns(0x1234, 0x8500, [], [nb('fileserver', 0x20, '10.0.0.9')], [0, 1, 0, 0])),
    frame('10.0.0.1', '10.0.0.255', 137, 137, nbns(0x1235, 0x0110, [q('printer', 0x00, ['corp', 'example'])], [], [1, 0, 0, 0])),
    frame('10.0.0.1', '10.0.0.255', 137, 137, nbns(0x1236, 0x2910, [q('laptop', 0x00)], [nb('laptop', 0x00, '10.0.0.1')], [1, 0, 0, 1])),
    frame('10.0.0.2', '10.0.0.1', 137, 137, nbns(0x1237, 0x8583, [], [nb('nobody', 0x00, '0.0.0.0')], [0, 1, 0, 0])),
    frame(
      '0.0.0.0',
      '255.255.255.255',
      68,
      67,
      dhcp(1, 0xabcdef01, cat(Uint8Array.of(53, 1, 8, 12, 6), new TextEncoder().encode('laptop'), Uint8Array.of(55, 3, 1, 3, 6, 0, 0))),
    ),
    frame('10.0.0.1', '10.0.0.123', 40123, 123, ntp(0xe3, 0, 0, [0, 0, 0, 0, 0, 0, 3_900_000_000, 0x80000000])),
    frame(
      '10.0.0.123',
      '10.0.0.1',
      123,
      40123,
      ntp(0x24, 2, 0x4c4f434c, [3_899_999_000, 0x12345678, 3_900_000_000, 0x80000000, 3_900_000_000, 0x90000000, 3_900_000_000, 0x90001000]),
    ),
    frame(
      '10.0.0.1',
      '10.0.0.7',
      67,
      68,
      dhcp(2, 0xabcdef01, cat(Uint8Array.of(53, 1, 5, 58, 4), u32(1800), Uint8Array.of(59, 4), u32(3150), Uint8Array.of(28, 4), ip('10.0.0.255'))),
    ),
    // Max Resp Time codes from 128 up: IGMPv3 reads them as mantissa and exponent, IGMPv2 does not.
    igmp('224.0.0.1', [0x11, 0x8a, 0, 0, 0, 0, 0, 0]),
    igmp('224.0.0.1', [0x11, 0x8a, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0]),
    igmp('224.0.0.1', [0x11, 0xff, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0]),
  ];
}

describe('IGMP, DHCP, NBNS and NTP (netlab alone)', () => {
  it('decodes NetBIOS names and the DHCP message type', async () => {
    const path = join(dir, 'udp-apps.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[5], 'nbns.name')).toBe('FILESERVER<20>');
    expect(fieldText(ds[7], 'nbns.name')).toBe('PRINTER<00>.corp.example');
    expect(fieldText(ds[6], 'nbns.addr')).toBe('10.0.0.9');
    expect(fieldText(ds[4], 'igmp.maddr')).toBe('239.1.2.3,239.1.2.4');
    expect(summaryLine(ds[10])).toMatch(/ DHCP \d+ DHCP Inform {3}- Transaction ID 0xabcdef01$/);
  });
});

describe.skipIf(!requireTool('tshark'))('IGMP, DHCP, NBNS and NTP beside tshark', () => {
  it('every field, frame.protocols and every summary line', async () => {
    const path = join(dir, 'udp-apps-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'nbns.name',
        'nbns.addr',
        'nbns.ttl',
        'dhcp.option.hostname',
        'dhcp.option.renewal_time_value',
        'ntp.xmt',
        'ntp.refid',
        'igmp.type',
        'igmp.saddr',
        'frame.protocols',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = (await dissectAll(path)).map(summaryLine);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
  });

  it('the -V tree of every IGMP and DHCP frame, as tshark prints it', async () => {
    const path = join(dir, 'udp-apps-verbose.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    const judged = new Set(ds.flatMap((d, i) => (d.protos.some((p) => p.proto === 'igmp' || p.proto === 'dhcp') ? [i + 1] : [])));
    expect(judged.size).toBe(10);
    const diffs = (await verboseDiffs(path)).filter((x) => judged.has(x.frame));
    expect(diffs).toEqual([]);
  });
});
