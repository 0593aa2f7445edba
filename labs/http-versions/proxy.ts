// The http-versions lab's proxy: netlab's reverse proxy on 127.182.0.1 (port 0), one route to one
// cluster "shop" holding the lab's backend. A step starts its own, so the connections the proxy opens
// to the backend are counted from zero.

import type { Random } from '../../src/lab/index.ts';
import { type ReverseProxy, startProxy } from '../../src/proxy/index.ts';
import type { Backend } from './backend.ts';
import { BACKEND_ADDRESS } from './backend.ts';
import type { Target } from './clients.ts';

export const PROXY_ADDRESS = '127.182.0.1';

export interface LabProxy {
  readonly proxy: ReverseProxy;
  readonly to: Target;
}

export interface ProxyOptions {
  /** The listener also speaks HTTP/2 with prior knowledge (h2c) beside HTTP/1.x. */
  readonly h2c?: boolean;
  /** Forward over HTTP/2 (one pooled session, h2c) to this HTTP/2 server instead of HTTP/1.1 to the backend. */
  readonly h2Upstream?: { readonly address: string; readonly port: number };
}

/** Runs `fn` with a fresh proxy in front of `backend` (its counters reset) or an HTTP/2 server, and closes the proxy after. */
export async function withProxy<T>(backend: Backend, random: Random, fn: (p: LabProxy) => Promise<T>, o: ProxyOptions = {}): Promise<T> {
  backend.reset();
  const proxy = await startProxy(
    {
      listeners: [{ name: 'web', address: PROXY_ADDRESS, port: 0, protocols: o.h2c === true ? ['http/1.1', 'http/1.0', 'h2c'] : ['http/1.1', 'http/1.0'] }],
      routes: [{ name: 'all', cluster: 'shop' }],
      clusters: [
        o.h2Upstream === undefined
          ? { name: 'shop', endpoints: [{ name: 'backend', address: BACKEND_ADDRESS, port: backend.port }] }
          : { name: 'shop', protocol: 'h2', endpoints: [{ name: 'h2-backend', address: o.h2Upstream.address, port: o.h2Upstream.port }] },
      ],
    },
    { random, graceMs: 500 },
  );
  const l = proxy.address();
  try {
    return await fn({ proxy, to: { host: l.address, port: l.port } });
  } finally {
    await proxy.close(500);
  }
}
