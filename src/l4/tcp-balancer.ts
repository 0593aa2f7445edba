// The TCP balancer: accepts on a listener, reads what it must before choosing (a PROXY header from a
// trusted downstream, the ClientHello's server name for TLS passthrough), picks an endpoint of the
// cluster with its Balancer (any policy of src/balance; the hashing ones hash the client address),
// connects (connect timeout; another endpoint is tried when the connect fails, since no byte has been
// sent yet), writes a PROXY header when asked, and splices both ways (splice.ts: half-close, reset
// as reset, backpressure, idle timeout). Limits: maxConnections in total (more are closed at once),
// the cluster's maxActivePerEndpoint per endpoint. drain() stops accepting and waits for the open
// connections. One log line per connection; counters in L4Metrics.

import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Attempt, Balancer } from '../balance/balancer.ts';
import type { Endpoint } from '../balance/endpoint.ts';
import { NetlabError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import { describeProxyHeader, encodeProxyHeader, parseProxyHeader, stripMapped, type ProxyHeader } from '../wire/proxy-protocol.ts';
import { matchesAny, parseCidr, type Cidr } from './cidr.ts';
import { L4Metrics } from './metrics.ts';
import { hostMatches, readSni } from './sni.ts';
import { Splice, type SpliceEnd } from './splice.ts';

export interface TcpRoute {
  /** `www.example.test`, `*.example.test` or `*`. */
  readonly host: string;
  readonly cluster: TcpCluster;
}

/** A cluster as the L4 balancer uses it: a name and its Balancer. */
export interface TcpCluster {
  readonly name: string;
  readonly balancer: Balancer;
  /** Connect (TCP) or bind (UDP) to endpoints from this local address; default: the kernel's choice. */
  readonly sourceAddress?: string;
}

export interface TcpBalancerOptions {
  /** Listener name, for logs and metrics. Default "tcp". */
  readonly name?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port; read it back from listen()). */
  readonly port?: number;
  /** Where connections go (and, with SNI routes, those whose name matches no route). */
  readonly cluster?: TcpCluster;
  /** TLS passthrough: routes by the ClientHello's server name, first match wins. */
  readonly sni?: readonly TcpRoute[];
  /** A connection without a server name (or not TLS): to `cluster` ('default') or closed. Default 'default'. */
  readonly noSni?: 'default' | 'close';
  /** Send a PROXY header of this version to the upstream. */
  readonly sendProxy?: 1 | 2;
  /** Downstreams (CIDR) that must start with a PROXY header, whose addresses are believed. */
  readonly acceptProxyFrom?: readonly string[];
  /** Per attempt. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** No byte either way for this long closes the connection with a reset. Default 60 000 ms; 0 turns it off. */
  readonly idleTimeoutMs?: number;
  /** How long a client may take to send the PROXY header or the ClientHello. Default 5 000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Endpoints tried per connection (the first and the retries). Default 3. */
  readonly connectAttempts?: number;
  /** Most connections open at once; more are closed on accept. Default: no limit. */
  readonly maxConnections?: number;
  readonly clock?: NetClock;
  /** One line per connection (and per notable event). Default: none. */
  readonly log?: (line: string) => void;
  readonly metrics?: L4Metrics;
}

/** What happened to one connection, as logged. */
export interface TcpConnectionRecord {
  readonly client: string;
  /** The address policies saw (the PROXY header's source when trusted). */
  readonly clientAddress: string;
  readonly proxyHeader?: string;
  readonly serverName?: string;
  readonly cluster?: string;
  readonly endpoint?: string;
  readonly attempts: number;
  readonly end: SpliceEnd | 'refused';
  readonly reason?: string;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly durationMs: number;
}

interface Live {
  readonly client: Socket;
  upstream?: Socket;
  splice?: Splice;
}

const MAX_PREFACE = 16_384 + 4 * 5 + 232; // a ClientHello over a few records, after a PROXY v2 header

