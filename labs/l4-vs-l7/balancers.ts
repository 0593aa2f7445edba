// The l4-vs-l7 lab's balancers, started fresh for each step (so no pooled upstream connection of an
// earlier step hides when the next one is opened): netlab's TCP balancer (src/l4) over a list of
// backends, and netlab's reverse proxy (src/proxy) routing by path prefix.

import { Balancer } from '../../src/balance/index.ts';
import { realTimerClock, seededRandom } from '../../src/base/index.ts';
import { TcpBalancer, type TcpBalancerOptions, type TcpConnectionRecord } from '../../src/l4/index.ts';
import { type ReverseProxy, startProxy } from '../../src/proxy/index.ts';

/** The lab's addresses, all in 127.76.0.0/16. */
export const ADDR = {
  client: '127.76.0.50',
  l4: '127.76.0.1',
  l7: '127.76.0.2',
  users: '127.76.0.11',
  products: '127.76.0.12',
  secure: '127.76.0.13',
  proxied: '127.76.0.14',
  echo: '127.76.0.15',
} as const;

export interface Target {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface L4 {
  readonly lb: TcpBalancer;
  readonly port: number;
  /** The balancer's log lines, one per connection. */
  readonly log: string[];
  readonly records: readonly TcpConnectionRecord[];
  close(): Promise<void>;
}

/** A cluster of the L4 (round robin, or a hash of the client's address). */
export function l4Cluster(name: string, targets: readonly Target[], policy: 'round_robin' | 'ip_hash' = 'round_robin'): { name: string; balancer: Balancer } {
  return {
    name,
    balancer: new Balancer({
      policy,
      endpoints: targets.map((t) => ({ name: t.name, address: t.address, port: t.port })),
      clock: realTimerClock(),
      random: seededRandom(`l4-vs-l7-${name}`),
    }),
  };
}

/** netlab's L4 balancer on ADDR.l4, port 0, round robin over `targets`. */
export async function startL4(targets: readonly Target[], options: Partial<TcpBalancerOptions> = {}): Promise<L4> {
  const log: string[] = [];
  const lb = new TcpBalancer({
    name: 'l4',
    host: ADDR.l4,
    ...(targets.length === 0 ? {} : { cluster: l4Cluster('shop', targets) }),
    idleTimeoutMs: 5_000,
    connectTimeoutMs: 1_000,
    log: (l) => log.push(l),
    ...options,
  });
  const at = await lb.listen();
  return { lb, port: at.port, log, records: lb.finished, close: () => lb.drain(500) };
}

export interface L7 {
  readonly proxy: ReverseProxy;
  readonly port: number;
  /** The access log (combined format), one line per request. */
  readonly log: string[];
  close(): Promise<void>;
}

/** Routes by path prefix: each prefix to its own cluster of one backend. */
export interface PathRoute {
  readonly prefix: string;
  readonly target: Target;
}

/** netlab's reverse proxy on ADDR.l7, port 0, one cluster over `targets` (round robin) with a balancer cookie. */
export async function startStickyL7(targets: readonly Target[]): Promise<L7> {
  const log: string[] = [];
  const proxy = await startProxy(
    {
      listeners: [{ name: 'web', address: ADDR.l7, port: 0 }],
      routes: [{ name: 'all', match: { path: { prefix: '/' } }, cluster: 'shop' }],
      clusters: [
        {
          name: 'shop',
          policy: 'round_robin',
          sticky: { mode: 'cookie', name: 'LBSESSIONID' },
          endpoints: targets.map((t) => ({ name: t.name, address: t.address, port: t.port })),
        },
      ],
    },
    { accessLog: (l) => log.push(l), graceMs: 500 },
  );
  return { proxy, port: proxy.address().port, log, close: () => proxy.close(500) };
}

/** netlab's reverse proxy on ADDR.l7, port 0: `/users...` to users, `/products...` to products. */
export async function startL7(routes: readonly PathRoute[], tls?: { cert: string; key: string }): Promise<L7> {
  const log: string[] = [];
  const proxy = await startProxy(
    {
      listeners: [{ name: 'web', address: ADDR.l7, port: 0, ...(tls === undefined ? {} : { tls }) }],
      routes: routes.map((r) => ({ name: r.target.name, match: { path: { prefix: r.prefix } }, cluster: r.target.name })),
      clusters: routes.map((r) => ({ name: r.target.name, endpoints: [{ name: r.target.name, address: r.target.address, port: r.target.port }] })),
    },
    { accessLog: (l) => log.push(l), graceMs: 500 },
  );
  return { proxy, port: proxy.address().port, log, close: () => proxy.close(500) };
}
