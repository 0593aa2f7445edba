// The sequence diagram of each lab step: every frame the virtual networks (netsim's LabNet) carried
// while the step ran, as an arrow from the node that sent it to the node it was for (`broadcast` for
// an Ethernet broadcast), time down the page, labelled as the capture view labels its arrows
// (src/view/sequence.ts's shortLabel over netlab's own dissection of the bytes).
//
// A frame crossing a switch crosses two links; only the copy a host or router sent is an arrow (a
// switch forwards, it does not send). Each step keeps its last MAX_STEP_ARROWS frames; their bytes
// are dissected only when asked for (flush), so a step that sends 100,000 frames costs 500
// dissections, not 100,000.

import type { CapturedPacket } from '../capture/types.ts';
import { DissectState } from '../dissect/context.ts';
import { dissect } from '../dissect/dissect.ts';
import { Host, type LabNet, Switch, type WireFrame } from '../netsim/index.ts';
import { watchLabNets } from '../netsim/lab-net.ts';
import { treeOf, treeText } from './capture-model.ts';
import { type LabArrowJson, type LabEvent, MAX_STEP_ARROWS, type StepSequenceJson } from './lab-types.ts';
import { shortLabel } from './sequence.ts';

const ETHERNET = { linkType: 1, snapLength: 262144, tsResolution: 1e9, fcsLength: 0 };
const BROADCAST = 'broadcast';

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');
const macAt = (f: Uint8Array, at: number): string => Array.from(f.subarray(at, at + 6), hex2).join(':');

/** Who owns each port and each MAC address of a network (rebuilt when a port is not known yet). */
interface Owners {
  port: Map<string, { node: string; forwards: boolean }>;
  mac: Map<string, string>;
}

function ownersOf(net: LabNet): Owners {
  const port = new Map<string, { node: string; forwards: boolean }>();
  const mac = new Map<string, string>();
  for (const n of net.nodeList) {
    if (n instanceof Switch) for (const p of n.portNames) port.set(p, { node: n.name, forwards: true });
    else if (n instanceof Host) {
      for (const i of n.interfaces) {
        port.set(i.port.name, { node: n.name, forwards: false });
        mac.set(i.macText, n.name);
      }
    }
  }
  return { port, mac };
}

interface Pending {
  index: number;
  from: number;
  to: number;
  link: string;
  atMs: number;
  bytes: Uint8Array;
}

interface Step {
  lab: number;
  position: number;
  hosts: string[];
  place: Map<string, number>;
  arrows: LabArrowJson[];
  pending: Pending[];
  total: number;
  state: DissectState;
  /** Arrows made since the last flush (sent to the live page). */
  fresh: LabArrowJson[];
}

/** One frame's arrow: its bytes dissected (a dissector bug is shown on the arrow, never thrown). */
export function arrowOf(p: Pending, state: DissectState): LabArrowJson {
  const ms = Math.max(0, p.atMs);
  const packet: CapturedPacket = {
    number: p.index + 1,
    interfaceId: 0,
    iface: ETHERNET,
    tsSec: Math.floor(ms / 1000),
    tsNsec: Math.round((ms % 1000) * 1e6),
    data: p.bytes,
    origLength: p.bytes.length,
    comments: [],
    warnings: [],
  };
  const base = { index: p.index, time: `${ms.toFixed(3)} ms`, from: p.from, to: p.to, link: p.link, hex: Buffer.from(p.bytes).toString('hex') };
  try {
    const d = dissect(packet, state);
    const { protocol, info } = d.columns;
    const arrow: LabArrowJson = { ...base, label: shortLabel({ protocol, info }), protocol, info, tree: treeText(treeOf(d)) };
    if (d.malformed.length > 0) arrow.bad = true;
    return arrow;
  } catch (err) {
    const info = `netlab could not dissect this frame: ${(err as Error).message}`;
    return { ...base, label: 'undissected', protocol: '', info, tree: [], bad: true };
  }
}

