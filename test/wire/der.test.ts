// The DER reader: headers (short and long lengths, multi-byte tags), what it refuses (indefinite
// lengths, lengths past the end, over-long length fields), object identifiers, integers, bit strings,
// strings (BMP, Universal, T.61) and times, each against a value worked out by hand or by Node.

import { describe, expect, it } from 'vitest';
import {
  decodeBitString,
  decodeInteger,
  decodeOid,
  decodeString,
  decodeTime,
  DER_TAG,
  isDerError,
  readChildren,
  readTlv,
  type DerError,
  type DerTlv,
  walkDer,
} from '../../src/wire/der.ts';

const tlv = (b: Uint8Array, off = 0): DerTlv => {
  const t = readTlv(b, off);
  if (isDerError(t)) throw new Error(t.reason);
  return t;
};
const err = (b: Uint8Array, off = 0, end = b.length): DerError => {
  const t = readTlv(b, off, end);
  if (!isDerError(t)) throw new Error('expected an error');
  return t;
};

describe('DER headers', () => {
  it('reads short and long lengths and multi-byte tag numbers', () => {
    expect(tlv(Uint8Array.of(0x30, 0x03, 2, 1, 5))).toMatchObject({ cls: 0, constructed: true, tag: 16, headerLength: 2, contentOffset: 2, length: 3, end: 5 });
    const long = Uint8Array.of(0x04, 0x82, 0x01, 0x00, ...new Uint8Array(256));
    expect(tlv(long)).toMatchObject({ tag: 4, headerLength: 4, length: 256, end: 260 });
    // [APPLICATION 200] constructed: 0x7f 0x81 0x48
    expect(tlv(Uint8Array.of(0x7f, 0x81, 0x48, 0x00))).toMatchObject({ cls: 1, constructed: true, tag: 200, headerLength: 4, length: 0 });
  });

  it('refuses what DER forbids or the bytes cannot hold, saying where it would have ended', () => {
    expect(err(Uint8Array.of(0x30, 0x80, 0, 0)).reason).toMatch(/indefinite length/);
    expect(err(Uint8Array.of(0x30, 0x05, 1, 2))).toMatchObject({ offset: 0, claimedEnd: 7 });
    expect(err(Uint8Array.of(0x30, 0x88, 1, 2, 3, 4, 5, 6, 7, 8)).claimedEnd).toBe(Infinity);
    expect(err(Uint8Array.of(0x30, 0x82, 0x01)).reason).toMatch(/length cut short/);
    expect(err(Uint8Array.of(0x1f, 0x80, 0x01, 0x00)).reason).toMatch(/leading zero/);
    expect(err(Uint8Array.of(0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0)).reason).toMatch(/longer than 4 bytes/);
    expect(err(new Uint8Array(0)).reason).toMatch(/no bytes left/);
    // A length inside a parent is checked against the parent's end, not the buffer's.
    expect(err(Uint8Array.of(0x04, 0x02, 0xaa, 0xbb, 0xcc), 0, 3).claimedEnd).toBe(4);
  });

  it('lists the children of a constructed value and reports a bad one', () => {
    const b = Uint8Array.of(0x30, 0x08, 0x02, 0x01, 0x07, 0x05, 0x00, 0x04, 0x05, 0xff);
    const kids = readChildren(b, tlv(b));
    expect(kids.items.map((k) => k.tag)).toEqual([2, 5]);
    expect(kids.error?.reason).toMatch(/runs past the end/);
    expect(walkDer(b, 0, b.length)?.reason).toMatch(/runs past the end/);
  });

  it('walks nesting only to the depth asked', () => {
    let b = Uint8Array.of(0x05, 0x00);
    for (let i = 0; i < 40; i++) b = Uint8Array.of(0x30, b.length, ...b);
    expect(walkDer(b, 0, b.length)?.reason).toMatch(/nested deeper than 32/);
    expect(walkDer(b, 0, b.length, () => {}, 64)).toBeUndefined();
  });
});

