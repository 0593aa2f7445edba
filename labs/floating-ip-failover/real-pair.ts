// The floating-ip-failover lab on real loopback sockets: two backends, two netlab TCP balancers (lb1
// priority 200, lb2 priority 100) each with a FloatingIp (src/l4/floating-ip.ts) heartbeating over
// UDP; the one that is master binds its balancer's listener on the floating address 127.77.0.100 (only
// one socket can hold that address and port, so the kernel itself keeps a second master off it).
// Clients connect to 127.77.0.100 from 127.77.0.2 and send one numbered line; a backend answers with
// its name and the number.
//
//   client 127.77.0.2 -> 127.77.0.100:PORT (lb1 or lb2) -> backend-a 127.77.0.21 / backend-b 127.77.0.22
//   heartbeats: lb1 127.77.0.11 <-> lb2 127.77.0.12 (UDP, ports the kernel chose)

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Balancer } from '../../src/balance/index.ts';
import { realTimerClock, seededRandom } from '../../src/base/index.ts';
import { FloatingIp, TcpBalancer, type FloatingState } from '../../src/l4/index.ts';

export const REAL = {
  vip: '127.77.0.100',
  client: '127.77.0.2',
  hb: { lb1: '127.77.0.11', lb2: '127.77.0.12' },
  backends: [
    { name: 'backend-a', address: '127.77.0.21' },
    { name: 'backend-b', address: '127.77.0.22' },
  ],
} as const;
export const REAL_INTERVAL_MS = 50;
export const REAL_THRESHOLD = 3;
export const REAL_PRIORITY = { lb1: 200, lb2: 100 } as const;
/** How long a client waits for its answer before calling the request failed. */
export const REQUEST_TIMEOUT_MS = 1000;

export type LbName = 'lb1' | 'lb2';

export interface PairEvent {
  /** ms since the pair started (performance.now). */
  readonly at: number;
  readonly who: string;
  readonly what: string;
}

export interface RequestResult {
  readonly n: number;
  readonly startAt: number;
  readonly endAt: number;
  readonly ok: boolean;
  /** The backend's name, or the error code (ECONNREFUSED, ECONNRESET, timeout). */
  readonly outcome: string;
}

