// The mac-and-arp lab's network: one LAN, one switch, no router (a study guide's "without a router
// everything stays at layer 2"):
//
//   h1 192.168.1.2 --p1--+
//   h2 192.168.1.3 --p2--+ sw1 --p4-- (later) h4, a standby that takes over 192.168.1.3
//   h3 192.168.1.4 --p3--+
//
// The MACs are locally administered (02:...) and end in the host's number. Hosts keep ARP entries for
// 4 hours (a common router default, Cisco's) while the switch forgets a MAC after 300 s (802.1D's
// default), which is exactly the mismatch that makes a switch flood unicast frames.

import { Host, type HostOptions } from '../../src/netsim/index.ts';
import { Switch } from '../../src/netsim/index.ts';
import type { LabNet } from '../../src/netsim/index.ts';

export const ADDR = {
  h1: '192.168.1.2',
  h2: '192.168.1.3',
  h3: '192.168.1.4',
  /** Nowhere on this LAN, and there is no router: a label only. */
  far: '8.8.8.8',
} as const;

export const MAC = {
  h1: '02:00:00:00:01:02',
  h2: '02:00:00:00:01:03',
  h3: '02:00:00:00:01:04',
  h4: '02:00:00:00:01:a3',
  broadcast: 'ff:ff:ff:ff:ff:ff',
} as const;

/** The switch's MAC ageing time: 802.1D's default, 300 s. */
export const AGING_MS = 300_000;
/** How long hosts keep an ARP entry here: 4 hours. */
export const ARP_TIMEOUT_MS = 4 * 3600_000;

export interface Lan {
  readonly sw: Switch;
  readonly h1: Host;
  readonly h2: Host;
  readonly h3: Host;
}

function options(net: LabNet, name: string): HostOptions {
  return { name, clock: net.clock, arp: { retryMs: 1000, tries: 3, cacheTimeoutMs: ARP_TIMEOUT_MS } };
}

/** The link of host `n` to switch port `n`: named `hN-sw1`, ends `hN-eth0` and `sw1-pN`. */
function plug(net: LabNet, sw: Switch, n: number): ReturnType<LabNet['link']>[0] {
  const [hostSide, switchSide] = net.link(`h${n}-sw1`, `h${n}-eth0`, `sw1-p${n}`);
  sw.addPort(switchSide);
  return hostSide;
}

/** Three hosts on one switch, no gateway anywhere. */
export function buildLan(net: LabNet): Lan {
  const sw = net.node(new Switch({ name: 'sw1', clock: net.clock, agingMs: AGING_MS }));
  const hosts = ([1, 2, 3] as const).map((n) => {
    const port = plug(net, sw, n);
    const h = net.node(new Host(options(net, `h${n}`)));
    h.addInterface({ name: 'eth0', port, mac: MAC[`h${n}`], address: `${ADDR[`h${n}`]}/24`, announce: false });
    return h;
  });
  return { sw, h1: hosts[0], h2: hosts[1], h3: hosts[2] };
}

/** The standby h4, plugged into p4, taking over h2's address (it announces it as it comes up). */
export function plugStandby(net: LabNet, sw: Switch): Host {
  const port = plug(net, sw, 4);
  const h4 = net.node(new Host(options(net, 'h4')));
  h4.addInterface({ name: 'eth0', port, mac: MAC.h4, address: `${ADDR.h2}/24`, announce: true });
  return h4;
}
