// Fuzz: random and mutated TLS bytes (real records from the shared captures and hellos the codec
// builds) through the TLS codec and, cut into TCP segments on port 443 and on a heuristic port,
// through the dissector with its stream reassembly. A bounded number of iterations with fixed seeds:
// nothing may throw, nothing decoded may be larger than the input could hold.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, ethernet, ipv4, payload, tcp } from '../../src/wire/index.ts';
import type { Tcp } from '../../src/wire/tcp.ts';
import {
  clientHelloRecord,
  decodeClientHello,
  decodeHandshakeMessages,
  decodeServerHello,
  decodeTlsRecords,
  encodeApplicationData,
  encodeChangeCipherSpec,
  encodeRecord,
  encodeServerHello,
  tlsExt,
  type ClientHello,
} from '../../src/wire/tls.ts';
import { rng } from '../helpers/rng.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;

/** TLS bytes: the TCP payloads of the shared TLS captures, and a flight the codec builds. */
function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(CAPTURES).filter((n) => n.startsWith('tls'));
  } catch {
    files = [];
  }
  for (const f of files) {
    for (const p of parseCapture(readFileSync(join(CAPTURES, f))).packets) {
      const t = decode(p.data, p.iface.linkType).layers.find((l) => l.kind === 'tcp');
      if (t === undefined) continue;
      const v = t.value as Tcp;
      const start = t.offset + v.headerLength;
      if (p.data.length - start > 5) out.push(p.data.slice(start));
    }
  }
  out.push(
    clientHelloRecord({
      cipherSuites: [0x1301, 0xc02b],
      extensions: [
        tlsExt.serverName('fuzz.test'),
        tlsExt.alpn(['h2']),
        tlsExt.supportedVersions([0x0304]),
        tlsExt.keyShare([{ group: 'x25519', key: new Uint8Array(32) }]),
        tlsExt.signatureAlgorithms([0x0403]),
      ],
    }),
  );
  out.push(
    Uint8Array.from([
      ...encodeRecord({
        contentType: 22,
        fragment: encodeServerHello({
          cipherSuite: 0x1301,
          extensions: [tlsExt.selectedVersion(0x0304), tlsExt.keyShareServer({ group: 29, key: new Uint8Array(32) })],
        }),
      }),
      ...encodeChangeCipherSpec(),
      ...encodeApplicationData(new Uint8Array(64).fill(3)),
    ]),
  );
  return out;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = Array.from(src);
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * Math.max(b.length, 1));
    const what = r();
    if (what < 0.5) b[at] = Math.floor(r() * 256);
    else if (what < 0.7) b.splice(at, 1);
    else if (what < 0.85) b.splice(at, 0, Math.floor(r() * 256));
    else b.length = at;
  }
  return Uint8Array.from(b);
}

function randomBytes(r: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(r() * max) }, () => Math.floor(r() * 256));
}

/** Every decoder of the codec on `b`; checks that what they return fits in `b`. */
function decodeAll(b: Uint8Array): void {
  for (const rec of decodeTlsRecords(b)) {
    expect(rec.record.fragmentOffset + rec.record.available).toBeLessThanOrEqual(b.length);
    for (const m of rec.handshakes ?? []) {
      if (m.body.kind === 'client-hello') {
        expect(m.body.cipherSuites.length * 2).toBeLessThanOrEqual(b.length);
        expect(m.body.extensions.length * 4).toBeLessThanOrEqual(b.length);
      }
    }
  }
  const h: ClientHello = decodeClientHello(b, 0, b.length);
  expect(h.sessionId.length + h.random.length).toBeLessThanOrEqual(b.length);
  decodeServerHello(b, 0, b.length);
  for (const ctx of [{}, { version: 0x0304 }, { version: 0x0303, keyExchange: 'ecdhe' as const }]) decodeHandshakeMessages(b, 0, b.length, ctx);
}

function packet(n: number, data: Uint8Array): CapturedPacket {
  return {
    number: n,
    interfaceId: 0,
    iface: { linkType: 1, snapLength: 262144, tsResolution: 1e6, fcsLength: 0 },
    tsSec: 0,
    tsNsec: n * 1000,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  } as CapturedPacket;
}

/** The stream cut into segments at random points, as frames from port 50000 to `port`. */
function segments(stream: Uint8Array, r: () => number, port: number, first: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < stream.length) {
    const n = 1 + Math.floor(r() * 700);
    // Now and then a segment is sent again or skipped over.
    const seq = 1000 + off;
    out.push(
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
        ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
        tcp({ sport: 50000 + first, dport: port, seq, ack: 1, flags: 'PA' }),
        payload(stream.subarray(off, off + n)),
      ]),
    );
    const roll = r();
    if (roll < 0.05) continue;
    off += roll < 0.1 ? n + 7 : n;
  }
  return out;
}

function noDissectorErrors(frames: readonly Uint8Array[]): void {
  const state = new DissectState();
  frames.forEach((f, i) => {
    const d = dissect(packet(i + 1, f), state);
    expect(d.malformed.filter((m) => m.reason.startsWith('dissector error'))).toEqual([]);
  });
}

describe('TLS fuzz', () => {
  const real = seeds();

  it('finds TLS payloads to start from', () => {
    expect(real.length).toBeGreaterThan(10);
  });

  it('mutated real records: the codec never throws (3000 iterations)', () => {
    const r = rng(0x7157);
    for (let i = 0; i < 3000; i++) decodeAll(mutate(real[i % real.length], r));
  });

  it('random bytes, alone and after a record header: the codec never throws (3000 iterations)', () => {
    const r = rng(0x7158);
    for (let i = 0; i < 3000; i++) {
      const b = randomBytes(r, 300);
      decodeAll(b);
      decodeAll(Uint8Array.from([22, 3, 3, b.length >> 8, b.length & 0xff, 1, 0, b.length >> 8, b.length & 0xff, ...b]));
    }
  });

  it('mutated TLS streams in random segments: the dissector never throws (300 streams)', () => {
    const r = rng(0x7159);
    for (let i = 0; i < 300; i++) {
      const parts = [real[i % real.length], real[(i * 7 + 3) % real.length]].map((p) => (r() < 0.7 ? mutate(p, r) : p));
      const stream = Uint8Array.from(parts.flatMap((p) => [...p]));
      noDissectorErrors(segments(stream, r, i % 2 === 0 ? 443 : 40443, i));
    }
  });

  it('random payloads on port 443 in random segments: the dissector never throws (200 streams)', () => {
    const r = rng(0x715a);
    for (let i = 0; i < 200; i++) {
      // A record header with a random (often huge) length, then noise.
      const noise = randomBytes(r, 3000);
      const stream = Uint8Array.from([20 + Math.floor(r() * 6), 3, Math.floor(r() * 5), Math.floor(r() * 256), Math.floor(r() * 256), ...noise]);
      noDissectorErrors(segments(stream, r, 443, i));
    }
  });
});
