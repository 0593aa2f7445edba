// HTTP/2 to a cluster's endpoints (cluster `protocol: h2`): one pooled node:http2 ClientHttp2Session
// per endpoint, h2c with prior knowledge to a plain endpoint, h2 chosen by ALPN when the cluster has
// tls (an endpoint that does not pick h2 is an error, never a silent HTTP/1.1). Each request is a
// stream; a lease hands forward.ts the same request()/destroy() an HTTP/1.1 pooled connection has,
// and the response comes back as the same HttpClientResponse (head, interim 1xx, streamed body,
// trailers), so forwarding, retries and features do not care which protocol the upstream speaks.

import { type ClientHttp2Session, type ClientHttp2Stream, connect as h2connect, constants, type IncomingHttpHeaders } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { NetlabError } from '../base/errors.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import { bodyError, connectUpstream, type HttpClientRequest, type HttpClientResponse, HttpBody, type Upstream, upstreamKey } from '../http/index.ts';
import type { HttpField, HttpResponseHead } from '../wire/http.ts';
import { CONNECTION_SPECIFIC } from './h2-map.ts';

/** What forward.ts uses of a leased upstream connection (an HTTP/1.1 one, or one HTTP/2 stream). */
export interface UpstreamExchange {
  request(req: HttpClientRequest): Promise<HttpClientResponse>;
  /** Abandons the exchange (HTTP/1.1: the connection; HTTP/2: the stream, RST_STREAM CANCEL). */
  destroy(): void;
  close(): void;
  takeOver(): { socket: import('node:net').Socket; rest: Uint8Array };
}

export interface UpstreamLease {
  readonly connection: UpstreamExchange;
  readonly upstream: Upstream;
  /** The session (or connection) had served requests before. */
  readonly reused: boolean;
}

export interface H2UpstreamPoolOptions {
  readonly connectTimeoutMs: number;
  /** Until the response head arrives. */
  readonly responseTimeoutMs: number;
  /** A session with no frame either way for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly clock: NetClock;
}

interface SessionEntry {
  readonly ready: Promise<ClientHttp2Session>;
  session: ClientHttp2Session | undefined;
  streams: number;
}

function err(code: 'ERR_IO' | 'ERR_TIMEOUT' | 'ERR_MALFORMED' | 'ERR_STATE', message: string): NetlabError {
  return new NetlabError(code, message, { layer: 'proxy' });
}

export class H2UpstreamPool {
  private readonly opts: H2UpstreamPoolOptions;
  private readonly entries = new Map<string, SessionEntry>();
  private closed = false;
  /** Sessions opened so far (tests: one per endpoint while it stays up). */
  sessionsOpened = 0;

  constructor(options: H2UpstreamPoolOptions) {
    this.opts = options;
  }

  /** A stream slot on the endpoint's session (opened, or reopened after a GOAWAY or error, as needed). */
  async lease(u: Upstream): Promise<UpstreamLease> {
    if (this.closed) throw err('ERR_STATE', 'the upstream pool is closed');
    const key = upstreamKey(u);
    let e = this.entries.get(key);
    const reused = e !== undefined && e.session !== undefined;
    if (e === undefined) {
      e = this.open(u, key);
      this.entries.set(key, e);
    }
    const session = await e.ready;
    return { connection: new H2Exchange(session, u, this.opts, e), upstream: u, reused };
  }

