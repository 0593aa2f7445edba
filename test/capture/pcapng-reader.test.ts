// pcapng reading from hand-built blocks: byte orders, IDB options, every packet block kind,
// secrets, skipped blocks, sections, and damaged blocks (tshark 4.0's behaviour, checked by hand).

import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { CaptureFormatError } from '../../src/capture/types.ts';
import { block, concat, dsb, epb, frame, idb, isb, nrb, pb, shb, spb, u64le } from './craft.ts';

const TLSK = 0x544c534b;

describe('pcapng sections and interfaces', () => {
  it('reads a big-endian file built by hand', () => {
    const bytes = concat(
      shb('be', [[4, 'handmade']]),
      idb('be', 1, 1514, [
        [2, 'eth0'],
        [9, Uint8Array.of(9)],
      ]),
      epb('be', 0, 1_700_000_000_123_456_789n, frame(3), [[1, 'big-endian comment']]),
    );
    // The byte-order magic as stored: 1a 2b 3c 4d.
    expect([...bytes.subarray(8, 12)]).toEqual([0x1a, 0x2b, 0x3c, 0x4d]);
    const cap = parseCapture(bytes);
    expect(cap.format).toBe('pcapng-be');
    expect(cap.sections).toEqual([{ byteOrder: 'be', version: '1.0', offset: 0, comments: [], application: 'handmade' }]);
    expect(cap.interfaces).toEqual([{ linkType: 1, snapLength: 1514, tsResolution: 1e9, fcsLength: 0, name: 'eth0', container: 'pcapng' }]);
    const [p] = cap.packets;
    expect([p.tsSec, p.tsNsec]).toEqual([1_700_000_000, 123_456_789]);
    expect(p.data).toEqual(frame(3));
    expect(p.comments).toEqual(['big-endian comment']);
  });

  it('reads if_name, if_description, if_fcslen, and if_tsresol in both forms', () => {
    const bytes = concat(
      shb(),
      idb('le', 1, 0, [
        [2, 'lo'],
        [3, 'loopback'],
        [13, Uint8Array.of(4)],
        [9, Uint8Array.of(3)],
      ]), // milliseconds
      idb('le', 1, 0, [[9, Uint8Array.of(0x80 | 20)]]), // 2^-20 s
      idb('le', 1, 0), // default microseconds
      epb('le', 0, 1500n, frame()),
      epb('le', 1, (5n << 20n) + (1n << 19n), frame()),
      epb('le', 2, 2_000_001n, frame()),
    );
    const cap = parseCapture(bytes);
    expect(cap.interfaces.map((i) => [i.name, i.description, i.fcsLength, i.tsResolution])).toEqual([
      ['lo', 'loopback', 4, 1000],
      [undefined, undefined, 0, 1048576],
      [undefined, undefined, 0, 1e6],
    ]);
    // tshark: 1.500000000, 5.500000000, 2.000001000
    expect(cap.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1, 500_000_000],
      [5, 500_000_000],
      [2, 1000],
    ]);
  });

  it('adds if_tsoffset seconds to the timestamps', () => {
    const cap = parseCapture(
      concat(
        shb(),
        idb('le', 1, 0, [
          [9, Uint8Array.of(3)],
          [14, u64le(100n)],
        ]),
        epb('le', 0, 1500n, frame()),
      ),
    );
    expect([cap.packets[0].tsSec, cap.packets[0].tsNsec]).toEqual([101, 500_000_000]); // tshark: 101.500000000
  });

  it('falls back to microseconds for an if_tsresol too fine to represent, with a warning', () => {
    const cap = parseCapture(concat(shb(), idb('le', 1, 0, [[9, Uint8Array.of(99)]]), epb('le', 0, 1_000_000n, frame())));
    expect(cap.packets[0].tsSec).toBe(1);
    expect(cap.warnings[0].reason).toContain('if_tsresol');
  });

  it('starts a new interface list at each SHB; packets index the capture-wide list', () => {
    const bytes = concat(
      shb(),
      idb('le', 1, 0, [[2, 'a0']]),
      idb('le', 1, 0, [[2, 'a1']]),
      epb('le', 1, 1n, frame(1)),
      shb('be'),
      idb('be', 101, 0, [[2, 'b0']]),
      epb('be', 0, 2n, frame(2)),
    );
    const cap = parseCapture(bytes);
    expect(cap.format).toBe('pcapng-le');
    expect(cap.sections.map((s) => s.byteOrder)).toEqual(['le', 'be']);
    expect(cap.interfaces.map((i) => i.name)).toEqual(['a0', 'a1', 'b0']);
    expect(cap.packets.map((p) => [p.interfaceId, p.iface.name])).toEqual([
      [1, 'a1'],
      [2, 'b0'],
    ]);
    // Interface 1 of the first section does not exist in the second.
    const bad = parseCapture(concat(bytes, epb('be', 1, 3n, frame())));
    expect(bad.packets).toHaveLength(2);
    expect(bad.error?.reason).toBe('pcapng: interface index 1 is not less than section interface count 1');
  });

  it('accepts SHB version 1.2 and refuses 1.1 / 0.1 / 2.0 with tshark wording', () => {
    expect(parseCapture(concat(shb('le', [], [1, 2]), idb(), epb('le', 0, 1n, frame()))).packets).toHaveLength(1);
    for (const v of [
      [1, 1],
      [0, 1],
      [2, 0],
    ] as [number, number][]) {
      expect(() => parseCapture(concat(shb('le', [], v), idb()), 'v.pcapng')).toThrow(`v.pcapng: pcapng: unknown SHB version ${v[0]}.${v[1]}`);
    }
  });

  it('stops (without throwing) at a bad SHB version in a later section', () => {
    const cap = parseCapture(concat(shb(), idb(), epb('le', 0, 1n, frame()), shb('le', [], [0, 1]), idb(), epb('le', 0, 1n, frame())));
    expect(cap.packets).toHaveLength(1);
    expect(cap.error?.reason).toBe('pcapng: unknown SHB version 0.1');
  });

  it('refuses a file whose first block is not an SHB or whose byte-order magic is wrong', () => {
    expect(() => parseCapture(concat(idb(), epb('le', 0, 1n, frame())))).toThrow(CaptureFormatError);
    const badBom = shb();
    badBom.set([1, 2, 3, 4], 8);
    expect(() => parseCapture(badBom)).toThrow(/unknown byte-order magic/);
  });
});