/** Backends: each answers every line "N" with "NAME N". */
async function startBackend(name: string, address: string): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        s.write(`${name} ${line}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** A free port on the floating address (bound, read back, closed): the balancers' listening port. */
async function freePort(address: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, address, () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export class RealPair {
  readonly events: PairEvent[] = [];
  /** Failed attempts to bind the floating address, per instance, and the last error code. */
  readonly refused: Record<LbName, { count: number; code: string }> = { lb1: { count: 0, code: '' }, lb2: { count: 0, code: '' } };
  readonly instances = new Map<LbName, FloatingIp>();
  /** performance.now() when the pair started: `now()` and the events count from it. */
  readonly t0 = performance.now();
  private closed = false;

  private constructor(
    readonly port: number,
    private readonly backends: { server: Server; port: number; sockets: Set<Socket> }[],
  ) {}

  static async start(): Promise<RealPair> {
    const backends: { server: Server; port: number; sockets: Set<Socket> }[] = [];
    try {
      for (const b of REAL.backends) backends.push(await startBackend(b.name, b.address));
      const pair = new RealPair(await freePort(REAL.vip), backends);
      for (const name of ['lb1', 'lb2'] as const) await pair.instance(name);
      pair.connectPeers();
      return pair;
    } catch (e) {
      for (const b of backends) b.server.close();
      throw e;
    }
  }

  now(): number {
    return performance.now() - this.t0;
  }

  note(who: string, what: string): void {
    this.events.push({ at: this.now(), who, what });
  }

  get(name: LbName): FloatingIp {
    const f = this.instances.get(name);
    if (f === undefined) throw new Error(`${name} is not running`);
    return f;
  }

  /** A new instance (a new process, in real life), bound to its heartbeat address; start() it. */
  async instance(name: LbName): Promise<FloatingIp> {
    const cluster = {
      name: 'web',
      balancer: new Balancer({
        policy: 'round_robin',
        endpoints: REAL.backends.map((b, i) => ({ name: b.name, address: b.address, port: this.backends[i].port })),
        clock: realTimerClock(),
        random: seededRandom(`floating-${name}`),
      }),
    };
    const f = new FloatingIp({
      vip: REAL.vip,
      priority: REAL_PRIORITY[name],
      instance: name === 'lb1' ? 1 : 2,
      intervalMs: REAL_INTERVAL_MS,
      threshold: REAL_THRESHOLD,
      heartbeat: { address: REAL.hb[name] },
      onState: (s: FloatingState, why: string) => this.note(name, `${s} (${why})`),
      acquire: async (vip) => {
        const b = new TcpBalancer({ name, host: vip, port: this.port, cluster, connectTimeoutMs: 500, idleTimeoutMs: 0 });
        try {
          await b.listen();
        } catch (e) {
          this.refused[name].count++;
          this.refused[name].code = (e as NodeJS.ErrnoException).code ?? String(e);
          throw e;
        }
        this.note(name, `bound ${vip}:${this.port}`);
        return async () => {
          await b.close();
          this.note(name, `let ${vip}:${this.port} go`);
        };
      },
    });
    await f.bind();
    this.instances.set(name, f);
    return f;
  }

  /** Tells each running instance where the other hears heartbeats. */
  connectPeers(): void {
    const l1 = this.instances.get('lb1');
    const l2 = this.instances.get('lb2');
    if (l1 !== undefined && l2 !== undefined) {
      l1.setPeers([{ address: REAL.hb.lb2, port: l2.heartbeatPort }]);
      l2.setPeers([{ address: REAL.hb.lb1, port: l1.heartbeatPort }]);
    }
  }

  /** The instance's process dies: no RESIGN; its listener and every connection through it are gone. */
  async kill(name: LbName): Promise<void> {
    this.note(name, 'killed');
    await this.get(name).crash();
    this.instances.delete(name);
  }

  /** One request on a new connection: the backend's name, or why it failed. */
  request(n: number): Promise<RequestResult> {
    const startAt = this.now();
    return new Promise((resolve) => {
      let done = false;
      const s = connect({ host: REAL.vip, port: this.port, localAddress: REAL.client });
      const finish = (ok: boolean, outcome: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.destroy();
        resolve({ n, startAt, endAt: this.now(), ok, outcome });
      };
      const timer = setTimeout(() => finish(false, 'timeout'), REQUEST_TIMEOUT_MS);
      let buf = '';
      s.on('connect', () => s.write(`${n}\n`));
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const i = buf.indexOf('\n');
        if (i >= 0) {
          const [who, echoed] = buf.slice(0, i).split(' ');
          finish(echoed === String(n), who);
        }
      });
      s.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
      s.on('close', () => finish(false, 'closed'));
    });
  }

  /**
   * A request every `everyMs` until `stop(starts)` says so, given when each request so far started (at
   * most `max`); every result once all have settled.
   */
  async traffic(everyMs: number, stop: (starts: readonly number[]) => boolean, max: number): Promise<RequestResult[]> {
    const pending: Promise<RequestResult>[] = [];
    const starts: number[] = [];
    for (let n = 1; n <= max && !stop(starts) && !this.closed; n++) {
      starts.push(this.now());
      pending.push(this.request(n));
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return Promise.all(pending);
  }

  /** A long-lived connection that sends a line every `everyMs`: how many answers it got and how it ended. */
  persistent(everyMs: number): { readonly answers: () => number; readonly ended: Promise<{ at: number; how: string }>; close(): void } {
    const s = connect({ host: REAL.vip, port: this.port, localAddress: REAL.client });
    let answers = 0;
    let n = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    const ended = new Promise<{ at: number; how: string }>((resolve) => {
      s.on('connect', () => {
        timer = setInterval(() => {
          if (!s.destroyed) s.write(`${++n}\n`);
        }, everyMs);
      });
      s.on('data', (d: Buffer) => {
        answers += d.toString('latin1').split('\n').length - 1;
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve({ at: this.now(), how: e.code ?? e.message }));
      s.on('close', () => {
        clearInterval(timer);
        resolve({ at: this.now(), how: 'closed' });
      });
    });
    return { answers: () => answers, ended, close: () => s.destroy() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.instances.values()) await f.stop();
    this.instances.clear();
    for (const b of this.backends) {
      for (const s of b.sockets) s.destroy();
      await new Promise<void>((r) => b.server.close(() => r()));
    }
  }
}
