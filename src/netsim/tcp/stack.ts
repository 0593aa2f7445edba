// TCP on a virtual host (`host.tcp`): the table of connections by 4-tuple, the listeners, the port
// space, ISNs, and what happens to a segment no connection owns (RFC 9293 §3.10.7.1-2: a RST to a
// closed port, a SYN to a listener opens a half-open connection).
//
//   const server = h2.tcp.listen(80, (socket) => socket.on('data', (b) => socket.end(b)));
//   const client = h1.tcp.connect({ host: '10.0.0.2', port: 80 });
//
// Memory is bounded everywhere: `maxConnections` TCBs per host (every state, TIME-WAIT included),
// `maxHalfOpen` and `backlog` per listener (server.ts), the receive buffer and out-of-order queue
// and the send buffer limit per connection (settings.ts).

import type { Random } from '../../base/random.ts';
import type { NetClock } from '../../base/timer-clock.ts';
import { TCP_FLAG, type LayerSpec } from '../../wire/index.ts';
import { ipv4Number, ipv4Text } from '../host-addr.ts';
import { NetsimError } from '../host-errors.ts';
import type { Datagram } from '../host-ipv4.ts';
import { PortTable } from '../port-table.ts';
import { Connection, type ConnectionEnv } from './connection.ts';
import { rfc6528Isn, timestampOffset, weakPredictableIsn, type IsnGenerator } from './isn.ts';
import { hasFlag, readSegment, segmentLayers, segmentLength, type OutSegment, type Segment } from './segment.ts';
import { VirtualTcpServer } from './server.ts';
import { resolveTcpSettings, type ResolvedTcpSettings, type TcpSettings } from './settings.ts';
import { VirtualTcpSocket } from './socket.ts';
import type { TcpState } from './state.ts';
import { newTcpStackStats, type TcpStackStats } from './stats.ts';

export type { TcpSettings } from './settings.ts';

/** What the stack needs from its host (the Host implements it). */
export interface TcpHost {
  readonly name: string;
  readonly clock: NetClock;
  readonly random: Random;
  sendLayers(dst: number, layers: readonly LayerSpec[], options: { src?: number }): void;
  sourceAddressFor(dst: number): number | undefined;
  isLocalAddress(addr: number): boolean;
}

export interface TcpConnectOptions {
  /** The server's address, 'a.b.c.d'. */
  host: string;
  port: number;
  /** Local port; default an ephemeral one. */
  localPort?: number;
  /** Local address; default the address of the interface toward `host`. */
  localAddress?: string;
  /** Nagle off. Default the host's tcp.noDelay (false). */
  noDelay?: boolean;
}

export interface TcpListenOptions {
  port: number;
  /** Address to listen on; default any (0.0.0.0). */
  host?: string;
  /** Accept queue length; default the host's tcp.backlog (128). */
  backlog?: number;
}

/** One line of `netstat -tan`. */
export interface TcpTableRow {
  local: string;
  remote: string;
  state: TcpState;
}

const { SYN, RST, ACK } = TCP_FLAG;

const key = (la: number, lp: number, ra: number, rp: number): string => `${la}:${lp}:${ra}:${rp}`;

export class TcpStack {
  readonly settings: ResolvedTcpSettings;
  readonly stats: TcpStackStats = newTcpStackStats();
  private readonly conns = new Map<string, Connection>();
  private readonly listeners = new Map<number, VirtualTcpServer>();
  private readonly listenerOf = new Map<Connection, VirtualTcpServer>();
  private readonly ports: PortTable<object>;
  private readonly isn: IsnGenerator;
  private readonly tsKey: Uint8Array;
  private readonly env: ConnectionEnv;
  private closed = false;

  constructor(
    private readonly host: TcpHost,
    settings: TcpSettings = {},
  ) {
    this.settings = resolveTcpSettings(settings);
    this.ports = new PortTable<object>(`${host.name}: TCP`, this.settings.firstEphemeralPort);
    this.isn = this.settings.isn === 'rfc6528' ? rfc6528Isn(host.random) : weakPredictableIsn();
    this.tsKey = host.random.bytes(16);
    this.env = {
      hostName: host.name,
      clock: host.clock,
      settings: this.settings,
      stats: this.stats,
      transmit: (src, dst, seg) => this.transmit(src, dst, seg),
      closed: (c) => this.forget(c),
      established: (c) => this.established(c),
    };
  }

