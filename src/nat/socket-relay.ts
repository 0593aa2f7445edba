// Socket mode: a userspace PAT relay on real UDP sockets, sharing the NatTable (and its PortPool and
// RFC 4787 behaviours) with packet mode. The relay binds each mapping's public port as a real OS
// socket on its public address (127.74.0.100:50001 is a socket `ss -uan` lists), so the NAT table
// is a table of real sockets.
//
// A program cannot steer another program's datagrams without root, so the inside clients see the
// outside world at mirror addresses: each outside address has an inside alias (127.74.0.1 appears
// inside as 127.73.255.1), and a datagram an inside client sends to alias:port is relayed from the
// mapping's public socket to the outside address:port. Datagrams arriving on a public socket pass
// the table's filtering and are delivered to the inside client from the mirror socket of their
// source (alias:port), so the client sees who answered, as behind a real NAT. A datagram sent by an
// inside client straight to the public address is hairpinned (RFC 4787 REQ-9): it leaves from the
// sender's own mapping, so the receiver sees the sender's public address and port.
// TCP (mirrorTcp): a connection to a mirror is relayed from the mapping's public port (a real OS
// connection from 127.74.0.100:port), its RFC 5382 state driven by the SYN, SYN-ACK, FIN and RST the
// relay sees; outbound connections only (no inbound TCP to a mapping).
//
//   const relay = await SocketRelay.start({ inside: '127.73.0.0/24', publicAddress: '127.74.0.100',
//     mirrors: [{ outside: '127.74.0.1', inside: '127.73.255.1' }], mapping: 'address-dependent' });
//   await relay.mirror('127.74.0.1', 3478);     // inside clients now send to 127.73.255.1:3478
//   console.log(relay.format());
//   await relay.close();

import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import { inPrefix, ipv4Number, ipv4Text, parsePrefix, type Ipv4Prefix } from '../netsim/host-addr.ts';
import { NatTable, TCPF, type Session } from './table.ts';
import type { NatBehaviour, NatTimeouts, PortSettings, RefusalReason } from './types.ts';

const UDP = 17;
const TCP = 6;
/** Datagrams held for a socket that is still binding. */
const QUEUE_LIMIT = 64;
/** Mirror sockets at most (one per outside endpoint seen): past it, datagrams from new endpoints are dropped. */
const MIRROR_LIMIT = 4096;

export interface SocketRelayOptions {
  /** Prefixes of the inside clients' addresses: '127.73.0.0/24'. */
  inside: string | readonly string[];
  /** The relay's public address (where mapping sockets bind): '127.74.0.100'. */
  publicAddress: string;
  /** Each outside address inside clients may reach, and the inside alias they send to. */
  mirrors: readonly { outside: string; inside: string }[];
  mapping?: NatBehaviour;
  filtering?: NatBehaviour;
  /** Port settings (default range 1024..65535, port preserved when free). */
  ports?: Partial<PortSettings>;
  timeouts?: Partial<NatTimeouts>;
  perHostQuota?: number;
  maxSessions?: number;
  /** Hairpinning (default true). */
  hairpinning?: boolean;
  /** Default the machine's clock. Timeouts and the sweep run on it. */
  clock?: NetClock;
  /** How often expired mappings are swept (and their sockets closed). Default 1000 ms. */
  sweepIntervalMs?: number;
  random?: Random;
}

export interface SocketRelayCounters {
  relayedOut: number;
  relayedIn: number;
  hairpinned: number;
  /** Datagrams dropped: by the table (filtering, no mapping, pool, quota), from outside the inside prefixes, to an unmirrored source. */
  refused: Partial<Record<RefusalReason, number>>;
  notInside: number;
  unmirrored: number;
  /** Public ports the OS refused to bind (taken by another program): the flow was dropped. */
  bindFailures: number;
  /** Datagrams from a new outside endpoint dropped because the relay already holds MIRROR_LIMIT mirror sockets. */
  mirrorLimit: number;
  /** TCP connections relayed (accepted on a mirror and connected out from the mapping's public port). */
  tcpConnections: number;
  /** TCP connections refused: by the table, or the outside endpoint did not accept (the inside one was reset). */
  tcpRefused: number;
}

