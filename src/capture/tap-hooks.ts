// Where the socket tap listens. A process cannot sniff its own loopback traffic without root, so the
// tap watches the socket objects instead, without changing how they behave:
//
//   net.Socket   bytes out: the stream's _write/_writev (every byte the socket hands the kernel, also
//                from end(data) and pipes); bytes in: push() (what the socket read, before any
//                'data' listener, so flowing/paused mode is untouched); our FIN: _final (the
//                shutdown); the peer's FIN: push(null); errors and resets: _destroy(err).
//   dgram.Socket datagrams in: a 'message' listener; datagrams out: send().
//
// Each hook is an own property on that one socket object that calls the original; unhook() deletes
// it, so the prototype's method shows through again. No other socket is touched.

import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

export interface TcpHookEvents {
  /** The connection is established (at once for an accepted or already connected socket). */
  connected(): void;
  /** The socket handed these bytes to the kernel. */
  sent(bytes: Uint8Array): void;
  /** The socket read these bytes. */
  received(bytes: Uint8Array): void;
  /** This side shut down its sending half (FIN). */
  localFin(): void;
  /** The peer's FIN arrived (end of the readable side). */
  peerFin(): void;
  /**
   * The socket is being destroyed. `reset` says who reset the connection: 'local' (resetAndDestroy()
   * or destroy(err)), 'peer' (ECONNRESET/EPIPE), or null for an orderly destroy.
   */
  destroyed(reset: 'local' | 'peer' | null, err: Error | null): void;
}

type WriteCb = (err?: Error | null) => void;
interface WritevChunk {
  chunk: Buffer | string;
  encoding: BufferEncoding | 'buffer';
}

/** The stream internals the tap wraps (all documented Writable/Readable implementation hooks). */
interface SocketInternals {
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
  _write(chunk: Buffer | string, encoding: BufferEncoding | 'buffer', cb: WriteCb): void;
  _writev?(chunks: WritevChunk[], cb: WriteCb): void;
  _final(cb: WriteCb): void;
  _destroy(err: Error | null, cb: (err: Error | null) => void): void;
  /** Set by Node's resetAndDestroy() before it destroys the socket. */
  resetAndClosing?: boolean;
  connecting: boolean;
  pending: boolean;
}

function toBytes(chunk: unknown, encoding?: string): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') {
    const enc = encoding === undefined || encoding === 'buffer' ? 'utf8' : (encoding as BufferEncoding);
    return Buffer.from(chunk, enc);
  }
  return undefined;
}

const PEER_RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Watches a TCP socket. Returns unhook(). */
export function hookTcpSocket(socket: Socket, ev: TcpHookEvents): () => void {
  const s = socket as unknown as SocketInternals;
  const orig = {
    push: s.push,
    _write: s._write,
    _writev: s._writev,
    _final: s._final,
    _destroy: s._destroy,
  };
  let finSeen = false;
  const own: Partial<SocketInternals> = {
    push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null) ev.peerFin();
      else {
        const b = toBytes(chunk, encoding);
        if (b !== undefined && b.length > 0) ev.received(b);
      }
      return orig.push.call(socket, chunk, encoding);
    },
    _write(chunk: Buffer | string, encoding: BufferEncoding | 'buffer', cb: WriteCb): void {
      const b = toBytes(chunk, encoding);
      if (b !== undefined && b.length > 0) ev.sent(b);
      orig._write.call(socket, chunk, encoding, cb);
    },
    _final(cb: WriteCb): void {
      // Node calls _final again after 'connect' when end() came while connecting: record once, when real.
      if (!s.pending && !s.connecting && !finSeen) {
        finSeen = true;
        ev.localFin();
      }
      orig._final.call(socket, cb);
    },
    _destroy(err: Error | null, cb: (err: Error | null) => void): void {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const reset = s.resetAndClosing === true ? 'local' : err === null ? null : code !== undefined && PEER_RESET_CODES.has(code) ? 'peer' : 'local';
      ev.destroyed(reset, err);
      orig._destroy.call(socket, err, cb);
    },
  };
  if (orig._writev !== undefined) {
    const writev = orig._writev;
    own._writev = (chunks: WritevChunk[], cb: WriteCb): void => {
      for (const c of chunks) {
        const b = toBytes(c.chunk, c.encoding);
        if (b !== undefined && b.length > 0) ev.sent(b);
      }
      writev.call(socket, chunks, cb);
    };
  }
  const names = Object.keys(own) as (keyof SocketInternals)[];
  for (const name of names) {
    Object.defineProperty(socket, name, { value: own[name], configurable: true, writable: true, enumerable: false });
  }
  const onConnect = (): void => ev.connected();
  if (s.connecting || s.pending) socket.once('connect', onConnect);
  else ev.connected();
  return () => {
    socket.off('connect', onConnect);
    for (const name of names) delete (socket as unknown as Record<string, unknown>)[name];
  };
}

