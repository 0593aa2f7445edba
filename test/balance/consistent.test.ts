// How many keys move when the endpoint set changes: hash % n against the ring against Maglev.

import { describe, expect, it } from 'vitest';
import { buildMaglevTable, Endpoint, IpHash, isPrime, Maglev, RingHash, type Policy } from '../../src/balance/index.ts';

const KEYS = Array.from({ length: 20_000 }, (_, i) => `client-${i}`);

function endpoints(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint({ name: `server${i + 1}`, address: '127.0.0.1', port: 8000 + i }));
}

function assign(policy: Policy, eps: readonly Endpoint[]): string[] {
  return KEYS.map((k) => policy.pick({ candidates: eps, all: eps, hashKey: k, now: 0 })?.name ?? '-');
}

function moved(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n / a.length;
}

describe('hash % n', () => {
  it('going from 4 to 5 endpoints moves about 80% of the keys', () => {
    const p = new IpHash();
    const f = moved(assign(p, endpoints(4)), assign(p, endpoints(5)));
    expect(f).toBeGreaterThan(0.77);
    expect(f).toBeLessThan(0.83);
  });

  it('when the hashed endpoint is down, the key goes elsewhere and the others stay put', () => {
    const p = new IpHash();
    const all = endpoints(4);
    const before = assign(p, all);
    const after = KEYS.map((k) => p.pick({ candidates: all.filter((e) => e.name !== 'server2'), all, hashKey: k, now: 0 })?.name);
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== 'server2') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('server2');
    }
  });
});

describe('consistent hashing on a ring', () => {
  it('adding a fifth endpoint moves about 1/5 of the keys, every one of them to the new endpoint', () => {
    const p = new RingHash({ virtualNodes: 160 });
    const four = assign(p, endpoints(4));
    const five = assign(p, endpoints(5));
    const f = moved(four, five);
    expect(f).toBeGreaterThan(0.15);
    expect(f).toBeLessThan(0.25);
    for (let i = 0; i < KEYS.length; i++) if (four[i] !== five[i]) expect(five[i]).toBe('server5');
  });

  it('removing an endpoint moves only its own keys', () => {
    const p = new RingHash();
    const all = endpoints(5);
    const before = assign(p, all);
    const after = assign(p, all.filter((e) => e.name !== 'server3'));
    for (let i = 0; i < KEYS.length; i++) if (before[i] !== 'server3') expect(after[i]).toBe(before[i]);
  });

  it('more virtual nodes, a more even spread', () => {
    const spread = (v: number): number => {
      const counts = new Map<string, number>();
      for (const n of assign(new RingHash({ virtualNodes: v }), endpoints(5))) counts.set(n, (counts.get(n) ?? 0) + 1);
      return Math.max(...counts.values()) / Math.min(...counts.values());
    };
    expect(spread(1)).toBeGreaterThan(spread(160));
    expect(spread(160)).toBeLessThan(1.35);
  });

  it('every placement hash works, and the weights shape the share', () => {
    for (const hash of ['fnv1a64', 'fnv1a32', 'murmur3'] as const) {
      const p = new RingHash({ hash });
      const eps = [new Endpoint({ name: 'big', address: '127.0.0.1', port: 1, weight: 3 }), new Endpoint({ name: 'small', address: '127.0.0.1', port: 2, weight: 1 })];
      const share = assign(p, eps).filter((n) => n === 'big').length / KEYS.length;
      expect(share, hash).toBeGreaterThan(0.68);
      expect(share, hash).toBeLessThan(0.82);
    }
  });

  it('refuses a virtual node count out of range', () => {
    expect(() => new RingHash({ virtualNodes: 0 })).toThrow(/virtualNodes/);
  });
});

describe('Maglev', () => {
  it('fills a prime-size table with each endpoint holding ⌊M/n⌋ or ⌈M/n⌉ slots', () => {
    for (const n of [3, 5, 7, 10]) {
      const table = buildMaglevTable(endpoints(n), 65537);
      const counts = new Array<number>(n).fill(0);
      for (const i of table) counts[i]++;
      for (const c of counts) {
        expect(c).toBeGreaterThanOrEqual(Math.floor(65537 / n));
        expect(c).toBeLessThanOrEqual(Math.ceil(65537 / n));
      }
    }
  });

  it('removing one of 10 endpoints: its slots move, and only a few others (the paper\'s small disruption)', () => {
    const all = endpoints(10);
    const before = buildMaglevTable(all, 65537);
    const rest = all.filter((e) => e.name !== 'server4');
    const after = buildMaglevTable(rest, 65537);
    let ownMoved = 0;
    let othersMoved = 0;
    for (let s = 0; s < before.length; s++) {
      const was = all[before[s]].name;
      const now = rest[after[s]].name;
      if (was === 'server4') ownMoved++;
      else if (was !== now) othersMoved++;
    }
    expect(ownMoved).toBeGreaterThan(6500);
    // Slots of the nine that stay but change hands: a small fraction of the table (a few % in the paper).
    expect(othersMoved / before.length).toBeLessThan(0.05);
  });

  it('keys: even over endpoints, and removing one moves about 1/n plus a little', () => {
    const p = new Maglev({ tableSize: 65537 });
    const all = endpoints(10);
    const before = assign(p, all);
    const counts = new Map<string, number>();
    for (const n of before) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(5 * Math.sqrt(20000 * 0.1 * 0.9));
    const after = assign(p, all.filter((e) => e.name !== 'server4'));
    const f = moved(before, after);
    expect(f).toBeGreaterThan(0.09);
    expect(f).toBeLessThan(0.15);
  });

  it('weights: an endpoint of weight 2 gets twice the slots', () => {
    const eps = [new Endpoint({ name: 'a', address: '127.0.0.1', port: 1, weight: 2 }), new Endpoint({ name: 'b', address: '127.0.0.1', port: 2, weight: 1 })];
    const table = buildMaglevTable(eps, 65537);
    const a = table.filter((i) => i === 0).length;
    expect(Math.abs(a - (65537 * 2) / 3)).toBeLessThan(2);
  });

  it('needs a prime table size', () => {
    expect(isPrime(65537)).toBe(true);
    expect(isPrime(65536)).toBe(false);
    expect(() => new Maglev({ tableSize: 1000 })).toThrow(/prime/);
    expect(new Maglev({ tableSize: 251 }).tableSize).toBe(251);
  });
});
