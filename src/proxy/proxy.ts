// netlab's reverse proxy and L7 load balancer. startProxy(config) opens the configured listeners
// (HTTP, or HTTPS with SNI certificates), routes each request (routes.ts), answers fixed responses
// and redirects itself, and forwards the rest to a cluster's endpoints (forward.ts) through keep-alive
// pools. reload(config) swaps routes and clusters without dropping a connection: requests in flight
// finish on what they started with, endpoints that stay keep their counters and health, listeners
// whose address and certificates are unchanged keep their sockets. close() drains: idle keep-alive
// connections close, requests in flight finish (their responses say Connection: close).

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { NetlabError } from '../base/errors.ts';
import { cryptoRandom, type Random } from '../base/random.ts';
import { realClock, type NetClock } from '../base/timer-clock.ts';
import type { BalancerEvent, EndpointSummary, HealthEvent } from '../balance/index.ts';
import { type AcceptQueueEvent, HttpServer, type HttpServerRequest, type HttpServerResponse } from '../http/index.ts';
import { fieldValue, fieldValues, type HttpField, type HttpLimits } from '../wire/http.ts';
import { type AccessRecord, type AccessSink, combinedLine, fileSink, jsonLine } from './access-log.ts';
import { ClusterBreakers } from './breakers.ts';
import type { BreakerState } from './features/circuit-breaker.ts';
import { type CacheRequest, ProxyCache } from './cache.ts';
import { ClusterRuntime } from './cluster.ts';
import { compressionReshaper } from './compress.ts';
import { parseConfig } from './config.ts';
import type { Config, ListenerConfig } from './config-schema.ts';
import { answer, cookieValue, type ForwardHooks, forward } from './forward.ts';
import { ForwardProxy } from './forward-proxy.ts';
import { GatewayAuthRuntime, IdempotencyRuntime, replayFields } from './gateway.ts';
import { H2Front } from './h2-front.ts';
import { AddressSet, applyForwarding, plainAddress, stripHopByHop } from './headers.ts';
import { LoadShedRuntime, RateLimitRuntime, sameConfig } from './limits.ts';
import { listenerKey, listenerTlsOptions } from './listener.ts';
import { ProxyMetrics } from './metrics.ts';
import { countQueueEvent } from './queue-metrics.ts';
import type { Tunnel } from './tunnel.ts';
import { type CompiledRoute, compileRoutes, findRoute, hostOnly, parseQuery, redirectLocation, rewritePath } from './routes.ts';

export type ProxyEvent =
  | {
      readonly type: 'health';
      readonly cluster: string;
      readonly endpoint: string;
      readonly ok: boolean;
      readonly detail: string;
      readonly change?: 'up' | 'down';
    }
  | { readonly type: 'balancer'; readonly cluster: string; readonly event: BalancerEvent['type']; readonly endpoint: string }
  | { readonly type: 'retry'; readonly cluster: string; readonly endpoint: string; readonly reason: string }
  | { readonly type: 'reload'; readonly listeners: readonly string[]; readonly clusters: readonly string[] }
  | { readonly type: 'error'; readonly message: string }
  /** An HTTP/2 stream netlab refused before routing (malformed, or DATA disagreeing with Content-Length). */
  | { readonly type: 'h2-refused'; readonly listener: string; readonly reason: string }
  /** A connection above the listener's maxConnections answered 503: the queue was full, its wait too long, or the proxy closing. */
  | { readonly type: 'queue-refused'; readonly listener: string; readonly reason: 'queue-full' | 'queue-timeout' | 'closing' };

export interface ProxyOptions {
  readonly clock?: NetClock;
  readonly random?: Random;
  /** Parser limits on the client side (and response-head limits upstream). */
  readonly limits?: Partial<HttpLimits>;
  /** Receives each access log line (overrides the config's accessLog.path; the format still comes from the config, default combined). */
  readonly accessLog?: AccessSink;
  /** Client side: time allowed for a request head (default 10 s) and between requests (default 60 s). */
  readonly headerTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** The pseudonym in Via (default "netlab"). */
  readonly via?: string;
  /** The request id header (default X-Request-Id). */
  readonly requestIdHeader?: string;
  readonly onEvent?: (e: ProxyEvent) => void;
  /**
   * Request bodies up to this size are read whole before the upstream is contacted (as nginx does by
   * default): a body that breaks the framing rules is refused without anything reaching the upstream,
   * and a whole body can be sent again on a retry. Larger bodies stream. Default 1 MiB; 0 streams all.
   */
  readonly requestBufferBytes?: number;
  /** Time close() gives requests in flight before cutting them (default 5 000 ms). */
  readonly graceMs?: number;
  /**
   * Wall-clock time (epoch ms) for the cache's HTTP dates and ages (default Date.now). A lab passes a
   * clock it moves forward, so Age and expiry show without waiting.
   */
  readonly httpNow?: () => number;
}

export interface ListenerInfo {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** http://127.0.0.1:PORT or https://... */
  readonly url: string;
}

export interface ProxyStats {
  readonly requests: number;
  readonly inFlight: number;
  readonly retries: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly listeners: readonly ListenerInfo[];
  readonly clusters: Readonly<Record<string, readonly EndpointSummary[]>>;
}

