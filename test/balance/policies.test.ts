// Every policy on the same request stream, with a fake clock and seeded randomness: exact tables for
// the deterministic policies, bounds for the random ones, and what each does about one slow endpoint.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, Endpoint, POLICY_NAMES, SmoothWeightedRoundRobin, createPolicy, type PickContext, type PolicyName } from '../../src/balance/index.ts';
import { simulate, THREE } from './simulate.ts';

const EVEN = { requests: 600, gapMs: 10, serviceMs: { a: 5, b: 5, c: 5 } };
const SLOW_C = { requests: 600, gapMs: 10, serviceMs: { a: 5, b: 5, c: 100 } };

function picks(policy: PolicyName, weights: Record<string, number>, n: number): string {
  const clock = new ManualClock();
  const b = new Balancer({ endpoints: Object.entries(weights).map(([name, weight], i) => ({ name, address: '127.0.0.1', port: 9000 + i, weight })), policy, clock, random: seededRandom('p') });
  let out = '';
  for (let i = 0; i < n; i++) {
    const r = b.pick();
    if (r.endpoint === undefined) throw new Error('no pick');
    out += r.endpoint.name;
  }
  return out;
}

describe('the same stream through every policy (weights a=3 b=2 c=1, 600 requests, 100 clients)', () => {
  // Deterministic policies: exact counts. The hash policies' counts follow from the hash of each
  // client address and are pinned; a change to the hashes shows here.
  const exact: Partial<Record<PolicyName, [Record<string, number>, Record<string, number>]>> = {
    round_robin: [{ a: 200, b: 200, c: 200 }, { a: 200, b: 200, c: 200 }],
    weighted_round_robin: [{ a: 300, b: 200, c: 100 }, { a: 300, b: 200, c: 100 }],
    least_connections: [{ a: 200, b: 200, c: 200 }, { a: 350, b: 200, c: 50 }],
    weighted_least_connections: [{ a: 200, b: 200, c: 200 }, { a: 350, b: 200, c: 50 }],
    least_time: [{ a: 200, b: 200, c: 200 }, { a: 393, b: 197, c: 10 }],
    ip_hash: [{ a: 192, b: 186, c: 222 }, { a: 192, b: 186, c: 222 }],
    ring_hash: [{ a: 312, b: 168, c: 120 }, { a: 312, b: 168, c: 120 }],
    maglev: [{ a: 360, b: 156, c: 84 }, { a: 360, b: 156, c: 84 }],
  };

  for (const [policy, [even, slow]] of Object.entries(exact) as [PolicyName, [Record<string, number>, Record<string, number>]][]) {
    it(`${policy}: exact table, even endpoints and with c slow`, () => {
      expect(simulate(policy, THREE, EVEN).counts).toEqual(even);
      expect(simulate(policy, THREE, SLOW_C).counts).toEqual(slow);
    });
  }

  it('the hashing policies send each client to one endpoint every time', () => {
    for (const policy of ['ip_hash', 'ring_hash', 'maglev'] as const) {
      const { counts } = simulate(policy, THREE, { requests: 600, gapMs: 10, clients: 100 });
      // 100 clients × 6 requests: every count is a multiple of 6.
      for (const n of Object.values(counts)) expect(n % 6, policy).toBe(0);
    }
  });

  it('random follows the weights within bounds (seeded)', () => {
    const { counts } = simulate('random', THREE, { requests: 6000, gapMs: 10 });
    // Expected 3000/2000/1000; ±5 standard deviations of a binomial.
    expect(Math.abs(counts.a - 3000)).toBeLessThan(5 * Math.sqrt(6000 * 0.5 * 0.5));
    expect(Math.abs(counts.b - 2000)).toBeLessThan(5 * Math.sqrt(6000 * (1 / 3) * (2 / 3)));
    expect(Math.abs(counts.c - 1000)).toBeLessThan(5 * Math.sqrt(6000 * (1 / 6) * (5 / 6)));
  });

  it('power of two choices: about even when all are fast; keeps off the slow endpoint while it is busy', () => {
    const even = simulate('power_of_two', THREE, { requests: 6000, gapMs: 10, serviceMs: { a: 5, b: 5, c: 5 } }).counts;
    for (const n of Object.values(even)) expect(Math.abs(n - 2000)).toBeLessThan(5 * Math.sqrt(6000 * (1 / 3) * (2 / 3)));
    const slow = simulate('power_of_two', THREE, { requests: 6000, gapMs: 10, serviceMs: { a: 5, b: 5, c: 100 } });
    expect(slow.counts.c).toBeLessThan(800); // random alone would give it 2000
    expect(slow.peakActive.c).toBeLessThanOrEqual(2);
  });

  it('peak EWMA learns that c is slow and nearly stops sending to it', () => {
    const slow = simulate('peak_ewma', THREE, SLOW_C);
    expect(slow.counts.c).toBeLessThan(30);
    expect(slow.counts.a + slow.counts.b).toBeGreaterThan(570);
  });

  it('with one slow endpoint, round robin piles requests on it; least connections and least time do not', () => {
    const rr = simulate('round_robin', THREE, SLOW_C);
    const lc = simulate('least_connections', THREE, SLOW_C);
    const lt = simulate('least_time', THREE, SLOW_C);
    expect(rr.peakActive.c).toBe(4); // a new request every 30 ms, each holding 100 ms
    expect(lc.peakActive.c).toBe(1);
    expect(lt.counts.c).toBe(10);
  });

  it('every policy in POLICY_NAMES builds and answers', () => {
    for (const name of POLICY_NAMES) {
      const r = simulate(name, THREE, { requests: 30, gapMs: 10 });
      expect(r.unserved).toBe(0);
      expect(createPolicy(name, seededRandom('x')).name).toBe(name);
    }
  });
});

