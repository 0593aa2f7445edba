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
import { Splice, type SpliceEnd, type SpliceResult } from './splice.ts';

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

/** What was read before choosing, carried to the log line. */
interface Preface {
  readonly header?: ProxyHeader;
  readonly serverName?: string;
  readonly failure?: { readonly reason: string; readonly detail: string };
}

/** One connection, from accept to its log line. */
class Conn {
  upstream: Socket | undefined = undefined;
  splice: Splice | undefined = undefined;
  clientAddress: string;
  clientPort: number;
  proxyHeader: string | undefined = undefined;
  serverName: string | undefined = undefined;
  cluster: TcpCluster | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  attempt: Attempt | undefined = undefined;
  /** Endpoints tried so far (names, in order); the Set is made on the first retry. */
  tried: string[] = [];
  exclude: Set<string> | undefined = undefined;
  lastError = '';
  /** Bytes read before choosing (PROXY header removed), written to the upstream first. */
  buffered: Buffer | undefined = undefined;
  header: ProxyHeader | undefined = undefined;
  /** While connecting: the socket and the clock time its connect times out. */
  connecting: Socket | undefined = undefined;
  connectDeadline = 0;
  connectDone: ((r: Socket | string) => void) | undefined = undefined;

  constructor(
    readonly client: Socket,
    readonly started: number,
    readonly peerAddress: string,
    readonly peer: string,
  ) {
    this.clientAddress = peerAddress;
    this.clientPort = client.remotePort ?? 0;
  }
}

const MAX_PREFACE = 16_384 + 4 * 5 + 232; // a ClientHello over a few records, after a PROXY v2 header
const noop = (): void => undefined;

