// The UDP balancer. Two modes:
//  - flow: a session per client (address, port) pair, i.e. per 5-tuple on this listener: the first
//    datagram picks an endpoint, later ones follow it; the session owns a socket connected to the
//    endpoint, and what comes back on it is sent to that client from the listener's own address (so
//    the client sees replies from the address it wrote to). A session idle for idleMs is forgotten.
//  - datagram: every datagram is balanced on its own (DNS: one query, one answer); each gets a
//    short-lived socket that forwards `responses` replies (default 1) and closes, or closes after
//    idleMs without one.
// Both are bounded: at most maxSessions sessions (or datagrams awaiting replies) and at most
// `queuePerSession` datagrams waiting for a session's socket to bind; what does not fit is dropped and
// counted by reason.

import { createSocket, type RemoteInfo, type Socket as DgramSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Attempt } from '../balance/balancer.ts';
import type { Endpoint } from '../balance/endpoint.ts';
import { NetlabError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import { L4Metrics } from './metrics.ts';
import type { TcpCluster } from './tcp-balancer.ts';

export type UdpDropReason = 'table_full' | 'no_endpoint' | 'queue_full' | 'send_error' | 'late_reply';

export interface UdpBalancerOptions {
  readonly name?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0. */
  readonly port?: number;
  readonly cluster: TcpCluster;
  /** Default 'flow'. */
  readonly mode?: 'flow' | 'datagram';
  /** Flow mode: idle sessions are forgotten after this; datagram mode: how long to wait for a reply. Default 30 000 ms. */
  readonly idleMs?: number;
  /** Most sessions (flow) or datagrams awaiting a reply (datagram) at once. Default 10 000. */
  readonly maxSessions?: number;
  /** Datagram mode: replies forwarded per datagram before its socket closes. Default 1. */
  readonly responses?: number;
  /** Datagrams held while a new session's socket binds. Default 16. */
  readonly queuePerSession?: number;
  readonly clock?: NetClock;
  readonly log?: (line: string) => void;
  readonly metrics?: L4Metrics;
  /**
   * Records each socket toward an endpoint (a session's, or a datagram's) as it is made (a
   * TapRecorder fits): a lab's capture gets what went to which backend.
   */
  readonly tap?: { udp(socket: DgramSocket): unknown };
}

interface Session {
  readonly key: string;
  readonly client: RemoteInfo;
  readonly endpoint: Endpoint;
  readonly attempt: Attempt;
  readonly socket: DgramSocket;
  ready: boolean;
  queue: Buffer[];
  lastSeen: number;
  timer?: TimerHandle;
  replies: number;
  up: number;
  down: number;
}

export interface UdpStats {
  readonly forwardedUp: number;
  readonly forwardedDown: number;
  readonly dropped: Readonly<Record<UdpDropReason, number>>;
  readonly sessions: number;
  readonly sessionsCreated: number;
}

export class UdpBalancer {
  readonly name: string;
  readonly metrics: L4Metrics;
  readonly mode: 'flow' | 'datagram';
  private readonly socket: DgramSocket;
  private readonly clock: NetClock;
  private readonly sessions = new Map<string, Session>();
  private readonly pending = new Set<Session>();
  private up = 0;
  private down = 0;
  private created = 0;
  private readonly drops: Record<UdpDropReason, number> = { table_full: 0, no_endpoint: 0, queue_full: 0, send_error: 0, late_reply: 0 };
  private closed = false;

  constructor(readonly options: UdpBalancerOptions) {
    this.name = options.name ?? 'udp';
    this.mode = options.mode ?? 'flow';
    this.clock = options.clock ?? realClock();
    this.metrics = options.metrics ?? new L4Metrics();
    const host = options.host ?? '127.0.0.1';
    this.socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => this.onClient(msg, rinfo));
    this.socket.on('error', (err) => this.options.log?.(`l4 ${this.name} udp listener error: ${err.message}`));
  }

  listen(): Promise<{ address: string; port: number; family: string }> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve(this.socket.address());
      });
    });
  }

  get address(): { address: string; port: number } {
    return this.socket.address();
  }

  stats(): UdpStats {
    return {
      forwardedUp: this.up,
      forwardedDown: this.down,
      dropped: { ...this.drops },
      sessions: this.sessions.size + this.pending.size,
      sessionsCreated: this.created,
    };
  }

  private drop(reason: UdpDropReason): void {
    this.drops[reason]++;
    this.metrics.dropped.inc({ listener: this.name, reason });
  }

  private get maxSessions(): number {
    return this.options.maxSessions ?? 10_000;
  }

  private onClient(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    if (this.mode === 'flow') {
      const s = this.sessions.get(key);
      if (s !== undefined) {
        this.toUpstream(s, msg);
        return;
      }
    }
    if (this.sessions.size + this.pending.size >= this.maxSessions) {
      this.drop('table_full');
      return;
    }
    const pick = this.options.cluster.balancer.pick({ clientAddress: rinfo.address });
    if (pick.endpoint === undefined) {
      this.drop('no_endpoint');
      return;
    }
    const endpoint = pick.endpoint;
    const socket = createSocket(isIP(endpoint.address) === 6 ? 'udp6' : 'udp4');
    const s: Session = {
      key,
      client: rinfo,
      endpoint,
      attempt: this.options.cluster.balancer.begin(endpoint),
      socket,
      ready: false,
      queue: [msg],
      lastSeen: this.clock.now(),
      replies: 0,
      up: 0,
      down: 0,
    };
    this.created++;
    if (this.mode === 'flow') this.sessions.set(key, s);
    else this.pending.add(s);
    this.metrics.sessions.set({ listener: this.name }, this.sessions.size + this.pending.size);
    this.options.tap?.udp(socket);
    socket.on('message', (reply) => this.onReply(s, reply));
    socket.on('error', () => {
      this.drop('send_error');
      this.end(s, 'error');
    });
    const connect = (): void => {
      socket.connect(endpoint.port, endpoint.address, () => {
        s.ready = true;
        const q = s.queue;
        s.queue = [];
        for (const m of q) this.toUpstream(s, m);
      });
    };
    // The cluster's sourceAddress: bind there first (port 0), so the endpoint sees datagrams from it.
    const from = this.options.cluster.sourceAddress;
    if (from === undefined) connect();
    else socket.bind(0, from, connect);
    this.arm(s);
  }

  private toUpstream(s: Session, msg: Buffer): void {
    s.lastSeen = this.clock.now();
    if (!s.ready) {
      if (s.queue.length >= (this.options.queuePerSession ?? 16)) this.drop('queue_full');
      else s.queue.push(msg);
      return;
    }
    s.socket.send(msg, (err) => {
      if (err) this.drop('send_error');
    });
    s.up++;
    this.up++;
    this.metrics.datagrams.inc({ listener: this.name, direction: 'up' });
  }

  private onReply(s: Session, reply: Buffer): void {
    if (this.mode === 'datagram' && s.replies >= (this.options.responses ?? 1)) {
      this.drop('late_reply');
      return;
    }
    s.lastSeen = this.clock.now();
    if (s.replies === 0) s.attempt.firstByte();
    s.replies++;
    s.down++;
    this.down++;
    this.metrics.datagrams.inc({ listener: this.name, direction: 'down' });
    this.socket.send(reply, s.client.port, s.client.address, (err) => {
      if (err) this.drop('send_error');
    });
    if (this.mode === 'datagram' && s.replies >= (this.options.responses ?? 1)) this.end(s, 'answered');
  }

  private arm(s: Session): void {
    const idle = this.options.idleMs ?? 30_000;
    s.timer = this.clock.setTimer(
      () => {
        s.timer = undefined;
        if (this.clock.now() - s.lastSeen >= idle || this.mode === 'datagram') this.end(s, this.mode === 'datagram' ? 'no_reply' : 'idle');
        else this.arm(s);
      },
      Math.max(1, s.lastSeen + idle - this.clock.now()),
    );
  }

  private end(s: Session, why: 'idle' | 'answered' | 'no_reply' | 'error' | 'closed'): void {
    if (this.mode === 'flow') {
      if (this.sessions.get(s.key) !== s) return;
      this.sessions.delete(s.key);
    } else if (!this.pending.delete(s)) return;
    if (s.timer !== undefined) this.clock.clearTimer(s.timer);
    s.attempt.finish(why === 'error' ? { error: 'other' } : why === 'no_reply' ? { error: 'timeout' } : {});
    try {
      s.socket.close();
    } catch {
      // already closed
    }
    this.metrics.sessions.set({ listener: this.name }, this.sessions.size + this.pending.size);
    if (this.mode === 'flow' || why !== 'answered')
      this.options.log?.(`l4 ${this.name} udp ${s.client.address}:${s.client.port} -> ${s.endpoint.name} ${this.mode} end=${why} up=${s.up} down=${s.down}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sessions.values(), ...this.pending]) this.end(s, 'closed');
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}

export function checkUdpOptions(o: UdpBalancerOptions): void {
  if (o.maxSessions !== undefined && !(Number.isInteger(o.maxSessions) && o.maxSessions >= 1))
    throw new NetlabError('ERR_RANGE', `listener ${o.name ?? 'udp'}: maxSessions must be a whole number >= 1, got ${o.maxSessions}`, { layer: 'l4' });
}