export class TcpBalancer {
  readonly name: string;
  readonly metrics: L4Metrics;
  private readonly server: Server;
  private readonly clock: NetClock;
  private readonly trusted: readonly Cidr[];
  private readonly live = new Set<Live>();
  private readonly records: TcpConnectionRecord[] = [];
  private draining = false;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly options: TcpBalancerOptions) {
    this.name = options.name ?? 'tcp';
    this.clock = options.clock ?? realClock();
    this.metrics = options.metrics ?? new L4Metrics();
    this.trusted = (options.acceptProxyFrom ?? []).map(parseCidr);
    if (options.cluster === undefined && (options.sni ?? []).length === 0)
      throw new NetlabError('ERR_CONFIG', `listener ${this.name}: a tcp listener needs a cluster or SNI routes`, { layer: 'l4' });
    if (options.cluster === undefined && (options.noSni ?? 'default') === 'default')
      throw new NetlabError('ERR_CONFIG', `listener ${this.name}: noSni 'default' needs a default cluster`, { layer: 'l4' });
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(s));
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new NetlabError('ERR_STATE', `listener ${this.name} is not listening`, { layer: 'l4' });
    return a;
  }

  /** Connections open now. */
  get activeConnections(): number {
    return this.live.size;
  }

  /** Bytes held in the balancer's socket buffers over every connection now. */
  get bufferedBytes(): number {
    let n = 0;
    for (const l of this.live) n += l.splice?.buffered ?? l.client.readableLength + l.client.writableLength;
    return n;
  }

  /** The connections that ended so far (the most recent 1 000). */
  get finished(): readonly TcpConnectionRecord[] {
    return this.records;
  }

  /** Times a direction was paused for backpressure, over the connections open now. */
  get pausesNow(): number {
    let n = 0;
    for (const l of this.live) n += l.splice?.pauses ?? 0;
    return n;
  }

  /**
   * Graceful drain: stops accepting, lets open connections finish; after `timeoutMs` the rest are
   * reset. Resolves when none is left.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    this.draining = true;
    await new Promise<void>((r) => this.server.close(() => r()));
    if (this.live.size === 0) return;
    let timer: TimerHandle | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      timer = this.clock.setTimer(() => {
        for (const l of [...this.live]) this.kill(l);
        resolve();
      }, timeoutMs);
    });
    if (timer !== undefined) this.clock.clearTimer(timer);
  }

  /** Stops at once: closes the listener and resets every connection. */
  async close(): Promise<void> {
    this.draining = true;
    for (const l of [...this.live]) this.kill(l);
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private kill(l: Live): void {
    if (l.splice !== undefined) l.splice.abort('aborted');
    else {
      if (!l.client.destroyed) l.client.resetAndDestroy();
      if (l.upstream !== undefined && !l.upstream.destroyed) l.upstream.resetAndDestroy();
    }
  }

  private forget(l: Live): void {
    this.live.delete(l);
    this.metrics.active.set({ listener: this.name }, this.live.size);
    if (this.live.size === 0 && this.draining) for (const w of this.waiters.splice(0)) w();
  }

  private record(r: TcpConnectionRecord): void {
    this.records.push(r);
    if (this.records.length > 1000) this.records.shift();
    this.options.log?.(
      `l4 ${this.name} ${r.client}${r.clientAddress !== r.client.replace(/:\d+$/, '') ? ` (as ${r.clientAddress})` : ''}${r.serverName === undefined ? '' : ` sni=${r.serverName}`} -> ${r.cluster ?? '-'}/${r.endpoint ?? '-'} attempts=${r.attempts} end=${r.end}${r.reason === undefined ? '' : ` (${r.reason})`} up=${r.bytesUp} down=${r.bytesDown} ${Math.round(r.durationMs)}ms`,
    );
  }

  private accept(client: Socket): void {
    const started = this.clock.now();
    const peer = `${stripMapped(client.remoteAddress ?? '?')}:${client.remotePort ?? 0}`;
    const refuse = (reason: string, detail: string, extra: Partial<TcpConnectionRecord> = {}, reset = false): void => {
      this.metrics.refused.inc({ listener: this.name, reason });
      if (reset) client.resetAndDestroy();
      else client.destroy();
      this.record({
        client: peer,
        clientAddress: extra.clientAddress ?? stripMapped(client.remoteAddress ?? '?'),
        attempts: 0,
        end: 'refused',
        reason: detail,
        bytesUp: 0,
        bytesDown: 0,
        durationMs: this.clock.now() - started,
        ...extra,
      });
    };
    if (this.draining) {
      refuse('draining', 'draining');
      return;
    }
    if (this.options.maxConnections !== undefined && this.live.size >= this.options.maxConnections) {
      refuse('limit', `${this.live.size} connections open, the limit is ${this.options.maxConnections}`);
      return;
    }
    const live: Live = { client };
    this.live.add(live);
    this.metrics.active.set({ listener: this.name }, this.live.size);
    client.on('close', () => {
      if (live.splice === undefined) this.forget(live);
    });
    client.on('error', () => {
      // Before the splice owns the socket, an error ends the attempt (handled by the close above).
    });
    void this.preface(client, live, started, peer, refuse);
  }

  /** Reads the PROXY header (trusted downstreams) and the ClientHello (SNI routes), then connects. */
  private async preface(
    client: Socket,
    live: Live,
    started: number,
    peer: string,
    refuse: (reason: string, detail: string, extra?: Partial<TcpConnectionRecord>, reset?: boolean) => void,
  ): Promise<void> {
    const peerAddress = stripMapped(client.remoteAddress ?? '');
    const needProxy = this.trusted.length > 0 && matchesAny(peerAddress, this.trusted);
    const needSni = (this.options.sni ?? []).length > 0;
    let buffered: Buffer = Buffer.alloc(0);
    let header: ProxyHeader | undefined;
    let serverName: string | undefined;
    let sniDone = !needSni;
    let proxyDone = !needProxy;
    let failure: { reason: string; detail: string } | undefined;
    if (!proxyDone || !sniDone) {
      const outcome = await new Promise<'ok' | 'timeout' | 'closed' | 'bad'>((resolve) => {
        const timer = this.clock.setTimer(() => finish('timeout'), this.options.handshakeTimeoutMs ?? 5_000);
        const finish = (r: 'ok' | 'timeout' | 'closed' | 'bad'): void => {
          this.clock.clearTimer(timer);
          client.off('data', onData);
          client.off('end', onEnd);
          client.off('close', onEnd);
          client.pause();
          resolve(r);
        };
        const onEnd = (): void => finish('closed');
        const onData = (chunk: Buffer): void => {
          buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
          if (!proxyDone) {
            const v = parseProxyHeader(buffered);
            if (v.status === 'ok') {
              header = v.header;
              buffered = buffered.subarray(v.header.length);
              proxyDone = true;
            } else if (v.status === 'invalid') {
              failure = { reason: 'bad_proxy_header', detail: `PROXY v${v.version} header invalid at byte ${v.offset}: ${v.reason}` };
              finish('bad');
              return;
            } else if (v.status === 'absent') {
              failure = { reason: 'no_proxy_header', detail: 'a trusted downstream must start with a PROXY header' };
              finish('bad');
              return;
            } else return;
          }
          if (!sniDone && buffered.length > 0) {
            const s = readSni(buffered);
            if (s.status === 'more') {
              if (buffered.length > MAX_PREFACE) {
                sniDone = true;
              } else return;
            }
            sniDone = true;
            if (s.status === 'name') serverName = s.name;
            else if (s.status === 'not_tls') failure = { reason: 'not_tls', detail: s.reason };
          }
          if (proxyDone && sniDone) finish('ok');
        };
        client.on('data', onData);
        client.once('end', onEnd);
        client.once('close', onEnd);
        client.resume();
      });
      if (outcome === 'bad') {
        refuse(failure?.reason ?? 'bad', failure?.detail ?? 'bad preface');
        return;
      }
      if (outcome === 'timeout') {
        refuse('handshake_timeout', `no complete ${!proxyDone ? 'PROXY header' : 'ClientHello'} within ${this.options.handshakeTimeoutMs ?? 5_000} ms`);
        return;
      }
      if (outcome === 'closed') {
        refuse('client_closed', 'the client closed before choosing was possible');
        return;
      }
    }
    const clientAddress = header?.source !== undefined && header.command === 'proxy' ? header.source : peerAddress;
    const clientPort = header?.sourcePort ?? client.remotePort ?? 0;
    // Choose the cluster.
    let cluster = this.options.cluster;
    if (needSni) {
      const route = serverName === undefined ? undefined : (this.options.sni ?? []).find((r) => hostMatches(r.host, serverName as string));
      if (route !== undefined) cluster = route.cluster;
      else if ((serverName === undefined || failure !== undefined) && this.options.noSni === 'close') {
        refuse(failure?.reason ?? 'no_sni', failure?.detail ?? 'the ClientHello has no server name', {
          clientAddress,
          ...(serverName === undefined ? {} : { serverName }),
        });
        return;
      } else if (serverName !== undefined && this.options.cluster === undefined) {
        refuse('no_route', `no SNI route for ${serverName}`, { clientAddress, serverName });
        return;
      }
    }
    if (cluster === undefined) {
      refuse('no_route', 'no cluster for this connection', { clientAddress });
      return;
    }
    const extra = {
      clientAddress,
      cluster: cluster.name,
      ...(header === undefined ? {} : { proxyHeader: describeProxyHeader(header) }),
      ...(serverName === undefined ? {} : { serverName }),
    };
    // Connect, trying other endpoints while no byte has been sent.
    const tried = new Set<string>();
    const attempts = this.options.connectAttempts ?? 3;
    let upstream: Socket | undefined;
    let attempt: Attempt | undefined;
    let endpoint: Endpoint | undefined;
    let lastError = '';
    while (tried.size < attempts && !client.destroyed) {
      const pick = cluster.balancer.pick({ clientAddress, exclude: tried });
      if (pick.endpoint === undefined) {
        if (tried.size === 0) {
          refuse(pick.reason, `no endpoint: ${pick.reason}`, extra);
          return;
        }
        break;
      }
      endpoint = pick.endpoint;
      tried.add(endpoint.name);
      attempt = cluster.balancer.begin(endpoint);
      const r = await this.connect(endpoint, cluster.sourceAddress);
      if (typeof r !== 'string') {
        upstream = r;
        break;
      }
      lastError = r;
      attempt.finish({ error: r.startsWith('timeout') ? 'timeout' : 'connect' });
      this.metrics.connectFailures.inc({ listener: this.name, endpoint: endpoint.name });
      attempt = undefined;
    }
    if (upstream === undefined || attempt === undefined || endpoint === undefined) {
      refuse(
        'connect_failed',
        `connect failed on ${[...tried].join(', ')}: ${lastError}`,
        { ...extra, attempts: tried.size } as Partial<TcpConnectionRecord>,
        true,
      );
      return;
    }
    if (client.destroyed) {
      upstream.destroy();
      attempt.finish({ error: 'other' });
      this.forget(live);
      this.record({
        client: peer,
        ...extra,
        endpoint: endpoint.name,
        attempts: tried.size,
        end: 'client_reset',
        reason: 'client gone while connecting',
        bytesUp: 0,
        bytesDown: 0,
        durationMs: this.clock.now() - started,
      });
      return;
    }
    live.upstream = upstream;
    if (this.options.sendProxy !== undefined) {
      const local = client.localAddress ?? '127.0.0.1';
      const dst = header?.command === 'proxy' && header.destination !== undefined ? header.destination : stripMapped(local);
      const dstPort = header?.destinationPort ?? client.localPort ?? 0;
      upstream.write(encodeProxyHeader(this.options.sendProxy, { source: clientAddress, sourcePort: clientPort, destination: dst, destinationPort: dstPort }));
    }
    if (buffered.length > 0) upstream.write(buffered);
    const theAttempt = attempt;
    const splice = new Splice(client, upstream, { clock: this.clock, idleMs: this.options.idleTimeoutMs ?? 60_000, onFirstByte: () => theAttempt.firstByte() });
    splice.bytesUp += buffered.length;
    live.splice = splice;
    // A FIN that came with the preface (header, ClientHello and end in one read) was seen before the
    // splice listened: pass it on now.
    if (client.readableEnded) upstream.end();
    client.resume();
    const result = await splice.done;
    this.forget(live);
    theAttempt.finish(result.end === 'upstream_reset' ? { error: 'reset' } : result.end === 'idle_timeout' ? { error: 'timeout' } : {});
    this.metrics.connections.inc({ listener: this.name, cluster: cluster.name, endpoint: endpoint.name, end: result.end });
    this.metrics.bytes.inc({ listener: this.name, direction: 'up' }, result.bytesUp);
    this.metrics.bytes.inc({ listener: this.name, direction: 'down' }, result.bytesDown);
    this.record({
      client: peer,
      ...extra,
      endpoint: endpoint.name,
      attempts: tried.size,
      end: result.end,
      bytesUp: result.bytesUp,
      bytesDown: result.bytesDown,
      durationMs: this.clock.now() - started,
    });
  }

  /** Connects to an endpoint within the connect timeout: the socket, or why not. */
  private connect(endpoint: Endpoint, sourceAddress: string | undefined): Promise<Socket | string> {
    return new Promise((resolve) => {
      const from = sourceAddress === undefined ? {} : { localAddress: sourceAddress };
      const s = netConnect({ host: endpoint.address, port: endpoint.port, allowHalfOpen: true, ...from });
      s.setNoDelay(true);
      const timeoutMs = this.options.connectTimeoutMs ?? 5_000;
      const timer = this.clock.setTimer(() => {
        s.destroy();
        resolve(`timeout after ${timeoutMs} ms`);
      }, timeoutMs);
      s.once('connect', () => {
        this.clock.clearTimer(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        this.clock.clearTimer(timer);
        resolve(err.code ?? err.message);
      });
    });
  }
}

/** A TCP connect probe for HealthChecker: passes when the endpoint accepts a connection (made from `sourceAddress` when given). */
export function tcpConnectProbe(endpoint: Endpoint, signal: AbortSignal, sourceAddress?: string): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const s = netConnect({ host: endpoint.address, port: endpoint.port, ...(sourceAddress === undefined ? {} : { localAddress: sourceAddress }) });
    const onAbort = (): void => {
      s.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve({ ok: true, detail: 'connected' });
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ ok: false, detail: err.code ?? err.message });
    });
  });
}