export interface UdpPeer {
  address: string;
  port: number;
}

export interface UdpHookEvents {
  sent(bytes: Uint8Array, to: UdpPeer): void;
  received(bytes: Uint8Array, from: UdpPeer): void;
}

type SendFn = (...args: unknown[]) => void;

function bytesOfMessage(msg: unknown): Uint8Array | undefined {
  if (Array.isArray(msg)) {
    const parts = msg.map((m) => bytesOfMessage(m));
    if (parts.some((p) => p === undefined)) return undefined;
    return Buffer.concat(parts as Uint8Array[]);
  }
  if (typeof msg === 'string') return Buffer.from(msg, 'utf8');
  if (ArrayBuffer.isView(msg)) return new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
  return undefined;
}

/** The destination host as an address: an IP literal as given, localhost and '' as loopback. */
function destinationAddress(host: unknown, family: 4 | 6): string {
  if (typeof host === 'string' && isIP(host) !== 0) return host;
  return family === 4 ? '127.0.0.1' : '::1';
}

/**
 * What send() was asked to send, following the argument forms Node documents:
 * send(msg[, offset, length][, port][, address][, callback]).
 */
export function parseSendArgs(args: readonly unknown[], connected: boolean, family: 4 | 6): { bytes: Uint8Array; to?: UdpPeer } | undefined {
  let msg = bytesOfMessage(args[0]);
  if (msg === undefined) return undefined;
  const [, a1, a2, a3, a4] = args;
  const sliceForm = typeof a1 === 'number' && typeof a2 === 'number' && (connected || a4 !== undefined || (a3 !== undefined && typeof a3 !== 'function'));
  let port: unknown;
  let address: unknown;
  if (sliceForm) {
    msg = msg.subarray(a1 as number, (a1 as number) + (a2 as number));
    port = a3;
    address = a4;
  } else {
    port = a1;
    address = a2;
  }
  if (connected) return { bytes: msg };
  if (typeof port !== 'number') return undefined;
  return { bytes: msg, to: { address: destinationAddress(address, family), port } };
}

/** Watches a UDP socket. Returns unhook(). */
export function hookUdpSocket(socket: DgramSocket, family: 4 | 6, ev: UdpHookEvents): () => void {
  const origSend = socket.send as unknown as SendFn;
  const queued: { bytes: Uint8Array; to?: UdpPeer }[] = [];
  const bound = (): boolean => {
    try {
      socket.address();
      return true;
    } catch {
      return false;
    }
  };
  const remote = (): UdpPeer | undefined => {
    try {
      const r = socket.remoteAddress();
      return { address: r.address, port: r.port };
    } catch {
      return undefined;
    }
  };
  const emitSent = (d: { bytes: Uint8Array; to?: UdpPeer }): void => {
    const to = d.to ?? remote();
    if (to !== undefined) ev.sent(d.bytes, to);
  };
  const onListening = (): void => {
    for (const d of queued.splice(0)) emitSent(d);
  };
  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => ev.received(msg, { address: rinfo.address, port: rinfo.port });
  const send: SendFn = function (this: unknown, ...args: unknown[]): void {
    const d = parseSendArgs(args, remote() !== undefined, family);
    if (d !== undefined) {
      // The copy is taken now: the caller may reuse its buffer once send() returns.
      const copy = { bytes: Uint8Array.from(d.bytes), to: d.to };
      if (bound()) emitSent(copy);
      else queued.push(copy);
    }
    origSend.apply(socket, args);
  };
  Object.defineProperty(socket, 'send', { value: send, configurable: true, writable: true, enumerable: false });
  socket.on('listening', onListening);
  socket.on('message', onMessage);
  return () => {
    socket.off('listening', onListening);
    socket.off('message', onMessage);
    delete (socket as unknown as Record<string, unknown>).send;
  };
}
