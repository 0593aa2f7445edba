// A floating (virtual) IPv4 address shared by virtual hosts on one LAN, with the heartbeat protocol and
// the election rules of the real-loopback FloatingIp (src/l4/floating-ip.ts): the codec is
// src/wire/vrrp-heartbeat.ts and the rules src/wire/vrrp-election.ts, so both decide alike.
//  - every instance starts as backup; one that hears no ADVERT from an instance at least as good for
//    interval × threshold + skew becomes master;
//  - the master adds the address to its interface as a secondary address (`ip addr add VIP/32`) and
//    announces it with a gratuitous ARP (sender = target = the address, to the broadcast MAC): the
//    switch learns where the master's MAC is, and every host that had the address in its ARP cache
//    updates the entry to the new MAC without asking (RFC 826's "refresh a sender you know");
//  - the master sends an ADVERT to each peer every interval (UDP, from its own address, to port
//    HEARTBEAT_PORT of the peers' addresses);
//  - preemption and split brain as in FloatingIp: a preempting backup takes over from a master of
//    lower rank; a master that hears a better one removes the address and goes back to backup.
//    Nothing on the LAN stops two masters while heartbeats are lost: both hold the address, both
//    announce it, and the hosts' ARP caches follow whichever spoke last. When the heartbeats return,
//    the better master announces the address again on hearing the other's ADVERT (the caches come
//    back to it) and the other steps down, sending RESIGN (the master announces again on hearing it);
//  - stop() sends RESIGN (the backup takes over at once); crash() just goes silent (the host is
//    gone: pull its switch port too).

import { NetlabRangeError } from '../base/errors.ts';
import type { TimerHandle } from '../base/timer-clock.ts';
import { decodeHeartbeat, encodeHeartbeat, masterDownMs, onAdvert, type Heartbeat } from '../wire/index.ts';
import type { Host } from './host.ts';
import { ipv4Number } from './host-addr.ts';
import type { UdpSocket } from './udp-socket.ts';

/** The UDP port of heartbeats in the virtual network (netlab's own; VRRP itself is IP protocol 112). */
export const HEARTBEAT_PORT = 8112;

export type VipState = 'init' | 'backup' | 'master' | 'stopped';

export interface VirtualFloatingIpOptions {
  readonly host: Host;
  /** The interface that carries the address (default eth0). */
  readonly iface?: string;
  /** The floating address, on the interface's network. */
  readonly vip: string;
  /** 1..254; the higher wins. */
  readonly priority: number;
  /** Unique among the instances; breaks priority ties (the higher wins). */
  readonly instance: number;
  /** Take over from a master of lower priority. Default true. */
  readonly preempt?: boolean;
  /** Between ADVERTs. Default 100 ms. */
  readonly intervalMs?: number;
  /** ADVERTs missed before a backup takes over. Default 3. */
  readonly threshold?: number;
  /** The other instances' interface addresses. */
  readonly peers: readonly string[];
  readonly onState?: (state: VipState, why: string, at: number) => void;
}

export class VirtualFloatingIp {
  state: VipState = 'init';
  readonly intervalMs: number;
  readonly threshold: number;
  readonly iface: string;
  /** Heartbeats dropped on purpose (a lab's "the heartbeat link is down"); the LAN itself still works. */
  deafened = false;
  /** Heartbeats not sent (the other half of a lost heartbeat link). */
  muted = false;
  readonly received = { adverts: 0, resigns: 0, malformed: 0 };
  /** ADVERTs sent. */
  sent = 0;
  /** Gratuitous ARPs sent for the address. */
  announcements = 0;
  private readonly host: Host;
  private socket: UdpSocket | undefined;
  private seq = 0;
  private downTimer: TimerHandle | undefined;
  private advertTimer: TimerHandle | undefined;

  constructor(readonly options: VirtualFloatingIpOptions) {
    this.host = options.host;
    this.iface = options.iface ?? 'eth0';
    this.intervalMs = options.intervalMs ?? 100;
    this.threshold = options.threshold ?? 3;
    if (!(Number.isInteger(options.priority) && options.priority >= 1 && options.priority <= 254))
      throw new NetlabRangeError(`${this.host.name}: floating IP priority must be 1..254, got ${options.priority}`, { layer: 'netsim' });
    if (!(Number.isInteger(this.threshold) && this.threshold >= 1))
      throw new NetlabRangeError(`${this.host.name}: floating IP threshold must be >= 1, got ${this.threshold}`, { layer: 'netsim' });
    if (!(Number.isInteger(this.intervalMs) && this.intervalMs >= 1 && this.intervalMs <= 65535))
      throw new NetlabRangeError(`${this.host.name}: floating IP interval must be 1..65535 ms, got ${this.intervalMs}`, { layer: 'netsim' });
    this.host.interface(this.iface); // throws naming the interfaces there are
  }

  /** The time a backup waits without ADVERTs: interval × threshold + skew. */
  get masterDownMs(): number {
    return masterDownMs(this.intervalMs, this.threshold, this.options.priority);
  }

