// The consistent-hashing lab's real traffic: netlab's reverse proxy on 127.82.0.1 (port 0) with the
// ring_hash policy keyed on the X-User header, in front of netlab HTTP backends server1..server5 on
// 127.82.1.1..5, and one keep-alive client on 127.82.2.1. Each key is sent once per round; the backend
// that answered (X-Served-By) is what the proxy's ring chose. Between rounds the proxy is reloaded
// with one more endpoint, without closing its listener.

import type { Random } from '../../src/lab/index.ts';
import type { TapRecorder } from '../../src/capture/index.ts';
import { type ReverseProxy, startProxy } from '../../src/proxy/index.ts';
import { Backend } from '../l7-load-balancing/backends.ts';
import { LabClient } from '../l7-load-balancing/clients.ts';

export const PROXY_ADDRESS = '127.82.0.1';
export const CLIENT_ADDRESS = '127.82.2.1';
export const backendAddress = (i: number): string => `127.82.1.${i}`;
export const KEY_HEADER = 'X-User';
export const VIRTUAL_NODES = 160;

/** Starts backends server1..serverN on 127.82.1.1..N (closed again if one fails to start). */
export async function startBackends(n: number, tap: TapRecorder | undefined): Promise<Backend[]> {
  const out: Backend[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const b = new Backend({ name: `server${i}`, address: backendAddress(i) });
      b.tap = tap;
      out.push(b);
      await b.listen();
    }
  } catch (err) {
    await Promise.all(out.map((b) => b.close()));
    throw err;
  }
  return out;
}

/** The proxy's config with the first `n` backends as the cluster's endpoints. */
export function proxyConfig(backends: readonly Backend[], n: number): Record<string, unknown> {
  return {
    listeners: [{ name: 'web', address: PROXY_ADDRESS, port: 0 }],
    routes: [{ name: 'all', cluster: 'users' }],
    clusters: [
      {
        name: 'users',
        policy: { name: 'ring_hash', hashOn: `header:${KEY_HEADER}`, virtualNodes: VIRTUAL_NODES },
        endpoints: backends.slice(0, n).map((b) => ({ name: b.name, address: b.address, port: b.port })),
      },
    ],
  };
}

export async function startLabProxy(backends: readonly Backend[], n: number, random: Random): Promise<ReverseProxy> {
  return startProxy(proxyConfig(backends, n), { random, graceMs: 1000 });
}

/** Sends GET /profile with X-User: KEY for each key, one at a time; the backend that answered each. */
export async function sendKeys(client: LabClient, keys: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    const r = await client.get(`/profile`, { [KEY_HEADER]: k });
    out.push(r.status === 200 ? r.server : `status ${r.status}`);
  }
  return out;
}

export { Backend, LabClient };
