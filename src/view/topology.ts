// The lab page's live topology: every virtual network (netsim's LabNet) a lab builds while the page is
// served, as nodes, links and tables (switch MAC tables, ARP caches, routing tables, NAT sessions),
// and each frame as it crosses a link. Snapshots are taken on a timer and sent only when they change;
// frames are sent as they happen, at most MAX_FRAMES_PER_TICK a tick (the rest are counted), since a
// simulated network can send thousands in a millisecond of real time.
//
// Frames reach the page through a LiveFeed (src/netsim/live-feed.ts), the one `netlab topo` and the
// Wireshark extcap use: each link of each network is a segment (`net1-h1-sw1`), every frame a link
// carries is published there, and the page hears the feed as one of its watchers, so a Wireshark
// attached with `netlab extcap` gets exactly the frames the page shows.

import { Host, type LabNet, Router, Switch, type WireFrame } from '../netsim/index.ts';
import { watchLabNets } from '../netsim/lab-net.ts';
import type { LiveFeed, LiveFrame } from '../netsim/live-feed.ts';
import type { TopoFrameJson, TopoLinkJson, TopologyJson, TopoNodeJson } from './lab-types.ts';

const TICK_MS = 250;
const MAX_FRAMES_PER_TICK = 60;
/** Rows shown per table (a NAT under load holds thousands of sessions); the rest are counted. */
export const MAX_TABLE_ROWS = 40;

