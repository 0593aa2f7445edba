// Health checks, outlier ejection, sticky sessions, drain and reload, through the proxy to real
// netlab upstreams (real clock, short intervals).

import { afterEach, describe, expect, it } from 'vitest';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { field, LISTENER, proxyWith, send, sleep, startUpstream, type Upstream } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function ups(...names: string[]): Promise<Upstream[]> {
  const out: Upstream[] = [];
  for (const n of names) {
    const u = await startUpstream(n);
    cleanup.push(u.close);
    out.push(u);
  }
  return out;
}

function cfg(upstreams: Upstream[], extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listeners: [LISTENER],
    routes: [{ name: 'all', cluster: 'c' }],
    clusters: [{ name: 'c', endpoints: upstreams.map((u) => ({ name: u.name, address: '127.0.0.1', port: u.port })), policy: 'round_robin', ...extra }],
    ...top,
  };
}

async function start(config: Record<string, unknown>): Promise<{ p: ReverseProxy; port: number; events: string[] }> {
  const events: string[] = [];
  const p = await proxyWith(config, {
    onEvent: (e) =>
      events.push(
        e.type === 'health'
          ? `health ${e.endpoint} ${e.ok ? 'ok' : 'fail'}${e.change === undefined ? '' : ` ${e.change}`}`
          : e.type === 'balancer'
            ? `${e.event} ${e.endpoint}`
            : e.type,
      ),
  });
  cleanup.push(() => p.close(500));
  return { p, port: p.address().port, events };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('active health checks', () => {
  it('take an endpoint out after 3 failed probes and back after 2 passes (GET /health expecting "status":"UP")', async () => {
    const [s1, s2] = await ups('s1', 's2');
    let s2Up = true;
    for (const u of [s1, s2]) {
      u.handler = (req, res) => {
        if (req.head.target === '/health') {
          const up = u === s1 || s2Up;
          res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json' });
          res.end(up ? '{"status":"UP"}' : '{"status":"DOWN"}');
          return;
        }
        res.end(u.name);
      };
    }
    const { p, port, events } = await start(
      cfg([s1, s2], { healthCheck: { path: '/health', expectStatus: 200, expectBody: '"status":"UP"', intervalMs: 40, timeoutMs: 500, fall: 3, rise: 2 } }),
    );
    await until(() => events.filter((e) => e === 'health s2 ok').length >= 1);
    s2Up = false;
    await until(() => events.includes('health s2 fail down'));
    const s2Events = events.filter((e) => e.startsWith('health s2'));
    const downAt = s2Events.indexOf('health s2 fail down');
    expect(s2Events.slice(downAt - 2, downAt + 1)).toEqual(['health s2 fail', 'health s2 fail', 'health s2 fail down']);
    expect(p.stats().clusters.c.find((e) => e.name === 's2')?.state).toBe('unhealthy');
    const bodies = await Promise.all([1, 2, 3, 4].map(() => send(port, 'GET', '/x').then((r) => r.body)));
    expect(bodies).toEqual(['s1', 's1', 's1', 's1']);
    s2Up = true;
    await until(() => events.includes('health s2 ok up'));
    const after = events.filter((e) => e.startsWith('health s2')).slice(downAt + 1);
    expect(after.slice(after.indexOf('health s2 ok up') - 1, after.indexOf('health s2 ok up') + 1)).toEqual(['health s2 ok', 'health s2 ok up']);
    const back = new Set<string>();
    for (let i = 0; i < 4; i++) back.add((await send(port, 'GET', '/y')).body);
    expect(back).toEqual(new Set(['s1', 's2']));
  });

  it('a TCP check sees a closed port; every endpoint down gives 503, or with fail-open the request is sent anyway', async () => {
    const [s1] = await ups('s1');
    const hc = { type: 'tcp', intervalMs: 30, timeoutMs: 300, fall: 2, rise: 1 };
    const { p, port, events } = await start(cfg([s1], { healthCheck: hc }));
    await until(() => events.includes('health s1 ok'));
    expect((await send(port, 'GET', '/')).body).toBe('s1 GET /');
    await s1.close();
    await until(() => events.includes('health s1 fail down'));
    const r = await send(port, 'GET', '/');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/all_down/);
    await p.reload(cfg([s1], { healthCheck: hc, failOpen: true }));
    await until(() => events.filter((e) => e === 'health s1 fail down').length >= 2);
    const open = await send(port, 'GET', '/');
    expect(open.status).toBe(502);
    expect(open.body).toMatch(/s1: connect to/);
  });
});

