// The table's indexes: sessions whose keys collide in mixKey are still told apart, found, removed and
// re-added; thousands of mappings come and go through the open-addressing inside index (backward-shift
// deletion) and every live one stays findable both ways; the table agrees with a plain model under
// random add/expire traffic.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { NatTable, mixKey, type Session } from '../../src/nat/table.ts';

function collidingRemotes(): [[number, number], [number, number]] {
  const seen = new Map<number, [number, number]>();
  for (let a = 0xc6336400; ; a++) {
    for (let p = 1; p < 65536; p += 7) {
      const k = mixKey(a, p, 0);
      const prev = seen.get(k);
      if (prev !== undefined && (prev[0] !== a || prev[1] !== p)) return [prev, [a, p]];
      seen.set(k, [a, p]);
    }
  }
}

describe('NatTable indexes', () => {
  it('tells apart sessions whose keys collide', () => {
    const [[a1, p1], [a2, p2]] = collidingRemotes();
    expect(mixKey(a1, p1, 0)).toBe(mixKey(a2, p2, 0));
    const clock = new ManualClock(0);
    const t = new NatTable({ publicAddress: 0xcb007105, now: () => clock.now(), filtering: 'endpoint-independent' });
    const third = t.outbound(17, 0xc0a80102, 4000, 0x01020304, 53);
    const s1 = t.outbound(17, 0xc0a80102, 4000, a1, p1);
    const s2 = t.outbound(17, 0xc0a80102, 4000, a2, p2);
    if (typeof s1 === 'string' || typeof s2 === 'string' || typeof third === 'string') throw new Error('refused');
    expect(s1).not.toBe(s2);
    expect(t.findInbound(17, a1, p1, 4000)).toBe(s1);
    expect(t.findInbound(17, a2, p2, 4000)).toBe(s2);
    t.removeSession(s1);
    expect(t.findInbound(17, a1, p1, 4000)).toBeUndefined();
    expect(t.findInbound(17, a2, p2, 4000)).toBe(s2);
    expect(t.findOutbound(17, 0xc0a80102, 4000, a2, p2)).toBe(s2);
    t.removeSession(s2);
    expect(t.findInbound(17, 0x01020304, 53, 4000)).toBe(third);
    expect(t.size).toBe(1);
  });

  it('keeps every live mapping findable while thousands come and go', () => {
    const t = new NatTable({ publicAddress: 0xcb007105, now: () => 0, ports: { min: 1024, max: 65535, preserve: false, parity: false, holdMs: 0 } });
    const rnd = seededRandom('inside index');
    const live = new Map<number, Session>();
    let next = 0;
    for (let round = 0; round < 6; round++) {
      // Add up to 30 000 mappings (inside hosts 192.168.x.y, one port each), then remove a random half.
      while (live.size < 30_000) {
        const s = t.outbound(17, 0xc0a80000 + next, 40000 + (next % 7), 0xc6336401, 443);
        if (typeof s === 'string') throw new Error(s);
        live.set(next++, s);
      }
      for (const [k, s] of [...live]) {
        if (rnd.int(0, 1) === 0) {
          t.removeSession(s);
          live.delete(k);
        }
      }
      expect(t.size).toBe(live.size);
      expect(t.portsInUse(17)).toBe(live.size);
      const lost: number[] = [];
      for (const [k, s] of live) {
        if (t.findOutbound(17, 0xc0a80000 + k, 40000 + (k % 7), 0xc6336401, 443) !== s || t.findInbound(17, 0xc6336401, 443, s.outsidePort) !== s) lost.push(k);
      }
      expect(lost).toEqual([]);
    }
    const [k0, s0] = [...live][0];
    expect(s0.insideAddr).toBe(0xc0a80000 + k0);
    expect(t.mappingsOf(0xc0a80000 + k0)).toBe(1);
    expect(t.findOutbound(17, 0xc0a80000 + next, 40000, 0xc6336401, 443)).toBeUndefined();
  });

  it('counts mappings per host with a quota and without one', () => {
    for (const perHostQuota of [3, undefined]) {
      const t = new NatTable({ publicAddress: 0xcb007105, now: () => 0, perHostQuota });
      for (let p = 0; p < 4; p++) t.outbound(6, 0xc0a80102, 5000 + p, 0x8efac364, 443);
      t.outbound(17, 0xc0a80102, 5000, 0x8efac364, 53);
      expect(t.mappingsOf(0xc0a80102)).toBe(perHostQuota === undefined ? 5 : 3);
      expect(t.mappingsOf(0xc0a80103)).toBe(0);
    }
  });

  it('agrees with a plain model for random flows, expiries and behaviours', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('endpoint-independent', 'address-dependent', 'address-and-port-dependent'),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 200_000 })),
          { maxLength: 60 },
        ),
        (mapping, ops) => {
          const clock = new ManualClock(0);
          const t = new NatTable({ publicAddress: 0xcb007105, now: () => clock.now(), mapping, ports: { holdMs: 0 } });
          const model = new Map<string, { port: number; last: number }>();
          for (const [h, r, rp, dt] of ops) {
            clock.advance(dt);
            for (const [k, v] of model) if (clock.now() >= v.last + 300_000) model.delete(k);
            const ia = 0xc0a80100 + h;
            const ra = 0xc6336400 + r;
            const s = t.outbound(17, ia, 5000 + h, ra, 1000 + rp);
            if (typeof s === 'string') throw new Error(s);
            t.touch(s, true);
            model.set(`${h}/${r}/${rp}`, { port: s.outsidePort, last: clock.now() });
            // Same inside endpoint: the ports the behaviour says must match do.
            for (const [k, v] of model) {
              const [h2, r2, rp2] = k.split('/').map(Number);
              if (h2 !== h) continue;
              const same = mapping === 'endpoint-independent' || (mapping === 'address-dependent' ? r2 === r : r2 === r && rp2 === rp);
              if (same) expect(v.port).toBe(s.outsidePort);
              else expect(v.port).not.toBe(s.outsidePort);
            }
          }
          t.sweep();
          expect(t.size).toBe(model.size);
          for (const [k, v] of model) {
            const [h, r, rp] = k.split('/').map(Number);
            expect(t.findInbound(17, 0xc6336400 + r, 1000 + rp, v.port)?.insideAddr).toBe(0xc0a80100 + h);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
