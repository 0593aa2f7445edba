// GRE (RFC 2784/2890, RFC 1701's routing) and PPTP's enhanced GRE beside tshark 4.0: the shared
// PPTP capture's GRE frame and crafted ones (checksum good and bad, key, sequence, routing SREs,
// acknowledgment-only enhanced GRE, over IPv6, a truncated header) must show every gre.* field as
// tshark does; where the payload's protocol type is one Wireshark does not know, the whole frame
// (data, summary line, -V tree of the GRE layer) agrees too.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { encode, ethernet, ipv4, ipv6, payload } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { cat, u16, writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-gre-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shared = join(import.meta.dirname, '..', 'captures', 'pcap-be-pptp-gre-tcpdump.pcap');

const u32 = (n: number): Uint8Array => cat(u16(n >>> 16), u16(n & 0xffff));
const body = new TextEncoder().encode('inner bytes of an unknown protocol');

/** The one's-complement sum of a GRE packet, to fill in its checksum. */
function withChecksum(p: Uint8Array): Uint8Array {
  let s = 0;
  for (let i = 0; i < p.length; i += 2) s += (p[i] << 8) | (p[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const out = p.slice();
  out[4] = (~s >> 8) & 0xff;
  out[5] = ~s & 0xff;
  return out;
}

const v4 = (gre: Uint8Array): Uint8Array =>
  encode([ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }), ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47 }), payload(gre)]);
const v6 = (gre: Uint8Array): Uint8Array =>
  encode([ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }), ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 47 }), payload(gre)]);

function frames(): Uint8Array[] {
  const csum = withChecksum(cat(u16(0xb000), u16(0x1234), u16(0), u16(0), u32(0xfeedf00d), u32(77), body));
  const badSum = csum.slice();
  badSum[5] ^= 0x55;
  const routing = cat(
    u16(0x4000),
    u16(0x4321),
    u16(0),
    u16(0),
    u16(0x0800),
    Uint8Array.of(0, 8),
    u32(0x0a000001),
    u32(0x0a000002),
    u16(0),
    Uint8Array.of(0, 0),
    body,
  );
  return [
    v4(cat(u16(0x0000), u16(0x1234), body)),
    v4(csum),
    v4(badSum),
    v4(cat(u16(0x2000), u16(0x1234), u32(42), body)),
    v4(routing),
    v4(cat(u16(0x2081), u16(0x880b), u16(0), u16(7), u32(9))), // enhanced GRE, acknowledgment only
    v4(cat(u16(0x3081), u16(0x880b), u16(0), u16(7), u32(10), u32(9))),
    v6(cat(u16(0x1000), u16(0x1234), u32(5), body)),
    v4(cat(u16(0x3000), u16(0x1234), u32(1))), // sequence number announced but missing
  ];
}

describe('GRE (netlab alone)', () => {
  it('names the fields, verifies the checksum and reports a truncated header', async () => {
    const path = join(dir, 'gre.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:ethertype:ip:gre:data');
    expect(fieldText(ds[1], 'gre.checksum.status')).toBe('1');
    expect(fieldText(ds[2], 'gre.checksum.status')).toBe('0');
    expect(fieldText(ds[1], 'gre.key')).toBe('0xfeedf00d');
    expect(fieldText(ds[5], 'gre.ack_number')).toBe('9');
    expect(fieldText(ds[5], 'gre.sequence_number')).toBe('');
    expect(fieldText(ds[4], 'gre.routing.src_length')).toBe('8,0');
    expect(fieldText(ds[4], 'gre.routing.address_family')).toBe('2048,0');
    expect(ds[8].protos.find((p) => p.proto === 'gre')?.malformed[0]?.reason).toMatch(/GRE sequence number truncated/);
    expect(summaryLine(ds[0])).toMatch(/ GRE \d+ Encapsulated 0x1234 \(unknown\)$/);
  });
});

describe.skipIf(!requireTool('tshark'))('GRE beside tshark', () => {
  it('every gre.*, ppp.* and lcp.* field of the shared PPTP capture, its summary line and PPP/LCP tree', async () => {
    const result = (await compareCapture(shared)).filter((a) => /^(gre|ppp|lcp)\./.test(a.field));
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'gre.flags.ack',
        'gre.key.call_id',
        'gre.key.payload_length',
        'gre.sequence_number',
        'gre.proto',
        'ppp.protocol',
        'ppp.identifier',
        'lcp.opt.magic_number',
        'lcp.opt.operation',
        'lcp.opt.mrru',
        'lcp.opt.ep_disc_class',
        'lcp.opt.data',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(shared);
    const gre = ds.findIndex((d) => d.protos.some((p) => p.proto === 'gre'));
    const { stdout } = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'gre', '-T', 'fields', '-e', 'frame.protocols']);
    expect(fieldText(ds[gre], 'frame.protocols')).toBe(stdout.trim());
    const line = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'gre']);
    expect(summaryLine(ds[gre]).trimEnd()).toBe(line.stdout.trimEnd());
    const tree = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'gre', '-V']);
    const fromPpp = (lines: string[]): string[] => lines.slice(lines.indexOf('Point-to-Point Protocol')).filter((l) => l !== '');
    expect(fromPpp(treeLines(ds[gre]))).toEqual(fromPpp(tree.stdout.split('\n')));
  });

  it('every field, frame.protocols, the summary lines and the GRE tree of crafted frames', async () => {
    const path = join(dir, 'gre-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining(['gre.checksum', 'gre.checksum.status', 'gre.offset', 'gre.key', 'gre.ack_number', 'gre.routing.information', 'data.data']),
    );
    // Frame 7: enhanced GRE with a sequence number and no payload; tshark calls PPP on nothing, and
    // netlab does not dissect PPP. Frames 7 and 9 are malformed in both; tshark adds its "Exception
    // occurred" expert info, which netlab does not emit. Every other field of every frame agrees.
    const diverge = result.filter((a) => a.agree !== a.frames);
    expect(diverge.map((a) => `${a.field} ${a.examples.map((e) => e.frame).join(',')}`)).toEqual([
      '_ws.expert.group 7,9',
      '_ws.expert.message 7,9',
      '_ws.expert.severity 7,9',
      'frame.protocols 7',
    ]);
    expect(diverge[3].examples[0]).toEqual({ frame: 7, ours: 'eth:ethertype:ip:gre', tshark: 'eth:ethertype:ip:gre:ppp' });
    expect(diverge[1].examples[1]).toEqual({ frame: 9, ours: '', tshark: 'Malformed Packet (Exception occurred)' });
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ds = await dissectAll(path);
    const ours = ds.map(summaryLine);
    // Frame 7 (index 6) carries PPP, which netlab does not dissect; tshark marks frame 9 [Malformed Packet].
    const skip = new Set([6, 8]);
    expect(ours.map((l, i) => (skip.has(i) || l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
    const tree = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V']);
    const greOnly = (lines: string[]): string[] => {
      const start = lines.findIndex((l) => l.startsWith('Generic Routing Encapsulation'));
      // tshark nests the payload's Data tree inside GRE's; netlab shows it after: compared up to it.
      const end = lines.findIndex((l, i) => i > start && (!l.startsWith(' ') || l.startsWith('    Data (')));
      return lines.slice(start, end < 0 ? undefined : end);
    };
    const theirTrees = tree.stdout.split(/\n(?=Frame \d+:)/).map((t) => greOnly(t.split('\n')));
    expect(ds.map((d, i) => (i === 6 || i === 8 ? [] : greOnly(treeLines(d))))).toEqual(theirTrees.map((t, i) => (i === 6 || i === 8 ? [] : t)));
  });
});
