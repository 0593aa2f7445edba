// The declarative topology file: hosts, switches, routers and the links between them, in JSON.
// parseTopology() checks every key and names the one that is wrong ("hosts[0].interfaces[1].address:
// not an IPv4 prefix: 10.0.0.300/24"), so a typo never turns into a silently different network.
//
// {
//   "name": "office",
//   "linkType": "vxlan",                                  // or "memory" (default "vxlan")
//   "links": [ { "name": "h1-sw1" }, { "name": "sw1-r1", "impair": { "drop": 0.1, "seed": 7 } } ],
//   "switches": [ { "name": "sw1", "agingSeconds": 300,
//                   "ports": [ { "name": "p1", "link": "h1-sw1", "vlan": 10 },
//                              { "name": "p2", "link": "sw1-r1", "trunk": [10, 20], "native": 1 } ] } ],
//   "hosts":   [ { "name": "h1", "gateway": "10.0.1.1",
//                  "interfaces": [ { "name": "eth0", "link": "h1-sw1", "address": "10.0.1.10/24",
//                                    "mac": "02:00:00:00:01:10" } ] } ],
//   "routers": [ { "name": "r1", "interfaces": [ ... ], "routes": [ { "to": "10.9.0.0/16", "via": "10.0.2.2" } ] } ]
// }
//
// Every link is named once in "links" and used by exactly two ends (an interface or a switch port).

import { parseMac } from '../wire/index.ts';
import { parsePrefix, ipv4Number, ipv4Text, inPrefix, prefixMask } from './host-addr.ts';
import { checkImpairment, type ImpairmentOptions } from './impairment.ts';

export interface LinkSpec {
  name: string;
  impair?: ImpairmentOptions;
  /** Record this link into the topology's capture. Default true when a capture is asked for. */
  tap?: boolean;
  /** VXLAN network identifier (default: the link's position + 1). */
  vni?: number;
}

export interface InterfaceSpecJson {
  name: string;
  link: string;
  address: string;
  /** Default: 02:00:00:NN:II:01, from the node's and interface's positions. */
  mac?: string;
  /** Also IPv6 link-local with neighbour discovery. Default false. */
  ipv6?: boolean;
}

export interface RouteSpecJson {
  to: string;
  via: string;
}

export interface NodeSpec {
  name: string;
  interfaces: InterfaceSpecJson[];
  gateway?: string;
  routes?: RouteSpecJson[];
}

export interface SwitchPortSpec {
  name: string;
  link: string;
  /** Access port in this VLAN (default 1). */
  vlan?: number;
  /** Trunk port carrying these VLANs tagged. */
  trunk?: number[];
  /** A trunk's untagged VLAN (default 1). */
  native?: number;
  /** Spanning-tree path cost of the port (default 19, 100 Mb/s). */
  cost?: number;
}

export interface StpSpec {
  /** 0 to 61440 in steps of 4096 (default 32768); the lowest bridge id becomes the root. */
  priority?: number;
  /** 802.1D ranges: hello 1-10 s, max age 6-40 s, forward delay 4-30 s. */
  helloSeconds?: number;
  maxAgeSeconds?: number;
  forwardDelaySeconds?: number;
}

export interface SwitchSpec {
  name: string;
  agingSeconds?: number;
  maxMacEntries?: number;
  /** Run 802.1D spanning tree (true, or its settings). Default off. */
  stp?: boolean | StpSpec;
  /** The bridge MAC (default derived from the name). */
  mac?: string;
  ports: SwitchPortSpec[];
}

export interface TopologySpec {
  name: string;
  linkType: 'vxlan' | 'memory';
  links: LinkSpec[];
  switches: SwitchSpec[];
  hosts: NodeSpec[];
  routers: NodeSpec[];
}

/** The longest a timer waits (2^31-1 ms); a longer delay would silently become 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Most hosts, routers and switches in one topology file, and most links. */
export const MAX_NODES = 10_000;
export const MAX_LINKS = 20_000;

/**
 * The MAC an interface gets when the file gives none: 02:00:HH:LL:II:01 from the node's position NN
 * (hosts, then routers; HH:LL = NN + 1, so up to 65,535 nodes get distinct addresses) and the
 * interface's position II. The first 255 nodes keep the form 02:00:00:NN:II:01.
 */
