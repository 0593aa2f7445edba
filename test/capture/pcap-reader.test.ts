// Classic pcap reading: byte orders, precisions, versions, the link-type field's FCS and reserved
// bits, and damaged records (tshark 4.0 / libpcap behaviour, checked by hand with tshark -r).

import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { CaptureRecordError } from '../../src/capture/problems.ts';
import { CaptureFormatError } from '../../src/capture/types.ts';
import { concat, frame, pcapFile } from './craft.ts';

describe('pcap header', () => {
  for (const order of ['le', 'be'] as const) {
    for (const nsec of [false, true]) {
      it(`reads ${order} ${nsec ? 'nsec' : 'usec'} files`, () => {
        const bytes = pcapFile({ order, nsec, snap: 1500, link: 101, records: [{ sec: 1700000000, frac: nsec ? 123456789 : 123456, data: frame(7) }] });
        const cap = parseCapture(bytes);
        expect(cap.format).toBe(`pcap-${order}-${nsec ? 'nsec' : 'usec'}`);
        expect(cap.interfaces).toEqual([{ linkType: 101, snapLength: 1500, tsResolution: nsec ? 1e9 : 1e6, fcsLength: 0, container: 'pcap' }]);
        const [p] = cap.packets;
        expect(p.tsSec).toBe(1700000000);
        expect(p.tsNsec).toBe(nsec ? 123456789 : 123456000);
        expect(p.data).toEqual(frame(7));
        expect(p.origLength).toBe(60);
        expect(p.interfaceId).toBe(0);
        expect(p.warnings).toEqual([]);
      });
    }
  }

  it('takes the FCS length from the link-type field (P bit 26, length in 16-bit words in bits 28..31)', () => {
    const cap = parseCapture(pcapFile({ link: 0x24000001 }));
    expect(cap.interfaces[0].linkType).toBe(1);
    expect(cap.interfaces[0].fcsLength).toBe(4);
    // Without the P bit the length bits mean nothing.
    expect(parseCapture(pcapFile({ link: 0x20000001 })).interfaces[0].fcsLength).toBe(0);
  });

  it('refuses reserved bits 16..25 of the link-type field as tshark does', () => {
    expect(() => parseCapture(pcapFile({ link: 0x00300000 }), 'x.pcap')).toThrow('pcap: network type reserved field not zero (0x00300000)');
  });

  it('reads a file whose R bit (27) is set, as tshark does, with a warning', () => {
    const cap = parseCapture(pcapFile({ link: 0x08000001, records: [{ sec: 1, frac: 0, data: frame() }] }));
    expect(cap.packets).toHaveLength(1);
    expect(cap.warnings.map((w) => w.message).join()).toContain('R bit');
  });

  it('refuses version 1.x naming the version, and reads versions above 2.4 as 2.4', () => {
    expect(() => parseCapture(pcapFile({ major: 1, minor: 4 }))).toThrow(/pcap: major version 1 unsupported.*1\.4/);
    // Later versions are read as 2.4 (libpcap and tshark read them), with a warning.
    for (const [major, minor] of [
      [3, 0],
      [2, 5],
    ]) {
      const r = parseCapture(pcapFile({ major, minor, records: [{ sec: 1, frac: 0, data: frame(0, 60), incl: 60, orig: 100 }] }));
      expect(r.packets.map((p) => [p.data.length, p.origLength])).toEqual([[60, 100]]);
      expect(r.warnings.map((w) => w.message).join('\n')).toMatch(new RegExp(`version ${major}\\.${minor} is newer than 2\\.4`));
    }
  });

  it('reads 2.0-2.3 with caplen/len swapped where libpcap and tshark swap them', () => {
    // 2.2: always swapped. tshark shows frame.len 60, frame.cap_len 100 for incl=60 orig=100.
    const v22 = parseCapture(pcapFile({ minor: 2, records: [{ sec: 1, frac: 0, data: frame(0, 100), incl: 60, orig: 100 }] }));
    expect(v22.packets[0].data.length).toBe(100);
    expect(v22.packets[0].origLength).toBe(60);
    expect(v22.warnings[0].reason).toContain('2.2');
    // 2.3: swapped only when len < caplen.
    const v23 = parseCapture(pcapFile({ minor: 3, records: [{ sec: 1, frac: 0, data: frame(0, 60), incl: 100, orig: 60 }] }));
    expect(v23.packets[0].data.length).toBe(60);
    expect(v23.packets[0].origLength).toBe(100);
  });

  it('refuses files that are not pcap or pcapng, empty or too short', () => {
    expect(() => parseCapture(new Uint8Array(0), 'e.pcap')).toThrow(/e\.pcap: the file is empty/);
    expect(() => parseCapture(Uint8Array.of(1, 2))).toThrow(CaptureFormatError);
    expect(() => parseCapture(new TextEncoder().encode('hello world, not a capture'))).toThrow(/not a pcap or pcapng file: it starts with 68 65 6c 6c/);
    expect(() => parseCapture(pcapFile({}).subarray(0, 20))).toThrow(/ends inside the 24-byte pcap file header/);
  });
});