/** One OS socket of the relay. */
export interface RelaySocketInfo {
  role: 'public' | 'mirror' | 'tcp-public' | 'tcp-mirror';
  /** As the OS reports it (socket.address()). */
  address: string;
  port: number;
}

interface Bound {
  socket: Socket | undefined;
  queue: { data: Uint8Array; port: number; address: string }[];
  closed: boolean;
}

export class SocketRelay {
  readonly table: NatTable;
  readonly publicAddress: string;
  readonly hairpinning: boolean;
  readonly counters: SocketRelayCounters = {
    relayedOut: 0,
    relayedIn: 0,
    hairpinned: 0,
    refused: {},
    notInside: 0,
    unmirrored: 0,
    bindFailures: 0,
    mirrorLimit: 0,
    tcpConnections: 0,
    tcpRefused: 0,
  };
  private readonly publicNum: number;
  private readonly insidePrefixes: Ipv4Prefix[];
  private readonly toAlias = new Map<string, string>();
  private readonly toOutside = new Map<string, string>();
  /** Public sockets by port. */
  private readonly publics = new Map<number, Bound>();
  /** Mirror sockets by `alias:port`. */
  private readonly mirrorSockets = new Map<string, Bound>();
  private readonly clock: NetClock;
  private sweeper: TimerHandle | undefined;
  private readonly sweepIntervalMs: number;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** TCP listeners by `alias:port`, and the live relayed connections (both sockets of each). */
  private readonly tcpMirrors = new Map<string, Server>();
  private readonly tcpLive = new Set<TcpSocket>();

  private constructor(options: SocketRelayOptions) {
    this.clock = options.clock ?? realClock();
    this.publicAddress = options.publicAddress;
    this.publicNum = ipv4Number(options.publicAddress) >>> 0;
    const inside = typeof options.inside === 'string' ? [options.inside] : options.inside;
    if (inside.length === 0) throw new NetlabRangeError('socket relay needs at least one inside prefix', { layer: 'nat' });
    this.insidePrefixes = inside.map((p) => parsePrefix(p));
    if (this.isInside(this.publicNum))
      throw new NetlabRangeError(`socket relay public address ${options.publicAddress} lies inside ${inside.join(', ')}`, { layer: 'nat' });
    for (const m of options.mirrors) {
      ipv4Number(m.outside);
      if (!this.isInside(ipv4Number(m.inside) >>> 0))
        throw new NetlabRangeError(`mirror alias ${m.inside} of ${m.outside} is not inside ${inside.join(', ')}`, { layer: 'nat' });
      if (this.toAlias.has(m.outside) || this.toOutside.has(m.inside))
        throw new NetlabRangeError(`mirror ${m.outside} <-> ${m.inside} overlaps another mirror`, { layer: 'nat' });
      this.toAlias.set(m.outside, m.inside);
      this.toOutside.set(m.inside, m.outside);
    }
    this.hairpinning = options.hairpinning ?? true;
    this.table = new NatTable({
      publicAddress: this.publicNum,
      mapping: options.mapping,
      filtering: options.filtering,
      ports: options.ports,
      timeouts: options.timeouts,
      perHostQuota: options.perHostQuota,
      maxSessions: options.maxSessions,
      random: options.random,
      now: () => this.clock.now(),
    });
    // The table removes a mapping just after reporting its last session expired: look once it has.
    this.unsubscribe = this.table.onEvent((e) => {
      if (e.type !== 'expired' || e.entry.protocol !== 'udp') return;
      const port = e.entry.outsidePort;
      queueMicrotask(() => {
        if (this.table.mappingAt(UDP, port) === undefined) this.closePublic(port);
      });
    });
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    if (!(this.sweepIntervalMs > 0))
      throw new NetlabRangeError(`socket relay sweep interval must be over 0 ms, got ${options.sweepIntervalMs}`, { layer: 'nat' });
    this.scheduleSweep();
  }

  /** Starts a relay (no socket is open until a mirror or a mapping needs one). */
  static async start(options: SocketRelayOptions): Promise<SocketRelay> {
    return new SocketRelay(options);
  }

  /** The inside alias of an outside address. */
  aliasOf(outside: string): string | undefined {
    return this.toAlias.get(outside);
  }

