// What the HTTP/2 front checks in the client's bytes before nghttp2 reads them: the field values of
// every header block. RFC 9113 §8.2.1 makes a request whose field value holds CR, LF or NUL, or starts
// or ends with SP or HTAB, malformed (a stream error of type PROTOCOL_ERROR). nghttp2 sees those
// fields, but node:http2 (Node 20) tells it to drop them and go on, so the request would be forwarded
// without the field. The guard reads the frames (after the 24-byte preface), decodes each header block
// (HEADERS + CONTINUATION) with its own HPACK decoder and remembers which streams carried such a value;
// the front resets those streams before the proxy sees them. The guard only reads: the bytes go on to
// nghttp2 unchanged, and a header block it cannot decode (nghttp2 then ends the connection with
// COMPRESSION_ERROR) stops the checking for that connection.

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { HpackDecoder } from '../wire/hpack.ts';
import { badFieldValue } from './h2-map.ts';

const PREFACE_BYTES = 24;
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** A header block larger than this is not checked (nghttp2's header list limit refuses it anyway). */
const MAX_BLOCK_BYTES = 256 * 1024;

export class H2FieldGuard {
  private readonly decoder = new HpackDecoder();
  private skip = PREFACE_BYTES;
  private head = Buffer.alloc(0);
  /** Bytes of the current frame's payload still to come, and whether they are kept. */
  private payloadLeft = 0;
  private keep: Buffer[] | undefined;
  private frame = { type: 0, flags: 0, stream: 0 };
  private block: Buffer[] = [];
  private blockBytes = 0;
  private blockStream = 0;
  private inBlock = false;
  private stopped = false;
  /** Streams refused so far, with the reason (the front reads and deletes them). */
  readonly bad = new Map<number, string>();
  /** Why checking stopped, when it did. */
  stopReason: string | undefined;

  /** Reads one chunk of the client's bytes (in order). */
  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - off);
        this.keep?.push(chunk.subarray(off, off + n));
        this.payloadLeft -= n;
        off += n;
        if (this.payloadLeft === 0) this.endFrame();
        continue;
      }
      const need = 9 - this.head.length;
      const take = chunk.subarray(off, off + need);
      this.head = this.head.length === 0 ? Buffer.from(take) : Buffer.concat([this.head, take]);
      off += take.length;
      if (this.head.length < 9) continue;
      const len = this.head.readUIntBE(0, 3);
      this.frame = { type: this.head[3], flags: this.head[4], stream: this.head.readUInt32BE(5) & 0x7fffffff };
      this.head = Buffer.alloc(0);
      const kept = this.frame.type === HEADERS || this.frame.type === CONTINUATION;
      this.keep = kept ? [] : undefined;
      this.payloadLeft = len;
      if (len === 0) this.endFrame();
    }
  }

  private stop(reason: string): void {
    this.stopped = true;
    this.stopReason = reason;
    this.block = [];
  }

  private endFrame(): void {
    const f = this.frame;
    const keep = this.keep;
    this.keep = undefined;
    if (keep === undefined) return;
    let payload = keep.length === 1 ? keep[0] : Buffer.concat(keep);
    if (f.type === HEADERS) {
      if (this.inBlock) return this.stop('a HEADERS frame inside a header block');
      let start = 0;
      let end = payload.length;
      if (f.flags & PADDED) {
        if (payload.length < 1) return this.stop('a padded HEADERS frame without its pad length');
        end -= payload[0];
        start = 1;
      }
      if (f.flags & PRIORITY) start += 5;
      if (start > end) return this.stop('a HEADERS frame shorter than its padding and priority');
      payload = payload.subarray(start, end);
      this.blockStream = f.stream;
      this.inBlock = true;
    } else if (!this.inBlock) return this.stop('a CONTINUATION frame outside a header block');
    this.block.push(Buffer.from(payload));
    this.blockBytes += payload.length;
    if (this.blockBytes > MAX_BLOCK_BYTES) return this.stop(`a header block over ${MAX_BLOCK_BYTES} bytes`);
    if ((f.flags & END_HEADERS) === 0) return;
    this.inBlock = false;
    const whole = Buffer.concat(this.block);
    this.block = [];
    this.blockBytes = 0;
    const r = this.decoder.decode(whole);
    if (!r.ok) return this.stop(r.reason);
    if (this.bad.has(this.blockStream)) return;
    for (const [name, value] of r.fields) {
      const why = badFieldValue(name, value);
      if (why !== undefined) {
        this.bad.set(this.blockStream, why);
        return;
      }
    }
  }
}

/**
 * The socket as node:http2 will see it: every byte the client sends passes through `guard` on its way
 * in; writes go straight to the socket. (node:http2 reads a Duplex that is not a socket through its
 * JavaScript stream wrapper.)
 */
export class GuardedSocket extends Duplex {
  constructor(
    readonly socket: Socket,
    readonly guard: H2FieldGuard,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      guard.feed(chunk);
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.socket.destroyed) return cb(new Error('the socket is closed'));
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.socket.destroy();
    cb(e);
  }

  setNoDelay(v?: boolean): this {
    this.socket.setNoDelay(v);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
}
