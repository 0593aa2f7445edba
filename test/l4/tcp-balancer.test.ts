import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecker } from '../../src/balance/health-check.ts';
import { realClock } from '../../src/base/timer-clock.ts';
import { TcpBalancer, tcpConnectProbe, type TcpBalancerOptions } from '../../src/l4/tcp-balancer.ts';
import { clientHelloRecord, tlsExt } from '../../src/wire/tls-encode.ts';
import { encodeProxyV1, parseProxyHeader } from '../../src/wire/proxy-protocol.ts';
import { backend, type Backend, closedPort, cluster, dial, namedEcho, readAll, sleep, until } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(options: TcpBalancerOptions): Promise<TcpBalancer> {
  const lb = new TcpBalancer({ idleTimeoutMs: 10_000, ...options });
  await lb.listen();
  open.push(lb);
  return lb;
}

async function be(name: string, on: (s: Socket) => void = namedEcho(name), port = 0): Promise<Backend> {
  const b = await backend(name, on, port);
  open.push(b);
  return b;
}

describe('TCP balancer: splice semantics', () => {
  it('balances round robin and echoes through', async () => {
    const a = await be('a');
    const b = await be('b');
    const lb = await start({ cluster: cluster('c', [a, b]) });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await dial(lb.address.port);
      const r = readAll(s);
      s.end('ping');
      seen.push((await r).data);
    }
    expect(seen).toEqual(['a:ping', 'b:ping', 'a:ping', 'b:ping']);
    await until(() => lb.finished.length === 4);
    expect(lb.finished.every((f) => f.end === 'closed' && f.bytesUp === 4)).toBe(true);
  });

  it('half-close: the client FIN reaches the backend, which keeps sending afterwards', async () => {
    let backendSawEnd = false;
    const a = await be('a', (s) => {
      let got = '';
      s.on('data', (c: Buffer) => {
        got += c.toString();
      });
      s.on('end', () => {
        backendSawEnd = true;
        // The client's direction is closed; this one still flows, in pieces, then ends.
        s.write(`got ${got};`);
        setTimeout(() => s.end('after-fin'), 50);
      });
    });
    const lb = await start({ cluster: cluster('c', [a]) });
    const s = await dial(lb.address.port);
    const r = readAll(s);
    s.write('hello');
    s.end();
    const res = await r;
    expect(backendSawEnd).toBe(true);
    expect(res).toEqual({ data: 'got hello;after-fin', end: 'end' });
    await until(() => lb.finished.length === 1);
    expect(lb.finished[0].end).toBe('closed');
  });

  it('a backend reset reaches the client as a reset, and a client reset reaches the backend', async () => {
    const a = await be('a', (s) => s.once('data', () => s.resetAndDestroy()));
    const lb = await start({ cluster: cluster('c', [a]) });
    const s = await dial(lb.address.port);
    const r = readAll(s);
    s.write('x');
    expect(await r).toMatchObject({ end: 'reset', error: 'ECONNRESET' });
    await until(() => lb.finished.length === 1);
    expect(lb.finished[0].end).toBe('upstream_reset');

    let backendResult: Promise<{ end: string; error?: string }> | undefined;
    const b = await be('b', (sock) => {
      backendResult = readAll(sock);
    });
    const lb2 = await start({ cluster: cluster('c2', [b]) });
    const c = await dial(lb2.address.port);
    c.write('y');
    await until(() => backendResult !== undefined);
    await sleep(20);
    c.resetAndDestroy();
    expect(await backendResult).toMatchObject({ end: 'reset', error: 'ECONNRESET' });
    await until(() => lb2.finished.length === 1);
    expect(lb2.finished[0].end).toBe('client_reset');
  });

  it('backpressure: a backend that stops reading stops the client; the balancer holds a bounded amount', async () => {
    const a = await be('a', (s) => s.pause());
    const lb = await start({ cluster: cluster('c', [a]) });
    const s = await dial(lb.address.port);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let written = 0;
    let maxBuffered = 0;
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline && written < 256 * 1024 * 1024) {
      if (!s.write(chunk)) {
        const drained = await Promise.race([new Promise<boolean>((r) => s.once('drain', () => r(true))), sleep(200).then(() => false)]);
        maxBuffered = Math.max(maxBuffered, lb.bufferedBytes);
        if (!drained) break;
      }
      written += chunk.length;
    }
    maxBuffered = Math.max(maxBuffered, lb.bufferedBytes);
    console.log(
      `backpressure: client wrote ${(written / 1048576).toFixed(1)} MiB before stalling; balancer buffered at most ${(maxBuffered / 1024).toFixed(0)} KiB; pauses ${lb.pausesNow}`,
    );
    expect(written).toBeLessThan(256 * 1024 * 1024);
    expect(lb.pausesNow).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024);
    s.destroy();
  });

  it('metrics: connections, bytes and open connections, added up between two reads of /metrics', async () => {
    const a = await be('a');
    const lb = await start({ name: 'm', cluster: cluster('c', [a]) });
    const once = async (msg: string): Promise<void> => {
      const s = await dial(lb.address.port);
      const r = readAll(s);
      s.end(msg);
      await r;
    };
    await once('hi');
    await until(() => lb.finished.length === 1);
    const held = await dial(lb.address.port);
    await until(() => lb.activeConnections === 1);
    const first = await lb.metrics.text();
    expect(first).toMatch(/netlab_l4_connections_total\{listener="m",cluster="c",endpoint="a",end="closed"\} 1\n/);
    expect(first).toMatch(/netlab_l4_bytes_total\{listener="m",direction="up"\} 2\n/);
    expect(first).toMatch(/netlab_l4_bytes_total\{listener="m",direction="down"\} 4\n/);
    expect(first).toMatch(/netlab_l4_active_connections\{listener="m"\} 1\n/);
    held.resetAndDestroy();
    await once('hello');
    await until(() => lb.finished.length === 3);
    const second = await lb.metrics.text();
    // 'a:hi' then, after the reset one, 'a:hello': counts carry on from the first read, not twice.
    expect(second).toMatch(/netlab_l4_connections_total\{listener="m",cluster="c",endpoint="a",end="closed"\} 2\n/);
    expect(second).toMatch(/netlab_l4_connections_total\{listener="m",cluster="c",endpoint="a",end="client_reset"\} 1\n/);
    expect(second).toMatch(/netlab_l4_bytes_total\{listener="m",direction="up"\} 7\n/);
    expect(second).toMatch(/netlab_l4_bytes_total\{listener="m",direction="down"\} 13\n/);
    expect(second).toMatch(/netlab_l4_active_connections\{listener="m"\} 0\n/);
  });

  it('idle timeout resets both sides', async () => {
    const a = await be('a', () => undefined);
    const lb = await start({ cluster: cluster('c', [a]), idleTimeoutMs: 150 });
    const s = await dial(lb.address.port);
    const r = readAll(s);
    expect((await r).end).toBe('reset');
    await until(() => lb.finished.length === 1);
    expect(lb.finished[0].end).toBe('idle_timeout');
  });
});

