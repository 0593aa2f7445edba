// TCP's reliability on a ManualClock: a megabyte across a link that loses, reorders and duplicates
// (seeded), byte-identical at the end; the RTO doubling on each timeout; fast retransmit after three
// duplicate ACKs with NewReno's recovery; the delayed-ACK rules; duplicates discarded.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/base/random.ts';
import type { CongestionEvent, VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { pair, segments, type Pair } from './tcp-testbed.ts';

/** Sends `data` from h1 to h2's port 80 (respecting 'drain'); returns what h2 received. */
function bulk(p: Pair, data: Uint8Array, chunk = 16384, runMs = 120_000) {
  const received: Buffer[] = [];
  let server: VirtualTcpSocket | undefined;
  let serverEnded = false;
  p.h2.tcp.listen(80, (s) => {
    server = s;
    s.on('data', (b) => received.push(b));
    s.on('end', () => {
      serverEnded = true;
      s.end();
    });
  });
  const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
  const events: CongestionEvent[] = [];
  client.on('congestion', (e) => events.push(e));
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const ok = client.write(data.subarray(off, off + chunk));
      off += chunk;
      if (!ok) return;
    }
    client.end();
  };
  client.on('connect', pump);
  client.on('drain', pump);
  let closedAt = -1;
  client.on('close', () => (closedAt = p.clock.now()));
  const start = p.clock.now();
  for (let t = 0; t < runMs && closedAt < 0; t += 100) p.run(100);
  return { received: Buffer.concat(received), client, server: () => server, events, serverEnded: () => serverEnded, elapsed: closedAt - start };
}

describe('TCP reliability', () => {
  it('moves 1 MB byte-identical across a link that drops 3%, duplicates 2% and reorders (seeded)', async () => {
    const impairment = { drop: 0.03, duplicate: 0.02, delayMs: 5, jitterMs: 4 };
    const p = pair({ delayMs: 1, impair1: { ...impairment, seed: 'fwd' }, impair2: { ...impairment, seed: 'rev' }, tcp: { mslMs: 100 } });
    const data = seededRandom('1MB').bytes(1 << 20);
    const r = bulk(p, data);
    expect(r.received.length).toBe(data.length);
    expect(Buffer.compare(r.received, Buffer.from(data))).toBe(0);
    expect(r.serverEnded()).toBe(true);
    const c = r.client.info().counters;
    const s = r.server()?.info().counters;
    // The impairments were felt and repaired: retransmissions of both kinds, duplicates discarded,
    // out-of-order segments queued.
    expect(c.retransmits).toBeGreaterThan(10);
    expect(c.fastRetransmits).toBeGreaterThan(3);
    expect(c.dupAcksReceived).toBeGreaterThan(10);
    expect(s?.duplicateSegments).toBeGreaterThan(5);
    expect(s?.outOfOrderSegments).toBeGreaterThan(10);
    expect(r.events.some((e) => e.reason === 'fast-retransmit')).toBe(true);
    // After a loss, ssthresh is finite and cwnd grows linearly above it.
    expect(r.events.some((e) => e.state === 'congestion-avoidance' && e.reason === 'ack' && Number.isFinite(e.ssthresh))).toBe(true);
    for (const e of r.events) expect(e.cwnd).toBeGreaterThanOrEqual(e.mss);
    expect(r.elapsed).toBeGreaterThan(0);
    await p.close();
  }, 60_000);

  it("moves 1 MB on a clean link in slow start from RFC 5681's initial window, with no retransmission", async () => {
    const p = pair({ delayMs: 5, tcp: { mslMs: 100 } });
    const data = seededRandom('clean').bytes(1 << 20);
    const r = bulk(p, data);
    expect(Buffer.compare(r.received, Buffer.from(data))).toBe(0);
    expect(r.client.info().counters.retransmits).toBe(0);
    // IW = min(4*SMSS, max(2*SMSS, 4380)) = 4380 bytes for SMSS 1448.
    expect(r.events[0]).toMatchObject({ reason: 'initial', cwnd: 4380, state: 'slow-start', ssthresh: Infinity, mss: 1448 });
    // cwnd only grows on a clean link.
    for (let i = 1; i < r.events.length; i++) expect(r.events[i].cwnd).toBeGreaterThanOrEqual(r.events[i - 1].cwnd);
    await p.close();
  }, 60_000);

  it('doubles the RTO on each timeout (Karn: no sample from a retransmitted segment) and fails with ETIMEDOUT', async () => {
    const p = pair({ delayMs: 5, tcp: { maxRetries: 4, rto: { minMs: 200 } } });
    p.h2.tcp.listen(80);
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(50);
    expect(client.info().rtoMs).toBe(200);
    // Cut the wire from h2 to h1: nothing h2 sends arrives any more.
    p.filter.h2.fn = () => false;
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const sentAt = p.clock.now();
    p.log.length = 0;
    client.write('x');
    p.run(10_000);
    const times = segments(p.log)
      .filter((s) => s.from === 'h1' && s.len === 1)
      .map((s) => s.t - sentAt);
    expect(times).toEqual([0, 200, 600, 1400, 3000]);
    // After the 4th retransmission the connection gives up (with a RST).
    expect(errors).toEqual(['ETIMEDOUT']);
    expect(client.state).toBe('CLOSED');
    await p.close();
  });
});
