// The web servers behind the DNS load-balancing lab's names: one TCP listener per loopback address, all
// on one port (a failover health check probes one port on every address of a record). Each answers one
// line saying who it is and closes. A backend can be stopped (its listener closed, its connections
// reset: the address then refuses connections, as a dead machine's would) and started again on the
// same address and port.

import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface BackendSpec {
  /** What the backend calls itself ("us-east"). */
  name: string;
  address: string;
}

export class Backend {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly name: string,
    readonly address: string,
  ) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listens on `port` (0: a free one) and returns the port. */
  async start(port: number): Promise<number> {
    if (this.server !== undefined) throw new Error(`backend ${this.name} (${this.address}) is already running`);
    const server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      s.end(`${this.name} (${this.address})\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Closes the listener and resets its connections; resolves when it is gone. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface BackendSet {
  port: number;
  backends: Backend[];
  get(address: string): Backend;
  close(): Promise<void>;
}

/** Starts a backend on each address, all on one port (the set starts again on another if one finds it taken). */
export async function startBackends(specs: readonly BackendSpec[], tries = 8): Promise<BackendSet> {
  for (let attempt = 1; ; attempt++) {
    const backends = specs.map((s) => new Backend(s.name, s.address));
    try {
      let port = 0;
      for (const b of backends) port = await b.start(port);
      return {
        port,
        backends,
        get: (address) => {
          const b = backends.find((x) => x.address === address);
          if (b === undefined) throw new RangeError(`no lab backend at ${address}`);
          return b;
        },
        close: async () => {
          for (const b of backends) await b.stop();
        },
      };
    } catch (err) {
      for (const b of backends) await b.stop();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= tries) throw err;
    }
  }
}

/** What a client gets from ADDRESS:PORT: the backend's line, or the error code (ECONNREFUSED). */
export function visit(address: string, port: number, timeoutMs = 2000): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, text: `no answer in ${timeoutMs} ms` });
    }, timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8').trim() });
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, text: e.code ?? e.message });
    });
  });
}
