// The forward proxy: what a listener with `mode: forward` does with each request. A client that names
// the proxy (curl -x) sends either an absolute-form request (`GET http://host:port/path HTTP/1.1`),
// which the proxy sends on to that origin over a keep-alive pool with the hop-by-hop fields removed
// (Proxy-Authorization and Proxy-Connection among them), Host taken from the URI and Via added; or
// `CONNECT host:port`, answered 200 once a TCP connection to host:port is open, after which bytes go
// both ways unread through a tunnel (tunnel.ts) — TLS inside it stays between client and origin.
// Before either: Basic proxy authentication (407 with Proxy-Authenticate; credentials compared in
// constant time) and the listener's allow-list of hosts, ports and kinds (403 naming the reason).

import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NetlabError } from '../base/errors.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import { HttpConnectionPool, type HttpClientResponse, type HttpServerRequest, type HttpServerResponse, type PooledConnection } from '../http/index.ts';
import { fieldValue, fieldValues, type HttpField, type HttpLimits, splitList } from '../wire/http.ts';
import { type AccessRecord, type AccessSink, combinedLine, jsonLine } from './access-log.ts';
import { defaultForwardConfig, ForwardAllowList, type ForwardKind, type ForwardListenerConfig } from './config-forward.ts';
import type { ListenerConfig } from './config-schema.ts';
import { allowedTrailers, plainAddress, stripHopByHop } from './headers.ts';
import { openTunnel, type Tunnel } from './tunnel.ts';

export interface ForwardProxyOptions {
  readonly clock: NetClock;
  /** The proxy's metrics registry: the forward proxy's series join it. */
  readonly registry: Registry;
  readonly limits?: Partial<HttpLimits>;
  /** The pseudonym in Via (default "netlab"). */
  readonly via?: string;
  /** Each CONNECT tunnel once open (the proxy ends them when it closes). */
  readonly onTunnel: (t: Tunnel) => void;
  readonly onError?: (message: string) => void;
}

/** What the proxy passes per request: the listener and where its log lines and metrics go. */
export interface ForwardContext {
  readonly listener: ListenerConfig;
  readonly log: AccessSink | undefined;
  readonly format: 'combined' | 'json';
  /** Serve the metrics at this path to origin-form requests (the config's metrics section). */
  readonly metrics?: { readonly path: string; readonly text: () => Promise<string>; readonly contentType: string };
}

export interface ForwardOutcome {
  readonly status: number;
  readonly kind: ForwardKind | 'local';
  /** host:port the request went to ('-' when it went nowhere). */
  readonly destination: string;
  readonly bytes: number;
}

interface Compiled {
  readonly allow: ForwardAllowList;
  /** sha256 of each configured "user:password". */
  readonly secrets: readonly Buffer[];
}

/** Host and port of an authority (`host:port`, `[v6]:port`, `host`), or undefined when malformed. */
export function splitAuthority(authority: string, defaultPort: number | undefined): { host: string; port: number } | undefined {
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (host.includes(':')) return undefined;
  }
  if (host === '') return undefined;
  const port = portText === undefined || portText === '' ? defaultPort : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sha(s: string | Buffer): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The user:password a Proxy-Authorization field carries, or undefined. */
export function basicCredentials(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(value);
  if (m === null) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  return text.includes(':') ? text : undefined;
}

/**
 * Whether `given` (user:password) is one of `secrets` (sha256 of each user:password). Every secret is
 * compared, each in constant time, so the time taken says nothing about which user or how many bytes
 * matched.
 */
export function credentialsMatch(given: string | undefined, secrets: readonly Buffer[]): boolean {
  const g = sha(given ?? '');
  let ok = 0;
  for (const s of secrets) ok |= timingSafeEqual(g, s) ? 1 : 0;
  return given !== undefined && ok === 1;
}

function startTimer(clock: NetClock, ms: number, onTimeout: () => void): { clear: () => void; handle: TimerHandle } {
  const handle = clock.setTimer(onTimeout, ms);
  return { clear: () => clock.clearTimer(handle), handle };
}

