// The application's side of a virtual TCP connection, shaped like Node's net.Socket so lab code reads
// like ordinary Node code:
//
//   const s = host.tcp.connect({ host: '10.0.0.2', port: 80 });
//   s.on('connect', () => s.end('GET / HTTP/1.0\r\n\r\n'));
//   s.on('data', (b) => ...); s.on('end', () => ...); s.on('close', (hadError) => ...);
//
// Events: 'connect' (active open done), 'data' (Buffer), 'end' (the peer's FIN, after its data),
// 'drain' (buffered bytes fell under the high-water mark after write() returned false), 'error'
// (NetsimError: ECONNREFUSED, ECONNRESET, ETIMEDOUT), 'close' (hadError), and for labs 'state'
// ({from, to, time}) on each state change and 'congestion' (CongestionEvent) on each cwnd/ssthresh
// change. As in Node, data flows once a 'data' listener is added (or resume() is called), and
// pause() stops it: unread bytes stay in the receive buffer and the offered window shrinks, which is
// how a lab makes a slow reader.
//
// Where it differs from Node: a write after end() or past the send buffer limit throws (EPIPE,
// ENOBUFS) instead of emitting 'error' later; an error with no 'error' listener is kept in
// `socket.error` instead of being thrown out of the packet path; a write's callback runs when its
// last byte has been sent once (handed to the network), which is what Node's "flushed" means here.

import { EventEmitter } from 'node:events';
import { NetsimError } from '../host-errors.ts';
import type { CongestionEvent } from './congestion.ts';
import type { Connection, TcpConnectionInfo } from './connection.ts';
import type { TcpState } from './state.ts';

export interface TcpStateChange {
  from: TcpState;
  to: TcpState;
  /** Host clock, ms. */
  time: number;
}

export interface VirtualTcpSocketEvents {
  connect: [];
  data: [Buffer];
  end: [];
  drain: [];
  error: [NetsimError];
  close: [boolean];
  state: [TcpStateChange];
  congestion: [CongestionEvent];
}

type WriteCallback = (error?: Error | null) => void;

