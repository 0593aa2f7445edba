// One server-side HTTP/1.1 connection over a net.Socket or tls.TLSSocket, read with netlab's own
// parser (never Node's http). Requests may be pipelined: each gets its response slot, and responses go
// out in request order. A parser verdict is answered by netlab (status + Connection: close), after the
// responses already owed, and the connection closes; nothing after the bad request is parsed.
// Timeouts: a header-section deadline from the first byte of a request head (against slowloris), and an
// idle timeout between requests. Backpressure: reading stops while the socket's write buffer is full,
// while a request body waits unread above its high-water mark, or while too many requests are in flight.

import type { Socket } from 'node:net';
import { NetlabError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import { HttpParser, type HttpEvent, type HttpLimits, type HttpRequestHead, type HttpVerdict } from '../wire/http.ts';
import { bodyError, HttpBody } from './body.ts';
import { HttpServerResponse, type HttpFieldsInit, toFields, type ResponseSink } from './response.ts';

/** Writes of one event-loop turn up to this many bytes in all are gathered into one buffer. */
const GATHER_BYTES = 16384;

/** One request as the handler sees it. */
export interface HttpServerRequest {
  readonly head: HttpRequestHead;
  readonly body: HttpBody;
  /** 0 for the first request on the connection, then 1, 2, ... */
  readonly sequence: number;
  readonly connection: HttpRequestConnection;
}

/**
 * What carries a request: an HTTP/1.1 connection, or one HTTP/2 stream (src/proxy/h2-front.ts), whose
 * `done` resolves when the stream closes and which cannot switch protocols.
 */
export interface HttpRequestConnection {
  readonly socket: Socket;
  /** Resolves when the client side is gone (the connection, or an HTTP/2 stream, closed). */
  readonly done: Promise<void>;
  takeOver(res: HttpServerResponse, fields?: HttpFieldsInit): HttpConnectionTakeover;
}

export type HttpRequestHandler = (req: HttpServerRequest, res: HttpServerResponse) => void | Promise<void>;

export interface HttpServerConnectionOptions {
  readonly handler: HttpRequestHandler;
  readonly limits?: Partial<HttpLimits>;
  /** Time from the first byte of a request head to its end; then 408 and close. Default 10 s. */
  readonly headerTimeoutMs?: number;
  /** Time a connection may sit with no request and no response in flight; then it closes. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Longest silence inside a request body while netlab is reading (slow-body attacks); then 408 (or a
   * cut response) and close. Time spent paused by netlab's own backpressure does not count. Default 30 s.
   */
  readonly bodyTimeoutMs?: number;
  /** Requests in flight (parsed, response not finished) before reading pauses. Default 16. */
  readonly maxPipelined?: number;
  /** Unread request-body bytes before reading pauses. Default 64 KiB. */
  readonly bodyHighWaterBytes?: number;
  readonly clock?: NetClock;
  /** Told of every refused request (parser verdicts, 417, timeouts). */
  readonly onRefused?: (refusal: HttpRefusal, conn: HttpServerConnection) => void;
  /** Told when a handler throws or rejects (the client got 500 or a cut response). */
  readonly onHandlerError?: (err: unknown, req: HttpServerRequest) => void;
}

/** Why netlab answered instead of the handler. */
export type HttpRefusal =
  | { readonly kind: 'verdict'; readonly verdict: HttpVerdict }
  | { readonly kind: 'expectation'; readonly expect: string }
  | { readonly kind: 'header-timeout'; readonly afterMs: number }
  | { readonly kind: 'body-timeout'; readonly afterMs: number };

export interface HttpConnectionTakeover {
  readonly socket: Socket;
  /** Bytes the client sent after the request that switched protocols. */
  readonly rest: Uint8Array;
}

type PauseReason = 'write' | 'body' | 'pipeline' | 'paused-parser' | 'closing';

export class HttpServerConnection implements ResponseSink {
  readonly socket: Socket;
  private readonly opts: HttpServerConnectionOptions;
  private readonly parser: HttpParser;
  private readonly clock: NetClock;
  private readonly queue: HttpServerResponse[] = [];
  private readonly held = new Map<HttpServerResponse, Uint8Array[]>();
  private readonly continuePending = new Set<HttpServerResponse>();
  private readonly continued = new WeakSet<HttpServerResponse>();
  private readonly pauses = new Set<PauseReason>();
  private current: { req: HttpServerRequest; res: HttpServerResponse } | undefined;
  private sequence = 0;
  private headerDeadline = 0;
  private idleDeadline = 0;
  private bodyDeadline = 0;
  private bodyActivity = false;
  private timer: TimerHandle | undefined;
  private timerAt = 0;
  private corked = false;
  /** Small writes of this turn of the event loop, written as one buffer when it ends (flushOut). */
  private readonly pendingOut: Uint8Array[] = [];
  private pendingBytes = 0;
  private closingFlag = false;
  private draining = false;
  private ended = false;
  private closed = false;
  private tookOver = false;
  private drainWaiters: (() => void)[] = [];
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(socket: Socket, options: HttpServerConnectionOptions) {
    this.socket = socket;
    this.opts = options;
    this.clock = options.clock ?? realClock();
    this.parser = new HttpParser({ role: 'request', limits: options.limits });
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    this.updateTimers();
  }

  /** Resolves once the socket has closed. */
  get done(): Promise<void> {
    return this.closedPromise;
  }

  /** True once the connection reads no more requests (drain, verdict, timeout). */
  get closing(): boolean {
    return this.closingFlag;
  }

  /** ResponseSink: the last response in flight of a draining connection announces the close. */
  shouldClose(res: HttpServerResponse): boolean {
    if (this.draining && this.queue[this.queue.length - 1] === res) return true;
    // A final answer to `Expect: 100-continue` before any body byte: the client may never send the
    // body, and if it does it would be read as this request's. Closing keeps the framing certain.
    const cur = this.current;
    return (
      cur !== undefined && cur.res === res && res.request.expectContinue && !this.continued.has(res) && cur.req.body.received === 0 && !cur.req.body.settled
    );
  }

  /** Requests whose responses are not finished yet. */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Requests parsed so far. */
  get requests(): number {
    return this.sequence;
  }

  /**
   * Graceful close: no new request is read; the responses in flight finish (the last one says
   * Connection: close), then the connection closes. An idle connection closes now.
   */
  drain(): void {
    if (this.closingFlag) return;
    this.closingFlag = true;
    this.draining = true;
    this.pause('closing');
    this.maybeEnd();
  }

  /** Closes at once, abandoning responses in flight. */
  destroy(): void {
    this.shutdown();
    this.socket.destroy();
  }

  // ---- reading ----

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed || this.tookOver) return;
    this.bodyActivity = true;
    this.handleEvents(this.parser.push(chunk));
    this.updateTimers();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.tookOver) return;
    this.handleEvents(this.parser.finish());
    const cur = this.current;
    if (cur !== undefined && !cur.req.body.settled) {
      cur.req.body.fail(bodyError('the client closed the connection inside a request body', 'ERR_IO'));
    }
    this.maybeEnd();
  };

  private readonly onError = (): void => {
    // 'close' follows; a reset while responses were owed just ends them.
  };

  private readonly onClose = (): void => {
    this.shutdown();
  };

  private readonly onDrain = (): void => {
    this.resumeReason('write');
    this.wakeDrainWaiters();
  };

  private handleEvents(events: HttpEvent[]): void {
    for (const ev of events) {
      // A handler may have taken the socket over (or the connection closed) while this batch ran.
      if (this.tookOver || this.closed) return;
      switch (ev.type) {
        case 'head':
          this.startRequest(ev.head as HttpRequestHead);
          break;
        case 'data':
          this.current?.req.body.push(ev.bytes);
          if (this.current?.req.body.overHighWater) this.pause('body');
          break;
        case 'trailers':
          this.current?.req.body.setTrailers(ev.fields);
          break;
        case 'end': {
          const cur = this.current;
          this.current = undefined;
          if (cur !== undefined) {
            cur.req.body.end();
            this.resumeReason('body');
          }
          break;
        }
        case 'paused':
          this.pause('paused-parser');
          break;
        case 'error':
          this.refuse({ kind: 'verdict', verdict: ev.verdict }, ev.verdict.status, `${ev.verdict.code}: ${ev.verdict.message}\n`);
          break;
      }
    }
  }

  private startRequest(head: HttpRequestHead): void {
    if (this.closingFlag) return;
    const res = new HttpServerResponse(head, this);
    const body = new HttpBody(this.opts.bodyHighWaterBytes ?? 65536, {
      onFirstRead: () => this.sendContinue(res, body),
      onBelowHighWater: () => this.resumeReason('body'),
    });
    const req: HttpServerRequest = {
      head,
      body,
      sequence: this.sequence++,
      connection: this,
    };
    this.queue.push(res);
    if (this.queue.length >= (this.opts.maxPipelined ?? 16)) this.pause('pipeline');
    this.current = { req, res };
    if (head.unsupportedExpectation !== undefined) {
      // RFC 9110 §10.1.1: an expectation other than 100-continue may be answered 417.
      this.opts.onRefused?.({ kind: 'expectation', expect: head.unsupportedExpectation }, this);
      body.discard();
      res.writeOwn(417, `expectation ${JSON.stringify(head.unsupportedExpectation)} is not supported\n`);
      this.stopReading();
      return;
    }
    let result: void | Promise<void>;
    try {
      result = this.opts.handler(req, res);
    } catch (err) {
      this.handlerFailed(err, req, res);
      return;
    }
    if (result instanceof Promise) result.catch((err: unknown) => this.handlerFailed(err, req, res));
  }

  private handlerFailed(err: unknown, req: HttpServerRequest, res: HttpServerResponse): void {
    this.opts.onHandlerError?.(err, req);
    if (res.finished) return;
    if (res.headersSent) res.abortCut();
    else res.writeOwn(500, 'internal error in the request handler\n');
  }

  /** netlab answers with `status` and closes: a verdict, 417, a header timeout. */
  private refuse(refusal: HttpRefusal, status: number, text: string): void {
    this.opts.onRefused?.(refusal, this);
    this.stopReading();
    const cur = this.current;
    this.current = undefined;
    if (cur !== undefined) {
      // The verdict broke a body whose head the handler already has: its reader sees the error, and
      // the refusal takes this request's slot (or cuts its response if that had begun).
      cur.req.body.fail(bodyError(text.trim(), refusal.kind === 'verdict' || refusal.kind === 'expectation' ? 'ERR_MALFORMED' : 'ERR_TIMEOUT'));
      cur.res.writeOwn(status, text);
      this.maybeEnd();
      return;
    }
    if (this.closed) return;
    const fake: HttpRequestHead = {
      type: 'request',
      method: 'GET',
      target: '/',
      targetForm: 'origin',
      version: '1.1',
      rawVersion: 'HTTP/1.1',
      fields: [],
      authority: '',
      expectContinue: false,
      unsupportedExpectation: undefined,
      framing: { kind: 'none' },
      keepAlive: false,
      connectionOptions: [],
      upgrade: [],
    };
    const res = new HttpServerResponse(fake, this);
    this.queue.push(res);
    res.writeOwn(status, text);
  }

  private stopReading(): void {
    this.closingFlag = true;
    this.pause('closing');
    this.clearHeaderTimer();
    this.clearIdleTimer();
  }

  // ---- writing (ResponseSink) ----

  output(res: HttpServerResponse, bytes: Uint8Array): boolean {
    if (this.closed || this.tookOver) return false;
    if (this.queue[0] !== res) {
      let list = this.held.get(res);
      if (list === undefined) {
        list = [];
        this.held.set(res, list);
      }
      list.push(bytes);
      return false;
    }
    // Writes made in one turn of the event loop go out together (head and body, pipelined answers):
    // small ones are gathered and written as one buffer (one plain write, cheaper than a writev of
    // several), larger ones go out behind them.
    if (!this.corked) {
      this.corked = true;
      process.nextTick(this.uncork);
    }
    if (this.pendingBytes + bytes.length <= GATHER_BYTES) {
      this.pendingOut.push(bytes);
      this.pendingBytes += bytes.length;
      return true;
    }
    let ok: boolean;
    if (this.pendingOut.length === 0) ok = this.socket.write(bytes);
    else {
      // What was gathered and this one, as one writev.
      this.socket.cork();
      this.flushOut();
      ok = this.socket.write(bytes);
      this.socket.uncork();
    }
    if (!ok) this.pause('write');
    return ok;
  }

  /** Writes the gathered small writes (before anything else touches the socket). */
  private flushOut(): void {
    const n = this.pendingOut.length;
    if (n === 0) return;
    const b = n === 1 ? this.pendingOut[0] : Buffer.concat(this.pendingOut, this.pendingBytes);
    this.pendingOut.length = 0;
    this.pendingBytes = 0;
    if (this.closed || this.socket.destroyed) return;
    if (!this.socket.write(b)) this.pause('write');
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.flushOut();
  };

  drained(res: HttpServerResponse): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.queue[0] === res && !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  finished(res: HttpServerResponse): void {
    if (this.queue[0] !== res) return; // flushed when it reaches the front
    this.advance();
  }

  /** Retires finished responses at the front, flushing the held bytes of the next ones. */
  private advance(): void {
    while (this.queue.length > 0) {
      const front = this.queue[0];
      if (!front.finished) break;
      this.queue.shift();
      if (front.closeAfter) {
        this.finishWith(front.truncated);
        return;
      }
      const next = this.queue[0];
      if (next === undefined) break;
      if (this.continuePending.delete(next) && !next.headersSent) {
        this.continued.add(next);
        next.writeInterimHead(100, []);
      }
      const held = this.held.get(next);
      if (held !== undefined) {
        this.held.delete(next);
        this.flushOut();
        for (const b of held) {
          if (!this.socket.write(b)) this.pause('write');
        }
      }
    }
    if (this.queue.length < (this.opts.maxPipelined ?? 16)) this.resumeReason('pipeline');
    this.wakeDrainWaiters();
    // An Upgrade/CONNECT request answered with a plain response: go on reading HTTP.
    if (this.queue.length === 0 && this.parser.state === 'paused' && !this.closingFlag) {
      this.resumeReason('paused-parser');
      this.handleEvents(this.parser.resume());
    }
    this.maybeEnd();
    this.updateTimers();
  }

  /** After a response that closes the connection: end the socket (or destroy it on a cut response). */
  private finishWith(truncated: boolean): void {
    this.closingFlag = true;
    this.pause('closing');
    for (const r of this.queue) r.markAborted();
    this.queue.length = 0;
    this.held.clear();
    const cur = this.current;
    if (cur !== undefined && !cur.req.body.settled) cur.req.body.fail(bodyError('the connection closed', 'ERR_IO'));
    this.current = undefined;
    this.clearHeaderTimer();
    this.clearIdleTimer();
    this.flushOut();
    if (truncated) this.socket.destroySoon();
    else this.socket.end();
  }

  private maybeEnd(): void {
    if (this.closed || this.tookOver) return;
    if (this.queue.length > 0) return;
    if (this.closingFlag || this.ended || this.parser.state === 'done' || this.parser.state === 'failed') {
      this.closingFlag = true;
      this.clearHeaderTimer();
      this.clearIdleTimer();
      this.flushOut();
      this.socket.end();
    }
  }

  private sendContinue(res: HttpServerResponse, body: HttpBody): void {
    if (!res.request.expectContinue || res.headersSent || body.received > 0 || body.settled) return;
    if (this.queue[0] === res) {
      this.continued.add(res);
      res.writeInterimHead(100, []);
    } else this.continuePending.add(res);
  }

  /**
   * Hands the socket over after an Upgrade or CONNECT request: writes the 101 (or, for CONNECT, 200)
   * head and returns the socket with the bytes already read past the request. HTTP is over on it.
   */
  takeOver(res: HttpServerResponse, fields: HttpFieldsInit = []): HttpConnectionTakeover {
    const head = res.request;
    const connect = head.method === 'CONNECT';
    if (!connect && head.upgrade.length === 0)
      throw new NetlabError('ERR_STATE', 'takeOver: the request asked for no Upgrade and is not CONNECT', { layer: 'http' });
    if (this.queue[0] !== res || this.parser.state !== 'paused' || res.headersSent) {
      throw new NetlabError('ERR_STATE', 'takeOver: only the last, unanswered request may switch protocols once its body has ended', { layer: 'http' });
    }
    const list = toFields(fields);
    if (!connect) list.unshift({ name: 'Connection', value: 'upgrade' });
    res.writeInterimHead(connect ? 200 : 101, list);
    res.markAborted();
    const rest = this.parser.detach();
    this.flushOut();
    this.tookOver = true;
    this.queue.length = 0;
    this.clearHeaderTimer();
    this.clearIdleTimer();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('drain', this.onDrain);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    this.pauses.clear();
    this.socket.pause();
    this.resolveClosed();
    return { socket: this.socket, rest };
  }

  // ---- flow control ----

  private pause(reason: PauseReason): void {
    this.pauses.add(reason);
    if (!this.socket.isPaused()) this.socket.pause();
  }

  private resumeReason(reason: PauseReason): void {
    if (!this.pauses.delete(reason)) return;
    if (this.pauses.size === 0 && !this.closed && !this.tookOver) {
      this.socket.resume();
      this.bodyActivity = true; // the client could not send while paused: its silence starts now
      this.updateTimers();
    }
  }

  // ---- timers ----

  // One timer serves both deadlines and is re-armed lazily: moving between requests only changes the
  // deadlines, so a busy keep-alive connection does not create and cancel a timer per request.
  private updateTimers(): void {
    if (this.closed || this.tookOver || this.closingFlag) {
      this.clearHeaderTimer();
      this.clearIdleTimer();
      return;
    }
    const st = this.parser.state;
    const inHead = (st === 'start' && this.parser.buffered > 0) || st === 'fields';
    if (!inHead) this.headerDeadline = 0;
    else if (this.headerDeadline === 0) this.headerDeadline = this.clock.now() + (this.opts.headerTimeoutMs ?? 10_000);
    const idle = st === 'start' && this.parser.buffered === 0 && this.queue.length === 0 && this.current === undefined;
    if (!idle) this.idleDeadline = 0;
    else if (this.idleDeadline === 0) this.idleDeadline = this.clock.now() + (this.opts.idleTimeoutMs ?? 60_000);
    const cur = this.current;
    const inBody = cur !== undefined && !cur.req.body.settled && this.pauses.size === 0;
    if (!inBody) this.bodyDeadline = 0;
    else if (this.bodyDeadline === 0 || this.bodyActivity) this.bodyDeadline = this.clock.now() + (this.opts.bodyTimeoutMs ?? 30_000);
    this.bodyActivity = false;
    this.armTimer();
  }

  private armTimer(): void {
    let next = 0;
    if (this.headerDeadline > 0) next = this.headerDeadline;
    if (this.idleDeadline > 0 && (next === 0 || this.idleDeadline < next)) next = this.idleDeadline;
    if (this.bodyDeadline > 0 && (next === 0 || this.bodyDeadline < next)) next = this.bodyDeadline;
    if (next === 0) return; // a timer still armed fires, finds nothing due, and stops
    if (this.timer !== undefined && this.timerAt <= next) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimer(this.onTimer, Math.max(0, next - this.clock.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.closed || this.tookOver) return;
    const now = this.clock.now();
    if (this.headerDeadline > 0 && now >= this.headerDeadline) {
      const ms = this.opts.headerTimeoutMs ?? 10_000;
      this.headerDeadline = 0;
      this.refuse({ kind: 'header-timeout', afterMs: ms }, 408, `header-timeout: the request head did not arrive within ${ms} ms\n`);
      return;
    }
    if (this.bodyDeadline > 0 && now >= this.bodyDeadline) {
      const ms = this.opts.bodyTimeoutMs ?? 30_000;
      this.bodyDeadline = 0;
      this.refuse({ kind: 'body-timeout', afterMs: ms }, 408, `body-timeout: no request body bytes for ${ms} ms\n`);
      return;
    }
    if (this.idleDeadline > 0 && now >= this.idleDeadline) {
      this.idleDeadline = 0;
      this.closingFlag = true;
      this.flushOut();
      this.socket.end();
      return;
    }
    this.armTimer();
  };

  private clearHeaderTimer(): void {
    this.headerDeadline = 0;
    this.bodyDeadline = 0;
    this.dropTimerIfUnused();
  }

  private clearIdleTimer(): void {
    this.idleDeadline = 0;
    this.dropTimerIfUnused();
  }

  private dropTimerIfUnused(): void {
    if (this.headerDeadline === 0 && this.idleDeadline === 0 && this.bodyDeadline === 0 && this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHeaderTimer();
    this.clearIdleTimer();
    for (const r of this.queue) r.markAborted();
    this.queue.length = 0;
    this.held.clear();
    const cur = this.current;
    this.current = undefined;
    if (cur !== undefined && !cur.req.body.settled) cur.req.body.fail(bodyError('the connection closed', 'ERR_IO'));
    this.wakeDrainWaiters();
    this.resolveClosed();
  }
}
