// A floating (virtual) IP shared by balancer instances, VRRP-style, with netlab's own heartbeat
// (src/wire/vrrp-heartbeat.ts) over loopback UDP:
//  - the active instance ("master") holds the virtual address: it calls `acquire()` (which binds the
//    balancer's listener on the 127.x address; only one process can hold that address and port) and
//    sends an ADVERT to its peers every intervalMs;
//  - a standby ("backup") that hears no ADVERT from an instance at least as good for
//    intervalMs × threshold (plus a skew that lets the higher priority win a tie, as VRRP's
//    (256 − priority)/256 × interval) becomes master;
//  - preemption: a backup with preempt on that hears an ADVERT of a lower priority takes over;
//  - split brain: two masters (heartbeats were lost both ways and came back) resolve on the first
//    ADVERT each hears: the lower priority (then the lower instance id) steps down and releases. While
//    the address is still held by the other, `acquire()` fails and the new master keeps trying each
//    interval, so the address is never bound twice on one host;
//  - a clean stop sends RESIGN, so the standby takes over at once instead of after the timeout;
//  - a master that steps down (it heard a better master: preemption, or a split brain ending) releases
//    the address and then sends RESIGN, as the virtual network's floating address does
//    (src/netsim/floating-vip.ts); a master that hears a RESIGN answers with an ADVERT at once and
//    takes the address without waiting for its next tick. VRRP (RFC 5798, 6.4.3) has the master that
//    receives a higher-priority advertisement just cancel its timer and transition to Backup, sending
//    nothing; its priority-0 advertisement (the RESIGN here) is only for shutting down, and a master
//    that receives one sends an advertisement at once. netlab adds the RESIGN on stepping down so the
//    better master re-takes the address (and re-announces it) without waiting for the next interval.

