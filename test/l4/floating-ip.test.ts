import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FloatingIp, type FloatingState } from '../../src/l4/floating-ip.ts';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/wire/vrrp-heartbeat.ts';
import { closedPort, sleep, until } from './helpers.ts';

describe('heartbeat codec', () => {
  it('round-trips and reports the first wrong byte', () => {
    const h = { type: 'advert', priority: 200, preempt: true, intervalMs: 100, vip: '127.77.0.1', instance: 7, seq: 42 } as const;
    const b = encodeHeartbeat(h);
    expect(decodeHeartbeat(b)).toEqual({ ok: true, value: h });
    const cases: [number, number, number][] = [
      [0, 0x58, 0],
      [4, 2, 4],
      [5, 9, 5],
      [6, 0, 6],
      [7, 2, 7],
      [10, 1, 10],
      [13, 1, 24],
    ];
    for (const [at, v, offset] of cases) {
      const c = b.slice();
      c[at] = v;
      expect(decodeHeartbeat(c)).toMatchObject({ ok: false, offset });
    }
    expect(decodeHeartbeat(b.subarray(0, 10))).toMatchObject({ ok: false, offset: 10 });
    expect(() => encodeHeartbeat({ ...h, priority: 255 })).toThrow(/1\.\.254/);
  });
});

const VIP = '127.77.0.1';

/** Two instances; each "holds" the VIP by binding a TCP server on VIP:port that answers its name. */
async function pair(port: number, prioA: number, prioB: number, intervalMs = 50, vip = VIP) {
  const log: string[] = [];
  const mk = (name: string, priority: number, instance: number): FloatingIp =>
    new FloatingIp({
      vip,
      priority,
      instance,
      intervalMs,
      threshold: 3,
      heartbeat: { address: '127.0.0.1' },
      onState: (s: FloatingState, why: string, at: number) => log.push(`${Math.round(at)} ${name} ${s} (${why})`),
      acquire: async (vip) => {
        const srv: Server = createServer((s) => s.end(name));
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, vip, () => resolve());
        });
        return () => new Promise<void>((r) => srv.close(() => r()));
      },
    });
  const a = mk('A', prioA, 1);
  const b = mk('B', prioB, 2);
  const pa = await a.bind();
  const pb = await b.bind();
  a.setPeers([{ address: '127.0.0.1', port: pb }]);
  b.setPeers([{ address: '127.0.0.1', port: pa }]);
  return { a, b, log };
}

async function askVip(port: number, vip = VIP): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host: vip, port });
    let d = '';
    s.on('data', (c: Buffer) => {
      d += c.toString();
    });
    s.on('end', () => resolve(d));
    s.on('error', () => resolve('refused'));
  });
}

