// gzip-compressed captures are read transparently, from a file (streaming) and from bytes; a cut
// gzip stream yields the packets before the cut and says the gzip data is damaged.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.ts';
import { openCapture, parseCapture, readCapture } from '../../src/capture/read.ts';
import { CaptureRecordError } from '../../src/capture/problems.ts';
import { CaptureFormatError, type CapturedPacket } from '../../src/capture/types.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-capture-gzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = [join(SHARED_CAPTURES, 'dns-edns-ecs-tc-tcp-retry-zeek.pcap'), join(SHARED_CAPTURES, 'pcapng-multi-interface-pcapplusplus.pcapng')];

function hex(ps: CapturedPacket[]): string[] {
  return ps.map((p) => `${p.tsSec}.${p.tsNsec} ${Buffer.from(p.data).toString('hex')}`);
}

describe('gzip-compressed captures', () => {
  for (const sample of SAMPLES) {
    it(`reads ${sample.split('/').pop()}.gz like the plain file`, async () => {
      const raw = readFileSync(sample);
      const path = join(dir, `${sample.split('/').pop()}.gz`);
      writeFileSync(path, gzipSync(raw));
      const plain = parseCapture(raw);
      const cap = await openCapture(path, { chunkSize: 1000 });
      expect(cap.compressed).toBe(true);
      expect(cap.format).toBe(plain.format);
      const ps: CapturedPacket[] = [];
      for await (const p of cap.packets()) ps.push(p);
      expect(hex(ps)).toEqual(hex(plain.packets));
      expect(cap.interfaces).toEqual(plain.interfaces);
      const mem = parseCapture(gzipSync(raw));
      expect(mem.compressed).toBe(true);
      expect(hex(mem.packets)).toEqual(hex(plain.packets));
    });
  }

  it('reports a cut gzip stream after the packets before the cut', async () => {
    const raw = readFileSync(SAMPLES[0]);
    const z = gzipSync(raw);
    const path = join(dir, 'cut.pcap.gz');
    writeFileSync(path, z.subarray(0, Math.floor(z.length / 2)));
    const cap = await openCapture(path);
    let n = 0;
    for await (const _ of cap.packets()) n++;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(89);
    expect(cap.error).toBeInstanceOf(CaptureRecordError);
    expect(cap.error?.message).toContain('the gzip data is damaged');
    const mem = parseCapture(z.subarray(0, Math.floor(z.length / 2)));
    expect(mem.packets.length).toBe(n);
    expect(mem.error?.message).toContain('the gzip data is damaged');
    // readCapture throws the error after the last good packet.
    let m = 0;
    await expect(
      (async () => {
        for await (const _ of readCapture(path)) m++;
      })(),
    ).rejects.toThrow(/gzip data is damaged/);
    expect(m).toBe(n);
  });

  it('refuses gzip of something that is not a capture, and raw gzip fed to the bare parser', async () => {
    const path = join(dir, 'text.gz');
    writeFileSync(path, gzipSync(Buffer.from('just some text, no capture here')));
    await expect(openCapture(path)).rejects.toThrow(CaptureFormatError);
    const p = new CaptureParser('z');
    p.push(gzipSync(Buffer.from('x')));
    p.end();
    expect(() => p.next()).toThrow(/gzip-compressed data/);
  });
});