interface ListenerRuntime {
  config: ListenerConfig;
  readonly key: string;
  readonly server: HttpServer;
  /** The HTTP/2 side (listeners with h2 or h2c). */
  readonly h2: H2Front | undefined;
  readonly info: ListenerInfo;
}

/** Drains a listener: HTTP/1.x connections and HTTP/2 sessions (GOAWAY) alike. */
function closeListener(rt: ListenerRuntime, graceMs: number): Promise<void> {
  return Promise.all([rt.server.close(graceMs), rt.h2?.close(graceMs)]).then(() => undefined);
}

interface State {
  readonly config: Config;
  readonly routes: readonly CompiledRoute[];
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  readonly trusted: AddressSet;
  readonly format: 'combined' | 'json';
  readonly log: AccessSink | undefined;
  readonly closeLog: () => void;
  /** Rate limits by owner: `listener:NAME` and `route:NAME`. */
  readonly rateLimits: ReadonlyMap<string, RateLimitRuntime>;
  readonly shed: LoadShedRuntime | undefined;
  /** Circuit breakers by cluster name (clusters with `circuitBreakers`). */
  readonly breakers: ReadonlyMap<string, ClusterBreakers>;
  readonly cache: ProxyCache | undefined;
  /** API gateway runtimes by route name (routes with `auth` or `idempotency`). */
  readonly gateways: ReadonlyMap<string, GatewayRoute>;
}

interface GatewayRoute {
  readonly auth: GatewayAuthRuntime | undefined;
  readonly idempotency: IdempotencyRuntime | undefined;
}

/** A config object as labs write it (defaults filled and cross-references checked here) or a parsed Config. */
export function toProxyConfig(config: unknown, source = 'proxy config'): Config {
  return parseConfig(JSON.stringify(config), { kind: 'proxy', source });
}

export class ReverseProxy {
  private readonly opts: ProxyOptions;
  private readonly clock: NetClock;
  private readonly random: Random;
  private state!: State;
  private readonly listenerMap = new Map<string, ListenerRuntime>();
  readonly metrics: ProxyMetrics;
  private requests = 0;
  private active = 0;
  private retried = 0;
  private readonly statusCounts: Record<string, number> = {};
  private closed = false;
  /** WebSocket (Upgrade) tunnels open now; close() ends them. */
  private readonly tunnels = new Set<Tunnel>();
  /** Listeners with mode: forward (forward-proxy.ts). */
  private readonly forwarder: ForwardProxy;
  /** The request id header (X-Request-Id unless configured). */
  private readonly idHeader: string;
  /** Request fields never forwarded as they came (besides the hop-by-hop ones): the proxy writes its own. */
  private readonly notForwarded: ReadonlySet<string>;
  /** What forward() reports, for the metrics and events (one object for every request). */
  private readonly forwardHooks: ForwardHooks;

  private constructor(options: ProxyOptions) {
    this.opts = options;
    this.clock = options.clock ?? realClock();
    this.random = options.random ?? cryptoRandom();
    this.idHeader = options.requestIdHeader ?? 'X-Request-Id';
    this.notForwarded = new Set(['content-length', 'host', 'expect', 'via', this.idHeader.toLowerCase()]);
    this.forwardHooks = {
      onRetry: (cluster, reason, ep) => {
        this.retried++;
        this.metrics.retries.inc({ cluster, reason });
        this.emit({ type: 'retry', cluster, endpoint: ep, reason });
      },
      onUpstreamError: (cluster, ep, kind) => this.metrics.upstreamErrors.inc({ cluster, endpoint: ep, kind }),
      onUpstreamHead: (cluster, ep, st, seconds) => this.metrics.observeUpstreamHead(cluster, ep, st, seconds),
    };
    this.metrics = new ProxyMetrics(
      () => this.active,
      () => {
        const rows = [];
        for (const c of this.state.clusters.values())
          for (const e of c.balancer.endpoints) rows.push({ cluster: c.name, endpoint: e.name, state: e.state, active: e.active });
        return rows;
      },
    );
    this.forwarder = new ForwardProxy({
      clock: this.clock,
      registry: this.metrics.registry,
      limits: options.limits,
      via: options.via,
      onTunnel: (t) => {
        this.tunnels.add(t);
        void t.done.then(() => this.tunnels.delete(t));
      },
      onError: (message) => this.emit({ type: 'error', message }),
    });
  }

  /** Starts a proxy: checks the config, opens every listener, starts health checks. */
  static async start(config: unknown, options: ProxyOptions = {}): Promise<ReverseProxy> {
    const p = new ReverseProxy(options);
    p.state = p.buildState(toProxyConfig(config), undefined);
    try {
      await p.syncListeners();
    } catch (err) {
      await p.close(0);
      throw err;
    }
    return p;
  }

  private emit(e: ProxyEvent): void {
    this.opts.onEvent?.(e);
  }

