// A DNS hierarchy for a lab: netlab authoritative servers, each on its own 127.53.x.y address and all
// on one port (the resolver reaches every name server it learns of on one port, as real resolvers
// use 53). The first server takes a free port from the kernel; the others bind the same port on
// their addresses, and the whole set starts again on another port if one of them finds it taken.

import { AuthServer, type AuthServerOptions } from '../../src/dns/index.ts';
import type { Zone } from '../../src/dns/index.ts';

export interface ServerSpec {
  /** The name server's name, as NS records name it. */
  name: string;
  address: string;
  zones: readonly Zone[];
  /** Views, failover records, rotation (default off: the labs show rotation where they mean it). */
  options?: Pick<AuthServerOptions, 'views' | 'failover' | 'rotate'>;
}

export interface Hierarchy {
  port: number;
  /** Servers by address, in the order given. */
  servers: Map<string, AuthServer>;
  get(address: string): AuthServer;
  close(): Promise<void>;
}

/**
 * Starts the servers on one shared port (free on every address). With `fixedPort` every server binds
 * that port and a port in use is an error (no second try on another port).
 */
export async function startHierarchy(specs: readonly ServerSpec[], tries = 8, fixedPort = 0): Promise<Hierarchy> {
  if (specs.length === 0) throw new RangeError('startHierarchy: give at least one server');
  for (let attempt = 1; ; attempt++) {
    const started: AuthServer[] = [];
    try {
      let port = fixedPort;
      for (const s of specs) {
        const server = new AuthServer({ address: s.address, port, zones: s.zones, rotate: false, ...s.options });
        await server.start();
        started.push(server);
        port = server.port;
      }
      const servers = new Map(specs.map((s, i) => [s.address, started[i]] as const));
      return {
        port,
        servers,
        get: (address) => {
          const s = servers.get(address);
          if (s === undefined) throw new RangeError(`no lab DNS server at ${address}`);
          return s;
        },
        close: async () => {
          for (const s of started) await s.close();
        },
      };
    } catch (err) {
      for (const s of started) await s.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= tries || fixedPort !== 0) throw err;
    }
  }
}