  /** Opens a connection (active OPEN). Throws EINVAL on bad options, ENETUNREACH without a route, EMFILE at the connection limit. */
  connect(options: TcpConnectOptions, onConnect?: () => void): VirtualTcpSocket {
    this.checkOpen();
    const port = options.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetsimError('EINVAL', `connect: port must be 1 to 65535, got ${String(port)}`);
    let dst: number;
    let src: number | undefined;
    try {
      dst = ipv4Number(options.host);
      src = options.localAddress !== undefined ? ipv4Number(options.localAddress) : undefined;
    } catch (e) {
      throw new NetsimError('EINVAL', `connect: ${(e as Error).message}`);
    }
    if (src !== undefined && !this.host.isLocalAddress(src))
      throw new NetsimError('EADDRNOTAVAIL', `connect: ${this.host.name} has no address ${options.localAddress}`);
    src ??= this.host.sourceAddressFor(dst);
    if (src === undefined) throw new NetsimError('ENETUNREACH', `connect: ${this.host.name} has no route to ${options.host}`);
    if (this.conns.size >= this.settings.maxConnections)
      throw new NetsimError('EMFILE', `connect: ${this.host.name} has ${this.conns.size} TCP connections, the limit (tcp.maxConnections)`);
    const token = {};
    const localPort = this.ports.bind(token, options.localPort ?? 0);
    if (this.conns.has(key(src, localPort, dst, port))) {
      this.ports.unbind(token, localPort);
      throw new NetsimError('EADDRINUSE', `connect: ${ipv4Text(src)}:${localPort} -> ${options.host}:${port} is already a connection`);
    }
    const conn = this.newConnection(src, localPort, dst, port, options.noDelay ?? this.settings.noDelay);
    this.portOwner.set(conn, token);
    const socket = new VirtualTcpSocket(conn, this.settings.highWaterMark, () => this.host.clock.now());
    if (onConnect !== undefined) socket.once('connect', onConnect);
    conn.open();
    return socket;
  }

  /** Listens on a port (passive OPEN). Throws EADDRINUSE when the port is taken. */
  listen(portOrOptions: number | TcpListenOptions, onConnection?: (socket: VirtualTcpSocket) => void): VirtualTcpServer {
    this.checkOpen();
    const o = typeof portOrOptions === 'number' ? { port: portOrOptions } : portOrOptions;
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new NetsimError('EINVAL', `listen: port must be 0 to 65535, got ${String(o.port)}`);
    const backlog = o.backlog ?? this.settings.backlog;
    if (!Number.isInteger(backlog) || backlog < 1) throw new NetsimError('EINVAL', `listen: backlog must be a positive integer, got ${String(o.backlog)}`);
    const address = o.host ?? '0.0.0.0';
    let bound: number;
    try {
      bound = ipv4Number(address);
    } catch (e) {
      throw new NetsimError('EINVAL', `listen: ${(e as Error).message}`);
    }
    if (bound !== 0 && !this.host.isLocalAddress(bound)) throw new NetsimError('EADDRNOTAVAIL', `listen: ${this.host.name} has no address ${address}`);
    const token = {};
    const port = this.ports.bind(token, o.port);
    const server = new VirtualTcpServer(
      {
        unlisten: (s) => {
          this.listeners.delete(s.port);
          this.ports.unbind(token, s.port);
        },
      },
      ipv4Text(bound),
      port,
      backlog,
      this.settings.maxHalfOpen,
    );
    this.listeners.set(port, server);
    if (onConnection !== undefined) server.on('connection', onConnection);
    return server;
  }

  /** A segment for one of this host's addresses (Host.deliver calls this). */
  input(d: Datagram): void {
    if (this.closed) return;
    const seg = readSegment(d);
    if (typeof seg === 'string') {
      this.stats.badSegments++;
      return;
    }
    this.stats.segmentsReceived++;
    const conn = this.conns.get(key(seg.dst, seg.dstPort, seg.src, seg.srcPort));
    if (conn !== undefined) {
      conn.input(seg);
      return;
    }
    const server = this.listeners.get(seg.dstPort);
    const boundTo = server === undefined ? 0 : ipv4Number(server.host);
    if (server !== undefined && (boundTo === 0 || boundTo === seg.dst)) this.listenInput(server, seg);
    else this.closedInput(seg);
  }

  /** Connections as `netstat -tan` lists them (listeners included). */
  table(): TcpTableRow[] {
    const rows: TcpTableRow[] = [];
    for (const s of this.listeners.values()) rows.push({ local: `${s.host}:${s.port}`, remote: '0.0.0.0:*', state: 'LISTEN' });
    for (const c of this.conns.values())
      rows.push({ local: `${ipv4Text(c.localAddress)}:${c.localPort}`, remote: `${ipv4Text(c.remoteAddress)}:${c.remotePort}`, state: c.state });
    return rows;
  }

