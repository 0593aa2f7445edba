// IPv6 on a virtual interface, link-local only: the fe80::/64 address made from the MAC (modified
// EUI-64, RFC 4291 appendix A: the U/L bit flipped, ff:fe in the middle), and Neighbor Discovery
// (RFC 4861) in place of ARP:
//   - resolution: a Neighbor Solicitation to the target's solicited-node group (ff02::1:ffXX:XXXX,
//     MAC 33:33:ff:XX:XX:XX) with our link-layer address; retried every `retransMs`, `tries` times;
//     packets wait in a bounded queue meanwhile, and are dropped (and reported) when nobody answers;
//   - answering: a solicited Neighbor Advertisement (S and O set, our MAC as target link-layer
//     address) to an NS for our address; the asker is cached as STALE (RFC 4861 7.2.3);
//   - the neighbour cache: REACHABLE for `reachableMs` after a solicited NA, then STALE (still used;
//     this stack sends no unreachability probes), bounded, oldest out first;
//   - Duplicate Address Detection when the address comes up (RFC 4862 5.4): one NS from ::;
//   - ICMPv6 echo (RFC 4443): replies to requests for our address or ff02::1, and ping (ping6.ts).
// ND packets are sent with hop limit 255 and accepted only with 255 (RFC 4861 7.1), so they cannot come
// from off the link. Packets with a bad ICMPv6 checksum are counted and dropped.

import { decode, encode, ethernet, icmpv6, ipv6, payload, ETHERTYPE, type Icmpv6, type Ipv6, type LayerSpec, type NdLinkAddrOption } from '../wire/index.ts';
import { ipv6Text } from '../wire/dns-rdata.ts';
import type { ArpInterface } from './arp-interface.ts';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import { macText } from './host-addr.ts';
import { formatColumns } from './routes.ts';
import { NetlabRangeError } from '../base/errors.ts';

export const ICMPV6 = { ECHO_REQUEST: 128, ECHO_REPLY: 129, NS: 135, NA: 136 } as const;
const ND_HOP_LIMIT = 255;
const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const UNSPECIFIED = new Uint8Array(16);

export interface NdSettings {
  /** How long a confirmed neighbour stays REACHABLE (ms). Default 30 000 (Linux's base_reachable_time). */
  reachableMs?: number;
  /** Time between solicitations for one address (ms). Default 1000 (RFC 4861 RetransTimer). */
  retransMs?: number;
  /** Solicitations before giving up. Default 3 (MAX_MULTICAST_SOLICIT). */
  tries?: number;
  /** Most neighbour cache entries. Default 256. */
  maxEntries?: number;
  /** Packets held per unresolved address. Default 3. */
  queuePerAddress?: number;
  /** Addresses being resolved at once. Default 64. */
  maxPending?: number;
}

export interface NdStats {
  nsSent: number;
  nsReceived: number;
  naSent: number;
  naReceived: number;
  echoRequestsReceived: number;
  echoRepliesSent: number;
  echoRepliesReceived: number;
  /** Packets dropped: bad checksum, ND with a hop limit other than 255, malformed. */
  rxErrors: number;
  /** IPv6 packets for groups or addresses that are not ours. */
  rxIgnored: number;
  /** Someone else uses our address (a DAD probe or an NA for it). */
  dadConflicts: number;
  resolutionFailures: number;
  queueDrops: number;
}

/** An echo reply that arrived (for ping6). */
export interface Echo6Reply {
  from: Uint8Array;
  id: number;
  seq: number;
  hopLimit: number;
  /** ICMPv6 message length. */
  length: number;
}

interface Neighbour {
  mac: Uint8Array;
  state: 'REACHABLE' | 'STALE';
  confirmedAt: number;
}

interface Pending {
  target: Uint8Array;
  /** IPv6 packets (from the IPv6 header on) waiting for the MAC. */
  packets: Uint8Array[];
  sent: number;
  timer: TimerHandle;
}

const key = (a: Uint8Array): string => Buffer.from(a).toString('hex');

/** fe80::/64 with the interface identifier from the MAC (modified EUI-64). */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = mac[0] ^ 0x02;
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

/** ff02::1:ffXX:XXXX for an address. */
export function solicitedNode(a: Uint8Array): Uint8Array {
  return Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, a[13], a[14], a[15]);
}

