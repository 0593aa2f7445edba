// ICMP extensions (RFC 4884 multi-part structure, RFC 4950 MPLS label stack objects) on time-exceeded
// and unreachable messages beside tshark 4.0: with and without the RFC 4884 length, checksum good,
// bad and absent, several label stack entries, a label stack object with bytes left over, and an
// object of a class Wireshark does not decode. Every field (icmp.ext.*, icmp.mpls.*) and summary line
// must be tshark's, and the extension part of the -V tree must match line for line.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { encode, ethernet, icmp, ipv4, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { cat, u16, writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-icmpext-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sum16(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** One MPLS label stack entry: label (20 bits), traffic class (3), bottom-of-stack (1), TTL (8). */
const entry = (label: number, exp: number, s: boolean, ttl: number): Uint8Array =>
  Uint8Array.of((label >>> 12) & 0xff, (label >>> 4) & 0xff, ((label & 0xf) << 4) | (exp << 1) | (s ? 1 : 0), ttl);

const object = (cls: number, ctype: number, data: Uint8Array): Uint8Array => cat(u16(4 + data.length), Uint8Array.of(cls, ctype), data);

/** An extension structure, version 2, its checksum computed (or given: 0 for "not present"). */
function extension(objects: Uint8Array[], checksum?: number): Uint8Array {
  const s = cat(Uint8Array.of(0x20, 0), u16(0), ...objects);
  const c = checksum ?? sum16(s);
  s[2] = c >> 8;
  s[3] = c & 0xff;
  return s;
}

/** The datagram that provoked the error: IPv4 + UDP to a traceroute port, `n` payload bytes. */
const quoted = (n: number): Uint8Array =>
  encode([ipv4({ src: '10.9.0.1', dst: '198.51.100.7', ttl: 64 }), udp({ sport: 33434, dport: 33435 }), payload(new Uint8Array(n).fill(0x40))]);

function pad(b: Uint8Array, to: number): Uint8Array {
  const out = new Uint8Array(to);
  out.set(b.subarray(0, to));
  return out;
}

const err = (type: number, code: number, body: Uint8Array, length?: number): Uint8Array =>
  encode([
    ethernet({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:01' }),
    ipv4({ src: '10.9.0.254', dst: '10.9.0.1' }),
    icmp({ type, code, ...(length === undefined ? {} : { length }) }),
    payload(body),
  ]);

function frames(): Uint8Array[] {
  const two = object(1, 1, cat(entry(22, 0, false, 1), entry(16, 5, true, 254)));
  const bad = extension([object(1, 1, entry(1048575, 7, true, 0))]);
  bad[3] ^= 0x11;
  return [
    // Time exceeded, no RFC 4884 length: the structure follows 128 bytes of quoted datagram.
    err(11, 0, cat(pad(quoted(40), 128), extension([two]))),
    // Unreachable (port) with the length in words (32: 128 bytes), no checksum.
    err(3, 3, cat(pad(quoted(36), 128), extension([object(1, 1, entry(3000, 1, true, 63))], 0)), 32),
    // A bad checksum and the largest label.
    err(11, 0, cat(pad(quoted(20), 128), bad)),
    // A label stack object with two bytes past its one entry, then an object of an unknown class.
    err(
      11,
      1,
      cat(pad(quoted(20), 128), extension([object(1, 1, cat(entry(100, 0, true, 9), Uint8Array.of(0xab, 0xcd))), object(200, 7, Uint8Array.of(1, 2, 3, 4))])),
    ),
    // Time exceeded with the length field and a longer quoted datagram cut at 128 bytes: Wireshark
    // (and netlab) look for a structure only when the quoted datagram is at most 128 bytes long.
    err(11, 0, cat(pad(quoted(200), 128), extension([object(1, 1, entry(7, 0, true, 1))])), 32),
  ];
}

describe('ICMP extensions (netlab alone)', () => {
  it('finds the structure and its label stack entries', async () => {
    const path = join(dir, 'icmpext.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'icmp.mpls.label')).toBe('22,16');
    expect(fieldText(ds[0], 'icmp.mpls.exp')).toBe('0,5');
    expect(fieldText(ds[0], 'icmp.ext.checksum.status')).toBe('1');
    expect(fieldText(ds[1], 'icmp.ext.checksum.status')).toBe('3');
    expect(fieldText(ds[2], 'icmp.ext.checksum.status')).toBe('0');
    expect(fieldText(ds[2], 'icmp.mpls.label')).toBe('1048575');
    expect(fieldText(ds[3], 'icmp.mpls.data')).toBe('abcd');
    expect(fieldText(ds[3], 'icmp.ext.class')).toBe('1,200');
  });
});

describe.skipIf(!requireTool('tshark'))('ICMP extensions beside tshark', () => {
  it('every field, frame.protocols, the summary lines and the extension tree', async () => {
    const path = join(dir, 'icmpext-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'icmp.ext.version',
        'icmp.ext.res',
        'icmp.ext.checksum',
        'icmp.ext.checksum.status',
        'icmp.ext.length',
        'icmp.ext.class',
        'icmp.ext.ctype',
        'icmp.ext.data',
        'icmp.mpls.label',
        'icmp.mpls.exp',
        'icmp.mpls.s',
        'icmp.mpls.ttl',
        'icmp.mpls.data',
      ]),
    );
    // Expert infos: netlab lists the extension's bad-checksum warning before the quoted UDP's
    // traceroute note (the extension's fields belong to the ICMP node, shown before the quoted
    // datagram); tshark lists them in tree order, the quoted datagram first. Same items, other order.
    const sorted = (t: string): string => t.split(',').sort().join(',');
    const diverge = result.filter((a) => a.agree !== a.frames);
    expect(diverge.filter((a) => !a.field.startsWith('_ws.expert.')).map((a) => `${a.field} ${JSON.stringify(a.examples)}`)).toEqual([]);
    for (const a of diverge) for (const e of a.examples) expect(`${a.field} #${e.frame} ${sorted(e.ours)}`).toBe(`${a.field} #${e.frame} ${sorted(e.tshark)}`);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ds = await dissectAll(path);
    expect(ds.map(summaryLine).map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`))).toEqual(ds.map(() => ''));
    const tree = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V']);
    const extOnly = (lines: string[]): string[] => {
      const start = lines.findIndex((l) => l.startsWith('    ICMP Multi-Part Extensions'));
      const end = lines.findIndex((l, i) => i > start && !l.startsWith('     '));
      return lines.slice(start, end < 0 ? undefined : end);
    };
    const theirTrees = tree.stdout.split(/\n(?=Frame \d+:)/).map((t) => extOnly(t.split('\n')));
    // The last frame quotes a datagram longer than 128 bytes: neither tool looks for a structure there.
    expect(theirTrees.map((t) => t.length > 4)).toEqual([true, true, true, true, false]);
    expect(ds.map((d) => extOnly(treeLines(d)))).toEqual(theirTrees);
    // The ICMP tree's items in order: the extension after the quoted datagram's protocols, as tshark
    // adds it. (tshark shows the quoted UDP payload's Data at the top level after ICMP, netlab inside
    // the ICMP tree: left out here.)
    const items = (lines: string[]): string[] => lines.filter((l) => /^ {4}(Internet Protocol|User Datagram|ICMP Multi-Part)/.test(l));
    const theirItems = tree.stdout.split(/\n(?=Frame \d+:)/).map((t) => items(t.split('\n')));
    expect(ds.map((d) => items(treeLines(d)))).toEqual(theirItems);
  });
});
