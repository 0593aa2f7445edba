// The socket-mode relay on real sockets beyond what STUN shows (test/nat/stun.test.ts): UDP refusals
// counted (not inside, filtered, pool exhausted), bad configuration named, and TCP: a connection
// relayed from the mapping's public port (the server sees 127.74.x:port, ss lists it), its state in
// the table from SYN to FIN, and a refused outside endpoint resetting the inside client.

import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket as TcpSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketRelay } from '../../src/nat/socket-relay.ts';
import { findTool } from '../helpers/tools.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const MIRRORS = [{ outside: '127.74.0.31', inside: '127.73.251.31' }];

async function udp(address: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, address, res));
  closers.push(() => new Promise((res) => s.close(() => res())));
  return s;
}

function next(s: Socket, ms = 500): Promise<{ data: string; from: string } | undefined> {
  return new Promise((res) => {
    const t = setTimeout(() => res(undefined), ms);
    s.once('message', (m, r) => {
      clearTimeout(t);
      res({ data: m.toString(), from: `${r.address}:${r.port}` });
    });
  });
}

async function relay(o: Partial<Parameters<typeof SocketRelay.start>[0]> = {}): Promise<SocketRelay> {
  const r = await SocketRelay.start({ inside: '127.73.0.0/16', publicAddress: '127.74.0.130', mirrors: MIRRORS, ...o });
  closers.push(() => r.close());
  return r;
}

describe('socket relay, UDP', () => {
  it('relays out and back, filters what the behaviour filters, counts what it drops', async () => {
    const r = await relay({ filtering: 'address-and-port-dependent', ports: { min: 45000, max: 45001, preserve: false, parity: false, holdMs: 0 } });
    const server = await udp('127.74.0.31');
    const stranger = await udp('127.74.0.31');
    const sp = server.address().port;
    const m = await r.mirror('127.74.0.31', sp);
    const client = await udp('127.73.0.40');
    client.send('hola', m.port, m.address);
    const seen = await next(server);
    expect(seen?.data).toBe('hola');
    expect(seen?.from).toBe('127.74.0.130:45000');
    server.send('adios', 45000, '127.74.0.130');
    expect(await next(client)).toEqual({ data: 'adios', from: `127.73.251.31:${sp}` });
    // Another port of the same outside address: address-and-port-dependent filtering drops it.
    stranger.send('let me in', 45000, '127.74.0.130');
    expect(await next(client, 200)).toBeUndefined();
    expect(r.counters.refused.filtered).toBe(1);
    // A pool of two ports: the third inside endpoint is refused, the first two keep theirs.
    const c2 = await udp('127.73.0.41');
    const c3 = await udp('127.73.0.42');
    c2.send('two', m.port, m.address);
    expect((await next(server))?.from).toBe('127.74.0.130:45001');
    c3.send('three', m.port, m.address);
    expect(await next(server, 200)).toBeUndefined();
    expect(r.counters.refused['pool-exhausted']).toBe(1);
    expect(r.table.entries().map((e) => `${e.insideAddress}:${e.outsidePort}`)).toEqual([`127.73.0.40:45000`, `127.73.0.41:45001`]);
    // A sender outside the inside prefix reaching a mirror is not relayed.
    const outsider = await udp('127.74.0.32');
    outsider.send('sneak', m.port, m.address);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.counters.notInside).toBe(1);
  });

  it('names what is wrong with its configuration', async () => {
    await expect(SocketRelay.start({ inside: '127.73.0.0/16', publicAddress: '127.73.0.1', mirrors: [] })).rejects.toThrow(/lies inside/);
    await expect(
      SocketRelay.start({ inside: '127.73.0.0/16', publicAddress: '127.74.0.130', mirrors: [{ outside: '127.74.0.1', inside: '127.75.0.1' }] }),
    ).rejects.toThrow(/is not inside/);
    await expect(
      SocketRelay.start({
        inside: '127.73.0.0/16',
        publicAddress: '127.74.0.130',
        mirrors: [
          { outside: '127.74.0.1', inside: '127.73.9.1' },
          { outside: '127.74.0.1', inside: '127.73.9.2' },
        ],
      }),
    ).rejects.toThrow(/overlaps/);
    const r = await relay();
    await expect(r.mirror('127.74.9.9', 1234)).rejects.toThrow(/no mirror alias for 127\.74\.9\.9/);
  });
});

describe('socket relay, TCP', () => {
  async function echoServer(): Promise<{ server: Server; port: number; peers: string[] }> {
    const peers: string[] = [];
    const open = new Set<TcpSocket>();
    const server = createServer((s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
      peers.push(`${s.remoteAddress}:${s.remotePort}`);
      s.on('data', (d) => s.write(d.toString().toUpperCase()));
      s.on('end', () => s.end());
    });
    await new Promise<void>((res) => server.listen(0, '127.74.0.31', res));
    closers.push(
      () =>
        new Promise((res) => {
          for (const s of open) s.destroy();
          server.close(() => res());
        }),
    );
    return { server, port: (server.address() as AddressInfo).port, peers };
  }

  it('relays a connection from the mapping public port, its state from SYN to FIN in the table', async () => {
    const r = await relay({ ports: { min: 46000, max: 46999, preserve: false, parity: false } });
    const { port, peers } = await echoServer();
    const m = await r.mirrorTcp('127.74.0.31', port);
    const c = connect({ host: m.address, port: m.port, localAddress: '127.73.0.43' });
    await new Promise<void>((res, rej) => c.once('connect', res).once('error', rej));
    const reply = new Promise<string>((res) => c.once('data', (d) => res(d.toString())));
    c.write('hola');
    expect(await reply).toBe('HOLA');
    expect(peers).toEqual(['127.74.0.130:46000']);
    const row = r.table.entries().find((e) => e.protocol === 'tcp');
    expect(row).toMatchObject({
      insideAddress: '127.73.0.43',
      insidePort: c.localPort,
      outsidePort: 46000,
      remoteAddress: '127.74.0.31',
      remotePort: port,
      state: 'established',
    });
    expect(r.format()).toMatch(/tcp +127\.73\.0\.43:\d+ +<-> +127\.74\.0\.130:46000 +<-> +127\.74\.0\.31:\d+ +established +tcp 127\.74\.0\.130:46000/);
    if (findTool('ss') !== undefined) {
      expect(execFileSync('ss', ['-Hnt', 'src', '127.74.0.130'], { encoding: 'utf8' })).toContain(`127.74.0.130:46000`);
    }
    await new Promise<void>((res) => {
      c.once('close', () => res());
      c.end();
    });
    await new Promise((res) => setTimeout(res, 50));
    expect(r.table.entries().find((e) => e.protocol === 'tcp')?.state).toBe('closed');
    expect(r.counters.tcpConnections).toBe(1);
  });

  it('resets the inside client when the outside endpoint refuses', async () => {
    const r = await relay();
    // A port nothing listens on: take one from the OS, then free it.
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, '127.74.0.31', res));
    const dead = (probe.address() as AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const m = await r.mirrorTcp('127.74.0.31', dead);
    const c = connect({ host: m.address, port: m.port, localAddress: '127.73.0.44' });
    const err = await new Promise<NodeJS.ErrnoException | undefined>((res) => {
      c.once('error', res);
      c.once('close', () => res(undefined));
    });
    expect(err?.code).toBe('ECONNRESET');
    expect(r.counters.tcpRefused).toBe(1);
    expect(r.table.entries().filter((e) => e.protocol === 'tcp')).toEqual([]);
  });
});
