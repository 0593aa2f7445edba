// IPv4 reassembly: in-order and out-of-order datagrams, duplicates, overlap refusal (the whole
// datagram, and what comes later), the memory bounds, and timeouts on an injected clock.

import { describe, expect, it } from 'vitest';
import { Ipv4Reassembler, type Ipv4Fragment } from '../../src/wire/ipv4-reassembly.ts';

const SRC = Uint8Array.of(10, 0, 0, 1);
const DST = Uint8Array.of(10, 0, 0, 2);

function datagram(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
}

function frag(data: Uint8Array, offset: number, length: number, more: boolean, id = 1, tag?: number): Ipv4Fragment {
  return { src: SRC, dst: DST, protocol: 17, id, offset, moreFragments: more, payload: data.slice(offset, offset + length), tag };
}

describe('Ipv4Reassembler', () => {
  it('reassembles fragments in any order', () => {
    const data = datagram(4060);
    const r = new Ipv4Reassembler();
    expect(r.push(frag(data, 2960, 1100, false, 1, 3)).status).toBe('incomplete');
    expect(r.push(frag(data, 0, 1480, true, 1, 1)).status).toBe('incomplete');
    const done = r.push(frag(data, 1480, 1480, true, 1, 2));
    expect(done.status).toBe('complete');
    if (done.status !== 'complete') return;
    expect(done.payload).toEqual(data);
    expect(done.fragments).toEqual([
      { offset: 0, length: 1480, tag: 1 },
      { offset: 1480, length: 1480, tag: 2 },
      { offset: 2960, length: 1100, tag: 3 },
    ]);
    expect(r.pendingCount).toBe(0);
    expect(r.heldBytes).toBe(0);
  });

  it('keeps datagrams apart by source, destination, protocol and id', () => {
    const a = datagram(16);
    const r = new Ipv4Reassembler();
    r.push(frag(a, 0, 8, true, 1));
    r.push({ ...frag(a, 8, 8, false, 1), protocol: 6 });
    r.push(frag(a, 8, 8, false, 2));
    expect(r.pendingCount).toBe(3);
    expect(r.push(frag(a, 8, 8, false, 1)).status).toBe('complete');
  });

  it('ignores an exact duplicate', () => {
    const data = datagram(16);
    const r = new Ipv4Reassembler();
    r.push(frag(data, 0, 8, true));
    expect(r.push(frag(data, 0, 8, true)).status).toBe('duplicate');
    expect(r.push(frag(data, 8, 8, false)).status).toBe('complete');
  });

  it('refuses an overlap: drops the datagram, reports both pieces, and refuses what follows', () => {
    const data = datagram(72);
    const r = new Ipv4Reassembler();
    r.push(frag(data, 0, 24, true, 1, 2));
    r.push(frag(data, 48, 24, false, 1, 3));
    const evil = new Uint8Array(48).fill(0x41);
    const res = r.push({ src: SRC, dst: DST, protocol: 17, id: 1, offset: 16, moreFragments: true, payload: evil, tag: 5 });
    expect(res).toMatchObject({
      status: 'overlap',
      fragment: { offset: 16, length: 48, tag: 5 },
      overlapped: [
        { offset: 0, length: 24, tag: 2 },
        { offset: 48, length: 24, tag: 3 },
      ],
    });
    expect(r.heldBytes).toBe(0);
    expect(r.push(frag(data, 24, 24, true)).status).toBe('refused');
  });

  it('refuses contradictions: two different ends, data past the end, odd-sized middle fragments', () => {
    const data = datagram(64);
    const r = new Ipv4Reassembler();
    r.push(frag(data, 0, 16, true, 1));
    r.push(frag(data, 48, 16, false, 1));
    expect(r.push(frag(data, 40, 16, false, 1))).toMatchObject({ status: 'refused' });
    const r2 = new Ipv4Reassembler();
    r2.push(frag(data, 32, 8, false, 2));
    expect(r2.push(frag(data, 40, 16, true, 2)).status).toBe('refused');
    expect(r2.push(frag(data, 0, 7, true, 3)).status).toBe('refused');
  });

  it('bounds a datagram at 65535 bytes and never allocates from a claimed length', () => {
    const r = new Ipv4Reassembler();
    const res = r.push({ src: SRC, dst: DST, protocol: 17, id: 9, offset: 65528, moreFragments: false, payload: new Uint8Array(16) });
    expect(res.status).toBe('refused');
    expect(r.heldBytes).toBe(0);
  });

  it('bounds the total memory and the number of datagrams', () => {
    const r = new Ipv4Reassembler({ maxTotalBytes: 64, maxDatagrams: 3 });
    const d = datagram(64);
    expect(r.push(frag(d, 0, 48, true, 1)).status).toBe('incomplete');
    expect(r.push(frag(d, 0, 24, true, 2))).toMatchObject({ status: 'refused', reason: expect.stringContaining('budget') });
    expect(r.heldBytes).toBe(48);
    r.push(frag(d, 0, 8, true, 3));
    r.push(frag(d, 0, 8, true, 4));
    expect(r.push(frag(d, 0, 8, true, 5))).toMatchObject({ status: 'refused', reason: expect.stringContaining('pending') });
    expect(r.pendingCount).toBe(3);
  });

  it('evicts datagrams after the timeout on the injected clock', () => {
    let now = 1000;
    const r = new Ipv4Reassembler({ timeoutMs: 500, now: () => now });
    const d = datagram(16);
    r.push(frag(d, 0, 8, true, 1));
    now = 1400;
    expect(r.evictExpired()).toEqual([]);
    now = 1500;
    expect(r.evictExpired().length).toBe(1);
    expect(r.pendingCount).toBe(0);
    expect(r.heldBytes).toBe(0);
    // The rest of it now starts a new datagram that cannot complete alone.
    expect(r.push(frag(d, 8, 8, false, 1)).status).toBe('incomplete');
    // An overlap-poisoned datagram is forgotten at its timeout too.
    r.push(frag(d, 0, 8, true, 7));
    r.push(frag(d, 0, 16, true, 7));
    now = 3000;
    expect(r.push(frag(d, 0, 8, true, 7)).status).toBe('incomplete');
  });

  it('passes an unfragmented datagram straight through', () => {
    const r = new Ipv4Reassembler();
    const res = r.push(frag(datagram(20), 0, 20, false));
    expect(res.status).toBe('complete');
    expect(r.pendingCount).toBe(0);
  });
});
