// A virtual IPv4 router: a Host (router answers ping and ARP on each of its interfaces, and says port
// unreachable to UDP for itself) that also forwards (RFC 1812 §5.2/5.3). For each datagram that is not
// for one of its own addresses it:
//   - drops what must not be forwarded (link-layer broadcast, broadcast/multicast destination, a source
//     that names no single host);
//   - finds the route by longest-prefix match, or answers ICMP destination net unreachable (code 0)
//     (the route comes first, as in Linux, where the input route lookup precedes the TTL check);
//   - answers TTL 1 or 0 with ICMP time exceeded (code 0), quoting the datagram as received;
//   - decrements the TTL and updates the header checksum incrementally (RFC 1624 eqn. 3, over the
//     TTL/protocol word), copying the datagram (without any Ethernet padding) into a new frame;
//   - sends it to the next hop (the route's gateway, or the destination on a connected network) with
//     the outgoing interface's MAC as source, resolving the next hop's MAC by ARP; when ARP gets no
//     answer, the source gets ICMP destination host unreachable (code 1).
//
//   const r1 = new Router({ name: 'r1' });
//   r1.addInterface({ name: 'eth0', port: a, mac: '02:00:00:00:01:01', address: '10.0.1.1/24' });
//   r1.addInterface({ name: 'eth1', port: b, mac: '02:00:00:00:02:01', address: '10.0.2.1/24' });
//   r1.addRoute('10.0.3.0/24', '10.0.2.2');

import { ETH_HEADER_LEN, ICMP_TYPE_NUM, IPV4_CHECKSUM, IPV4_TTL, incrementalUpdate16 } from '../wire/index.ts';
import type { ArpInterface } from './arp-interface.ts';
import { Host, type HostOptions } from './host.ts';
import { type Datagram, readDatagram } from './host-ipv4.ts';
import { isMulticastOrBroadcast, isNotUnicastSource } from './host-ipv4.ts';
import { TIME_EXCEEDED, UNREACH, mayReportError } from './icmp-errors.ts';

/** Counters of what the router did not forward, beyond the Host's. */
export interface RouterDrops {
  /** Link-layer broadcasts, broadcast/multicast destinations, sources that name no host. */
  notForwardable: number;
  /** Datagrams an interface translator (a NAT, src/nat/) refused. */
  translator: number;
}

/** What `InterfaceTranslator.output` may answer besides an ICMP unreachable code (0..15). */
export const TRANSLATOR_FORWARD = -1;
export const TRANSLATOR_DROP = -2;

/**
 * A translator attached to one interface (a NAT: src/nat/router-nat.ts). The router calls `input` for
 * every IPv4 frame that arrives on the interface, before deciding whether it is for the router, and
 * `output` for every datagram it forwards out of it.
 */
export interface InterfaceTranslator {
  /** The frame to carry on with (the same one, or a rewritten copy: the received frame belongs to the link), or undefined to drop it. */
  input(frame: Uint8Array): Uint8Array | undefined;
  /** Rewrites the router's own copy (IPv4 header at 14) in place: TRANSLATOR_FORWARD, TRANSLATOR_DROP, or an ICMP destination unreachable code to send to the source before dropping. */
  output(frame: Uint8Array): number;
  /** The translator's table as text, for display (a NAT's sessions). */
  table?(): string;
}

export class Router extends Host {
  readonly drops: RouterDrops = { notForwardable: 0, translator: 0 };
  private readonly translators = new Map<string, InterfaceTranslator>();

  constructor(options: HostOptions) {
    super(options);
  }

  /**
   * Sends ICMP destination unreachable (`code`) about an IPv4 datagram (header first) to its source,
   * as the router does for datagrams it cannot deliver: a NAT's held SYN nobody claimed (RFC 5382).
   */
  reportUnreachable(datagram: Uint8Array, code: number): void {
    const d = readDatagram(datagram, 0);
    if (typeof d === 'string' || !mayReportError(d, false, this.broadcasts())) return;
    this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, code);
  }

  /** Attaches a translator to an interface (undefined detaches it). */
  setTranslator(ifaceName: string, translator: InterfaceTranslator | undefined): void {
    this.interface(ifaceName);
    if (translator === undefined) this.translators.delete(ifaceName);
    else this.translators.set(ifaceName, translator);
  }

  /** The tables of the translators that have one (a NAT's sessions), by interface. */
  translatorTables(): { iface: string; text: string }[] {
    const out: { iface: string; text: string }[] = [];
    for (const [iface, t] of this.translators) if (t.table !== undefined) out.push({ iface, text: t.table() });
    return out;
  }

  protected override ipInput(iface: ArpInterface, frame: Uint8Array): void {
    const t = this.translators.get(iface.name);
    if (t !== undefined) {
      const f = t.input(frame);
      if (f === undefined) {
        this.drops.translator++;
        return;
      }
      frame = f;
    }
    super.ipInput(iface, frame);
  }

  protected override forward(_iface: ArpInterface, d: Datagram, linkBroadcast: boolean): void {
    if (linkBroadcast || isMulticastOrBroadcast(d.dst) || isNotUnicastSource(d.src) || this.isDirectedBroadcast(d.dst)) {
      this.drops.notForwardable++;
      return;
    }
    const route = this.routes.lookup(d.dst);
    if (route === undefined) {
      this.stats.ipNoRoute++;
      if (mayReportError(d, false, this.broadcasts())) this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, UNREACH.NET);
      return;
    }
    if (d.ttl <= 1) {
      this.stats.ipTtlExceeded++;
      if (mayReportError(d, false, this.broadcasts())) this.sendIcmpError(d, ICMP_TYPE_NUM.TIME_EXCEEDED, TIME_EXCEEDED.TTL);
      return;
    }
    const out = this.interface(route.iface);
    // A fresh frame: the received one belongs to the link, and any Ethernet padding stays behind.
    const frame = new Uint8Array(ETH_HEADER_LEN + d.totalLength);
    frame.set(d.frame.subarray(d.offset, d.offset + d.totalLength), ETH_HEADER_LEN);
    const ttlAt = ETH_HEADER_LEN + IPV4_TTL;
    const oldWord = (frame[ttlAt] << 8) | frame[ttlAt + 1];
    frame[ttlAt] = d.ttl - 1;
    const newWord = (frame[ttlAt] << 8) | frame[ttlAt + 1];
    const csAt = ETH_HEADER_LEN + IPV4_CHECKSUM.start;
    const checksum = incrementalUpdate16((frame[csAt] << 8) | frame[csAt + 1], oldWord, newWord);
    frame[csAt] = checksum >>> 8;
    frame[csAt + 1] = checksum & 0xff;
    const t = this.translators.get(out.name);
    if (t !== undefined) {
      const verdict = t.output(frame);
      if (verdict !== TRANSLATOR_FORWARD) {
        this.drops.translator++;
        if (verdict >= 0 && mayReportError(d, false, this.broadcasts())) this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, verdict);
        return;
      }
    }
    this.stats.ipForwarded++;
    out.sendIpv4(route.gateway ?? d.dst, frame);
  }
}
