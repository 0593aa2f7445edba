// A running virtual network: hosts, switches and routers joined by links (VXLAN over UDP on loopback,
// or in memory), each link optionally impaired (impairment.ts) and tapped (tap.ts). Built from a
// declarative file (topology-spec.ts) or in code:
//
//   const topo = new Topology({ name: 'lab', tap: NetTap.toFile('out/lab.pcapng') });
//   const sw = topo.addSwitch({ name: 'sw1' });
//   const h1 = topo.addHost({ name: 'h1' });
//   const [a, b] = await topo.link('h1-sw1', 'h1-eth0', 'sw1-p1', { impair: { drop: 0.1, seed: 1 } });
//   h1.addInterface({ name: 'eth0', port: a, mac: '02:00:00:00:00:01', address: '10.0.0.1/24' });
//   sw.addPort(b);
//   ...
//   await topo.close();
//
//   const topo2 = await Topology.fromSpec(parseTopology(text), { tap });
//
// A link's tap records at its first end ("a"; from a file: the host's or router's end): what a sent
// (even frames the link then loses) and what arrived at a (after the far end's impairments).

import { Host, type HostOptions } from './host.ts';
import { Router } from './router.ts';
import { Switch, type SwitchOptions } from './switch.ts';
import { memoryLink, type FramePort } from './port.ts';
import { realClock, type NetClock } from '../base/timer-clock.ts';
import { impair, type ImpairmentCounters, type ImpairmentOptions } from './impairment.ts';
import type { NetTap } from './tap.ts';
import type { ArpSettings } from './arp-interface.ts';
import { defaultMac, type TopologySpec } from './topology-spec.ts';
import { formatColumns } from './routes.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

/** Makes the two ends of a link; `vni` is the link's VXLAN network identifier. */
export type LinkFactory = (link: { readonly name: string; readonly a: string; readonly b: string; readonly vni: number }) => Promise<[FramePort, FramePort]>;

/** Links in memory (no sockets). */
export const memoryLinks: LinkFactory = async ({ a, b }) => memoryLink(a, b);

export interface TopologyOptions {
  name: string;
  clock?: NetClock;
  /** How links are made (default: in memory). Topology.fromSpec picks VXLAN for linkType "vxlan". */
  links?: LinkFactory;
  /** Records every link whose `tap` is not false. */
  tap?: NetTap;
  arp?: ArpSettings;
}

export interface LinkOptions {
  impair?: ImpairmentOptions;
  /** Default true (when the topology has a tap). */
  tap?: boolean;
  vni?: number;
}

export interface LinkInfo {
  readonly name: string;
  readonly a: string;
  readonly b: string;
  readonly vni: number;
  readonly tapped: boolean;
  /** What the impairments did, per direction (a -> b, b -> a); undefined for clean links. */
  readonly impairment: { readonly aToB: ImpairmentCounters; readonly bToA: ImpairmentCounters } | undefined;
}

interface Closable {
  close(): Promise<void>;
}

export class Topology {
  readonly name: string;
  readonly clock: NetClock;
  readonly hosts = new Map<string, Host>();
  readonly routers = new Map<string, Router>();
  readonly switches = new Map<string, Switch>();
  readonly links = new Map<string, LinkInfo>();
  private readonly makeLink: LinkFactory;
  private readonly tap: NetTap | undefined;
  private readonly arp: ArpSettings | undefined;
  private readonly extra: Closable[] = [];
  private closed = false;

  constructor(options: TopologyOptions) {
    this.name = options.name;
    this.clock = options.clock ?? realClock();
    this.makeLink = options.links ?? memoryLinks;
    this.tap = options.tap;
    this.arp = options.arp;
  }

