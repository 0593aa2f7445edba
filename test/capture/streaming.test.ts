// Reading streams in constant memory: a ~50 MB capture (plain and gzip) is read while the memory the
// process retains stays a small fraction of the file. A behaviour check, not a timing test.

import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { openCapture, readCapture } from '../../src/capture/read.ts';

const PACKETS = 50_000;
const SIZE = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Memory the process holds after a full collection: JS heap plus ArrayBuffers (file chunks). */
function retained(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const dir = mkdtempSync(join(tmpdir(), 'netlab-capture-stream-'));
const plain = join(dir, 'big.pcapng');
const gz = join(dir, 'big.pcapng.gz');

beforeAll(async () => {
  const w = PcapngWriter.toFile(plain, { interfaces: [{ linkType: 1, name: 'big0' }] });
  const data = new Uint8Array(SIZE);
  for (let i = 0; i < PACKETS; i++) {
    data[0] = i & 0xff;
    data[1] = (i >> 8) & 0xff;
    if (!w.write({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000, data })) await w.drained();
  }
  await w.close();
  await pipeline(createReadStream(plain), createGzip({ level: 1 }), createWriteStream(gz));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readWatchingMemory(path: string): Promise<{ count: number; growth: number; lastTs: [number, number] }> {
  const base = retained();
  let growth = 0;
  let count = 0;
  let lastTs: [number, number] = [0, 0];
  const cap = await openCapture(path);
  for await (const p of cap.packets()) {
    count++;
    if ((p.data[0] | (p.data[1] << 8)) !== ((count - 1) & 0xffff)) throw new Error(`packet ${count} out of order`);
    lastTs = [p.tsSec, p.tsNsec];
    if (count % 10_000 === 0) growth = Math.max(growth, retained() - base);
  }
  expect(cap.error).toBeUndefined();
  return { count, growth, lastTs };
}

describe('streaming a large capture', () => {
  it('reads a ~50 MB pcapng in constant memory', async () => {
    const size = statSync(plain).size;
    expect(size).toBeGreaterThan(50_000_000);
    const r = await readWatchingMemory(plain);
    expect(r.count).toBe(PACKETS);
    expect(r.lastTs).toEqual([1_700_000_049, 999_000_000]);
    expect(r.growth).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);

  it('reads the same capture gzip-compressed, streaming through gunzip', async () => {
    expect(statSync(gz).size).toBeLessThan(statSync(plain).size / 10);
    const r = await readWatchingMemory(gz);
    expect(r.count).toBe(PACKETS);
    expect(r.growth).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);

  it('stops early without reading the rest when the loop breaks, and closes the file', async () => {
    let n = 0;
    for await (const p of readCapture(plain)) {
      n += p.data.length > 0 ? 1 : 0;
      if (n === 10) break;
    }
    expect(n).toBe(10);
  });
});
