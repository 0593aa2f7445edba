// A FIFO of byte chunks for the incremental capture parser.
//
// Chunks arrive as the file is read; the parser asks for the first n bytes as one contiguous view
// (`peek`), then consumes them (`skip`). Only the bytes of the record being parsed stay buffered, so a
// reader holds at most one record plus one read chunk, whatever the file size. `discard` drops bytes
// that may not have arrived yet (a block being skipped), so skipped blocks are never buffered at all.

import { NetlabRangeError } from '../base/errors.ts';

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private buffered = 0;
  /** Bytes still to drop from data not yet pushed (see `discard`). */
  private pendingDiscard = 0;
  private consumed = 0;

  /** Bytes available to peek (not counting bytes still owed to a discard). */
  get length(): number {
    return this.buffered;
  }

  /** Absolute position (bytes from the start of the stream) of the next byte to be consumed. */
  get offset(): number {
    return this.consumed;
  }

  /** True while a `discard` is still waiting for bytes to arrive. */
  get discarding(): boolean {
    return this.pendingDiscard > 0;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let c = chunk;
    if (this.pendingDiscard > 0) {
      const drop = Math.min(this.pendingDiscard, c.length);
      this.pendingDiscard -= drop;
      this.consumed += drop;
      if (drop === c.length) return;
      c = c.subarray(drop);
    }
    this.chunks.push(c);
    this.buffered += c.length;
  }

  /** The first n bytes as one view (n <= length). Copies only when they span several chunks. */
  peek(n: number): Uint8Array {
    if (n > this.buffered) throw new NetlabRangeError(`peek(${n}) with only ${this.buffered} bytes buffered`);
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    // Coalesce the chunks that hold the n bytes into one, so later peeks of the same record are free.
    const joined = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length - this.head, n - filled);
      joined.set(c.subarray(this.head, this.head + take), filled);
      filled += take;
      if (this.head + take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(this.head + take);
      this.head = 0;
    }
    this.chunks.unshift(joined);
    return joined;
  }

  /** Consumes n buffered bytes (n <= length). */
  skip(n: number): void {
    if (n > this.buffered) throw new NetlabRangeError(`skip(${n}) with only ${this.buffered} bytes buffered`);
    this.buffered -= n;
    this.consumed += n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      const avail = c.length - this.head;
      if (avail > left) {
        this.head += left;
        return;
      }
      left -= avail;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Consumes n bytes, some of which may not have arrived yet; those are dropped as they arrive. */
  discard(n: number): void {
    const now = Math.min(n, this.buffered);
    this.skip(now);
    this.pendingDiscard += n - now;
  }
}