  /** Builds and starts every node and link of a checked spec. */
  static async fromSpec(spec: TopologySpec, options: Omit<TopologyOptions, 'name'> & { vxlan?: LinkFactory } = {}): Promise<Topology> {
    const links = options.links ?? (spec.linkType === 'memory' ? memoryLinks : options.vxlan);
    if (links === undefined)
      throw new NetlabError('ERR_ARGUMENT', `topology ${spec.name}: linkType "vxlan" needs a VXLAN link factory (pass options.vxlan or options.links)`);
    const topo = new Topology({ ...options, name: spec.name, links });
    try {
      // Each link's two ends, in the order they appear: the first is "a".
      const ends = new Map<string, { node: string; end: string }[]>();
      const note = (link: string, node: string, end: string): void => {
        const l = ends.get(link) ?? [];
        l.push({ node, end });
        ends.set(link, l);
      };
      // Hosts first, then routers, then switches: a link is tapped (seen) at its host's end.
      for (const n of [...spec.hosts, ...spec.routers]) for (const f of n.interfaces) note(f.link, n.name, f.name);
      for (const s of spec.switches) for (const p of s.ports) note(p.link, s.name, p.name);
      const ports = new Map<string, FramePort>();
      for (const [i, l] of spec.links.entries()) {
        const [ea, eb] = ends.get(l.name)!;
        const a = `${ea.node}-${ea.end}`;
        const b = `${eb.node}-${eb.end}`;
        const [pa, pb] = await topo.link(l.name, a, b, { impair: l.impair, tap: l.tap, vni: l.vni ?? i + 1 });
        ports.set(a, pa);
        ports.set(b, pb);
      }
      for (const s of spec.switches) {
        const sw = topo.addSwitch({
          name: s.name,
          agingMs: s.agingSeconds === undefined ? undefined : s.agingSeconds * 1000,
          maxMacEntries: s.maxMacEntries,
          stp: s.stp,
          mac: s.mac,
        });
        for (const p of s.ports) {
          const port = ports.get(`${s.name}-${p.name}`)!;
          sw.addPort(port, p.trunk !== undefined ? { mode: 'trunk', allowed: p.trunk, native: p.native } : { mode: 'access', vlan: p.vlan }, p.cost);
        }
      }
      const nodeSpecs = [...spec.hosts.map((n) => ({ n, router: false })), ...spec.routers.map((n) => ({ n, router: true }))];
      for (const [ni, { n, router }] of nodeSpecs.entries()) {
        const node = router ? topo.addRouter({ name: n.name }) : topo.addHost({ name: n.name });
        n.interfaces.forEach((f, fi) => {
          const mac = f.mac ?? defaultMac(ni, fi);
          node.addInterface({ name: f.name, port: ports.get(`${n.name}-${f.name}`)!, mac, address: f.address, ipv6: f.ipv6 });
        });
        if (n.gateway !== undefined) node.setGateway(n.gateway);
        for (const r of n.routes ?? []) node.addRoute(r.to, r.via);
      }
      return topo;
    } catch (e) {
      await topo.close();
      throw e;
    }
  }

  addHost(options: Omit<HostOptions, 'clock' | 'arp'>): Host {
    return this.keep(this.hosts, new Host({ ...options, clock: this.clock, arp: this.arp }));
  }

  addRouter(options: Omit<HostOptions, 'clock' | 'arp'>): Router {
    return this.keep(this.routers, new Router({ ...options, clock: this.clock, arp: this.arp }));
  }

  addSwitch(options: Omit<SwitchOptions, 'clock'>): Switch {
    return this.keep(this.switches, new Switch({ ...options, clock: this.clock }));
  }

  /** Any node by name. */
  node(name: string): Host | Router | Switch {
    const n = this.hosts.get(name) ?? this.routers.get(name) ?? this.switches.get(name);
    if (n === undefined) throw new NetlabRangeError(`topology ${this.name} has no node ${name} (nodes: ${this.nodeNames().join(', ')})`);
    return n;
  }

  host(name: string): Host {
    const h = this.hosts.get(name) ?? this.routers.get(name);
    if (h === undefined) throw new NetlabRangeError(`topology ${this.name} has no host or router ${name} (nodes: ${this.nodeNames().join(', ')})`);
    return h;
  }

