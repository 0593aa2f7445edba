// The nat-behaviours lab's virtual internet: sites (a LAN of one or more PCs behind a router with NAT
// turned on) on an ISP segment, an ISP router, and two servers on a data-centre segment (the
// rendezvous and probe server 192.0.2.10, and 192.0.2.20, the STUN server's alternate address).
//
//   pc 192.168.1.2 --lan-S-- S-nat [192.168.1.1 | 203.0.113.x] --wan-S-- isp1 switch --+
//                                                                                    isp (router)
//   bob 10.0.0.2 --lan-B-- B-nat [10.0.0.1 | 198.51.100.7] --wan-B-- isp2 switch -----+
//   srv1 192.0.2.10, srv2 192.0.2.20 ---------------------------------- dc switch -----+
//
// Every link's name is in each frame's capture comment ("wan-symmetric: symmetric-nat-eth1 -> ..."),
// so a display filter on frame.comment picks one side of one NAT.

import { enableNat, type Nat, type NatBehaviour } from '../../src/nat/index.ts';
import { Host, Router, Switch, type LabNet } from '../../src/netsim/index.ts';

/** The four classic types and the RFC 4787 behaviours they are. */
export const TYPES = {
  'full cone': { mapping: 'endpoint-independent', filtering: 'endpoint-independent' },
  restricted: { mapping: 'endpoint-independent', filtering: 'address-dependent' },
  'port-restricted': { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' },
  symmetric: { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' },
} as const satisfies Record<string, { mapping: NatBehaviour; filtering: NatBehaviour }>;

export type NatType = keyof typeof TYPES;
export const TYPE_NAMES = Object.keys(TYPES) as NatType[];

/** Short forms for tables: EI, AD, APD. */
export function short(b: NatBehaviour | 'no-nat'): string {
  return b === 'endpoint-independent' ? 'EI' : b === 'address-dependent' ? 'AD' : b === 'address-and-port-dependent' ? 'APD' : 'none';
}

export const SRV1 = '192.0.2.10';
export const SRV2 = '192.0.2.20';
/** The rendezvous server's port, and the probe ports of step one (no Wireshark dissector claims them). */
export const RENDEZVOUS_PORT = 6000;
export const PROBE_PORTS = [6001, 6002] as const;
/** The STUN server's two ports. */
export const STUN_PORTS = [3478, 3479] as const;
/** The pool every NAT allocates from: sequential, port preservation off, so a public port is never the inside one. */
export const POOL = { min: 50000, max: 50999 } as const;

export interface SiteSpec {
  /** Names the nodes (NAME-nat, NAME-pc1...) and links (lan-NAME, wan-NAME). */
  readonly name: string;
  readonly mapping: NatBehaviour;
  readonly filtering: NatBehaviour;
  readonly hairpinning?: boolean;
  /** The NAT's public address, on segment 'isp1' (203.0.113.0/24) or 'isp2' (198.51.100.0/24). */
  readonly public: string;
  /** The LAN: '192.168.1' or '10.0.0' (the router is .1, the PCs .2, .3...). */
  readonly lan: string;
  /** PCs on the LAN. Default 1. */
  readonly pcs?: number;
}

export interface Site {
  readonly spec: SiteSpec;
  readonly nat: Nat;
  readonly router: Router;
  /** PCs in order: .2, .3... */
  readonly pcs: Host[];
  readonly addresses: string[];
}

export interface World {
  readonly net: LabNet;
  readonly sites: Map<string, Site>;
  readonly srv1: Host;
  readonly srv2: Host;
  site(name: string): Site;
}

/** Room for every datagram the lab sends at once while the first ARP of a hop is answered. */
const ARP = { queuePerAddress: 32 };

const SEGMENTS = { isp1: '203.0.113', isp2: '198.51.100', dc: '192.0.2' } as const;

function segmentOf(address: string): keyof typeof SEGMENTS {
  for (const [k, v] of Object.entries(SEGMENTS)) if (address.startsWith(`${v}.`)) return k as keyof typeof SEGMENTS;
  throw new Error(`nat-behaviours: ${address} is on no segment of the lab`);
}

/** Builds the sites, the ISP and the two servers on `net`; NAT on each site's router. */
export function buildWorld(net: LabNet, specs: readonly SiteSpec[]): World {
  const clock = net.clock;
  let mac = 0x10;
  const nextMac = (): string => `02:00:00:00:00:${(mac++).toString(16).padStart(2, '0')}`;
  const isp = net.node(new Router({ name: 'isp', clock, arp: ARP }));
  const switches = new Map<string, Switch>();
  const segment = (seg: keyof typeof SEGMENTS): Switch => {
    let sw = switches.get(seg);
    if (sw !== undefined) return sw;
    sw = net.node(new Switch({ name: seg, clock }));
    const [a, b] = net.link(`${seg}-isp`, `isp-${seg}`, `${seg}-p0`);
    isp.addInterface({ name: seg, port: a, mac: nextMac(), address: `${SEGMENTS[seg]}.1/24`, announce: false });
    sw.addPort(b);
    switches.set(seg, sw);
    return sw;
  };
  const dc = segment('dc');
  const server = (name: string, address: string): Host => {
    const [a, b] = net.link(`dc-${name}`, `${name}-eth0`, `dc-${name}`);
    dc.addPort(b);
    const h = net.node(new Host({ name, clock, arp: ARP }));
    h.addInterface({ name: 'eth0', port: a, mac: nextMac(), address: `${address}/24`, announce: false });
    h.setGateway(`${SEGMENTS.dc}.1`);
    return h;
  };
  const srv1 = server('srv1', SRV1);
  const srv2 = server('srv2', SRV2);
  const sites = new Map<string, Site>();
  for (const spec of specs) {
    const seg = segmentOf(spec.public);
    const router = net.node(new Router({ name: `${spec.name}-nat`, clock, arp: ARP }));
    const [wa, wb] = net.link(`wan-${spec.name}`, `${spec.name}-nat-eth1`, `${seg}-${spec.name}`);
    segment(seg).addPort(wb);
    const count = spec.pcs ?? 1;
    // One PC: a cable to the router. More: a switch between them.
    let lanSw: Switch | undefined;
    let routerPort: ReturnType<LabNet['link']>[0] | undefined;
    if (count > 1) {
      lanSw = net.node(new Switch({ name: `${spec.name}-sw`, clock }));
      const [la, lb] = net.link(`lan-${spec.name}`, `${spec.name}-nat-eth0`, `${spec.name}-sw-p0`);
      lanSw.addPort(lb);
      routerPort = la;
    }
    const pcs: Host[] = [];
    const addresses: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${spec.name}-pc${i + 1}`;
      const h = net.node(new Host({ name, clock, arp: ARP }));
      let port: ReturnType<LabNet['link']>[0];
      if (lanSw === undefined) {
        const [pa, pb] = net.link(`lan-${spec.name}`, `${name}-eth0`, `${spec.name}-nat-eth0`);
        port = pa;
        routerPort = pb;
      } else {
        const [pa, pb] = net.link(`lan-${spec.name}-pc${i + 1}`, `${name}-eth0`, `${spec.name}-sw-p${i + 1}`);
        lanSw.addPort(pb);
        port = pa;
      }
      const address = `${spec.lan}.${i + 2}`;
      h.addInterface({ name: 'eth0', port, mac: nextMac(), address: `${address}/24`, announce: false });
      h.setGateway(`${spec.lan}.1`);
      pcs.push(h);
      addresses.push(address);
    }
    if (routerPort === undefined) throw new Error(`nat-behaviours: site ${spec.name} has no PC`);
    router.addInterface({ name: 'eth0', port: routerPort, mac: nextMac(), address: `${spec.lan}.1/24`, announce: false });
    router.addInterface({ name: 'eth1', port: wa, mac: nextMac(), address: `${spec.public}/24`, announce: false });
    router.setGateway(`${SEGMENTS[seg]}.1`);
    const nat = enableNat(router, {
      outside: 'eth1',
      inside: `${spec.lan}.0/24`,
      mapping: spec.mapping,
      filtering: spec.filtering,
      hairpinning: spec.hairpinning ?? true,
      ports: { ...POOL, preserve: false, allocation: 'sequential', holdMs: 0 },
    });
    sites.set(spec.name, { spec, nat, router, pcs, addresses });
  }
  return {
    net,
    sites,
    srv1,
    srv2,
    site(name) {
      const s = sites.get(name);
      if (s === undefined) throw new Error(`nat-behaviours: no site ${name}`);
      return s;
    },
  };
}

/** A site name as a link name part: 'full cone' -> 'full-cone'. */
export function siteName(t: string): string {
  return t.replace(/\s+/g, '-');
}