  private buildState(config: Config, previous: State | undefined): State {
    const clusters = new Map<string, ClusterRuntime>();
    for (const c of config.clusters) {
      const prev = previous?.clusters.get(c.name);
      const rt = new ClusterRuntime(
        c,
        { clock: this.clock, random: this.random, limits: this.opts.limits, onHealth: (cluster, ev) => this.onHealth(cluster, ev) },
        prev,
      );
      if (prev === undefined || rt.balancer !== prev.balancer)
        rt.balancer.onEvent((ev) => this.emit({ type: 'balancer', cluster: c.name, event: ev.type, endpoint: ev.endpoint.name }));
      clusters.set(c.name, rt);
    }
    let log: AccessSink | undefined = this.opts.accessLog;
    let closeLog = (): void => undefined;
    if (log === undefined && config.accessLog !== undefined) {
      const f = fileSink(config.accessLog.path);
      log = f.sink;
      closeLog = f.close;
    }
    const rateLimits = new Map<string, RateLimitRuntime>();
    const owners = [
      ...config.listeners.map((l) => ({ key: `listener:${l.name}`, name: l.name, rl: l.rateLimit })),
      ...config.routes.map((r) => ({ key: `route:${r.name}`, name: r.name, rl: r.rateLimit })),
    ];
    for (const o of owners) {
      if (o.rl === undefined) continue;
      const prev = previous?.rateLimits.get(o.key);
      rateLimits.set(o.key, prev !== undefined && sameConfig(prev.config, o.rl) ? prev : new RateLimitRuntime(o.rl, o.name, this.clock));
    }
    const prevShed = previous?.shed;
    const shed =
      config.loadShed === undefined
        ? undefined
        : prevShed !== undefined && sameConfig(prevShed.config, config.loadShed)
          ? prevShed
          : new LoadShedRuntime(config.loadShed);
    const breakers = new Map<string, ClusterBreakers>();
    for (const c of config.clusters) {
      if (c.circuitBreakers === undefined) continue;
      const prev = previous?.breakers.get(c.name);
      const cluster = c.name;
      breakers.set(
        c.name,
        prev !== undefined && sameConfig(prev.config, c.circuitBreakers)
          ? prev
          : new ClusterBreakers(c.circuitBreakers, {
              clock: this.clock,
              onOverflow: (resource) => this.metrics.overflows.inc({ cluster, resource }),
              onTransition: (endpoint, _from, to) => this.metrics.breakerTransitions.inc({ cluster, endpoint, to }),
            }),
      );
    }
    const prevCache = previous?.cache;
    const cache =
      config.cache === undefined
        ? undefined
        : prevCache !== undefined && sameConfig(prevCache.config, config.cache)
          ? prevCache
          : new ProxyCache(config.cache, this.opts.httpNow);
    const gateways = new Map<string, GatewayRoute>();
    for (const r of config.routes) {
      if (r.auth === undefined && r.idempotency === undefined) continue;
      const prev = previous?.gateways.get(r.name);
      // Same config, same runtime: stored answers and fetched key sets live through a reload.
      const auth =
        r.auth === undefined
          ? undefined
          : prev?.auth !== undefined && sameConfig(prev.auth.config, r.auth)
            ? prev.auth
            : new GatewayAuthRuntime(r.auth, r.name);
      const idempotency =
        r.idempotency === undefined
          ? undefined
          : prev?.idempotency !== undefined && sameConfig(prev.idempotency.config, r.idempotency)
            ? prev.idempotency
            : new IdempotencyRuntime(r.idempotency, this.clock);
      gateways.set(r.name, { auth, idempotency });
    }
    return {
      gateways,
      rateLimits,
      shed,
      breakers,
      cache,
      config,
      routes: compileRoutes(config.routes),
      clusters,
      trusted: new AddressSet(config.trustedProxies),
      format: config.accessLog?.format ?? 'combined',
      log,
      closeLog,
    };
  }

  private onHealth(cluster: string, ev: HealthEvent): void {
    this.emit({ type: 'health', cluster, endpoint: ev.endpoint.name, ok: ev.ok, detail: ev.detail, ...(ev.change === undefined ? {} : { change: ev.change }) });
  }

  /** Opens listeners that are new or changed, closes (drains) those gone. */
  private async syncListeners(): Promise<void> {
    const wanted = this.state.config.listeners.filter((l) => l.mode === 'http' || l.mode === 'forward');
    const keep = new Set<string>();
    for (const l of wanted) {
      const old = this.listenerMap.get(l.name);
      const key = listenerKey(l);
      if (old !== undefined && old.key === key) {
        old.config = l;
        keep.add(l.name);
        continue;
      }
      if (old !== undefined) {
        this.listenerMap.delete(l.name);
        void closeListener(old, this.opts.graceMs ?? 5000);
      }
      const rt = await this.openListener(l, key);
      this.listenerMap.set(l.name, rt);
      keep.add(l.name);
    }
    for (const [name, rt] of this.listenerMap) {
      if (!keep.has(name)) {
        this.listenerMap.delete(name);
        void closeListener(rt, this.opts.graceMs ?? 5000);
      }
    }
  }

