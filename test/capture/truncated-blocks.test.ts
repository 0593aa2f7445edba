// Hostile capture structure: a pcapng block shorter than its own header, and a gzip capture cut short
// read in small chunks. Reading reports what is wrong and where, after every good packet.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { openCapture, parseCapture } from '../../src/capture/read.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-trunc-'));

function capture(n: number, data: (i: number) => Uint8Array): Uint8Array {
  const w = new PcapngWriter({ interfaces: [{ linkType: 1 }] });
  for (let i = 0; i < n; i++) w.write({ tsSec: 1_700_000_000 + i, tsNsec: 0, data: data(i) });
  return w.toBytes();
}

/** A block header and trailer with nothing between: `type`, total length 12. */
function emptyBlock(type: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, 12, true);
  dv.setUint32(8, 12, true);
  return b;
}

describe('a pcapng block shorter than its header', () => {
  for (const [name, type, body] of [
    ['Enhanced Packet Block', 6, 0],
    ['Enhanced Packet Block', 6, 16],
    ['Packet Block', 2, 4],
  ] as const) {
    it(`stops at ${name} with ${body} body bytes, naming it and its offset, after the good frames`, () => {
      const good = capture(2, () => new Uint8Array(60));
      const blk = new Uint8Array(12 + body);
      const dv = new DataView(blk.buffer);
      dv.setUint32(0, type, true);
      dv.setUint32(4, 12 + body, true);
      dv.setUint32(8 + body, 12 + body, true);
      const bytes = new Uint8Array([...good, ...blk]);
      const cap = parseCapture(bytes, 'short.pcapng');
      expect(cap.packets).toHaveLength(2);
      expect(cap.error).toBeDefined();
      expect(cap.error?.offset).toBe(good.length);
      expect(cap.error?.frame).toBe(3);
      expect(cap.error?.message).toContain(`byte ${good.length}`);
      expect(cap.error?.message).toMatch(new RegExp(`${name} of ${12 + body} bytes is shorter than its header`));
      expect(cap.error?.message).not.toMatch(/DataView|outside the bounds/);
    });
  }

  it('never lets a DataView error out for any 12..40-byte block of any parsed type', () => {
    const good = capture(1, () => new Uint8Array(60));
    for (const type of [1, 2, 3, 6, 0x0a]) {
      for (let len = 12; len <= 40; len += 4) {
        const blk = new Uint8Array(len);
        const dv = new DataView(blk.buffer);
        dv.setUint32(0, type, true);
        dv.setUint32(4, len, true);
        dv.setUint32(len - 4, len, true);
        const cap = parseCapture(new Uint8Array([...good, ...blk, ...emptyBlock(6)]), 'x.pcapng');
        expect(cap.packets.length).toBeGreaterThanOrEqual(1);
        expect(cap.error?.message ?? '').not.toMatch(/DataView|outside the bounds/);
      }
    }
  });
});

describe('a gzip capture cut short, read in small chunks', () => {
  // Half random, half zero bytes: compressible, so a cut lands inside deflate data.
  const whole = capture(200, () => new Uint8Array([...randomBytes(100), ...new Uint8Array(100)]));
  const gz = gzipSync(whole);

  for (const cut of [9, 30, 700, 3000]) {
    it(`delivers every complete packet and reports the truncation (cut ${cut} bytes)`, async () => {
      const t = gz.subarray(0, gz.length - cut);
      const file = join(dir, `cut-${cut}.pcapng.gz`);
      writeFileSync(file, t);
      const inMemory = parseCapture(t).packets.length;
      expect(inMemory).toBeGreaterThan(0);
      for (const chunkSize of [5, 100, 1000, 65536]) {
        const cap = await openCapture(file, { chunkSize });
        let n = 0;
        for await (const p of cap.packets()) {
          expect(p.tsSec).toBe(1_700_000_000 + n);
          n++;
        }
        expect(n, `chunk size ${chunkSize}`).toBe(inMemory);
        expect(cap.error?.message, `chunk size ${chunkSize}`).toMatch(/gzip data is damaged \(unexpected end of file\)/);
      }
    });
  }

  it('reports nothing on the complete file', async () => {
    const file = join(dir, 'whole.pcapng.gz');
    writeFileSync(file, gz);
    const cap = await openCapture(file, { chunkSize: 100 });
    let n = 0;
    for await (const _ of cap.packets()) n++;
    expect(n).toBe(200);
    expect(cap.error).toBeUndefined();
  });
});
