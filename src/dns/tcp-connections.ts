// DNS over TCP connections for both servers (RFC 7766), with the resources each may hold bounded:
//
// - Backpressure and in-flight queries (§6.2.1.1 lets a client pipeline): a connection runs at most
//   `maxInFlight` queries at once, a query counting until its answer has been handed to the kernel.
//   While that many are out, or answers wait in the socket's buffer, or read messages wait their
//   turn, the connection is not read (socket.pause()): a client that pipelines and never reads its
//   answers stalls itself, and the server holds at most `maxInFlight` answers plus one read chunk.
// - Connections (§6.2.2): at most `maxConnections` in all and `maxPerClient` from one source
//   address, so one client holding idle connections cannot lock the others out. A connection over a
//   limit is closed at once.
// - Timeouts (§6.2.3): a connection with nothing happening for `idleMs` is closed; so is one whose
//   message has begun but is not complete `messageMs` later (a client trickling a byte every few
//   seconds), and one whose answers have not drained `writeMs` after a write stalled (a client that
//   does not read).
// - Descriptors: when accept() fails for lack of descriptors (EMFILE/ENFILE), the failure is counted
//   and, for `backoffMs`, new connections are closed on arrival and connections with no query in
//   flight are closed, so descriptors go back to UDP sockets and upstream queries. UDP and cached
//   answers keep working throughout.

import type { Server, Socket } from 'node:net';
import { DnsTcpDeframer, frameDnsTcp } from '../wire/dns-tcp.ts';

export interface DnsTcpLimits {
  /** Connections held at once (default 128). */
  maxConnections?: number;
  /** Connections from one source address (default an eighth of maxConnections, at least 1). */
  maxPerClient?: number;
  /** Close a connection after this long with nothing read or written (default 10 s). */
  idleMs?: number;
  /** A message begun must be complete within this time (default 5 s). */
  messageMs?: number;
  /** Answers whose write stalled must drain within this time (default 10 s). */
  writeMs?: number;
  /** Queries of one connection being answered or written at once (default 32). */
  maxInFlight?: number;
  /** After a descriptor shortage, refuse new connections for this long (default 1 s). */
  backoffMs?: number;
}

export interface DnsTcpStats {
  accepted: number;
  /** Closed at once: over maxConnections. */
  refusedFull: number;
  /** Closed at once: the client already held maxPerClient connections. */
  refusedPerClient: number;
  /** Closed at once during a back-off after a descriptor shortage. */
  refusedBackoff: number;
  closedIdle: number;
  /** A message begun and not finished in messageMs. */
  closedSlowSender: number;
  /** Answers not drained in writeMs. */
  closedSlowReader: number;
  /** Messages read (queries handed to the server). */
  messages: number;
  /** Times reading a connection was paused for backpressure. */
  paused: number;
  /** accept() failures for lack of descriptors (EMFILE, ENFILE). */
  descriptorShortages: number;
  /** The error code of the last accept() failure. */
  lastAcceptError?: string;
}

export type DnsTcpHandler = (message: Uint8Array, client: { address: string; port: number }) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

interface Conn {
  s: Socket;
  client: string;
  port: number;
  deframer: DnsTcpDeframer;
  queue: Uint8Array[];
  inFlight: number;
  messageTimer?: NodeJS.Timeout;
  writeTimer?: NodeJS.Timeout;
  paused: boolean;
  /** Inside pump(): a reply given at once must not start a nested pump. */
  pumping: boolean;
}

export function newTcpStats(): DnsTcpStats {
  return { accepted: 0, refusedFull: 0, refusedPerClient: 0, refusedBackoff: 0, closedIdle: 0, closedSlowSender: 0, closedSlowReader: 0, messages: 0, paused: 0, descriptorShortages: 0 };
}

export class DnsTcpConnections {
  private readonly conns = new Set<Conn>();
  private readonly perClient = new Map<string, number>();
  private backoffUntil = 0;
  readonly limits: Required<DnsTcpLimits>;
  readonly stats: DnsTcpStats = newTcpStats();

