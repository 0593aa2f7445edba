// Links of a topology as VXLAN over UDP on loopback: every node (host, router, switch) gets its own
// VTEP on its own loopback address in 127.77.0.0/16, on VXLAN's IANA port 4789, so Wireshark decodes
// the traffic as VXLAN with no settings and `ip.addr` picks a node; each link is a VNI between the
// VTEPs of its two nodes. An address whose port 4789 is taken (another topology running) is skipped.
// The node of a port is its name up to the last '-' (`sw1-p2` -> `sw1`).
//
//   const links = loopbackVxlanLinks();
//   const topo = await Topology.fromSpec(spec, { links });
//   ...
//   await topo.close(); await links.close();

import type { LinkFactory } from './topology.ts';
import { VXLAN_PORT, Vtep } from './vtep.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export interface VxlanLinkFactory extends LinkFactory {
  /** The VTEP of each node so far (`h1` -> 127.77.31.9:4789). */
  readonly vteps: ReadonlyMap<string, Vtep>;
  /** Closes every VTEP. */
  close(): Promise<void>;
}

function nodeOf(port: string): string {
  const dash = port.lastIndexOf('-');
  return dash > 0 ? port.slice(0, dash) : port;
}

/** A LinkFactory for VXLAN links on 127.77.0.0/16 (or the /16 given in `prefix`, 127.N). */
export function loopbackVxlanLinks(options: { prefix?: string } = {}): VxlanLinkFactory {
  const prefix = options.prefix ?? '127.77';
  if (!/^127\.\d{1,3}$/.test(prefix)) throw new NetlabRangeError(`VXLAN links stay on loopback: prefix must be 127.N, got ${prefix}`);
  const vteps = new Map<string, Vtep>();
  const opening = new Map<string, Promise<Vtep>>();
  // Start somewhere random in the /16 so that topologies running side by side rarely meet.
  let next = Math.floor(Math.random() * 60_000);
  const bindSomewhere = async (): Promise<Vtep> => {
    for (let tries = 0; tries < 200; tries++) {
      const n = next++ % 65_024;
      const address = `${prefix}.${Math.floor(n / 254)}.${(n % 254) + 1}`;
      try {
        return await Vtep.open({ address, port: VXLAN_PORT });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new NetlabError('ERR_LIMIT', `VXLAN links: no free ${prefix}.x.y:${VXLAN_PORT} after 200 addresses`);
  };
  const vtepOf = (node: string): Promise<Vtep> => {
    let p = opening.get(node);
    if (p === undefined) {
      p = bindSomewhere().then((v) => {
        vteps.set(node, v);
        return v;
      });
      opening.set(node, p);
    }
    return p;
  };
  const factory = (async ({ a, b, vni }) => {
    const [va, vb] = await Promise.all([vtepOf(nodeOf(a)), vtepOf(nodeOf(b))]);
    if (va === vb) throw new NetlabRangeError(`VXLAN link ${a} <-> ${b}: both ends are on node ${nodeOf(a)}; a link joins two nodes`);
    return [
      va.port({ name: a, vni, remote: { address: vb.localAddress, port: vb.localPort } }),
      vb.port({ name: b, vni, remote: { address: va.localAddress, port: va.localPort } }),
    ];
  }) as VxlanLinkFactory;
  Object.defineProperty(factory, 'vteps', { value: vteps });
  factory.close = async () => {
    await Promise.all([...opening.values()].map(async (p) => (await p).close()));
  };
  return factory;
}
