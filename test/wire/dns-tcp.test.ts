// DNS over TCP framing: the two-byte length prefix and the streaming deframer (several messages in one
// chunk, one message across many chunks, a prefix split in two, zero-length messages).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';

const msg = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('DNS over TCP framing', () => {
  it('prefixes the length and refuses a message over 65535 bytes', () => {
    expect(Array.from(frameDnsTcp(new Uint8Array([9, 8, 7])))).toEqual([0, 3, 9, 8, 7]);
    expect(() => frameDnsTcp(new Uint8Array(65536))).toThrow(/65536 bytes/);
  });

  it('hands out several messages from one chunk, in order', () => {
    const d = new DnsTcpDeframer();
    const out = d.push(new Uint8Array([...frameDnsTcp(msg(3, 1)), ...frameDnsTcp(msg(0, 0)), ...frameDnsTcp(msg(5, 2))]));
    expect(out.map((m) => Array.from(m))).toEqual([[1, 1, 1], [], [2, 2, 2, 2, 2]]);
    expect(d.idle).toBe(true);
  });

  it('collects one message across byte-sized chunks, prefix included', () => {
    const d = new DnsTcpDeframer();
    const framed = frameDnsTcp(msg(300, 7));
    const got: Uint8Array[] = [];
    for (let i = 0; i < framed.length; i++) {
      got.push(...d.push(framed.subarray(i, i + 1)));
      if (i < framed.length - 1) expect(got).toEqual([]);
    }
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(msg(300, 7));
    expect(d.buffered).toBe(0);
  });

  it('property: any split of a stream of messages gives back the messages', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }), fc.array(fc.nat(700), { maxLength: 20 }), (messages, cuts) => {
        const stream = new Uint8Array(messages.reduce((n, m) => n + 2 + m.length, 0));
        let o = 0;
        for (const m of messages) {
          stream.set(frameDnsTcp(m), o);
          o += 2 + m.length;
        }
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const d = new DnsTcpDeframer();
        const got: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          got.push(...d.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(got).toEqual(messages.map((m) => new Uint8Array(m)));
        expect(d.idle).toBe(true);
      }),
      { numRuns: 200, seed: 53 },
    );
  });
});
