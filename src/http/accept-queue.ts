// What an HTTP server does with connections above its maxConnections, the way HAProxy's maxconn does:
// they wait, paused (nothing read from them), in a bounded first-in first-out queue, and the first
// one takes the slot a closing connection frees. A connection that waited `timeoutMs`, or that came
// when `maxQueued` were already waiting, is answered 503 with Retry-After and Connection: close
// (never a bare close: the client learns why). Counters say how many waited, were served after
// waiting, or were refused and why; `onEvent` tells each as it happens.

import type { Socket } from 'node:net';
import { NetlabRangeError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';

export interface AcceptQueueOptions {
  /** Connections served at once. */
  readonly maxConnections: number;
  /** Connections waiting at most (0: refuse at once above maxConnections). Default 1024. */
  readonly maxQueued?: number;
  /** Longest wait for a slot before the 503. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** The Retry-After seconds of the 503. Default 1. */
  readonly retryAfterS?: number;
  readonly clock?: NetClock;
  readonly onEvent?: (e: AcceptQueueEvent) => void;
}

export type AcceptQueueEvent =
  | { readonly type: 'queued'; readonly waiting: number }
  | { readonly type: 'dequeued'; readonly waitedMs: number }
  | { readonly type: 'refused'; readonly reason: 'queue-full' | 'queue-timeout' | 'closing' };

export interface AcceptQueueStats {
  /** Connections that had to wait. */
  queued: number;
  /** ...and were then served. */
  servedAfterWait: number;
  /** Answered 503: the queue was full, the wait too long, or the server closing. */
  refusedFull: number;
  refusedTimeout: number;
  refusedClosing: number;
  /** Most connections waiting at once. */
  maxWaiting: number;
}

interface Waiter {
  readonly socket: Socket;
  readonly since: number;
  readonly timer: TimerHandle;
  readonly onClose: () => void;
}

/** Time a refused client gets to read the 503 before its socket is destroyed. */
const LINGER_MS = 1000;

export class AcceptQueue {
  readonly maxConnections: number;
  readonly maxQueued: number;
  readonly timeoutMs: number;
  readonly retryAfterS: number;
  readonly stats: AcceptQueueStats = { queued: 0, servedAfterWait: 0, refusedFull: 0, refusedTimeout: 0, refusedClosing: 0, maxWaiting: 0 };
  private readonly clock: NetClock;
  private readonly onEvent: AcceptQueueOptions['onEvent'];
  private readonly waiting: Waiter[] = [];
  private readonly lingering = new Set<{ socket: Socket; timer: TimerHandle }>();
  private open = 0;
  private closing = false;

  /** `serve` takes each connection given a slot (at once, or after its wait). */
  constructor(
    options: AcceptQueueOptions,
    private readonly serve: (socket: Socket) => void,
  ) {
    const whole = (key: string, v: number, min: number): number => {
      if (!(Number.isInteger(v) && v >= min)) throw new NetlabRangeError(`HTTP server ${key} must be an integer >= ${min}, got ${v}`, { layer: 'http' });
      return v;
    };
    this.maxConnections = whole('maxConnections', options.maxConnections, 1);
    this.maxQueued = whole('maxQueued', options.maxQueued ?? 1024, 0);
    this.timeoutMs = whole('queueTimeoutMs', options.timeoutMs ?? 5000, 1);
    this.retryAfterS = whole('retryAfterS', options.retryAfterS ?? 1, 0);
    this.clock = options.clock ?? realClock();
    this.onEvent = options.onEvent;
  }

  /** Connections holding a slot now. */
  get active(): number {
    return this.open;
  }

  /** Connections waiting now. */
  get queueLength(): number {
    return this.waiting.length;
  }

  /** A new connection: served, queued, or refused. */
  accept(socket: Socket): void {
    if (this.closing) {
      this.refuse(socket, 'closing');
      return;
    }
    if (this.open < this.maxConnections) {
      this.admit(socket);
      return;
    }
    if (this.waiting.length >= this.maxQueued) {
      this.refuse(socket, 'queue-full');
      return;
    }
    socket.pause();
    socket.on('error', () => undefined);
    const since = this.clock.now();
    const w: Waiter = {
      socket,
      since,
      timer: this.clock.setTimer(() => {
        this.remove(w);
        this.refuse(socket, 'queue-timeout');
      }, this.timeoutMs),
      // A client that gives up while waiting leaves the queue.
      onClose: () => this.remove(w),
    };
    socket.once('close', w.onClose);
    this.waiting.push(w);
    this.stats.queued++;
    this.stats.maxWaiting = Math.max(this.stats.maxWaiting, this.waiting.length);
    this.onEvent?.({ type: 'queued', waiting: this.waiting.length });
  }

  private admit(socket: Socket): void {
    this.open++;
    let freed = false;
    socket.once('close', () => {
      if (freed) return;
      freed = true;
      this.open--;
      this.next();
    });
    this.serve(socket);
  }

  /** A slot freed: the connection that waited longest takes it. */
  private next(): void {
    while (this.open < this.maxConnections && this.waiting.length > 0) {
      const w = this.waiting.shift() as Waiter;
      this.clock.clearTimer(w.timer);
      w.socket.off('close', w.onClose);
      if (w.socket.destroyed) continue;
      this.stats.servedAfterWait++;
      this.onEvent?.({ type: 'dequeued', waitedMs: this.clock.now() - w.since });
      this.admit(w.socket);
      // Paused by the queue: what the client sent meanwhile is read now, by its new reader.
      w.socket.resume();
    }
  }

  private remove(w: Waiter): void {
    const i = this.waiting.indexOf(w);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    this.clock.clearTimer(w.timer);
    w.socket.off('close', w.onClose);
  }

  /** 503, Retry-After, Connection: close; what the client sent is read and dropped, then the socket ends. */
  private refuse(socket: Socket, reason: 'queue-full' | 'queue-timeout' | 'closing'): void {
    if (reason === 'queue-full') this.stats.refusedFull++;
    else if (reason === 'queue-timeout') this.stats.refusedTimeout++;
    else this.stats.refusedClosing++;
    this.onEvent?.({ type: 'refused', reason });
    socket.on('error', () => undefined);
    if (socket.destroyed) return;
    const why =
      reason === 'queue-full'
        ? `${this.maxConnections} connections are being served and ${this.maxQueued} are waiting`
        : reason === 'queue-timeout'
          ? `no connection slot freed within ${this.timeoutMs} ms (${this.maxConnections} served at once)`
          : 'the server is closing';
    const body = `503 Service Unavailable: ${why}\n`;
    socket.write(
      `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Retry-After: ${this.retryAfterS}\r\nConnection: close\r\n\r\n${body}`,
    );
    // Reading what the client sent (and dropping it) lets the kernel send our FIN, not a RST that could
    // overtake the answer; a client that never closes is cut after LINGER_MS.
    socket.on('data', () => undefined);
    socket.resume();
    socket.end();
    const entry = { socket, timer: this.clock.setTimer(() => socket.destroy(), LINGER_MS) };
    this.lingering.add(entry);
    socket.once('close', () => {
      this.clock.clearTimer(entry.timer);
      this.lingering.delete(entry);
    });
  }

  /** The server closes: every waiting connection is answered 503 (no new ones are taken). */
  close(): void {
    this.closing = true;
    for (const w of this.waiting.splice(0)) {
      this.clock.clearTimer(w.timer);
      w.socket.off('close', w.onClose);
      this.refuse(w.socket, 'closing');
    }
  }

  /** Destroys the refused sockets still lingering (the end of a close). */
  destroyLingering(): void {
    for (const e of this.lingering) {
      this.clock.clearTimer(e.timer);
      e.socket.destroy();
    }
    this.lingering.clear();
  }
}