  /** True while the interface holds the address. */
  get holding(): boolean {
    return this.host.interface(this.iface).secondary.includes(this.options.vip);
  }

  /** Binds the heartbeat socket and starts as backup. */
  start(): void {
    if (this.state !== 'init') throw new NetlabRangeError(`${this.host.name}: floating IP already started`, { layer: 'netsim' });
    const socket = this.host.udpSocket();
    socket.bind(HEARTBEAT_PORT, this.host.interface(this.iface).cidr.split('/')[0]);
    socket.onMessage((m) => this.onMessage(m.data));
    socket.onError(() => undefined); // a peer that is gone answers nothing, or port unreachable
    this.socket = socket;
    this.become('backup', 'started');
    this.armDown();
  }

  private become(s: VipState, why: string): void {
    if (this.state === s) return;
    this.state = s;
    this.options.onState?.(s, why, this.host.clock.now());
  }

  private armDown(): void {
    if (this.downTimer !== undefined) this.host.clock.clearTimer(this.downTimer);
    this.downTimer = this.host.clock.setTimer(() => {
      this.downTimer = undefined;
      if (this.state === 'backup') this.toMaster(`no ADVERT for ${Math.round(this.masterDownMs)} ms`);
    }, this.masterDownMs);
  }

  private toMaster(why: string): void {
    if (this.downTimer !== undefined) this.host.clock.clearTimer(this.downTimer);
    this.downTimer = undefined;
    this.become('master', why);
    if (!this.holding) {
      this.host.addSecondaryAddress(this.iface, this.options.vip);
      this.announcements++;
    }
    this.advertise();
  }

  private advertise(): void {
    if (this.state !== 'master') return;
    this.send('advert');
    this.advertTimer = this.host.clock.setTimer(() => {
      this.advertTimer = undefined;
      this.advertise();
    }, this.intervalMs);
  }

  private send(type: Heartbeat['type']): void {
    if (this.muted || this.socket === undefined) return;
    const msg = encodeHeartbeat({
      type,
      priority: this.options.priority,
      preempt: this.options.preempt ?? true,
      intervalMs: this.intervalMs,
      vip: this.options.vip,
      instance: this.options.instance,
      seq: this.seq++ >>> 0,
    });
    for (const p of this.options.peers) this.socket.send(msg, HEARTBEAT_PORT, p);
    if (type === 'advert') this.sent++;
  }

  private onMessage(m: Uint8Array): void {
    if (this.deafened || (this.state !== 'backup' && this.state !== 'master')) return;
    const v = decodeHeartbeat(m);
    if (!v.ok) {
      this.received.malformed++;
      return;
    }
    const h = v.value;
    if (h.instance === this.options.instance || h.vip !== this.options.vip) return;
    if (h.type === 'resign') {
      this.received.resigns++;
      if (this.state === 'backup') this.toMaster(`instance ${h.instance} resigned`);
      else this.reannounce(`instance ${h.instance} let the address go: announced it again`);
      return;
    }
    this.received.adverts++;
    const action = onAdvert(this.state, { priority: this.options.priority, instance: this.options.instance, preempt: this.options.preempt ?? true }, h);
    if (action === 'rearm') this.armDown();
    else if (action === 'preempt') this.toMaster(`preempting instance ${h.instance} (priority ${h.priority} < ${this.options.priority})`);
    else if (action === 'step-down') this.stepDown(`instance ${h.instance} is master with priority ${h.priority}`);
    // Another master of lower rank: a split brain ending. It steps down when it hears us, but the
    // hosts' ARP caches may point at it (its announcement came last): announce again, as keepalived
    // does when it forces a new election.
    else if (action === 'ignore') this.reannounce(`instance ${h.instance} (priority ${h.priority}) also claims the address: announced it again`);
  }

  private reannounce(why: string): void {
    if (this.state !== 'master') return;
    this.host.interface(this.iface).announce(ipv4Number(this.options.vip));
    this.announcements++;
    this.options.onState?.('master', why, this.host.clock.now());
  }

  private stepDown(why: string): void {
    if (this.advertTimer !== undefined) this.host.clock.clearTimer(this.advertTimer);
    this.advertTimer = undefined;
    this.send('resign'); // "I let it go": the better master announces the address again
    this.host.removeSecondaryAddress(this.iface, this.options.vip);
    this.become('backup', why);
    this.armDown();
  }

  /** A clean stop: RESIGN (when master), the address removed, the socket closed. */
  stop(): void {
    if (this.state === 'stopped') return;
    if (this.state === 'master') this.send('resign');
    this.host.removeSecondaryAddress(this.iface, this.options.vip);
    this.halt();
  }

  /** A crash: no RESIGN, nothing removed; the instance just goes silent. */
  crash(): void {
    this.halt();
  }

  private halt(): void {
    for (const t of [this.downTimer, this.advertTimer]) if (t !== undefined) this.host.clock.clearTimer(t);
    this.downTimer = undefined;
    this.advertTimer = undefined;
    this.become('stopped', 'stopped');
    this.socket?.close();
    this.socket = undefined;
  }
}
