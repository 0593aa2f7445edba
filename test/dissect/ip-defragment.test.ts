// IP fragments that overlap or repeat, reassembled in the dissector as Wireshark reassembles them
// (the virtual network's reassembler keeps refusing them: test/wire covers that), beside tshark 4.0:
// a later fragment rewriting earlier bytes, a fragment wholly inside bytes already given (same and
// different bytes), an exact repeat before the datagram is whole, a repeat after it is whole, and
// the same over IPv6.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WiresharkDefragmenter } from '../../src/dissect/protocols/ip-defragment.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { encode, ethernet, ipv4, ipv6, ipv6Fragment, payload, udp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { writeFrames } from './tls-capture.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-defrag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const A = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const v4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const v6 = { src: 'fd00::1', dst: 'fd00::2' };
const fill = (n: number, c: number): Uint8Array => new Uint8Array(n).fill(c);

/** A UDP datagram's bytes (header and payload) for the fragments to carry. */
function datagram(n: number, sport: number): Uint8Array {
  return encode([ipv4(v4), udp({ sport, dport: 40000 }), payload(Uint8Array.from({ length: n }, (_, i) => (i * 37 + 0x90) & 0xff))]).subarray(20);
}

function frag4(id: number, offsetBytes: number, more: boolean, data: Uint8Array): Uint8Array {
  return encode([ethernet(A), ipv4({ ...v4, id, mf: more, fragmentOffset: offsetBytes / 8, protocol: 17 }), payload(data)]);
}

function frag6(id: number, offsetBytes: number, more: boolean, data: Uint8Array): Uint8Array {
  return encode([ethernet(A), ipv6(v6), ipv6Fragment({ id, fragmentOffset: offsetBytes / 8, more, nextHeader: 17 }), payload(data)]);
}

function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  // 1. A later fragment rewrites bytes an earlier one gave (conflict), then the tail.
  const d1 = datagram(40, 41001);
  out.push(frag4(1, 0, true, d1.subarray(0, 24)), frag4(1, 16, true, fill(16, 0x7a)), frag4(1, 32, false, d1.subarray(32)));
  // 2. A fragment wholly inside bytes already given: same bytes, then different bytes.
  const d2 = datagram(40, 41002);
  out.push(
    frag4(2, 0, true, d2.subarray(0, 32)),
    frag4(2, 8, true, d2.subarray(8, 16)),
    frag4(2, 16, true, fill(8, 0x30)),
    frag4(2, 32, false, d2.subarray(32)),
  );
  // 3. An exact repeat before the datagram is whole, and a repeat of its last fragment after.
  const d3 = datagram(24, 41003);
  out.push(
    frag4(3, 0, true, d3.subarray(0, 16)),
    frag4(3, 0, true, d3.subarray(0, 16)),
    frag4(3, 16, false, d3.subarray(16)),
    frag4(3, 16, false, d3.subarray(16)),
  );
  // 4. The same overlap over IPv6.
  const d4 = encode([ipv6(v6), udp({ sport: 41004, dport: 40000 }), payload(fill(40, 0x62))]).subarray(40);
  out.push(frag6(4, 0, true, d4.subarray(0, 24)), frag6(4, 8, true, fill(24, 0x63)), frag6(4, 32, false, d4.subarray(32)));
  return out;
}

describe('Wireshark-style defragmentation (netlab alone)', () => {
  it('lets the earlier bytes win where a fragment lies inside them, and marks overlaps and conflicts', () => {
    const d = new WiresharkDefragmenter({ now: () => 0 });
    const base = { src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), protocol: 17, id: 9 };
    expect(d.push({ ...base, offset: 0, moreFragments: true, payload: fill(16, 1), tag: 1 }).status).toBe('incomplete');
    expect(d.push({ ...base, offset: 8, moreFragments: true, payload: fill(8, 2), tag: 2 }).status).toBe('incomplete');
    const r = d.push({ ...base, offset: 16, moreFragments: false, payload: fill(8, 3), tag: 3 });
    if (r.status !== 'complete') throw new Error(r.status);
    expect([...r.payload]).toEqual([...fill(16, 1), ...fill(8, 3)]);
    expect(r.fragments).toEqual([
      { offset: 0, length: 16, tag: 1 },
      { offset: 8, length: 8, tag: 2, overlap: true, conflict: true },
      { offset: 16, length: 8, tag: 3 },
    ]);
    expect(d.pendingCount).toBe(0);
  });

  it('keeps memory bounded: old datagrams give way to new ones', () => {
    const d = new WiresharkDefragmenter({ now: () => 0, maxDatagrams: 4, maxTotalBytes: 64 });
    for (let id = 0; id < 50; id++)
      d.push({ src: Uint8Array.of(1, 1, 1, 1), dst: Uint8Array.of(2, 2, 2, 2), protocol: 17, id, offset: 0, moreFragments: true, payload: fill(24, id) });
    expect(d.pendingCount).toBeLessThanOrEqual(4);
  });

  it('shows the reassembled datagram on the completing frame', async () => {
    const path = join(dir, 'defrag.pcapng');
    await writeFrames(path, frames());
    const ds = await dissectAll(path);
    expect(fieldText(ds[1], 'ip.fragment.error')).toBe('');
    expect(fieldText(ds[2], 'ip.fragment.error')).toBe('2');
    expect(fieldText(ds[2], 'udp.srcport')).toBe('41001');
  });
});

describe.skipIf(!requireTool('tshark'))('overlapping and repeated fragments beside tshark', () => {
  it('every field netlab emits is what tshark prints', async () => {
    const path = join(dir, 'defrag-tshark.pcapng');
    await writeFrames(path, frames());
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'ip.fragment',
        'ip.fragment.error',
        'ip.fragment.overlap',
        'ip.fragment.overlap.conflict',
        'ipv6.fragment',
        'ip.reassembled.data',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
  });
});
