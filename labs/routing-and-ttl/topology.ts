// The routing-and-ttl lab's network, built in two stages on a LabNet (every link tapped):
//
//   stage 1: h1 192.168.1.10 --lan1-- 192.168.1.1 r1 192.168.2.1 --lan2-- 192.168.2.20 h2
//   stage 2: r1 10.0.0.1 --core-- 10.0.0.2 r2 192.168.3.1 --lan3-- 192.168.3.30 h3
//
// r1's LAN-side MAC is a study guide's gateway MAC, aa:bb:cc:dd:ee:ff (an individual, locally administered
// address); the other MACs are locally administered too (02:...), numbered after their network.

import { Host, type HostOptions } from '../../src/netsim/index.ts';
import { Router } from '../../src/netsim/index.ts';
import type { LabNet } from '../../src/netsim/index.ts';

export const ADDR = {
  h1: '192.168.1.10',
  r1lan1: '192.168.1.1',
  r1lan2: '192.168.2.1',
  h2: '192.168.2.20',
  r1core: '10.0.0.1',
  r2core: '10.0.0.2',
  r2lan3: '192.168.3.1',
  h3: '192.168.3.30',
  /** On lan3, where nobody has it. */
  ghost: '192.168.3.99',
  /** On lan1, where nobody has it. */
  ghostNear: '192.168.1.99',
} as const;

export const MAC = {
  h1: '02:00:00:01:00:10',
  r1lan1: 'aa:bb:cc:dd:ee:ff',
  r1lan2: '02:00:00:02:00:01',
  h2: '02:00:00:02:00:20',
  r1core: '02:00:00:00:00:01',
  r2core: '02:00:00:00:00:02',
  r2lan3: '02:00:00:03:00:01',
  h3: '02:00:00:03:00:30',
} as const;

export interface OneRouter {
  readonly h1: Host;
  readonly r1: Router;
  readonly h2: Host;
}

export interface SecondRouter {
  readonly r2: Router;
  readonly h3: Host;
}

function options(net: LabNet, name: string): HostOptions {
  // Linux's ARP timing: 3 requests, 1 s apart, before giving up.
  return { name, clock: net.clock, arp: { retryMs: 1000, tries: 3 } };
}

/** Stage 1: two LANs and the router between them; hosts have r1 as their default gateway. */
export function buildOneRouter(net: LabNet): OneRouter {
  const [h1p, r1a] = net.link('lan1', 'h1-eth0', 'r1-eth0');
  const [r1b, h2p] = net.link('lan2', 'r1-eth1', 'h2-eth0');
  const h1 = net.node(new Host(options(net, 'h1')));
  const r1 = net.node(new Router(options(net, 'r1')));
  const h2 = net.node(new Host(options(net, 'h2')));
  h1.addInterface({ name: 'eth0', port: h1p, mac: MAC.h1, address: `${ADDR.h1}/24`, announce: false });
  r1.addInterface({ name: 'eth0', port: r1a, mac: MAC.r1lan1, address: `${ADDR.r1lan1}/24`, announce: false });
  r1.addInterface({ name: 'eth1', port: r1b, mac: MAC.r1lan2, address: `${ADDR.r1lan2}/24`, announce: false });
  h2.addInterface({ name: 'eth0', port: h2p, mac: MAC.h2, address: `${ADDR.h2}/24`, announce: false });
  h1.setGateway(ADDR.r1lan1);
  h2.setGateway(ADDR.r1lan2);
  return { h1, r1, h2 };
}

/** Stage 2: a core link from r1 to a second router r2, and behind r2 a third LAN with h3. */
export function addSecondRouter(net: LabNet, r1: Router): SecondRouter {
  const [r1c, r2a] = net.link('core', 'r1-eth2', 'r2-eth0');
  const [r2b, h3p] = net.link('lan3', 'r2-eth1', 'h3-eth0');
  const r2 = net.node(new Router(options(net, 'r2')));
  const h3 = net.node(new Host(options(net, 'h3')));
  r1.addInterface({ name: 'eth2', port: r1c, mac: MAC.r1core, address: `${ADDR.r1core}/30`, announce: false });
  r2.addInterface({ name: 'eth0', port: r2a, mac: MAC.r2core, address: `${ADDR.r2core}/30`, announce: false });
  r2.addInterface({ name: 'eth1', port: r2b, mac: MAC.r2lan3, address: `${ADDR.r2lan3}/24`, announce: false });
  h3.addInterface({ name: 'eth0', port: h3p, mac: MAC.h3, address: `${ADDR.h3}/24`, announce: false });
  r1.addRoute('192.168.3.0/24', ADDR.r2core);
  r2.setGateway(ADDR.r1core);
  h3.setGateway(ADDR.r2lan3);
  return { r2, h3 };
}
