// Fuzz: random bytes and mutated real frames (from the shared captures) through decode() and
// dissect(), a bounded number of iterations with a fixed seed. Nothing may throw, every frame must
// come back with a bounded number of layers, and memory must not grow with the input's lies.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { decode, MAX_LAYERS } from '../../src/wire/decode.ts';
import { dissectAll } from '../interop/agreement.ts';
import { rng } from '../helpers/rng.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;
const LINK_TYPES = [0, 1, 12, 101, 113, 228, 229, 276];

function packet(data: Uint8Array, linkType: number, fcsLength = 0): CapturedPacket {
  return {
    number: 1,
    interfaceId: 0,
    iface: { linkType, snapLength: 262144, tsResolution: 1e6, fcsLength },
    tsSec: 0,
    tsNsec: 0,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  };
}

async function seeds(): Promise<{ data: Uint8Array; linkType: number }[]> {
  const out: { data: Uint8Array; linkType: number }[] = [];
  const files = readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f) && !/^malformed-(pcap|linktype)/.test(f));
  for (const f of files) {
    try {
      for (const d of await dissectAll(join(CAPTURES, f))) out.push({ data: d.packet.data, linkType: d.packet.iface.linkType });
    } catch {
      // unreadable files are covered by the capture tests
    }
  }
  return out;
}

describe('dissector fuzz', () => {
  it('survives random bytes on every link type', () => {
    const r = rng(0xc0ffee);
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(r() * 200);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
      const lt = LINK_TYPES[i % LINK_TYPES.length];
      const res = decode(b, lt, { fcsLength: i % 7 === 0 ? 4 : 0 });
      expect(res.layers.length).toBeLessThanOrEqual(MAX_LAYERS + 1);
      dissect(packet(b, lt, i % 7 === 0 ? 4 : 0));
    }
  });

  it('survives mutated real frames (bit flips, truncation, length lies) with bounded memory', async () => {
    const pool = await seeds();
    expect(pool.length).toBeGreaterThan(300);
    const r = rng(1234567);
    const state = new DissectState();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 30_000; i++) {
      const s = pool[Math.floor(r() * pool.length)];
      const b = s.data.slice();
      const mode = i % 4;
      if (mode === 0) {
        for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
      } else if (mode === 1) {
        // length fields are where parsers go wrong: write 0x00, 0xff or a random byte at a random spot
        b[Math.floor(r() * b.length)] = [0, 0xff, Math.floor(r() * 256)][Math.floor(r() * 3)];
      }
      const cut = mode === 2 ? Math.floor(r() * b.length) : b.length;
      const res = dissect(packet(b.subarray(0, cut), s.linkType), state);
      expect(res.protos.length).toBeGreaterThan(0);
    }
    const grown = process.memoryUsage().heapUsed - before;
    // 30,000 frames of at most a few KB each went through: the heap must not hold them all.
    expect(grown).toBeLessThan(200 * 1024 * 1024);
  });
});
