// Forwarding one request to a cluster: pick an endpoint (sticky sessions first), lease a pooled
// connection, send the request with the proxy's own framing, and stream the response back with
// backpressure both ways. Failures become 502 (bad or broken upstream response, refused connection),
// 504 (a timeout) or 503 (no endpoint); retries follow the cluster's retry-on list, budget and backoff,
// only for idempotent requests (and only while no request body was sent).

import type { NetlabError } from '../base/errors.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import type { Endpoint, FailureKind, RequestContext, StickyDecision } from '../balance/index.ts';
import type {
  HttpClientRequest,
  HttpClientResponse,
  HttpConnectionTakeover,
  HttpRequestConnection,
  HttpServerRequest,
  HttpServerResponse,
  PooledConnection,
  RelayedHead,
} from '../http/index.ts';
import { fieldValue, fieldValues, fieldsText, type HttpField } from '../wire/http.ts';
import { type ClusterBreakers, OVERFLOW_HEADER, withBreaker } from './breakers.ts';
import type { ClusterRuntime } from './cluster.ts';
import type { UpstreamLease } from './h2-upstream.ts';
import type { ResponseReshaper } from './compress.ts';
import { allowedTrailers, relayFieldLines, stripHopByHop } from './headers.ts';
import { openTunnel, type Tunnel } from './tunnel.ts';

export interface ForwardInput {
  readonly req: HttpServerRequest;
  readonly res: HttpServerResponse;
  readonly cluster: ClusterRuntime;
  /** Fields to send upstream (hop-by-hop removed, forwarding fields written, Host set). */
  readonly fields: HttpField[];
  readonly target: string;
  /** The request body: whole (buffered, may be sent again on a retry) or streamed; undefined when none. */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  /** With a streamed body: its length when the client framed it by Content-Length. */
  readonly bodyLength?: number;
  readonly ctx: RequestContext;
  readonly stickyKey: string | undefined;
  /** Fields added to the response (Via, the request id). */
  readonly responseFields: readonly HttpField[];
  readonly clock: NetClock;
  /** Told of retries, failed tries and upstream response heads (one object shared by every request). */
  readonly hooks?: ForwardHooks;
  /** The request named no host (HTTP/1.0 without Host): send the endpoint's address:port as Host. */
  readonly hostFallback?: boolean;
  /**
   * The request asks to switch protocols (Upgrade: websocket) and the route allows it: on the
   * upstream's 101 both sockets leave HTTP and a tunnel joins them until either side closes.
   */
  readonly upgrade?: { readonly idleMs: number; readonly onTunnel: (t: Tunnel) => void };
  /** Changes the response on its way to the client (compression): its fields and a body transform. */
  readonly reshapeResponse?: ResponseReshaper;
  /** The cluster's circuit breakers (thresholds and per-endpoint breakers), when configured. */
  readonly breakers?: ClusterBreakers;
}

/** What forward() reports as it goes, each with the cluster's name. */
export interface ForwardHooks {
  readonly onRetry?: (cluster: string, reason: string, endpoint: string) => void;
  readonly onUpstreamError?: (cluster: string, endpoint: string, kind: string) => void;
  readonly onUpstreamHead?: (cluster: string, endpoint: string, status: number, seconds: number) => void;
}

export interface ForwardResult {
  readonly status: number;
  readonly endpoint: string;
  readonly bytes: number;
  readonly attempts: number;
}

/** Cookie values of `name` in the request's Cookie fields. */
export function cookieValue(fields: readonly HttpField[], name: string): string | undefined {
  for (const line of fieldValues(fields, 'cookie')) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === name)
        return part
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}

/** The value a response's Set-Cookie gives `name` (undefined when it sets none; '' when it clears it). */
export function setCookieValue(fields: readonly HttpField[], name: string): string | undefined {
  let out: string | undefined;
  for (const v of fieldValues(fields, 'set-cookie')) {
    const first = v.split(';')[0];
    const eq = first.indexOf('=');
    if (eq < 0 || first.slice(0, eq).trim() !== name) continue;
    const expired = /;\s*max-age\s*=\s*0\b/i.test(v);
    out = expired ? '' : first.slice(eq + 1).trim();
  }
  return out;
}

// One `done` reaction per client connection, however many requests it carries (a reaction per
// request would pile up on a long keep-alive connection). The watchers are the requests being
// forwarded now (one object each, no closure per request).
interface ClientWatcher {
  clientClosed(): void;
}