describe('floating IP', () => {
  it('the higher priority takes the address; when it dies the standby takes over within interval x threshold', async () => {
    const port = await closedPort();
    const { a, b, log } = await pair(port, 200, 100);
    try {
      b.start();
      a.start();
      await until(() => a.holding, 3000, 'A to hold the VIP');
      await sleep(200);
      expect(b.state).toBe('backup');
      expect(await askVip(port)).toBe('A');
      const t0 = performance.now();
      await a.crash();
      await until(() => b.holding, 3000, 'B to take over');
      const takeover = performance.now() - t0;
      console.log(
        `floating IP takeover after a crash: ${takeover.toFixed(0)} ms (interval 50 ms x threshold 3 = 150 ms + skew ${(b.masterDownMs - 150).toFixed(0)} ms)`,
      );
      expect(takeover).toBeGreaterThanOrEqual(b.masterDownMs - 60);
      expect(takeover).toBeLessThan(b.masterDownMs + 500);
      expect(await askVip(port)).toBe('B');
      expect(log.some((l) => /B master \(no ADVERT for \d+ ms\)/.test(l))).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a clean stop resigns: the standby takes over at once', async () => {
    const port = await closedPort();
    const { a, b } = await pair(port, 200, 100, 200);
    try {
      a.start();
      b.start();
      await until(() => a.holding, 5000, 'A to hold');
      await sleep(100);
      const t0 = performance.now();
      await a.stop();
      await until(() => b.holding, 3000, 'B to take over');
      const t = performance.now() - t0;
      console.log(`floating IP takeover after RESIGN: ${t.toFixed(0)} ms (the timeout would be ${b.masterDownMs.toFixed(0)} ms)`);
      expect(t).toBeLessThan(b.masterDownMs);
      expect(b.received.resigns).toBe(1);
    } finally {
      await b.stop();
    }
  });

  it('split brain: heartbeats lost both ways make two masters, only one holds the address; when they return the lower steps down', async () => {
    const port = await closedPort();
    const { a, b, log } = await pair(port, 150, 100);
    try {
      a.start();
      b.start();
      await until(() => a.holding, 3000, 'A to hold');
      a.deafened = true;
      b.deafened = true;
      await until(() => b.state === 'master', 3000, 'B to think it is master');
      await sleep(150);
      // Both think they are master; the kernel lets only one bind VIP:port.
      expect(a.state).toBe('master');
      expect(a.holding && b.holding).toBe(false);
      expect(await askVip(port)).toBe('A');
      a.deafened = false;
      b.deafened = false;
      await until(() => b.state === 'backup', 3000, 'B to step down');
      expect(log.some((l) => /B backup \(instance 1 is master with priority 150\)/.test(l))).toBe(true);
      expect(a.holding).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('preemption: a higher priority instance that comes back takes the address again', async () => {
    const port = await closedPort();
    const { a, b } = await pair(port, 100, 200);
    try {
      a.start();
      await until(() => a.holding, 3000, 'A (alone) to hold');
      expect(await askVip(port)).toBe('A');
      b.start();
      await until(() => b.holding, 3000, 'B to preempt');
      expect(a.state).toBe('backup');
      expect(await askVip(port)).toBe('B');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a master that steps down (preempted) releases the address, sends RESIGN, and the new master advertises and takes it at once', async () => {
    // A third socket on the heartbeat "link" records every heartbeat both instances send.
    const tap = createSocket('udp4');
    const heard: { at: number; type: string; instance: number }[] = [];
    tap.on('message', (m) => {
      const v = decodeHeartbeat(m);
      if (v.ok) heard.push({ at: performance.now(), type: v.value.type, instance: v.value.instance });
    });
    await new Promise<void>((r) => tap.bind(0, '127.194.0.1', () => r()));
    const tapPeer = { address: '127.194.0.1', port: tap.address().port };
    const port = await closedPort();
    // A long interval: a takeover that waited for B's next tick would take ~500 ms.
    const { a, b, log } = await pair(port, 100, 200, 500, '127.194.0.3');
    const pa = a.heartbeatPort;
    const pb = b.heartbeatPort;
    a.setPeers([{ address: '127.0.0.1', port: pb }, tapPeer]);
    b.setPeers([{ address: '127.0.0.1', port: pa }, tapPeer]);
    try {
      a.start();
      await until(() => a.holding, 5000, 'A (alone) to hold');
      b.start();
      await until(() => b.holding, 3000, 'B to preempt and hold');
      await until(() => heard.some((h) => h.type === 'resign'), 1000, 'the RESIGN on the wire');
      const resign = heard.find((h) => h.type === 'resign');
      expect(resign?.instance).toBe(1);
      expect(b.received.resigns).toBe(1);
      expect(a.state).toBe('backup');
      expect(a.holding).toBe(false);
      expect(log.some((l) => /A backup \(instance 2 is master with priority 200\)/.test(l))).toBe(true);
      // B's answer to the RESIGN: an ADVERT right away, not at its next 500 ms tick.
      const answer = heard.find((h) => h.instance === 2 && h.type === 'advert' && h.at >= (resign?.at ?? 0));
      expect(answer).toBeDefined();
      const gap = (answer?.at ?? 0) - (resign?.at ?? 0);
      console.log(`RESIGN on step-down -> new master's ADVERT after ${gap.toFixed(1)} ms (interval 500 ms)`);
      expect(gap).toBeLessThan(250);
      expect(await askVip(port, '127.194.0.3')).toBe('B');
    } finally {
      await a.stop();
      await b.stop();
      await new Promise<void>((r) => tap.close(() => r()));
    }
  });
});
