// The table's chained indexes: sessions whose keys collide in mixKey are still told apart, found,
// removed and re-added; the table agrees with a plain model under random add/expire traffic.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { NatTable, mixKey } from '../../src/nat/table.ts';

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
