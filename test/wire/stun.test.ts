// STUN codec: one real message held as bytes both ways, every attribute kind round-tripped, the
// fingerprint verified and caught when wrong, and malformed input reported (never thrown).

import { describe, expect, it } from 'vitest';
import { NetlabRangeError } from '../../src/base/errors.ts';
import {
  decodeStun,
  encodeStun,
  isStunMessage,
  STUN_ATTR,
  STUN_CLASS,
  STUN_METHOD,
  stunMethodClass,
  stunType,
  type StunAttribute,
  type StunMessage,
} from '../../src/wire/stun.ts';
import { rng } from '../helpers/rng.ts';

const TID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

// A Binding success response: XOR-MAPPED-ADDRESS 203.0.113.5:50001 (0xc351 ^ 0x2112 = 0xe243;
// cb.00.71.05 ^ 21.12.a4.42 = ea.12.d5.47).
const RESPONSE = Uint8Array.from([
  0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
  0xe2, 0x43, 0xea, 0x12, 0xd5, 0x47,
]);

describe('STUN message type', () => {
  it('interleaves method and class bits (RFC 5389 §6)', () => {
    expect(stunType(STUN_METHOD.BINDING, STUN_CLASS.REQUEST)).toBe(0x0001);
    expect(stunType(STUN_METHOD.BINDING, STUN_CLASS.INDICATION)).toBe(0x0011);
    expect(stunType(STUN_METHOD.BINDING, STUN_CLASS.SUCCESS)).toBe(0x0101);
    expect(stunType(STUN_METHOD.BINDING, STUN_CLASS.ERROR)).toBe(0x0111);
    // Allocate (0x003) error response is 0x0113; method 0xfff spreads over every method bit.
    expect(stunType(0x003, STUN_CLASS.ERROR)).toBe(0x0113);
    expect(stunType(0xfff, STUN_CLASS.REQUEST)).toBe(0x3eef);
    for (const t of [0x0001, 0x0111, 0x0113, 0x3eef, 0x3fff]) {
      const { method, cls } = stunMethodClass(t);
      expect(stunType(method, cls)).toBe(t);
    }
  });
});

describe('STUN decode and encode', () => {
  it('reads the literal response and writes the same bytes', () => {
    const { message: m, malformed } = decodeStun(RESPONSE);
    expect(malformed).toEqual([]);
    expect(m?.cls).toBe(STUN_CLASS.SUCCESS);
    expect(m?.method).toBe(STUN_METHOD.BINDING);
    expect(m?.length).toBe(12);
    expect(m?.cookie).toBe(0x2112a442);
    expect(m?.attributes[0]).toMatchObject({ type: 0x0020, kind: 'xor-address', family: 4, address: '203.0.113.5', port: 50001 });
    expect(isStunMessage(RESPONSE)).toBe(true);
    const again = encodeStun({
      cls: STUN_CLASS.SUCCESS,
      method: STUN_METHOD.BINDING,
      transactionId: TID,
      attributes: [{ type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family: 4, address: '203.0.113.5', port: 50001 }],
    });
    expect(Buffer.from(again).toString('hex')).toBe(Buffer.from(RESPONSE).toString('hex'));
  });

  it('round-trips every attribute kind, padded to 4 bytes, with a good fingerprint', () => {
    const attributes: StunAttribute[] = [
      { type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family: 6, address: '2001:db8::1', port: 5 },
      { type: STUN_ATTR.MAPPED_ADDRESS, kind: 'address', family: 4, address: '127.73.0.10', port: 40001 },
      { type: STUN_ATTR.RESPONSE_ORIGIN, kind: 'address', family: 4, address: '127.73.0.1', port: 3478 },
      { type: STUN_ATTR.OTHER_ADDRESS, kind: 'address', family: 6, address: 'fe80::1:2', port: 3479 },
      { type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: false, changePort: true },
      { type: STUN_ATTR.RESPONSE_PORT, kind: 'response-port', port: 50002 },
      { type: STUN_ATTR.PADDING, kind: 'padding', length: 5 },
      { type: STUN_ATTR.ERROR_CODE, kind: 'error-code', code: 420, reason: 'Unknown Attribute' },
      { type: STUN_ATTR.UNKNOWN_ATTRIBUTES, kind: 'unknown-attributes', types: [0x7777, 0x0042, 0x0043] },
      { type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'netlab ✓' },
      { type: 0x7001, kind: 'raw', value: Uint8Array.of(1, 2, 3) },
    ];
    const m: StunMessage = { cls: STUN_CLASS.REQUEST, method: 1, transactionId: TID, attributes };
    const bytes = encodeStun(m, { fingerprint: true });
    expect(bytes.length % 4).toBe(0);
    const { message: d, malformed } = decodeStun(bytes);
    expect(malformed).toEqual([]);
    expect(d?.fingerprint).toBe('good');
    expect(d?.attributes.length).toBe(attributes.length + 1);
    attributes.forEach((a, i) => expect(d?.attributes[i]).toMatchObject(a));
    // Every padding byte is zero: a value of 5 bytes takes 8.
    const pad = d?.attributes[6];
    expect(pad?.valueLength).toBe(5);
    expect([...bytes.subarray((pad?.at ?? 0) + 4 + 5, (pad?.at ?? 0) + 12)]).toEqual([0, 0, 0]);
  });

  it('reports a fingerprint computed over other bytes as bad', () => {
    const bytes = encodeStun(
      { cls: STUN_CLASS.REQUEST, method: 1, transactionId: TID, attributes: [{ type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'abcd' }] },
      { fingerprint: true },
    );
    bytes[24] ^= 0x20;
    expect(decodeStun(bytes).message?.fingerprint).toBe('bad');
  });

  it('refuses to encode what cannot be sent', () => {
    const base = { cls: STUN_CLASS.REQUEST, method: 1, transactionId: TID } as const;
    expect(() => encodeStun({ ...base, transactionId: new Uint8Array(11), attributes: [] })).toThrow(NetlabRangeError);
    expect(() => encodeStun({ ...base, attributes: [{ type: 1, kind: 'address', family: 4, address: '300.1.1.1', port: 1 }] })).toThrow(/not an IPv4 address/);
    expect(() => encodeStun({ ...base, attributes: [{ type: 1, kind: 'address', family: 4, address: '1.1.1.1', port: 70000 }] })).toThrow(/0\.\.65535/);
    expect(() => encodeStun({ ...base, attributes: [{ type: 9, kind: 'error-code', code: 200, reason: '' }] })).toThrow(/300\.\.699/);
    expect(() => encodeStun({ ...base, attributes: [{ type: 0x8028, kind: 'fingerprint', value: 1 }] })).toThrow(/computed/);
  });
});

