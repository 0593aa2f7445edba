// Spanning Tree BPDUs over 802.3 + LLC beside tshark 4.0: frames built with netlab's own encoder
// (src/wire/stp.ts, what netsim's switches send) must show as eth:llc:stp with every llc.* and
// stp.* field, the 802.3 padding, and every summary line as tshark prints them.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { bpduFrame, type Bpdu } from '../../src/wire/stp.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-stp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const macA = Uint8Array.of(0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x01);
const macB = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const times = { messageAge: 0, maxAge: 20, helloTime: 2, forwardDelay: 15 };

const bpdus: Bpdu[] = [
  { type: 'config', flags: 0, rootId: { priority: 32768, mac: macA }, rootPathCost: 0, bridgeId: { priority: 32768, mac: macA }, portId: 0x8001, ...times },
  { type: 'tcn' },
  {
    type: 'rst',
    flags: 0x7c,
    rootId: { priority: 4097, mac: macA },
    rootPathCost: 19,
    bridgeId: { priority: 32769, mac: macB },
    portId: 0x8002,
    ...times,
    messageAge: 1,
  },
  {
    type: 'config',
    flags: 0x81,
    rootId: { priority: 32768, mac: macA },
    rootPathCost: 4,
    bridgeId: { priority: 61440, mac: macB },
    portId: 0x8003,
    ...times,
    messageAge: 1.5,
  },
  {
    type: 'rst',
    flags: 0x0b,
    rootId: { priority: 0, mac: macB },
    rootPathCost: 200000,
    bridgeId: { priority: 4095, mac: macA },
    portId: 0x1fff,
    messageAge: 0.00390625,
    maxAge: 6,
    helloTime: 1,
    forwardDelay: 4,
  },
  {
    type: 'config',
    flags: 0x80,
    rootId: { priority: 65535, mac: macB },
    rootPathCost: 0xffffffff,
    bridgeId: { priority: 32768, mac: macB },
    portId: 0,
    ...times,
  },
];

const frames = (): Uint8Array[] => bpdus.map((b) => bpduFrame(b, b.type === 'tcn' ? macA : macB));

describe('STP over LLC (netlab alone)', () => {
  it('decodes eth, llc, stp and cuts the payload at the 802.3 length', () => {
    const d = decode(frames()[0], 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'llc', 'stp']);
    expect(d.layers[2].payloadEnd).toBe(14 + 3 + 35);
    expect(d.malformed).toEqual([]);
  });

  it('reports a short BPDU as malformed without throwing', () => {
    const f = frames()[0].slice(0, 30);
    f[13] = 16; // length: LLC + 13 bytes of a Configuration BPDU
    const d = decode(f, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'llc', 'stp']);
    expect(d.malformed[0]?.reason).toMatch(/Configuration BPDU needs 35 bytes, got 13/);
  });

  it('names the fields and writes the summary line', async () => {
    const path = join(dir, 'stp.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[0], 'frame.protocols')).toBe('eth:llc:stp');
    expect(fieldText(ds[2], 'stp.bridge.ext')).toBe('1');
    expect(fieldText(ds[3], 'stp.msg_age')).toBe('1.5');
    expect(summaryLine(ds[0])).toMatch(/ STP 60 Conf\. Root = 32768\/0\/aa:bb:cc:00:00:01 {2}Cost = 0 {2}Port = 0x8001$/);
  });
});

describe.skipIf(!requireTool('tshark'))('STP over LLC beside tshark', () => {
  it('every field, frame.protocols, every summary line and the -V tree', async () => {
    const path = join(dir, 'stp-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'llc.dsap',
        'llc.ssap.cr',
        'llc.control',
        'stp.flags.port_role',
        'stp.root.hw',
        'stp.bridge.prio',
        'stp.msg_age',
        'stp.version_1_length',
        'eth.padding',
        'frame.protocols',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS]);
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = (await dissectAll(path)).map(summaryLine);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
    const tree = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V']);
    const from = (lines: string[]): string[] => lines.slice(lines.indexOf('IEEE 802.3 Ethernet '));
    const theirTrees = tree.stdout
      .split('\n\n')
      .filter((t) => t.trim() !== '')
      .map((t) => from(t.split('\n')));
    const ds = await dissectAll(path);
    expect(theirTrees).toHaveLength(ds.length);
    expect(ds.map((d) => from(treeLines(d)))).toEqual(theirTrees);
  });
});