describe('TCP balancer: choosing and connecting', () => {
  it('retries on another endpoint when the connect fails (before any byte was sent), and counts the failure', async () => {
    const dead = await closedPort();
    const a = await be('a');
    const c = cluster('c', [{ name: 'dead', port: dead }, a], { outlier: { consecutiveConnectFailures: 2, maxEjectionPercent: 50 } });
    const lb = await start({ cluster: c });
    for (let i = 0; i < 2; i++) {
      const s = await dial(lb.address.port);
      const r = readAll(s);
      s.end('hi');
      expect((await r).data).toBe('a:hi');
    }
    await until(() => lb.finished.length === 2);
    expect(lb.finished[0]).toMatchObject({ endpoint: 'a', attempts: 2 });
    // Two connect failures in a row: the dead endpoint is ejected; the next connection goes straight to a.
    expect(c.balancer.endpoint('dead')?.state).toBe('ejected');
    const s = await dial(lb.address.port);
    const r = readAll(s);
    s.end('x');
    await r;
    await until(() => lb.finished.length === 3);
    expect(lb.finished[2].attempts).toBe(1);
    const m = await lb.metrics.text();
    expect(m).toMatch(/netlab_l4_connect_failures_total\{listener="tcp",endpoint="dead"\} 2/);
  });

  it.each(['ip_hash', 'maglev'] as const)('%s: the same client address always reaches the same endpoint', async (policy) => {
    const bs = [await be('a'), await be('b'), await be('c')];
    const lb = await start({ cluster: cluster('c', bs, { policy }) });
    const chosen = new Map<string, Set<string>>();
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i <= 12; i++) {
        const local = `127.0.0.${20 + i}`;
        const s = await dial(lb.address.port, { localAddress: local });
        const r = readAll(s);
        s.end('.');
        const who = (await r).data.split(':')[0];
        chosen.set(local, (chosen.get(local) ?? new Set()).add(who));
      }
    }
    expect([...chosen.values()].every((v) => v.size === 1)).toBe(true);
    expect(new Set([...chosen.values()].map((v) => [...v][0])).size).toBeGreaterThan(1);
  });

  it('closes with a reset when every endpoint refuses', async () => {
    const lb = await start({
      cluster: cluster('c', [
        { name: 'd1', port: await closedPort() },
        { name: 'd2', port: await closedPort() },
      ]),
    });
    const s = await dial(lb.address.port);
    expect((await readAll(s)).end).toBe('reset');
    await until(() => lb.finished.length === 1);
    expect(lb.finished[0]).toMatchObject({ end: 'refused', reason: expect.stringMatching(/connect failed on d1, d2: ECONNREFUSED/) });
  });

  it('limits: total connections and per endpoint', async () => {
    const a = await be('a');
    const lb = await start({ cluster: cluster('c', [a]), maxConnections: 2 });
    const held = [await dial(lb.address.port), await dial(lb.address.port)];
    await until(() => lb.activeConnections === 2);
    const third = await dial(lb.address.port);
    const r = await readAll(third);
    expect(r.data).toBe('');
    expect(lb.activeConnections).toBe(2);
    expect(await lb.metrics.text()).toMatch(/netlab_l4_refused_total\{listener="tcp",reason="limit"\} 1/);
    for (const h of held) h.destroy();

    const lb2 = await start({ name: 'per', cluster: cluster('c2', [a], { maxActivePerEndpoint: 1 }) });
    const one = await dial(lb2.address.port);
    await until(() => lb2.activeConnections === 1 && a.sockets.size >= 1);
    await sleep(20);
    const two = await dial(lb2.address.port);
    expect((await readAll(two)).data).toBe('');
    await until(() => lb2.finished.length === 1);
    expect(lb2.finished[0]).toMatchObject({ end: 'refused', reason: 'no endpoint: all_busy' });
    one.destroy();
  });

  it('drain: stops accepting, lets the open connection finish, then resolves', async () => {
    const a = await be('a');
    const lb = await start({ cluster: cluster('c', [a]) });
    const s = await dial(lb.address.port);
    const r = readAll(s);
    s.write('1');
    await until(() => lb.activeConnections === 1);
    let drained = false;
    const port = lb.address.port;
    const d = lb.drain(5000).then(() => {
      drained = true;
    });
    await sleep(50);
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(drained).toBe(false);
    s.end('2');
    expect((await r).data).toBe('a:12');
    await d;
    expect(drained).toBe(true);
  });

  it('active TCP health checks take a dead endpoint out and bring it back', async () => {
    const a = await be('a');
    let b = await backend('b', namedEcho('b'));
    const port = b.port;
    const c = cluster('c', [a, b]);
    const checker = new HealthChecker(realClock(), tcpConnectProbe, { intervalMs: 40, timeoutMs: 200, fall: 2, rise: 2 });
    checker.setEndpoints(c.balancer.endpoints);
    checker.start();
    open.push({ close: async () => checker.stop() });
    const lb = await start({ cluster: c });
    const events: string[] = [];
    checker.onEvent((e) => {
      if (e.change !== undefined) events.push(`${e.endpoint.name} ${e.change}`);
    });
    await b.close();
    await until(() => c.balancer.endpoint('b')?.healthy === false, 3000, 'b down');
    for (let i = 0; i < 3; i++) {
      const s = await dial(lb.address.port);
      const r = readAll(s);
      s.end('.');
      expect((await r).data).toBe('a:.');
    }
    b = await backend('b', namedEcho('b'), port);
    open.push(b);
    await until(() => c.balancer.endpoint('b')?.healthy === true, 3000, 'b up');
    expect(events).toEqual(['b down', 'b up']);
  });
});