  private async openListener(l: ListenerConfig, key: string): Promise<ListenerRuntime> {
    const tls = listenerTlsOptions(l);
    const holder: { rt?: ListenerRuntime } = {};
    const handler = (req: HttpServerRequest, res: HttpServerResponse): Promise<void> | undefined => {
      const rt = holder.rt;
      if (rt === undefined) {
        answer(res, 503, 'netlab proxy: listener not ready\n');
        return;
      }
      return this.handle(rt, req, res);
    };
    const wantsH2 = l.mode === 'http' && ((tls !== undefined && l.protocols.includes('h2')) || (tls === undefined && l.protocols.includes('h2c')));
    const h2 = wantsH2
      ? new H2Front({
          settings: l.http2,
          handler,
          clock: this.clock,
          prefaceTimeoutMs: this.opts.headerTimeoutMs ?? 10_000,
          onRefused: (reason) => this.emit({ type: 'h2-refused', listener: l.name, reason }),
        })
      : undefined;
    const server = new HttpServer({
      ...(tls === undefined ? {} : { tls }),
      ...(h2 === undefined ? {} : { divert: (socket, http1) => (tls === undefined ? h2.divertPlain(socket, http1) : h2.divertTls(socket, http1)) }),
      ...(l.maxConnections === undefined
        ? {}
        : {
            maxConnections: l.maxConnections,
            queue: { maxQueued: l.maxQueued, timeoutMs: l.queueTimeoutMs },
            onQueue: (e: AcceptQueueEvent) => {
              countQueueEvent(this.metrics.registry, l.name, e);
              if (e.type === 'refused') this.emit({ type: 'queue-refused', listener: l.name, reason: e.reason });
            },
          }),
      limits: this.opts.limits,
      headerTimeoutMs: this.opts.headerTimeoutMs ?? 10_000,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000,
      clock: this.clock,
      handler,
    });
    let addr: AddressInfo;
    try {
      addr = await server.listen(l.port, l.address);
    } catch (err) {
      throw new NetlabError('ERR_IO', `listener ${l.name}: ${err instanceof Error ? err.message : String(err)}`, { layer: 'proxy', cause: err });
    }
    const scheme = tls === undefined ? 'http' : 'https';
    const hostText = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    const rt: ListenerRuntime = {
      config: l,
      key,
      server,
      h2,
      info: { name: l.name, address: addr.address, port: addr.port, tls: tls !== undefined, url: `${scheme}://${hostText}:${addr.port}` },
    };
    holder.rt = rt;
    return rt;
  }

  // ---- one request ------------------------------------------------------------------------------