  /** TCBs held (every state but LISTEN). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Which ISN generator the host uses. */
  get isnMode(): string {
    return this.isn.mode;
  }

  /** Drops every connection and listener without a word (the host is closing). */
  close(): void {
    if (this.closed) return;
    for (const s of [...this.listeners.values()]) s.close();
    for (const c of [...this.conns.values()]) c.discard();
    this.closed = true;
  }

  // ---------------------------------------------------------------------------------------------

  private readonly portOwner = new Map<Connection, object>();

  private checkOpen(): void {
    if (this.closed) throw new NetsimError('ECLOSED', `${this.host.name} is closed`);
  }

  private newConnection(la: number, lp: number, ra: number, rp: number, noDelay: boolean): Connection {
    const now = this.host.clock.now();
    const conn = new Connection({
      env: this.env,
      localAddress: la,
      localPort: lp,
      remoteAddress: ra,
      remotePort: rp,
      iss: this.isn.next(la, lp, ra, rp, now),
      tsOffset: timestampOffset(this.tsKey, la, lp, ra, rp),
      noDelay,
    });
    this.conns.set(key(la, lp, ra, rp), conn);
    return conn;
  }

  /** LISTEN (RFC 9293 §3.10.7.2): RST ignored, an ACK answered with RST, a SYN opens a half-open connection. */
  private listenInput(server: VirtualTcpServer, seg: Segment): void {
    if (hasFlag(seg, RST)) return;
    if (hasFlag(seg, ACK)) {
      this.sendReset(seg, seg.ack, 0, false);
      return;
    }
    if (!hasFlag(seg, SYN)) return;
    this.stats.synReceived++;
    if (server.halfOpen.size >= server.maxHalfOpen) {
      const oldest = server.halfOpen.keys().next().value as Connection;
      this.stats.halfOpenEvicted++;
      oldest.discard();
    }
    if (this.conns.size >= this.settings.maxConnections) {
      this.stats.connectionLimitDrops++;
      return;
    }
    const conn = this.newConnection(seg.dst, seg.dstPort, seg.src, seg.srcPort, this.settings.noDelay);
    this.listenerOf.set(conn, server);
    server.halfOpen.set(conn, true);
    conn.acceptSyn(seg);
  }

  /** CLOSED (RFC 9293 §3.10.7.1): anything but a RST gets a RST. */
  private closedInput(seg: Segment): void {
    this.stats.noPort++;
    if (hasFlag(seg, RST)) return;
    if (hasFlag(seg, ACK)) this.sendReset(seg, seg.ack, 0, false);
    else this.sendReset(seg, 0, (seg.seq + segmentLength(seg)) >>> 0, true);
  }

  private sendReset(to: Segment, seq: number, ack: number, withAck: boolean): void {
    this.stats.resetsSent++;
    this.transmit(to.dst, to.src, { srcPort: to.dstPort, dstPort: to.srcPort, seq, ack, flags: withAck ? RST | ACK : RST, window: 0 });
  }

  private transmit(src: number, dst: number, seg: OutSegment): void {
    this.stats.segmentsSent++;
    try {
      this.host.sendLayers(dst, segmentLayers(seg), { src });
    } catch (e) {
      if (!(e instanceof NetsimError)) throw e;
    }
  }

  /** A passive connection finished its handshake: into the accept queue if there is room. */
  private established(c: Connection): boolean {
    const server = this.listenerOf.get(c);
    if (server === undefined || !server.isListening) return false;
    if (!server.hasRoom()) return false; // counted by the connection (listenOverflows)
    server.halfOpen.delete(c);
    this.listenerOf.delete(c);
    const socket = new VirtualTcpSocket(c, this.settings.highWaterMark, () => this.host.clock.now());
    server.enqueue(socket);
    c.queue(() => server.drainAccepts());
    return true;
  }

  private forget(c: Connection): void {
    this.conns.delete(key(c.localAddress, c.localPort, c.remoteAddress, c.remotePort));
    const server = this.listenerOf.get(c);
    if (server !== undefined) {
      server.halfOpen.delete(c);
      this.listenerOf.delete(c);
    }
    const token = this.portOwner.get(c);
    if (token !== undefined) {
      this.ports.unbind(token, c.localPort);
      this.portOwner.delete(c);
    }
  }
}