describe('pcap timestamps out of range (as tshark 4.0 shows them)', () => {
  // tshark -T fields -e frame.time_epoch on these records prints 1.705032704, -1.000001000,
  // -1.2147483296, 1.1000000000: the fraction times 1000 in 32-bit arithmetic, as a signed number,
  // never carried into the seconds.
  it('keeps a microsecond field >= 1e6 unnormalised, with a warning', () => {
    const cap = parseCapture(
      pcapFile({
        records: [
          { sec: 1, frac: 5_000_000, data: frame() },
          { sec: 1, frac: 0xffffffff, data: frame() },
          { sec: 1, frac: 2_147_484, data: frame() },
          { sec: 1, frac: 1_000_000, data: frame() },
          { sec: 1, frac: 999_999, data: frame() },
        ],
      }),
    );
    expect(cap.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1, 705032704],
      [1, -1000],
      [1, -2147483296],
      [1, 1_000_000_000],
      [1, 999_999_000],
    ]);
    expect(cap.packets[3].warnings[0]).toMatch(/^frame 4 \(record at byte 252\): timestamp microsecond field 1000000/);
    expect(cap.packets[4].warnings).toEqual([]);
  });

  it('keeps a nanosecond field >= 1e9 as a signed 32-bit number', () => {
    const cap = parseCapture(
      pcapFile({
        nsec: true,
        records: [
          { sec: 1, frac: 1_500_000_000, data: frame() },
          { sec: 1, frac: 0xffffffff, data: frame() },
        ],
      }),
    );
    expect(cap.packets.map((p) => p.tsNsec)).toEqual([1_500_000_000, -1]);
    expect(cap.packets[0].warnings).toHaveLength(1);
  });
});

describe('damaged pcap records', () => {
  const good = { sec: 1, frac: 0, data: frame(1) };

  it('reads a record longer than the snap length, with a warning naming frame and offset', () => {
    const cap = parseCapture(pcapFile({ snap: 1, records: [good] }));
    expect(cap.packets[0].data.length).toBe(60);
    expect(cap.packets[0].warnings).toEqual(["frame 1 (record at byte 24): captured length 60 is larger than the file's snap length 1"]);
    expect(cap.error).toBeUndefined();
  });

  it('warns about an original length below the captured length', () => {
    const cap = parseCapture(pcapFile({ records: [{ ...good, orig: 40 }] }));
    expect(cap.packets[0].origLength).toBe(40);
    expect(cap.packets[0].warnings[0]).toContain('original length 40 is smaller than the captured length 60');
  });

  it('stops at a huge captured length without allocating it, after yielding the good frames', () => {
    const bytes = pcapFile({ records: [good, { ...good, incl: 0xffffffff }] });
    const cap = parseCapture(bytes, 'h.pcap');
    expect(cap.packets).toHaveLength(1);
    expect(cap.error).toBeInstanceOf(CaptureRecordError);
    expect(cap.error?.frame).toBe(2);
    expect(cap.error?.offset).toBe(100);
    expect(cap.error?.message).toBe(
      'h.pcap: frame 2 (record at byte 100): captured length 4294967295 is larger than the maximum of 262144 bytes: the record header is damaged, reading stopped',
    );
  });

  it('reports a record cut short (tshark: "cut short in the middle of a packet")', () => {
    const whole = pcapFile({ records: [good, good] });
    const cap = parseCapture(whole.subarray(0, whole.length - 30));
    expect(cap.packets).toHaveLength(1);
    expect(cap.error?.message).toContain(
      'frame 2 (record at byte 100): the file ends in the middle of a packet: the record header promises 60 bytes of data, 30 are there',
    );
  });

  it('reports a record header cut short', () => {
    const cap = parseCapture(concat(pcapFile({ records: [good] }), Uint8Array.of(1, 2, 3)));
    expect(cap.packets).toHaveLength(1);
    expect(cap.error?.reason).toContain('the file ends inside a record header (3 of 16 bytes)');
  });

  it('reads a header-only file as zero packets', () => {
    const cap = parseCapture(pcapFile({}));
    expect(cap.packets).toEqual([]);
    expect(cap.error).toBeUndefined();
    expect(cap.interfaces).toHaveLength(1);
  });
});