  private async handle(l: ListenerRuntime, req: HttpServerRequest, res: HttpServerResponse): Promise<void> {
    const state = this.state;
    if (l.config.mode === 'forward') {
      const m = state.config.metrics;
      const metrics =
        m !== undefined && (m.listener === undefined || m.listener === l.config.name)
          ? { path: m.path, text: () => this.metrics.text(), contentType: this.metrics.contentType }
          : undefined;
      const { status } = await this.forwarder.handle(
        { listener: l.config, log: state.log, format: state.format, ...(metrics === undefined ? {} : { metrics }) },
        req,
        res,
      );
      this.requests++;
      this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
      return;
    }
    const started = this.clock.now();
    const head = req.head;
    this.requests++;
    this.active++;
    const scheme: 'http' | 'https' = l.info.tls ? 'https' : 'http';
    const peer = plainAddress(req.connection.socket.remoteAddress ?? '');
    const { path, query } = splitTarget(head.target, head.targetForm);
    const host = hostOnly(head.authority);
    const idHeader = this.idHeader;
    // A client's request id is read only from a trusted peer (no field scan per request otherwise).
    const given = state.trusted.contains(peer) ? fieldValue(head.fields, idHeader) : undefined;
    const requestId = given !== undefined && /^[\x21-\x7e]{1,200}$/.test(given) ? given : randomUUID();
    const via = `${head.version} ${this.opts.via ?? 'netlab'}`;
    const responseFields: HttpField[] = [
      { name: 'Via', value: via },
      { name: idHeader, value: requestId },
    ];
    let routeName = '-';
    let clusterName = '-';
    let endpoint = '-';
    let status = 500;
    let bytes = 0;
    let attempts = 0;
    let clientAddress = peer;
    let release: (() => void) | undefined;
    try {
      const metricsCfg = state.config.metrics;
      if (
        metricsCfg !== undefined &&
        path === metricsCfg.path &&
        (metricsCfg.listener === undefined || metricsCfg.listener === l.config.name) &&
        (head.method === 'GET' || head.method === 'HEAD')
      ) {
        routeName = 'metrics';
        req.body.discard();
        const text = Buffer.from(await this.metrics.text(), 'utf8');
        res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Content-Length': text.length, 'Cache-Control': 'no-store' });
        res.end(text);
        status = 200;
        bytes = head.method === 'HEAD' ? 0 : text.length;
        return;
      }
      const shed = this.admitOrShed(state, res, responseFields);
      if (typeof shed === 'number') {
        status = 503;
        bytes = shed;
        req.body.discard();
        return;
      }
      release = shed;
      if (!l.config.protocols.includes(head.version === '2' ? (l.info.tls ? 'h2' : 'h2c') : head.version === '1.1' ? 'http/1.1' : 'http/1.0')) {
        req.body.discard();
        status = 505;
        bytes = answer(res, 505, `netlab proxy: listener ${l.config.name} does not speak HTTP/${head.version}\n`, responseFields);
        return;
      }
      if (head.method === 'CONNECT' || head.targetForm === 'authority') {
        req.body.discard();
        status = 501;
        bytes = answer(res, 501, 'netlab proxy: CONNECT is not supported by a reverse proxy\n', responseFields);
        return;
      }
      const route = findRoute(state.routes, { method: head.method, host, path, query, fields: head.fields, listener: l.config.name });
      // API gateway: the bearer token is checked before the rate limits, so a limit can count per user.
      const gw = route === undefined ? undefined : state.gateways.get(route.name);
      let userId: string | undefined;
      if (route !== undefined && gw?.auth !== undefined) {
        const a = await gw.auth.authorize(head.fields);
        this.metrics.gateway.inc({
          route: route.name,
          outcome: a.ok ? 'authorized' : a.status === 401 ? 'unauthorized' : a.status === 403 ? 'forbidden' : 'keys_unavailable',
        });
        if (!a.ok) {
          req.body.discard();
          routeName = route.name;
          status = a.status;
          bytes = answer(res, a.status, a.text, [...responseFields, ...a.fields]);
          return;
        }
        userId = a.userId;
      }
      const limited = this.applyRateLimits(state, l, route, req, res, responseFields, userId);
      if (limited !== undefined) {
        req.body.discard();
        status = limited.status;
        bytes = limited.bytes;
        return;
      }
      if (route === undefined) {
        req.body.discard();
        status = 404;
        bytes = answer(res, 404, `netlab proxy: no route for ${head.method} ${host === '' ? '' : host}${path}\n`, responseFields);
        return;
      }
      routeName = route.name;
      const rc = route.config;
      if (rc.respond !== undefined) {
        req.body.discard();
        const text = Buffer.from(rc.respond.body, 'utf8');
        const extra = Object.entries(rc.respond.headers).map(([name, value]) => ({ name, value }));
        status = rc.respond.status;
        res.writeHead(status, [
          ...responseFields,
          ...extra,
          { name: 'Content-Type', value: rc.respond.contentType },
          ...(status === 204 ? [] : [{ name: 'Content-Length', value: String(text.length) }]),
        ]);
        res.end(status === 204 ? undefined : text);
        bytes = head.method === 'HEAD' || status === 204 ? 0 : text.length;
        return;
      }
      if (rc.redirect !== undefined) {
        req.body.discard();
        const location = redirectLocation(route, { scheme, authority: head.authority, path, query });
        status = rc.redirect.status;
        bytes = answer(res, status, `moved to ${location}\n`, [...responseFields, { name: 'Location', value: location }]);
        return;
      }
      const cluster = state.clusters.get(rc.cluster ?? '');
      if (cluster === undefined) {
        req.body.discard();
        status = 500;
        bytes = answer(res, 500, `netlab proxy: route ${route.name} names no cluster\n`, responseFields);
        return;
      }
      clusterName = cluster.name;
      // Fields for the upstream: the connection's own removed, framing rewritten by the client side.
      let fields = stripHopByHop(head.fields, this.notForwarded);
      const fwd = applyForwarding(fields, {
        peer,
        proto: scheme,
        host: head.authority,
        local: plainAddress(req.connection.socket.localAddress ?? ''),
        trusted: state.trusted,
      });
      fields = fwd.fields;
      clientAddress = fwd.clientAddress;
      // A client's own user id header never reaches the upstream; the verified one replaces it.
      if (gw?.auth !== undefined) fields = gw.auth.upstreamFields(fields, userId);
      let viaChain = via;
      for (let i = head.fields.length - 1; i >= 0; i--) {
        const f = head.fields[i];
        if (f.name.length === 3 && f.name.toLowerCase() === 'via') viaChain = `${f.value}, ${viaChain}`;
      }
      const upstreamHost = rc.rewrite?.host ?? (head.authority === '' ? undefined : head.authority);
      const target = `${rewritePath(route, path)}${query === '' ? '' : `?${query}`}`;
      const k = cluster.hashKey;
      const hashKey =
        k.from === 'client_address'
          ? clientAddress
          : k.from === 'path'
            ? path
            : k.from === 'header'
              ? fieldValue(head.fields, k.name)
              : k.from === 'cookie'
                ? cookieValue(head.fields, k.name)
                : parseQuery(query).get(k.name)?.[0];
      const sticky = cluster.sticky;
      let stickyKey: string | undefined;
      if (sticky !== undefined && cluster.stickyName !== undefined) {
        stickyKey =
          sticky.mode === 'header'
            ? fieldValue(head.fields, cluster.stickyName)
            : sticky.mode === 'client_address'
              ? undefined
              : cookieValue(head.fields, cluster.stickyName);
      }
      // Upgrade (WebSocket) is hop-by-hop: it goes on only when the route allows the protocol asked for.
      const upgradeTo =
        head.upgrade.length === 0
          ? head.upgrade
          : head.upgrade.filter((p) => rc.upgrades.some((u) => u.toLowerCase() === p.toLowerCase().split('/')[0] || u.toLowerCase() === p.toLowerCase()));
      const upstreamFields: HttpField[] = [
        { name: 'Host', value: upstreamHost ?? '' },
        ...fields,
        { name: 'Via', value: viaChain },
        { name: idHeader, value: requestId },
        ...(upgradeTo.length > 0
          ? [
              { name: 'Connection', value: 'upgrade' },
              { name: 'Upgrade', value: upgradeTo.join(', ') },
            ]
          : []),
      ];
      const reshape =
        rc.compression === undefined
          ? undefined
          : compressionReshaper(rc.compression, head.method, head.fields, (d) => this.metrics.compression.inc({ outcome: d }));
      // An event stream (EventSource sends Accept: text/event-stream) is never read whole by the cache.
      if (
        rc.cache &&
        state.cache !== undefined &&
        (head.method === 'GET' || head.method === 'PURGE') &&
        upgradeTo.length === 0 &&
        !/\btext\/event-stream\b/i.test(fieldValues(head.fields, 'accept').join(','))
      ) {
        const url = `${host}${path}${query === '' ? '' : `?${query}`}`;
        const c = await this.fromCache(
          state.cache,
          {
            url,
            fields: head.fields,
            upstreamFields,
            target,
            cluster,
            ctx: { clientAddress, ...(hashKey === undefined ? {} : { hashKey }) },
            res,
            responseFields,
            ...(reshape === undefined ? {} : { reshape }),
          },
          head.method,
          clientAddress,
        );
        if (c !== undefined) {
          status = c.status;
          bytes = c.bytes;
          endpoint = 'cache';
          return;
        }
      }
      const idem = gw?.idempotency?.applies(head.method) ? gw.idempotency : undefined;
      const idemKey = idem?.key(head.fields);
      if (idem !== undefined && idemKey === undefined) {
        this.metrics.gateway.inc({ route: route.name, outcome: 'key_missing' });
        status = 400;
        bytes = answer(
          res,
          400,
          `netlab gateway: ${head.method} on route ${route.name} needs an ${idem.config.header} header (1 to 255 visible ASCII characters)\n`,
          responseFields,
        );
        return;
      }
      let body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
      if (head.framing.kind !== 'none') {
        try {
          body = await bufferBody(req.body, this.opts.requestBufferBytes ?? 1024 * 1024);
        } catch {
          // The body broke its framing (netlab's server answered the client) or the client left.
          status = res.status;
          return;
        }
      }
      let held: { scoped: string; token: number } | undefined;
      let reshaper = reshape;
      let capture: ReturnType<IdempotencyRuntime['capture']>['capture'] | undefined;
      if (idem !== undefined && idemKey !== undefined) {
        if (body !== undefined && !(body instanceof Uint8Array)) {
          status = 413;
          bytes = answer(
            res,
            413,
            `netlab gateway: an idempotent request's body must fit ${this.opts.requestBufferBytes ?? 1024 * 1024} bytes\n`,
            responseFields,
          );
          return;
        }
        const b = idem.begin(idemKey, userId, head.method, `${path}${query === '' ? '' : `?${query}`}`, body ?? new Uint8Array(0));
        const d = b.decision;
        const outcome = { 'in-progress': 'in_progress', mismatch: 'key_reused', replay: 'replayed', new: 'forwarded' } as const;
        this.metrics.gateway.inc({ route: route.name, outcome: outcome[d.kind] });
        if (d.kind === 'in-progress') {
          status = 409;
          bytes = answer(res, 409, `netlab gateway: a request with ${idem.config.header} ${idemKey} is still in progress\n`, [
            ...responseFields,
            { name: 'Retry-After', value: '1' },
          ]);
          return;
        }
        if (d.kind === 'mismatch') {
          status = 422;
          bytes = answer(res, 422, `netlab gateway: ${idem.config.header} ${idemKey} was used for a different request\n`, responseFields);
          return;
        }
        if (d.kind === 'replay') {
          status = d.response.status;
          res.writeHead(status, replayFields(d.response, responseFields));
          res.end(d.response.body);
          endpoint = 'idempotency';
          bytes = d.response.body.length;
          return;
        }
        held = { scoped: b.scoped, token: d.token };
        const c = idem.capture(reshape);
        reshaper = c.reshaper;
        capture = c.capture;
      }
      let result: Awaited<ReturnType<typeof forward>>;
      try {
        // One object literal of one shape (no spreads: this runs for every request).
        result = await forward({
          req,
          res,
          cluster,
          fields: upstreamFields,
          target,
          body,
          bodyLength: head.framing.kind === 'length' ? head.framing.length : undefined,
          ctx: hashKey === undefined ? { clientAddress } : { clientAddress, hashKey },
          stickyKey,
          responseFields,
          clock: this.clock,
          hooks: this.forwardHooks,
          hostFallback: upstreamHost === undefined,
          breakers: state.breakers.size === 0 ? undefined : state.breakers.get(cluster.name),
          reshapeResponse: reshaper,
          upgrade:
            upgradeTo.length > 0
              ? {
                  idleMs: cluster.config.timeouts.tunnelIdleMs,
                  onTunnel: (t: Tunnel) => {
                    this.tunnels.add(t);
                    this.metrics.tunnels.inc({ cluster: cluster.name });
                    void t.done.then(() => this.tunnels.delete(t));
                  },
                }
              : undefined,
        });
      } finally {
        if (held !== undefined && capture !== undefined && idem !== undefined) idem.finish(held.scoped, held.token, capture, responseFields);
      }
      status = result.status;
      endpoint = result.endpoint;
      bytes = result.bytes;
      attempts = result.attempts;
    } catch (err) {
      this.emit({ type: 'error', message: `request ${head.method} ${head.target}: ${err instanceof Error ? err.message : String(err)}` });
      status = 500;
      answer(res, 500, 'netlab proxy: internal error\n', responseFields);
    } finally {
      release?.();
      // A body left unread (an answer given before it was forwarded) must not stall the connection.
      if (!req.body.settled) req.body.discard();
      this.active--;
      this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
      const seconds = (this.clock.now() - started) / 1000;
      this.metrics.observeRequest(routeName, clusterName, endpoint, head.method, status, seconds);
      if (state.log !== undefined) {
        const rec: AccessRecord = {
          time: new Date(),
          client: clientAddress,
          method: head.method,
          target: head.target,
          version: head.version,
          status,
          bytes,
          referer: fieldValue(head.fields, 'referer'),
          userAgent: fieldValue(head.fields, 'user-agent'),
          host: head.authority,
          route: routeName,
          cluster: clusterName,
          endpoint,
          durationMs: seconds * 1000,
          attempts,
          requestId,
          listener: l.config.name,
        };
        state.log(state.format === 'json' ? jsonLine(rec) : combinedLine(rec));
      }
    }
  }