import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { NetlabRangeError } from '../base/errors.ts';
import { realClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../wire/vrrp-heartbeat.ts';
import { masterDownMs, onAdvert } from '../wire/vrrp-election.ts';

export type FloatingState = 'init' | 'backup' | 'master' | 'stopped';

export interface FloatingIpOptions {
  /** The virtual address (a 127.x address on one host). */
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
  /** Where this instance listens for heartbeats (port 0 picks one). */
  readonly heartbeat: { readonly address: string; readonly port?: number };
  /** Where the other instances listen (settable later with setPeers). */
  readonly peers?: readonly { address: string; port: number }[];
  /** Takes the address (binds the listener on it); resolve with a release function. A rejection means "not now". */
  readonly acquire: (vip: string) => Promise<() => Promise<void>>;
  readonly clock?: NetClock;
  readonly onState?: (state: FloatingState, why: string, at: number) => void;
}

export class FloatingIp {
  state: FloatingState = 'init';
  /** Holding the address now. */
  holding = false;
  readonly intervalMs: number;
  readonly threshold: number;
  private readonly clock: NetClock;
  private readonly socket: DgramSocket;
  private peers: { address: string; port: number }[];
  private seq = 0;
  private downTimer: TimerHandle | undefined;
  private advertTimer: TimerHandle | undefined;
  private release: (() => Promise<void>) | undefined;
  private acquiring = false;
  /** Heartbeats dropped on purpose (a lab's "the heartbeat link is down"). */
  deafened = false;
  readonly received = { adverts: 0, resigns: 0, malformed: 0 };
  /** When the last ADVERT from another instance arrived (the clock's ms), undefined before the first. */
  lastAdvertAt: number | undefined;

  constructor(readonly options: FloatingIpOptions) {
    this.intervalMs = options.intervalMs ?? 100;
    this.threshold = options.threshold ?? 3;
    if (!(Number.isInteger(options.priority) && options.priority >= 1 && options.priority <= 254))
      throw new NetlabRangeError(`floating IP priority must be 1..254, got ${options.priority}`, { layer: 'l4' });
    if (!(Number.isInteger(this.threshold) && this.threshold >= 1))
      throw new NetlabRangeError(`floating IP threshold must be >= 1, got ${this.threshold}`, { layer: 'l4' });
    this.clock = options.clock ?? realClock();
    this.peers = [...(options.peers ?? [])];
    this.socket = createSocket('udp4');
    this.socket.on('message', (m) => this.onMessage(m));
    this.socket.on('error', () => undefined);
  }

  /** Where this instance hears heartbeats. */
  get heartbeatPort(): number {
    return this.socket.address().port;
  }

  setPeers(peers: readonly { address: string; port: number }[]): void {
    this.peers = [...peers];
  }

  /** The time a backup waits without ADVERTs: interval × threshold + skew. */
  get masterDownMs(): number {
    return masterDownMs(this.intervalMs, this.threshold, this.options.priority);
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(this.options.heartbeat.port ?? 0, this.options.heartbeat.address, () => r()));
    return this.heartbeatPort;
  }

  /** Starts as backup; becomes master after masterDownMs without a better ADVERT. */
  start(): void {
    this.become('backup', 'started');
    this.armDown();
  }

  private become(s: FloatingState, why: string): void {
    if (this.state === s) return;
    this.state = s;
    this.options.onState?.(s, why, this.clock.now());
  }

  private armDown(): void {
    if (this.downTimer !== undefined) this.clock.clearTimer(this.downTimer);
    this.downTimer = this.clock.setTimer(() => {
      this.downTimer = undefined;
      if (this.state === 'backup') void this.toMaster(`no ADVERT for ${Math.round(this.masterDownMs)} ms`);
    }, this.masterDownMs);
  }

  private async toMaster(why: string): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.downTimer !== undefined) this.clock.clearTimer(this.downTimer);
    this.downTimer = undefined;
    this.become('master', why);
    this.advertise();
  }

  /** One tick as master: send an ADVERT, and take the address if not holding it yet. */
  private advertise(): void {
    if (this.state !== 'master') return;
    this.send('advert');
    if (!this.holding && !this.acquiring) {
      this.acquiring = true;
      this.options.acquire(this.options.vip).then(
        async (release) => {
          this.acquiring = false;
          if (this.state !== 'master') {
            await release();
            return;
          }
          this.release = release;
          this.holding = true;
        },
        () => {
          this.acquiring = false; // held elsewhere still: try again next tick
        },
      );
    }
    this.advertTimer = this.clock.setTimer(() => {
      this.advertTimer = undefined;
      this.advertise();
    }, this.intervalMs);
  }

  private send(type: Heartbeat['type']): void {
    const msg = encodeHeartbeat({
      type,
      priority: this.options.priority,
      preempt: this.options.preempt ?? true,
      intervalMs: this.intervalMs,
      vip: this.options.vip,
      instance: this.options.instance,
      seq: this.seq++ >>> 0,
    });
    for (const p of this.peers) this.socket.send(msg, p.port, p.address);
  }

  private onMessage(m: Buffer): void {
    if (this.deafened || this.state === 'stopped') return;
    const v = decodeHeartbeat(m);
    if (!v.ok) {
      this.received.malformed++;
      return;
    }
    const h = v.value;
    if (h.instance === this.options.instance || h.vip !== this.options.vip) return;
    if (h.type === 'resign') {
      this.received.resigns++;
      if (this.state === 'backup') void this.toMaster(`instance ${h.instance} resigned`);
      else if (this.state === 'master') this.reannounce();
      return;
    }
    this.received.adverts++;
    this.lastAdvertAt = this.clock.now();
    if (this.state !== 'backup' && this.state !== 'master') return;
    const action = onAdvert(this.state, { priority: this.options.priority, instance: this.options.instance, preempt: this.options.preempt ?? true }, h);
    if (action === 'rearm') this.armDown();
    else if (action === 'preempt') void this.toMaster(`preempting instance ${h.instance} (priority ${h.priority} < ${this.options.priority})`);
    else if (action === 'step-down') void this.stepDown(`instance ${h.instance} is master with priority ${h.priority}`);
  }

  /** A RESIGN heard as master: ADVERT now (and take the address now if another just let it go). */
  private reannounce(): void {
    if (this.advertTimer !== undefined) this.clock.clearTimer(this.advertTimer);
    this.advertTimer = undefined;
    this.advertise();
  }

  private async stepDown(why: string): Promise<void> {
    if (this.advertTimer !== undefined) this.clock.clearTimer(this.advertTimer);
    this.advertTimer = undefined;
    this.become('backup', why);
    this.armDown();
    await this.letGo();
    // "I let it go" (after the release, so the better master can bind the address at once).
    if (this.state === 'backup') this.send('resign');
  }

  private async letGo(): Promise<void> {
    const r = this.release;
    this.release = undefined;
    this.holding = false;
    if (r !== undefined) await r();
  }

  /** A clean stop: RESIGN (when master), release the address, close the socket. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.state === 'master') this.send('resign');
    await this.halt();
  }

  /** A crash: no RESIGN; the address goes when the process would die. */
  async crash(): Promise<void> {
    await this.halt();
  }

  private async halt(): Promise<void> {
    for (const t of [this.downTimer, this.advertTimer]) if (t !== undefined) this.clock.clearTimer(t);
    this.downTimer = undefined;
    this.advertTimer = undefined;
    this.become('stopped', 'stopped');
    await this.letGo();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}