const closeWatchers = new WeakMap<HttpRequestConnection, Set<ClientWatcher>>();

function watchClient(conn: HttpRequestConnection, w: ClientWatcher): void {
  let set = closeWatchers.get(conn);
  if (set === undefined) {
    const fresh = new Set<ClientWatcher>();
    set = fresh;
    closeWatchers.set(conn, fresh);
    void conn.done.then(() => {
      for (const f of [...fresh]) f.clientClosed();
      fresh.clear();
    });
  }
  set.add(w);
}

function unwatchClient(conn: HttpRequestConnection, w: ClientWatcher): void {
  closeWatchers.get(conn)?.delete(w);
}

type Failure = { readonly kind: FailureKind; readonly status: 502 | 504; readonly message: string };

function classify(err: unknown, phase: 'connect' | 'exchange', flags: { timedOut: string | undefined }): Failure {
  const e = err as Partial<NetlabError> & { message?: string };
  const msg = e.message ?? String(err);
  if (flags.timedOut !== undefined) return { kind: 'timeout', status: 504, message: flags.timedOut };
  if (e.code === 'ERR_TIMEOUT') return { kind: phase === 'connect' ? 'connect' : 'timeout', status: 504, message: msg };
  if (phase === 'connect') return { kind: 'connect', status: 502, message: msg };
  if (e.code === 'ERR_MALFORMED') return { kind: 'other', status: 502, message: msg };
  return { kind: 'reset', status: 502, message: msg };
}

function sleep(clock: NetClock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}

/** The response is a Server-Sent Events stream (Content-Type text/event-stream). */
export function isEventStream(fields: readonly HttpField[]): boolean {
  return (fieldValue(fields, 'content-type') ?? '').trim().toLowerCase().startsWith('text/event-stream');
}

/** Writes a small text answer of the proxy's own (keeps the client connection when it can). */
export function answer(res: HttpServerResponse, status: number, text: string, extra: readonly HttpField[] = []): number {
  if (res.finished || res.aborted) return 0;
  if (res.headersSent) {
    res.abortCut();
    return 0;
  }
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, [...extra, { name: 'Content-Type', value: 'text/plain; charset=utf-8' }, { name: 'Content-Length', value: String(body.length) }]);
  res.end(body);
  return res.request.method === 'HEAD' ? 0 : body.length;
}

/** Sets of the names the proxy's own response fields replace, by those names (a handful of shapes). */
const ownNamesCache = new Map<string, ReadonlySet<string>>();

/** The lowercase names of `extra` an upstream field of the same name gives way to (all but Via and Set-Cookie), with Content-Length. */
function ownNames(extra: readonly HttpField[]): ReadonlySet<string> {
  let key = '';
  for (let i = 0; i < extra.length; i++) key += `${extra[i].name}\n`;
  let set = ownNamesCache.get(key);
  if (set === undefined) {
    const fresh = new Set(['content-length']);
    for (const f of extra) {
      const n = f.name.toLowerCase();
      if (n !== 'via' && n !== 'set-cookie') fresh.add(n);
    }
    if (ownNamesCache.size >= 256) ownNamesCache.clear();
    ownNamesCache.set(key, fresh);
    set = fresh;
  }
  return set;
}

/** The fields of the upstream's response head as the client gets them. */
function responseHeadFields(up: HttpClientResponse, method: string, extra: readonly HttpField[]): HttpField[] {
  // The proxy's own fields replace the upstream's of the same name (an upstream echoing X-Request-Id
  // must not give the client two), except Via and Set-Cookie, which add to what the upstream sent.
  const out = stripHopByHop(up.head.fields, ownNames(extra));
  for (let i = 0; i < extra.length; i++) out.push(extra[i]);
  if (up.head.framing.kind === 'length') out.push({ name: 'Content-Length', value: String(up.head.framing.length) });
  else if (method === 'HEAD' || up.head.status === 304) {
    const cl = fieldValue(up.head.fields, 'content-length');
    if (cl !== undefined && /^[0-9]{1,15}$/.test(cl)) out.push({ name: 'Content-Length', value: cl });
  }
  return out;
}

/**
 * The upstream's response head as relayed bytes (relayFieldLines) when it can go out so: its field
 * section arrived in one read and its body has a length the client is told (Content-Length, or none
 * for an empty body); not for HEAD, 204 or 304, whose heads keep the upstream's Content-Length. The
 * client then gets the bytes responseHeadFields and the writer would make: the same lines in the
 * same order, then the proxy's own fields, then Content-Length.
 */
