// The HTTP/2 side of an http listener (node:http2 sessions on sockets the listener accepted): h2
// chosen by ALPN on a TLS listener, h2c with prior knowledge on a plain one (the client preface
// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" recognised on the first bytes; any other bytes go to the HTTP/1.x
// codec). Each stream becomes the request and response objects the HTTP/1.1 server hands out
// (HttpServerRequest, HttpServerResponse with a framed sink), so the proxy's one pipeline serves
// both. Limits: SETTINGS_MAX_CONCURRENT_STREAMS, the header list size, an idle timeout per
// connection; close() sends GOAWAY and lets the streams in flight finish.

import { constants, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { NetlabError } from '../base/errors.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import {
  bodyError,
  type FramedSink,
  HttpBody,
  type HttpConnectionTakeover,
  type HttpRequestConnection,
  type HttpRequestHandler,
  type HttpServerRequest,
  HttpServerResponse,
  type ResponseSink,
} from '../http/index.ts';
import type { HttpField } from '../wire/http.ts';
import type { Http2ListenerConfig } from './config-schema.ts';
import { GuardedSocket, H2FieldGuard } from './h2-guard.ts';
import { h2RequestHead, h2ResponseHeaders, h2Trailers } from './h2-map.ts';

/** The client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface H2FrontOptions {
  readonly settings: Http2ListenerConfig;
  readonly handler: HttpRequestHandler;
  readonly clock: NetClock;
  /** Time allowed for the first bytes of a plain connection (to tell h2c from HTTP/1.x). */
  readonly prefaceTimeoutMs: number;
  /**
   * Refuse requests whose field values hold CR, LF, NUL or edge whitespace (RFC 9113 §8.2.1) by reading
   * the client's header blocks before nghttp2 (which would drop such a field and go on). Default true.
   */
  readonly checkFieldValues?: boolean;
  /** Told of each stream refused before the handler saw it (malformed request, content-length mismatch). */
  readonly onRefused?: (reason: string) => void;
}

interface SessionState {
  readonly session: ServerHttp2Session;
  /** The accepted socket (node:http2 reads it through the guard). */
  readonly socket: Socket;
  readonly guard: H2FieldGuard | undefined;
  open: number;
  idle: TimerHandle | undefined;
  sequence: number;
}

export class H2Front {
  private readonly opts: H2FrontOptions;
  private readonly server: Http2Server;
  private readonly sessions = new Map<ServerHttp2Session, SessionState>();
  private readonly peeking = new Set<Socket>();
  private closing = false;
  /** The socket being handed to node:http2 now (its 'session' event comes synchronously). */
  private adopting: { socket: Socket; guard: H2FieldGuard | undefined } | undefined;

  constructor(options: H2FrontOptions) {
    this.opts = options;
    const s = options.settings;
    this.server = createServer({
      settings: { maxConcurrentStreams: s.maxConcurrentStreams, maxHeaderListSize: s.maxHeaderListBytes, enablePush: false },
      maxHeaderListPairs: 256,
    });
    this.server.on('session', (session: ServerHttp2Session) => this.onSession(session));
    this.server.on('stream', (stream: ServerHttp2Stream, _h: unknown, flags: number, raw: string[]) => this.onStream(stream, flags, raw));
    this.server.on('sessionError', () => undefined);
  }

  /** HTTP/2 sessions open now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** A TLS socket whose ALPN chose h2, or a plain socket known to start with the preface. */
  adopt(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    // Small frames (HEADERS, WINDOW_UPDATE, SETTINGS ACK) must not wait for Nagle's algorithm.
    socket.setNoDelay(true);
    // The field-value guard reads every client byte before nghttp2 (h2-guard.ts).
    const guard = this.opts.checkFieldValues === false ? undefined : new H2FieldGuard();
    this.adopting = { socket, guard };
    try {
      this.server.emit('connection', guard === undefined ? socket : new GuardedSocket(socket, guard));
    } finally {
      this.adopting = undefined;
    }
  }

  /** For a TLS listener: h2 when ALPN chose it, else HTTP/1.x. */
  divertTls(socket: Socket, http1: (socket: Socket) => void): void {
    if ((socket as TLSSocket).alpnProtocol === 'h2') this.adopt(socket);
    else http1(socket);
  }

