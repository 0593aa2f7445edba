import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpBalancer, type UdpBalancerOptions } from '../../src/l4/udp-balancer.ts';
import { TapRecorder } from '../../src/capture/index.ts';
import { cluster, sleep, until } from './helpers.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A UDP server that answers "NAME:payload" (twice when the payload starts with "2x"). */
async function udpBackend(name: string): Promise<{ port: number; seen: string[] }> {
  const s = createSocket('udp4');
  const seen: string[] = [];
  s.on('message', (m, r) => {
    seen.push(`${r.port}:${m.toString()}`);
    s.send(`${name}:${m.toString()}`, r.port, r.address);
    if (m.toString().startsWith('2x')) s.send(`${name}:again`, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  return { port: s.address().port, seen };
}

async function client(): Promise<{ sock: Socket; got: { text: string; from: RemoteInfo }[] }> {
  const sock = createSocket('udp4');
  const got: { text: string; from: RemoteInfo }[] = [];
  sock.on('message', (m, from) => got.push({ text: m.toString(), from }));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => sock.close(() => r())) });
  return { sock, got };
}

async function lb(o: Omit<UdpBalancerOptions, 'cluster'> & { ports: number[] }): Promise<UdpBalancer> {
  const b = new UdpBalancer({
    ...o,
    cluster: cluster(
      'u',
      o.ports.map((port, i) => ({ name: `e${i}`, port })),
    ),
  });
  await b.listen();
  open.push(b);
  return b;
}

describe('UDP balancer', () => {
  it('tap: each socket toward an endpoint is recorded, so a capture shows what went to which backend', async () => {
    const a = await udpBackend('a');
    const b = await udpBackend('b');
    const tap = new TapRecorder();
    const u = await lb({ mode: 'datagram', ports: [a.port, b.port], tap });
    const c = await client();
    for (let i = 0; i < 4; i++) c.sock.send(`q${i}`, u.address.port, '127.0.0.1');
    await until(() => c.got.length === 4);
    await tap.close();
    // Ethernet + IPv4 + UDP: the destination port at 36, the payload from 42.
    const up = tap.frames.map((f) => f.data).filter((d) => [a.port, b.port].includes((d[36] << 8) | d[37]));
    expect(up.map((d) => `${(d[36] << 8) | d[37]} ${Buffer.from(d.subarray(42)).toString()}`)).toEqual([
      `${a.port} q0`,
      `${b.port} q1`,
      `${a.port} q2`,
      `${b.port} q3`,
    ]);
    expect(tap.frames).toHaveLength(8); // each query and its answer, nothing of the client's own socket
  });

  it('flow mode: a client keeps its endpoint; replies reach the right client from the listener address', async () => {
    const a = await udpBackend('a');
    const b = await udpBackend('b');
    const u = await lb({ mode: 'flow', ports: [a.port, b.port] });
    const c1 = await client();
    const c2 = await client();
    for (let i = 0; i < 3; i++) {
      c1.sock.send(`one${i}`, u.address.port, '127.0.0.1');
      c2.sock.send(`two${i}`, u.address.port, '127.0.0.1');
      await sleep(10);
    }
    await until(() => c1.got.length === 3 && c2.got.length === 3);
    const p1 = c1.got.map((g) => g.text);
    const p2 = c2.got.map((g) => g.text);
    expect(new Set(p1.map((t) => t.split(':')[0])).size).toBe(1);
    expect(new Set(p2.map((t) => t.split(':')[0])).size).toBe(1);
    expect(p1[0].split(':')[0]).not.toBe(p2[0].split(':')[0]);
    expect(p1.map((t) => t.split(':')[1])).toEqual(['one0', 'one1', 'one2']);
    for (const g of [...c1.got, ...c2.got]) expect(`${g.from.address}:${g.from.port}`).toBe(`127.0.0.1:${u.address.port}`);
    // One session per client: the backend saw one source port per client.
    expect(new Set(a.seen.map((x) => x.split(':')[0])).size).toBe(1);
    expect(u.stats()).toMatchObject({ forwardedUp: 6, forwardedDown: 6, sessions: 2, sessionsCreated: 2 });
  });

  it('flow mode: idle sessions are forgotten, and the table is bounded (drops counted)', async () => {
    const a = await udpBackend('a');
    const u = await lb({ mode: 'flow', ports: [a.port], idleMs: 150, maxSessions: 2 });
    const cs = [await client(), await client(), await client()];
    for (const c of cs) c.sock.send('x', u.address.port, '127.0.0.1');
    await until(() => cs[0].got.length + cs[1].got.length === 2);
    await sleep(50);
    expect(cs[2].got).toHaveLength(0);
    expect(u.stats().dropped.table_full).toBe(1);
    expect(await u.metrics.text()).toMatch(/netlab_l4_udp_dropped_total\{listener="udp",reason="table_full"\} 1/);
    await until(() => u.stats().sessions === 0, 2000, 'idle sessions to go');
    cs[2].sock.send('y', u.address.port, '127.0.0.1');
    await until(() => cs[2].got.length === 1);
    expect(cs[2].got[0].text).toBe('a:y');
  });

  it('datagram mode: each datagram is balanced on its own, one reply each, extra replies dropped', async () => {
    const a = await udpBackend('a');
    const b = await udpBackend('b');
    const u = await lb({ mode: 'datagram', ports: [a.port, b.port], idleMs: 500 });
    const c = await client();
    for (let i = 0; i < 4; i++) {
      c.sock.send(`q${i}`, u.address.port, '127.0.0.1');
      await until(() => c.got.length === i + 1);
    }
    expect(c.got.map((g) => g.text)).toEqual(['a:q0', 'b:q1', 'a:q2', 'b:q3']);
    c.sock.send('2x', u.address.port, '127.0.0.1');
    await until(() => c.got.length === 5);
    await sleep(100);
    expect(c.got).toHaveLength(5);
    expect(u.stats().sessions).toBe(0);
    expect(u.stats().dropped.late_reply + u.stats().forwardedDown).toBeGreaterThanOrEqual(5);
  });

  it('datagram mode is bounded too: datagrams beyond maxSessions awaiting replies are dropped', async () => {
    // A backend that never answers: every datagram waits for its reply until idleMs.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => silent.close(() => r())) });
    const u = await lb({ mode: 'datagram', ports: [silent.address().port], idleMs: 200, maxSessions: 5 });
    const c = await client();
    for (let i = 0; i < 8; i++) c.sock.send(`q${i}`, u.address.port, '127.0.0.1');
    await until(() => u.stats().dropped.table_full === 3);
    expect(u.stats().sessions).toBe(5);
    await until(() => u.stats().sessions === 0, 2000, 'waits to time out');
    expect(u.options.cluster.balancer.endpoints[0].failures).toBe(5);
  });
});
