// Joining two TCP sockets both ways with TCP's own semantics:
//  - half-close: a FIN from one side becomes end() on the other, and the other direction keeps
//    flowing until it ends too (both sockets are made with allowHalfOpen);
//  - a reset from one side becomes a reset on the other (resetAndDestroy sends RST, not FIN);
//  - backpressure: when a write is refused (write() returns false) the reading side is paused until
//    the writing side drains, so the balancer never holds more than the sockets' own buffers;
//  - idle timeout: no byte either way for idleMs ends both with a reset.
// The Splice reports how it ended once both sockets are closed.

import type { Socket } from 'node:net';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';

export type SpliceEnd = 'closed' | 'client_reset' | 'upstream_reset' | 'idle_timeout' | 'aborted';

export interface SpliceResult {
  readonly end: SpliceEnd;
  /** Client to upstream. */
  readonly bytesUp: number;
  /** Upstream to client. */
  readonly bytesDown: number;
}

export interface SpliceOptions {
  readonly clock: NetClock;
  /** 0 or undefined: no idle timeout. */
  readonly idleMs?: number;
  /** The first byte from the upstream arrived. */
  readonly onFirstByte?: () => void;
}

function isReset(err: Error | undefined): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}

export class Splice {
  bytesUp = 0;
  bytesDown = 0;
  /** Times a direction was paused because the other side's buffer was full. */
  pauses = 0;
  private end: SpliceEnd | undefined;
  private lastActivity: number;
  private idleTimer: TimerHandle | undefined;
  private closed = 0;
  readonly done: Promise<SpliceResult>;
  private resolve!: (r: SpliceResult) => void;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly options: SpliceOptions,
  ) {
    this.lastActivity = options.clock.now();
    this.done = new Promise((r) => {
      this.resolve = r;
    });
    this.pipe(client, upstream, 'up');
    this.pipe(upstream, client, 'down');
    this.armIdle();
  }

  /** Bytes the balancer holds in its socket buffers now (what backpressure keeps bounded). */
  get buffered(): number {
    return this.client.writableLength + this.upstream.writableLength + this.client.readableLength + this.upstream.readableLength;
  }

  private pipe(from: Socket, to: Socket, dir: 'up' | 'down'): void {
    let first = true;
    from.on('data', (chunk: Buffer) => {
      this.lastActivity = this.options.clock.now();
      if (dir === 'up') this.bytesUp += chunk.length;
      else {
        this.bytesDown += chunk.length;
        if (first) {
          first = false;
          this.options.onFirstByte?.();
        }
      }
      if (!to.destroyed && !to.write(chunk)) {
        this.pauses++;
        from.pause();
      }
    });
    to.on('drain', () => {
      if (!from.destroyed) from.resume();
    });
    from.on('end', () => {
      // The peer sent FIN: pass it on; the other direction stays open.
      if (!to.destroyed) to.end();
    });
    from.on('error', (err: Error) => {
      const reset = isReset(err);
      this.finish(reset ? (dir === 'up' ? 'client_reset' : 'upstream_reset') : 'aborted');
      if (!to.destroyed) to.resetAndDestroy();
    });
    from.on('close', () => {
      this.closed++;
      // A socket that closed without error after both FINs: close the other when it is done too.
      if (this.closed === 2) {
        this.finish('closed');
        this.settle();
      } else if (to.writableEnded && to.readableEnded && !to.destroyed) {
        to.destroy();
      }
    });
  }

  private finish(end: SpliceEnd): void {
    if (this.end === undefined) this.end = end;
  }

  private settle(): void {
    if (this.idleTimer !== undefined) this.options.clock.clearTimer(this.idleTimer);
    this.idleTimer = undefined;
    this.resolve({ end: this.end ?? 'closed', bytesUp: this.bytesUp, bytesDown: this.bytesDown });
  }

  private armIdle(): void {
    const idle = this.options.idleMs ?? 0;
    if (idle <= 0) return;
    const due = this.lastActivity + idle;
    this.idleTimer = this.options.clock.setTimer(
      () => {
        this.idleTimer = undefined;
        if (this.closed === 2) return;
        if (this.options.clock.now() - this.lastActivity >= idle) {
          this.abort('idle_timeout');
        } else {
          this.armIdle();
        }
      },
      Math.max(1, due - this.options.clock.now()),
    );
  }

  /** Ends both sides with a reset. */
  abort(reason: SpliceEnd = 'aborted'): void {
    this.finish(reason);
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }
}