  private open(u: Upstream, key: string): SessionEntry {
    const host = u.host.includes(':') ? `[${u.host}]` : u.host;
    const authority = `${u.tls === undefined ? 'http' : 'https'}://${host}:${u.port}`;
    const entry: SessionEntry = { ready: Promise.resolve(undefined as unknown as ClientHttp2Session), session: undefined, streams: 0 };
    const ready = new Promise<ClientHttp2Session>((resolve, reject) => {
      this.sessionsOpened++;
      const session = h2connect(authority, {
        createConnection: () => connectUpstream(u, { ALPNProtocols: ['h2'] }),
        settings: { enablePush: false },
      });
      const forget = (): void => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      };
      const timer: TimerHandle = this.opts.clock.setTimer(() => {
        forget();
        session.destroy();
        reject(err('ERR_TIMEOUT', `connect to ${u.host}:${u.port} took over ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      session.once('connect', () => {
        this.opts.clock.clearTimer(timer);
        const alpn = (session.socket as TLSSocket | undefined)?.alpnProtocol;
        if (u.tls !== undefined && alpn !== 'h2') {
          forget();
          session.destroy();
          reject(err('ERR_IO', `${u.host}:${u.port} did not choose h2 by ALPN (got ${alpn === false || alpn === undefined ? 'none' : alpn})`));
          return;
        }
        entry.session = session;
        session.setTimeout(this.opts.idleTimeoutMs, () => {
          if (entry.streams === 0) {
            forget();
            session.close();
          }
        });
        resolve(session);
      });
      session.on('error', (e: Error) => {
        this.opts.clock.clearTimer(timer);
        forget();
        reject(err('ERR_IO', `${u.host}:${u.port}: ${e.message}`));
      });
      // After GOAWAY (or the end) the session takes no new stream: the next lease opens another.
      session.on('goaway', forget);
      session.on('close', () => {
        this.opts.clock.clearTimer(timer);
        forget();
        reject(err('ERR_IO', `${u.host}:${u.port} closed the connection`));
      });
    });
    // Rejections are read by lease(); keep an unread one from being reported as unhandled.
    ready.catch(() => undefined);
    return Object.assign(entry, { ready });
  }

  /** Sessions open now, by endpoint. */
  get sessions(): number {
    return this.entries.size;
  }

  /** Closes every session gracefully (streams in flight finish). */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) {
      void e.ready.then(
        (s) => s.close(),
        () => undefined,
      );
    }
    this.entries.clear();
  }
}

/** One request/response on a stream of a pooled session. */
class H2Exchange implements UpstreamExchange {
  private stream: ClientHttp2Stream | undefined;
  private cancelled = false;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly upstream: Upstream,
    private readonly opts: H2UpstreamPoolOptions,
    private readonly entry: SessionEntry,
  ) {}

  destroy(): void {
    this.cancelled = true;
    const s = this.stream;
    if (s !== undefined && !s.destroyed) s.close(constants.NGHTTP2_CANCEL);
  }

  close(): void {
    this.destroy();
  }

  takeOver(): never {
    throw err('ERR_STATE', 'an HTTP/2 stream cannot switch protocols');
  }

  request(req: HttpClientRequest): Promise<HttpClientResponse> {
    const fields = Array.isArray(req.fields) ? (req.fields as readonly HttpField[]) : [];
    const headers: Record<string, string | string[]> = {
      ':method': req.method,
      ':path': req.target,
      ':scheme': this.upstream.tls === undefined ? 'http' : 'https',
    };
    for (const f of fields) {
      const n = f.name.toLowerCase();
      if (n === 'host') {
        headers[':authority'] = f.value;
        continue;
      }
      if (CONNECTION_SPECIFIC.has(n) || n === 'content-length' || (n === 'te' && f.value.toLowerCase() !== 'trailers')) continue;
      const prev = headers[n];
      headers[n] = prev === undefined ? f.value : Array.isArray(prev) ? [...prev, f.value] : [prev, f.value];
    }
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    if (body instanceof Uint8Array) headers['content-length'] = String(body.length);
    else if (body !== undefined && req.bodyLength !== undefined) headers['content-length'] = String(req.bodyLength);
    return new Promise<HttpClientResponse>((resolve, reject) => {
      if (this.cancelled) return reject(err('ERR_IO', 'cancelled'));
      let stream: ClientHttp2Stream;
      try {
        stream = this.session.request(headers, { endStream: body === undefined || (body instanceof Uint8Array && body.length === 0) });
      } catch (e) {
        reject(err('ERR_IO', `${this.upstream.host}:${this.upstream.port}: ${e instanceof Error ? e.message : String(e)}`));
        return;
      }
      this.stream = stream;
      this.entry.streams++;
      const interim: HttpResponseHead[] = [];
      let settled = false;
      const timer = this.opts.clock.setTimer(() => {
        fail(err('ERR_TIMEOUT', `no response head within ${this.opts.responseTimeoutMs} ms`));
        stream.close(constants.NGHTTP2_CANCEL);
      }, this.opts.responseTimeoutMs);
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        this.opts.clock.clearTimer(timer);
        reject(e);
      };
      const resBody = new HttpBody(65536, { onBelowHighWater: () => stream.resume() });
      stream.on('headers', (h: IncomingHttpHeaders) => {
        const st = Number(h[':status']);
        if (st >= 100 && st < 200) interim.push(responseHead(st, h, req.method, { kind: 'none' }));
      });
      stream.on('response', (h: IncomingHttpHeaders, flags: number) => {
        if (settled) return;
        settled = true;
        this.opts.clock.clearTimer(timer);
        const st = Number(h[':status']);
        const cl = h['content-length'];
        const ended = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        const framing: HttpResponseHead['framing'] =
          typeof cl === 'string' && /^[0-9]{1,15}$/.test(cl) && !ended && req.method !== 'HEAD' && st !== 204 && st !== 304
            ? { kind: 'length', length: Number(cl) }
            : ended || req.method === 'HEAD' || st === 204 || st === 304
              ? { kind: 'none' }
              : { kind: 'chunked' };
        resolve({ head: responseHead(st, h, req.method, framing), interim, body: resBody });
      });
      stream.on('data', (c: Buffer) => {
        resBody.push(c);
        if (resBody.overHighWater) stream.pause();
      });
      stream.on('trailers', (t: IncomingHttpHeaders) => resBody.setTrailers(toFields(t)));
      stream.on('end', () => resBody.end());
      stream.on('error', (e: Error) => {
        fail(err('ERR_IO', `${this.upstream.host}:${this.upstream.port}: ${e.message}`));
        resBody.fail(bodyError(`the upstream stream broke: ${e.message}`, 'ERR_IO'));
      });
      stream.on('close', () => {
        this.entry.streams--;
        const code = stream.rstCode;
        fail(err('ERR_IO', `${this.upstream.host}:${this.upstream.port} reset the stream (code ${code})`));
        if (!resBody.settled) resBody.fail(bodyError(`the upstream stream closed early (code ${code})`, 'ERR_IO'));
      });
      if (body instanceof Uint8Array) {
        if (body.length > 0) stream.end(body);
      } else if (body !== undefined) void pump(stream, body).catch(() => stream.close(constants.NGHTTP2_CANCEL));
    });
  }
}

/** Streams a request body onto the stream, waiting for the flow-control window as it goes. */
async function pump(stream: ClientHttp2Stream, body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    if (stream.destroyed) return;
    if (!stream.write(chunk))
      await new Promise<void>((resolve) => {
        const go = (): void => {
          stream.off('drain', go);
          stream.off('close', go);
          resolve();
        };
        stream.on('drain', go);
        stream.on('close', go);
      });
  }
  if (!stream.destroyed) stream.end();
}

function toFields(h: IncomingHttpHeaders): HttpField[] {
  const out: HttpField[] = [];
  for (const [name, v] of Object.entries(h)) {
    if (name.startsWith(':') || v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [String(v)]) out.push({ name, value });
  }
  return out;
}

function responseHead(status: number, h: IncomingHttpHeaders, method: string, framing: HttpResponseHead['framing']): HttpResponseHead {
  return {
    type: 'response',
    version: '2',
    status,
    reason: '',
    fields: toFields(h),
    requestMethod: method,
    framing,
    keepAlive: true,
    connectionOptions: [],
    upgrade: [],
  };
}