function relayedHead(up: HttpClientResponse, method: string, extra: readonly HttpField[]): RelayedHead | undefined {
  const raw = up.rawFields;
  if (raw === undefined) return undefined;
  const head = up.head;
  const framing = head.framing;
  let length: number;
  if (framing.kind === 'length') length = framing.length;
  else if (framing.kind === 'none' && method !== 'HEAD' && head.status !== 204 && head.status !== 304) length = 0;
  else return undefined;
  const lines = relayFieldLines(raw, head.fields, ownNames(extra));
  if (lines === undefined) return undefined;
  if (extra.length > 0) lines.push(fieldsText(extra));
  return { lines, length };
}

/**
 * One request being forwarded: its state in one object (no closures per request), watched for the
 * client leaving while it is in flight.
 */
class Forwarding implements ClientWatcher {
  /** Set when the request's deadline (requestMs) or an idle limit cut it. */
  timedOut: string | undefined = undefined;
  /** The upstream connection in use now (destroyed when the client leaves or the deadline passes). */
  current: UpstreamLease | undefined = undefined;
  clientGone = false;
  tries = 0;
  lastEndpoint = '-';
  retryHeld = false;
  retrySlot: { release(): void } | undefined = undefined;
  deadline: TimerHandle | undefined = undefined;
  /** Endpoints tried already (only kept when retries may follow). */
  exclude: Set<string> | undefined = undefined;
  /** Endpoints refused by their breaker during this request (half-open with every probe place taken). */
  blocked: Set<string> | undefined = undefined;
  // The last pick.
  decision: StickyDecision | undefined = undefined;
  endpoint: Endpoint | undefined = undefined;
  reason: string | undefined = undefined;
  readonly input: ForwardInput;

  constructor(input: ForwardInput) {
    this.input = input;
  }

  clientClosed(): void {
    this.clientGone = true;
    this.current?.connection.destroy();
  }

  /** A 503 of the proxy's own naming the threshold that overflowed. */
  overflow(resource: string, text: string): ForwardResult {
    const n = answer(this.input.res, 503, `netlab proxy: ${text}\n`, [...this.input.responseFields, { name: OVERFLOW_HEADER, value: resource }]);
    return { status: 503, endpoint: this.lastEndpoint, bytes: n, attempts: this.tries };
  }

  /** A retry holds a retries slot until it finishes; none left means no retry. */
  retrySlotTaken(): boolean {
    const s = this.input.breakers?.acquire('retries');
    if (s === undefined) return true;
    if (!s.ok) return false;
    this.retrySlot = s;
    return true;
  }

  finishRetry(): void {
    if (this.retryHeld) this.input.cluster.retry?.budget.retryFinished();
    this.retryHeld = false;
    this.retrySlot?.release();
    this.retrySlot = undefined;
  }

  pick(c: RequestContext): void {
    const cluster = this.input.cluster;
    if (cluster.sticky !== undefined && this.tries === 0) {
      const decision = cluster.sticky.pick(this.input.stickyKey, c);
      this.decision = decision;
      this.endpoint = decision.endpoint;
      this.reason = decision.result.endpoint === undefined ? decision.result.reason : undefined;
    } else {
      const r = cluster.balancer.pick(c);
      this.decision = undefined;
      this.endpoint = r.endpoint;
      this.reason = r.endpoint === undefined ? r.reason : undefined;
    }
  }

  result(status: number, endpoint: string, bytes: number): ForwardResult {
    return { status, endpoint, bytes, attempts: this.tries };
  }
}

