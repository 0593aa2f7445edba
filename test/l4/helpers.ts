// Small real peers for the L4 tests: TCP servers on 127.0.0.1 port 0, clients, and a Balancer over them.

import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Balancer, type BalancerOptions } from '../../src/balance/balancer.ts';
import { seededRandom } from '../../src/base/random.ts';
import { realClock } from '../../src/base/timer-clock.ts';
import type { TcpCluster } from '../../src/l4/tcp-balancer.ts';

export interface Backend {
  readonly name: string;
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server; `onSocket` gets each accepted socket (allowHalfOpen). */
export async function backend(name: string, onSocket: (s: Socket) => void, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    name,
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Answers every connection with its name, then echoes. */
export function namedEcho(name: string): (s: Socket) => void {
  return (s) => {
    s.write(`${name}:`);
    s.pipe(s);
  };
}

export function cluster(
  name: string,
  endpoints: readonly { name: string; port: number }[],
  extra: Partial<Omit<BalancerOptions, 'endpoints' | 'clock' | 'random'>> = {},
): TcpCluster {
  return {
    name,
    balancer: new Balancer({
      policy: 'round_robin',
      ...extra,
      endpoints: endpoints.map((e) => ({ name: e.name, address: '127.0.0.1', port: e.port })),
      clock: realClock(),
      random: seededRandom('l4'),
    }),
  };
}

/** A free TCP port on 127.0.0.1 with nothing listening (bound, read back, closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function dial(port: number, options: { localAddress?: string } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true, ...options });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the socket sends until it ends (or closes), and how it ended. */
export function readAll(s: Socket): Promise<{ data: string; end: 'end' | 'reset' | 'close'; error?: string }> {
  return new Promise((resolve) => {
    let data = '';
    let ended = false;
    s.on('data', (c: Buffer) => {
      data += c.toString('latin1');
    });
    s.on('end', () => {
      ended = true;
      resolve({ data, end: 'end' });
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ data, end: 'reset', error: e.code ?? e.message }));
    s.on('close', () => {
      if (!ended) resolve({ data, end: 'close' });
    });
  });
}

export function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
