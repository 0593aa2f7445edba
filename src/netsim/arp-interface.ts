// One Ethernet interface with an IPv4 address, as hosts and routers have them: it filters frames by
// destination MAC, answers ARP for its own address, learns from ARP (RFC 826: refresh a sender it knows,
// learn a sender that asks for its address), and sends IPv4 datagrams to a next hop, resolving the
// next hop's MAC first. While a resolution is pending, frames wait in a bounded queue (drops counted);
// the request is retried, and when every try has gone unanswered the waiting frames are handed back
// (`onUnresolved`) so the node can report ICMP host unreachable.
//
// Frames to send carry 14 bytes of room for the Ethernet header in front of the IPv4 datagram
// (`frame[14..]`), so a router forwards a frame without copying it again: the header is written in place.

import { ARP_ETHER_IPV4_LEN, ARP_OPCODE_VALUE, BROADCAST_MAC, ETH_HEADER_LEN, ETH_MIN_FRAME_LEN, ETHERTYPE, arp, encode, ethernet } from '../wire/index.ts';
import { ArpCache } from './arp-cache.ts';
import { ipv4FromBytes, ipv4Text, ipv4ToBytes, isBroadcastMac, macEquals, macOf, macText, parsePrefix, prefixMask } from './host-addr.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import type { FramePort } from './port.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface ArpSettings {
  /** How long a learnt entry lives (ms). Default 60000. */
  cacheTimeoutMs?: number;
  /** Most ARP cache entries per interface. Default 1024. */
  cacheMaxEntries?: number;
  /** Time between ARP requests for one address (ms). Default 1000. */
  retryMs?: number;
  /** Requests sent before giving up. Default 3. */
  tries?: number;
  /** Frames held per unresolved address. Default 3 (Linux's unres_qlen is counted in bytes). */
  queuePerAddress?: number;
  /** Addresses being resolved at once. Default 64. */
  maxPending?: number;
}

export interface ArpInterfaceOptions {
  name: string;
  port: FramePort;
  mac: string | Uint8Array;
  /** 'a.b.c.d/len'. */
  address: string;
  clock: NetClock;
  arp?: ArpSettings;
}

/** Counters of one interface. */
export interface InterfaceStats {
  rxFrames: number;
  txFrames: number;
  /** Frames addressed to another MAC (a switch flooding), or of a type the node does not handle. */
  rxIgnored: number;
  /** Frames too short or ARP packets that are not Ethernet/IPv4. */
  rxErrors: number;
  arpRequestsSent: number;
  arpRepliesSent: number;
  arpRequestsReceived: number;
  arpRepliesReceived: number;
  /** Frames dropped because an address's pending queue, or the pending table, was full. */
  arpQueueDrops: number;
  /** Addresses that never answered (every try timed out). */
  arpFailures: number;
  /** ARP packets claiming this interface's address from another MAC. */
  arpConflicts: number;
}

interface Pending {
  ip: number;
  frames: Uint8Array[];
  triesSent: number;
  timer: TimerHandle;
}

/** A frame whose IPv4 destination could not be resolved (`frame[14..]` is the datagram). */
export type UnresolvedHandler = (iface: ArpInterface, nextHop: number, frames: Uint8Array[]) => void;
/** A frame with an IPv4 datagram for this node (or to forward); the datagram starts at byte 14. */
export type Ipv4FrameHandler = (iface: ArpInterface, frame: Uint8Array) => void;

export class ArpInterface {
  readonly name: string;
  readonly port: FramePort;
  readonly mac: Uint8Array;
  readonly macText: string;
  address = 0;
  prefixLen = 0;
  readonly cache: ArpCache;
  readonly stats: InterfaceStats = {
    rxFrames: 0,
    txFrames: 0,
    rxIgnored: 0,
    rxErrors: 0,
    arpRequestsSent: 0,
    arpRepliesSent: 0,
    arpRequestsReceived: 0,
    arpRepliesReceived: 0,
    arpQueueDrops: 0,
    arpFailures: 0,
    arpConflicts: 0,
  };
  onIpv4: Ipv4FrameHandler = () => {};
  /** IPv6 frames (set by the interface's neighbour discovery, ndp.ts); without it they are ignored. */
  onIpv6: Ipv4FrameHandler | undefined;
  onUnresolved: UnresolvedHandler = () => {};
  private readonly clock: NetClock;
  private readonly pending = new Map<number, Pending>();
  private readonly retryMs: number;
  private readonly tries: number;
  private readonly queuePerAddress: number;
  private readonly maxPending: number;
  private closed = false;
  /** Secondary addresses (a floating address this node holds now), answered for like the primary. */
  private readonly aliases = new Set<number>();

