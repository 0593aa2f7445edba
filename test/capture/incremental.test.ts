// The one parser, fed in chunks of any size, gives what it gives fed all at once; and no damage to a
// file makes it throw anything but CaptureFormatError (file level) or loop.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.ts';
import { parseCapture } from '../../src/capture/read.ts';
import { CaptureFormatError, type CapturedPacket } from '../../src/capture/types.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const DIR = SHARED_CAPTURES;
const samples = readdirSync(DIR)
  .filter((f) => /\.pcap(ng)?$/.test(f))
  .sort()
  .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(DIR, f))) }));
const readable = samples.filter((s) => !s.name.startsWith('malformed-linktype') && !s.name.startsWith('malformed-pcap'));

function feed(bytes: Uint8Array, cuts: number[]): { packets: CapturedPacket[]; error?: string; warnings: string[]; thrown?: unknown } {
  const p = new CaptureParser('x');
  const packets: CapturedPacket[] = [];
  try {
    let at = 0;
    for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
      p.push(bytes.subarray(at, c));
      at = c;
      for (let x = p.next(); x !== undefined; x = p.next()) packets.push(x);
    }
    p.end();
    for (let x = p.next(); x !== undefined; x = p.next()) packets.push(x);
  } catch (e) {
    return { packets, warnings: [], thrown: e };
  }
  return { packets, error: p.error?.message, warnings: p.warnings.map((w) => w.message) };
}

function summary(ps: CapturedPacket[]): string[] {
  return ps.map((p) => `${p.number}/${p.interfaceId}/${p.tsSec}.${p.tsNsec}/${p.origLength}/${Buffer.from(p.data).toString('hex')}/${p.comments.join('|')}`);
}

describe('incremental parsing', () => {
  it('gives the same packets byte by byte as in one piece, for every shared capture', () => {
    for (const s of readable) {
      const whole = feed(s.bytes, []);
      const bytewise = feed(
        s.bytes,
        Array.from({ length: s.bytes.length }, (_, i) => i),
      );
      expect(summary(bytewise.packets), s.name).toEqual(summary(whole.packets));
      expect(bytewise.error).toEqual(whole.error);
    }
  });

  it('gives the same packets for any chunking (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...readable), fc.array(fc.nat(40_000), { maxLength: 30 }), (s, cuts) => {
        const whole = feed(s.bytes, []);
        const chunked = feed(s.bytes, cuts);
        expect(summary(chunked.packets)).toEqual(summary(whole.packets));
        expect(chunked.warnings).toEqual(whole.warnings);
      }),
      { numRuns: 150 },
    );
  });

  it('never throws anything but CaptureFormatError on truncated or corrupted files (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(5000), { maxLength: 5 }),
        (s, cutAt, flips, cuts) => {
          const bytes = s.bytes.slice(0, s.bytes.length === 0 ? 0 : cutAt % (s.bytes.length + 1) || s.bytes.length);
          for (const [pos, v] of flips) if (bytes.length > 0) bytes[pos % bytes.length] = v;
          const r = feed(bytes, cuts);
          if (r.thrown !== undefined) expect(r.thrown).toBeInstanceOf(CaptureFormatError);
          // Chunking never changes the outcome, even on damaged input.
          const one = feed(bytes, []);
          expect(summary(r.packets)).toEqual(summary(one.packets));
          expect(r.error).toEqual(one.error);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('parseCapture is the same parser', () => {
    const s = readable.find((x) => x.name.startsWith('pcapng-multi-interface'));
    expect(s).toBeDefined();
    const viaParse = parseCapture(s!.bytes);
    expect(summary(viaParse.packets)).toEqual(summary(feed(s!.bytes, [1, 2, 3, 100, 1000]).packets));
  });
});