  // ---- feature hooks (config-features.ts) ---------------------------------------------------------

  /** Load shedding: a release function for an admitted request, or the bytes of the 503 sent. */
  private admitOrShed(state: State, res: HttpServerResponse, responseFields: readonly HttpField[]): (() => void) | number | undefined {
    if (state.shed === undefined) return undefined;
    const t = state.shed.shedder.admit();
    if (t.admitted) return () => t.release();
    this.metrics.shed.inc({ reason: t.reason });
    return answer(res, 503, `netlab proxy: overloaded (${t.reason}), request shed\n`, [
      ...responseFields,
      { name: 'Retry-After', value: String(t.retryAfterSeconds) },
      { name: 'X-Netlab-Shed', value: t.reason },
    ]);
  }

  /**
   * The listener's rate limit, then the route's: a refusal is answered here (429, or 400 for a
   * missing key) and returned; an allowed request gets the RateLimit fields added to its response.
   */
  private applyRateLimits(
    state: State,
    l: ListenerRuntime,
    route: CompiledRoute | undefined,
    req: HttpServerRequest,
    res: HttpServerResponse,
    responseFields: HttpField[],
    subject?: string,
  ): { status: number; bytes: number } | undefined {
    if (state.rateLimits.size === 0) return undefined;
    const limits = [state.rateLimits.get(`listener:${l.config.name}`), route === undefined ? undefined : state.rateLimits.get(`route:${route.name}`)];
    if (limits[0] === undefined && limits[1] === undefined) return undefined;
    const peer = plainAddress(req.connection.socket.remoteAddress ?? '');
    const client = state.trusted.contains(peer)
      ? applyForwarding(req.head.fields, { peer, proto: 'http', host: req.head.authority, local: '', trusted: state.trusted }).clientAddress
      : peer;
    for (const rl of limits) {
      if (rl === undefined) continue;
      const v = rl.check(client, req.head.fields, subject);
      if (!v.allowed) {
        this.metrics.rateLimited.inc({ policy: v.policy, status: String(v.status) });
        return { status: v.status, bytes: answer(res, v.status, v.text, [...responseFields, ...v.fields]) };
      }
      responseFields.push(...v.fields);
    }
    return undefined;
  }

