// The home network the NAT labs share, built on a LabNet (every link tapped):
//
//   pc1 192.168.1.2 --pc1-sw--+
//                             sw --inside-- 192.168.1.1 r1 203.0.113.5 --outside-- 203.0.113.1 isp
//   pc2 192.168.1.3 --pc2-sw--+                                                     |  |  |
//        142.250.195.100 "google" --dc1--------------------------------------------+  |  |
//        151.101.65.69   "fastly" --dc2-----------------------------------------------+  |
//        198.51.100.7    "peer"   --dc3--------------------------------------------------+
//
// Addresses outside 192.168.1.0/24 are labels inside the virtual network (nothing leaves the
// process). r1 translates (PAT) on its outside leg when `nat` is given; without it, r1 only routes.
// The MACs are locally administered (02:...), numbered after their network.

import { Host, LabNet, Router, Switch, type LinkFault } from '../../src/netsim/index.ts';
import { enableNat, type Nat, type RouterNatOptions } from '../../src/nat/index.ts';
import { seededRandom } from '../../src/base/index.ts';
import type { Timestamp } from '../../src/lab/index.ts';

export const ADDR = {
  pc1: '192.168.1.2',
  pc2: '192.168.1.3',
  r1in: '192.168.1.1',
  pub: '203.0.113.5',
  isp: '203.0.113.1',
  google: '142.250.195.100',
  fastly: '151.101.65.69',
  peer: '198.51.100.7',
} as const;

export const MAC = {
  pc1: '02:00:00:00:01:02',
  pc2: '02:00:00:00:01:03',
  r1in: '02:00:00:00:01:01',
  r1out: '02:00:00:00:02:05',
  isp: '02:00:00:00:02:01',
  google: '02:00:00:00:03:64',
  fastly: '02:00:00:00:04:45',
  peer: '02:00:00:00:05:07',
} as const;

export type HomeNat = Omit<RouterNatOptions, 'outside' | 'inside'>;

export interface Home {
  readonly net: LabNet;
  readonly pc1: Host;
  readonly pc2: Host;
  readonly r1: Router;
  readonly isp: Router;
  readonly google: Host;
  readonly fastly: Host;
  readonly peer: Host;
  /** The translator, when r1 has NAT on. */
  readonly nat: Nat | undefined;
}

/** Builds the home network; `nat` undefined: r1 routes without translating. */
export function buildHome(start: Timestamp, nat: HomeNat | undefined, fault?: LinkFault): Home {
  const net = new LabNet({ start, delayMs: 1, fault });
  const clock = net.clock;
  const host = (name: string, link: ReturnType<LabNet['link']>[0], mac: string, cidr: string, gw: string): Host => {
    const h = net.node(new Host({ name, clock, random: seededRandom(name), arp: { retryMs: 1000, tries: 3 } }));
    h.addInterface({ name: 'eth0', port: link, mac, address: cidr, announce: false });
    h.setGateway(gw);
    return h;
  };
  const sw = net.node(new Switch({ name: 'sw', clock }));
  const [pc1a, pc1b] = net.link('pc1-sw', 'pc1-eth0', 'sw-p1');
  const [pc2a, pc2b] = net.link('pc2-sw', 'pc2-eth0', 'sw-p2');
  const [inA, inB] = net.link('inside', 'r1-eth0', 'sw-p3');
  sw.addPort(pc1b);
  sw.addPort(pc2b);
  sw.addPort(inB);
  const [outA, outB] = net.link('outside', 'r1-eth1', 'isp-eth0');
  const [g1, g2] = net.link('dc1', 'isp-eth1', 'google-eth0');
  const [f1, f2] = net.link('dc2', 'isp-eth2', 'fastly-eth0');
  const [p1, p2] = net.link('dc3', 'isp-eth3', 'peer-eth0');
  const pc1 = host('pc1', pc1a, MAC.pc1, `${ADDR.pc1}/24`, ADDR.r1in);
  const pc2 = host('pc2', pc2a, MAC.pc2, `${ADDR.pc2}/24`, ADDR.r1in);
  const r1 = net.node(new Router({ name: 'r1', clock, random: seededRandom('r1') }));
  r1.addInterface({ name: 'eth0', port: inA, mac: MAC.r1in, address: `${ADDR.r1in}/24`, announce: false });
  r1.addInterface({ name: 'eth1', port: outA, mac: MAC.r1out, address: `${ADDR.pub}/24`, announce: false });
  r1.setGateway(ADDR.isp);
  // The ISP knows 203.0.113.0/24 and its data centres; it has no route to 192.168.0.0/16 (nobody does).
  const isp = net.node(new Router({ name: 'isp', clock, random: seededRandom('isp') }));
  isp.addInterface({ name: 'eth0', port: outB, mac: MAC.isp, address: `${ADDR.isp}/24`, announce: false });
  isp.addInterface({ name: 'eth1', port: g1, mac: '02:00:00:00:03:01', address: '142.250.195.1/24', announce: false });
  isp.addInterface({ name: 'eth2', port: f1, mac: '02:00:00:00:04:01', address: '151.101.65.1/24', announce: false });
  isp.addInterface({ name: 'eth3', port: p1, mac: '02:00:00:00:05:01', address: '198.51.100.1/24', announce: false });
  const google = host('google', g2, MAC.google, `${ADDR.google}/24`, '142.250.195.1');
  const fastly = host('fastly', f2, MAC.fastly, `${ADDR.fastly}/24`, '151.101.65.1');
  const peer = host('peer', p2, MAC.peer, `${ADDR.peer}/24`, '198.51.100.1');
  const n = nat === undefined ? undefined : enableNat(r1, { outside: 'eth1', inside: '192.168.1.0/24', ...nat });
  return { net, pc1, pc2, r1, isp, google, fastly, peer, nat: n };
}