  constructor(
    limits: DnsTcpLimits,
    private readonly handler: DnsTcpHandler,
  ) {
    const maxConnections = limits.maxConnections ?? 128;
    this.limits = {
      maxConnections,
      maxPerClient: limits.maxPerClient ?? Math.max(1, Math.floor(maxConnections / 8)),
      idleMs: limits.idleMs ?? 10_000,
      messageMs: limits.messageMs ?? 5_000,
      writeMs: limits.writeMs ?? 10_000,
      maxInFlight: limits.maxInFlight ?? 32,
      backoffMs: limits.backoffMs ?? 1_000,
    };
    for (const [k, v] of Object.entries(this.limits)) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`TCP limit ${k} must be a whole number of at least 1, got ${v}`);
    }
  }

  /** Connections open now. */
  get size(): number {
    return this.conns.size;
  }

  /** Connections open now from one address. */
  from(address: string): number {
    return this.perClient.get(address) ?? 0;
  }

  /** Wires a listening server: its connections come here, its accept errors are counted. */
  attach(server: Server): void {
    server.on('connection', (s) => this.accept(s));
    server.on('error', (err: NodeJS.ErrnoException) => this.acceptError(err));
  }

  private acceptError(err: NodeJS.ErrnoException): void {
    this.stats.lastAcceptError = err.code;
    if (err.code !== 'EMFILE' && err.code !== 'ENFILE') return;
    this.stats.descriptorShortages++;
    this.backoffUntil = Date.now() + this.limits.backoffMs;
    // Give descriptors back: connections with nothing in flight go first.
    for (const c of this.conns) if (c.inFlight === 0 && c.queue.length === 0 && c.deframer.idle) c.s.destroy();
  }

  accept(s: Socket): void {
    const client = s.remoteAddress ?? '';
    if (Date.now() < this.backoffUntil) {
      this.stats.refusedBackoff++;
      s.destroy();
      return;
    }
    if (this.conns.size >= this.limits.maxConnections) {
      this.stats.refusedFull++;
      s.destroy();
      return;
    }
    if (this.from(client) >= this.limits.maxPerClient) {
      this.stats.refusedPerClient++;
      s.destroy();
      return;
    }
    this.stats.accepted++;
    const c: Conn = { s, client, port: s.remotePort ?? 0, deframer: new DnsTcpDeframer(), queue: [], inFlight: 0, paused: false, pumping: false };
    this.conns.add(c);
    this.perClient.set(client, this.from(client) + 1);
    s.setTimeout(this.limits.idleMs, () => {
      this.stats.closedIdle++;
      s.destroy();
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.forget(c));
    s.on('drain', () => {
      if (c.writeTimer !== undefined) clearTimeout(c.writeTimer);
      c.writeTimer = undefined;
      this.pump(c);
    });
    s.on('data', (chunk: Buffer) => this.read(c, chunk));
  }

  private forget(c: Conn): void {
    if (!this.conns.delete(c)) return;
    const n = this.from(c.client) - 1;
    if (n > 0) this.perClient.set(c.client, n);
    else this.perClient.delete(c.client);
    if (c.messageTimer !== undefined) clearTimeout(c.messageTimer);
    if (c.writeTimer !== undefined) clearTimeout(c.writeTimer);
    c.queue = [];
  }

  private read(c: Conn, chunk: Buffer): void {
    const msgs = c.deframer.push(chunk);
    this.stats.messages += msgs.length;
    for (const m of msgs) c.queue.push(m);
    if (c.deframer.idle) {
      if (c.messageTimer !== undefined) clearTimeout(c.messageTimer);
      c.messageTimer = undefined;
    } else if (c.messageTimer === undefined || msgs.length > 0) {
      // A new message has begun: it must be complete within messageMs.
      if (c.messageTimer !== undefined) clearTimeout(c.messageTimer);
      c.messageTimer = setTimeout(() => {
        this.stats.closedSlowSender++;
        c.s.destroy();
      }, this.limits.messageMs);
    }
    this.pump(c);
  }

  /** Starts queued queries while the connection has room, and pauses or resumes reading. */
  private pump(c: Conn): void {
    if (c.pumping) return;
    c.pumping = true;
    while (c.queue.length > 0 && c.inFlight < this.limits.maxInFlight && !c.s.destroyed && !c.s.writableNeedDrain) {
      const m = c.queue.shift() as Uint8Array;
      c.inFlight++;
      let out: Uint8Array | undefined | Promise<Uint8Array | undefined>;
      try {
        out = this.handler(m, { address: c.client, port: c.port });
      } catch {
        out = undefined;
      }
      if (out instanceof Promise) {
        out.then(
          (bytes) => this.reply(c, bytes),
          () => this.reply(c, undefined),
        );
      } else this.reply(c, out);
    }
    c.pumping = false;
    const full = c.queue.length > 0 || c.inFlight >= this.limits.maxInFlight || c.s.writableNeedDrain;
    if (full && !c.paused) {
      c.paused = true;
      this.stats.paused++;
      c.s.pause();
    } else if (!full && c.paused) {
      c.paused = false;
      c.s.resume();
    }
  }

  private reply(c: Conn, bytes: Uint8Array | undefined): void {
    if (bytes === undefined || c.s.destroyed) {
      c.inFlight--;
      if (!c.s.destroyed) this.pump(c);
      return;
    }
    const ok = c.s.write(frameDnsTcp(bytes), () => {
      c.inFlight--;
      if (!c.s.destroyed) this.pump(c);
    });
    if (!ok && c.writeTimer === undefined) {
      c.writeTimer = setTimeout(() => {
        this.stats.closedSlowReader++;
        c.s.destroy();
      }, this.limits.writeMs);
    }
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const c of this.conns) c.s.destroy();
  }
}
