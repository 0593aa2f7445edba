// A proxy listener's maxConnections queues, as HAProxy's maxconn does: with maxConnections 1 a second
// client waits for the first one's slow request and is then served; a full queue (maxQueued) and a
// wait past queueTimeoutMs get 503 with Retry-After and Connection: close; /metrics counts each;
// the config keys are checked, each error naming its key.

import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/proxy/config.ts';
import type { ProxyEvent } from '../../src/proxy/index.ts';
import { proxyWith, send, sleep, startUpstream } from './helpers.ts';

function config(upstreamPort: number, listener: Record<string, unknown>): unknown {
  return {
    listeners: [{ name: 'web', address: '127.0.0.1', port: 0, ...listener }],
    routes: [{ name: 'all', cluster: 'app' }],
    clusters: [{ name: 'app', endpoints: [{ name: 'u1', address: '127.0.0.1', port: upstreamPort }] }],
    metrics: { path: '/metrics' },
  };
}

describe('proxy listener maxConnections: a queue', () => {
  it('the connection above maxConnections waits and is served after the first; a full queue gets 503 at once', async () => {
    const up = await startUpstream('u1');
    up.handler = async (req, res) => {
      if (req.head.target === '/slow') await sleep(400);
      res.end(`u1 ${req.head.target}`);
    };
    const events: ProxyEvent[] = [];
    const proxy = await proxyWith(config(up.port, { maxConnections: 1, maxQueued: 1 }), { onEvent: (e) => events.push(e) });
    try {
      const port = proxy.listeners[0].port;
      const t0 = performance.now();
      const first = send(port, 'GET', '/slow').then((r) => ({ ...r, at: performance.now() - t0 }));
      await sleep(50);
      const second = send(port, 'GET', '/fast').then((r) => ({ ...r, at: performance.now() - t0 }));
      await sleep(50);
      const third = await send(port, 'GET', '/fast');
      expect(third.status).toBe(503);
      expect(third.fields.find((f) => f.name.toLowerCase() === 'retry-after')?.value).toBe('1');
      expect(third.fields.find((f) => f.name.toLowerCase() === 'connection')?.value).toBe('close');
      const [a, b] = await Promise.all([first, second]);
      expect([a.status, a.body, b.status, b.body]).toEqual([200, 'u1 /slow', 200, 'u1 /fast']);
      // /fast itself takes no time: it was answered once /slow (400 ms) had freed the slot.
      expect(b.at).toBeGreaterThanOrEqual(a.at - 5);
      expect(events.filter((e) => e.type === 'queue-refused')).toEqual([{ type: 'queue-refused', listener: 'web', reason: 'queue-full' }]);
      const metrics = await send(port, 'GET', '/metrics');
      const count = (outcome: string): number =>
        Number(new RegExp(`netlab_proxy_listener_queue_total\\{listener="web",outcome="${outcome}"\\} (\\d+)`).exec(metrics.body)?.[1] ?? 0);
      // The /metrics request itself may have waited too, if the last connection had not closed yet.
      expect(count('queued')).toBeGreaterThanOrEqual(1);
      expect(count('served')).toBe(count('queued'));
      expect(count('refused_full')).toBe(1);
    } finally {
      await proxy.close(500);
      await up.close();
    }
  });

  it('a wait past queueTimeoutMs is answered 503', async () => {
    const up = await startUpstream('u1');
    up.handler = async (req, res) => {
      if (req.head.target === '/slow') await sleep(500);
      res.end('ok');
    };
    const proxy = await proxyWith(config(up.port, { maxConnections: 1, queueTimeoutMs: 100 }));
    try {
      const port = proxy.listeners[0].port;
      const first = send(port, 'GET', '/slow');
      await sleep(50);
      const t0 = performance.now();
      const second = await send(port, 'GET', '/fast');
      expect(second.status).toBe(503);
      expect(second.body).toContain('no connection slot freed within 100 ms');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
      expect((await first).status).toBe(200);
    } finally {
      await proxy.close(500);
      await up.close();
    }
  });
});

describe('proxy listener queue keys', () => {
  const base = (listener: string): string =>
    `listeners:\n  - { name: web, address: 127.0.0.1, port: 0${listener} }\nroutes:\n  - { name: all, cluster: app }\nclusters:\n  - { name: app, endpoints: [{ address: 127.0.0.1, port: 9 }] }\n`;
  const errorOf = (text: string): string => {
    try {
      parseConfig(text);
    } catch (e) {
      if (e instanceof ConfigError) return e.message;
      throw e;
    }
    return 'no error';
  };

  it('are read with maxConnections', () => {
    const l = parseConfig(base(', maxConnections: 10, maxQueued: 0, queueTimeoutMs: 2000')).listeners[0];
    expect([l.maxConnections, l.maxQueued, l.queueTimeoutMs]).toEqual([10, 0, 2000]);
  });

  it('name the key when wrong', () => {
    expect(errorOf(base(', maxQueued: 5'))).toMatch(/^listeners\[0\]\.maxQueued: a queue needs maxConnections/);
    expect(errorOf(base(', maxConnections: 1, maxQueued: -1'))).toMatch(/^listeners\[0\]\.maxQueued: expected .*>= 0.*got -1/);
    expect(errorOf(base(', maxConnections: 1, queueTimeoutMs: fast'))).toMatch(/^listeners\[0\]\.queueTimeoutMs: expected a number/);
    expect(errorOf(base(', queueTimeoutMs: 100'))).toMatch(/^listeners\[0\]\.queueTimeoutMs: a queue needs maxConnections/);
  });
});