export class ForwardProxy {
  private readonly opts: ForwardProxyOptions;
  private readonly compiled = new WeakMap<ForwardListenerConfig, Compiled>();
  private readonly pools = new Map<string, HttpConnectionPool>();
  private readonly defaults = defaultForwardConfig();
  private closed = false;
  readonly requests: Counter<'listener' | 'kind' | 'status'>;
  readonly denied: Counter<'listener' | 'reason'>;
  readonly tunnelBytes: Counter<'listener' | 'direction'>;
  readonly tunnelsOpen: Gauge<'listener'>;
  readonly duration: Histogram<'listener' | 'kind' | 'status'>;

  constructor(options: ForwardProxyOptions) {
    this.opts = options;
    const registers = [options.registry];
    this.requests = new Counter({
      name: 'netlab_proxy_forward_requests_total',
      help: 'Forward-proxy requests answered, by listener, kind (http for absolute-form, connect, local) and status.',
      labelNames: ['listener', 'kind', 'status'],
      registers,
    });
    this.denied = new Counter({
      name: 'netlab_proxy_forward_denied_total',
      help: 'Forward-proxy requests refused, by reason (auth: 407, allow_list: 403, target: 400).',
      labelNames: ['listener', 'reason'],
      registers,
    });
    this.tunnelBytes = new Counter({
      name: 'netlab_proxy_forward_tunnel_bytes_total',
      help: 'Bytes relayed through CONNECT tunnels that have ended, by direction (up: client to origin).',
      labelNames: ['listener', 'direction'],
      registers,
    });
    this.tunnelsOpen = new Gauge({ name: 'netlab_proxy_forward_tunnels_open', help: 'CONNECT tunnels open now.', labelNames: ['listener'], registers });
    this.duration = new Histogram({
      name: 'netlab_proxy_forward_duration_seconds',
      help: 'Time from the request head to the end of the response (for CONNECT: of the tunnel), by listener, kind and status.',
      labelNames: ['listener', 'kind', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
  }

  private settings(l: ListenerConfig): ForwardListenerConfig {
    return l.forward ?? this.defaults;
  }

  private compile(cfg: ForwardListenerConfig): Compiled {
    let c = this.compiled.get(cfg);
    if (c === undefined) {
      c = { allow: new ForwardAllowList(cfg.allow), secrets: (cfg.auth?.users ?? []).map((u) => sha(`${u.user}:${u.password}`)) };
      this.compiled.set(cfg, c);
    }
    return c;
  }

  private pool(cfg: ForwardListenerConfig): HttpConnectionPool {
    const t = cfg.timeouts;
    const key = `${t.connectMs}/${t.headerMs}/${t.idleMs}`;
    let p = this.pools.get(key);
    if (p === undefined) {
      p = new HttpConnectionPool({
        connectTimeoutMs: t.connectMs,
        responseTimeoutMs: t.headerMs,
        idleTimeoutMs: Math.min(t.idleMs, 30_000),
        limits: this.opts.limits,
        clock: this.opts.clock,
      });
      this.pools.set(key, p);
    }
    return p;
  }

  /** Answers one request on a forward listener; writes its access log line and metrics. */
  async handle(ctx: ForwardContext, req: HttpServerRequest, res: HttpServerResponse): Promise<ForwardOutcome> {
    const clock = this.opts.clock;
    const started = clock.now();
    const head = req.head;
    const via = `${head.version} ${this.opts.via ?? 'netlab'}`;
    let outcome: ForwardOutcome = { status: 500, kind: 'local', destination: '-', bytes: 0 };
    try {
      outcome = await this.dispatch(ctx, req, res, via);
    } catch (err) {
      this.opts.onError?.(`forward ${head.method} ${head.target}: ${err instanceof Error ? err.message : String(err)}`);
      outcome = { ...outcome, status: 500, bytes: this.say(res, 500, 'internal error', via) };
    } finally {
      if (!req.body.settled) req.body.discard();
      const seconds = (clock.now() - started) / 1000;
      const labels = { listener: ctx.listener.name, kind: outcome.kind, status: String(outcome.status) };
      this.requests.inc(labels);
      this.duration.observe(labels, seconds);
      if (ctx.log !== undefined) {
        const rec: AccessRecord = {
          time: new Date(),
          client: plainAddress(req.connection.socket.remoteAddress ?? ''),
          method: head.method,
          target: head.target,
          version: head.version,
          status: outcome.status,
          bytes: outcome.bytes,
          referer: fieldValue(head.fields, 'referer'),
          userAgent: fieldValue(head.fields, 'user-agent'),
          host: head.authority,
          route: `forward-${outcome.kind}`,
          cluster: '-',
          endpoint: outcome.destination,
          durationMs: seconds * 1000,
          attempts: outcome.kind === 'local' ? 0 : 1,
          requestId: '-',
          listener: ctx.listener.name,
        };
        ctx.log(ctx.format === 'json' ? jsonLine(rec) : combinedLine(rec));
      }
    }
    return outcome;
  }

  private say(res: HttpServerResponse, status: number, text: string, via: string, extra: readonly HttpField[] = []): number {
    if (res.finished || res.aborted) return 0;
    if (res.headersSent) {
      res.abortCut();
      return 0;
    }
    const body = Buffer.from(`netlab proxy: ${text}\n`, 'utf8');
    res.writeHead(status, [
      { name: 'Via', value: via },
      ...extra,
      { name: 'Content-Type', value: 'text/plain; charset=utf-8' },
      { name: 'Content-Length', value: String(body.length) },
    ]);
    res.end(body);
    return res.request.method === 'HEAD' ? 0 : body.length;
  }

  private async dispatch(ctx: ForwardContext, req: HttpServerRequest, res: HttpServerResponse, via: string): Promise<ForwardOutcome> {
    const head = req.head;
    const name = ctx.listener.name;
    const cfg = this.settings(ctx.listener);
    const compiled = this.compile(cfg);
    const local = (status: number, text: string, extra: readonly HttpField[] = []): ForwardOutcome => {
      req.body.discard();
      return { status, kind: 'local', destination: '-', bytes: this.say(res, status, text, via, extra) };
    };
    const connect = head.method === 'CONNECT';
    if (!connect && head.targetForm !== 'absolute') {
      const m = ctx.metrics;
      const path = head.target.split('?')[0];
      if (m !== undefined && path === m.path && (head.method === 'GET' || head.method === 'HEAD')) {
        req.body.discard();
        const text = Buffer.from(await m.text(), 'utf8');
        res.writeHead(200, { 'Content-Type': m.contentType, 'Content-Length': text.length, 'Cache-Control': 'no-store' });
        res.end(text);
        return { status: 200, kind: 'local', destination: '-', bytes: head.method === 'HEAD' ? 0 : text.length };
      }
      this.denied.inc({ listener: name, reason: 'target' });
      return local(400, `a forward proxy takes absolute-form targets (GET http://host:port/path) or CONNECT host:port, not ${head.target}`);
    }
    // Authentication first: a client that has not proved who it is learns nothing of the allow-list.
    if (cfg.auth !== undefined) {
      const given = basicCredentials(fieldValue(head.fields, 'proxy-authorization'));
      if (!credentialsMatch(given, compiled.secrets)) {
        this.denied.inc({ listener: name, reason: 'auth' });
        return local(407, given === undefined ? 'proxy authentication required' : 'proxy credentials refused', [
          { name: 'Proxy-Authenticate', value: `Basic realm="${cfg.auth.realm}", charset="UTF-8"` },
        ]);
      }
    }
    let kind: ForwardKind;
    let dest: { host: string; port: number } | undefined;
    if (connect) {
      kind = 'connect';
      dest = splitAuthority(head.authority, undefined);
    } else {
      kind = 'http';
      const scheme = head.target.slice(0, head.target.indexOf(':')).toLowerCase();
      if (scheme !== 'http') {
        this.denied.inc({ listener: name, reason: 'target' });
        return local(
          scheme === 'https' ? 501 : 400,
          scheme === 'https'
            ? 'this proxy does not originate TLS; ask with CONNECT (curl does for https:// URLs)'
            : `scheme ${scheme} is not forwarded (http only; CONNECT for anything else)`,
        );
      }
      dest = splitAuthority(head.authority, 80);
    }
    if (dest === undefined) {
      this.denied.inc({ listener: name, reason: 'target' });
      return local(400, `cannot read host and port from ${JSON.stringify(head.authority)}`);
    }
    const destination = `${hostText(dest.host)}:${dest.port}`;
    const verdict = compiled.allow.check(kind, dest.host, dest.port);
    if (!verdict.allowed) {
      this.denied.inc({ listener: name, reason: 'allow_list' });
      const o = local(403, `refused: ${verdict.reason}`);
      return { ...o, destination };
    }
    // A request aimed at this very listener would come back to it forever.
    const sock = req.connection.socket;
    if (plainAddress(sock.localAddress ?? '') === plainAddress(dest.host) && sock.localPort === dest.port) {
      this.denied.inc({ listener: name, reason: 'target' });
      return { ...local(508, `${destination} is this proxy itself (a loop)`), destination };
    }
    if (connect) return this.tunnel(ctx, req, res, cfg, dest, via);
    return this.relay(req, res, cfg, dest, via);
  }

  // ---- CONNECT ------------------------------------------------------------------------------------

  private async tunnel(
    ctx: ForwardContext,
    req: HttpServerRequest,
    res: HttpServerResponse,
    cfg: ForwardListenerConfig,
    dest: { host: string; port: number },
    via: string,
  ): Promise<ForwardOutcome> {
    const clock = this.opts.clock;
    const destination = `${hostText(dest.host)}:${dest.port}`;
    req.body.discard();
    const opened = await new Promise<{ socket: Socket } | { status: 502 | 504; message: string }>((resolve) => {
      const socket = netConnect({ host: dest.host, port: dest.port });
      let done = false;
      const timer = startTimer(clock, cfg.timeouts.connectMs, () =>
        finish({ status: 504, message: `connect to ${destination} took over ${cfg.timeouts.connectMs} ms` }),
      );
      const finish = (r: { socket: Socket } | { status: 502 | 504; message: string }): void => {
        if (done) return;
        done = true;
        timer.clear();
        socket.off('error', onError);
        if (!('socket' in r)) socket.destroy();
        resolve(r);
      };
      const onError = (err: NodeJS.ErrnoException): void => finish({ status: 502, message: `cannot connect to ${destination}: ${err.code ?? err.message}` });
      socket.once('error', onError);
      socket.once('connect', () => finish({ socket }));
    });
    if (!('socket' in opened)) return { status: opened.status, kind: 'connect', destination, bytes: this.say(res, opened.status, opened.message, via) };
    const up = opened.socket;
    up.setNoDelay(true);
    let down: { socket: Socket; rest: Uint8Array };
    try {
      down = req.connection.takeOver(res, [{ name: 'Via', value: via }]);
    } catch (err) {
      // The client left, or the CONNECT was pipelined behind another request.
      up.destroy();
      const message = err instanceof Error ? err.message : String(err);
      if (res.aborted || res.finished) return { status: 499, kind: 'connect', destination, bytes: 0 };
      return { status: 400, kind: 'connect', destination, bytes: this.say(res, 400, message, via) };
    }
    down.socket.setNoDelay(true);
    const name = ctx.listener.name;
    const t = openTunnel(down, { socket: up, rest: new Uint8Array(0) }, { idleMs: cfg.timeouts.tunnelIdleMs, clock });
    this.opts.onTunnel(t);
    this.tunnelsOpen.inc({ listener: name });
    const r = await t.done;
    this.tunnelsOpen.dec({ listener: name });
    this.tunnelBytes.inc({ listener: name, direction: 'up' }, r.up);
    this.tunnelBytes.inc({ listener: name, direction: 'down' }, r.down);
    return { status: 200, kind: 'connect', destination, bytes: r.down };
  }

  // ---- absolute-form ------------------------------------------------------------------------------

  private async relay(
    req: HttpServerRequest,
    res: HttpServerResponse,
    cfg: ForwardListenerConfig,
    dest: { host: string; port: number },
    via: string,
  ): Promise<ForwardOutcome> {
    const clock = this.opts.clock;
    const head = req.head;
    const destination = `${hostText(dest.host)}:${dest.port}`;
    const out = (status: number, bytes: number): ForwardOutcome => ({ status, kind: 'http', destination, bytes });
    if (this.closed) return out(503, this.say(res, 503, 'closing', via));
    const peer = plainAddress(req.connection.socket.remoteAddress ?? '');
    // The request as the origin gets it: origin-form target, Host from the URI (RFC 9112 §3.2.2), the
    // connection's own fields gone, Via extended, X-Forwarded-For as configured.
    const afterScheme = head.target.indexOf('://') + 3;
    const slash = head.target.indexOf('/', afterScheme);
    const query = head.target.indexOf('?', afterScheme);
    const target = slash >= 0 && (query < 0 || slash < query) ? head.target.slice(slash) : `/${query >= 0 ? head.target.slice(query) : ''}`;
    const kept = stripHopByHop(head.fields, new Set(['host', 'content-length', 'via', 'x-forwarded-for']));
    const priorVia = fieldValues(head.fields, 'via');
    const priorXff = fieldValues(head.fields, 'x-forwarded-for').flatMap(splitList);
    const xff = cfg.forwardedFor === 'add' ? [...priorXff, peer] : cfg.forwardedFor === 'keep' ? priorXff : ([] as string[]);
    const fields: HttpField[] = [
      { name: 'Host', value: head.authority },
      ...kept,
      { name: 'Via', value: [...priorVia, via].join(', ') },
      ...(xff.length > 0 ? [{ name: 'X-Forwarded-For', value: xff.join(', ') }] : []),
    ];
    const hasBody = head.framing.kind !== 'none';
    const pool = this.pool(cfg);
    const upstream = { host: dest.host, port: dest.port };
    let upRes: HttpClientResponse | undefined;
    let lease: PooledConnection | undefined;
    for (let attempt = 0; upRes === undefined; attempt++) {
      try {
        lease = await pool.acquire(upstream);
      } catch (err) {
        const e = err as Partial<NetlabError>;
        const status = e.code === 'ERR_TIMEOUT' ? 504 : 502;
        return out(status, this.say(res, status, e.message ?? String(err), via));
      }
      try {
        upRes = await lease.connection.request({
          method: head.method,
          target,
          fields,
          ...(hasBody ? { body: req.body, ...(head.framing.kind === 'length' ? { bodyLength: head.framing.length } : {}) } : {}),
        });
      } catch (err) {
        const e = err as Partial<NetlabError>;
        pool.release(lease);
        // A kept-alive connection the origin had just closed: once more on a fresh one (no body sent).
        if (lease.reused && !hasBody && attempt === 0 && e.code !== 'ERR_TIMEOUT') continue;
        const status = e.code === 'ERR_TIMEOUT' ? 504 : 502;
        return out(status, this.say(res, status, `${destination}: ${e.message ?? String(err)}`, via));
      }
    }
    const status = upRes.head.status;
    const conn = (lease as PooledConnection).connection;
    if (status === 101) {
      // Upgrade is hop-by-hop and was not passed on: an origin switching anyway is broken.
      upRes.body.discard();
      conn.destroy();
      return out(502, this.say(res, 502, `${destination} switched protocols without being asked to`, via));
    }
    const respFields = stripHopByHop(upRes.head.fields, new Set(['content-length', 'via']));
    respFields.push({ name: 'Via', value: [...fieldValues(upRes.head.fields, 'via'), via].join(', ') });
    const cl = fieldValue(upRes.head.fields, 'content-length');
    if (upRes.head.framing.kind === 'length') respFields.push({ name: 'Content-Length', value: String(upRes.head.framing.length) });
    else if ((head.method === 'HEAD' || status === 304) && cl !== undefined && /^[0-9]{1,15}$/.test(cl)) respFields.push({ name: 'Content-Length', value: cl });
    for (const h of upRes.interim) if (h.status === 103) res.writeInterim(103, stripHopByHop(h.fields));
    try {
      res.writeHead(status, respFields, upRes.head.reason);
    } catch (err) {
      upRes.body.discard();
      conn.destroy();
      return out(502, this.say(res, 502, `${destination} sent a response the proxy cannot relay: ${err instanceof Error ? err.message : String(err)}`, via));
    }
    let bytes = 0;
    let idle: TimerHandle | undefined;
    let idleFired = false;
    const armIdle = (): void => {
      if (idle !== undefined) clock.clearTimer(idle);
      idle = clock.setTimer(() => {
        idleFired = true;
        conn.destroy();
      }, cfg.timeouts.idleMs);
    };
    armIdle();
    try {
      for await (const chunk of upRes.body) {
        armIdle();
        bytes += chunk.length;
        if (!res.write(chunk)) await res.drained();
        if (res.aborted) {
          conn.destroy();
          return out(status, bytes);
        }
      }
    } catch {
      res.abortCut();
      return out(idleFired ? 504 : status, bytes);
    } finally {
      if (idle !== undefined) clock.clearTimer(idle);
    }
    res.end(undefined, allowedTrailers(upRes.body.trailers));
    return out(status, bytes);
  }

  /** Closes the keep-alive pools to origins (tunnels are ended by the proxy). */
  close(): void {
    this.closed = true;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}