export class TcpBalancer {
  readonly name: string;
  readonly metrics: L4Metrics;
  private readonly server: Server;
  private readonly clock: NetClock;
  private readonly trusted: readonly Cidr[];
  private readonly needSni: boolean;
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly connectAttempts: number;
  /** How often the sweep looks for idle connections and connects that took too long. */
  private readonly sweepMs: number;
  private sweepTimer: TimerHandle | undefined;
  private readonly live = new Set<Conn>();
  private readonly records: TcpConnectionRecord[] = [];
  private draining = false;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly options: TcpBalancerOptions) {
    this.name = options.name ?? 'tcp';
    this.clock = options.clock ?? realClock();
    this.metrics = options.metrics ?? new L4Metrics();
    this.trusted = (options.acceptProxyFrom ?? []).map(parseCidr);
    this.needSni = (options.sni ?? []).length > 0;
    this.idleMs = options.idleTimeoutMs ?? 60_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.connectAttempts = options.connectAttempts ?? 3;
    // Timeouts are checked by one sweep per balancer, not a timer per connection: they fire at most a
    // tenth of their length late (and at most 1 s).
    const shortest = this.idleMs > 0 ? Math.min(this.idleMs, this.connectTimeoutMs) : this.connectTimeoutMs;
    this.sweepMs = Math.min(1000, Math.max(1, Math.floor(shortest / 10)));
    if (options.cluster === undefined && !this.needSni)
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
    for (const c of this.live) n += c.splice?.buffered ?? c.client.readableLength + c.client.writableLength;
    return n;
  }

  /** The connections that ended so far (the most recent 1 000). */
  get finished(): readonly TcpConnectionRecord[] {
    return this.records;
  }

  /** Times a direction was paused for backpressure, over the connections open now. */
  get pausesNow(): number {
    let n = 0;
    for (const c of this.live) n += c.splice?.pauses ?? 0;
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
        for (const c of [...this.live]) this.kill(c);
        resolve();
      }, timeoutMs);
    });
    if (timer !== undefined) this.clock.clearTimer(timer);
  }

  /** Stops at once: closes the listener and resets every connection. */
  async close(): Promise<void> {
    this.draining = true;
    for (const c of [...this.live]) this.kill(c);
    this.stopSweep();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private kill(c: Conn): void {
    if (c.splice !== undefined) c.splice.abort('aborted');
    else {
      if (!c.client.destroyed) c.client.resetAndDestroy();
      if (c.upstream !== undefined && !c.upstream.destroyed) c.upstream.resetAndDestroy();
    }
  }

  private forget(c: Conn): void {
    if (!this.live.delete(c)) return;
    if (this.live.size === 0) {
      this.stopSweep();
      if (this.draining) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** The sweep: idle splices are reset, connects past their deadline fail; runs while connections are open. */
  private armSweep(): void {
    if (this.sweepTimer === undefined) this.sweepTimer = this.clock.setTimer(() => this.sweep(), this.sweepMs);
  }

  private stopSweep(): void {
    if (this.sweepTimer !== undefined) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.now();
    for (const c of this.live) {
      if (c.splice !== undefined) {
        if (this.idleMs > 0 && !c.splice.settled && now - c.splice.lastActivity >= this.idleMs) c.splice.abort('idle_timeout');
      } else if (c.connecting !== undefined && now >= c.connectDeadline) {
        c.connecting.destroy();
        this.connectFailed(c, `timeout after ${this.connectTimeoutMs} ms`);
      }
    }
    if (this.live.size > 0) this.armSweep();
  }

  private record(r: TcpConnectionRecord): void {
    this.records.push(r);
    if (this.records.length > 1000) this.records.shift();
    const log = this.options.log;
    if (log === undefined) return;
    log(
      `l4 ${this.name} ${r.client}${r.clientAddress !== r.client.slice(0, r.client.lastIndexOf(':')) ? ` (as ${r.clientAddress})` : ''}${r.serverName === undefined ? '' : ` sni=${r.serverName}`} -> ${r.cluster ?? '-'}/${r.endpoint ?? '-'} attempts=${r.attempts} end=${r.end}${r.reason === undefined ? '' : ` (${r.reason})`} up=${r.bytesUp} down=${r.bytesDown} ${Math.round(r.durationMs)}ms`,
    );
  }

  /** The log record of a connection that ended (or was refused), with what is known of it. */
  private recordOf(c: Conn, end: SpliceEnd | 'refused', reason: string | undefined, bytesUp: number, bytesDown: number): TcpConnectionRecord {
    const r: { -readonly [K in keyof TcpConnectionRecord]: TcpConnectionRecord[K] } = {
      client: c.peer,
      clientAddress: c.clientAddress,
      attempts: c.tried.length,
      end,
      bytesUp,
      bytesDown,
      durationMs: this.clock.now() - c.started,
    };
    if (c.proxyHeader !== undefined) r.proxyHeader = c.proxyHeader;
    if (c.serverName !== undefined) r.serverName = c.serverName;
    if (c.cluster !== undefined) r.cluster = c.cluster.name;
    if (c.endpoint !== undefined) r.endpoint = c.endpoint.name;
    if (reason !== undefined) r.reason = reason;
    return r;
  }

  /** Closes a connection that gets no upstream: counted by `reason`, logged with `detail`. */
  private refuse(c: Conn, reason: string, detail: string, reset = false): void {
    this.metrics.refused.inc({ listener: this.name, reason });
    c.endpoint = undefined;
    if (reset) c.client.resetAndDestroy();
    else c.client.destroy();
    this.forget(c);
    this.record(this.recordOf(c, 'refused', detail, 0, 0));
  }

  private accept(client: Socket): void {
    const started = this.clock.now();
    const peerAddress = stripMapped(client.remoteAddress ?? '?');
    const c = new Conn(client, started, peerAddress, `${peerAddress}:${client.remotePort ?? 0}`);
    if (this.draining) {
      this.refuse(c, 'draining', 'draining');
      return;
    }
    if (this.options.maxConnections !== undefined && this.live.size >= this.options.maxConnections) {
      this.refuse(c, 'limit', `${this.live.size} connections open, the limit is ${this.options.maxConnections}`);
      return;
    }
    if (this.live.size === 0) this.metrics.activeSource(this.name, () => this.live.size);
    this.live.add(c);
    this.armSweep();
    client.on('close', () => {
      if (c.splice !== undefined) return;
      const connecting = c.connecting;
      if (connecting !== undefined) {
        // Gone while its upstream was connecting: that connect is abandoned.
        c.connecting = undefined;
        connecting.destroy();
        c.attempt?.finish({ error: 'other' });
        this.forget(c);
        this.record(this.recordOf(c, 'client_reset', 'client gone while connecting', 0, 0));
        return;
      }
      this.forget(c);
    });
    // Before the splice owns the socket, an error ends the attempt (handled by the close above).
    client.on('error', noop);
    const needProxy = this.trusted.length > 0 && matchesAny(peerAddress, this.trusted);
    if (needProxy || this.needSni) this.readPreface(c, needProxy);
    else this.choose(c, undefined);
  }

  /** Reads the PROXY header (trusted downstreams) and the ClientHello (SNI routes), then chooses. */
  private readPreface(c: Conn, needProxy: boolean): void {
    const client = c.client;
    let buffered: Buffer = Buffer.alloc(0);
    let header: ProxyHeader | undefined;
    let serverName: string | undefined;
    let failure: { reason: string; detail: string } | undefined;
    let sniDone = !this.needSni;
    let proxyDone = !needProxy;
    const handshakeMs = this.options.handshakeTimeoutMs ?? 5_000;
    const finish = (outcome: 'ok' | 'timeout' | 'closed' | 'bad'): void => {
      this.clock.clearTimer(timer);
      client.off('data', onData);
      client.off('end', onEnd);
      client.off('close', onEnd);
      client.pause();
      if (outcome === 'bad') this.refuse(c, failure?.reason ?? 'bad', failure?.detail ?? 'bad preface');
      else if (outcome === 'timeout')
        this.refuse(c, 'handshake_timeout', `no complete ${!proxyDone ? 'PROXY header' : 'ClientHello'} within ${handshakeMs} ms`);
      else if (outcome === 'closed') this.refuse(c, 'client_closed', 'the client closed before choosing was possible');
      else {
        if (buffered.length > 0) c.buffered = buffered;
        this.choose(c, {
          ...(header === undefined ? {} : { header }),
          ...(serverName === undefined ? {} : { serverName }),
          ...(failure === undefined ? {} : { failure }),
        });
      }
    };
    const timer = this.clock.setTimer(() => finish('timeout'), handshakeMs);
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
        if (s.status === 'more' && buffered.length <= MAX_PREFACE) return;
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
  }

  /** Picks the cluster (SNI routes) from what the preface said, then connects. */
  private choose(c: Conn, p: Preface | undefined): void {
    const header = p?.header;
    if (header !== undefined) {
      c.header = header;
      c.proxyHeader = describeProxyHeader(header);
      if (header.source !== undefined && header.command === 'proxy') c.clientAddress = header.source;
      if (header.sourcePort !== undefined) c.clientPort = header.sourcePort;
    }
    const serverName = p?.serverName;
    if (serverName !== undefined) c.serverName = serverName;
    let cluster = this.options.cluster;
    if (this.needSni) {
      const route = serverName === undefined ? undefined : (this.options.sni ?? []).find((r) => hostMatches(r.host, serverName));
      const failure = p?.failure;
      if (route !== undefined) cluster = route.cluster;
      else if ((serverName === undefined || failure !== undefined) && this.options.noSni === 'close') {
        this.refuse(c, failure?.reason ?? 'no_sni', failure?.detail ?? 'the ClientHello has no server name');
        return;
      } else if (serverName !== undefined && this.options.cluster === undefined) {
        this.refuse(c, 'no_route', `no SNI route for ${serverName}`);
        return;
      }
    }
    if (cluster === undefined) {
      this.refuse(c, 'no_route', 'no cluster for this connection');
      return;
    }
    c.cluster = cluster;
    this.tryNext(c);
  }

  /** Connects to the next endpoint the cluster picks; another is tried while no byte has been sent. */
  private tryNext(c: Conn): void {
    const cluster = c.cluster as TcpCluster;
    if (c.client.destroyed) {
      this.refuse(c, 'client_closed', 'the client closed before choosing was possible');
      return;
    }
    const pick = cluster.balancer.pick(c.exclude === undefined ? { clientAddress: c.clientAddress } : { clientAddress: c.clientAddress, exclude: c.exclude });
    if (pick.endpoint === undefined) {
      if (c.tried.length === 0) this.refuse(c, pick.reason, `no endpoint: ${pick.reason}`);
      else this.refuse(c, 'connect_failed', `connect failed on ${c.tried.join(', ')}: ${c.lastError}`, true);
      return;
    }
    const endpoint = pick.endpoint;
    c.endpoint = endpoint;
    c.tried.push(endpoint.name);
    c.attempt = cluster.balancer.begin(endpoint);
    const s = netConnect(
      cluster.sourceAddress === undefined
        ? { host: endpoint.address, port: endpoint.port, allowHalfOpen: true, noDelay: true }
        : { host: endpoint.address, port: endpoint.port, allowHalfOpen: true, noDelay: true, localAddress: cluster.sourceAddress },
    );
    c.connecting = s;
    c.connectDeadline = this.clock.now() + this.connectTimeoutMs;
    const onError = (err: NodeJS.ErrnoException): void => this.connectFailed(c, err.code ?? err.message);
    s.once('error', onError);
    s.once('connect', () => {
      if (c.connecting !== s) return;
      c.connecting = undefined;
      s.off('error', onError);
      this.connected(c, s);
    });
  }

  /** A connect failed (refused, timed out, aborted): the attempt ends; the next endpoint is tried. */
  private connectFailed(c: Conn, why: string): void {
    if (c.connecting === undefined) return;
    c.connecting = undefined;
    c.lastError = why;
    const endpoint = c.endpoint as Endpoint;
    c.attempt?.finish({ error: why.startsWith('timeout') ? 'timeout' : 'connect' });
    c.attempt = undefined;
    this.metrics.connectFailures.inc({ listener: this.name, endpoint: endpoint.name });
    if (c.exclude === undefined) c.exclude = new Set(c.tried);
    else c.exclude.add(endpoint.name);
    if (c.tried.length < this.connectAttempts && !c.client.destroyed) this.tryNext(c);
    else this.refuse(c, 'connect_failed', `connect failed on ${c.tried.join(', ')}: ${why}`, true);
  }

  /** Writes the PROXY header and what was read before choosing, then splices. */
  private connected(c: Conn, upstream: Socket): void {
    const client = c.client;
    const attempt = c.attempt as Attempt;
    if (client.destroyed) {
      upstream.destroy();
      attempt.finish({ error: 'other' });
      this.forget(c);
      this.record(this.recordOf(c, 'client_reset', 'client gone while connecting', 0, 0));
      return;
    }
    c.upstream = upstream;
    if (this.options.sendProxy !== undefined) {
      const header = c.header;
      const local = client.localAddress ?? '127.0.0.1';
      const dst = header?.command === 'proxy' && header.destination !== undefined ? header.destination : stripMapped(local);
      const dstPort = header?.destinationPort ?? client.localPort ?? 0;
      upstream.write(
        encodeProxyHeader(this.options.sendProxy, { source: c.clientAddress, sourcePort: c.clientPort, destination: dst, destinationPort: dstPort }),
      );
    }
    const buffered = c.buffered;
    if (buffered !== undefined) upstream.write(buffered);
    c.buffered = undefined;
    const splice = new Splice(client, upstream, {
      clock: this.clock,
      onFirstByte: () => attempt.firstByte(),
      onDone: (r) => this.spliceDone(c, r),
    });
    if (buffered !== undefined) splice.bytesUp += buffered.length;
    c.splice = splice;
    // A FIN that came with the preface (header, ClientHello and end in one read) was seen before the
    // splice listened: pass it on now.
    if (client.readableEnded) upstream.end();
    client.resume();
  }

  private spliceDone(c: Conn, result: SpliceResult): void {
    this.forget(c);
    const endpoint = c.endpoint as Endpoint;
    (c.attempt as Attempt).finish(result.end === 'upstream_reset' ? { error: 'reset' } : result.end === 'idle_timeout' ? { error: 'timeout' } : {});
    this.metrics.tcpEnded(this.name, (c.cluster as TcpCluster).name, endpoint.name, result.end, result.bytesUp, result.bytesDown);
    this.record(this.recordOf(c, result.end, undefined, result.bytesUp, result.bytesDown));
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
