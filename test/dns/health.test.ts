import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecker, httpProbe, RiseFall, tcpProbe, type HealthChange, type HealthCheckSpec } from '../../src/dns/health.ts';
import { ManualClock } from '../../src/base/timer-clock.ts';

/** Lets settled promises run their continuations. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('rise/fall counting', () => {
  it('turns unhealthy after `fall` failures in a row and healthy after `rise` successes in a row', () => {
    const c = new RiseFall(2, 3, true);
    const turns = [false, false, true, false, false, false, true, false, true, true].map((ok) => c.record(ok));
    // f f (reset by t) f f f -> down at the 6th; t f t t -> up at the 10th (the f broke the first streak).
    expect(turns).toEqual([false, false, false, false, false, true, false, false, false, true]);
    expect(c.healthy).toBe(true);
  });
});

describe('HealthChecker on a manual clock', () => {
  const spec: HealthCheckSpec = { kind: 'tcp', host: '127.0.0.1', port: 1 };

  it('probes every interval and reports each state change once', async () => {
    const clock = new ManualClock();
    const up = new Map([
      ['a', true],
      ['b', true],
    ]);
    const probe = (s: HealthCheckSpec, _signal: AbortSignal): Promise<void> => {
      const id = s.kind === 'tcp' && s.port === 1 ? 'a' : 'b';
      return up.get(id) ? Promise.resolve() : Promise.reject(new Error(`${id} refused`));
    };
    const hc = new HealthChecker(
      [
        { id: 'a', check: spec },
        { id: 'b', check: { kind: 'tcp', host: '127.0.0.1', port: 2 } },
      ],
      { intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 2, clock, probe },
    );
    const changes: HealthChange[] = [];
    hc.on('change', (c) => changes.push(c));
    hc.start();
    const tick = async (ms: number): Promise<void> => {
      clock.advance(ms);
      await flush();
    };
    await tick(0); // first probe at once
    expect(hc.status().map((s) => s.checks)).toEqual([1, 1]);
    up.set('a', false);
    await tick(1000);
    expect(hc.isHealthy('a')).toBe(true); // one failure of two
    await tick(1000);
    expect(hc.isHealthy('a')).toBe(false);
    expect(changes).toEqual([{ id: 'a', healthy: false, reason: 'a refused', at: 2000 }]);
    expect(hc.status()[0]).toMatchObject({ healthy: false, streak: -2, lastError: 'a refused', since: 2000 });
    up.set('a', true);
    await tick(1000);
    await tick(1000);
    expect(changes.map((c) => `${c.id}:${c.healthy}@${c.at}`)).toEqual(['a:false@2000', 'a:true@4000']);
    expect(hc.isHealthy('b')).toBe(true);
    await hc.stop();
    expect(clock.pending).toBe(0);
    await tick(5000);
    expect(hc.status()[0].checks).toBe(5);
  });

  it('fails a probe that does not finish within the timeout', async () => {
    const clock = new ManualClock();
    const hang = (_s: HealthCheckSpec, signal: AbortSignal): Promise<void> =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const hc = new HealthChecker([{ id: 'x', check: spec }], { intervalMs: 1000, timeoutMs: 300, rise: 1, fall: 1, clock, probe: hang });
    const results: string[] = [];
    hc.on('check', (r) => results.push(`${r.ok}:${r.error}:${r.durationMs}`));
    hc.start();
    clock.advance(0);
    await flush();
    expect(results).toEqual([]);
    clock.advance(299);
    await flush();
    expect(results).toEqual([]);
    clock.advance(1);
    await flush();
    expect(results).toEqual(['false:timed out after 300 ms:300']);
    expect(hc.isHealthy('x')).toBe(false);
    await hc.stop();
  });

  it('starts unhealthy when asked, and refuses bad options', async () => {
    const clock = new ManualClock();
    const hc = new HealthChecker([{ id: 'x', check: spec }], {
      intervalMs: 10,
      timeoutMs: 5,
      rise: 3,
      fall: 1,
      initial: 'unhealthy',
      clock,
      probe: () => Promise.resolve(),
    });
    expect(hc.isHealthy('x')).toBe(false);
    await hc.checkNow();
    await hc.checkNow();
    expect(hc.isHealthy('x')).toBe(false);
    await hc.checkNow();
    expect(hc.isHealthy('x')).toBe(true);
    expect(() => hc.isHealthy('nope')).toThrow(/no health check target 'nope'/);
    expect(() => new HealthChecker([], { intervalMs: 0, timeoutMs: 5, rise: 1, fall: 1 })).toThrow(/intervalMs must be an integer >= 1, got 0/);
    expect(
      () =>
        new HealthChecker(
          [
            { id: 'a', check: spec },
            { id: 'a', check: spec },
          ],
          { intervalMs: 1, timeoutMs: 1, rise: 1, fall: 1 },
        ),
    ).toThrow(/listed twice/);
  });
});

describe('real probes on loopback', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    return (server.address() as AddressInfo).port;
  }

  it('TCP connect: healthy on a listener, unhealthy on a closed port with the reason', async () => {
    const port = await listen(createServer((s) => s.destroy()));
    await expect(tcpProbe({ kind: 'tcp', host: '127.0.0.1', port }, new AbortController().signal)).resolves.toBeUndefined();
    // A port that was just free: bind, read it, close.
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await expect(tcpProbe({ kind: 'tcp', host: '127.0.0.1', port: deadPort }, new AbortController().signal)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('HTTP GET: the status decides; a server that never answers times out through the checker', async () => {
    let status = 200;
    const paths: string[] = [];
    const port = await listen(
      createHttpServer((req, res) => {
        paths.push(req.url ?? '');
        res.statusCode = status;
        res.end('ok');
      }),
    );
    const spec = { kind: 'http' as const, host: '127.0.0.1', port, path: '/healthz' };
    await expect(httpProbe(spec, new AbortController().signal)).resolves.toBeUndefined();
    status = 503;
    await expect(httpProbe(spec, new AbortController().signal)).rejects.toThrow(/status 503/);
    expect(paths).toEqual(['/healthz', '/healthz']);

    // A TCP listener that accepts and never writes: the checker's timeout fails it, sockets close.
    const held = new Set<import('node:net').Socket>();
    const silentServer = createServer((s) => {
      s.resume(); // reads (and drops) what comes, so it sees the probe hang up
      held.add(s);
      s.on('close', () => held.delete(s));
    });
    const silent = await listen(silentServer);
    const hc = new HealthChecker([{ id: 'silent', check: { kind: 'http', host: '127.0.0.1', port: silent } }], {
      intervalMs: 10_000,
      timeoutMs: 100,
      rise: 1,
      fall: 1,
    });
    const changes: HealthChange[] = [];
    hc.on('change', (c) => changes.push(c));
    await hc.checkNow();
    expect(changes.map((c) => [c.id, c.healthy, c.reason])).toEqual([['silent', false, 'timed out after 100 ms']]);
    await hc.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(held.size).toBe(0); // the probe's socket was destroyed
  });

  it('stop() aborts a probe in flight and leaves nothing running', async () => {
    const silentServer = createServer((s) => s.resume());
    const port = await listen(silentServer);
    const hc = new HealthChecker([{ id: 's', check: { kind: 'http', host: '127.0.0.1', port } }], { intervalMs: 50, timeoutMs: 5_000, rise: 1, fall: 1 });
    const checks: unknown[] = [];
    hc.on('check', (c) => checks.push(c));
    hc.start();
    await new Promise((r) => setTimeout(r, 30));
    await hc.stop();
    expect(checks).toEqual([]); // aborted by stop: not counted as a failure
    // The server sees the probe's socket close (a few ticks later).
    let conns = -1;
    for (let i = 0; i < 50 && conns !== 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      conns = await new Promise<number>((r) => silentServer.getConnections((_e, n) => r(n)));
    }
    expect(conns).toBe(0);
  });
});
