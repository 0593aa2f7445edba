// Cluster ceilings and the endpoint breaker on a ManualClock: every transition (closed → open by
// consecutive failures and by failure rate, open → half-open after openMs, half-open → open on a
// failed probe with the open time doubling, half-open → closed after enough probe successes).

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/base/timer-clock.ts';
import { type BreakerPermit, ClusterLimits, EndpointBreaker, type BreakerState } from '../../../src/proxy/features/circuit-breaker.ts';

function permit(b: EndpointBreaker): BreakerPermit {
  const p = b.allow();
  if (!p.allowed) throw new Error(`refused in state ${p.state}`);
  return p;
}

describe('cluster limits', () => {
  it('counts each resource up to its ceiling, refuses beyond, and frees on release', () => {
    const c = new ClusterLimits({ maxConnections: 2, maxPendingRequests: 1, maxRequests: 3, maxRetries: 0 });
    const a = c.acquire('connections');
    const b = c.acquire('connections');
    expect(c.acquire('connections')).toEqual({ ok: false, resource: 'connections', limit: 2 });
    expect(c.acquire('retries')).toEqual({ ok: false, resource: 'retries', limit: 0 });
    expect(c.acquire('pending').ok).toBe(true);
    expect(c.acquire('pending').ok).toBe(false);
    expect(c.inUse).toEqual({ connections: 2, pending: 1, requests: 0, retries: 0 });
    if (!a.ok || !b.ok) throw new Error('refused');
    a.release();
    a.release();
    expect(c.inUse.connections).toBe(1);
    expect(c.acquire('connections').ok).toBe(true);
    expect(c.overflows).toEqual({ connections: 1, pending: 1, requests: 0, retries: 1 });
    expect(new ClusterLimits().limits).toEqual({ connections: 1024, pending: 1024, requests: 1024, retries: 3 });
    expect(() => c.acquire('sockets' as 'connections')).toThrow(/unknown cluster resource "sockets"/);
    expect(() => new ClusterLimits({ maxRequests: 0 })).toThrow(/maxRequests/);
  });
});

describe('endpoint breaker', () => {
  it('cancel() counts nothing and frees a half-open probe place', () => {
    const clock = new ManualClock();
    const b = new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 2 }, openMs: 100 });
    permit(b).failure();
    permit(b).cancel(); // a client that hung up: not a second failure in a row
    expect(b.state).toBe('closed');
    expect(b.counts.failures).toBe(1);
    permit(b).failure();
    expect(b.state).toBe('open');
    clock.advance(100);
    const probe = permit(b);
    expect(probe.probe).toBe(true);
    expect(b.allow().allowed).toBe(false); // the one probe place is taken
    probe.cancel();
    probe.failure(); // after cancel, a report does nothing
    expect(b.state).toBe('half-open');
    const next = permit(b);
    expect(next.probe).toBe(true);
    next.success();
    expect(b.state).toBe('closed');
  });

  it('consecutive failures: closed → open → half-open → closed', () => {
    const clock = new ManualClock();
    const log: [BreakerState, BreakerState, number][] = [];
    const b = new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 3 }, openMs: 5000, onTransition: (f, t, at) => log.push([f, t, at]) });
    permit(b).failure();
    permit(b).failure();
    permit(b).success(); // resets the run
    permit(b).failure();
    permit(b).failure();
    expect(b.state).toBe('closed');
    clock.advance(100);
    permit(b).failure();
    expect(b.state).toBe('open');
    clock.advance(1000);
    expect(b.allow()).toEqual({ allowed: false, state: 'open', retryInMs: 4000 });
    clock.advance(4000);
    expect(b.state).toBe('half-open');
    const probe = permit(b);
    expect(probe.probe).toBe(true);
    expect(b.allow()).toEqual({ allowed: false, state: 'half-open', retryInMs: 0 });
    probe.success();
    expect(b.state).toBe('closed');
    expect(log).toEqual([
      ['closed', 'open', 100],
      ['open', 'half-open', 5100],
      ['half-open', 'closed', 5100],
    ]);
    expect(permit(b).probe).toBe(false);
  });

  it('a failed probe opens again, the open time doubling up to maxOpenMs, and resets on closing', () => {
    const clock = new ManualClock();
    const b = new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 1 }, openMs: 1000, maxOpenMs: 3000, probes: 2, successesToClose: 2 });
    permit(b).failure();
    expect(b.state).toBe('open');
    const opens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = clock.now();
      while (b.state === 'open') clock.advance(100);
      opens.push(clock.now() - t0);
      permit(b).failure();
      expect(b.state).toBe('open');
    }
    expect(opens).toEqual([1000, 2000, 3000]);
    clock.advance(3000);
    const p1 = permit(b);
    const p2 = permit(b);
    expect(b.allow().allowed).toBe(false); // two probes at most
    p1.success();
    expect(b.state).toBe('half-open');
    p2.success();
    expect(b.state).toBe('closed');
    permit(b).failure();
    clock.advance(999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open'); // back to the base open time
  });

  it('failure rate over a rolling window, with a minimum number of requests', () => {
    const clock = new ManualClock();
    const b = new EndpointBreaker({ clock, trip: { kind: 'rate', failureRate: 0.5, minRequests: 10, windowMs: 10_000 }, openMs: 1000 });
    for (let i = 0; i < 4; i++) permit(b).failure(); // 4 of 4 but under the minimum
    expect(b.state).toBe('closed');
    for (let i = 0; i < 5; i++) permit(b).success();
    expect(b.counts).toEqual({ failures: 4, total: 9 });
    permit(b).success(); // 4 of 10 = 40%
    expect(b.state).toBe('closed');
    clock.advance(11_000); // all of that slid out
    expect(b.counts).toEqual({ failures: 0, total: 0 });
    for (let i = 0; i < 5; i++) permit(b).success();
    for (let i = 0; i < 4; i++) permit(b).failure();
    expect(b.state).toBe('closed');
    permit(b).failure(); // 5 of 10 = 50%
    expect(b.state).toBe('open');
  });

  it('ignores results of requests begun before the last state change', () => {
    const clock = new ManualClock();
    const b = new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 1 }, openMs: 1000 });
    const slow = permit(b);
    permit(b).failure();
    clock.advance(1000);
    const probe = permit(b);
    slow.success(); // from the closed era: not a probe result
    expect(b.state).toBe('half-open');
    probe.success();
    probe.failure(); // a second report does nothing
    expect(b.state).toBe('closed');
  });

  it('refuses bad options', () => {
    const clock = new ManualClock();
    expect(() => new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 0 }, openMs: 1 })).toThrow(/trip.failures/);
    expect(() => new EndpointBreaker({ clock, trip: { kind: 'rate', failureRate: 1.5, minRequests: 1, windowMs: 1 }, openMs: 1 })).toThrow(/failureRate/);
    expect(() => new EndpointBreaker({ clock, trip: { kind: 'consecutive', failures: 1 }, openMs: 10, maxOpenMs: 5 })).toThrow(/maxOpenMs/);
  });
});