/**
 * Collects the arrows of each step of a run: give it the run's events (event()) so it knows the step
 * running, and it hears every LabNet built from now on. `onFresh` (the live page) gets each step's
 * new arrows at each flush().
 */
export class LabSequences {
  private readonly steps: Step[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly stopWatching: () => void;
  private lab = -1;
  private current: Step | undefined;

  /**
   * `keep`: arrows kept per step (at most MAX_STEP_ARROWS; the static index.html asks for fewer, so a
   * busy lab's file stays small and its run does not dissect frames nobody will open).
   */
  constructor(
    private readonly onFresh?: (s: StepSequenceJson) => void,
    private readonly keep = MAX_STEP_ARROWS,
  ) {
    this.stopWatching = watchLabNets((net) => {
      let owners = ownersOf(net);
      this.offs.push(
        net.onFrame((f) => {
          // Nodes join a network after its first frames: look again for a port or a unicast MAC not known.
          if (!owners.port.has(f.from) || (f.frame.length >= 6 && (f.frame[0] & 1) === 0 && !owners.mac.has(macAt(f.frame, 0)))) owners = ownersOf(net);
          this.frame(owners, f);
        }),
      );
    });
  }

  /** Follows the run: a new lab, a new step. */
  event(e: LabEvent): void {
    if (e.type === 'lab') {
      this.lab++;
      this.current = undefined;
    } else if (e.type === 'item') {
      this.current = {
        lab: this.lab,
        position: e.position,
        hosts: [],
        place: new Map(),
        arrows: [],
        pending: [],
        total: 0,
        state: new DissectState(),
        fresh: [],
      };
      this.steps.push(this.current);
    }
  }

  private column(s: Step, name: string): number {
    let c = s.place.get(name);
    if (c === undefined) {
      c = s.hosts.length;
      s.hosts.push(name);
      s.place.set(name, c);
    }
    return c;
  }

  private frame(owners: Owners, f: WireFrame): void {
    const s = this.current;
    if (s === undefined) return;
    const sender = owners.port.get(f.from);
    if (sender?.forwards === true) return;
    const bytes = f.frame;
    const fromName = sender?.node ?? f.from.replace(/-[^-]*$/, '');
    let toName = fromName;
    if (bytes.length >= 14) {
      const dst = macAt(bytes, 0);
      toName = dst === 'ff:ff:ff:ff:ff:ff' ? BROADCAST : (owners.mac.get(dst) ?? ((bytes[0] & 1) === 1 ? `multicast ${dst}` : dst));
    }
    const from = this.column(s, fromName);
    const to = this.column(s, toName);
    s.pending.push({ index: s.total, from, to, link: `${f.link}: ${f.from} -> ${f.to}`, atMs: f.atMs, bytes: Uint8Array.from(bytes) });
    s.total++;
    if (s.pending.length > this.keep) s.pending.splice(0, s.pending.length - this.keep);
  }

  /** Dissects the frames heard since the last flush; tells onFresh of each step that gained arrows. */
  flush(): void {
    for (const s of this.steps) {
      if (s.pending.length === 0) continue;
      const made = s.pending.map((p) => arrowOf(p, s.state));
      s.pending = [];
      s.arrows.push(...made);
      if (s.arrows.length > this.keep) s.arrows.splice(0, s.arrows.length - this.keep);
      this.onFresh?.({ lab: s.lab, position: s.position, hosts: [...s.hosts], arrows: made.slice(-MAX_STEP_ARROWS), total: s.total });
    }
  }

  /** Every step's diagram so far (the steps of lab `lab` only, when given); steps with no frame left out. */
  snapshots(lab?: number): StepSequenceJson[] {
    this.flush();
    return this.steps
      .filter((s) => s.total > 0 && (lab === undefined || s.lab === lab))
      .map((s) => ({ lab: s.lab, position: s.position, hosts: [...s.hosts], arrows: [...s.arrows], total: s.total }));
  }

  close(): void {
    this.stopWatching();
    for (const off of this.offs) off();
    this.offs.length = 0;
  }
}
