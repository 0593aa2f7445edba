// Files other tools write that tshark reads in its own way, beside tshark 4.0: pcap files of versions
// after 2.4, pcapng comments holding a NUL byte, timestamps whose fraction overflows its second, and
// link types tshark knows but netlab decodes no frame of (netlink, the user DLTs).

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-quirks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (): Uint8Array =>
  encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
    udp({ sport: 40000, dport: 40001 }),
    payload('hola'),
  ]);

/** A little-endian pcap file of the given version; records as [sec, fraction]. */
function pcap(major: number, minor: number, nsec: boolean, times: [number, number][], linkType = 1, f: Uint8Array = frame()): Uint8Array {
  const out = Buffer.alloc(24 + times.length * (16 + f.length));
  out.writeUInt32LE(nsec ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  out.writeUInt16LE(major, 4);
  out.writeUInt16LE(minor, 6);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(linkType, 20);
  times.forEach(([sec, frac], i) => {
    const at = 24 + i * (16 + f.length);
    out.writeUInt32LE(sec, at);
    out.writeUInt32LE(frac, at + 4);
    out.writeUInt32LE(f.length, at + 8);
    out.writeUInt32LE(f.length, at + 12);
    out.set(f, at + 16);
  });
  return out;
}

const files: Record<string, () => Promise<void>> = {
  'v2-5.pcap': async () =>
    writeFileSync(
      join(dir, 'v2-5.pcap'),
      pcap(2, 5, false, [
        [1_700_000_000, 5],
        [1_700_000_001, 999_999],
      ]),
    ),
  'v3-0.pcap': async () => writeFileSync(join(dir, 'v3-0.pcap'), pcap(3, 0, false, [[1_700_000_000, 5]])),
  'usec-overflow.pcap': async () =>
    writeFileSync(
      join(dir, 'usec-overflow.pcap'),
      pcap(2, 4, false, [
        [1_700_000_000, 0],
        [1_700_000_000, 1_000_000],
        [1_700_000_000, 4_294_967_295],
        [1_700_000_001, 2_147_483_648],
      ]),
    ),
  'nsec-overflow.pcap': async () =>
    writeFileSync(
      join(dir, 'nsec-overflow.pcap'),
      pcap(2, 4, true, [
        [1_700_000_000, 0],
        [1_700_000_000, 1_500_000_000],
        [1_700_000_002, 4_000_000_000],
      ]),
    ),
  // Link types tshark reads but netlab decodes no frame of: netlink with no dissector, a user DLT.
  'netlink-253.pcap': async () =>
    writeFileSync(
      join(dir, 'netlink-253.pcap'),
      pcap(2, 4, false, [[1_700_000_000, 0]], 253, Uint8Array.from([28, 0, 0, 0, 16, 0, 5, 0, ...new Array(16).fill(0)])),
    ),
  'user-dlt-150.pcap': async () =>
    writeFileSync(
      join(dir, 'user-dlt-150.pcap'),
      pcap(
        2,
        4,
        false,
        [
          [1_700_000_000, 0],
          [1_700_000_001, 0],
        ],
        150,
      ),
    ),
  'nul-comments.pcapng': async () => {
    const w = PcapngWriter.toFile(join(dir, 'nul-comments.pcapng'), { interfaces: [{ linkType: 1, name: 'quirks' }] });
    for (const c of ['before\0after', 'trailing\0\0', '\0lead', 'plain']) w.write({ tsSec: 1_700_000_000, tsNsec: 0, data: frame(), comments: [c] });
    await w.close();
  },
};

describe('reader quirks (netlab alone)', () => {
  it('reads later pcap versions, and cuts a comment at its NUL', async () => {
    for (const make of Object.values(files)) await make();
    expect((await dissectAll(join(dir, 'v3-0.pcap'))).length).toBe(1);
    const ds = await dissectAll(join(dir, 'nul-comments.pcapng'));
    expect(ds.map((d) => fieldText(d, 'frame.comment'))).toEqual(['before', 'trailing', '', 'plain']);
  });
});

describe.skipIf(!requireTool('tshark'))('reader quirks beside tshark', () => {
  for (const name of Object.keys(files)) {
    it(name, async () => {
      await files[name]();
      const result = await compareCapture(join(dir, name));
      expect(result.map((a) => a.field)).toEqual(
        expect.arrayContaining([
          'frame.time_epoch',
          'frame.time_delta',
          'frame.encap_type',
          ...(name.includes('dlt') ? ['data.data'] : name.includes('netlink') ? [] : ['udp.payload']),
        ]),
      );
      expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    });
  }
});
