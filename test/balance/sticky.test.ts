// Sticky sessions: the balancer cookie, an application cookie, a header, the client address, and what
// happens when the endpoint a client is stuck to cannot take it.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, StickySessions, StickyTable } from '../../src/balance/index.ts';
import { THREE } from './simulate.ts';

function make() {
  const clock = new ManualClock();
  const b = new Balancer({ endpoints: THREE, policy: 'round_robin', clock, random: seededRandom('s') });
  return { clock, b };
}

describe('sticky sessions', () => {
  it('cookie: a fresh client gets an endpoint and a cookie to set; with the cookie it stays', () => {
    const { clock, b } = make();
    const s = new StickySessions(b, clock, { mode: 'cookie' });
    const first = s.pick(undefined);
    expect(first).toMatchObject({ endpoint: { name: 'a' }, stuck: false, repicked: false, setCookie: 'a' });
    for (let i = 0; i < 5; i++) {
      const d = s.pick('b');
      expect(d).toMatchObject({ endpoint: { name: 'b' }, stuck: true, repicked: false });
      expect(d.setCookie).toBeUndefined();
    }
  });

  it('cookie: the stuck endpoint is down: another is picked, reported, and the cookie is to be reset', () => {
    const { clock, b } = make();
    const s = new StickySessions(b, clock, { mode: 'cookie' });
    b.endpoint('b')!.healthy = false;
    expect(s.pick('b')).toMatchObject({ endpoint: { name: 'a' }, stuck: false, repicked: true, previous: 'b', reason: 'unhealthy', setCookie: 'a' });
    expect(s.pick('nosuch')).toMatchObject({ repicked: true, previous: 'nosuch', reason: 'unknown', setCookie: 'c' });
    b.endpoint('c')!.ejectedUntil = 1e9;
    expect(s.pick('c')).toMatchObject({ repicked: true, reason: 'ejected' });
    b.endpoint('b')!.healthy = true;
    expect(s.pick('a', { exclude: new Set(['a']) })).toMatchObject({ endpoint: { name: 'b' }, repicked: true, reason: 'excluded', setCookie: 'b' });
    // Nothing left to retry on: no endpoint, and nothing to report as a re-pick.
    expect(s.pick('a', { exclude: new Set(['a', 'b']) })).toMatchObject({ endpoint: undefined, repicked: false, reason: 'excluded', result: { reason: 'all_excluded' } });
  });

  it('draining: stuck sessions move unless drainingKeepsSticky (HAProxy) keeps them', () => {
    const { clock, b } = make();
    b.drain('a');
    expect(new StickySessions(b, clock, { mode: 'cookie' }).pick('a')).toMatchObject({ repicked: true, reason: 'draining' });
    expect(new StickySessions(b, clock, { mode: 'cookie', drainingKeepsSticky: true }).pick('a')).toMatchObject({ endpoint: { name: 'a' }, stuck: true });
  });

  it('app cookie: the session value is learned and followed; a moved session is remembered at its new place', () => {
    const { clock, b } = make();
    const s = new StickySessions(b, clock, { mode: 'app_cookie' });
    s.learn('PHPSESSID-123', 'c');
    expect(s.pick('PHPSESSID-123')).toMatchObject({ endpoint: { name: 'c' }, stuck: true });
    expect(s.pick(undefined)).toMatchObject({ endpoint: { name: 'a' }, stuck: false, repicked: false });
    b.endpoint('c')!.healthy = false;
    const moved = s.pick('PHPSESSID-123');
    expect(moved).toMatchObject({ endpoint: { name: 'b' }, repicked: true, previous: 'c', reason: 'unhealthy' });
    expect(moved.setCookie).toBeUndefined();
    b.endpoint('c')!.healthy = true;
    expect(s.pick('PHPSESSID-123')).toMatchObject({ endpoint: { name: 'b' }, stuck: true });
  });

  it('client address: every client behind one NAT address lands on one endpoint', () => {
    const { clock, b } = make();
    const s = new StickySessions(b, clock, { mode: 'client_address' });
    const natted = Array.from({ length: 50 }, () => s.pick(undefined, { clientAddress: '203.0.113.7' }).endpoint?.name);
    expect(new Set(natted)).toEqual(new Set(['a']));
    const distinct = Array.from({ length: 6 }, (_, i) => s.pick(undefined, { clientAddress: `198.51.100.${i}` }).endpoint?.name);
    expect(distinct).toEqual(['b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('header: the value of a header sticks like a session', () => {
    const { clock, b } = make();
    const s = new StickySessions(b, clock, { mode: 'header' });
    const first = s.pick('user-42').endpoint?.name;
    for (let i = 0; i < 4; i++) expect(s.pick('user-42').endpoint?.name).toBe(first);
  });

  it('when nothing can take the request, the decision has no endpoint and the pick says all_down', () => {
    const { clock, b } = make();
    for (const e of b.endpoints) e.healthy = false;
    const d = new StickySessions(b, clock, { mode: 'cookie' }).pick('a');
    expect(d).toMatchObject({ endpoint: undefined, stuck: false, repicked: false, result: { reason: 'all_down' } });
  });
});

describe('StickyTable', () => {
  it('forgets idle keys and evicts the least recently used beyond its size', () => {
    const clock = new ManualClock();
    const t = new StickyTable(clock, { maxEntries: 2, idleMs: 1000 });
    t.set('k1', 'a');
    t.set('k2', 'b');
    expect(t.get('k1')).toBe('a'); // k1 now most recent
    t.set('k3', 'c'); // evicts k2
    expect(t.get('k2')).toBeUndefined();
    expect(t.get('k1')).toBe('a');
    clock.advance(1000);
    expect(t.get('k1')).toBeUndefined();
    expect(t.size).toBe(1);
    expect(() => new StickyTable(clock, { maxEntries: 0 })).toThrow(/maxEntries/);
  });
});