describe('smooth weighted round robin', () => {
  it('weights 5,1,1 give a a b a c a a (nginx), and repeat', () => {
    expect(picks('weighted_round_robin', { a: 5, b: 1, c: 1 }, 14)).toBe('aabacaa'.repeat(2));
  });

  it('weights 1,1,1 are plain round robin; 2,1 alternate', () => {
    expect(picks('weighted_round_robin', { a: 1, b: 1, c: 1 }, 6)).toBe('abcabc');
    expect(picks('weighted_round_robin', { a: 2, b: 1 }, 6)).toBe('abaaba');
  });

  it('a failure lowers the effective weight; picks bring it back one step at a time', () => {
    const p = new SmoothWeightedRoundRobin({ maxFails: 1 });
    const eps = [new Endpoint({ name: 'a', address: '127.0.0.1', port: 1, weight: 5 }), new Endpoint({ name: 'b', address: '127.0.0.1', port: 2, weight: 1 })];
    const ctx: PickContext = { candidates: eps, all: eps, now: 0 };
    p.onFinish(eps[0], { durationMs: 1, status: 502 });
    expect(p.weights(eps[0]).effective).toBe(0);
    let seq = '';
    for (let i = 0; i < 6; i++) seq += p.pick(ctx)?.name;
    expect(p.weights(eps[0]).effective).toBe(5);
    expect(seq).toBe('babaaa'); // b first while a's effective weight climbs back 1, 2, 3...
  });
});

describe('round robin and the tie-breaks', () => {
  it('round robin skips an unavailable endpoint and resumes its order when it returns', () => {
    const clock = new ManualClock();
    const b = new Balancer({ endpoints: THREE, policy: 'round_robin', clock, random: seededRandom('r') });
    const seq = (n: number): string => Array.from({ length: n }, () => b.pick().endpoint?.name ?? '-').join('');
    expect(seq(3)).toBe('abc');
    b.endpoint('b')!.healthy = false;
    expect(seq(4)).toBe('acac');
    b.endpoint('b')!.healthy = true;
    expect(seq(3)).toBe('abc');
  });

  it('weighted least connections divides by weight; ties go round robin', () => {
    const clock = new ManualClock();
    const b = new Balancer({ endpoints: THREE, policy: 'weighted_least_connections', clock, random: seededRandom('w') });
    // Hold every request open: a (w3) should take 3 for each 2 of b and 1 of c.
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 60; i++) {
      const e = b.pick().endpoint!;
      b.begin(e);
      counts[e.name]++;
    }
    expect(counts).toEqual({ a: 30, b: 20, c: 10 });
  });
});

describe('every policy, any cluster', () => {
  it('picks only from the candidates, and nothing when there are none', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICY_NAMES),
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 9 }), available: fc.boolean(), active: fc.nat(5) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 20 }),
        (policyName, specs, keys) => {
          const policy = createPolicy(policyName, seededRandom('prop'));
          const all = specs.map((s, i) => {
            const e = new Endpoint({ name: `e${i}`, address: '127.0.0.1', port: 1000 + i, weight: s.weight });
            e.active = s.active;
            return e;
          });
          const candidates = all.filter((_, i) => specs[i].available);
          for (const k of keys) {
            const picked = policy.pick({ candidates, all, hashKey: k, clientAddress: k, now: 0 });
            if (candidates.length === 0) expect(picked).toBeUndefined();
            else expect(candidates).toContain(picked);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