  /** A cached route's GET (served from the cache when it can) or PURGE; undefined: forward as usual. */
  private async fromCache(cache: ProxyCache, r: CacheRequest, method: string, client: string): Promise<{ status: number; bytes: number } | undefined> {
    if (method === 'PURGE') {
      const p = cache.purge(r.url, client);
      this.metrics.cache.inc({ result: p.status === 200 ? 'PURGE' : 'PURGE_REFUSED' });
      return { status: p.status, bytes: answer(r.res, p.status, p.text, r.responseFields) };
    }
    const served = await cache.serve(r);
    if (served === undefined) {
      this.metrics.cache.inc({ result: 'UNCACHED' });
      (r.responseFields as HttpField[]).push({ name: 'X-Cache', value: 'MISS' });
      return undefined;
    }
    this.metrics.cache.inc({ result: served.result });
    return served;
  }

  // ---- control ----------------------------------------------------------------------------------

  /** The listeners, with the ports they got. */
  get listeners(): readonly ListenerInfo[] {
    return [...this.listenerMap.values()].map((l) => l.info);
  }

  /** A listener's address (the first listener when no name is given). */
  address(name?: string): ListenerInfo {
    const l = name === undefined ? [...this.listenerMap.values()][0] : this.listenerMap.get(name);
    if (l === undefined)
      throw new NetlabError('ERR_NOT_FOUND', `no listener ${name ?? ''} (have: ${[...this.listenerMap.keys()].join(', ') || 'none'})`, { layer: 'proxy' });
    return l.info;
  }

  /** The configuration in force. */
  get config(): Config {
    return this.state.config;
  }

  cluster(name: string): ClusterRuntime {
    const c = this.state.clusters.get(name);
    if (c === undefined) throw new NetlabError('ERR_NOT_FOUND', `no cluster ${name} (have: ${[...this.state.clusters.keys()].join(', ')})`, { layer: 'proxy' });
    return c;
  }

