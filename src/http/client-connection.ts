// The client side of one HTTP/1.1 connection: send a request on a socket, read the response with
// netlab's parser. One exchange at a time (no client pipelining). After a response that leaves the
// connection reusable (both sides keep-alive, the request fully sent, the response body fully read),
// the connection is idle and may carry the next request; the pool (pool.ts) builds on that.

import type { Socket } from 'node:net';
import { NetlabError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import {
  encodeChunk,
  encodeLastChunk,
  fieldValues,
  HttpParser,
  requestHeadText,
  splitList,
  type HttpEvent,
  type HttpLimits,
  type HttpResponseHead,
} from '../wire/http.ts';
import { bodyError, HttpBody } from './body.ts';
import { toFields, type HttpFieldsInit } from './response.ts';

export interface HttpClientRequest {
  readonly method: string;
  /** origin-form ("/path?q") or absolute-form. */
  readonly target: string;
  readonly fields?: HttpFieldsInit;
  /**
   * The body: bytes (sent with Content-Length) or an async iterable (sent chunked). Omitted: no body.
   * Transfer-Encoding and Content-Length are the client's to write; passing them is refused.
   */
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array>;
  /**
   * With an async-iterable body: its exact length, to send it with Content-Length instead of chunked
   * (a proxy keeping the client's framing, an HTTP/1.0 upstream). A body of another length breaks the
   * exchange (the connection is destroyed: the upstream would misread what follows).
   */
  readonly bodyLength?: number;
  /** Send `Expect: 100-continue` and hold the body until 100 arrives (or `continueTimeoutMs` passes). */
  readonly expectContinue?: boolean;
}

export interface HttpClientResponse {
  readonly head: HttpResponseHead;
  /** 1xx responses that came before this one (100 Continue, 103 Early Hints). */
  readonly interim: readonly HttpResponseHead[];
  readonly body: HttpBody;
  /**
   * The head's field section exactly as received (field lines with their CRLFs, the lines of
   * `head.fields` in order), when it arrived in one read; a proxy relays it instead of serializing
   * the fields again. Undefined otherwise.
   */
  readonly rawFields?: Uint8Array;
}

export interface HttpClientConnectionOptions {
  readonly limits?: Partial<HttpLimits>;
  /** Time to wait for the response head after the request was sent. Default 30 s. */
  readonly responseTimeoutMs?: number;
  /** With expectContinue: how long to wait for 100 before sending the body anyway. Default 1 s. */
  readonly continueTimeoutMs?: number;
  /** Unread response-body bytes before reading pauses. Default 64 KiB. */
  readonly bodyHighWaterBytes?: number;
  readonly clock?: NetClock;
  /** Called when the connection becomes idle and reusable, or is closed for good. */
  readonly onStateChange?: (conn: HttpClientConnection) => void;
  /**
   * The socket was made with Node's `onread` option (one read buffer, reused) and its callback hands
   * each read to `received()`: no 'data' listener is added (no stream machinery per read), and the
   * parser copies what it keeps. After takeOver() the reads are emitted as 'data' (copies) again.
   */
  readonly onread?: boolean;
}

export type HttpClientConnectionState = 'idle' | 'busy' | 'closed';

interface Exchange {
  readonly method: string;
  resolve: (r: HttpClientResponse) => void;
  reject: (e: Error) => void;
  interim: HttpResponseHead[];
  body: HttpBody | undefined;
  head: HttpResponseHead | undefined;
  requestSent: boolean;
  requestKeepAlive: boolean;
  responseEnded: boolean;
  continueWaiter: (() => void) | undefined;
}

export class HttpClientConnection {
  readonly socket: Socket;
  private readonly opts: HttpClientConnectionOptions;
  private readonly parser: HttpParser;
  private readonly clock: NetClock;
  private st: HttpClientConnectionState = 'idle';
  private ex: Exchange | undefined;
  private timer: TimerHandle | undefined;
  /** When the armed timer fires (clock ms). */
  private timerAt = 0;
  /** The response deadline (clock ms), 0 when none. */
  private deadline = 0;
  private deadlineMs = 0;
  private deadlineWhat = '';
  private served = 0;
  private readEnded = false;
  private switched = false;
  /** takeOver() gave the socket away (reads fed by onread then go out as 'data' events). */
  private handedOver = false;

  constructor(socket: Socket, options: HttpClientConnectionOptions = {}) {
    this.socket = socket;
    this.opts = options;
    this.clock = options.clock ?? realClock();
    this.parser = new HttpParser({ role: 'response', limits: options.limits, keepRawHead: true });
    socket.setNoDelay(true);
    if (options.onread !== true) socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  get state(): HttpClientConnectionState {
    return this.st;
  }

  /** Exchanges completed on this connection (a reused connection has served at least one). */
  get requestsServed(): number {
    return this.served;
  }

  /** Sends a request; resolves with the response head once it arrives (the body streams after). */
  request(req: HttpClientRequest): Promise<HttpClientResponse> {
    if (this.st !== 'idle') return Promise.reject(new NetlabError('ERR_STATE', `HttpClientConnection.request while ${this.st}`, { layer: 'http' }));
    const fields = toFields(req.fields);
    for (const f of fields) {
      const n = f.name.toLowerCase();
      if (n === 'content-length' || n === 'transfer-encoding') {
        return Promise.reject(new NetlabError('ERR_ARGUMENT', `${f.name} is written by the client from the body`, { layer: 'http' }));
      }
    }
    const body = typeof req.body === 'string' ? new Uint8Array(Buffer.from(req.body, 'utf8')) : req.body;
    if (body instanceof Uint8Array) {
      if (body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'].includes(req.method))
        fields.push({ name: 'Content-Length', value: String(body.length) });
    } else if (body !== undefined) {
      if (req.bodyLength !== undefined) {
        if (!Number.isSafeInteger(req.bodyLength) || req.bodyLength < 0) {
          return Promise.reject(new NetlabError('ERR_ARGUMENT', `bodyLength ${req.bodyLength} is not a length`, { layer: 'http' }));
        }
        fields.push({ name: 'Content-Length', value: String(req.bodyLength) });
      } else fields.push({ name: 'Transfer-Encoding', value: 'chunked' });
    }
    if (req.expectContinue === true && body !== undefined) fields.push({ name: 'Expect', value: '100-continue' });
    const connOpts = fieldValues(fields, 'connection')
      .flatMap(splitList)
      .map((o) => o.toLowerCase());
    let head: string;
    try {
      head = requestHeadText({
        method: req.method,
        target: req.target,
        fields,
      });
    } catch (err) {
      return Promise.reject(err);
    }
    this.st = 'busy';
    this.parser.expectResponse(req.method);
    return new Promise<HttpClientResponse>((resolve, reject) => {
      const ex: Exchange = {
        method: req.method,
        resolve,
        reject,
        interim: [],
        body: undefined,
        head: undefined,
        requestSent: false,
        requestKeepAlive: !connOpts.includes('close'),
        responseEnded: false,
        continueWaiter: undefined,
      };
      this.ex = ex;
      this.armTimer(this.opts.responseTimeoutMs ?? 30_000, 'no response head');
      // A string written as latin1: the socket makes the bytes itself (no Buffer made here).
      this.socket.write(head, 'latin1');
      if (body === undefined) {
        // No body (most GETs): the request is sent once its head is written; no promise chain.
        ex.requestSent = true;
        return;
      }
      void this.sendBody(ex, body, req.expectContinue === true, req.bodyLength).then(
        () => {
          ex.requestSent = true;
          this.maybeIdle(ex);
        },
        (err: unknown) => this.failExchange(ex, err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  private async sendBody(ex: Exchange, body: Uint8Array | AsyncIterable<Uint8Array> | undefined, waitContinue: boolean, length?: number): Promise<void> {
    if (body === undefined) return;
    if (waitContinue && ex.head === undefined && ex.interim.length === 0) {
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimer(() => {
          ex.continueWaiter = undefined;
          resolve();
        }, this.opts.continueTimeoutMs ?? 1000);
        ex.continueWaiter = () => {
          this.clock.clearTimer(t);
          resolve();
        };
      });
      // A final response came instead of 100: the server does not want the body.
      const got = ex.head as HttpResponseHead | undefined;
      if (got !== undefined && got.status >= 200) {
        ex.requestKeepAlive = false;
        return;
      }
    }
    if (body instanceof Uint8Array) {
      if (body.length > 0) await this.writeAndWait(body);
      return;
    }
    let sent = 0;
    for await (const part of body) {
      if (this.st === 'closed') throw new NetlabError('ERR_IO', 'connection closed while sending the request body', { layer: 'http' });
      if (part.length === 0) continue;
      sent += part.length;
      if (length === undefined) await this.writeAndWait(encodeChunk(part));
      else if (sent > length) throw new NetlabError('ERR_ARGUMENT', `request body longer than its bodyLength ${length}`, { layer: 'http' });
      else await this.writeAndWait(part);
    }
    if (length === undefined) await this.writeAndWait(encodeLastChunk());
    else if (sent !== length) throw new NetlabError('ERR_ARGUMENT', `request body of ${sent} bytes, bodyLength said ${length}`, { layer: 'http' });
  }

  private writeAndWait(bytes: Uint8Array): Promise<void> {
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('drain', () => resolve()));
  }

  /**
   * One read of an `onread` socket: `n` bytes at the start of `buffer`, which is reused after the
   * call. Returns nothing; the socket's pause() and resume() still hold and release reads.
   */
  received(n: number, buffer: Uint8Array): void {
    if (this.handedOver) {
      // The new owner reads the socket as any other.
      this.socket.emit('data', Buffer.from(buffer.subarray(0, n)));
      return;
    }
    const chunk = buffer.subarray(0, n);
    if (this.switched) {
      this.parser.push(chunk, true);
      return;
    }
    this.handle(this.parser.push(chunk, true));
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.switched) {
      this.parser.push(chunk);
      return;
    }
    this.handle(this.parser.push(chunk));
  };

  private readonly onEnd = (): void => {
    this.readEnded = true;
    if (this.switched) return;
    this.handle(this.parser.finish());
    const ex = this.ex;
    if (ex !== undefined && !ex.responseEnded) this.failExchange(ex, bodyError('the server closed the connection before the response ended', 'ERR_IO'));
    this.close();
  };

  private readonly onError = (err: Error): void => {
    const ex = this.ex;
    if (ex !== undefined)
      this.failExchange(
        ex,
        new NetlabError('ERR_IO', `connection error: ${err.message}`, {
          layer: 'http',
          cause: err,
        }),
      );
  };

  private readonly onClose = (): void => {
    const ex = this.ex;
    if (ex !== undefined && !ex.responseEnded)
      this.failExchange(ex, new NetlabError('ERR_IO', 'connection closed before the response ended', { layer: 'http' }));
    this.dropTimer();
    this.setState('closed');
  };

  private handle(events: HttpEvent[]): void {
    const ex = this.ex;
    for (const ev of events) {
      if (ex === undefined) {
        // Bytes nobody asked for: a server must not send a response without a request.
        if (ev.type !== 'end') this.destroy();
        return;
      }
      switch (ev.type) {
        case 'head': {
          const head = ev.head as HttpResponseHead;
          if (head.status < 200 && head.status !== 101) {
            ex.interim.push(head);
            if (head.status === 100) ex.continueWaiter?.();
            break;
          }
          this.clearTimer();
          ex.head = head;
          ex.continueWaiter?.();
          const body = new HttpBody(this.opts.bodyHighWaterBytes ?? 65536, {
            onBelowHighWater: () => this.socket.resume(),
          });
          ex.body = body;
          ex.resolve({ head, interim: ex.interim, body, rawFields: ev.raw });
          break;
        }
        case 'data':
          if (ex.head === undefined) break;
          ex.body?.push(ev.bytes);
          if (ex.body?.overHighWater === true) this.socket.pause();
          break;
        case 'trailers':
          ex.body?.setTrailers(ev.fields);
          break;
        case 'end':
          if (ex.head === undefined) break; // end of a 1xx
          ex.responseEnded = true;
          ex.body?.end();
          this.served++;
          // A 101 or 2xx to CONNECT is followed by 'paused': the socket is handed over, not reused.
          if (ex.head.status === 101 || (ex.method === 'CONNECT' && ex.head.status < 300)) break;
          this.maybeIdle(ex);
          break;
        case 'paused':
          // 101 or 2xx to CONNECT: HTTP is over on this connection; the caller takes the socket (takeOver).
          this.switched = true;
          this.ex = undefined;
          this.dropTimer();
          this.setState('closed');
          return;
        case 'error':
          this.failExchange(
            ex,
            new NetlabError('ERR_MALFORMED', `bad response: ${ev.verdict.code}: ${ev.verdict.message}`, { layer: 'http', offset: ev.verdict.offset }),
          );
          return;
      }
    }
  }

  private maybeIdle(ex: Exchange): void {
    if (this.ex !== ex || !ex.responseEnded || !ex.requestSent) return;
    this.ex = undefined;
    const reusable = ex.head?.keepAlive && ex.requestKeepAlive && !this.readEnded && this.parser.state === 'start';
    if (reusable) this.setState('idle');
    else this.close();
  }

  private failExchange(ex: Exchange, err: Error): void {
    if (this.ex !== ex) return;
    this.ex = undefined;
    this.clearTimer();
    if (ex.head === undefined) ex.reject(err);
    else ex.body?.fail(err);
    this.destroy();
  }

  // One timer serves every exchange and is re-armed lazily: a busy keep-alive connection moves the
  // deadline forward instead of creating and cancelling a timer per request. A timer that fires before
  // the deadline (it was set for an earlier one) re-arms itself for the rest.
  private armTimer(ms: number, what: string): void {
    const at = this.clock.now() + ms;
    this.deadline = at;
    this.deadlineMs = ms;
    this.deadlineWhat = what;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimer(this.onTimer, ms);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.deadline === 0) return;
    const now = this.clock.now();
    if (now < this.deadline) {
      this.timerAt = this.deadline;
      this.timer = this.clock.setTimer(this.onTimer, this.deadline - now);
      return;
    }
    const ms = this.deadlineMs;
    this.deadline = 0;
    const ex = this.ex;
    if (ex !== undefined)
      this.failExchange(
        ex,
        new NetlabError('ERR_TIMEOUT', `${this.deadlineWhat} within ${ms} ms`, {
          layer: 'http',
        }),
      );
  };

  /** No deadline now (the timer, if armed, finds none when it fires). */
  private clearTimer(): void {
    this.deadline = 0;
  }

  /** The connection is over: the timer goes too. */
  private dropTimer(): void {
    this.deadline = 0;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private setState(st: HttpClientConnectionState): void {
    if (this.st === st) return;
    if (this.st === 'closed') return;
    this.st = st;
    this.opts.onStateChange?.(this);
  }

  /** After a 101 (or 2xx to CONNECT): the socket, and the bytes read past the response head. */
  takeOver(): { socket: Socket; rest: Uint8Array } {
    if (!this.switched) throw new NetlabError('ERR_STATE', 'takeOver: no 101 or 2xx-to-CONNECT response', { layer: 'http' });
    this.socket.off('data', this.onData);
    this.handedOver = true;
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    return { socket: this.socket, rest: this.parser.detach() };
  }

  /** Ends the connection politely (FIN). */
  close(): void {
    this.dropTimer();
    if (!this.socket.destroyed) this.socket.end();
    this.setState('closed');
  }

  destroy(): void {
    this.dropTimer();
    this.socket.destroy();
    this.setState('closed');
  }
}
