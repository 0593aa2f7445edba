// Flow control and the send-side timers: a slow reader closing the window to zero and the sender's
// persist probes (backing off) until the window reopens; Nagle holding small writes while data is
// unacknowledged, and setNoDelay letting them go; the delayed-ACK rules (RFC 5681 §4.2); fast
// retransmit after exactly three duplicate ACKs, with the congestion events a lab plots.

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/base/random.ts';
import type { CongestionEvent, VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { pair, segmentOf, segments } from './tcp-testbed.ts';

describe('TCP flow control', () => {
  it('a paused reader closes the window to zero; the sender probes with backoff; reading reopens it', async () => {
    const p = pair({ delayMs: 5, tcp2: { receiveBuffer: 16384 } });
    let server: VirtualTcpSocket | undefined;
    const got: Buffer[] = [];
    p.h2.tcp.listen(80, (s) => {
      server = s;
      s.pause(); // a reader that does not read
      s.on('data', (b) => got.push(b));
    });
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(30);
    const data = seededRandom('zw').bytes(40_000);
    client.write(data);
    p.run(2000);
    const zero = segments(p.log).filter((s) => s.from === 'h2' && s.win === 0);
    expect(zero.length).toBeGreaterThan(0);
    expect(server?.info().receiveBuffered).toBe(16384);
    const zeroAt = zero[0].t;
    p.run(8000);
    // Window probes: one byte each, at growing intervals (persist timer backoff), each answered with window 0.
    const probes = segments(p.log).filter((s) => s.from === 'h1' && s.len === 1 && s.t > zeroAt);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    const gaps = probes.slice(1).map((s, i) => s.t - probes[i].t);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBe(2 * gaps[i - 1]);
    expect(client.info().counters.windowProbes).toBe(probes.length);
    const answers = segments(p.log).filter((s) => s.from === 'h2' && s.t > probes[0].t);
    expect(answers.every((s) => s.win === 0)).toBe(true);
    // The reader reads: a window update goes out, and the rest flows.
    server?.resume();
    const update = segments(p.log).at(-1);
    expect(update?.from).toBe('h2');
    expect(update?.win).toBeGreaterThan(0);
    p.run(2000);
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    await p.close();
  });

  it('Nagle holds small writes while data is unacknowledged; setNoDelay sends each at once', async () => {
    for (const noDelay of [false, true]) {
      const p = pair({ delayMs: 5 });
      p.h2.tcp.listen(80, (s) => s.resume());
      const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
      client.setNoDelay(noDelay);
      p.run(30);
      p.log.length = 0;
      const t0 = p.clock.now();
      client.write('a');
      p.run(1);
      client.write('b');
      p.run(1);
      client.write('c');
      p.run(400);
      const data = segments(p.log)
        .filter((s) => s.from === 'h1' && s.len > 0)
        .map((s) => `${s.t - t0}:${Buffer.from(s.data).toString()}`);
      // With Nagle, 'b' and 'c' wait for the ACK of 'a' (delayed 200 ms by the receiver), then go together.
      expect(data).toEqual(noDelay ? ['0:a', '1:b', '2:c'] : ['0:a', '210:bc']);
      await p.close();
    }
  });

  it('delays the ACK of one segment by 200 ms, and ACKs at once on the second full segment', async () => {
    const p = pair({ delayMs: 5 });
    p.h2.tcp.listen(80, (s) => s.resume());
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    client.setNoDelay(true);
    p.run(30);
    p.log.length = 0;
    const t0 = p.clock.now();
    client.write(new Uint8Array(1448));
    p.run(300);
    client.write(new Uint8Array(2 * 1448));
    p.run(300);
    const acks = segments(p.log)
      .filter((s) => s.from === 'h2')
      .map((s) => s.t - t0);
    // The first full segment: no second one follows, so its ACK waits 200 ms. The next two: ACK on the second.
    expect(acks).toEqual([205, 305]);
    await p.close();
  });
});

describe('TCP fast retransmit and NewReno', () => {
  it('retransmits after the third duplicate ACK, before any timeout, and halves the window', async () => {
    const p = pair({ delayMs: 5, tcp1: { initialWindowSegments: 10 } });
    const got: Buffer[] = [];
    p.h2.tcp.listen(80, (s) => s.on('data', (b) => got.push(b)));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    const events: CongestionEvent[] = [];
    client.on('congestion', (e) => events.push(e));
    p.run(30);
    const mss = client.info().mss;
    const base = client.info().sndNxt;
    // Lose the first transmission of the third segment.
    const lostSeq = (base + 2 * mss) >>> 0;
    let dropped = false;
    p.filter.h1.fn = (f) => {
      const s = segmentOf(f);
      if (!dropped && s !== undefined && typeof s !== 'string' && s.seq === lostSeq && s.data.length > 0) {
        dropped = true;
        return false;
      }
      return true;
    };
    p.log.length = 0;
    const data = seededRandom('fr').bytes(10 * mss);
    client.write(data);
    p.run(100);
    const segs = segments(p.log);
    const dupAcks = segs.filter((s) => s.from === 'h2' && s.ack === lostSeq);
    // Segments 1-2 ACKed together (ack = lostSeq); segments 4..10 each give a duplicate with SACK blocks.
    expect(dupAcks.length).toBe(1 + 7);
    expect(dupAcks[1].options.sack[0]).toEqual({ left: (lostSeq + mss) >>> 0, right: (lostSeq + 2 * mss) >>> 0 });
    expect(dupAcks[3].options.sack[0]).toEqual({ left: (lostSeq + mss) >>> 0, right: (lostSeq + 4 * mss) >>> 0 });
    const resent = segs.filter((s) => s.from === 'h1' && s.seq === lostSeq && s.len > 0);
    expect(resent).toHaveLength(2);
    // The retransmission leaves as the third duplicate ACK arrives (sent by h2 at t, arriving t + 5).
    expect(resent[1].t).toBe(dupAcks[3].t + 5);
    expect(client.info().counters).toMatchObject({ fastRetransmits: 1, timeouts: 0 });
    const fr = events.find((e) => e.reason === 'fast-retransmit');
    expect(fr).toMatchObject({ state: 'fast-recovery', ssthresh: Math.floor(fr!.flightSize / 2), cwnd: Math.floor(fr!.flightSize / 2) + 3 * mss });
    expect(events.some((e) => e.reason === 'dup-ack')).toBe(true);
    const end = events.find((e) => e.reason === 'recovery-end');
    // RFC 6582 §3.2 step 3, option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
    expect(end?.cwnd).toBe(Math.min(fr!.ssthresh, Math.max(end!.flightSize, mss) + mss));
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    await p.close();
  });
});

describe('TCP SACK recovery', () => {
  it('repairs two losses in one window in one round trip from the SACK scoreboard (no timeout)', async () => {
    const p = pair({ delayMs: 5, tcp1: { initialWindowSegments: 10 } });
    const got: Buffer[] = [];
    p.h2.tcp.listen(80, (s) => s.on('data', (b) => got.push(b)));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(30);
    const mss = client.info().mss;
    const base = client.info().sndNxt;
    // Lose the first transmissions of segments 3 and 6.
    const lost = new Set([(base + 2 * mss) >>> 0, (base + 5 * mss) >>> 0]);
    p.filter.h1.fn = (f) => {
      const s = segmentOf(f);
      if (s !== undefined && typeof s !== 'string' && s.data.length > 0 && lost.has(s.seq)) {
        lost.delete(s.seq);
        return false;
      }
      return true;
    };
    p.log.length = 0;
    const t0 = p.clock.now();
    const data = seededRandom('sack').bytes(10 * mss);
    client.write(data);
    p.run(200);
    const resent = segments(p.log).filter(
      (s) => s.from === 'h1' && s.len > 0 && ((s.seq - base) >>> 0) % mss === 0 && [2, 5].includes(((s.seq - base) >>> 0) / mss),
    );
    // Each lost segment twice (lost, resent); both resent in the same round trip (before the first partial ACK could return).
    expect(resent.map((s) => ((s.seq - base) >>> 0) / mss)).toEqual([2, 5, 2, 5]);
    expect(resent[3].t - resent[2].t).toBeLessThan(10);
    expect(client.info().counters).toMatchObject({ fastRetransmits: 1, sackRetransmits: 1, timeouts: 0 });
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    expect(p.clock.now() - t0).toBeGreaterThan(0);
    await p.close();
  });
});
