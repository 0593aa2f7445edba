// Keep-alive connections to upstreams, for the reverse proxy: per upstream at most `maxPerUpstream`
// connections (busy + idle) and at most `maxIdlePerUpstream` idle ones; a request that finds the bound
// reached waits (FIFO) for a connection to come back, up to `acquireTimeoutMs`. Idle connections close
// after `idleTimeoutMs`, and are dropped at once when the upstream closes them.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { NetlabError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import type { HttpLimits } from '../wire/http.ts';
import { HttpClientConnection, type HttpClientRequest, type HttpClientResponse } from './client-connection.ts';

export interface Upstream {
  readonly host: string;
  readonly port: number;
  /** Speak TLS to the upstream with these options (servername, ca...). */
  readonly tls?: ConnectionOptions;
  /** Connect from this local address (a cluster's sourceAddress); default: the kernel's choice. */
  readonly localAddress?: string;
}

/** Opens a socket to the upstream (TLS when it has tls options; `tlsExtra` adds e.g. ALPN), from its localAddress. */
export function connectUpstream(u: Upstream, tlsExtra?: ConnectionOptions): Socket {
  const from = u.localAddress === undefined ? {} : { localAddress: u.localAddress };
  return u.tls === undefined ? netConnect({ host: u.host, port: u.port, ...from }) : tlsConnect({ ...u.tls, ...tlsExtra, host: u.host, port: u.port, ...from });
}

/**
 * The pool's plain TCP connections read into this one buffer (Node's `onread`): each read is handed
 * to its connection at once and parsed before the next read can happen (one thread), and the parser
 * copies what it keeps. Saves a Buffer and the stream machinery per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(65536);

/** A plain TCP socket to the upstream whose reads go to `onRead` (see READ_BUFFER). */
function connectReading(u: Upstream, onRead: (n: number, buffer: Uint8Array) => void): Socket {
  return netConnect({
    host: u.host,
    port: u.port,
    ...(u.localAddress === undefined ? {} : { localAddress: u.localAddress }),
    onread: {
      buffer: READ_BUFFER,
      callback: (n, buffer) => {
        onRead(n, buffer);
        return true;
      },
    },
  });
}

/** The pool's key for an upstream: host, port and whether TLS is spoken. */
export function upstreamKey(u: Upstream): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.tls === undefined ? 'http' : 'https'}://${host}:${u.port}`;
}

export interface HttpConnectionPoolOptions {
  readonly maxPerUpstream?: number;
  readonly maxIdlePerUpstream?: number;
  readonly idleTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly acquireTimeoutMs?: number;
  readonly limits?: Partial<HttpLimits>;
  readonly responseTimeoutMs?: number;
  readonly clock?: NetClock;
  /** Opens the socket (tests and the proxy may wrap it, e.g. to tap it). Default: net/tls connect. */
  readonly connect?: (u: Upstream) => Socket;
}

/** A connection lent by the pool; give it back with release(). */
export interface PooledConnection {
  readonly connection: HttpClientConnection;
  readonly upstream: Upstream;
  /** True when the connection had served a request before this lease (a retry may be safe). */
  readonly reused: boolean;
}

interface Waiter {
  resolve: (c: PooledConnection) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

interface Entry {
  readonly key: string;
  readonly upstream: Upstream;
  readonly busy: Set<HttpClientConnection>;
  readonly idle: HttpClientConnection[];
  /** When each idle connection became idle (clock ms). */
  readonly idleSince: Map<HttpClientConnection, number>;
  /**
   * One timer per upstream closes the connections idle for idleTimeoutMs (a timer per connection
   * going idle would be created and cancelled on every request of a busy keep-alive connection).
   */
  sweep: TimerHandle | undefined;
  readonly waiters: Waiter[];
  connecting: number;
}

export interface PoolStats {
  readonly busy: number;
  readonly idle: number;
  readonly connecting: number;
  readonly waiting: number;
}

export class HttpConnectionPool {
  private readonly opts: HttpConnectionPoolOptions;
  private readonly clock: NetClock;
  private readonly entries = new Map<string, Entry>();
  /** The entry of each Upstream object seen (saves building its key on every lease). */
  private readonly byUpstream = new WeakMap<Upstream, Entry>();
  private closed = false;
  private opened = 0;

  constructor(options: HttpConnectionPoolOptions = {}) {
    this.opts = options;
    this.clock = options.clock ?? realClock();
  }

  /** Connections opened since the pool was made (a measure of reuse). */
  get connectionsOpened(): number {
    return this.opened;
  }