  /** Opens the mirror socket for an outside endpoint; returns where inside clients send to reach it. */
  async mirror(outside: string, port: number): Promise<{ address: string; port: number }> {
    const alias = this.toAlias.get(outside);
    if (alias === undefined) throw new NetlabError('ERR_NOT_FOUND', `socket relay has no mirror alias for ${outside}`, { layer: 'nat' });
    const b = this.mirrorSocket(alias, port);
    if (b !== undefined) await this.ready(b);
    if (b?.socket === undefined) throw new NetlabError('ERR_IO', `socket relay could not bind mirror ${alias}:${port}`, { layer: 'nat' });
    return { address: alias, port };
  }

  /**
   * Opens a TCP mirror for an outside endpoint: each connection an inside client makes to alias:port
   * gets a session in the table (RFC 5382 states from the SYN, SYN-ACK, FIN and RST the relay sees)
   * and a connection from the mapping's public address and port to the outside endpoint, the bytes
   * copied both ways. A refused session, or an outside endpoint that does not accept, resets the
   * inside connection.
   */
  async mirrorTcp(outside: string, port: number): Promise<{ address: string; port: number }> {
    const alias = this.toAlias.get(outside);
    if (alias === undefined) throw new NetlabError('ERR_NOT_FOUND', `socket relay has no mirror alias for ${outside}`, { layer: 'nat' });
    const key = `${alias}:${port}`;
    if (!this.tcpMirrors.has(key)) {
      const srv = createServer((c) => this.tcpFromInside(c, outside, port));
      await new Promise<void>((res, rej) => {
        srv.once('error', (e) => rej(new NetlabError('ERR_IO', `socket relay could not listen on TCP ${key}: ${e.message}`, { layer: 'nat', cause: e })));
        srv.listen(port, alias, () => res());
      });
      this.tcpMirrors.set(key, srv);
    }
    return { address: alias, port };
  }

  /** The relay's OS sockets, as the OS reports their addresses. */
  sockets(): RelaySocketInfo[] {
    const out: RelaySocketInfo[] = [];
    const add = (role: RelaySocketInfo['role'], b: Bound): void => {
      if (b.socket === undefined || b.closed) return;
      try {
        const a = b.socket.address();
        out.push({ role, address: a.address, port: a.port });
      } catch {
        // not bound yet
      }
    };
    for (const b of this.publics.values()) add('public', b);
    for (const b of this.mirrorSockets.values()) add('mirror', b);
    for (const srv of this.tcpMirrors.values()) {
      const a = srv.address();
      if (a !== null && typeof a === 'object') out.push({ role: 'tcp-mirror', address: a.address, port: a.port });
    }
    for (const c of this.tcpLive) {
      if (c.localAddress === this.publicAddress && c.localPort !== undefined) out.push({ role: 'tcp-public', address: c.localAddress, port: c.localPort });
    }
    return out.sort((a, b) => a.role.localeCompare(b.role) || a.address.localeCompare(b.address) || a.port - b.port);
  }

