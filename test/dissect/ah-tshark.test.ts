// The IPsec Authentication Header (RFC 4302) beside tshark 4.0: the shared IPv6 capture's AH headers
// (inside the IPv6 tree, after routing/options headers) and crafted ones over IPv4 and IPv6 whose
// protected packet is UDP (handed on to UDP and its payload), plus a truncated header (reported as
// malformed, not thrown). Every ah.* field and the protocol stack agree with tshark.

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
import { capturePath } from '../helpers/captures.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS, verboseDiffs } from '../interop/agreement.ts';
import { cat, u16, writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-ah-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shared = capturePath('ipv6-ext-headers-pcapplusplus.pcapng');

const u32 = (n: number): Uint8Array => cat(u16(n >>> 16), u16(n & 0xffff));
/** An AH header: next header, SPI, sequence and a 12-byte ICV (Payload Len 4). */
const ah = (next: number, spi: number, seq: number): Uint8Array =>
  cat(
    Uint8Array.of(next, 4, 0, 0),
    u32(spi),
    u32(seq),
    Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i),
  );
/** A UDP datagram 40000 -> 40001 with no checksum (zero), so no pseudo-header is needed. */
const udp = cat(u16(40000), u16(40001), u16(8 + 5), u16(0), new TextEncoder().encode('hello'));
const eth = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });

function frames(): Uint8Array[] {
  return [
    encode([eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 51 }), payload(cat(ah(17, 0x1234, 7), udp))]),
    encode([eth, ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 51 }), payload(cat(ah(17, 0xdeadbeef, 1), udp))]),
    encode([eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 51 }), payload(ah(17, 0x1234, 8).subarray(0, 10))]),
  ];
}

describe('AH (netlab alone)', () => {
  it('names the fields, hands the payload on and reports a truncated header', async () => {
    const path = join(dir, 'ah.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:ethertype:ip:ah:udp:data');
    expect(fieldText(ds[1], 'frame.protocols')).toBe('eth:ethertype:ipv6:ah:udp:data');
    expect(fieldText(ds[0], 'ah.spi')).toBe('0x00001234');
    expect(fieldText(ds[1], 'ah.sequence')).toBe('1');
    expect(fieldText(ds[1], 'ah.icv')).toBe('a0a1a2a3a4a5a6a7a8a9aaab');
    expect(fieldText(ds[0], 'udp.dstport')).toBe('40001');
    expect(ds[2].protos.find((p) => p.proto === 'ah')?.malformed[0]?.reason).toMatch(/Authentication Header truncated: 10 of 24 bytes/);
  });
});

describe.skipIf(!requireTool('tshark'))('AH beside tshark', () => {
  it('every ah.* field and the AH tree of the shared IPv6 capture', async () => {
    const result = (await compareCapture(shared)).filter((a) => a.field.startsWith('ah.'));
    expect(result.map((a) => a.field).sort()).toEqual(['ah.icv', 'ah.length', 'ah.next_header', 'ah.reserved', 'ah.sequence', 'ah.spi']);
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(shared);
    const tree = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'frame.number==4', '-V']);
    const ahTree = (lines: string[]): string[] => lines.slice(lines.indexOf('    Authentication Header'), lines.indexOf('    Authentication Header') + 7);
    expect(ahTree(treeLines(ds[3]))).toEqual(ahTree(tree.stdout.split('\n')));
    expect(ahTree(treeLines(ds[3]))[0]).toBe('    Authentication Header');
  });

  it('every field, frame.protocols and the summary lines of crafted frames', async () => {
    const path = join(dir, 'ah-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(expect.arrayContaining(['ah.spi', 'ah.icv', 'udp.srcport', 'data.data', 'frame.protocols']));
    // Frame 3 is malformed in both; tshark adds its "Exception occurred" expert, netlab does not.
    const diverge = result.filter((a) => a.agree !== a.frames && !a.field.startsWith('_ws.expert'));
    expect(diverge.map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(path);
    const lines = (await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS])).stdout.trimEnd().split('\n');
    expect(ds.slice(0, 2).map((d) => summaryLine(d).trim())).toEqual(lines.slice(0, 2).map((l) => l.trim()));
    // The truncated header: the same tree, ending in tshark's [Malformed Packet: AH].
    expect(await verboseDiffs(path)).toEqual([]);
  });
});