/** The Ethernet group address of an IPv6 multicast address: 33:33 and its last four bytes. */
export function multicastMac(a: Uint8Array): Uint8Array {
  return Uint8Array.of(0x33, 0x33, a[12], a[13], a[14], a[15]);
}

const equal16 = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
};

export class NdInterface {
  readonly address: Uint8Array;
  readonly addressText: string;
  readonly stats: NdStats = {
    nsSent: 0,
    nsReceived: 0,
    naSent: 0,
    naReceived: 0,
    echoRequestsReceived: 0,
    echoRepliesSent: 0,
    echoRepliesReceived: 0,
    rxErrors: 0,
    rxIgnored: 0,
    dadConflicts: 0,
    resolutionFailures: 0,
    queueDrops: 0,
  };
  private readonly neighbours = new Map<string, Neighbour>();
  private readonly pending = new Map<string, Pending>();
  private readonly echoListeners = new Set<(r: Echo6Reply) => void>();
  private readonly failureListeners = new Set<(target: Uint8Array) => void>();
  private readonly solicited: Uint8Array;
  private readonly reachableMs: number;
  private readonly retransMs: number;
  private readonly tries: number;
  private readonly maxEntries: number;
  private readonly queuePerAddress: number;
  private readonly maxPending: number;
  private closed = false;

  constructor(
    readonly iface: ArpInterface,
    readonly clock: NetClock,
    settings: NdSettings = {},
  ) {
    this.address = linkLocalFromMac(iface.mac);
    this.addressText = ipv6Text(this.address);
    this.solicited = solicitedNode(this.address);
    const pos = (name: string, v: number, int: boolean): number => {
      if (!(v > 0) || !Number.isFinite(v) || (int && !Number.isInteger(v)))
        throw new NetlabRangeError(`ND setting ${name} must be ${int ? 'a whole number' : 'a number'} above 0, got ${v}`);
      return v;
    };
    this.reachableMs = pos('reachableMs', settings.reachableMs ?? 30_000, false);
    this.retransMs = pos('retransMs', settings.retransMs ?? 1000, false);
    this.tries = pos('tries', settings.tries ?? 3, true);
    this.maxEntries = pos('maxEntries', settings.maxEntries ?? 256, true);
    this.queuePerAddress = pos('queuePerAddress', settings.queuePerAddress ?? 3, true);
    this.maxPending = pos('maxPending', settings.maxPending ?? 64, true);
    iface.onIpv6 = (_i, frame) => this.receive(frame);
  }

  /** Duplicate Address Detection: an NS for our own address from the unspecified address. */
  announce(): void {
    this.sendNs(this.address, UNSPECIFIED);
  }

  /** The neighbour's MAC, or undefined. */
  lookup(addr: Uint8Array): Uint8Array | undefined {
    return this.neighbours.get(key(addr))?.mac;
  }

  /** Sends an ICMPv6 echo request (ping6.ts reads the replies through onEchoReply). */
  sendEchoRequest(dst: Uint8Array, id: number, seq: number, data: Uint8Array, hopLimit = 64): void {
    this.sendPacket(dst, hopLimit, [icmpv6({ type: ICMPV6.ECHO_REQUEST, id, seq }), payload(data)]);
  }

  onEchoReply(fn: (r: Echo6Reply) => void): () => void {
    this.echoListeners.add(fn);
    return () => this.echoListeners.delete(fn);
  }

  /** Called with each address whose resolution failed (nobody answered `tries` solicitations). */
  onUnreachable(fn: (target: Uint8Array) => void): () => void {
    this.failureListeners.add(fn);
    return () => this.failureListeners.delete(fn);
  }

