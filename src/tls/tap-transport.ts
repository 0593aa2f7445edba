// TLS on a tapped connection. A TLSSocket made over a net.Socket takes the socket's handle and reads
// and writes the kernel socket from C++, so the socket tap's stream hooks never see the ciphertext.
// Here TLS runs over a SocketRelay instead: a Duplex that is not a net.Socket, so Node puts its
// JSStreamSocket in between and every TLS byte passes through the net.Socket's JavaScript stream
// methods, where the tap records it.
//
// Order in the capture: Wireshark reads a capture front to back and can only decrypt a record whose
// keys came before it. TLS logs a key when it reads the message that lets it compute it (a client
// logs the handshake secrets on reading the ServerHello, a server the client's traffic secret on
// reading its Finished), so bytes received are handed to the tap only after TLS has read them, and
// whatever TLS sends while reading them is handed after those. The tap sees the same bytes in the same
// TCP order; only the recorded times move by the microseconds TLS took.

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TapRecorder } from '../capture/socket-tap.ts';
import { hookTcpSocket, type TcpHookEvents } from '../capture/tap-hooks.ts';

/** A Duplex over a connected net.Socket (pass-through, with back-pressure both ways). */
export class SocketRelay extends Duplex {
  constructor(readonly socket: Socket) {
    super({ allowHalfOpen: true });
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb(new Error('the TCP connection is closed'));
    this.socket.write(chunk, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    this.socket.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.socket.destroyed) this.socket.destroy(err ?? undefined);
    cb(err);
  }
}

/**
 * Taps `socket` (a connected client socket or an accepted one) and runs TLS over it: `wrap` gets the
 * relay to build the TLS socket on (tls.connect({ socket }) or tlsServer.emit('connection', relay)),
 * synchronously. Returns what `wrap` returned.
 */
export function tapTls<T>(tap: TapRecorder, socket: Socket, role: 'client' | 'server', wrap: (transport: Duplex) => T): T {
  let events: TcpHookEvents | undefined;
  /** Bytes the socket read that TLS has not read yet (a copy: they are recorded even if TLS never reads them). */
  const unread: Uint8Array[] = [];
  let unreadBytes = 0;
  let pendingFin = false;
  const queue: (() => void)[] = [];
  const busy = (): boolean => unreadBytes > 0 || pendingFin;
  const local = (f: () => void): void => {
    if (busy()) queue.push(f);
    else f();
  };
  const flush = (): void => {
    while (!busy() && queue.length > 0) queue.shift()?.();
  };
  /** TLS has read `n` more bytes: drop them from `unread`. */
  const consumed = (n: number): void => {
    let left = Math.min(n, unreadBytes);
    unreadBytes -= left;
    while (left > 0 && unread.length > 0) {
      const first = unread[0];
      if (first.length <= left) {
        left -= first.length;
        unread.shift();
      } else {
        unread[0] = first.subarray(left);
        left = 0;
      }
    }
  };
  tap.tcp(socket, {
    role,
    hook: (s, ev) => {
      events = ev;
      return hookTcpSocket(s, {
        connected: () => ev.connected(),
        sent: (b) => {
          const copy = Uint8Array.from(b);
          local(() => ev.sent(copy));
        },
        received: (b) => {
          unread.push(Uint8Array.from(b)); // recorded when TLS has read it (below)
          unreadBytes += b.length;
        },
        localFin: () => local(() => ev.localFin()),
        peerFin: () => {
          pendingFin = true;
        },
        destroyed: (reset, err) => {
          // What arrived but TLS never read (it was on the wire all the same), the peer's FIN, then
          // what was queued behind them.
          if (unreadBytes > 0) ev.received(Buffer.concat(unread.splice(0)));
          unreadBytes = 0;
          if (pendingFin) ev.peerFin();
          pendingFin = false;
          flush();
          ev.destroyed(reset, err);
        },
      });
    },
  });
  const relay = new SocketRelay(socket);
  const result = wrap(relay);
  // Added after the TLS socket's own listeners, so these run once TLS has read the bytes.
  relay.on('data', (d: Buffer) => {
    consumed(d.length);
    events?.received(d);
    flush();
  });
  relay.on('end', () => {
    if (!pendingFin || unreadBytes > 0) return;
    pendingFin = false;
    events?.peerFin();
    flush();
  });
  return result;
}