export async function forward(input: ForwardInput): Promise<ForwardResult> {
  const { req, res, cluster, clock } = input;
  const method = req.head.method;
  const timeouts = cluster.config.timeouts;
  const body = input.body;
  const bodyLength = body instanceof Uint8Array ? undefined : input.bodyLength;
  const replayable = body === undefined || body instanceof Uint8Array;
  const st = new Forwarding(input);
  let lastFailure: Failure | undefined;
  let bytes = 0;
  const breakers = input.breakers;
  const requestSlot = breakers?.acquire('requests');
  if (requestSlot !== undefined && !requestSlot.ok)
    return st.overflow('requests', `cluster ${cluster.name} has ${requestSlot.limit} requests open (maxRequests)`);
  const retry = cluster.retry;
  retry?.budget.requestStarted();
  // Watched only while this request is being forwarded (unwatched in `finally`).
  let watched = true;
  watchClient(req.connection, st);
  if (timeouts.requestMs !== undefined) {
    const ms = timeouts.requestMs;
    st.deadline = clock.setTimer(() => {
      st.timedOut = `the request took over ${ms} ms`;
      st.current?.connection.destroy();
    }, ms);
  }
  try {
    for (;;) {
      if (st.timedOut !== undefined || st.clientGone) {
        const f = lastFailure ?? { kind: 'timeout', status: 504, message: st.timedOut ?? 'client gone' };
        bytes = answer(res, st.timedOut !== undefined ? 504 : f.status, `netlab proxy: ${st.timedOut ?? f.message}\n`, input.responseFields);
        return st.result(st.timedOut !== undefined ? 504 : f.status, st.lastEndpoint, bytes);
      }
      // Endpoints whose breaker is open are never picked, not even when the retries ran out of others.
      const skip = breakers === undefined ? undefined : new Set([...breakers.openEndpoints(), ...(st.blocked ?? [])]);
      const exclude = st.exclude;
      let ctx: RequestContext;
      if (skip === undefined || skip.size === 0) ctx = exclude === undefined ? input.ctx : { ...input.ctx, exclude };
      else ctx = { ...input.ctx, exclude: exclude === undefined ? skip : new Set([...exclude, ...skip]) };
      st.pick(ctx);
      if (st.endpoint === undefined && st.reason === 'all_excluded')
        st.pick(skip === undefined || skip.size === 0 ? { ...input.ctx } : { ...input.ctx, exclude: skip });
      if (st.endpoint === undefined && skip !== undefined && skip.size > 0 && lastFailure === undefined)
        return st.overflow('breaker-open', `every endpoint of cluster ${cluster.name} that could take the request has its breaker open`);
      const ep = st.endpoint;
      if (ep === undefined) {
        if (lastFailure !== undefined) {
          bytes = answer(res, lastFailure.status, `netlab proxy: ${lastFailure.message}\n`, input.responseFields);
          return st.result(lastFailure.status, st.lastEndpoint, bytes);
        }
        bytes = answer(
          res,
          503,
          `netlab proxy: no endpoint of cluster ${cluster.name} can take the request (${st.reason ?? 'all_down'})\n`,
          input.responseFields,
        );
        return st.result(503, '-', bytes);
      }
      const decision = st.decision;
      const lease0 = breakers?.beforeLease(
        cluster.pool,
        cluster.balancer.endpoints.map((e) => cluster.upstream(e)),
        cluster.upstream(ep),
      );
      if (lease0 !== undefined && !lease0.ok)
        return st.overflow(lease0.resource, `cluster ${cluster.name} is at its ${lease0.resource} limit (${lease0.limit})`);
      const permit = breakers?.breaker(ep.name)?.allow();
      if (permit !== undefined && !permit.allowed) {
        lease0?.release();
        if (st.blocked === undefined) st.blocked = new Set();
        st.blocked.add(ep.name);
        continue;
      }
      st.tries++;
      st.lastEndpoint = ep.name;
      // Only a retry reads the endpoints tried.
      if (retry !== undefined) {
        if (st.exclude === undefined) st.exclude = new Set();
        st.exclude.add(ep.name);
      }
      const begun = cluster.balancer.begin(ep);
      const attempt = permit === undefined ? begun : withBreaker(begun, permit, () => st.clientGone || res.aborted);
      // The attempt's clock readings serve the upstream-head timing too (no clock reads of its own).
      const started = begun.startedAt;
      let failure: Failure | undefined;
      let upRes: HttpClientResponse | undefined;
      let upLease: UpstreamLease | undefined;
      let staleRetries = 0;
      const fields =
        input.hostFallback === true
          ? input.fields.map((f) =>
              f.name === 'Host' ? { name: 'Host', value: `${ep.address.includes(':') ? `[${ep.address}]` : ep.address}:${ep.port}` } : f,
            )
          : input.fields;
      const upReq: HttpClientRequest =
        body === undefined
          ? { method, target: input.target, fields }
          : bodyLength === undefined
            ? { method, target: input.target, fields, body }
            : { method, target: input.target, fields, body, bodyLength };
      for (;;) {
        let lease: UpstreamLease;
        // An idle pooled connection is taken at once (no promise); otherwise wait for one.
        const ready = lease0 === undefined ? cluster.acquireIdle(ep) : undefined;
        if (ready !== undefined) lease = ready;
        else {
          try {
            lease = await cluster.acquire(ep);
          } catch (err) {
            failure = classify(err, 'connect', st);
            break;
          } finally {
            lease0?.release();
          }
        }
        st.current = lease;
        upLease = lease;
        if (st.timedOut !== undefined || st.clientGone) {
          cluster.release(lease);
          failure = { kind: 'timeout', status: 504, message: st.timedOut ?? 'client gone' };
          break;
        }
        try {
          upRes = await lease.connection.request(upReq);
          break;
        } catch (err) {
          const f = classify(err, 'exchange', st);
          // A kept-alive connection the upstream closed just before our request: try a fresh one.
          if (lease.reused && f.kind === 'reset' && replayable && staleRetries < 2 && st.timedOut === undefined) {
            staleRetries++;
            continue;
          }
          failure = f;
          break;
        }
      }
      if (upRes === undefined || upLease === undefined) {
        const f = failure ?? { kind: 'other', status: 502, message: 'no response' };
        attempt.finish({ error: f.kind });
        input.hooks?.onUpstreamError?.(cluster.name, ep.name, f.kind);
        lastFailure = { ...f, message: `${ep.name}: ${f.message}` };
        st.finishRetry();
        const bodySent = !replayable && f.kind !== 'connect';
        const d = retry !== undefined && !bodySent ? retry.decide(method, st.tries, { error: f.kind }) : undefined;
        if (d?.retry === true && st.retrySlotTaken()) {
          st.retryHeld = true;
          st.current = undefined;
          input.hooks?.onRetry?.(cluster.name, d.reason, ep.name);
          await sleep(clock, d.delayMs);
          continue;
        }
        bytes = answer(res, lastFailure.status, `netlab proxy: ${lastFailure.message}\n`, input.responseFields);
        return st.result(lastFailure.status, ep.name, bytes);
      }
      const headAt = attempt.firstByte();
      const status = upRes.head.status;
      input.hooks?.onUpstreamHead?.(cluster.name, ep.name, status, (headAt - started) / 1000);
      if (status === 101) {
        upRes.body.discard();
        if (input.upgrade === undefined || req.head.upgrade.length === 0) {
          upLease.connection.destroy();
          attempt.finish({ error: 'other' });
          bytes = answer(res, 502, `netlab proxy: ${ep.name} switched protocols without being asked to\n`, input.responseFields);
          return st.result(502, ep.name, bytes);
        }
        // The tunnel outlives this request: nothing of the request's own may cut it from now on.
        unwatchClient(req.connection, st);
        watched = false;
        if (st.deadline !== undefined) clock.clearTimer(st.deadline);
        st.deadline = undefined;
        const upSide = upLease.connection.takeOver();
        cluster.pool.detach(upLease as PooledConnection);
        const fields101 = [
          ...stripHopByHop(upRes.head.fields),
          ...upRes.head.upgrade.slice(0, 1).map((p) => ({ name: 'Upgrade', value: p })),
          ...input.responseFields,
        ];
        let downSide: HttpConnectionTakeover;
        try {
          downSide = req.connection.takeOver(res, fields101);
        } catch {
          upSide.socket.destroy();
          attempt.finish({ error: 'other' });
          return st.result(499, ep.name, 0);
        }
        attempt.finish({ status });
        const t = openTunnel(downSide, upSide, { idleMs: input.upgrade.idleMs, clock });
        input.upgrade.onTunnel(t);
        const r = await t.done;
        return st.result(status, ep.name, r.down);
      }
      if (retry !== undefined && status >= 500 && replayable) {
        st.finishRetry();
        const d = retry.decide(method, st.tries, { status });
        if (d.retry && st.retrySlotTaken()) {
          st.retryHeld = true;
          upRes.body.discard();
          attempt.finish({ status });
          st.current = undefined;
          input.hooks?.onRetry?.(cluster.name, d.reason, ep.name);
          await sleep(clock, d.delayMs);
          continue;
        }
      }
      // The response goes to the client.
      let extra: readonly HttpField[] = input.responseFields;
      if (decision?.setCookie !== undefined && cluster.stickyName !== undefined) {
        const maxAge = cluster.config.sticky?.maxAgeS;
        extra = [
          ...extra,
          {
            name: 'Set-Cookie',
            value: `${cluster.stickyName}=${decision.setCookie}; Path=/; HttpOnly${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`,
          },
        ];
      }
      if (cluster.sticky?.mode === 'app_cookie' && cluster.stickyName !== undefined) {
        const v = setCookieValue(upRes.head.fields, cluster.stickyName);
        if (v === '') {
          const old = input.stickyKey;
          if (old !== undefined) cluster.sticky.forget(old);
        } else if (v !== undefined) cluster.sticky.learn(v, ep);
      }
      for (const h of upRes.interim) if (h.status === 103) res.writeInterim(103, stripHopByHop(h.fields));
      // Nothing changes the response (no compression, no capture): its head is relayed as it came,
      // with the connection's own lines cut and the proxy's added, when the bytes are at hand.
      const relayed = input.reshapeResponse === undefined ? relayedHead(upRes, method, extra) : undefined;
      const headFields = relayed === undefined ? responseHeadFields(upRes, method, extra) : undefined;
      const reshaped = headFields === undefined ? undefined : input.reshapeResponse?.(status, headFields);
      try {
        const reason = upRes.head.reason === '' ? undefined : upRes.head.reason;
        if (relayed === undefined || !res.writeRelayedHead(status, relayed, reason))
          res.writeHead(status, reshaped?.fields ?? headFields ?? responseHeadFields(upRes, method, extra), reason);
      } catch (err) {
        upRes.body.discard();
        upLease.connection.destroy();
        attempt.finish({ error: 'other' });
        bytes = answer(
          res,
          502,
          `netlab proxy: ${ep.name} sent a response the proxy cannot relay: ${err instanceof Error ? err.message : String(err)}\n`,
          input.responseFields,
        );
        return st.result(502, ep.name, bytes);
      }
      const conn = upLease.connection;
      // The common case of a small response: its body came with its head, so it is relayed at once
      // (no idle timer, no async iteration). An event stream is never complete at its head.
      const whole = reshaped === undefined ? upRes.body.takeComplete() : undefined;
      if (whole !== undefined) {
        for (const chunk of whole) {
          bytes += chunk.length;
          res.write(chunk);
        }
        if (res.aborted) {
          conn.destroy();
          attempt.finish({ status, error: 'other' });
          return st.result(status, ep.name, bytes);
        }
        res.end(undefined, upRes.body.trailers.length === 0 ? undefined : allowedTrailers(upRes.body.trailers));
        attempt.finish({ status });
        return st.result(status, ep.name, bytes);
      }
      // Server-Sent Events: the head goes to the client now (its EventSource opens), the stream is not
      // cut for lasting (requestMs ends here) and the idle limit between events is streamIdleMs.
      const eventStream = isEventStream(upRes.head.fields);
      if (eventStream) {
        res.flushHead();
        if (st.deadline !== undefined) clock.clearTimer(st.deadline);
        st.deadline = undefined;
      }
      const idleMs = eventStream ? timeouts.streamIdleMs : timeouts.idleMs;
      let idle: TimerHandle | undefined;
      const armIdle = (): void => {
        if (idle !== undefined) clock.clearTimer(idle);
        idle = clock.setTimer(() => {
          st.timedOut = `no byte from ${ep.name} for ${idleMs} ms`;
          conn.destroy();
        }, idleMs);
      };
      armIdle();
      try {
        for await (const chunk of reshaped === undefined ? upRes.body : reshaped.body(upRes.body)) {
          armIdle();
          bytes += chunk.length;
          if (!res.write(chunk)) await res.drained();
          if (res.aborted) {
            conn.destroy();
            attempt.finish({ status, error: 'other' });
            return st.result(status, ep.name, bytes);
          }
        }
      } catch (err) {
        if (idle !== undefined) clock.clearTimer(idle);
        const f = classify(err, 'exchange', st);
        attempt.finish({ error: f.kind });
        input.hooks?.onUpstreamError?.(cluster.name, ep.name, f.kind);
        res.abortCut();
        return st.result(status, ep.name, bytes);
      }
      if (idle !== undefined) clock.clearTimer(idle);
      res.end(undefined, allowedTrailers(upRes.body.trailers));
      attempt.finish({ status });
      return st.result(status, ep.name, bytes);
    }
  } finally {
    if (requestSlot?.ok === true) requestSlot.release();
    if (watched) unwatchClient(req.connection, st);
    if (st.deadline !== undefined) clock.clearTimer(st.deadline);
    st.finishRetry();
    retry?.budget.requestFinished();
  }
}