function capped(rows: string[][]): string[][] {
  if (rows.length <= MAX_TABLE_ROWS) return rows;
  return [...rows.slice(0, MAX_TABLE_ROWS), [`... and ${rows.length - MAX_TABLE_ROWS} more`]];
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
const mac = (f: Uint8Array, at: number): string => Array.from(f.subarray(at, at + 6), hex).join(':');
const ip4 = (f: Uint8Array, at: number): string => Array.from(f.subarray(at, at + 4)).join('.');
const IP_PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** A one-line summary of an Ethernet frame (ARP, IPv4 with its protocol and addresses, or the EtherType). */
export function frameSummary(f: Uint8Array): string {
  if (f.length < 14) return `${f.length} bytes (shorter than an Ethernet header)`;
  let type = (f[12] << 8) | f[13];
  let at = 14;
  if (type === 0x8100 && f.length >= 18) {
    type = (f[16] << 8) | f[17];
    at = 18;
  }
  if (type === 0x0806 && f.length >= at + 28) {
    const op = (f[at + 6] << 8) | f[at + 7];
    if (op === 1) return `ARP who-has ${ip4(f, at + 24)} tell ${ip4(f, at + 14)}`;
    if (op === 2) return `ARP ${ip4(f, at + 14)} is-at ${mac(f, at + 8)}`;
    return `ARP op ${op}`;
  }
  if (type === 0x0800 && f.length >= at + 20) {
    const proto = f[at + 9];
    return `IPv4 ${IP_PROTOCOLS[proto] ?? `proto ${proto}`} ${ip4(f, at + 12)} > ${ip4(f, at + 16)} ttl ${f[at + 8]}`;
  }
  if (type === 0x86dd) return 'IPv6';
  return `EtherType 0x${type.toString(16).padStart(4, '0')} ${mac(f, 6)} > ${mac(f, 0)}`;
}

/** A node's name from a port name: `h1-eth0` -> `h1`, `sw1-p3` -> `sw1`. */
const nodeOfPort = (port: string): string => port.replace(/-[^-]*$/, '');

/** The network as it stands: nodes with their tables, links, frame count. */
export function topologySnapshot(net: LabNet, id: number, name: string): TopologyJson {
  const nodes: TopoNodeJson[] = [];
  const portOwner = new Map<string, string>();
  for (const n of net.nodeList) {
    if (n instanceof Switch) {
      for (const p of n.portNames) portOwner.set(p, n.name);
      const rows = n.macTable.entries(net.clock.now()).map((e) => [String(e.vlan), e.mac, e.port, e.type, `${Math.round(e.ageMs / 1000)} s`]);
      nodes.push({ name: n.name, kind: 'switch', tables: [{ title: 'MAC table', head: ['VLAN', 'MAC', 'Port', 'Type', 'Age'], rows: capped(rows) }] });
    } else if (n instanceof Host) {
      for (const i of n.interfaces) portOwner.set(i.port.name, n.name);
      const arp = n.interfaces.flatMap((i) => i.arpRows());
      const [routeHead, ...routes] = n.routes.rows();
      const tables: TopoNodeJson['tables'] = [
        { title: 'ARP cache', head: ['Address', 'HWaddress', 'Iface', 'State', 'Expires'], rows: capped(arp) },
        { title: 'Routes', head: routeHead, rows: capped(routes) },
      ];
      if (n instanceof Router) {
        for (const t of n.translatorTables()) tables.push({ title: `NAT (${t.iface})`, head: [], rows: capped(t.text.split('\n').map((l) => [l])) });
      }
      nodes.push({ name: n.name, kind: n instanceof Router ? 'router' : 'host', tables });
    }
  }
  const links: TopoLinkJson[] = net.linkList.map((l) => ({
    name: l.name,
    a: l.a,
    b: l.b,
    aNode: portOwner.get(l.a) ?? nodeOfPort(l.a),
    bNode: portOwner.get(l.b) ?? nodeOfPort(l.b),
  }));
  // Ends whose node is not among the kept ones (a port a lab drives by hand) still get drawn.
  const known = new Set(nodes.map((n) => n.name));
  for (const l of links) {
    for (const end of [l.aNode, l.bNode]) {
      if (!known.has(end)) {
        known.add(end);
        nodes.push({ name: end, kind: 'host', tables: [] });
      }
    }
  }
  return { id, name, nodes, links, frames: net.frames.length, closed: net.isClosed };
}

export interface TopologyListener {
  topology(t: TopologyJson): void;
  frame(f: TopoFrameJson): void;
}

/** The live feed's segment of a network's link. */
export const linkSegment = (netId: number, link: string): string => `net${netId}-${link}`;

interface Watched {
  id: number;
  name: string;
  net: LabNet;
  last: string;
  off: () => void;
  /** Links announced as feed segments. */
  segments: Set<string>;
}

/**
 * Watches the LabNets built from now on. With a listener, tells it of their snapshots (on a timer)
 * and frames (through `feed`, which then carries every link's frames); without one, only keeps the
 * networks for snapshots() (the static page's final picture).
 */
export class TopologyWatch {
  private readonly nets: Watched[] = [];
  private readonly bySegment = new Map<string, { net: Watched; link: string }>();
  private readonly stopWatching: () => void;
  private readonly stopFeed: () => void;
  private readonly timer: NodeJS.Timeout | undefined;
  private frameBudget = MAX_FRAMES_PER_TICK;
  /** Frames not sent to the page (over the per-tick budget). */
  skippedFrames = 0;

  /** `label` names a network built without a name (the lab running then). */
  constructor(
    private readonly listener: TopologyListener | undefined,
    label: () => string = () => 'net',
    private readonly feed?: LiveFeed,
  ) {
    this.stopWatching = watchLabNets((net, name) => this.add(net, name === 'net' ? label() : name));
    this.stopFeed = feed?.local((f) => this.fromFeed(f)) ?? (() => undefined);
    if (listener !== undefined) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  /** The latest snapshot of every network seen. */
  snapshots(): TopologyJson[] {
    return this.nets.map((n) => topologySnapshot(n.net, n.id, n.name));
  }

  private add(net: LabNet, name: string): void {
    const id = this.nets.length + 1;
    const w: Watched = { id, name, net, last: '', off: () => undefined, segments: new Set() };
    const feed = this.feed;
    if (feed !== undefined) {
      w.off = net.onFrame((f: WireFrame) => {
        this.announce(w, f.link);
        feed.publish(linkSegment(id, f.link), f.frame, f.from);
      });
    }
    this.nets.push(w);
    // The first snapshot as soon as the lab has wired the network (this turn), then on each tick.
    if (this.listener !== undefined) setImmediate(() => this.tick());
  }

  /** Makes a link a segment of the feed (once). */
  private announce(w: Watched, link: string): void {
    if (this.feed === undefined || w.segments.has(link)) return;
    w.segments.add(link);
    const segment = linkSegment(w.id, link);
    this.bySegment.set(segment, { net: w, link });
    const l = w.net.linkList.find((x) => x.name === link);
    this.feed.addSegment(segment, `${w.name} link ${link}${l === undefined ? '' : ` (${l.a} - ${l.b})`}`);
  }

  /** A frame the feed carried: to the page, within the tick's budget. */
  private fromFeed(f: LiveFrame): void {
    const seg = this.bySegment.get(f.segment);
    if (seg === undefined || this.listener === undefined) return;
    if (this.frameBudget <= 0) {
      this.skippedFrames++;
      return;
    }
    this.frameBudget--;
    const l = seg.net.net.linkList.find((x) => x.name === seg.link);
    const from = f.from ?? '';
    const to = l === undefined ? '' : from === l.a ? l.b : l.a;
    this.listener.frame({ net: seg.net.id, link: seg.link, from, to, summary: frameSummary(f.frame) });
  }

  /** Sends the snapshots that changed (and announces the links built since as feed segments). */
  tick(): void {
    this.frameBudget = MAX_FRAMES_PER_TICK;
    for (const n of this.nets) {
      if (n.last.startsWith('closed:')) continue;
      for (const l of n.net.linkList) this.announce(n, l.name);
      const snap = topologySnapshot(n.net, n.id, n.name);
      const text = JSON.stringify(snap);
      if (text === n.last) continue;
      n.last = snap.closed ? `closed:${text}` : text;
      this.listener?.topology(snap);
    }
  }

  close(): void {
    this.stopWatching();
    this.stopFeed();
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const n of this.nets) n.off();
  }
}