describe('TCP balancer: PROXY protocol', () => {
  /** A backend that parses a PROXY header and answers with what it learnt. */
  function proxyReader(s: Socket): void {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
    });
    s.on('end', () => {
      const v = parseProxyHeader(buf);
      if (v.status !== 'ok') {
        s.end(`bad ${v.status}`);
        return;
      }
      const rest = buf.subarray(v.header.length).toString();
      s.end(`v${v.header.version} ${v.header.source}:${v.header.sourcePort} -> ${v.header.destination}:${v.header.destinationPort} rest=${rest}`);
    });
  }

  it.each([1, 2] as const)('sends v%i so the backend sees the real client address', async (version) => {
    const a = await be('a', proxyReader);
    const lb = await start({ cluster: cluster('c', [a]), sendProxy: version });
    const s = await dial(lb.address.port, { localAddress: '127.0.0.7' });
    const localPort = s.localPort;
    const r = readAll(s);
    s.end('data');
    const res = await r;
    expect(res.data).toBe(`v${version} 127.0.0.7:${localPort} -> 127.0.0.1:${lb.address.port} rest=data`);
  });

  it('believes a PROXY header only from a trusted downstream', async () => {
    const a = await be('a', proxyReader);
    const lb = await start({ cluster: cluster('c', [a]), sendProxy: 2, acceptProxyFrom: ['127.0.0.1/32'] });
    const fake = encodeProxyV1({ family: 'tcp4', source: '203.0.113.7', destination: '198.51.100.1', sourcePort: 4444, destinationPort: 443 });

    const trusted = await dial(lb.address.port, { localAddress: '127.0.0.1' });
    const r1 = readAll(trusted);
    trusted.end(Buffer.concat([Buffer.from(fake), Buffer.from('hi')]));
    expect((await r1).data).toBe('v2 203.0.113.7:4444 -> 198.51.100.1:443 rest=hi');

    const untrusted = await dial(lb.address.port, { localAddress: '127.0.0.9' });
    const untrustedPort = untrusted.localPort;
    const r2 = readAll(untrusted);
    untrusted.end(Buffer.concat([Buffer.from(fake), Buffer.from('hi')]));
    const d2 = (await r2).data;
    expect(d2.startsWith(`v2 127.0.0.9:${untrustedPort} -> `)).toBe(true);
    expect(d2).toContain('rest=PROXY TCP4 203.0.113.7'); // passed on as data, not believed

    const noHeader = await dial(lb.address.port, { localAddress: '127.0.0.1' });
    const r3 = readAll(noHeader);
    noHeader.write('GET / HTTP/1.1\r\n\r\n');
    expect((await r3).data).toBe('');
    const bad = await dial(lb.address.port, { localAddress: '127.0.0.1' });
    const r4 = readAll(bad);
    bad.write('PROXY TCP4 1.2.3.999 1.2.3.4 1 2\r\n');
    expect((await r4).data).toBe('');
    await until(() => lb.finished.length === 4);
    const reasons = lb.finished.map((f) => f.reason ?? f.end);
    expect(reasons).toContain('a trusted downstream must start with a PROXY header');
    expect(reasons.some((x) => /PROXY v1 header invalid at byte 11/.test(x))).toBe(true);
  });
});