describe('pcapng packet blocks', () => {
  it('reads EPB comments (opt_comment, several)', () => {
    const cap = parseCapture(
      concat(
        shb(),
        idb(),
        epb('le', 0, 1n, frame(), [
          [1, 'first'],
          [1, 'zweite – ü'],
        ]),
      ),
    );
    expect(cap.packets[0].comments).toEqual(['first', 'zweite – ü']);
  });

  it('reads Simple Packet Blocks: captured length from the block and the snap length, no timestamp', () => {
    const cap = parseCapture(concat(shb(), idb('le', 1, 40), spb('le', 60, frame().subarray(0, 40)), spb('le', 30, frame().subarray(0, 30))));
    expect(cap.packets.map((p) => [p.data.length, p.origLength, p.tsSec, p.tsNsec])).toEqual([
      [40, 60, 0, 0],
      [30, 30, 0, 0],
    ]);
  });

  it('reads the obsolete Packet Block (type 2) with its comment', () => {
    const cap = parseCapture(concat(shb(), idb(), pb('le', 0, 1_000_000n, frame(9), [[1, 'hello']])));
    expect(cap.packets[0].data).toEqual(frame(9));
    expect(cap.packets[0].tsSec).toBe(1);
    expect(cap.packets[0].comments).toEqual(['hello']);
  });

  it('exposes Decryption Secrets Blocks and skips NRB, ISB, custom and unknown blocks', () => {
    const keylog = 'CLIENT_RANDOM 00112233 44556677\n';
    const bytes = concat(
      shb(),
      nrb('le', [10, 0, 0, 1], 'host.example'),
      dsb('le', TLSK, keylog),
      idb(),
      block('le', 0x00000bad, (b) => b.u32(32473).raw([1, 2, 3, 4])),
      block('le', 0x12345678, (b) => b.raw([9, 9, 9, 9])),
      epb('le', 0, 1n, frame(1)),
      isb('le', 0),
      block('le', 0x80000001, () => undefined),
      epb('le', 0, 2n, frame(2)),
    );
    const cap = parseCapture(bytes);
    expect(cap.packets.map((p) => p.data[59])).toEqual([1, 2]);
    expect(cap.secrets).toEqual([{ type: TLSK, data: new TextEncoder().encode(keylog) }]);
    expect(cap.warnings).toEqual([]);
    expect(cap.error).toBeUndefined();
  });

  it('warns about a captured length beyond the snap length but reads the packet (as tshark)', () => {
    const cap = parseCapture(concat(shb(), idb('le', 1, 20), epb('le', 0, 1n, frame())));
    expect(cap.packets[0].data.length).toBe(60);
    expect(cap.packets[0].warnings[0]).toContain("captured length 60 is larger than the interface's snap length 20");
  });
});