  stats(u: Upstream): PoolStats {
    const e = this.entryOf(u);
    if (e === undefined) return { busy: 0, idle: 0, connecting: 0, waiting: 0 };
    return {
      busy: e.busy.size,
      idle: e.idle.length,
      connecting: e.connecting,
      waiting: e.waiters.length,
    };
  }

  private entry(u: Upstream): Entry {
    const known = this.byUpstream.get(u);
    if (known !== undefined && this.entries.get(known.key) === known) return known;
    const key = upstreamKey(u);
    let e = this.entries.get(key);
    if (e === undefined) {
      e = {
        key,
        upstream: u,
        busy: new Set(),
        idle: [],
        idleSince: new Map(),
        sweep: undefined,
        waiters: [],
        connecting: 0,
      };
      this.entries.set(key, e);
    }
    this.byUpstream.set(u, e);
    return e;
  }

  /** The entry of a leased connection's upstream, if the pool still has it. */
  private entryOf(u: Upstream): Entry | undefined {
    const known = this.byUpstream.get(u);
    if (known !== undefined && this.entries.get(known.key) === known) return known;
    return this.entries.get(upstreamKey(u));
  }

  /** Lends an idle connection, opens a new one, or waits for one when the bound is reached. */
  acquire(u: Upstream): Promise<PooledConnection> {
    if (this.closed) return Promise.reject(new NetlabError('ERR_STATE', 'the pool is closed', { layer: 'http' }));
    const e = this.entry(u);
    const idle = this.takeIdle(e);
    if (idle !== undefined) return Promise.resolve(idle);
    if (e.busy.size + e.idle.length + e.connecting < (this.opts.maxPerUpstream ?? 64)) return this.open(e);
    return new Promise((resolve, reject) => {
      const ms = this.opts.acquireTimeoutMs ?? 10_000;
      const w: Waiter = {
        resolve,
        reject,
        timer: this.clock.setTimer(() => {
          const i = e.waiters.indexOf(w);
          if (i >= 0) e.waiters.splice(i, 1);
          reject(new NetlabError('ERR_TIMEOUT', `no connection to ${upstreamKey(u)} free within ${ms} ms`, { layer: 'http' }));
        }, ms),
      };
      e.waiters.push(w);
    });
  }

  /** An idle connection lent at once, or undefined (acquire() then opens one or waits). */
  acquireIdle(u: Upstream): PooledConnection | undefined {
    if (this.closed) return undefined;
    return this.takeIdle(this.entry(u));
  }

  private takeIdle(e: Entry): PooledConnection | undefined {
    for (;;) {
      const c = e.idle.pop();
      if (c === undefined) return undefined;
      e.idleSince.delete(c);
      if (c.state !== 'idle') continue;
      e.busy.add(c);
      return { connection: c, upstream: e.upstream, reused: true };
    }
  }

  private open(e: Entry): Promise<PooledConnection> {
    e.connecting++;
    this.opened++;
    return new Promise((resolve, reject) => {
      const u = e.upstream;
      // Plain TCP reads with onread (TLS and wrapped sockets read as streams).
      let conn: HttpClientConnection | undefined;
      const early: Uint8Array[] = [];
      const onread = this.opts.connect === undefined && u.tls === undefined;
      const socket =
        this.opts.connect?.(u) ??
        (onread
          ? connectReading(u, (n, buffer) => {
              if (conn !== undefined) conn.received(n, buffer);
              else early.push(new Uint8Array(buffer.subarray(0, n)));
            })
          : connectUpstream(u));
      const ms = this.opts.connectTimeoutMs ?? 5000;
      let settled = false;
      const finish = (err: Error | undefined): void => {
        if (settled) return;
        settled = true;
        this.clock.clearTimer(timer);
        socket.off('error', onError);
        e.connecting--;
        if (err !== undefined) {
          socket.destroy();
          reject(err);
          this.serveWaiters(e);
          return;
        }
        const c = new HttpClientConnection(socket, {
          limits: this.opts.limits,
          responseTimeoutMs: this.opts.responseTimeoutMs,
          clock: this.clock,
          onStateChange: (x) => this.onState(e, x),
          onread,
        });
        conn = c;
        // Bytes before any request (an upstream that talks first) go to the parser as they would have.
        for (const b of early) c.received(b.length, b);
        early.length = 0;
        e.busy.add(c);
        resolve({ connection: c, upstream: u, reused: false });
      };
      const timer = this.clock.setTimer(() => finish(new NetlabError('ERR_TIMEOUT', `connect to ${upstreamKey(u)} took over ${ms} ms`, { layer: 'http' })), ms);
      const onError = (err: Error): void => finish(new NetlabError('ERR_IO', `connect to ${upstreamKey(u)}: ${err.message}`, { layer: 'http', cause: err }));
      socket.once('error', onError);
      socket.once(u.tls === undefined ? 'connect' : 'secureConnect', () => finish(undefined));
    });
  }

