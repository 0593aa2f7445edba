// PPPoE Discovery (RFC 2516) beside tshark 4.0: the shared capture's PADI and crafted PADO/PADR/
// PADS/PADT frames with every tag kind (strings, byte strings, zero-length and End-Of-List tags, an
// unknown tag, the DSL Forum vendor sub-tags and another vendor's), plus truncated ones (reported as
// malformed, not thrown): every field, the -V tree and the summary line agree with tshark.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { capturePath } from '../helpers/captures.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS, verboseDiffs } from '../interop/agreement.ts';
import { cat, u16, writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-pppoed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shared = capturePath('eth-trailer-padding-pcapplusplus.pcap');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32 = (n: number): Uint8Array => cat(u16(n >>> 16), u16(n & 0xffff));
const tag = (t: number, v: Uint8Array): Uint8Array => cat(u16(t), u16(v.length), v);

/** An Ethernet frame of EtherType 0x8863 (padded to 60 bytes unless `cut` shortens it). */
function pppoed(code: number, session: number, tags: Uint8Array[], cut?: number): Uint8Array {
  const body = cat(...tags);
  const f = cat(
    Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1),
    u16(0x8863),
    Uint8Array.of(0x11, code),
    u16(session),
    u16(body.length),
    body,
  );
  if (cut !== undefined) return f.subarray(0, cut);
  return f.length >= 60 ? f : cat(f, new Uint8Array(60 - f.length));
}

const dsl = cat(
  Uint8Array.of(1, 4),
  ascii('circ'),
  Uint8Array.of(2, 3),
  ascii('rem'),
  Uint8Array.of(0x81, 4),
  u32(1000),
  Uint8Array.of(0x8e, 4),
  u32(7),
  Uint8Array.of(0x90, 3, 1, 2, 3),
  Uint8Array.of(0x70, 2, 9, 9),
);

function frames(): Uint8Array[] {
  return [
    pppoed(0x07, 0, [
      tag(0x0101, ascii('isp')),
      tag(0x0102, ascii('ac-one')),
      tag(0x0103, Uint8Array.of(1, 2, 3, 4)),
      tag(0x0104, new Uint8Array(8).fill(0xaa)),
      tag(0x0110, Uint8Array.of(5, 6)),
      tag(0x0120, Uint8Array.of(5, 0xdc)),
      tag(0x0201, ascii('no svc')),
      tag(0x0202, ascii('sys err')),
      tag(0x0203, ascii('generic')),
      tag(0x0999, Uint8Array.of(9, 9)),
      tag(0, new Uint8Array(0)),
    ]),
    pppoed(0x19, 0, [tag(0x0101, new Uint8Array(0))]),
    pppoed(0x65, 0x1234, [tag(0x0101, ascii('x'))]),
    pppoed(0xa7, 0x1234, []),
    pppoed(0x09, 0, [tag(0x0105, cat(u32(3561), dsl)), tag(0x0105, cat(u32(9), Uint8Array.of(1, 2)))]),
    pppoed(0x42, 0, [tag(0x0101, ascii('abcdef'))], 14 + 6 + 3),
    pppoed(0x09, 0, [tag(0x0101, ascii('abc'))], 14 + 6 + 5),
  ];
}

describe('PPPoE Discovery (netlab alone)', () => {
  it('names the fields and tags and reports truncated tags', async () => {
    const path = join(dir, 'pppoed.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:ethertype:pppoed');
    expect(fieldText(ds[0], 'pppoed.tags.ac_name')).toBe('ac-one');
    expect(fieldText(ds[0], 'pppoed.tags.host_uniq')).toBe('01020304');
    expect(fieldText(ds[2], 'pppoe.session_id')).toBe('0x1234');
    expect(fieldText(ds[4], 'pppoed.tags.vendor_id')).toBe('3561,9');
    expect(fieldText(ds[4], 'pppoed.tags.act_data_rate_up')).toBe('1000');
    expect(summaryLine(ds[0])).toMatch(/PPPoED 111 Active Discovery Offer \(PADO\) AC-Name='ac-one'$/);
    expect(ds[6].protos.find((p) => p.proto === 'pppoed')?.malformed[0]?.reason).toMatch(/PPPoE Discovery tag 0x0101 truncated/);
  });
});

describe.skipIf(!requireTool('tshark'))('PPPoE Discovery beside tshark', () => {
  it('every field, the tree and the summary line of the shared capture', async () => {
    const result = await compareCapture(shared);
    expect(result.map((a) => a.field)).toEqual(expect.arrayContaining(['pppoe.code', 'pppoe.payload_length', 'pppoed.tags.host_uniq', 'frame.protocols']));
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const ds = await dissectAll(shared);
    const i = ds.findIndex((d) => d.protos.some((p) => p.proto === 'pppoed'));
    const tree = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'pppoed', '-V']);
    const fromPppoed = (lines: string[]): string[] => lines.slice(lines.indexOf('PPP-over-Ethernet Discovery')).filter((l) => l !== '');
    expect(fromPppoed(treeLines(ds[i]))).toEqual(fromPppoed(tree.stdout.split('\n')));
    const line = await run('tshark', ['-r', shared, ...TSHARK_CHECKSUM_OPTS, '-Y', 'pppoed']);
    expect(summaryLine(ds[i]).trim()).toBe(line.stdout.trim());
  });

  it('every field, -V and the summary lines of crafted frames', async () => {
    const path = join(dir, 'pppoed-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining(['pppoed.tag.unknown_data', 'pppoed.tags.access_loop_encap.encap_2', 'pppoed.tags.vendor_unspecified', 'pppoed.tag_length_8']),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    // Frames 6 and 7 are cut short: tshark adds its "[Malformed Packet: PPPoED]" item, netlab does not.
    expect((await verboseDiffs(path)).map((d) => d.frame)).toEqual([6, 7]);
    const ds = await dissectAll(path);
    const lines = (await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS])).stdout.trimEnd().split('\n');
    expect(ds.slice(0, 5).map((d) => summaryLine(d).trim())).toEqual(lines.slice(0, 5).map((l) => l.trim()));
  });
});
