// Property and fuzz tests of the DER reader and the X.509 decoder (fast-check, fixed seeds):
//   - random DER trees encoded here read back as the same tags, lengths and nesting;
//   - random bytes and mutated certificates never make the reader, the decoder or the dissector's
//     X.509 mapper throw, and nothing they report lies outside the input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDerError, readTlv, walkDer } from '../../src/wire/der.ts';
import { decodeCertificateDer } from '../../src/wire/x509.ts';
import { certificateTree } from '../../src/dissect/protocols/x509-fields.ts';
import { walkFields } from '../../src/dissect/field.ts';
import { testCertificates } from '../dissect/x509-certs.ts';

interface Node {
  cls: number;
  tag: number;
  kids?: Node[];
  bytes?: Uint8Array;
}

const leaf = fc.record({
  cls: fc.integer({ min: 0, max: 3 }),
  tag: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 31, max: 100000 })),
  bytes: fc.uint8Array({ maxLength: 300 }),
});
const tree = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ cls: fc.integer({ min: 0, max: 3 }), tag: fc.integer({ min: 0, max: 40 }), kids: fc.array(tie('node'), { maxLength: 5 }) }),
  ),
})).node;

function lengthBytes(n: number, longForm: boolean): number[] {
  if (n < 0x80 && !longForm) return [n];
  const out: number[] = [];
  for (let v = n; v > 0 || out.length === 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function encode(n: Node, longForm: boolean): number[] {
  const content = n.kids !== undefined ? n.kids.flatMap((k) => encode(k, longForm)) : [...(n.bytes ?? [])];
  const id = (n.cls << 6) | (n.kids !== undefined ? 0x20 : 0);
  let tag: number[];
  if (n.tag < 31) tag = [id | n.tag];
  else {
    const t: number[] = [];
    for (let v = n.tag; v > 0; v = Math.floor(v / 128)) t.unshift((v & 0x7f) | (t.length > 0 ? 0x80 : 0));
    tag = [id | 0x1f, ...t];
  }
  return [...tag, ...lengthBytes(content.length, longForm), ...content];
}

function flatten(n: Node, depth: number, out: string[]): void {
  out.push(`${depth}:${n.cls}:${n.tag}:${n.kids !== undefined}`);
  for (const k of n.kids ?? []) flatten(k, depth + 1, out);
}

const CERTS = testCertificates();

describe('DER reader properties', () => {
  it('reads back every tree it is given, in short or long length form', () => {
    fc.assert(
      fc.property(tree, fc.boolean(), (n, longForm) => {
        const bytes = Uint8Array.from(encode(n, longForm));
        const want: string[] = [];
        flatten(n, 0, want);
        const got: string[] = [];
        const err = walkDer(bytes, 0, bytes.length, (t, depth) => got.push(`${depth}:${t.cls}:${t.tag}:${t.constructed}`), 64);
        expect(err).toBeUndefined();
        expect(got).toEqual(want);
      }),
      { seed: 0x5eed, numRuns: 400 },
    );
  });

  it('never throws on random bytes, and every header it accepts lies inside them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(600), (b, at) => {
        const t = readTlv(b, at);
        if (!isDerError(t)) {
          expect(t.offset).toBe(at);
          expect(t.contentOffset).toBeGreaterThan(at);
          expect(t.end).toBeLessThanOrEqual(b.length);
        }
        walkDer(b, 0, b.length, (x) => {
          expect(x.end).toBeLessThanOrEqual(b.length);
        });
        const c = decodeCertificateDer(b);
        if (c.error !== undefined) expect(c.error.offset).toBeLessThanOrEqual(b.length);
      }),
      { seed: 0xd3e, numRuns: 2000 },
    );
  });
});

describe('X.509 decoder and mapper fuzz', () => {
  const seeds = Object.values(CERTS);

  it('mutated certificates (flipped bytes, cuts, broken length octets) never throw, and fields stay inside the bytes', () => {
    const mutation = fc.record({
      which: fc.nat(seeds.length - 1),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      lengthByte: fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0x81, 0x84, 0x85, 0x88, 0xff)), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        const src = seeds[m.which];
        const b = Uint8Array.from(src);
        for (const [at, v] of m.flips) b[at % b.length] = v;
        if (m.lengthByte !== undefined) b[1 + (m.lengthByte[0] % (b.length - 1))] = m.lengthByte[1];
        const bytes = m.cut !== undefined ? b.subarray(0, m.cut % (b.length + 1)) : b;
        const c = decodeCertificateDer(bytes);
        if (c.error !== undefined) expect(c.error.offset).toBeLessThanOrEqual(bytes.length);
        const out = { layers: [] as string[] };
        const t = certificateTree(bytes, 0, bytes.length, out);
        for (const f of walkFields(t.fields)) {
          expect(f.offset).toBeGreaterThanOrEqual(0);
          expect(f.offset + f.length).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { seed: 0xce47, numRuns: 1500 },
    );
  });
});
