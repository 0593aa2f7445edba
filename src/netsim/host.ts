// A virtual IPv4 host: one or more Ethernet interfaces (ARP included, arp-interface.ts), a routing
// table (connected networks, a default gateway, static routes), and the parts of a host stack a lab
// needs: the ICMP echo responder, UDP sockets (udp-socket.ts) with ICMP port unreachable when nothing
// listens, ICMP errors handed back to whoever sent the datagram they quote (a socket, ping,
// traceroute), TCP (tcp/: `host.tcp`), fragments reassembled (bounded, overlaps refused,
// host-reassembly.ts), and a local "Destination Host Unreachable" when ARP gets no answer for a
// datagram this host sent. A Router (router.ts) is a Host that forwards. The counters are in
// host-stats.ts, the port spaces in port-table.ts, and what ping/traceroute need in probe-host.ts.
//
//   const h1 = new Host({ name: 'h1' });
//   h1.addInterface({ name: 'eth0', port, mac: '02:00:00:00:01:10', address: '10.0.1.10/24' });
//   h1.setGateway('10.0.1.1');
//   const result = await h1.ping('10.0.2.20', { count: 3 });
//   console.log(result.text());

import {
  ETH_HEADER_LEN,
  ICMP_TYPE_NUM,
  IP_PROTOCOL,
  Ipv4Reassembler,
  encode,
  icmp,
  internetChecksum,
  payload,
  segmentVerifies,
  udp,
  type LayerSpec,
} from '../wire/index.ts';
import { ArpInterface, type ArpSettings } from './arp-interface.ts';
import { ipv4Number, ipv4Text, ipv4ToBytes, isBroadcastMac } from './host-addr.ts';
import { realClock, type NetClock } from '../base/timer-clock.ts';
import { cryptoRandom, type Random } from '../base/random.ts';
import { NetsimError } from './host-errors.ts';
import { buildIpv4Frame, datagramPayload, readDatagram, type Datagram } from './host-ipv4.ts';
import { reassembleDatagram } from './host-reassembly.ts';
import { newNodeStats, type NodeStats } from './host-stats.ts';
import { PortTable } from './port-table.ts';
import type { EchoReply, ProbeHost } from './probe-host.ts';
import { TcpStack, type TcpHost, type TcpSettings } from './tcp/stack.ts';
import { UNREACH, icmpErrorLayers, mayReportError, quoteOf, readIcmpError, type IcmpErrorReport } from './icmp-errors.ts';
import { ping, type PingOptions, type PingResult } from './ping.ts';
import { ping6 } from './ping6.ts';
import { NdInterface, type NdSettings } from './ndp.ts';
import type { FramePort } from './port.ts';
import { RoutingTable, formatColumns, type Route } from './routes.ts';
import { traceroute, type TracerouteOptions, type TracerouteResult } from './traceroute.ts';
import { UdpSocket, type UdpHost, type UdpSendOptions } from './udp-socket.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface HostOptions {
  name: string;
  /** Default: the real clock. Pass a ManualClock for deterministic timing. */
  clock?: NetClock;
  /** ARP timing and limits for every interface. */
  arp?: ArpSettings;
  /** TTL of datagrams this node originates. Default 64. */
  ttl?: number;
  /** First ephemeral UDP port handed out (then upwards, wrapping in 32768-60999). Default 32768. */
  firstEphemeralPort?: number;
  /** IPv4 identification of the first datagram this node sends (then +1 each). Default 1. */
  firstIpId?: number;
  /** Where the node draws its secrets (the TCP ISN key). Default crypto-random; pass a seeded one for fixtures. */
  random?: Random;
  /** TCP settings (tcp/stack.ts): buffers, limits, timers, the ISN mode. */
  tcp?: TcpSettings;
}

export interface InterfaceSpec {
  /** Interface name: 'eth0'. */
  name: string;
  port: FramePort;
  mac: string | Uint8Array;
  /** 'a.b.c.d/len'. */
  address: string;
  /** Send a gratuitous ARP when the interface comes up. Default true. */
  announce?: boolean;
  /** Also IPv6, link-local (fe80:: from the MAC) with neighbour discovery (ndp.ts). Default false. */
  ipv6?: boolean | NdSettings;
}