describe('TCP balancer: TLS passthrough by SNI', () => {
  const hello = (name?: string): Buffer =>
    Buffer.from(
      clientHelloRecord({
        cipherSuites: [0x1301, 0xc02f],
        extensions: name === undefined ? [tlsExt.alpn(['h2'])] : [tlsExt.serverName(name), tlsExt.alpn(['h2'])],
      }),
    );

  async function setup(noSni: 'default' | 'close') {
    const got: Record<string, string[]> = { a: [], b: [], d: [] };
    const mk = (n: string) =>
      be(n, (s) => {
        s.once('data', (c: Buffer) => {
          got[n].push(c.subarray(0, 1).toString('hex'));
          s.end(n);
        });
      });
    const [a, b, d] = [await mk('a'), await mk('b'), await mk('d')];
    const lb = await start({
      cluster: cluster('default', [d]),
      sni: [
        { host: 'a.example.test', cluster: cluster('ca', [a]) },
        { host: '*.b.example.test', cluster: cluster('cb', [b]) },
      ],
      noSni,
      handshakeTimeoutMs: 1000,
    });
    return { lb, got };
  }

  async function send(port: number, parts: Buffer[]): Promise<string> {
    const s = await dial(port);
    s.setNoDelay(true);
    const r = readAll(s);
    for (const p of parts) {
      s.write(p);
      await sleep(25);
    }
    const data = (await r).data;
    s.end();
    return data;
  }

  it('routes by server name, also when the ClientHello comes in several segments', async () => {
    const { lb, got } = await setup('default');
    expect(await send(lb.address.port, [hello('a.example.test')])).toBe('a');
    expect(await send(lb.address.port, [hello('x.b.example.test')])).toBe('b');
    expect(await send(lb.address.port, [hello('other.test')])).toBe('d');
    const h = hello('A.Example.Test');
    expect(await send(lb.address.port, [h.subarray(0, 3), h.subarray(3, 40), h.subarray(40)])).toBe('a');
    // The backend got the ClientHello from its first byte (0x16): nothing was terminated or lost.
    expect(got.a).toEqual(['16', '16']);
    await until(() => lb.finished.length === 4);
    expect(lb.finished.map((f) => f.serverName)).toEqual(['a.example.test', 'x.b.example.test', 'other.test', 'a.example.test']);
  });

  it('a ClientHello split over two TLS records works', async () => {
    const { lb } = await setup('default');
    const h = hello('a.example.test');
    const body = h.subarray(5);
    const rec = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 3, 1, b.length >> 8, b.length & 0xff]), b]);
    expect(await send(lb.address.port, [rec(body.subarray(0, 20)), rec(body.subarray(20))])).toBe('a');
  });

  it('no SNI or garbage goes to the default route, or is closed when configured', async () => {
    const d = await setup('default');
    expect(await send(d.lb.address.port, [hello()])).toBe('d');
    expect(await send(d.lb.address.port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')])).toBe('d');
    const c = await setup('close');
    expect(await send(c.lb.address.port, [hello()])).toBe('');
    expect(await send(c.lb.address.port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')])).toBe('');
    expect(await send(c.lb.address.port, [Buffer.from([0x16, 3, 1, 0, 5, 2, 0, 0, 1, 0])])).toBe('');
    await until(() => c.lb.finished.length === 3);
    expect(c.lb.finished.map((f) => f.reason)).toEqual([
      'the ClientHello has no server name',
      'first byte 0x47 is not a TLS handshake record (0x16)',
      'first handshake message is type 2, not ClientHello (1)',
    ]);
  });
});