  constructor(o: ArpInterfaceOptions) {
    this.name = o.name;
    this.port = o.port;
    this.mac = macOf(o.mac);
    this.macText = macText(this.mac);
    if ((this.mac[0] & 1) !== 0)
      throw new NetlabRangeError(
        `interface ${o.name}: ${this.macText} is a group (multicast) MAC; a NIC needs a unicast one (first byte even, like 02:00:00:00:00:01)`,
      );
    this.clock = o.clock;
    const a = o.arp ?? {};
    this.cache = new ArpCache({ clock: o.clock, timeoutMs: a.cacheTimeoutMs, maxEntries: a.cacheMaxEntries });
    this.retryMs = positive('retryMs', a.retryMs ?? 1000);
    this.tries = positiveInt('tries', a.tries ?? 3);
    this.queuePerAddress = positiveInt('queuePerAddress', a.queuePerAddress ?? 3);
    this.maxPending = positiveInt('maxPending', a.maxPending ?? 64);
    this.assign(o.address);
    this.port.onFrame((f) => this.receive(f));
  }

  /** The directed broadcast address of the interface's network (255.255.255.255 on /31 and /32, RFC 3021). */
  get broadcast(): number {
    if (this.prefixLen >= 31) return 0xffffffff;
    return (this.address | ~prefixMask(this.prefixLen)) >>> 0;
  }

  /** 'a.b.c.d/len'. */
  get cidr(): string {
    return `${ipv4Text(this.address)}/${this.prefixLen}`;
  }

  /** Addresses whose resolution is in progress. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Frames waiting for a resolution, over all addresses. */
  get queuedFrames(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.frames.length;
    return n;
  }

  /** Sets the address without announcing it (the node announces, see `announce`). */
  assign(cidr: string): void {
    const p = parsePrefix(cidr);
    this.address = p.address;
    this.prefixLen = p.prefixLen;
  }

  /** True when `ip` is the interface's address or one of its secondary addresses. */
  owns(ip: number): boolean {
    return (ip === this.address && ip !== 0) || this.aliases.has(ip);
  }

  /** The secondary addresses, as text. */
  get secondary(): string[] {
    return [...this.aliases].map(ipv4Text);
  }

  /** Adds a secondary address (`ip addr add VIP/32 dev eth0`); announce it with `announce(ip)`. */
  addSecondary(ip: number): void {
    if (ip === 0 || ip === 0xffffffff) throw new NetlabRangeError(`interface ${this.name}: ${ipv4Text(ip)} cannot be a secondary address`);
    this.aliases.add(ip >>> 0);
  }

  /** Removes a secondary address; false when the interface did not have it. */
  removeSecondary(ip: number): boolean {
    return this.aliases.delete(ip >>> 0);
  }

  /** Sends a gratuitous ARP request announcing an address of the interface (sender = target; default the primary). */
  announce(address: number = this.address): void {
    if (!this.owns(address)) throw new NetlabRangeError(`interface ${this.name} cannot announce ${ipv4Text(address)}: not one of its addresses`);
    const ip = ipv4ToBytes(address);
    this.sendArp(BROADCAST_MAC, ARP_OPCODE_VALUE.REQUEST, ip, new Uint8Array(6), ip);
  }

  /**
   * Sends a frame whose bytes 14.. hold an IPv4 datagram to `nextHop`, resolving its MAC first. The
   * frame is written into (its Ethernet header) and must not be used by the caller afterwards.
   */
  sendIpv4(nextHop: number, frame: Uint8Array): void {
    if (this.closed) return;
    if (nextHop === this.broadcast || nextHop === 0xffffffff) {
      this.transmit(BROADCAST_MAC, frame);
      return;
    }
    const mac = this.cache.lookup(nextHop);
    if (mac !== undefined) {
      this.transmit(mac, frame);
      return;
    }
    const p = this.pending.get(nextHop);
    if (p !== undefined) {
      if (p.frames.length >= this.queuePerAddress) this.stats.arpQueueDrops++;
      else p.frames.push(frame);
      return;
    }
    if (this.pending.size >= this.maxPending) {
      this.stats.arpQueueDrops++;
      return;
    }
    const entry: Pending = { ip: nextHop, frames: [frame], triesSent: 0, timer: { id: 0 } };
    this.pending.set(nextHop, entry);
    this.solicit(entry);
  }

  /** Writes the Ethernet header into `frame` (IPv4, from this MAC to `dstMac`) and sends it, padded to 60 bytes. */
  transmit(dstMac: Uint8Array, frame: Uint8Array): void {
    if (this.closed) return;
    frame.set(dstMac, 0);
    frame.set(this.mac, 6);
    frame[12] = ETHERTYPE.IPV4 >>> 8;
    frame[13] = ETHERTYPE.IPV4 & 0xff;
    let out = frame;
    if (out.length < ETH_MIN_FRAME_LEN) {
      out = new Uint8Array(ETH_MIN_FRAME_LEN);
      out.set(frame);
    }
    this.stats.txFrames++;
    this.port.send(out);
  }

  /** Sends a complete Ethernet frame as it is (IPv6 and neighbour discovery build their own). */
  sendFrame(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.txFrames++;
    this.port.send(frame);
  }