export type { NodeStats } from './host-stats.ts';
export type { EchoReply } from './probe-host.ts';

const LIMITED_BROADCAST = 0xffffffff;

export class Host implements UdpHost, ProbeHost, TcpHost {
  readonly name: string;
  readonly clock: NetClock;
  readonly routes: RoutingTable;
  readonly ttl: number;
  readonly random: Random;
  readonly stats: NodeStats = newNodeStats();
  /** TCP on this node: `host.tcp.connect({ host, port })`, `host.tcp.listen(port, onConnection)`. */
  readonly tcp: TcpStack;
  protected readonly ifaces = new Map<string, ArpInterface>();
  private readonly nd = new Map<string, NdInterface>();
  private readonly arpSettings: ArpSettings | undefined;
  private readonly udpBound: PortTable<UdpSocket>;
  private readonly errorListeners = new Set<(r: IcmpErrorReport) => void>();
  private readonly echoListeners = new Set<(r: EchoReply) => void>();
  private readonly closeHooks = new Set<() => void>();
  private readonly immediates = new Set<ReturnType<typeof setImmediate>>();
  private readonly reassembler: Ipv4Reassembler;
  private nextIpId: number;
  private nextEchoId = 0;
  private closed = false;

  constructor(options: HostOptions) {
    if (typeof options.name !== 'string' || options.name === '') throw new NetlabRangeError('a host needs a name');
    this.name = options.name;
    this.clock = options.clock ?? realClock();
    this.routes = new RoutingTable(options.name);
    this.arpSettings = options.arp;
    this.ttl = options.ttl ?? 64;
    if (!Number.isInteger(this.ttl) || this.ttl < 1 || this.ttl > 255) throw new NetlabRangeError(`${this.name}: ttl must be 1 to 255, got ${options.ttl}`);
    this.udpBound = new PortTable<UdpSocket>(`${this.name}: UDP`, options.firstEphemeralPort);
    this.random = options.random ?? cryptoRandom();
    this.tcp = new TcpStack(this, { firstEphemeralPort: options.firstEphemeralPort, ...options.tcp });
    this.nextIpId = (options.firstIpId ?? 1) & 0xffff;
    this.reassembler = new Ipv4Reassembler({ now: () => this.clock.now() });
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  /** Adds an interface, its connected route, and (unless told not to) announces it with a gratuitous ARP. */
  addInterface(spec: InterfaceSpec): ArpInterface {
    if (this.ifaces.has(spec.name)) throw new NetlabRangeError(`${this.name} already has an interface named ${spec.name}`);
    const iface = new ArpInterface({ name: spec.name, port: spec.port, mac: spec.mac, address: spec.address, clock: this.clock, arp: this.arpSettings });
    iface.onIpv4 = (i, frame) => this.ipInput(i, frame);
    iface.onUnresolved = (i, nextHop, frames) => this.unresolved(i, nextHop, frames);
    this.ifaces.set(spec.name, iface);
    this.routes.addConnected(iface.address, iface.prefixLen, iface.name);
    if (spec.announce !== false) iface.announce();
    if (spec.ipv6 !== undefined && spec.ipv6 !== false) {
      const nd = new NdInterface(iface, this.clock, spec.ipv6 === true ? {} : spec.ipv6);
      this.nd.set(spec.name, nd);
      if (spec.announce !== false) nd.announce();
    }
    return iface;
  }

  /** The IPv6 (link-local) side of an interface; throws when it has none. */
  ipv6(ifaceName: string): NdInterface {
    const nd = this.nd.get(ifaceName);
    if (nd === undefined) throw new NetlabRangeError(`${this.name} has no IPv6 on ${ifaceName} (add the interface with ipv6: true)`);
    return nd;
  }

  /** The IPv6 neighbour caches of every interface with IPv6 (`ip -6 neigh`), or undefined without IPv6. */
  neighbourTable(): string | undefined {
    if (this.nd.size === 0) return undefined;
    return [...this.nd.values()].map((nd) => nd.neighbourTable()).join('\n');
  }

  /** ping to an IPv6 link-local address, scoped to an interface: `fe80::1%eth0`. */
  ping6(dst: string, options: Parameters<typeof ping6>[2] = {}): Promise<PingResult> {
    const m = /^([^%]+)%(.+)$/.exec(dst);
    if (m === null) return Promise.reject(new NetsimError('EINVAL', `ping6 ${dst}: give a link-local address with its interface, like fe80::1%eth0`));
    return ping6(this.ipv6(m[2]), m[1], options);
  }

  /** The interface with this name (throws naming the ones there are). */
  interface(name: string): ArpInterface {
    const i = this.ifaces.get(name);
    if (i === undefined) throw new NetlabRangeError(`${this.name} has no interface ${name} (it has: ${[...this.ifaces.keys()].join(', ') || 'none'})`);
    return i;
  }

  get interfaces(): ArpInterface[] {
    return [...this.ifaces.values()];
  }

  /** The address of the first interface, as text. */
  get address(): string {
    const first = this.ifaces.values().next().value;
    if (first === undefined) throw new NetlabRangeError(`${this.name} has no interfaces`);
    return ipv4Text(first.address);
  }

  /** Changes an interface's address: the connected route follows, and a gratuitous ARP announces it. */
  setAddress(ifaceName: string, cidr: string): void {
    const iface = this.interface(ifaceName);
    iface.assign(cidr);
    this.routes.removeConnected(iface.name);
    this.routes.addConnected(iface.address, iface.prefixLen, iface.name);
    iface.announce();
  }

  /**
   * Adds a secondary address to an interface (`ip addr add VIP/32 dev eth0`: a floating address) and,
   * unless told not to, announces it with a gratuitous ARP.
   */
  addSecondaryAddress(ifaceName: string, address: string, announce = true): void {
    const iface = this.interface(ifaceName);
    iface.addSecondary(ipv4Number(address));
    if (announce) iface.announce(ipv4Number(address));
  }

  /** Removes a secondary address (`ip addr del`); false when the interface did not have it. */
  removeSecondaryAddress(ifaceName: string, address: string): boolean {
    return this.interface(ifaceName).removeSecondary(ipv4Number(address));
  }

  /** Sets the default route through a gateway on a connected network. */
  setGateway(gateway: string): Route {
    return this.routes.add({ prefix: 'default', via: gateway });
  }

  /** Adds a static route: `addRoute('10.0.3.0/24', '10.0.2.2')`. */
  addRoute(prefix: string, via: string): Route {
    return this.routes.add({ prefix, via });
  }

  /** The source address this node uses toward `dst` (the interface the route leaves by); undefined without a route. */
  sourceAddressFor(dst: number): number | undefined {
    const local = this.localInterfaceFor(dst);
    if (local !== undefined) return dst;
    const route = this.routes.lookup(dst);
    return route === undefined ? undefined : this.interface(route.iface).address;
  }

  /** True when `addr` is one of this node's interface addresses. */
  isLocalAddress(addr: number): boolean {
    for (const i of this.ifaces.values()) if (i.owns(addr)) return true;
    return false;
  }

  /** The ARP tables of every interface, printed (incomplete resolutions included). */
  arpTable(): string {
    const rows = [['Address', 'HWaddress', 'Iface', 'State', 'Expires']];
    for (const i of this.ifaces.values()) rows.push(...i.arpRows());
    return formatColumns(rows);
  }

  /** The routing table, printed as `route -n` does. */
  routeTable(): string {
    return this.routes.format();
  }

  // ---------------------------------------------------------------------------------------------
  // Applications

  /** A new UDP socket on this host (bind it, or send and it binds an ephemeral port). */
  udpSocket(): UdpSocket {
    if (this.closed) throw new NetsimError('ECLOSED', `${this.name} is closed`);
    return new UdpSocket(this);
  }

  /** Pings `dst` (see ping.ts): echo requests with sequence numbers, RTTs and loss statistics. */
  ping(dst: string, options: PingOptions = {}): Promise<PingResult> {
    return ping(this, dst, options);
  }

  /** Traces the route to `dst` (see traceroute.ts). */
  traceroute(dst: string, options: TracerouteOptions = {}): Promise<TracerouteResult> {
    return traceroute(this, dst, options);
  }

  /** Hears every ICMP error that arrives (or is made locally); returns the function that stops it. */
  onIcmpError(listener: (r: IcmpErrorReport) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Hears every echo reply that arrives; returns the function that stops it. */
  onEchoReply(listener: (r: EchoReply) => void): () => void {
    this.echoListeners.add(listener);
    return () => this.echoListeners.delete(listener);
  }

  /** Runs `hook` when the host closes (pending operations end themselves); returns the function that removes it. */
  onClose(hook: () => void): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A fresh ICMP echo identifier for a ping run on this host. */
  allocateEchoId(): number {
    this.nextEchoId = (this.nextEchoId + 1) & 0xffff;
    return this.nextEchoId;
  }

  /** Sends an ICMP echo request. Throws ENETUNREACH when there is no route. */
  sendEchoRequest(dst: number, id: number, seq: number, data: Uint8Array, ttl = this.ttl): void {
    this.sendLayers(dst, [icmp({ type: ICMP_TYPE_NUM.ECHO, id, seq }), payload(data)], { ttl });
  }

  /**
   * Sends a datagram this node originates, built from transport layers (`[udp(..), payload(..)]`):
   * the source is the address of the interface the route leaves by. Throws ENETUNREACH with no route.
   */
  sendLayers(dst: number, layers: readonly LayerSpec[], options: { ttl?: number; df?: boolean; src?: number } = {}): void {
    if (this.closed) throw new NetsimError('ECLOSED', `${this.name} is closed`);
    const local = this.localInterfaceFor(dst);
    // The limited broadcast leaves by the interface of the default route (or the first one), to ff:ff:ff:ff:ff:ff.
    const route = local !== undefined ? undefined : dst === LIMITED_BROADCAST ? this.broadcastRoute() : this.routes.lookup(dst);
    if (local === undefined && route === undefined) {
      this.stats.ipNoRoute++;
      throw new NetsimError('ENETUNREACH', `${this.name} has no route to ${ipv4Text(dst)} (no matching route and no default gateway; see routeTable())`);
    }
    const iface = local ?? this.interface((route as Route).iface);
    const src = options.src ?? iface.address;
    const frame = buildIpv4Frame({ src, dst, ttl: options.ttl ?? this.ttl, id: this.takeIpId(), df: options.df }, layers);
    this.stats.ipSent++;
    if (local !== undefined) {
      this.loopback(local, frame);
      return;
    }
    const r = route as Route;
    const nextHop = dst === LIMITED_BROADCAST ? dst : (r.gateway ?? dst);
    iface.sendIpv4(nextHop, frame);
  }

  // ---------------------------------------------------------------------------------------------
  // UdpHost

  bindUdp(socket: UdpSocket, port: number, address: number): number {
    if (address !== 0 && !this.isLocalAddress(address)) throw new NetsimError('EINVAL', `${this.name} has no address ${ipv4Text(address)} to bind to`);
    return this.udpBound.bind(socket, port);
  }

  unbindUdp(socket: UdpSocket): void {
    this.udpBound.unbind(socket, socket.port);
  }

  sendUdp(socket: UdpSocket, data: Uint8Array, dst: number, dstPort: number, options: UdpSendOptions): void {
    const bound = ipv4Number(socket.address);
    this.sendLayers(dst, [udp({ sport: socket.port, dport: dstPort }), payload(data)], {
      ttl: options.ttl,
      df: options.df,
      src: bound === 0 ? undefined : bound,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving

  /** A frame with an IPv4 datagram arrived on `iface`. */
  protected ipInput(iface: ArpInterface, frame: Uint8Array): void {
    if (this.closed) return;
    const d = readDatagram(frame, ETH_HEADER_LEN);
    if (typeof d === 'string') {
      this.stats.ipHeaderErrors++;
      return;
    }
    this.stats.ipReceived++;
    const linkBroadcast = isBroadcastMac(frame, 0);
    if (this.isForUs(d.dst, iface)) this.deliver(iface, d, linkBroadcast);
    else this.forward(iface, d, linkBroadcast);
  }

  /** A datagram for another address: a host drops it (a router forwards it, router.ts). */
  protected forward(_iface: ArpInterface, _d: Datagram, _linkBroadcast: boolean): void {
    this.stats.ipNotForUs++;
  }

  private isForUs(dst: number, iface: ArpInterface): boolean {
    return dst === LIMITED_BROADCAST || dst === iface.broadcast || this.isLocalAddress(dst);
  }

  /** True when `a` is the directed broadcast address of one of the interfaces' networks. */
  protected isDirectedBroadcast(a: number): boolean {
    for (const i of this.ifaces.values()) if (i.broadcast === a) return true;
    return false;
  }

  /** The directed broadcast addresses of every interface (never a source, never to be answered). */
  protected broadcasts(): number[] {
    return [...this.ifaces.values()].map((i) => i.broadcast);
  }

  private deliver(iface: ArpInterface, d: Datagram, linkBroadcast: boolean): void {
    if (d.fragment) {
      const whole = reassembleDatagram(this.reassembler, d, this.stats);
      if (whole === undefined) return;
      d = whole;
    }
    this.stats.ipDelivered++;
    if (d.protocol === IP_PROTOCOL.ICMP) this.icmpInput(iface, d, linkBroadcast);
    else if (d.protocol === IP_PROTOCOL.UDP) this.udpInput(d, linkBroadcast);
    else if (d.protocol === IP_PROTOCOL.TCP) {
      // A segment sent to a broadcast address is dropped (RFC 1122 §4.2.3.10).
      if (!linkBroadcast && this.isLocalAddress(d.dst)) this.tcp.input(d);
    } else {
      this.stats.unknownProtocol++;
      if (mayReportError(d, linkBroadcast, this.broadcasts())) this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, UNREACH.PROTOCOL);
    }
  }

  private icmpInput(iface: ArpInterface, d: Datagram, linkBroadcast: boolean): void {
    const msg = datagramPayload(d);
    this.stats.icmpReceived++;
    if (msg.length < 8 || internetChecksum(msg) !== 0) {
      this.stats.icmpChecksumErrors++;
      return;
    }
    const type = msg[0];
    if (type === ICMP_TYPE_NUM.ECHO) {
      // Like Linux (icmp_echo_ignore_broadcasts = 1): no answer to a broadcast ping.
      if (linkBroadcast || d.dst === LIMITED_BROADCAST || d.dst === iface.broadcast) return;
      const rest = ((msg[4] << 24) | (msg[5] << 16) | (msg[6] << 8) | msg[7]) >>> 0;
      this.stats.icmpEchoRepliesSent++;
      this.sendQuietly(d.src, [icmp({ type: ICMP_TYPE_NUM.ECHO_REPLY, code: 0, rest }), payload(Uint8Array.from(msg.subarray(8)))], d.dst);
      return;
    }
    if (type === ICMP_TYPE_NUM.ECHO_REPLY) {
      const reply: EchoReply = {
        from: d.src,
        id: (msg[4] << 8) | msg[5],
        seq: (msg[6] << 8) | msg[7],
        ttl: d.ttl,
        data: Uint8Array.from(msg.subarray(8)),
        icmpLength: msg.length,
      };
      for (const l of [...this.echoListeners]) l(reply);
      return;
    }
    const report = readIcmpError(msg, d.src, d.ttl);
    if (report !== undefined) this.icmpErrorInput(report);
  }

  /** An ICMP error (received, or made here when ARP failed): to the socket that sent the datagram, and to listeners. */
  private icmpErrorInput(report: IcmpErrorReport): void {
    this.stats.icmpErrorsReceived++;
    const q = report.quoted;
    if (q.protocol === IP_PROTOCOL.UDP && q.srcPort !== undefined && this.isLocalAddress(q.src)) {
      this.udpBound.get(q.srcPort)?.deliverError(report);
    }
    for (const l of [...this.errorListeners]) l(report);
  }

  private udpInput(d: Datagram, linkBroadcast: boolean): void {
    const seg = datagramPayload(d);
    const length = seg.length >= 8 ? (seg[4] << 8) | seg[5] : 0;
    if (seg.length < 8 || length < 8 || length > seg.length) {
      this.stats.udpErrors++;
      return;
    }
    const checksum = (seg[6] << 8) | seg[7];
    if (checksum !== 0) {
      const ip = { version: 4 as const, src: ipv4ToBytes(d.src), dst: ipv4ToBytes(d.dst) };
      if (!segmentVerifies(ip, IP_PROTOCOL.UDP, d.frame, d.offset + d.headerLength, length)) {
        this.stats.udpErrors++;
        return;
      }
    }
    const dport = (seg[2] << 8) | seg[3];
    const socket = this.udpBound.get(dport);
    const boundTo = socket === undefined ? 0 : ipv4Number(socket.address);
    if (socket === undefined || (boundTo !== 0 && boundTo !== d.dst)) {
      this.stats.udpNoPort++;
      if (mayReportError(d, linkBroadcast, this.broadcasts())) this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, UNREACH.PORT);
      return;
    }
    this.stats.udpReceived++;
    socket.deliver({
      data: Uint8Array.from(seg.subarray(8, length)),
      address: ipv4Text(d.src),
      port: (seg[0] << 8) | seg[1],
      localAddress: ipv4Text(d.dst),
      ttl: d.ttl,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Errors this node sends

  /**
   * Sends an ICMP error about `d` to its source. About a datagram addressed to this node the error
   * comes from that address (as Linux does, so the sender can match it); otherwise from the address of
   * the interface toward the source.
   */
  protected sendIcmpError(d: Datagram, type: number, code: number): void {
    this.stats.icmpErrorsSent++;
    this.sendQuietly(d.src, icmpErrorLayers(type, code, d), this.isLocalAddress(d.dst) ? d.dst : undefined);
  }

  /** Sends what this node says on its own (replies, errors): no route is counted, not thrown. */
  private sendQuietly(dst: number, layers: readonly LayerSpec[], src?: number): void {
    try {
      this.sendLayers(dst, layers, { src: src !== undefined && this.isLocalAddress(src) ? src : undefined });
    } catch (e) {
      if (!(e instanceof NetsimError)) throw e;
    }
  }

  /**
   * ARP gave up on a next hop. Datagrams this node sent become a local "Destination Host Unreachable"
   * from the interface's own address (as Linux reports it to ping); datagrams it was forwarding get an
   * ICMP host unreachable sent to their source.
   */
  private unresolved(iface: ArpInterface, _nextHop: number, frames: Uint8Array[]): void {
    if (this.closed) return;
    for (const frame of frames) {
      const d = readDatagram(frame, ETH_HEADER_LEN);
      if (typeof d === 'string') continue;
      if (this.isLocalAddress(d.src)) {
        const msg = encode([icmp({ type: ICMP_TYPE_NUM.UNREACHABLE, code: UNREACH.HOST }), payload(quoteOf(d))]);
        const report = readIcmpError(msg, iface.address, this.ttl);
        if (report !== undefined) this.icmpErrorInput(report);
      } else if (mayReportError(d, false, this.broadcasts())) {
        this.sendIcmpError(d, ICMP_TYPE_NUM.UNREACHABLE, UNREACH.HOST);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  protected takeIpId(): number {
    const id = this.nextIpId;
    this.nextIpId = (this.nextIpId + 1) & 0xffff;
    return id;
  }

  private broadcastRoute(): Route | undefined {
    const viaDefault = this.routes.lookup(LIMITED_BROADCAST);
    if (viaDefault !== undefined) return viaDefault;
    const first = this.ifaces.values().next().value;
    return first === undefined ? undefined : { network: 0, prefixLen: 0, gateway: undefined, iface: first.name, kind: 'connected', metric: 0 };
  }

  private localInterfaceFor(dst: number): ArpInterface | undefined {
    for (const i of this.ifaces.values()) if (i.owns(dst)) return i;
    return undefined;
  }

  /** A datagram to one of our own addresses: delivered on the next turn, never on a wire. */
  private loopback(iface: ArpInterface, frame: Uint8Array): void {
    frame.set(iface.mac, 0);
    frame.set(iface.mac, 6);
    frame[12] = 0x08;
    frame[13] = 0x00;
    const im = setImmediate(() => {
      this.immediates.delete(im);
      this.ipInput(iface, frame);
    });
    this.immediates.add(im);
  }

  /** Closes every socket and interface (and their ports); operations in flight end with ECLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const im of this.immediates) clearImmediate(im);
    this.immediates.clear();
    for (const s of this.udpBound.values()) s.close();
    this.tcp.close();
    for (const hook of [...this.closeHooks]) hook();
    this.closeHooks.clear();
    for (const nd of this.nd.values()) nd.close();
    await Promise.all([...this.ifaces.values()].map((i) => i.close()));
  }
}
