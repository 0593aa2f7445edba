// A listening socket, shaped like Node's net.Server: `host.tcp.listen(80, (socket) => ...)` returns it,
// 'connection' hands over each established connection, close() stops listening.
//
// Two bounded queues sit behind it, as in Linux:
// - the half-open queue: connections in SYN-RECEIVED (SYN answered, final ACK not yet in), at most
//   `maxHalfOpen`; when a SYN arrives and it is full, the OLDEST half-open connection is dropped to make
//   room. That is netlab's SYN flood defence (not SYN cookies): a flood only ever holds maxHalfOpen
//   entries, and a real client's entry lives until maxHalfOpen newer SYNs have come, which at any
//   flood rate a lab can produce is far longer than one round trip, so its ACK finds it.
// - the accept queue: established connections not yet handed to the application, at most `backlog`.
//   With a 'connection' listener and not paused they are handed over at once; pause() lets a lab fill
//   it. A handshake that completes while it is full has its ACK ignored (the client's SYN-ACK
//   retransmission tries again later), as Linux does by default.

import { EventEmitter } from 'node:events';
import type { Connection } from './connection.ts';
import type { VirtualTcpSocket } from './socket.ts';

export interface VirtualTcpServerEvents {
  connection: [VirtualTcpSocket];
  close: [];
}

export interface ServerHooks {
  /** Stop listening: free the port and forget the listener. */
  unlisten(server: VirtualTcpServer): void;
}

export class VirtualTcpServer extends EventEmitter {
  /** Half-open connections, oldest first. */
  readonly halfOpen = new Map<Connection, true>();
  private readonly acceptQueue: VirtualTcpSocket[] = [];
  private readonly accepted = new Set<VirtualTcpSocket>();
  private paused = false;
  private listening = true;
  private closeEmitted = false;

  constructor(
    private readonly hooks: ServerHooks,
    /** The bound address (0.0.0.0 for any) and port. */
    readonly host: string,
    readonly port: number,
    readonly backlog: number,
    readonly maxHalfOpen: number,
  ) {
    super();
  }

  // Connections queued before a 'connection' listener existed are handed to the first one added.
  override on(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    super.on(event, listener);
    if (event === 'connection') this.drainAccepts();
    return this;
  }

  override addListener(event: string | symbol, listener: Parameters<EventEmitter['on']>[1]): this {
    return this.on(event, listener);
  }

  get isListening(): boolean {
    return this.listening;
  }

  address(): { address: string; port: number; family: 'IPv4' } {
    return { address: this.host, port: this.port, family: 'IPv4' };
  }

  /** Established connections waiting to be handed over. */
  get pendingAccepts(): number {
    return this.acceptQueue.length;
  }

  /** Connections handed over and not closed yet. */
  get connections(): number {
    return this.accepted.size;
  }

  /** Whether the accept queue has room for one more. */
  hasRoom(): boolean {
    return this.acceptQueue.length < this.backlog;
  }

  /** Called by the stack when a half-open connection completed its handshake. */
  enqueue(socket: VirtualTcpSocket): void {
    this.acceptQueue.push(socket);
  }

  /** Hands queued connections to 'connection' listeners (unless paused or nobody listens). */
  drainAccepts(): void {
    while (this.listening && !this.paused && this.listenerCount('connection') > 0 && this.acceptQueue.length > 0) {
      const s = this.acceptQueue.shift() as VirtualTcpSocket;
      if (s.state === 'CLOSED') continue;
      this.accepted.add(s);
      s.once('close', () => {
        this.accepted.delete(s);
        this.maybeEmitClose();
      });
      this.emit('connection', s);
    }
  }

  /** Stops handing over connections (they wait in the accept queue, up to the backlog). */
  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    this.drainAccepts();
    return this;
  }

  /**
   * Stops listening: the port is freed, half-open connections are dropped and connections still in the
   * accept queue are reset (as Linux does when a listening socket closes). Connections already handed
   * over go on; 'close' comes when the last of them has closed (as net.Server's).
   */
  close(cb?: () => void): this {
    if (cb !== undefined) this.once('close', cb);
    if (!this.listening) return this;
    this.listening = false;
    this.hooks.unlisten(this);
    for (const c of [...this.halfOpen.keys()]) c.discard();
    this.halfOpen.clear();
    for (const s of this.acceptQueue.splice(0)) s.destroy();
    this.maybeEmitClose();
    return this;
  }

  private maybeEmitClose(): void {
    if (this.listening || this.closeEmitted || this.accepted.size > 0) return;
    this.closeEmitted = true;
    this.emit('close');
  }
}
