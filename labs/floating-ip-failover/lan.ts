// The floating-ip-failover lab's virtual LAN: two clients and two balancer hosts on one switch; lb1 and
// lb2 share the floating address 10.0.0.100 (src/netsim/floating-vip.ts), heartbeating to each other.
//
//   c1  10.0.0.2  --p1--+
//   c2  10.0.0.3  --p2--+ sw1
//   lb1 10.0.0.11 --p3--+      priority 200 (the master), and 10.0.0.100 while it holds it
//   lb2 10.0.0.12 --p4--+      priority 100 (the standby)

import { Host, Switch, VirtualFloatingIp, ipv4Number, macText, type LabNet } from '../../src/netsim/index.ts';

export const VIP = '10.0.0.100';
export const INTERVAL_MS = 100;
export const THRESHOLD = 3;

export const ADDR = { c1: '10.0.0.2', c2: '10.0.0.3', lb1: '10.0.0.11', lb2: '10.0.0.12' } as const;
export const MAC = {
  c1: '02:00:00:00:00:02',
  c2: '02:00:00:00:00:03',
  lb1: '02:00:00:00:00:11',
  lb2: '02:00:00:00:00:12',
} as const;
export const PORT = { c1: 'sw1-p1', c2: 'sw1-p2', lb1: 'sw1-p3', lb2: 'sw1-p4' } as const;
export const PRIORITY = { lb1: 200, lb2: 100 } as const;

type Name = keyof typeof ADDR;

export interface Lan {
  readonly sw: Switch;
  readonly c1: Host;
  readonly c2: Host;
  readonly lb1h: Host;
  readonly lb2h: Host;
  lb1: VirtualFloatingIp;
  lb2: VirtualFloatingIp;
  /** State changes: simulated ms, who, state, why. */
  readonly log: { at: number; who: string; state: string; why: string }[];
}

export function floating(lan: Pick<Lan, 'log'>, host: Host, peer: string, priority: number, instance: number, preempt = true): VirtualFloatingIp {
  return new VirtualFloatingIp({
    host,
    vip: VIP,
    priority,
    instance,
    preempt,
    intervalMs: INTERVAL_MS,
    threshold: THRESHOLD,
    peers: [peer],
    onState: (state, why, at) => lan.log.push({ at, who: host.name, state, why }),
  });
}

export function buildLan(net: LabNet): Lan {
  const sw = net.node(new Switch({ name: 'sw1', clock: net.clock }));
  const hosts = new Map<Name, Host>();
  for (const name of ['c1', 'c2', 'lb1', 'lb2'] as const) {
    const [h, s] = net.link(`${name}-sw1`, `${name}-eth0`, PORT[name]);
    sw.addPort(s);
    const host = net.node(new Host({ name, clock: net.clock, arp: { cacheTimeoutMs: 4 * 3600_000 } }));
    host.addInterface({ name: 'eth0', port: h, mac: MAC[name], address: `${ADDR[name]}/24`, announce: false });
    hosts.set(name, host);
  }
  const get = (n: Name): Host => hosts.get(n) as Host;
  const log: Lan['log'] = [];
  const lan = { log };
  return {
    sw,
    c1: get('c1'),
    c2: get('c2'),
    lb1h: get('lb1'),
    lb2h: get('lb2'),
    lb1: floating(lan, get('lb1'), ADDR.lb2, PRIORITY.lb1, 1),
    lb2: floating(lan, get('lb2'), ADDR.lb1, PRIORITY.lb2, 2),
    log,
  };
}

/** The MAC a host's ARP cache holds for the floating address, or (none). */
export function cachedVipMac(h: Host): string {
  const m = h.interface('eth0').cache.lookup(ipv4Number(VIP));
  return m === undefined ? '(none)' : macText(m);
}

/** The switch port a MAC is learnt on, or (not learnt). */
export function portOf(sw: Switch, mac: string, now: number): string {
  return sw.macTable.entries(now).find((e) => e.mac === mac)?.port ?? '(not learnt)';
}

/** Who holds the address, by name ('lb1', 'lb2', 'lb1+lb2', 'nobody'). */
export function holders(lan: Lan): string {
  const h = [lan.lb1.holding ? 'lb1' : '', lan.lb2.holding ? 'lb2' : ''].filter((x) => x !== '');
  return h.length === 0 ? 'nobody' : h.join('+');
}

const ip = (f: Uint8Array, o: number): string => `${f[o]}.${f[o + 1]}.${f[o + 2]}.${f[o + 3]}`;

/** True for a gratuitous ARP for the floating address (ARP, sender IP = target IP = VIP). */
export function isVipAnnouncement(f: Uint8Array): boolean {
  return f.length >= 42 && f[12] === 0x08 && f[13] === 0x06 && ip(f, 28) === VIP && ip(f, 38) === VIP;
}

/** The sender MAC of an ARP frame. */
export const arpSenderMac = (f: Uint8Array): string => macText(f.subarray(22, 28));
