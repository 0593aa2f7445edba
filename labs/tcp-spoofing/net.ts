// The tcp-spoofing lab's network: a router joining five links, each with one virtual host. Two
// generations of the same pair, a trusted client and a server that trusts it by address: "today's"
// (client 10.0.1.1, server 10.0.2.2, RFC 6528 ISNs) and "a 1990s stack" (oldclient 10.1.1.1,
// oldserver 10.1.2.2, the lab-only weak ISN mode). The attacker (198.51.100.66) is on a fifth link:
// off-path, it never sees a frame of the pairs' traffic, and it sends forged segments with
// Host.sendLayers and a spoofed source. The router does no ingress filtering (BCP 38), so they pass.

import { seededRandom } from '../../src/base/index.ts';
import { Host, ipv4Number, Router, type FramePort, type LabNet } from '../../src/netsim/index.ts';
import type { FrameSink } from '../../src/netsim/index.ts';
import type { IsnMode, TcpSettings } from '../../src/netsim/tcp/index.ts';
import { payload, tcp, type LayerSpec } from '../../src/wire/index.ts';

export const ADDR = {
  client: '10.0.1.1',
  server: '10.0.2.2',
  oldclient: '10.1.1.1',
  oldserver: '10.1.2.2',
  attacker: '198.51.100.66',
} as const;

export type Generation = 'new' | 'old';

/** The service each server runs, trusting its client's address (as rsh and rlogin did). */
export const SERVICE_PORT = 5140;
/** A port each client listens on (echo), which the attacker uses to sample the client's ISNs. */
export const CLIENT_PORT = 7;
/** The client's first ephemeral port: the port its login comes from. */
export const CLIENT_EPHEMERAL = 40000;

/** A host's port that can be unplugged: frames either way are lost while `down`. */
export interface Plug extends FramePort {
  down: boolean;
}

function plug(inner: FramePort): Plug {
  const p: Plug = {
    name: inner.name,
    down: false,
    send(frame) {
      if (!p.down) inner.send(frame);
    },
    onFrame: (h) =>
      inner.onFrame((f) => {
        if (!p.down) h(f);
      }),
    close: () => inner.close(),
  };
  return p;
}

export interface SpoofNet {
  readonly hosts: Record<'client' | 'server' | 'oldclient' | 'oldserver' | 'attacker', Host>;
  readonly plugs: { client: Plug; oldclient: Plug };
  readonly router: Router;
}

/** Builds the network; resolves once ARP is done on every path the lab uses. */
export async function spoofNet(net: LabNet, o: { oldIsn: IsnMode; tcp?: TcpSettings }): Promise<SpoofNet> {
  const router = net.node(new Router({ name: 'r1', clock: net.clock, random: seededRandom('spoof-r1') }));
  const build = (name: keyof typeof ADDR, n: number, routerIf: string, routerAddr: string, isn: IsnMode): { host: Host; port: Plug } => {
    const [hp, rp] = net.link(name, `${name}-eth0`, `r1-${routerIf}`);
    const host = net.node(
      new Host({
        name,
        clock: net.clock,
        random: seededRandom(`spoof-${name}`),
        firstEphemeralPort: CLIENT_EPHEMERAL,
        tcp: { ...o.tcp, isn },
      }),
    );
    const port = plug(hp);
    const hex = n.toString(16).padStart(2, '0');
    host.addInterface({ name: 'eth0', port, mac: `02:00:00:00:${hex}:01`, address: `${ADDR[name]}/24`, announce: false });
    router.addInterface({ name: routerIf, port: rp, mac: `02:00:00:00:${hex}:fe`, address: `${routerAddr}/24`, announce: false });
    host.setGateway(routerAddr);
    return { host, port };
  };
  const client = build('client', 1, 'eth0', '10.0.1.254', 'rfc6528');
  const server = build('server', 2, 'eth1', '10.0.2.254', 'rfc6528');
  const oldclient = build('oldclient', 3, 'eth2', '10.1.1.254', o.oldIsn);
  const oldserver = build('oldserver', 4, 'eth3', '10.1.2.254', o.oldIsn);
  const attacker = build('attacker', 5, 'eth4', '198.51.100.1', 'rfc6528');
  // ARP on every path before anything is recorded (the pings are in no capture).
  const pings: [Host, string][] = [
    [client.host, ADDR.server],
    [oldclient.host, ADDR.oldserver],
    [attacker.host, ADDR.server],
    [attacker.host, ADDR.oldserver],
    [attacker.host, ADDR.client],
    [attacker.host, ADDR.oldclient],
  ];
  for (const [h, to] of pings) await net.run(h.ping(to, { count: 1, timeoutMs: 1000 }));
  return {
    hosts: { client: client.host, server: server.host, oldclient: oldclient.host, oldserver: oldserver.host, attacker: attacker.host },
    plugs: { client: client.port, oldclient: oldclient.port },
    router,
  };
}

/** The client and server of a generation. */
export function pairOf(g: Generation): { client: 'client' | 'oldclient'; server: 'server' | 'oldserver' } {
  return g === 'new' ? { client: 'client', server: 'server' } : { client: 'oldclient', server: 'oldserver' };
}

/** A segment the attacker forges: its source is someone else's address. */
export interface Forged {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack?: number;
  /** Flag letters as tcp() takes them ('S', 'A', 'PA', 'R'). */
  readonly flags: string;
  readonly data?: string;
}

/** Sends a forged segment from the attacker (no options: no timestamps, MSS or window scale). */
export function forge(attacker: Host, f: Forged): void {
  const layers: LayerSpec[] = [tcp({ sport: f.sport, dport: f.dport, seq: f.seq >>> 0, ack: (f.ack ?? 0) >>> 0, flags: f.flags, window: 65535 })];
  if (f.data !== undefined) layers.push(payload(Buffer.from(f.data)));
  attacker.sendLayers(ipv4Number(f.dst), layers, { src: ipv4Number(f.src) });
}

/** A capture sink that keeps only the frames crossing the links named (the frame comment starts with the link's name). */
export function onLinks(sink: FrameSink, links: readonly string[]): FrameSink {
  return {
    write(frame, options) {
      const c = options?.comment ?? '';
      if (links.some((l) => c.startsWith(`${l}: `))) sink.write(frame, options);
    },
  };
}