describe('STUN malformed input is reported, never thrown', () => {
  it('a header cut short', () => {
    const r = decodeStun(RESPONSE.subarray(0, 19));
    expect(r.message).toBeUndefined();
    expect(r.malformed[0].reason).toMatch(/needs 20 bytes, only 19/);
  });

  it('an attribute whose length runs past the message', () => {
    const b = Uint8Array.from(RESPONSE);
    b[23] = 0x10;
    const r = decodeStun(b);
    expect(r.message?.truncatedAttribute).toEqual({ at: 20, type: 0x0020, length: 16 });
    expect(r.malformed.map((x) => x.reason).join()).toMatch(/length 16 runs past the message/);
  });

  it('a wrong cookie, an odd length, an unknown family, a short CHANGE-REQUEST', () => {
    const b = Uint8Array.from(RESPONSE);
    b[4] = 0;
    b[25] = 3;
    const r = decodeStun(b);
    expect(r.malformed.map((x) => x.reason)).toEqual([
      expect.stringMatching(/magic cookie is 0x0012a442/),
      expect.stringMatching(/XOR-MAPPED-ADDRESS address family 0x03/),
    ]);
    expect(r.message?.attributes[0].kind).toBe('raw');
    expect(isStunMessage(b)).toBe(false);
    const cr = Uint8Array.from([...RESPONSE.subarray(0, 20), 0x00, 0x03, 0x00, 0x02, 0, 4, 0, 0]);
    cr[3] = 8;
    expect(decodeStun(cr).malformed[0].reason).toMatch(/CHANGE-REQUEST value is 4 bytes, has 2/);
  });

  it('random bytes and every truncation of a real message decode without throwing', () => {
    const next = rng(5389);
    const full = encodeStun(
      { cls: STUN_CLASS.SUCCESS, method: 1, transactionId: TID, attributes: [{ type: 0x0020, kind: 'xor-address', family: 6, address: '::1', port: 1 }] },
      { fingerprint: true },
    );
    for (let n = 0; n <= full.length; n++) expect(() => decodeStun(full.subarray(0, n))).not.toThrow();
    let reported = 0;
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(20 + Math.floor(next() * 80));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(next() * 256);
      // Make most of them look like STUN so the attribute walk runs.
      if (i % 2 === 0) b.set([0, 1, 0, b.length - 20, 0x21, 0x12, 0xa4, 0x42]);
      const r = decodeStun(b);
      if (r.malformed.length > 0) reported++;
    }
    expect(reported).toBeGreaterThan(1500);
  });
});