  /** The NAT table as a study guide prints it, with each row's OS socket (the public port bound, or '-'). */
  format(): string {
    const socks = this.sockets();
    const bound = new Set(socks.filter((s) => s.role === 'public').map((s) => s.port));
    const tcpBound = new Set(socks.filter((s) => s.role === 'tcp-public').map((s) => s.port));
    const rows: string[][] = [['Proto', 'Inside', '', 'Public', '', 'Destination', 'State', 'OS socket']];
    for (const e of this.table.entries()) {
      rows.push([
        e.protocol,
        `${e.insideAddress}:${e.insidePort}`,
        '<->',
        `${e.outsideAddress}:${e.outsidePort}`,
        '<->',
        `${e.remoteAddress}:${e.remotePort}`,
        e.state,
        (e.protocol === 'udp' ? bound : tcpBound).has(e.outsidePort) ? `${e.protocol} ${this.publicAddress}:${e.outsidePort}` : '-',
      ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== undefined) this.clock.clearTimer(this.sweeper);
    this.unsubscribe();
    for (const c of this.tcpLive) c.destroy();
    this.tcpLive.clear();
    await Promise.all([...this.tcpMirrors.values()].map((srv) => new Promise<void>((res) => srv.close(() => res()))));
    this.tcpMirrors.clear();
    const all = [...this.publics.values(), ...this.mirrorSockets.values()];
    this.publics.clear();
    this.mirrorSockets.clear();
    await Promise.all(all.map((b) => this.closeBound(b)));
  }

  // -------------------------------------------------------------------------------------------

  private isInside(a: number): boolean {
    for (const p of this.insidePrefixes) if (inPrefix(a, p.address, p.prefixLen)) return true;
    return false;
  }

  private refuse(r: RefusalReason): void {
    this.counters.refused[r] = (this.counters.refused[r] ?? 0) + 1;
  }

  private scheduleSweep(): void {
    this.sweeper = this.clock.setTimer(() => {
      this.table.sweep();
      if (!this.closed) this.scheduleSweep();
    }, this.sweepIntervalMs);
  }

  private bind(address: string, port: number, onMessage: (data: Uint8Array, address: string, port: number) => void, onFail: () => void): Bound {
    const b: Bound = { socket: undefined, queue: [], closed: false };
    const s = createSocket({ type: 'udp4' });
    s.on('message', (msg, r) => {
      if (!b.closed) onMessage(msg, r.address, r.port);
    });
    s.once('error', () => {
      b.closed = true;
      b.queue.length = 0;
      s.close();
      onFail();
    });
    s.bind(port, address, () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      if (b.closed) {
        s.close();
        return;
      }
      b.socket = s;
      for (const q of b.queue.splice(0)) s.send(q.data, q.port, q.address);
    });
    return b;
  }

  private ready(b: Bound): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (b.socket !== undefined || b.closed) resolve();
        else setImmediate(check);
      };
      check();
    });
  }

  private send(b: Bound, data: Uint8Array, port: number, address: string): void {
    if (b.closed) return;
    if (b.socket !== undefined) b.socket.send(data, port, address);
    else if (b.queue.length < QUEUE_LIMIT) b.queue.push({ data, port, address });
  }

  private closeBound(b: Bound): Promise<void> {
    b.closed = true;
    b.queue.length = 0;
    const s = b.socket;
    b.socket = undefined;
    if (s === undefined) return Promise.resolve();
    return new Promise((res) => s.close(() => res()));
  }

  private closePublic(port: number): void {
    const b = this.publics.get(port);
    if (b === undefined) return;
    this.publics.delete(port);
    void this.closeBound(b);
  }

  private mirrorSocket(alias: string, port: number): Bound | undefined {
    const key = `${alias}:${port}`;
    let b = this.mirrorSockets.get(key);
    if (b === undefined) {
      if (this.mirrorSockets.size >= MIRROR_LIMIT) {
        this.counters.mirrorLimit++;
        return undefined;
      }
      const outside = this.toOutside.get(alias) as string;
      b = this.bind(
        alias,
        port,
        (data, src, sport) => this.fromInside(data, src, sport, outside, port),
        () => {
          this.counters.bindFailures++;
          this.mirrorSockets.delete(key);
        },
      );
      this.mirrorSockets.set(key, b);
    }
    return b;
  }

  private publicSocket(port: number): Bound {
    let b = this.publics.get(port);
    if (b === undefined) {
      b = this.bind(
        this.publicAddress,
        port,
        (data, src, sport) => this.fromOutside(data, src, sport, port),
        () => {
          // Another program holds the port: the flows on this mapping cannot be relayed.
          this.counters.bindFailures++;
          this.publics.delete(port);
          const m = this.table.mappingAt(UDP, port);
          if (m !== undefined) {
            const all: Parameters<NatTable['removeSession']>[0][] = [];
            m.forEach((s) => all.push(s));
            for (const s of all) this.table.removeSession(s);
          }
        },
      );
      this.publics.set(port, b);
    }
    return b;
  }

  /** A datagram an inside client sent to the mirror of outside:port. */
  private fromInside(data: Uint8Array, src: string, sport: number, outside: string, port: number): void {
    const srcNum = ipv4Number(src) >>> 0;
    if (!this.isInside(srcNum)) {
      this.counters.notInside++;
      return;
    }
    const s = this.table.outbound(UDP, srcNum, sport, ipv4Number(outside) >>> 0, port);
    if (typeof s === 'string') {
      this.refuse(s);
      return;
    }
    this.table.touch(s, true);
    this.counters.relayedOut++;
    this.send(this.publicSocket(s.mapping.outsidePort), data, port, outside);
  }

  /** A datagram that arrived on the public socket of `port`. */
  private fromOutside(data: Uint8Array, src: string, sport: number, port: number): void {
    const srcNum = ipv4Number(src) >>> 0;
    if (this.isInside(srcNum)) {
      this.hairpin(data, srcNum, sport, port);
      return;
    }
    const s = this.table.inbound(UDP, srcNum, sport, port);
    if (typeof s === 'string') {
      this.refuse(s);
      return;
    }
    const alias = this.toAlias.get(src);
    if (alias === undefined) {
      this.counters.unmirrored++;
      return;
    }
    const mirror = this.mirrorSocket(alias, sport);
    if (mirror === undefined) return;
    this.table.touch(s, false);
    this.counters.relayedIn++;
    this.send(mirror, data, s.mapping.insidePort, ipv4Text(s.mapping.insideAddr));
  }

  /** An inside client sent straight to the public address: out through its own mapping, back in through `port`'s. */
  private hairpin(data: Uint8Array, src: number, sport: number, port: number): void {
    if (!this.hairpinning) {
      this.refuse('hairpin-off');
      return;
    }
    if (this.table.mappingAt(UDP, port) === undefined) {
      this.refuse('no-mapping');
      return;
    }
    const out = this.table.outbound(UDP, src, sport, this.publicNum, port);
    if (typeof out === 'string') {
      this.refuse(out);
      return;
    }
    const back = this.table.inbound(UDP, this.publicNum, out.mapping.outsidePort, port);
    if (typeof back === 'string') {
      this.refuse(back);
      return;
    }
    this.table.touch(out, true);
    this.table.touch(back, false);
    this.counters.hairpinned++;
    this.send(this.publicSocket(out.mapping.outsidePort), data, back.mapping.insidePort, ipv4Text(back.mapping.insideAddr));
  }

  /** An inside client connected to the TCP mirror of outside:port. */
  private tcpFromInside(c: TcpSocket, outside: string, port: number): void {
    const src = c.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const srcNum = /^\d+\.\d+\.\d+\.\d+$/.test(src) ? ipv4Number(src) >>> 0 : 0;
    if (srcNum === 0 || !this.isInside(srcNum) || c.remotePort === undefined) {
      this.counters.notInside++;
      c.destroy();
      return;
    }
    const s = this.table.outbound(TCP, srcNum, c.remotePort, ipv4Number(outside) >>> 0, port);
    if (typeof s === 'string') {
      this.refuse(s);
      this.counters.tcpRefused++;
      c.resetAndDestroy();
      return;
    }
    this.table.touch(s, true, TCPF.SYN);
    this.tcpLive.add(c);
    c.pause();
    const out = connect({ host: outside, port, localAddress: this.publicAddress, localPort: s.mapping.outsidePort });
    this.tcpLive.add(out);
    let connected = false;
    out.once('connect', () => {
      connected = true;
      this.counters.tcpConnections++;
      this.table.touch(s, false, TCPF.SYN | TCPF.ACK);
      this.pipeTcp(c, out, s, true);
      this.pipeTcp(out, c, s, false);
      c.resume();
    });
    const gone = (sock: TcpSocket, outbound: boolean) => (): void => {
      this.tcpLive.delete(sock);
      if (sock.destroyed && (sock as TcpSocket & { errored?: unknown }).errored) this.table.touch(s, outbound, TCPF.RST);
    };
    c.on('close', gone(c, true));
    out.on('close', gone(out, false));
    c.on('error', () => out.destroy());
    out.on('error', () => {
      if (!connected) {
        // The outside endpoint did not accept: nothing was relayed, the session goes and the client is reset.
        this.counters.tcpRefused++;
        this.table.removeSession(s);
        if (!c.destroyed) c.resetAndDestroy();
      } else if (!c.destroyed) c.resetAndDestroy();
    });
  }

  /** Copies `from` to `to`, the session refreshed by each chunk and marked by a FIN each way. */
  private pipeTcp(from: TcpSocket, to: TcpSocket, s: Session, outbound: boolean): void {
    from.on('data', (d: Buffer) => {
      this.table.touch(s, outbound, TCPF.ACK);
      if (!to.destroyed) to.write(d);
    });
    from.on('end', () => {
      this.table.touch(s, outbound, TCPF.FIN | TCPF.ACK);
      if (!to.destroyed) to.end();
    });
  }
}