describe('DER values', () => {
  it('object identifiers, including a first arc of 2 and arcs past 2^53', () => {
    expect(decodeOid(Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b), 0, 9)).toBe('1.2.840.113549.1.1.11');
    expect(decodeOid(Uint8Array.of(0x88, 0x37, 0x03), 0, 3)).toBe('2.999.3');
    expect(decodeOid(Uint8Array.of(0x2a, 0xa0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), 0, 10)).toBe('1.2.' + (2n ** 61n).toString());
    expect(decodeOid(Uint8Array.of(0x2a, 0x80, 0x01), 0, 3)).toBeUndefined(); // leading zero in an arc
    expect(decodeOid(Uint8Array.of(0x2a, 0x86), 0, 2)).toBeUndefined(); // last arc unfinished
    expect(decodeOid(new Uint8Array(0), 0, 0)).toBeUndefined();
  });

  it("integers in two's complement, bit strings with their unused bits", () => {
    const i = (bytes: number[]): bigint | undefined =>
      decodeInteger(Uint8Array.from([2, bytes.length, ...bytes]), tlv(Uint8Array.from([2, bytes.length, ...bytes])));
    expect(i([0x00, 0xff])).toBe(255n);
    expect(i([0xff, 0x7f])).toBe(-129n);
    expect(i([])).toBeUndefined();
    const bs = Uint8Array.of(3, 2, 7, 0x80);
    expect(decodeBitString(tlv(bs), bs)).toEqual({ unusedBits: 7, bitsOffset: 3, bitsLength: 1 });
    const bad = Uint8Array.of(3, 2, 9, 0x80);
    expect(isDerError(decodeBitString(tlv(bad), bad))).toBe(true);
  });

  it('strings: UTF-8, BMP, Universal, T.61 with its diacritics, 7-bit with replacement', () => {
    const s = (tag: number, bytes: number[]): string => decodeString(Uint8Array.from(bytes), tag, 0, bytes.length);
    expect(s(DER_TAG.utf8String, [...Buffer.from('Ñandú')])).toBe('Ñandú');
    expect(s(DER_TAG.bmpString, [0x00, 0x47, 0x00, 0xf6])).toBe('Gö');
    expect(s(DER_TAG.universalString, [0, 0, 0x26, 0x03, 0, 0x11, 0, 0])).toBe('☃\ufffd');
    // T.61: 0xc2 (acute) before 'e' is é; 0xe8 is Ł; 0xa4 is '$'; 0xc1 at the end is the bare grave.
    expect(s(DER_TAG.teletexString, [0x55, 0xc2, 0x65, 0x20, 0xe8, 0xa4, 0x24, 0xc1])).toBe('Ué Ł$\ufffd\u0300');
    expect(s(DER_TAG.printableString, [0x41, 0xc3, 0x42])).toBe('A\ufffdB');
  });

  it("UTCTime and GeneralizedTime, with RFC 5280's century rule and fractions", () => {
    const t = (tag: number, text: string) => {
      const b = Uint8Array.from([tag, text.length, ...Buffer.from(text)]);
      return decodeTime(b, tlv(b));
    };
    expect(t(DER_TAG.utcTime, '210322133215Z').seconds).toBe(Date.UTC(2021, 2, 22, 13, 32, 15) / 1000);
    expect(t(DER_TAG.utcTime, '500101000000Z').seconds).toBe(Date.UTC(1950, 0, 1) / 1000);
    expect(t(DER_TAG.generalizedTime, '20570104062052.25Z').seconds).toBe(Date.UTC(2057, 0, 4, 6, 20, 52) / 1000 + 0.25);
    expect(t(DER_TAG.utcTime, '211322133215Z').seconds).toBeUndefined();
    expect(t(DER_TAG.utcTime, '2103221332Z').seconds).toBe(Date.UTC(2021, 2, 22, 13, 32) / 1000);
  });
});
