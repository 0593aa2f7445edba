// WebSocket through netlab's reverse proxy, with the `ws` package on both ends (client and upstream
// server): the Upgrade goes on to the upstream with the forwarding fields, the 101 comes back with
// Sec-WebSocket-Accept, then messages, pings and pongs pass both ways unchanged, a 1 MiB binary
// message arrives whole, the close handshake's code reaches the other side, a tunnel idle past
// tunnelIdleMs is closed, a route with `upgrades: []` relays the request as a plain one, and closing
// the proxy ends open tunnels.

import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { startProxy } from '../../src/proxy/index.ts';

interface Upstream {
  port: number;
  server: WebSocketServer;
  requests: IncomingMessage[];
}

const open: { proxies: ReverseProxy[]; servers: WebSocketServer[]; clients: WebSocket[] } = { proxies: [], servers: [], clients: [] };

afterEach(async () => {
  for (const c of open.clients) c.terminate();
  for (const p of open.proxies) await p.close(0);
  for (const s of open.servers) {
    for (const c of s.clients) c.terminate();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  open.clients = [];
  open.proxies = [];
  open.servers = [];
});

/** A ws server that echoes every message back and records the upgrade requests. */
async function echoServer(): Promise<Upstream> {
  const requests: IncomingMessage[] = [];
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  open.servers.push(server);
  server.on('connection', (ws, req) => {
    requests.push(req);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const a = server.address();
  if (typeof a === 'string' || a === null) throw new Error('no address');
  return { port: a.port, server, requests };
}

async function proxyTo(port: number, extra: { upgrades?: string[]; tunnelIdleMs?: number } = {}): Promise<{ proxy: ReverseProxy; port: number }> {
  const proxy = await startProxy({
    listeners: [{ name: 'web', address: '127.0.0.1', port: 0 }],
    routes: [{ name: 'ws', cluster: 'chat', ...(extra.upgrades === undefined ? {} : { upgrades: extra.upgrades }) }],
    clusters: [
      {
        name: 'chat',
        endpoints: [{ name: 'c1', address: '127.0.0.1', port }],
        ...(extra.tunnelIdleMs === undefined ? {} : { timeouts: { tunnelIdleMs: extra.tunnelIdleMs } }),
      },
    ],
  });
  open.proxies.push(proxy);
  return { proxy, port: Number(new URL(proxy.listeners[0].url).port) };
}

function client(port: number, path = '/chat'): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  // A refused upgrade ends in an error event when afterEach terminates the socket: expected there.
  ws.on('error', () => undefined);
  open.clients.push(ws);
  return ws;
}

const once = <T>(ws: WebSocket, event: string): Promise<T> => new Promise((resolve) => ws.once(event, (...args: unknown[]) => resolve(args as T)));

describe('WebSocket through the proxy', () => {
  it('switches protocols, relays messages, pings and a 1 MiB frame both ways, and passes the close code on', async () => {
    const up = await echoServer();
    const { port } = await proxyTo(up.port);
    const ws = client(port);
    const upgraded = once<[IncomingMessage]>(ws, 'upgrade');
    const opened = once(ws, 'open');
    const [res] = await upgraded;
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-accept']).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(res.headers['x-request-id']).toBeDefined();
    await opened;

    // The upstream saw an Upgrade request carrying the proxy's forwarding fields.
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0].headers.upgrade).toBe('websocket');
    expect(up.requests[0].headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(up.requests[0].headers.via).toMatch(/1\.1 /);

    ws.send('hello');
    const [text, isBinary] = await once<[Buffer, boolean]>(ws, 'message');
    expect(isBinary).toBe(false);
    expect(text.toString()).toBe('hello');

    ws.ping(Buffer.from('are you there'));
    const [pong] = await once<[Buffer]>(ws, 'pong');
    expect(pong.toString()).toBe('are you there');

    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    ws.send(big);
    const [echoed, bin] = await once<[Buffer, boolean]>(ws, 'message');
    expect(bin).toBe(true);
    expect(Buffer.compare(echoed, big)).toBe(0);

    const serverSide = [...up.server.clients][0];
    const closed = new Promise<[number, string]>((resolve) => serverSide.once('close', (code, reason) => resolve([code, reason.toString()])));
    ws.close(4001, 'done here');
    expect(await closed).toEqual([4001, 'done here']);
    const [code] = await once<[number]>(ws, 'close');
    expect(code).toBe(4001);
  }, 30_000);

  it('closes a tunnel with no byte either way for tunnelIdleMs', async () => {
    const up = await echoServer();
    const { port } = await proxyTo(up.port, { tunnelIdleMs: 300 });
    const t0 = Date.now();
    const ws = client(port);
    await once(ws, 'open');
    const [code] = await once<[number]>(ws, 'close');
    // No close frame: the proxy cut the TCP connections (1006, abnormal closure).
    expect(code).toBe(1006);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  }, 15_000);

  it('with upgrades: [] on the route, relays the request as a plain one (the upstream refuses it)', async () => {
    const up = await echoServer();
    const { port } = await proxyTo(up.port, { upgrades: [] });
    const ws = client(port);
    const [, res] = await once<[unknown, IncomingMessage]>(ws, 'unexpected-response');
    expect(res.statusCode).toBe(426);
    expect(up.requests).toHaveLength(0);
  }, 15_000);

  it('ends open tunnels when the proxy closes', async () => {
    const up = await echoServer();
    const { proxy, port } = await proxyTo(up.port);
    const ws = client(port);
    await once(ws, 'open');
    const closed = once<[number]>(ws, 'close');
    await proxy.close(100);
    const [code] = await closed;
    expect(code).toBe(1006);
  }, 15_000);
});