  /** For a plain listener with h2c: reads until the first bytes tell the preface from HTTP/1.x. */
  divertPlain(socket: Socket, http1: (socket: Socket) => void): void {
    let got: Buffer = Buffer.alloc(0);
    this.peeking.add(socket);
    const timer = this.opts.clock.setTimer(() => socket.destroy(), this.opts.prefaceTimeoutMs);
    const done = (): void => {
      this.opts.clock.clearTimer(timer);
      this.peeking.delete(socket);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      const n = Math.min(got.length, H2_PREFACE.length);
      const match = got.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (match && got.length < H2_PREFACE.length) return;
      done();
      socket.pause();
      socket.unshift(got);
      if (match) this.adopt(socket);
      else {
        http1(socket);
        socket.resume();
      }
    };
    const onClose = (): void => done();
    const onError = (): void => undefined;
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  private onSession(session: ServerHttp2Session): void {
    const a = this.adopting;
    const st: SessionState = {
      session,
      socket: a?.socket ?? (session.socket as unknown as Socket),
      guard: a?.guard,
      open: 0,
      idle: undefined,
      sequence: 0,
    };
    this.sessions.set(session, st);
    session.on('error', () => undefined);
    session.on('close', () => {
      this.clearIdle(st);
      this.sessions.delete(session);
    });
    this.armIdle(st);
  }

  private armIdle(st: SessionState): void {
    this.clearIdle(st);
    st.idle = this.opts.clock.setTimer(() => {
      st.idle = undefined;
      if (st.open === 0) st.session.close();
    }, this.opts.settings.idleTimeoutMs);
  }

  private clearIdle(st: SessionState): void {
    if (st.idle !== undefined) this.opts.clock.clearTimer(st.idle);
    st.idle = undefined;
  }

  private onStream(stream: ServerHttp2Stream, flags: number, raw: string[]): void {
    const st = this.sessions.get(stream.session as ServerHttp2Session);
    stream.on('error', () => undefined);
    if (st === undefined) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    st.open++;
    this.clearIdle(st);
    stream.once('close', () => {
      st.open--;
      if (st.open === 0 && !st.session.closed && !st.session.destroyed) this.armIdle(st);
    });
    const badValue = st.guard?.bad.get(stream.id ?? 0);
    if (badValue !== undefined) {
      // RFC 9113 §8.2.1: malformed, a stream error of type PROTOCOL_ERROR; nothing is forwarded.
      st.guard?.bad.delete(stream.id ?? 0);
      this.opts.onRefused?.(badValue);
      stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const mapped = h2RequestHead(raw, { endStream, maxHeaderListBytes: this.opts.settings.maxHeaderListBytes });
    if (!mapped.ok) {
      // A malformed request is a stream error of type PROTOCOL_ERROR (RFC 9113 §8.1.1); a header list
      // over the bound gets 431 (the stream is well-formed, only too big).
      this.opts.onRefused?.(mapped.reason);
      if (mapped.status === 431) {
        stream.respond({ ':status': 431, 'content-type': 'text/plain; charset=utf-8' });
        stream.end(`netlab proxy: ${mapped.reason}\n`);
      } else stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    const head = mapped.head;
    const declared = mapped.contentLength;
    const body = new HttpBody(65536, { onBelowHighWater: () => stream.resume() });
    let streamClosed!: () => void;
    const done = new Promise<void>((resolve) => {
      streamClosed = resolve;
    });
    const broken = (reason: string): void => {
      this.opts.onRefused?.(reason);
      body.fail(bodyError(reason));
      stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
    };
    stream.on('data', (chunk: Buffer) => {
      if (body.settled) return;
      if (declared !== undefined && body.received + chunk.length > declared) {
        broken(`DATA beyond the declared Content-Length ${declared} (RFC 9113 §8.1.1)`);
        return;
      }
      body.push(chunk);
      if (body.overHighWater) stream.pause();
    });
    stream.on('trailers', (_t: unknown, _f: number, rawTrailers: string[]) => {
      const badTrailer = st.guard?.bad.get(stream.id ?? 0);
      if (badTrailer !== undefined) {
        st.guard?.bad.delete(stream.id ?? 0);
        broken(badTrailer);
        return;
      }
      const t = h2Trailers(rawTrailers ?? []);
      if (!t.ok) broken(t.reason);
      else body.setTrailers(t.fields);
    });
    stream.on('end', () => {
      if (body.settled) return;
      if (declared !== undefined && body.received !== declared) {
        broken(`the DATA frames carried ${body.received} bytes, Content-Length said ${declared} (RFC 9113 §8.1.1)`);
        return;
      }
      body.end();
    });
    stream.once('close', () => {
      if (!body.settled) body.fail(bodyError('the client reset the stream', 'ERR_IO'));
      res.markAborted();
      streamClosed();
    });
    const connection: HttpRequestConnection = {
      socket: st.socket,
      done,
      takeOver(): HttpConnectionTakeover {
        throw new NetlabError('ERR_STATE', 'an HTTP/2 stream cannot switch protocols (RFC 9113 §8.6)', { layer: 'proxy' });
      },
    };
    const allowTrailers = head.fields.some((f) => f.name === 'te');
    const sink = new StreamSink(stream, allowTrailers);
    const res = new HttpServerResponse(head, sink);
    const req: HttpServerRequest = { head, body, sequence: st.sequence++, connection };
    let result: void | Promise<void>;
    try {
      result = this.opts.handler(req, res);
    } catch {
      sink.fail(res);
      return;
    }
    if (result instanceof Promise) result.catch(() => sink.fail(res));
  }

  /** GOAWAY to every session: streams in flight finish, then sessions close (destroyed after graceMs). */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const s of this.peeking) s.destroy();
    this.peeking.clear();
    const all = [...this.sessions.values()].map(
      (st) =>
        new Promise<void>((resolve) => {
          this.clearIdle(st);
          if (st.session.closed || st.session.destroyed) return resolve();
          st.session.once('close', () => resolve());
          st.session.close();
        }),
    );
    let timer: TimerHandle | undefined;
    const late = new Promise<void>((resolve) => {
      timer = this.opts.clock.setTimer(() => {
        for (const st of this.sessions.values()) st.session.destroy();
        resolve();
      }, graceMs);
    });
    await Promise.race([Promise.all(all), late]);
    if (timer !== undefined) this.opts.clock.clearTimer(timer);
  }
}

/** A response written onto one HTTP/2 stream: head, DATA with flow control, trailers or RST_STREAM. */
class StreamSink implements ResponseSink {
  readonly framed: FramedSink;
  private pending: { status: number; fields: readonly HttpField[] } | undefined;
  private trailers: readonly HttpField[] = [];

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly allowTrailers: boolean,
  ) {
    this.framed = {
      head: (_res, status, fields) => {
        this.pending = { status, fields };
      },
      interim: (_res, status, fields) => {
        if (!this.dead()) this.stream.additionalHeaders(h2ResponseHeaders(status, fields));
      },
      end: (res, trailers) => this.end(res, trailers),
    };
  }

