// The l7-load-balancing lab's proxy: netlab's reverse proxy on 127.70.0.1 (port 0), one route to one
// cluster "shop" of the lab's backends, with the policy, health checks, outlier detection or sticky
// sessions a step asks for. Every event the proxy reports is kept with the time it came.

import { performance } from 'node:perf_hooks';
import type { Random } from '../../src/lab/index.ts';
import { type ProxyEvent, type ReverseProxy, startProxy } from '../../src/proxy/index.ts';
import type { Backend } from './backends.ts';
import type { Target } from './clients.ts';

export const PROXY_ADDRESS = '127.70.0.1';
export const CLUSTER = 'shop';

export interface LabProxy {
  readonly proxy: ReverseProxy;
  readonly to: Target;
  /** What the proxy reported, each with performance.now() at the time. */
  readonly events: (ProxyEvent & { readonly at: number })[];
  close(): Promise<void>;
}

/** Starts a proxy in front of `backends` (weights by name, default 1) with the cluster keys given. */
export async function startLabProxy(
  backends: readonly Backend[],
  cluster: Record<string, unknown>,
  random: Random,
  weights: Readonly<Record<string, number>> = {},
): Promise<LabProxy> {
  const events: (ProxyEvent & { at: number })[] = [];
  const proxy = await startProxy(
    {
      listeners: [{ name: 'web', address: PROXY_ADDRESS, port: 0 }],
      routes: [{ name: 'all', cluster: CLUSTER }],
      clusters: [
        {
          name: CLUSTER,
          endpoints: backends.map((b) => ({ name: b.name, address: b.address, port: b.port, weight: weights[b.name] ?? 1 })),
          ...cluster,
        },
      ],
    },
    { random, graceMs: 1000, onEvent: (e) => events.push({ ...e, at: performance.now() }) },
  );
  const l = proxy.address();
  return { proxy, to: { host: l.address, port: l.port }, events, close: () => proxy.close(1000) };
}

/** Runs `fn` with a proxy and closes the proxy after, whatever happens. */
export async function withProxy<T>(
  backends: readonly Backend[],
  cluster: Record<string, unknown>,
  random: Random,
  fn: (p: LabProxy) => Promise<T>,
  weights: Readonly<Record<string, number>> = {},
): Promise<T> {
  const p = await startLabProxy(backends, cluster, random, weights);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}
