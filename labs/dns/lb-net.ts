// The DNS load-balancing lab's network: the web servers, the root, .com and the authoritative server
// (rotation, views, failover), netlab's recursive resolver and its cache, and the lab's ways to ask:
// a client on any 127.x address asking the authoritative server directly (optionally with a client
// subnet, as a resolver that passes one on would), or a stub asking the recursive resolver.

import type { AuthServer } from '../../src/dns/index.ts';
import { DnsCache } from '../../src/dns/index.ts';
import type { HealthChange } from '../../src/dns/index.ts';
import { RecursiveServer } from '../../src/dns/index.ts';
import type { QueryResult } from '../../src/dns/index.ts';
import { Resolver } from '../../src/dns/index.ts';
import { SocketTransport } from '../../src/dns/index.ts';
import type { TapRecorder } from '../../src/capture/index.ts';
import { rdataText } from '../../src/wire/index.ts';
import { DNS_TYPE, type DnsMessage, type EdnsClientSubnet } from '../../src/wire/index.ts';
import { startBackends, type BackendSet } from './backends.ts';
import type { TapSwitch } from './capture.ts';
import { AUTH_ADDRESS, LB, lbServers, RESOLVER_ADDRESS } from './lb-zones.ts';
import { startHierarchy, type Hierarchy } from './servers.ts';
import { ROOT_ADDRESS, ROOT_NAME } from './seed-zones.ts';
import { Stub } from '../../src/dns/index.ts';

export interface AuthQuery {
  client: string;
  name: string;
  view: string | undefined;
  subnet: string | undefined;
  at: number;
}

export interface LbNet {
  backends: BackendSet;
  hierarchy: Hierarchy;
  auth: AuthServer;
  resolver: Resolver;
  recursive: RecursiveServer;
  /** Every question the authoritative server answered, in order. */
  authLog: AuthQuery[];
  /** Every health change, in order. */
  changes: HealthChange[];
  close(): Promise<void>;
}

/** A message's A addresses, in the order given. */
export const addressesOf = (m: DnsMessage): string[] => m.answers.filter((r) => r.type === DNS_TYPE.A).map((r) => rdataText(r.data));

export function messageOf(r: QueryResult, what: string): DnsMessage {
  if (!r.ok) throw new Error(`${what}: no answer (${r.reason})`);
  return r.message;
}

/** The health target id of a web server's address (as the failover checker names it). */
export const targetOf = (net: LbNet, address: string): string => `tcp://${address}:${net.backends.port}`;

export async function startLbNet(taps: TapSwitch, rotate = true): Promise<LbNet> {
  const backends = await startBackends([LB.east, LB.west, LB.sorry]);
  let hierarchy: Hierarchy | undefined;
  let recursive: RecursiveServer | undefined;
  try {
    hierarchy = await startHierarchy(lbServers(backends.port, rotate));
    const auth = hierarchy.get(AUTH_ADDRESS);
    const authLog: AuthQuery[] = [];
    auth.on('query', (q) => authLog.push({ client: q.client, name: (q.name ?? '').toLowerCase(), view: q.view, subnet: q.subnet, at: performance.now() }));
    const changes: HealthChange[] = [];
    auth.on('health', (c) => changes.push(c));
    const cache = new DnsCache();
    const transport = new SocketTransport({ localAddress: RESOLVER_ADDRESS, timeoutMs: 2000, tap: taps });
    const resolver = new Resolver({ rootHints: [{ name: ROOT_NAME, address: ROOT_ADDRESS, port: hierarchy.port }], port: hierarchy.port, transport, cache });
    recursive = new RecursiveServer({ resolver, address: RESOLVER_ADDRESS });
    await recursive.start();
    const h = hierarchy;
    const r = recursive;
    return {
      backends,
      hierarchy,
      auth,
      resolver,
      recursive,
      authLog,
      changes,
      close: async () => {
        await r.close();
        await h.close();
        await backends.close();
      },
    };
  } catch (err) {
    await recursive?.close();
    await hierarchy?.close();
    await backends.close();
    throw err;
  }
}

/** A client on `from` asking the authoritative server for NAME A (RD=0), with a client subnet if given. */
export function askAuth(
  net: LbNet,
  tap: TapRecorder | TapSwitch,
  from: string,
  name: string,
  subnet?: { address: string; prefix: number },
  note?: string,
): Promise<QueryResult> {
  const t = new SocketTransport({ localAddress: from, timeoutMs: 2000, tap });
  const ecs: EdnsClientSubnet[] =
    subnet === undefined ? [] : [{ type: 'client-subnet', family: 1, sourcePrefixLength: subnet.prefix, scopePrefixLength: 0, address: subnet.address }];
  return t.query({
    server: { address: AUTH_ADDRESS, port: net.hierarchy.port },
    question: { name, type: DNS_TYPE.A, class: 1 },
    rd: false,
    tcp: false,
    edns: true,
    ednsOptions: ecs,
    note:
      note ?? `client ${from}: ${name} A to the authoritative server${subnet === undefined ? '' : ` with client subnet ${subnet.address}/${subnet.prefix}`}`,
  });
}

/** A stub on `from` that asks the lab's recursive resolver. */
export function stubAt(net: LbNet, from: string, tap: TapSwitch): Stub {
  return new Stub(from, () => ({ address: RESOLVER_ADDRESS, port: net.recursive.port }), tap);
}

/** Resolves with the next health change of `id` to `healthy` (rejects after `ms` or when aborted). */
export function healthTurn(net: LbNet, id: string, healthy: boolean, ms: number, signal: AbortSignal): Promise<HealthChange> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      net.auth.off('health', on);
      signal.removeEventListener('abort', aborted);
    };
    const on = (c: HealthChange): void => {
      if (c.id !== id || c.healthy !== healthy) return;
      done();
      resolve(c);
    };
    const aborted = (): void => {
      done();
      reject(new Error('step aborted'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${id} did not turn ${healthy ? 'healthy' : 'unhealthy'} within ${ms} ms`));
    }, ms);
    net.auth.on('health', on);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/** Counts the health probes of `id` (ok and failed) from now until stop() is called. */
export function countProbes(net: LbNet, id: string): { stop(): { ok: number; failed: number } } {
  const checker = net.auth.health?.checker;
  if (checker === undefined) throw new Error('the authoritative server has no failover records');
  const n = { ok: 0, failed: 0 };
  const on = (c: { id: string; ok: boolean }): void => {
    if (c.id !== id) return;
    if (c.ok) n.ok++;
    else n.failed++;
  };
  checker.on('check', on);
  return {
    stop: () => {
      checker.off('check', on);
      return { ...n };
    },
  };
}