  private dead(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  private flush(endStream: boolean): void {
    const p = this.pending;
    if (p === undefined || this.dead()) return;
    this.pending = undefined;
    const waitForTrailers = !endStream && this.allowTrailers;
    this.stream.respond(h2ResponseHeaders(p.status, p.fields), { endStream, waitForTrailers });
    if (waitForTrailers)
      this.stream.once('wantTrailers', () => {
        if (!this.dead()) this.stream.sendTrailers(h2ResponseHeaders(undefined, this.trailers));
      });
  }

  private end(_res: HttpServerResponse, trailers: readonly HttpField[]): void {
    if (this.dead()) return;
    this.trailers = trailers;
    if (this.pending !== undefined) {
      const withTrailers = trailers.length > 0 && this.allowTrailers;
      this.flush(!withTrailers);
      if (withTrailers) this.stream.end();
      return;
    }
    this.stream.end();
  }

  output(_res: HttpServerResponse, bytes: Uint8Array): boolean {
    if (this.dead()) return false;
    this.flush(false);
    return this.stream.write(bytes);
  }

  drained(_res: HttpServerResponse): Promise<void> {
    if (this.dead() || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const go = (): void => {
        this.stream.off('drain', go);
        this.stream.off('close', go);
        resolve();
      };
      this.stream.on('drain', go);
      this.stream.on('close', go);
    });
  }

  finished(res: HttpServerResponse): void {
    // A response cut short (its declared length not met, or the upstream broke) resets the stream.
    if (res.truncated && !this.dead()) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  shouldClose(): boolean {
    return false;
  }

  /** The handler threw: 500 when nothing was sent, else a reset. */
  fail(res: HttpServerResponse): void {
    if (res.finished) return;
    if (res.headersSent || this.dead()) {
      res.abortCut();
      return;
    }
    res.writeOwn(500, 'internal error in the request handler\n');
  }
}