describe('damaged pcapng blocks stop reading after the good ones', () => {
  const head = concat(shb(), idb(), epb('le', 0, 1_000_000n, frame(1)));
  // head is 28 + 20 + 92 = 140 bytes: the damaged block starts at byte 140.

  it('an interface index beyond the section (tshark: "interface index 3 is not less than section interface count 1")', () => {
    const cap = parseCapture(concat(head, epb('le', 3, 1n, frame()), epb('le', 0, 1n, frame())), 'b.pcapng');
    expect(cap.packets).toHaveLength(1);
    expect(cap.error?.message).toBe('b.pcapng: frame 2 (record at byte 140): pcapng: interface index 3 is not less than section interface count 1');
  });

  it('an EPB packet before any IDB', () => {
    const cap = parseCapture(concat(shb(), epb('le', 0, 1n, frame())));
    expect(cap.packets).toHaveLength(0);
    expect(cap.error?.reason).toBe('pcapng: interface index 0 is not less than section interface count 0');
  });

  it('an EPB too small for its caplen', () => {
    const cap = parseCapture(concat(head, epb('le', 0, 1n, frame(), [], { caplen: 200 })));
    expect(cap.error?.reason).toBe('pcapng: total block length 92 of an EPB is too small for 200 bytes of packet data');
  });

  it('block lengths that differ at start and end', () => {
    const cap = parseCapture(concat(head, epb('le', 0, 1n, frame(), [], { trailer: 999 })));
    expect(cap.packets).toHaveLength(1);
    expect(cap.error?.reason).toBe("pcapng: total block lengths (first 92 and second 999) don't match");
  });

  it('the same in a skipped block', () => {
    const cap = parseCapture(
      concat(
        head,
        block('le', 0x1234, (b) => b.u32(0), { trailer: 20 }),
        epb('le', 0, 1n, frame()),
      ),
    );
    expect(cap.error?.reason).toBe("pcapng: total block lengths (first 16 and second 20) don't match");
  });

  it('a block length that is not a multiple of 4, or too large', () => {
    const odd = block('le', 0x99, (b) => b.raw([1, 2, 3]).u8(0), { length: 15 });
    expect(parseCapture(concat(head, odd)).error?.reason).toContain('total block length 15');
    const huge = block('le', 6, (b) => b.u32(0), { length: 0x7ffffff0 });
    expect(parseCapture(concat(head, huge)).error?.reason).toBe('pcapng: total block length 2147483632 is too large (> 134348832)');
  });

  it('a file cut short in a block, in a block header, and inside a skipped block', () => {
    const two = concat(head, epb('le', 0, 1n, frame(2)));
    const inBlock = parseCapture(two.subarray(0, two.length - 10));
    expect(inBlock.packets).toHaveLength(1);
    expect(inBlock.error?.reason).toContain('the file ends in the middle of an Enhanced Packet Block (92 bytes, 82 present)');
    const inHeader = parseCapture(concat(head, Uint8Array.of(6, 0, 0)));
    expect(inHeader.error?.reason).toContain('inside a block header');
    const skipped = concat(
      head,
      block('le', 0x1234, (b) => b.raw(new Uint8Array(100))),
    );
    const inSkip = parseCapture(skipped.subarray(0, skipped.length - 50));
    expect(inSkip.error?.reason).toContain('the file ends in the middle of a block type 0x00001234');
  });

  it('a truncated SHB at the start is a file-level error', () => {
    expect(() => parseCapture(shb().subarray(0, 20))).toThrow(CaptureFormatError);
  });
});

describe('oversized blocks', () => {
  it('skips a packet block larger than 16 MiB without buffering it, with a warning, and goes on', () => {
    const big = 16 * 1024 * 1024 + 64;
    const huge = new Uint8Array(big);
    const dv = new DataView(huge.buffer);
    dv.setUint32(0, 6, true);
    dv.setUint32(4, big, true);
    dv.setUint32(big - 4, big, true);
    const cap = parseCapture(concat(shb(), idb(), huge, epb('le', 0, 1n, frame(5))));
    expect(cap.packets.map((p) => p.data[59])).toEqual([5]);
    expect(cap.warnings[0].reason).toContain('larger than 16777216 bytes; skipped');
    expect(cap.error).toBeUndefined();
  });
});