  /** The cache as `ip -6 neigh` prints it, incomplete entries included. */
  neighbourTable(): string {
    const now = this.clock.now();
    const rows: string[][] = [];
    for (const [k, n] of this.neighbours) {
      const state = n.state === 'REACHABLE' && now - n.confirmedAt >= this.reachableMs ? 'STALE' : n.state;
      rows.push([ipv6Text(Buffer.from(k, 'hex')), 'dev', this.iface.name, 'lladdr', macText(n.mac), state]);
    }
    for (const p of this.pending.values()) rows.push([ipv6Text(p.target), 'dev', this.iface.name, '', '', 'INCOMPLETE']);
    return rows.length === 0 ? '(no neighbours)' : formatColumns(rows);
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) this.clock.clearTimer(p.timer);
    this.pending.clear();
  }

  // -------------------------------------------------------------------------------------------

  /** Sends layers after an IPv6 header from our address to `dst`, resolving its MAC first. */
  private sendPacket(dst: Uint8Array, hopLimit: number, layers: readonly LayerSpec[]): void {
    if (this.closed) return;
    const packet = encode([ipv6({ src: this.address, dst, hopLimit }), ...layers]);
    this.sendIpv6(dst, packet);
  }

  private sendIpv6(dst: Uint8Array, packet: Uint8Array): void {
    if (dst[0] === 0xff) {
      this.transmit(multicastMac(dst), packet);
      return;
    }
    const mac = this.lookup(dst);
    if (mac !== undefined) {
      this.transmit(mac, packet);
      return;
    }
    const k = key(dst);
    const p = this.pending.get(k);
    if (p !== undefined) {
      if (p.packets.length >= this.queuePerAddress) this.stats.queueDrops++;
      else p.packets.push(packet);
      return;
    }
    if (this.pending.size >= this.maxPending) {
      this.stats.queueDrops++;
      return;
    }
    const entry: Pending = { target: Uint8Array.from(dst), packets: [packet], sent: 0, timer: { id: 0 } };
    this.pending.set(k, entry);
    this.solicit(entry);
  }

  private solicit(p: Pending): void {
    p.sent++;
    this.sendNs(p.target, this.address);
    p.timer = this.clock.setTimer(() => {
      if (this.closed || this.pending.get(key(p.target)) !== p) return;
      if (p.sent < this.tries) return this.solicit(p);
      this.pending.delete(key(p.target));
      this.stats.resolutionFailures++;
      this.stats.queueDrops += p.packets.length;
      for (const fn of this.failureListeners) fn(p.target);
    }, this.retransMs);
  }

  private sendNs(target: Uint8Array, src: Uint8Array): void {
    const dad = equal16(src, UNSPECIFIED);
    const group = solicitedNode(target);
    const packet = encode([
      ipv6({ src, dst: group, hopLimit: ND_HOP_LIMIT }),
      icmpv6({ type: ICMPV6.NS, target, ndOptions: dad ? [] : [{ sourceLinkAddr: this.iface.mac }] }),
    ]);
    this.stats.nsSent++;
    this.transmit(multicastMac(group), packet);
  }

  private transmit(dstMac: Uint8Array, packet: Uint8Array): void {
    this.iface.sendFrame(encode([ethernet({ src: this.iface.mac, dst: dstMac, type: ETHERTYPE.IPV6 }), payload(packet)]));
  }

  private learn(addr: Uint8Array, mac: Uint8Array, state: Neighbour['state']): void {
    const k = key(addr);
    const old = this.neighbours.get(k);
    if (old === undefined && this.neighbours.size >= this.maxEntries) {
      const oldest = this.neighbours.keys().next().value;
      if (oldest !== undefined) this.neighbours.delete(oldest);
    }
    this.neighbours.delete(k); // re-insert: the map's order is the age order
    this.neighbours.set(k, { mac: Uint8Array.from(mac), state, confirmedAt: this.clock.now() });
    const p = this.pending.get(k);
    if (p !== undefined) {
      this.clock.clearTimer(p.timer);
      this.pending.delete(k);
      for (const packet of p.packets) this.transmit(mac, packet);
    }
  }

  private receive(frame: Uint8Array): void {
    if (this.closed) return;
    const layers = decode(frame, 1).layers;
    const ipLayer = layers.find((l) => l.kind === 'ipv6');
    const icmpLayer = layers.find((l) => l.kind === 'icmpv6');
    if (ipLayer === undefined) {
      this.stats.rxErrors++;
      return;
    }
    const ip = ipLayer.value as Ipv6;
    const forUs = equal16(ip.dst, this.address) || equal16(ip.dst, ALL_NODES) || equal16(ip.dst, this.solicited);
    if (!forUs || icmpLayer === undefined) {
      this.stats.rxIgnored++;
      return;
    }
    const m = icmpLayer.value as Icmpv6;
    if (m.checksumStatus !== 'good' || icmpLayer.malformed.length > 0) {
      this.stats.rxErrors++;
      return;
    }
    switch (m.type) {
      case ICMPV6.NS:
        return this.receiveNs(ip, m);
      case ICMPV6.NA:
        return this.receiveNa(ip, m);
      case ICMPV6.ECHO_REQUEST: {
        this.stats.echoRequestsReceived++;
        // The echo data runs from after the 8-byte echo header to the end of the IPv6 payload.
        const end = Math.min(frame.length, ipLayer.offset + 40 + ip.payloadLength);
        const data = frame.subarray(Math.min(end, icmpLayer.offset + 8), end);
        this.stats.echoRepliesSent++;
        this.sendPacket(ip.src, 64, [icmpv6({ type: ICMPV6.ECHO_REPLY, id: m.id ?? 0, seq: m.seq ?? 0 }), payload(Uint8Array.from(data))]);
        return;
      }
      case ICMPV6.ECHO_REPLY: {
        this.stats.echoRepliesReceived++;
        const length = Math.max(0, Math.min(frame.length, ipLayer.offset + 40 + ip.payloadLength) - icmpLayer.offset);
        const r: Echo6Reply = { from: Uint8Array.from(ip.src), id: m.id ?? 0, seq: m.seq ?? 0, hopLimit: ip.hopLimit, length };
        for (const fn of this.echoListeners) fn(r);
        return;
      }
      default:
        this.stats.rxIgnored++;
    }
  }

  private linkAddr(m: Icmpv6, kind: NdLinkAddrOption['kind']): Uint8Array | undefined {
    const o = m.ndOptions?.find((x): x is NdLinkAddrOption => 'kind' in x && x.kind === kind);
    return o !== undefined && o.address.length === 6 ? o.address : undefined;
  }

  private receiveNs(ip: Ipv6, m: Icmpv6): void {
    if (ip.hopLimit !== ND_HOP_LIMIT || m.code !== 0 || m.target === undefined) {
      this.stats.rxErrors++;
      return;
    }
    this.stats.nsReceived++;
    if (!equal16(m.target, this.address)) {
      this.stats.rxIgnored++;
      return;
    }
    const dad = equal16(ip.src, UNSPECIFIED);
    if (dad) {
      // Another node probes for our address: it would be a duplicate. Defend it (RFC 4862 5.4.3).
      this.stats.dadConflicts++;
    } else {
      const mac = this.linkAddr(m, 'source-link-addr');
      if (mac !== undefined) this.learnUnsolicited(ip.src, mac);
    }
    const dst = dad ? ALL_NODES : ip.src;
    const reply = encode([
      ipv6({ src: this.address, dst, hopLimit: ND_HOP_LIMIT }),
      icmpv6({ type: ICMPV6.NA, target: this.address, solicited: !dad, override: true, ndOptions: [{ targetLinkAddr: this.iface.mac }] }),
    ]);
    this.stats.naSent++;
    if (dad) this.transmit(multicastMac(ALL_NODES), reply);
    else this.sendIpv6(ip.src, reply);
  }

  /** An NS's source: cached STALE unless known with the same MAC (RFC 4861 7.2.3). */
  private learnUnsolicited(addr: Uint8Array, mac: Uint8Array): void {
    const known = this.neighbours.get(key(addr));
    if (known !== undefined && Buffer.compare(known.mac, mac) === 0) return;
    this.learn(addr, mac, 'STALE');
  }

  private receiveNa(ip: Ipv6, m: Icmpv6): void {
    if (ip.hopLimit !== ND_HOP_LIMIT || m.code !== 0 || m.target === undefined) {
      this.stats.rxErrors++;
      return;
    }
    this.stats.naReceived++;
    if (equal16(m.target, this.address)) {
      this.stats.dadConflicts++;
      return;
    }
    const mac = this.linkAddr(m, 'target-link-addr');
    // The NA flags are the top bits of the 32-bit word after the checksum: R, S, O.
    const solicited = ((m.naFlags ?? 0) & 0x4000_0000) !== 0;
    const override = ((m.naFlags ?? 0) & 0x2000_0000) !== 0;
    const k = key(m.target);
    const known = this.neighbours.get(k);
    if (mac === undefined) return;
    if (this.pending.has(k) || known === undefined) {
      // RFC 4861 7.2.5: an unsolicited NA creates no entry; an answer to our NS completes one.
      if (this.pending.has(k)) this.learn(m.target, mac, solicited ? 'REACHABLE' : 'STALE');
      return;
    }
    if (override || Buffer.compare(known.mac, mac) === 0) this.learn(m.target, mac, solicited ? 'REACHABLE' : 'STALE');
  }
}