  /** Gives a connection back. An idle, reusable one is kept (or handed to a waiter); others are closed. */
  /**
   * Takes a leased connection out of the pool for good (it switched protocols: a WebSocket tunnel
   * now owns its socket). The pool forgets it and may open another in its place.
   */
  detach(p: PooledConnection): void {
    const e = this.entryOf(p.upstream);
    if (e === undefined || !e.busy.delete(p.connection)) return;
    this.serveWaiters(e);
  }

  release(p: PooledConnection): void {
    const e = this.entryOf(p.upstream);
    const c = p.connection;
    if (e === undefined || !e.busy.has(c)) return;
    if (c.state === 'busy') {
      // Still in an exchange (the caller gave up on it): it cannot be reused.
      c.destroy();
      return;
    }
    this.onState(e, c);
  }

  private onState(e: Entry, c: HttpClientConnection): void {
    if (c.state === 'closed') {
      e.busy.delete(c);
      const i = e.idle.indexOf(c);
      if (i >= 0) e.idle.splice(i, 1);
      e.idleSince.delete(c);
      this.serveWaiters(e);
      return;
    }
    if (c.state !== 'idle' || !e.busy.has(c)) return;
    e.busy.delete(c);
    const w = e.waiters.shift();
    if (w !== undefined) {
      this.clock.clearTimer(w.timer);
      e.busy.add(c);
      w.resolve({ connection: c, upstream: e.upstream, reused: true });
      return;
    }
    if (this.closed || e.idle.length >= (this.opts.maxIdlePerUpstream ?? 16)) {
      c.close();
      return;
    }
    e.idle.push(c);
    e.idleSince.set(c, this.clock.now());
    if (e.sweep === undefined) e.sweep = this.clock.setTimer(() => this.sweepIdle(e), this.opts.idleTimeoutMs ?? 30_000);
  }

  /** Closes the connections idle for idleTimeoutMs; re-arms for the next one to reach it. */
  private sweepIdle(e: Entry): void {
    e.sweep = undefined;
    const ms = this.opts.idleTimeoutMs ?? 30_000;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [c, since] of [...e.idleSince]) {
      if (now - since >= ms) {
        e.idleSince.delete(c);
        const i = e.idle.indexOf(c);
        if (i >= 0) e.idle.splice(i, 1);
        c.close();
      } else next = Math.min(next, since + ms);
    }
    if (next !== Number.POSITIVE_INFINITY && !this.closed) e.sweep = this.clock.setTimer(() => this.sweepIdle(e), next - now);
  }

  private serveWaiters(e: Entry): void {
    while (e.waiters.length > 0 && e.busy.size + e.idle.length + e.connecting < (this.opts.maxPerUpstream ?? 64)) {
      const w = e.waiters.shift();
      if (w === undefined) break;
      this.clock.clearTimer(w.timer);
      this.open(e).then(w.resolve, w.reject);
    }
  }

  /**
   * One exchange on a pooled connection. A leased connection comes back to the pool by itself when
   * its exchange completes (response body read to its end, or discarded) and stays reusable; one that
   * broke is dropped. release() is for a lease that was never used.
   */
  async request(u: Upstream, req: HttpClientRequest): Promise<HttpClientResponse & { readonly reused: boolean }> {
    const lease = await this.acquire(u);
    let res: HttpClientResponse;
    try {
      res = await lease.connection.request(req);
    } catch (err) {
      this.release(lease);
      throw err;
    }
    return { ...res, reused: lease.reused };
  }

  /** Closes idle connections and refuses new leases; busy ones close when released. */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) {
      for (const c of e.idle) c.close();
      if (e.sweep !== undefined) this.clock.clearTimer(e.sweep);
      e.sweep = undefined;
      e.idle.length = 0;
      e.idleSince.clear();
      for (const w of e.waiters) {
        this.clock.clearTimer(w.timer);
        w.reject(new NetlabError('ERR_STATE', 'the pool closed', { layer: 'http' }));
      }
      e.waiters.length = 0;
    }
  }
}
