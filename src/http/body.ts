// A message body as it arrives: bytes queue up until read; the connection stops reading the socket
// while more than a high-water mark waits here (backpressure) and resumes as the reader catches up.
// Read it with `for await`, or all at once with bytes()/text(). A body that ends on a parser verdict
// or a lost connection rejects its reader with that error.

import { NetlabError } from '../base/errors.ts';
import type { HttpField } from '../wire/http.ts';

export interface HttpBodyHooks {
  /** The first time someone reads (100-continue is sent then). */
  readonly onFirstRead?: () => void;
  /** Queued bytes went from above the high-water mark to at or below it. */
  readonly onBelowHighWater?: () => void;
}

export class HttpBody implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private receivedBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private discarding = false;
  private readStarted = false;
  private wake: (() => void) | undefined;
  private trailerFields: readonly HttpField[] = [];
  private readonly hooks: HttpBodyHooks;
  readonly highWater: number;

  constructor(highWater = 65536, hooks: HttpBodyHooks = {}) {
    this.highWater = highWater;
    this.hooks = hooks;
  }

  /** Bytes waiting to be read. */
  get queued(): number {
    return this.queuedBytes;
  }

  /** Bytes received so far (read or not). */
  get received(): number {
    return this.receivedBytes;
  }

  /** The whole body arrived (not necessarily read). */
  get complete(): boolean {
    return this.ended && this.failure === undefined;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** The body ended one way or the other. */
  get settled(): boolean {
    return this.ended || this.failure !== undefined;
  }

  get readStartedYet(): boolean {
    return this.readStarted;
  }

  /** Trailer fields of a chunked body (empty until the body ends). */
  get trailers(): readonly HttpField[] {
    return this.trailerFields;
  }

  /** True when the connection should stop reading (more than highWater waits unread). */
  get overHighWater(): boolean {
    return this.queuedBytes > this.highWater;
  }

  push(bytes: Uint8Array): void {
    if (this.settled) return;
    this.receivedBytes += bytes.length;
    if (this.discarding) return;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.notify();
  }

  setTrailers(fields: readonly HttpField[]): void {
    this.trailerFields = fields;
  }

  end(): void {
    if (this.settled) return;
    this.ended = true;
    this.notify();
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.failure = err;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.notify();
  }

  /** The reader does not want the body: drop what is queued and what still comes. */
  discard(): void {
    this.discarding = true;
    this.queue.length = 0;
    const was = this.queuedBytes;
    this.queuedBytes = 0;
    if (was > this.highWater) this.hooks.onBelowHighWater?.();
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private markRead(): void {
    if (!this.readStarted) {
      this.readStarted = true;
      this.hooks.onFirstRead?.();
    }
  }

  /**
   * The whole body at once when it has already arrived (ended, not failed, nobody reading it yet):
   * its chunks, taken as a read would take them; undefined otherwise (then iterate). A proxy relaying a
   * small response uses it to skip the async iteration (a promise per chunk) on its hot path.
   */
  takeComplete(): Uint8Array[] | undefined {
    if (!this.ended || this.failure !== undefined || this.readStarted || this.discarding) return undefined;
    this.markRead();
    const wasOver = this.overHighWater;
    const out = this.queue.splice(0);
    this.queuedBytes = 0;
    if (wasOver) this.hooks.onBelowHighWater?.();
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.markRead();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.queue.shift();
      if (next !== undefined) {
        const wasOver = this.overHighWater;
        this.queuedBytes -= next.length;
        if (wasOver && !this.overHighWater) this.hooks.onBelowHighWater?.();
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The whole body. Rejects with the verdict's error if the message broke off. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const p of this) {
      parts.push(p);
      n += p.length;
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  async text(): Promise<string> {
    return Buffer.from(await this.bytes()).toString('utf8');
  }
}

/** The error a body reader sees when the message broke off. */
export function bodyError(message: string, code: 'ERR_MALFORMED' | 'ERR_IO' | 'ERR_LIMIT' | 'ERR_TIMEOUT' = 'ERR_MALFORMED'): NetlabError {
  return new NetlabError(code, message, { layer: 'http' });
}