export function defaultMac(nodeIndex: number, ifaceIndex: number): string {
  const n = nodeIndex + 1;
  const h = (v: number): string => (v & 0xff).toString(16).padStart(2, '0');
  return `02:00:${h(n >> 8)}:${h(n)}:${h(ifaceIndex)}:01`;
}

export class TopologyError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
    this.name = 'TopologyError';
  }
}

type Json = unknown;

function obj(key: string, v: Json): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TopologyError(key, `expected an object, got ${describe(v)}`);
  return v as Record<string, Json>;
}

function describe(v: Json): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'string' ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}

function only(key: string, o: Record<string, Json>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new TopologyError(key === '' ? k : `${key}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function str(key: string, v: Json): string {
  if (typeof v !== 'string' || v === '') throw new TopologyError(key, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function name(key: string, v: Json): string {
  const s = str(key, v);
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(s))
    throw new TopologyError(key, `a name is a letter then up to 31 letters, digits, '-', '_' or '.', got ${JSON.stringify(s)}`);
  return s;
}

function int(key: string, v: Json, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new TopologyError(key, `expected an integer from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

function list(key: string, v: Json): Json[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TopologyError(key, `expected a list, got ${describe(v)}`);
  return v;
}

function checked<T>(key: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    throw new TopologyError(key, e instanceof Error ? e.message : String(e));
  }
}

function parseIface(key: string, v: Json): InterfaceSpecJson {
  const o = obj(key, v);
  only(key, o, ['name', 'link', 'address', 'mac', 'ipv6']);
  const address = str(`${key}.address`, o.address);
  checked(`${key}.address`, () => parsePrefix(address));
  const out: InterfaceSpecJson = { name: name(`${key}.name`, o.name), link: name(`${key}.link`, o.link), address };
  if (o.mac !== undefined) {
    const mac = str(`${key}.mac`, o.mac);
    const bytes = checked(`${key}.mac`, () => parseMac(mac));
    if ((bytes[0] & 1) === 1)
      throw new TopologyError(`${key}.mac`, `${mac} is a group (multicast) address; an interface needs an individual address (first byte even)`);
    out.mac = mac;
  }
  if (o.ipv6 !== undefined) {
    if (typeof o.ipv6 !== 'boolean') throw new TopologyError(`${key}.ipv6`, `expected true or false, got ${describe(o.ipv6)}`);
    out.ipv6 = o.ipv6;
  }
  return out;
}

function parseNode(key: string, v: Json): NodeSpec {
  const o = obj(key, v);
  only(key, o, ['name', 'interfaces', 'gateway', 'routes']);
  const interfaces = list(`${key}.interfaces`, o.interfaces).map((x, i) => parseIface(`${key}.interfaces[${i}]`, x));
  if (interfaces.length === 0) throw new TopologyError(`${key}.interfaces`, 'a node needs at least one interface');
  const node: NodeSpec = { name: name(`${key}.name`, o.name), interfaces };
  if (o.gateway !== undefined) {
    const g = str(`${key}.gateway`, o.gateway);
    checked(`${key}.gateway`, () => ipv4Number(g));
    node.gateway = g;
  }
  if (o.routes !== undefined) {
    node.routes = list(`${key}.routes`, o.routes).map((r, i) => {
      const k = `${key}.routes[${i}]`;
      const ro = obj(k, r);
      only(k, ro, ['to', 'via']);
      const to = str(`${k}.to`, ro.to);
      checked(`${k}.to`, () => parsePrefix(to));
      const via = str(`${k}.via`, ro.via);
      checked(`${k}.via`, () => ipv4Number(via));
      return { to, via };
    });
  }
  return node;
}

function parseSwitch(key: string, v: Json): SwitchSpec {
  const o = obj(key, v);
  only(key, o, ['name', 'agingSeconds', 'maxMacEntries', 'stp', 'mac', 'ports']);
  const ports = list(`${key}.ports`, o.ports).map((p, i): SwitchPortSpec => {
    const k = `${key}.ports[${i}]`;
    const po = obj(k, p);
    only(k, po, ['name', 'link', 'vlan', 'trunk', 'native', 'cost']);
    const port: SwitchPortSpec = { name: name(`${k}.name`, po.name), link: name(`${k}.link`, po.link) };
    if (po.cost !== undefined) port.cost = int(`${k}.cost`, po.cost, 1, 200_000_000);
    if (po.trunk !== undefined) {
      if (po.vlan !== undefined) throw new TopologyError(`${k}.vlan`, 'a trunk port has "trunk" and "native", not "vlan"');
      port.trunk = list(`${k}.trunk`, po.trunk).map((x, j) => int(`${k}.trunk[${j}]`, x, 1, 4094));
      if (po.native !== undefined) port.native = int(`${k}.native`, po.native, 1, 4094);
    } else {
      if (po.native !== undefined) throw new TopologyError(`${k}.native`, '"native" is for trunk ports (add "trunk": [VLANs])');
      if (po.vlan !== undefined) port.vlan = int(`${k}.vlan`, po.vlan, 1, 4094);
    }
    return port;
  });
  const sw: SwitchSpec = { name: name(`${key}.name`, o.name), ports };
  if (o.agingSeconds !== undefined) sw.agingSeconds = int(`${key}.agingSeconds`, o.agingSeconds, 1, 1_000_000);
  if (o.maxMacEntries !== undefined) sw.maxMacEntries = int(`${key}.maxMacEntries`, o.maxMacEntries, 1, 1_000_000);
  if (o.mac !== undefined) {
    const mac = str(`${key}.mac`, o.mac);
    const bytes = checked(`${key}.mac`, () => parseMac(mac));
    if ((bytes[0] & 1) === 1) throw new TopologyError(`${key}.mac`, `${mac} is a group (multicast) address; a bridge needs an individual address`);
    sw.mac = mac;
  }
  if (o.stp !== undefined) {
    if (typeof o.stp === 'boolean') sw.stp = o.stp;
    else {
      const so = obj(`${key}.stp`, o.stp);
      only(`${key}.stp`, so, ['priority', 'helloSeconds', 'maxAgeSeconds', 'forwardDelaySeconds']);
      const stp: StpSpec = {};
      if (so.priority !== undefined) {
        stp.priority = int(`${key}.stp.priority`, so.priority, 0, 61440);
        if (stp.priority % 4096 !== 0)
          throw new TopologyError(`${key}.stp.priority`, `a bridge priority is a multiple of 4096 (0, 4096, ... 61440), got ${stp.priority}`);
      }
      if (so.helloSeconds !== undefined) stp.helloSeconds = int(`${key}.stp.helloSeconds`, so.helloSeconds, 1, 10);
      if (so.maxAgeSeconds !== undefined) stp.maxAgeSeconds = int(`${key}.stp.maxAgeSeconds`, so.maxAgeSeconds, 6, 40);
      if (so.forwardDelaySeconds !== undefined) stp.forwardDelaySeconds = int(`${key}.stp.forwardDelaySeconds`, so.forwardDelaySeconds, 4, 30);
      const hello = stp.helloSeconds ?? 2;
      const maxAge = stp.maxAgeSeconds ?? 20;
      const fwd = stp.forwardDelaySeconds ?? 15;
      // 802.1D 17.14: 2 x (forward delay - 1) >= max age >= 2 x (hello + 1).
      if (!(2 * (fwd - 1) >= maxAge && maxAge >= 2 * (hello + 1))) {
        throw new TopologyError(
          `${key}.stp`,
          `the timers must satisfy 2 x (forwardDelaySeconds - 1) >= maxAgeSeconds >= 2 x (helloSeconds + 1) (802.1D), got hello ${hello}, max age ${maxAge}, forward delay ${fwd}`,
        );
      }
      sw.stp = stp;
    }
  }
  return sw;
}

function parseLink(key: string, v: Json): LinkSpec {
  const o = obj(key, v);
  only(key, o, ['name', 'impair', 'tap', 'vni']);
  const link: LinkSpec = { name: name(`${key}.name`, o.name) };
  if (o.impair !== undefined) {
    const io = obj(`${key}.impair`, o.impair);
    only(`${key}.impair`, io, ['drop', 'duplicate', 'delayMs', 'jitterMs', 'seed']);
    for (const k of ['drop', 'duplicate', 'delayMs', 'jitterMs'] as const) {
      if (io[k] !== undefined && typeof io[k] !== 'number') throw new TopologyError(`${key}.impair.${k}`, `expected a number, got ${describe(io[k])}`);
    }
    if (io.seed !== undefined && typeof io.seed !== 'string' && typeof io.seed !== 'number')
      throw new TopologyError(`${key}.impair.seed`, `expected a string or number, got ${describe(io.seed)}`);
    const impair = io as ImpairmentOptions;
    checked(`${key}.impair`, () => checkImpairment(impair));
    // A timer holds at most 2^31-1 ms (about 24.8 days); Node turns a longer delay into 1 ms.
    for (const k of ['delayMs', 'jitterMs'] as const) {
      const v = impair[k];
      if (v !== undefined && v > MAX_TIMER_MS)
        throw new TopologyError(`${key}.impair.${k}`, `${v} ms is longer than a timer can wait (at most ${MAX_TIMER_MS} ms, about 24.8 days)`);
    }
    if ((impair.delayMs ?? 0) + (impair.jitterMs ?? 0) > MAX_TIMER_MS) {
      throw new TopologyError(
        `${key}.impair`,
        `delayMs + jitterMs = ${(impair.delayMs ?? 0) + (impair.jitterMs ?? 0)} ms is longer than a timer can wait (at most ${MAX_TIMER_MS} ms)`,
      );
    }
    link.impair = impair;
  }
  if (o.tap !== undefined) {
    if (typeof o.tap !== 'boolean') throw new TopologyError(`${key}.tap`, `expected true or false, got ${describe(o.tap)}`);
    link.tap = o.tap;
  }
  if (o.vni !== undefined) link.vni = int(`${key}.vni`, o.vni, 0, 0xffffff);
  return link;
}

/** Checks a topology (already parsed JSON) and returns it typed; throws TopologyError naming the key. */
export function checkTopology(v: Json): TopologySpec {
  const o = obj('topology', v);
  only('', o, ['name', 'linkType', 'links', 'switches', 'hosts', 'routers']);
  const linkType = o.linkType === undefined ? 'vxlan' : str('linkType', o.linkType);
  if (linkType !== 'vxlan' && linkType !== 'memory') throw new TopologyError('linkType', `expected "vxlan" or "memory", got ${JSON.stringify(linkType)}`);
  const spec: TopologySpec = {
    name: name('name', o.name),
    linkType,
    links: list('links', o.links).map((x, i) => parseLink(`links[${i}]`, x)),
    switches: list('switches', o.switches).map((x, i) => parseSwitch(`switches[${i}]`, x)),
    hosts: list('hosts', o.hosts).map((x, i) => parseNode(`hosts[${i}]`, x)),
    routers: list('routers', o.routers).map((x, i) => parseNode(`routers[${i}]`, x)),
  };
  if (spec.hosts.length + spec.routers.length + spec.switches.length > MAX_NODES) {
    throw new TopologyError('hosts', `${spec.hosts.length + spec.routers.length + spec.switches.length} nodes; a topology holds at most ${MAX_NODES}`);
  }
  if (spec.links.length > MAX_LINKS) throw new TopologyError('links', `${spec.links.length} links; a topology holds at most ${MAX_LINKS}`);
  checkReferences(spec);
  checkAddresses(spec);
  return spec;
}

/** Parses and checks a topology file's text; `file` names it in errors. */
export function parseTopology(text: string, file = 'topology'): TopologySpec {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TopologyError(file, `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return checkTopology(json);
}

function checkReferences(spec: TopologySpec): void {
  const links = new Map<string, number>();
  spec.links.forEach((l, i) => {
    if (links.has(l.name)) throw new TopologyError(`links[${i}].name`, `link ${l.name} is named twice`);
    links.set(l.name, i);
  });
  const vnis = new Map<number, string>();
  spec.links.forEach((l, i) => {
    if (l.vni === undefined) return;
    const other = vnis.get(l.vni);
    if (other !== undefined) throw new TopologyError(`links[${i}].vni`, `VNI ${l.vni} is used by link ${other} too`);
    vnis.set(l.vni, l.name);
  });
  const nodes = new Set<string>();
  const ends = new Map<string, string[]>();
  const use = (key: string, node: string, end: string, link: string): void => {
    if (!links.has(link)) throw new TopologyError(key, `no link named ${link} in "links" (links: ${[...links.keys()].join(', ') || 'none'})`);
    const list = ends.get(link) ?? [];
    list.push(`${node}-${end}`);
    if (list.length > 2) throw new TopologyError(key, `link ${link} already joins ${list[0]} and ${list[1]}; a link has two ends`);
    ends.set(link, list);
  };
  const addNode = (key: string, n: string): void => {
    if (nodes.has(n)) throw new TopologyError(key, `there is already a node named ${n}`);
    nodes.add(n);
  };
  spec.switches.forEach((s, i) => {
    addNode(`switches[${i}].name`, s.name);
    const seen = new Set<string>();
    s.ports.forEach((p, j) => {
      if (seen.has(p.name)) throw new TopologyError(`switches[${i}].ports[${j}].name`, `switch ${s.name} has two ports named ${p.name}`);
      seen.add(p.name);
      use(`switches[${i}].ports[${j}].link`, s.name, p.name, p.link);
    });
  });
  for (const [kind, group] of [
    ['hosts', spec.hosts],
    ['routers', spec.routers],
  ] as const) {
    group.forEach((h, i) => {
      addNode(`${kind}[${i}].name`, h.name);
      const seen = new Set<string>();
      h.interfaces.forEach((f, j) => {
        if (seen.has(f.name)) throw new TopologyError(`${kind}[${i}].interfaces[${j}].name`, `${h.name} has two interfaces named ${f.name}`);
        seen.add(f.name);
        use(`${kind}[${i}].interfaces[${j}].link`, h.name, f.name, f.link);
      });
    });
  }
  spec.links.forEach((l, i) => {
    const n = ends.get(l.name)?.length ?? 0;
    if (n !== 2)
      throw new TopologyError(
        `links[${i}]`,
        `link ${l.name} has ${n} end${n === 1 ? '' : 's'} (${(ends.get(l.name) ?? []).join(', ') || 'none'}); a link joins exactly two`,
      );
  });
}

/** Why an address cannot be a host's (or router's) interface address in its prefix, or undefined. */
function badInterfaceAddress(address: number, prefixLen: number): string | undefined {
  const text = ipv4Text(address);
  if (address === 0) return '0.0.0.0 means "this host" (no address yet); an interface needs a real address';
  if (address >>> 28 === 0xe) return `${text} is a multicast address (224.0.0.0/4); an interface needs a unicast address`;
  if (address === 0xffffffff) return '255.255.255.255 is the limited broadcast address';
  if (address >>> 28 === 0xf) return `${text} is in 240.0.0.0/4, reserved (RFC 1112); an interface needs a unicast address`;
  if (address >>> 24 === 0) return `${text} is in 0.0.0.0/8 ("this network", RFC 1122), which is not a host address`;
  if (address >>> 24 === 127) return `${text} is a loopback address (127.0.0.0/8); a virtual interface cannot use it`;
  // /31 (RFC 3021) and /32 have no network or broadcast address.
  if (prefixLen <= 30) {
    const mask = prefixMask(prefixLen);
    if ((address & ~mask) >>> 0 === 0)
      return `${text} is the network address of ${ipv4Text((address & mask) >>> 0)}/${prefixLen} (host bits all zero); pick a host address inside it`;
    if ((address & ~mask) >>> 0 === ~mask >>> 0)
      return `${text} is the broadcast address of ${ipv4Text((address & mask) >>> 0)}/${prefixLen} (host bits all one); pick a host address inside it`;
  }
  return undefined;
}

/**
 * What would fail only at run time: an address no interface can hold, the same IPv4 address or MAC
 * on two interfaces, a gateway or route next hop that is not on any of the node's own networks.
 */
function checkAddresses(spec: TopologySpec): void {
  const ips = new Map<number, string>();
  const macs = new Map<string, string>();
  const nodes = [...spec.hosts.map((n, i) => ({ n, key: `hosts[${i}]` })), ...spec.routers.map((n, i) => ({ n, key: `routers[${i}]` }))];
  nodes.forEach(({ n, key }, ni) => {
    const nets = n.interfaces.map((f, fi) => {
      const k = `${key}.interfaces[${fi}]`;
      const { address, prefixLen } = parsePrefix(f.address);
      const why = badInterfaceAddress(address, prefixLen);
      if (why !== undefined) throw new TopologyError(`${k}.address`, why);
      const other = ips.get(address);
      if (other !== undefined)
        throw new TopologyError(`${k}.address`, `${ipv4Text(address)} is already the address of ${other}; two interfaces cannot share an address`);
      ips.set(address, `${k} (${n.name} ${f.name})`);
      const mac = (f.mac ?? defaultMac(ni, fi)).toLowerCase();
      const otherMac = macs.get(mac);
      if (otherMac !== undefined)
        throw new TopologyError(
          `${k}.mac`,
          `${mac} is already the MAC of ${otherMac}; two interfaces cannot share a MAC${f.mac === undefined ? ' (this one is the default for its position: give "mac" explicitly)' : ''}`,
        );
      macs.set(mac, `${k} (${n.name} ${f.name})`);
      return { address, prefixLen };
    });
    const onLink = (key2: string, what: string, text: string): void => {
      const a = ipv4Number(text);
      if (nets.some((x) => x.address === a)) throw new TopologyError(key2, `${what} ${text} is ${n.name}'s own address`);
      if (!nets.some((x) => inPrefix(a, x.address, x.prefixLen))) {
        throw new TopologyError(
          key2,
          `${what} ${text} is not on any network of ${n.name} (${nets.map((x) => `${ipv4Text((x.address & prefixMask(x.prefixLen)) >>> 0)}/${x.prefixLen}`).join(', ')}): a next hop must be reachable on a link`,
        );
      }
    };
    if (n.gateway !== undefined) onLink(`${key}.gateway`, 'gateway', n.gateway);
    for (const [i, r] of (n.routes ?? []).entries()) onLink(`${key}.routes[${i}].via`, 'next hop', r.via);
  });
}

