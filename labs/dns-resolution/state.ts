// The dns-resolution lab's state: the servers it started and what the steps found (its own file so
// the lab and its exercises can both name it).

import type { RecursiveServer, ResolveResult, Resolver, Stub, TimedTransport } from '../../src/dns/index.ts';
import type { TapSwitch } from '../dns/capture.ts';
import type { Confirm } from '../dns/confirm.ts';
import type { Hierarchy } from '../dns/servers.ts';

export interface Net {
  hierarchy: Hierarchy;
  recursive: RecursiveServer;
  resolver: Resolver;
  timed: TimedTransport;
  stub: Stub;
  /** Moves the cache's clock forward (ms): the negative TTL is 5 minutes, the lab does not wait that long. */
  jump: { ms: number };
  /** The resolution behind the recursive server's last answer (none when it reused a cached answer's bytes). */
  last?: ResolveResult;
  /** Whether the recursive server's last answer came from its cache. */
  lastFromCache?: boolean;
  /** Names each authoritative server was asked, in order. */
  asked: Map<string, string[]>;
  /** Every question the recursive server answered: who asked (address#port) and for what. */
  clients: { client: string; name: string }[];
}

export interface State {
  taps: TapSwitch;
  net?: Net;
  captures: string[];
  confirm: Confirm[];
  /** When the resolver cached www.example.com (performance.now()). */
  cachedAt?: number;
}