  nodeNames(): string[] {
    return [...this.hosts.keys(), ...this.routers.keys(), ...this.switches.keys()];
  }

  /** Makes a link named `name` between ports named `a` and `b`, impaired and tapped as asked. */
  async link(name: string, a: string, b: string, options: LinkOptions = {}): Promise<[FramePort, FramePort]> {
    if (this.closed) throw new NetlabError('ERR_STATE', `topology ${this.name}: link ${name} added after close`);
    if (this.links.has(name)) throw new NetlabRangeError(`topology ${this.name}: there is already a link named ${name}`);
    const vni = options.vni ?? this.links.size + 1;
    let [pa, pb] = await this.makeLink({ name, a, b, vni });
    let impairment: LinkInfo['impairment'];
    if (options.impair !== undefined) {
      const seed = options.impair.seed;
      const ia = impair(pa, { ...options.impair, seed: seed === undefined ? undefined : `${seed}:${name}:a` }, this.clock);
      const ib = impair(pb, { ...options.impair, seed: seed === undefined ? undefined : `${seed}:${name}:b` }, this.clock);
      impairment = { aToB: ia.counters, bToA: ib.counters };
      pa = ia;
      pb = ib;
    }
    const tapped = this.tap !== undefined && options.tap !== false;
    if (tapped) pa = this.tap!.port(pa, name, `${a} <-> ${b} (seen at ${a})`);
    this.links.set(name, { name, a, b, vni, tapped, impairment });
    return [pa, pb];
  }

  /** Also close `c` when the topology closes (a VTEP, a live feed, ...). */
  own(c: Closable): void {
    this.extra.push(c);
  }

  /** The links as a table: name, ends, VNI, impairment counters. */
  formatLinks(): string {
    const rows: string[][] = [['Link', 'Ends', 'VNI', 'Tapped', 'Impairment (a->b / b->a: sent, dropped, duplicated)']];
    for (const l of this.links.values()) {
      const imp =
        l.impairment === undefined
          ? '-'
          : `${l.impairment.aToB.sent}/${l.impairment.aToB.dropped}/${l.impairment.aToB.duplicated} ${l.impairment.bToA.sent}/${l.impairment.bToA.dropped}/${l.impairment.bToA.duplicated}`;
      rows.push([l.name, `${l.a} <-> ${l.b}`, String(l.vni), l.tapped ? 'yes' : 'no', imp]);
    }
    return formatColumns(rows);
  }

  /** Every node's tables: ARP and routes of hosts and routers, MAC table and counters of switches. */
  formatTables(): string {
    const parts: string[] = [];
    for (const h of [...this.hosts.values(), ...this.routers.values()]) {
      parts.push(`${h.name}: routes\n${indent(h.routeTable())}`);
      parts.push(`${h.name}: ARP table\n${indent(h.arpTable())}`);
      const neighbours = h.neighbourTable();
      if (neighbours !== undefined) parts.push(`${h.name}: IPv6 neighbours\n${indent(neighbours)}`);
    }
    for (const s of this.switches.values()) {
      parts.push(`${s.name}: MAC table\n${indent(s.formatMacTable())}`);
      parts.push(`${s.name}: ports\n${indent(s.formatCounters())}`);
      const stp = s.formatStp();
      if (stp !== undefined) parts.push(`${s.name}: spanning tree\n${indent(stp)}`);
    }
    return parts.join('\n\n');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all: Closable[] = [...this.hosts.values(), ...this.routers.values(), ...this.switches.values()];
    await Promise.all(all.map((n) => n.close()));
    for (const c of this.extra.reverse()) await c.close();
  }

  private keep<T extends { name: string }>(map: Map<string, T>, node: T): T {
    if (this.closed) throw new NetlabError('ERR_STATE', `topology ${this.name}: node ${node.name} added after close`);
    if (this.hosts.has(node.name) || this.routers.has(node.name) || this.switches.has(node.name))
      throw new NetlabRangeError(`topology ${this.name}: there is already a node named ${node.name}`);
    map.set(node.name, node);
    return node;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