/**
 * Loops among switches: each is the list of switch names around one cycle and the links that close
 * it, with whether every switch on it runs spanning tree. (Links between switches only: hosts and
 * routers do not bridge.)
 */
export function switchLoops(spec: TopologySpec): { switches: string[]; links: string[]; stp: boolean }[] {
  const owner = new Map<string, string[]>();
  for (const s of spec.switches) for (const p of s.ports) owner.set(p.link, [...(owner.get(p.link) ?? []), s.name]);
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    return r;
  };
  for (const s of spec.switches) parent.set(s.name, s.name);
  const adj = new Map<string, { to: string; link: string }[]>();
  const stpOn = new Set(spec.switches.filter((s) => s.stp !== undefined && s.stp !== false).map((s) => s.name));
  const loops: { switches: string[]; links: string[]; stp: boolean }[] = [];
  for (const l of spec.links) {
    const ends = owner.get(l.name);
    if (ends === undefined || ends.length !== 2) continue;
    const [a, b] = ends;
    if (find(a) === find(b)) {
      // The tree path from a to b, plus this link, is the cycle.
      const path = treePath(adj, a, b);
      const names = path?.nodes ?? [a];
      loops.push({ switches: names, links: [...(path?.links ?? []), l.name], stp: names.every((n) => stpOn.has(n)) });
      if (loops.length >= 10) break;
      continue;
    }
    parent.set(find(a), find(b));
    adj.set(a, [...(adj.get(a) ?? []), { to: b, link: l.name }]);
    adj.set(b, [...(adj.get(b) ?? []), { to: a, link: l.name }]);
  }
  return loops;
}

function treePath(adj: Map<string, { to: string; link: string }[]>, from: string, to: string): { nodes: string[]; links: string[] } | undefined {
  const prev = new Map<string, { node: string; link: string } | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    if (n === to) break;
    for (const e of adj.get(n) ?? []) {
      if (prev.has(e.to)) continue;
      prev.set(e.to, { node: n, link: e.link });
      queue.push(e.to);
    }
  }
  if (!prev.has(to)) return undefined;
  const nodes: string[] = [];
  const links: string[] = [];
  for (let at: string | undefined = to; at !== undefined; ) {
    nodes.unshift(at);
    const p: { node: string; link: string } | null | undefined = prev.get(at);
    if (p === null || p === undefined) break;
    links.unshift(p.link);
    at = p.node;
  }
  return { nodes, links };
}