function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export class VirtualTcpSocket extends EventEmitter {
  /** The error that ended the connection, if one did. */
  error: NetsimError | undefined;
  private flowing: boolean | null = null;
  private endEmitted = false;
  private closeEmitted = false;
  private closeWaiting: boolean | undefined;
  private needDrain = false;
  private bytesReadTotal = 0;
  private readonly writeCallbacks: { end: number; cb: WriteCallback }[] = [];

  constructor(
    private readonly conn: Connection,
    private readonly highWaterMark: number,
    private readonly now: () => number,
  ) {
    super();
    conn.events = {
      connect: () => this.emit('connect'),
      readable: () => this.deliver(),
      end: () => this.deliver(),
      progress: () => this.progress(),
      close: (error) => this.closed(error),
      state: (from, to) => this.emit('state', { from, to, time: this.now() }),
      congestion: (e) => this.emit('congestion', e),
    };
  }

  // Node's stream switches to flowing when a 'data' listener is added.
  override on(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    super.on(event, listener);
    if (event === 'data' && this.flowing === null) this.resume();
    return this;
  }

  override addListener(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    return this.on(event, listener);
  }

  get remoteAddress(): string {
    return ipText(this.conn.remoteAddress);
  }

  get remotePort(): number {
    return this.conn.remotePort;
  }

  get localAddress(): string {
    return ipText(this.conn.localAddress);
  }

  get localPort(): number {
    return this.conn.localPort;
  }

  /** As net.Socket.address(): the local end. */
  address(): { address: string; port: number; family: 'IPv4' } {
    return { address: this.localAddress, port: this.localPort, family: 'IPv4' };
  }

  /** The RFC 9293 state. */
  get state(): TcpState {
    return this.conn.state;
  }

  /** Node's readyState: 'opening', 'open', 'readOnly' (we ended), 'writeOnly' (the peer ended), 'closed'. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    const s = this.conn.state;
    if (s === 'CLOSED' || s === 'TIME-WAIT') return 'closed';
    if (s === 'SYN-SENT' || s === 'SYN-RECEIVED') return 'opening';
    const weEnded = this.conn.finQueued;
    const theyEnded = this.conn.peerFinished;
    if (weEnded && theyEnded) return 'closed';
    if (weEnded) return 'readOnly';
    if (theyEnded) return 'writeOnly';
    return 'open';
  }

  /** Bytes buffered to send: not yet sent, or sent and not acknowledged. */
  get bufferSize(): number {
    return this.conn.sendBuf.length;
  }

  get writableLength(): number {
    return this.conn.sendBuf.length;
  }

  get writableHighWaterMark(): number {
    return this.highWaterMark;
  }

  /** Bytes sent at least once. */
  get bytesWritten(): number {
    return this.conn.sentTotal;
  }

  /** Bytes handed to 'data' listeners. */
  get bytesRead(): number {
    return this.bytesReadTotal;
  }

  /** Queues bytes to send. Returns false when the buffer is at or over the high-water mark (wait for 'drain'). */
  write(data: Uint8Array | string, encodingOrCb?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    const encoding = typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8';
    const bytes = typeof data === 'string' ? Buffer.from(data, encoding) : data;
    if (!(bytes instanceof Uint8Array)) throw new NetsimError('EINVAL', `write() takes a string or bytes, got ${typeof data}`);
    this.conn.write(Uint8Array.from(bytes));
    if (callback !== undefined) {
      this.writeCallbacks.push({ end: this.conn.writtenTotal, cb: callback });
      this.progress();
    }
    const ok = this.conn.sendBuf.length < this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Sends a FIN after the buffered data (optionally after writing `data`); reading goes on (half-close). */
  end(data?: Uint8Array | string | WriteCallback, cb?: WriteCallback): this {
    if (typeof data === 'function') cb = data;
    if (cb !== undefined) this.once('close', () => cb?.());
    if (data !== undefined && typeof data !== 'function') {
      // The data and the FIN together: the FIN may ride on the last segment.
      this.conn.write(typeof data === 'string' ? Buffer.from(data) : Uint8Array.from(data), true);
    } else this.conn.close();
    return this;
  }

  /** Aborts: a RST to the peer, every buffer dropped, 'close' now (with 'error' first when `error` is given). */
  destroy(error?: Error): this {
    if (error !== undefined) this.error = error instanceof NetsimError ? error : new NetsimError('ECONNRESET', error.message);
    this.conn.abort();
    this.conn.flush();
    if (!this.closeEmitted) this.closed(this.error);
    return this;
  }

  /** Nagle off (true) or on (false). */
  setNoDelay(noDelay = true): this {
    this.conn.setNoDelay(noDelay);
    return this;
  }

  /** Stops 'data' events; received bytes wait in the receive buffer and the window closes as it fills. */
  pause(): this {
    this.flowing = false;
    return this;
  }

  /** Starts 'data' events again, handing over what waited. */
  resume(): this {
    this.flowing = true;
    this.deliver();
    return this;
  }

  isPaused(): boolean {
    return this.flowing === false;
  }

  /** The connection's variables and counters (cwnd, SRTT, RTO, windows...). */
  info(): TcpConnectionInfo {
    return this.conn.info();
  }

  private deliver(): void {
    if (this.flowing === true && this.conn.recvBuf.readable > 0) {
      const bytes = this.conn.recvBuf.takeAll();
      this.bytesReadTotal += bytes.length;
      this.conn.windowOpened();
      this.emit('data', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    }
    if (this.conn.peerFinished && this.conn.recvBuf.readable === 0 && !this.endEmitted && this.flowing === true) {
      this.endEmitted = true;
      this.emit('end');
    }
    if (this.closeWaiting !== undefined && (this.endEmitted || !this.conn.peerFinished)) {
      const hadError = this.closeWaiting;
      this.closeWaiting = undefined;
      this.emitClose(hadError);
    }
  }

  private progress(): void {
    while (this.writeCallbacks.length > 0 && this.writeCallbacks[0].end <= this.conn.sentTotal) (this.writeCallbacks.shift() as { cb: WriteCallback }).cb(null);
    if (this.needDrain && this.conn.sendBuf.length < this.highWaterMark && this.conn.state !== 'CLOSED') {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  private closed(error: NetsimError | undefined): void {
    if (this.closeEmitted || this.closeWaiting !== undefined) return;
    if (error !== undefined) {
      this.error = error;
      for (const w of this.writeCallbacks.splice(0)) w.cb(error);
      if (this.listenerCount('error') > 0) this.emit('error', error);
      this.emitClose(true);
      return;
    }
    for (const w of this.writeCallbacks.splice(0)) w.cb(this.error ?? null);
    // A clean close waits until the application has read up to the peer's FIN ('end' before 'close').
    if (this.conn.peerFinished && !this.endEmitted && this.conn.recvBuf.readable > 0) {
      this.closeWaiting = this.error !== undefined;
      return;
    }
    if (this.conn.peerFinished && !this.endEmitted && this.flowing === true) {
      this.endEmitted = true;
      this.emit('end');
    }
    this.emitClose(this.error !== undefined);
  }

  private emitClose(hadError: boolean): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close', hadError);
  }
}
