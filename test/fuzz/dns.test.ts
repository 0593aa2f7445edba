// Fuzz: random bytes and mutated real DNS messages (from the shared captures) through the DNS decoder
// and through the dissector (as UDP port 53 and TCP port 53 frames), a bounded number of iterations
// with fixed seeds. Nothing may throw, every error names an offset inside the message, and nothing
// the decoder returns is larger than the input could hold.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { decode } from '../../src/wire/decode.ts';
import { decodeDnsMessage, frameDnsTcp, type DnsLayer } from '../../src/wire/dns.ts';
import { encode, ethernet, ipv4, payload, tcp, udp } from '../../src/wire/index.ts';
import { rng } from '../helpers/rng.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;

/** The DNS messages of the shared captures. */
function realMessages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of readdirSync(CAPTURES).filter((n) => n.startsWith('dns-') || n.includes('-dns'))) {
    for (const p of parseCapture(readFileSync(join(CAPTURES, f))).packets) {
      const l = decode(p.data, p.iface.linkType).layers.find((x) => x.kind === 'dns' || x.kind === 'dns-tcp');
      if (l === undefined) continue;
      const v = l.value as DnsLayer;
      out.push(p.data.slice(v.messageOffset, v.messageOffset + v.messageLength));
    }
  }
  return out;
}

function packet(data: Uint8Array): CapturedPacket {
  return {
    number: 1,
    interfaceId: 0,
    iface: { linkType: 1, snapLength: 262144, tsResolution: 1e6, fcsLength: 0 },
    tsSec: 0,
    tsNsec: 0,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  } as CapturedPacket;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = new Uint8Array(src);
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = Math.floor(r() * b.length);
    const k = r();
    // Favour the bytes that steer a decoder: lengths, pointers, counts.
    b[at] = k < 0.3 ? 0xc0 | Math.floor(r() * 4) : k < 0.5 ? 0xff : k < 0.6 ? 0 : Math.floor(r() * 256);
  }
  return r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
}

function checkDecoder(b: Uint8Array): void {
  const res = decodeDnsMessage(b);
  if (!res.ok) {
    expect(res.error.offset).toBeGreaterThanOrEqual(0);
    expect(res.error.offset).toBeLessThanOrEqual(b.length);
    expect(res.error.reason.length).toBeGreaterThan(0);
    return;
  }
  const m = res.message;
  // Every question takes >= 5 bytes and every record >= 11: counts cannot inflate the result.
  expect(m.questions.length * 5 + (m.answers.length + m.authorities.length + m.additionals.length) * 11).toBeLessThanOrEqual(b.length);
}

const frameUdp = (m: Uint8Array): Uint8Array =>
  encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
    udp({ sport: 53, dport: 40000 }),
    payload(m),
  ]);
const frameTcp = (m: Uint8Array): Uint8Array =>
  encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
    tcp({ sport: 53, dport: 40000, flags: 'PA' }),
    payload(frameDnsTcp(m.subarray(0, 0xffff))),
  ]);

describe('DNS fuzz', () => {
  const real = realMessages();

  it('finds real DNS messages in the shared captures', () => {
    expect(real.length).toBeGreaterThan(100);
  });

  it('mutated real messages: decoder and dissector never throw (3000 iterations)', () => {
    const r = rng(0x53);
    const state = new DissectState();
    for (let i = 0; i < 3000; i++) {
      const m = mutate(real[Math.floor(r() * real.length)], r);
      checkDecoder(m);
      if (i % 3 === 0) {
        const d = dissect(packet(i % 2 === 0 ? frameUdp(m) : frameTcp(m)), state);
        expect(d.protos.length).toBeGreaterThan(0);
        // dissect() turns a mapper's exception into a malformation: there must be none.
        expect(d.malformed.filter((x) => x.reason.startsWith('dissector error'))).toEqual([]);
      }
    }
  });

  it('random bytes after a valid header: decoder and dissector never throw (3000 iterations)', () => {
    const r = rng(0x3597);
    const state = new DissectState();
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(r() * 300);
      const b = new Uint8Array(n);
      for (let k = 0; k < n; k++) b[k] = r() < 0.15 ? 0xc0 : Math.floor(r() * 256);
      checkDecoder(b);
      if (i % 3 === 0) expect(dissect(packet(frameUdp(b)), state).malformed.filter((x) => x.reason.startsWith('dissector error'))).toEqual([]);
    }
  });

  it('a worst case stays fast: a maximal message of pointer chains', () => {
    // 65535 bytes of questions whose names point back one name each: decoding is bounded by the
    // 255-octet name limit and the backwards-only pointer rule.
    const b = new Uint8Array(65535);
    b.set([0x12, 0x34, 0x01, 0x00, 0xff, 0xff], 0);
    let p = 12;
    b.set([1, 0x61, 0, 0, 1, 0, 1], p);
    let prev = p;
    p += 7;
    while (p + 8 <= b.length) {
      b.set([1, 0x61, 0xc0 | (prev >> 8), prev & 0xff, 0, 1, 0, 1], p);
      prev = p;
      p += 8;
      if (prev > 0x3fff) break;
    }
    const res = decodeDnsMessage(b);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.reason).toMatch(/longer than 255 octets|runs past|truncated/);
  });
});
