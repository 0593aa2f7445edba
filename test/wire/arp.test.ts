// ARP: a real request and a real reply (with its trailer) decoded and re-emitted byte for byte,
// gratuitous ARP, odd address sizes, every truncation, random packets through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arp, type Arp, arpLength, isGratuitousArp } from '../../src/wire/arp.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);

/** arp-request-pcapplusplus.pcap: who has 10.0.0.138? tell 10.0.0.1. */
const REQUEST = b(
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0x6c,
  0xf0,
  0x49,
  0xb2,
  0xde,
  0x6e,
  0x08,
  0x06,
  0x00,
  0x01,
  0x08,
  0x00,
  0x06,
  0x04,
  0x00,
  0x01,
  0x6c,
  0xf0,
  0x49,
  0xb2,
  0xde,
  0x6e,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x0a,
  0x00,
  0x00,
  0x8a,
);

/** arp-reply-pcapplusplus.pcap: 10.0.0.138 is at 30:46:9a:23:fb:fa, with an 18-byte non-zero trailer. */
const REPLY = b(
  0x6c,
  0xf0,
  0x49,
  0xb2,
  0xde,
  0x6e,
  0x30,
  0x46,
  0x9a,
  0x23,
  0xfb,
  0xfa,
  0x08,
  0x06,
  0x00,
  0x01,
  0x08,
  0x00,
  0x06,
  0x04,
  0x00,
  0x02,
  0x30,
  0x46,
  0x9a,
  0x23,
  0xfb,
  0xfa,
  0x0a,
  0x00,
  0x00,
  0x8a,
  0x6c,
  0xf0,
  0x49,
  0xb2,
  0xde,
  0x6e,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x74,
  0x20,
  0x66,
  0x72,
  0x6f,
  0x6d,
  0x20,
  0x62,
  0x72,
  0x69,
  0x64,
  0x67,
  0x65,
  0x00,
  0x37,
  0x00,
  0x3d,
  0x20,
);

describe('ARP', () => {
  it('decodes a real request and re-emits it', () => {
    const d = decode(REQUEST, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'arp']);
    const a = d.layers[1].value as Arp;
    expect(a).toMatchObject({ hwType: 1, protoType: 0x0800, hwSize: 6, protoSize: 4, opcode: 1 });
    expect(Array.from(a.targetProto)).toEqual([10, 0, 0, 138]);
    expect(isGratuitousArp(a)).toBe(false);
    const again = encode([
      ethernet({ src: '6c:f0:49:b2:de:6e', dst: 'ff:ff:ff:ff:ff:ff' }),
      arp({ op: 'request', senderMac: '6c:f0:49:b2:de:6e', senderIp: '10.0.0.1', targetIp: '10.0.0.138' }),
    ]);
    expect(again).toEqual(REQUEST);
  });

  it('decodes a real reply; the trailer after the 28 bytes is not ARP', () => {
    const d = decode(REPLY, 1);
    expect(d.layers.map((l) => l.kind)).toEqual(['ethernet', 'arp']);
    expect(d.layers[1].length).toBe(28);
    expect(d.layers[1].payloadEnd).toBe(42);
    const a = d.layers[1].value as Arp;
    const again = encode([
      ethernet({ src: '30:46:9a:23:fb:fa', dst: '6c:f0:49:b2:de:6e' }),
      arp({ op: 'reply', senderMac: a.senderHw, senderIp: a.senderProto, targetMac: a.targetHw, targetIp: a.targetProto }),
      payload(REPLY.subarray(42)),
    ]);
    expect(again).toEqual(REPLY);
  });

  it('a gratuitous ARP announces the sender: sender IP = target IP', () => {
    const frame = encode([
      ethernet({ src: '00:50:56:8b:3f:0d', dst: 'ff:ff:ff:ff:ff:ff' }),
      arp({ senderMac: '00:50:56:8b:3f:0d', senderIp: '192.168.22.81' }),
    ]);
    const a = decode(frame, 1).layers[1].value as Arp;
    expect(isGratuitousArp(a)).toBe(true);
    expect(Array.from(a.targetHw)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('handles other address sizes without reading past the packet', () => {
    // Hardware type 6, IPv6-sized protocol addresses: 8 + 2 * (6 + 16) = 52 bytes.
    const body = new Uint8Array(52);
    body.set([0x00, 0x06, 0x86, 0xdd, 6, 16, 0x00, 0x02], 0);
    body.fill(0xab, 8 + 6, 8 + 6 + 16);
    const d = decode(encode([ethernet({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02', type: 0x0806 }), payload(body)]), 1);
    const a = d.layers[1].value as Arp;
    expect(d.layers[1].length).toBe(arpLength(6, 16));
    expect(a.senderProto.length).toBe(16);
    expect(a.senderProto.every((x) => x === 0xab)).toBe(true);
    // The same header with 40 bytes left: decodes what is there and says what is missing.
    const short = decode(encode([ethernet({ src: '00:00:00:00:00:01', dst: '00:00:00:00:00:02', type: 0x0806 }), payload(body.subarray(0, 40))]), 1);
    expect(short.malformed[0]).toMatchObject({ layer: 'arp', offset: 54 });
  });

  it('every prefix of a real reply decodes without throwing', () => {
    for (let n = 0; n <= REPLY.length; n++) {
      const d = decode(REPLY.subarray(0, n), 1);
      for (const l of d.layers) expect(l.offset + l.length).toBeLessThanOrEqual(n);
      if (n > 14 && n < 42) expect(d.malformed.some((m) => m.layer === 'arp')).toBe(true);
    }
  });

  it('random packets survive encode/decode', () => {
    const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
    const ip = fc.uint8Array({ minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), mac, ip, mac, ip, (op, sha, spa, tha, tpa) => {
        const frame = encode([ethernet({ src: sha, dst: 'ff:ff:ff:ff:ff:ff' }), arp({ op, senderMac: sha, senderIp: spa, targetMac: tha, targetIp: tpa })]);
        const a = decode(frame, 1).layers[1].value as Arp;
        expect(a).toEqual({
          hwType: 1,
          protoType: 0x0800,
          hwSize: 6,
          protoSize: 4,
          opcode: op,
          senderHw: sha,
          senderProto: spa,
          targetHw: tha,
          targetProto: tpa,
        });
      }),
      { numRuns: 200 },
    );
  });
});