  /** Stops timers, drops what is queued, closes the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) this.clock.clearTimer(p.timer);
    this.pending.clear();
    await this.port.close();
  }

  /** Rows for the node's ARP table: address, MAC, interface, state, expires (incomplete entries too). */
  arpRows(): string[][] {
    const rows = this.cache.rows().map(([ip, mac, state, exp]) => [ip, mac, this.name, state, exp]);
    for (const p of this.pending.values()) rows.push([ipv4Text(p.ip), '(incomplete)', this.name, `incomplete, try ${p.triesSent}/${this.tries}`, '-']);
    return rows;
  }

  private solicit(p: Pending): void {
    p.triesSent++;
    this.sendArp(BROADCAST_MAC, ARP_OPCODE_VALUE.REQUEST, ipv4ToBytes(this.address), new Uint8Array(6), ipv4ToBytes(p.ip));
    p.timer = this.clock.setTimer(() => {
      if (this.closed || this.pending.get(p.ip) !== p) return;
      if (p.triesSent < this.tries) {
        this.solicit(p);
        return;
      }
      this.pending.delete(p.ip);
      this.stats.arpFailures++;
      this.onUnresolved(this, p.ip, p.frames);
    }, this.retryMs);
  }

  private sendArp(dstMac: Uint8Array, op: number, senderIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array): void {
    if (this.closed) return;
    const frame = encode([ethernet({ src: this.mac, dst: dstMac, pad: true }), arp({ op, senderMac: this.mac, senderIp, targetMac, targetIp })]);
    if (op === ARP_OPCODE_VALUE.REQUEST) this.stats.arpRequestsSent++;
    else this.stats.arpRepliesSent++;
    this.stats.txFrames++;
    this.port.send(frame);
  }

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.rxFrames++;
    if (frame.length < ETH_HEADER_LEN) {
      this.stats.rxErrors++;
      return;
    }
    const type = (frame[12] << 8) | frame[13];
    // IPv6 multicast MACs (33:33:...) reach IPv6, which keeps only the groups it joined (ndp.ts).
    const ipv6Multicast = frame[0] === 0x33 && frame[1] === 0x33 && type === ETHERTYPE.IPV6 && this.onIpv6 !== undefined;
    if (!macEquals(frame, 0, this.mac) && !isBroadcastMac(frame, 0) && !ipv6Multicast) {
      this.stats.rxIgnored++;
      return;
    }
    if (type === ETHERTYPE.IPV4) this.onIpv4(this, frame);
    else if (type === ETHERTYPE.ARP) this.receiveArp(frame);
    else if (type === ETHERTYPE.IPV6 && this.onIpv6 !== undefined) this.onIpv6(this, frame);
    else this.stats.rxIgnored++;
  }

  private receiveArp(frame: Uint8Array): void {
    const o = ETH_HEADER_LEN;
    if (frame.length < o + ARP_ETHER_IPV4_LEN) {
      this.stats.rxErrors++;
      return;
    }
    const hwType = (frame[o] << 8) | frame[o + 1];
    const protoType = (frame[o + 2] << 8) | frame[o + 3];
    if (hwType !== 1 || protoType !== ETHERTYPE.IPV4 || frame[o + 4] !== 6 || frame[o + 5] !== 4) {
      this.stats.rxErrors++;
      return;
    }
    const op = (frame[o + 6] << 8) | frame[o + 7];
    const senderMac = frame.subarray(o + 8, o + 14);
    const senderIp = ipv4FromBytes(frame, o + 14);
    const targetIp = ipv4FromBytes(frame, o + 24);
    if (op === ARP_OPCODE_VALUE.REQUEST) this.stats.arpRequestsReceived++;
    else if (op === ARP_OPCODE_VALUE.REPLY) this.stats.arpRepliesReceived++;
    else {
      this.stats.rxIgnored++;
      return;
    }
    if (macEquals(senderMac, 0, this.mac)) return; // our own frame, come back around
    if (senderIp === this.address || this.aliases.has(senderIp)) {
      // Someone else claims our address: note it, never learn it.
      this.stats.arpConflicts++;
      return;
    }
    const forUs = this.owns(targetIp);
    // RFC 826: refresh a sender we know; learn it when the packet is addressed to us. A probe
    // (sender 0.0.0.0) teaches nothing.
    if (senderIp !== 0) {
      const merged = this.cache.refresh(senderIp, senderMac);
      if (!merged && forUs) this.cache.set(senderIp, senderMac);
    }
    if (forUs && op === ARP_OPCODE_VALUE.REQUEST) {
      this.sendArp(Uint8Array.from(senderMac), ARP_OPCODE_VALUE.REPLY, ipv4ToBytes(targetIp), Uint8Array.from(senderMac), ipv4ToBytes(senderIp));
    }
    const p = senderIp !== 0 ? this.pending.get(senderIp) : undefined;
    if (p !== undefined) {
      this.clock.clearTimer(p.timer);
      this.pending.delete(senderIp);
      if (!this.cache.has(senderIp)) this.cache.set(senderIp, senderMac);
      const mac = Uint8Array.from(senderMac);
      for (const f of p.frames) this.transmit(mac, f);
    }
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new NetlabRangeError(`ARP setting ${name} must be more than 0, got ${v}`);
  return v;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new NetlabRangeError(`ARP setting ${name} must be a whole number >= 1, got ${v}`);
  return v;
}