  /** The endpoint breakers' states of a cluster (endpoints seen so far); {} when it has none. */
  breakerStates(cluster: string): Record<string, BreakerState> {
    this.cluster(cluster);
    return this.state.breakers.get(cluster)?.states() ?? {};
  }

  stats(): ProxyStats {
    const clusters: Record<string, readonly EndpointSummary[]> = {};
    for (const c of this.state.clusters.values()) clusters[c.name] = c.balancer.summary();
    return { requests: this.requests, inFlight: this.active, retries: this.retried, byStatus: { ...this.statusCounts }, listeners: this.listeners, clusters };
  }

  /** The /metrics text (Prometheus exposition format). */
  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  /**
   * Drains an endpoint: no new requests; resolves when the requests on it have finished, and then
   * closes the idle keep-alive connections to it.
   */
  drainEndpoint(cluster: string, endpoint: string): Promise<void> {
    const c = this.cluster(cluster);
    const b = c.balancer;
    return new Promise((resolve) => {
      let done = false;
      let stop = (): void => undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        stop();
        const e = b.endpoint(endpoint);
        // Let the last response's connection come back to the pool first.
        setImmediate(() => {
          if (e !== undefined) c.closeIdle(e);
          resolve();
        });
      };
      stop = b.onEvent((ev) => {
        if (ev.type === 'drained' && ev.endpoint.name === endpoint) finish();
      });
      if (b.drain(endpoint)) finish();
    });
  }

  undrainEndpoint(cluster: string, endpoint: string): void {
    this.cluster(cluster).balancer.undrain(endpoint);
  }

  /**
   * Swaps in a new configuration. Connections stay open and requests in flight finish on the routes
   * and clusters they began with; new requests use the new ones. Rejects (keeping the old config)
   * when the new one is invalid or a new listener cannot bind.
   */
  async reload(config: unknown): Promise<void> {
    if (this.closed) throw new NetlabError('ERR_STATE', 'the proxy is closed', { layer: 'proxy' });
    const next = toProxyConfig(config);
    const old = this.state;
    const state = this.buildState(next, old);
    this.state = state;
    try {
      await this.syncListeners();
    } catch (err) {
      for (const c of state.clusters.values()) if (old.clusters.get(c.name) !== c) c.stop(old.clusters.get(c.name)?.pool !== c.pool);
      if (state.shed !== old.shed) state.shed?.stop();
      this.state = old;
      throw err;
    }
    for (const [name, c] of old.clusters) {
      const now = state.clusters.get(name);
      if (now === undefined) c.stop(true);
      else if (now.pool !== c.pool) c.pool.close();
    }
    if (state.closeLog !== old.closeLog) old.closeLog();
    if (state.shed !== old.shed) old.shed?.stop();
    this.emit({ type: 'reload', listeners: this.listeners.map((l) => l.name), clusters: [...state.clusters.keys()] });
  }

  /** Stops listening and drains: requests in flight finish (up to graceMs), then upstream pools close. */
  async close(graceMs = this.opts.graceMs ?? 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const servers = [...this.listenerMap.values()].map((l) => closeListener(l, graceMs));
    this.listenerMap.clear();
    // WebSocket tunnels get the same grace as requests in flight, then end with the proxy (their
    // sockets belong to the listeners, which cannot finish closing while a tunnel holds one).
    const cut = this.clock.setTimer(() => {
      for (const t of this.tunnels) t.stop();
    }, graceMs);
    await Promise.all(servers);
    this.clock.clearTimer(cut);
    for (const t of this.tunnels) t.stop();
    for (const c of this.state.clusters.values()) c.stop(true);
    this.forwarder.close();
    this.state.shed?.stop();
    this.state.closeLog();
  }
}

/** Path and query of a request target (absolute-form reduced to its path). */
export function splitTarget(target: string, form: string): { path: string; query: string } {
  let t = target;
  if (form === 'absolute') {
    const scheme = t.indexOf('://');
    const slash = t.indexOf('/', scheme + 3);
    const q = t.indexOf('?', scheme + 3);
    t = slash < 0 || (q >= 0 && q < slash) ? `/${q < 0 ? '' : t.slice(q)}` : t.slice(slash);
  } else if (form === 'asterisk') return { path: '*', query: '' };
  const q = t.indexOf('?');
  return q < 0 ? { path: t, query: '' } : { path: t.slice(0, q), query: t.slice(q + 1) };
}

/**
 * Reads a body up to `limit` bytes: the whole body when it ends within the limit, otherwise an
 * iterable that yields what was read and then streams the rest. Rejects when the body breaks.
 */
export async function bufferBody(body: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const parts: Uint8Array[] = [];
  let n = 0;
  if (limit > 0) {
    for await (const p of body) {
      parts.push(p);
      n += p.length;
      if (n > limit) {
        return (async function* () {
          yield* parts;
          yield* body;
        })();
      }
    }
    return Buffer.concat(parts, n);
  }
  return body;
}

/** Starts a reverse proxy from a config object (as in a YAML file) and returns it once listening. */
export function startProxy(config: unknown, options: ProxyOptions = {}): Promise<ReverseProxy> {
  return ReverseProxy.start(config, options);
}
