import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/capture/byte-queue.ts';

describe('ByteQueue', () => {
  it('peeks across chunks, keeps the rest of a partly used chunk, and tracks the offset', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2));
    q.push(Uint8Array.of(3, 4, 5));
    q.push(Uint8Array.of(6));
    expect([...q.peek(3)]).toEqual([1, 2, 3]);
    expect([...q.peek(6)]).toEqual([1, 2, 3, 4, 5, 6]);
    q.skip(4);
    expect(q.offset).toBe(4);
    expect(q.length).toBe(2);
    expect([...q.peek(2)]).toEqual([5, 6]);
    expect(() => q.peek(3)).toThrow(RangeError);
  });

  it('discards bytes that have not arrived yet', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(1, 2, 3));
    q.discard(5);
    expect(q.length).toBe(0);
    expect(q.discarding).toBe(true);
    q.push(Uint8Array.of(4));
    q.push(Uint8Array.of(5, 6, 7));
    expect(q.discarding).toBe(false);
    expect([...q.peek(2)]).toEqual([6, 7]);
    expect(q.offset).toBe(5);
  });

  it('hands out the pushed stream in order whatever the chunking and read sizes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(40), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }),
        (data, cuts, reads) => {
          const q = new ByteQueue();
          let at = 0;
          for (const c of cuts) {
            q.push(data.subarray(at, Math.min(data.length, at + c)));
            at = Math.min(data.length, at + c);
          }
          q.push(data.subarray(at));
          const out: number[] = [];
          for (const r of reads) {
            const n = Math.min(r, q.length);
            out.push(...q.peek(n));
            q.skip(n);
          }
          out.push(...q.peek(q.length));
          expect(out).toEqual([...data]);
        },
      ),
    );
  });
});
