// Joining two TCP sockets both ways with TCP's own semantics:
//  - half-close: a FIN from one side becomes end() on the other, and the other direction keeps
//    flowing until it ends too (both sockets are made with allowHalfOpen);
//  - a reset from one side becomes a reset on the other (resetAndDestroy sends RST, not FIN);
//  - backpressure: when a write is refused (write() returns false) the reading side is paused until
//    the writing side drains, so the balancer never holds more than the sockets' own buffers;
//  - idle time: every byte either way moves `lastActivity`; the owner (the TcpBalancer's sweep) ends an
//    idle splice with abort('idle_timeout'), so a connection costs no timer of its own.
// The Splice reports how it ended (onDone) once both sockets are closed.

import type { Socket } from 'node:net';
import type { NetClock } from '../base/timer-clock.ts';

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
  /** The first byte from the upstream arrived. */
  readonly onFirstByte?: () => void;
  /** Both sockets are closed: how the splice ended. */
  readonly onDone: (result: SpliceResult) => void;
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
  /** clock.now() of the last byte either way (or of the start). */
  lastActivity: number;
  private end: SpliceEnd | undefined;
  private closed = 0;
  private firstDown = true;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly options: SpliceOptions,
  ) {
    this.lastActivity = options.clock.now();
    this.pipe(client, upstream, true);
    this.pipe(upstream, client, false);
  }

  /** Bytes the balancer holds in its socket buffers now (what backpressure keeps bounded). */
  get buffered(): number {
    return this.client.writableLength + this.upstream.writableLength + this.client.readableLength + this.upstream.readableLength;
  }

  /** True once both sockets are closed. */
  get settled(): boolean {
    return this.closed === 2;
  }

  private pipe(from: Socket, to: Socket, up: boolean): void {
    const resume = (): void => {
      if (!from.destroyed) from.resume();
    };
    from.on('data', (chunk: Buffer) => {
      this.lastActivity = this.options.clock.now();
      if (up) this.bytesUp += chunk.length;
      else {
        this.bytesDown += chunk.length;
        if (this.firstDown) {
          this.firstDown = false;
          this.options.onFirstByte?.();
        }
      }
      if (!to.destroyed && !to.write(chunk)) {
        // Backpressure: stop reading until the other side's buffer drains (one listener at a time:
        // nothing is written to `to` from this side while `from` is paused).
        this.pauses++;
        from.pause();
        to.once('drain', resume);
      }
    });
    from.on('end', () => {
      // The peer sent FIN: pass it on; the other direction stays open.
      if (!to.destroyed) to.end();
    });
    from.on('error', (err: Error) => {
      this.finish(isReset(err) ? (up ? 'client_reset' : 'upstream_reset') : 'aborted');
      if (!to.destroyed) to.resetAndDestroy();
    });
    from.on('close', () => {
      this.closed++;
      // A socket that closed without error after both FINs: close the other when it is done too.
      if (this.closed === 2) {
        this.finish('closed');
        this.options.onDone({ end: this.end ?? 'closed', bytesUp: this.bytesUp, bytesDown: this.bytesDown });
      } else if (to.writableEnded && to.readableEnded && !to.destroyed) {
        to.destroy();
      }
    });
  }

  private finish(end: SpliceEnd): void {
    if (this.end === undefined) this.end = end;
  }

  /** Ends both sides with a reset. */
  abort(reason: SpliceEnd = 'aborted'): void {
    this.finish(reason);
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }
}