describe('outlier detection', () => {
  it('ejects an endpoint after consecutive 5xx and keeps traffic off it', async () => {
    const [good, bad] = await ups('good', 'bad');
    bad.handler = (_q, res) => {
      res.writeHead(500, {});
      res.end('boom');
    };
    const { p, port, events } = await start(cfg([good, bad], { outlierDetection: { consecutive5xx: 3, baseEjectionMs: 60_000, maxEjectionPercent: 50 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(port, 'GET', `/${i}`)).status);
    expect(statuses.filter((s) => s === 500).length).toBe(3);
    expect(statuses.slice(6).every((s) => s === 200)).toBe(true);
    expect(events).toContain('ejected bad');
    expect(p.stats().clusters.c.find((e) => e.name === 'bad')?.state).toBe('ejected');
  });
});

describe('sticky sessions', () => {
  it('balancer cookie LBSESSIONID=<endpoint>: set on the first answer, honoured after, re-set when its endpoint is down', async () => {
    const [s1, s2, s3] = await ups('server1', 'server2', 'server3');
    const { p, port } = await start(cfg([s1, s2, s3], { sticky: { mode: 'cookie' } }));
    const first = await send(port, 'GET', '/');
    const cookie = field(first.fields, 'set-cookie');
    expect(cookie).toMatch(/^LBSESSIONID=server[123]; Path=\/; HttpOnly$/);
    const name = /LBSESSIONID=([^;]+)/.exec(cookie ?? '')?.[1] ?? '';
    expect(first.body.split(' ')[0]).toBe(name);
    for (let i = 0; i < 5; i++) {
      const r = await send(port, 'GET', '/', { Cookie: `a=b; LBSESSIONID=${name}` });
      expect(r.body.split(' ')[0]).toBe(name);
      expect(field(r.fields, 'set-cookie')).toBeUndefined();
    }
    await p.drainEndpoint('c', name);
    const moved = await send(port, 'GET', '/', { Cookie: `LBSESSIONID=${name}` });
    expect(moved.body.split(' ')[0]).not.toBe(name);
    expect(field(moved.fields, 'set-cookie')).toBe(`LBSESSIONID=${moved.body.split(' ')[0]}; Path=/; HttpOnly`);
  });

  it('application cookie (PHPSESSID) learned from Set-Cookie', async () => {
    const [s1, s2] = await ups('s1', 's2');
    for (const u of [s1, s2]) {
      u.handler = (req, res) => {
        const has = req.head.fields.some((f) => f.name.toLowerCase() === 'cookie');
        res.writeHead(200, has ? {} : { 'Set-Cookie': `PHPSESSID=sess-${u.name}; Path=/` });
        res.end(u.name);
      };
    }
    const { port } = await start(cfg([s1, s2], { sticky: { mode: 'app_cookie', name: 'PHPSESSID' } }));
    const first = await send(port, 'GET', '/login');
    const sess = /PHPSESSID=([^;]+)/.exec(field(first.fields, 'set-cookie') ?? '')?.[1];
    expect(sess).toBe(`sess-${first.body}`);
    for (let i = 0; i < 4; i++) expect((await send(port, 'GET', '/page', { Cookie: `PHPSESSID=${sess}` })).body).toBe(first.body);
  });

  it('by header and by client address', async () => {
    const [s1, s2, s3] = await ups('s1', 's2', 's3');
    const h = await start(cfg([s1, s2, s3], { sticky: { mode: 'header', name: 'X-User' } }));
    const got = new Set<string>();
    for (let i = 0; i < 4; i++) got.add((await send(h.port, 'GET', '/', { 'X-User': 'alice' })).body);
    expect(got.size).toBe(1);
    const c = await start(cfg([s1, s2, s3], { sticky: { mode: 'client_address' } }));
    const got2 = new Set<string>();
    for (let i = 0; i < 4; i++) got2.add((await send(c.port, 'GET', '/')).body);
    expect(got2.size).toBe(1);
  });
});

describe('trusted proxies', () => {
  it('from a trusted peer the X-Forwarded-For chain is kept and extended, and the client address is the first untrusted hop', async () => {
    const [s1, s2, s3] = await ups('s1', 's2', 's3');
    const { port } = await start(cfg([s1, s2, s3], { policy: 'ip_hash' }, { trustedProxies: ['127.0.0.0/8', '10.0.0.0/8'] }));
    const r = await send(port, 'GET', '/', { 'X-Forwarded-For': '203.0.113.7, 10.1.1.1', Forwarded: 'for=203.0.113.7', 'X-Forwarded-Proto': 'https' });
    const seen = [s1, s2, s3].flatMap((u) => u.seen)[0];
    expect(field(seen.fields, 'x-forwarded-for')).toBe('203.0.113.7, 10.1.1.1, 127.0.0.1');
    expect(field(seen.fields, 'x-forwarded-proto')).toBe('https');
    expect(field(seen.fields, 'forwarded')).toBe('for=203.0.113.7, for=127.0.0.1;by=127.0.0.1;host=app.netlab.test;proto=http');
    // ip_hash on the real client: the same client address always lands on the same endpoint.
    for (let i = 0; i < 3; i++) expect((await send(port, 'GET', '/', { 'X-Forwarded-For': '203.0.113.7' })).body).toBe(r.body);
  });
});

describe('drain and reload', () => {
  it('a slow request in flight survives a reload that removes its endpoint; new requests use the new config', async () => {
    const [slow, fresh] = await ups('slow', 'fresh');
    slow.handler = async (_q, res) => {
      await sleep(400);
      res.end('slow done');
    };
    const { p, port } = await start(cfg([slow]));
    const inFlight = send(port, 'GET', '/slow');
    await until(() => slow.seen.length === 1);
    await p.reload(cfg([fresh]));
    expect((await send(port, 'GET', '/new')).body).toBe('fresh GET /new');
    const r = await inFlight;
    expect([r.status, r.body]).toEqual([200, 'slow done']);
    expect(p.address().port).toBe(port);
  });

  it('an invalid reload is refused with the key named, the old config stays', async () => {
    const [s1] = await ups('s1');
    const { p, port } = await start(cfg([s1]));
    await expect(
      p.reload({ listeners: [LISTENER], routes: [{ name: 'x', cluster: 'nope' }], clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port: 1 }] }] }),
    ).rejects.toThrow(/routes\[0\]\.cluster/);
    expect((await send(port, 'GET', '/')).body).toBe('s1 GET /');
  });

  it('draining an endpoint lets its request finish and sends no new one to it; closing the proxy finishes in-flight and closes idle keep-alive', async () => {
    const [a, b] = await ups('a', 'b');
    a.handler = async (_q, res) => {
      await sleep(300);
      res.end('a slow');
    };
    const { p, port } = await start(cfg([a, b]));
    const slow = send(port, 'GET', '/1');
    await until(() => a.seen.length === 1);
    let drained = false;
    const d = p.drainEndpoint('c', 'a').then(() => {
      drained = true;
    });
    expect(drained).toBe(false);
    for (let i = 0; i < 3; i++) expect((await send(port, 'GET', '/n')).body).toBe('b GET /n');
    expect((await slow).body).toBe('a slow');
    await d;
    expect(p.stats().clusters.c.find((e) => e.name === 'a')?.state).toBe('draining');
    // Its idle keep-alive connection from the proxy is closed.
    const t0 = Date.now();
    while (a.server.connections.size > 0 && Date.now() - t0 < 1000) await sleep(10);
    expect(a.server.connections.size).toBe(0);
    // Proxy drain: one request in flight finishes with Connection: close; the listener stops accepting.
    const { connect } = await import('node:net');
    b.handler = async (_q, res) => {
      await sleep(200);
      res.end('last');
    };
    const raw = new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /last HTTP/1.1\r\nHost: x\r\n\r\n'));
      let t = '';
      s.on('data', (x) => {
        t += x.toString('latin1');
      });
      s.on('close', () => resolve(t));
    });
    await until(() => b.seen.some((s) => s.target === '/last'));
    await p.close(2000);
    const text = await raw;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toMatch(/connection: close/i);
    expect(text.endsWith('last')).toBe(true);
    await expect(send(port, 'GET', '/after')).rejects.toThrow();
  });
});
