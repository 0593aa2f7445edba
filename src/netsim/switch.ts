// A learning Ethernet switch (an IEEE 802.1Q bridge): frames come in on FramePorts; the source address
// is learned into the MAC table (mac-table.ts) with its VLAN and port; a frame for a known address goes
// out of that one port, a broadcast, multicast or unknown unicast frame is flooded to every other port
// of its VLAN, and no frame ever leaves by the port it came in on (a frame for an address that lives on
// the ingress port is filtered). Access ports carry one VLAN untagged; trunk ports carry 802.1Q-tagged
// frames for their allowed VLANs and their native VLAN untagged. Every port counts what it received,
// sent, flooded and dropped (with the reason).
//
//   const sw = new Switch({ name: 'sw1' });
//   sw.addPort(portA);                                  // access, VLAN 1
//   sw.addPort(portB, { mode: 'access', vlan: 10 });
//   sw.addPort(portC, { mode: 'trunk', allowed: [10, 20], native: 1 });
//   console.log(sw.formatMacTable());

import { realClock, type NetClock } from '../base/timer-clock.ts';
import { MacTable, type MacTableCounters } from './mac-table.ts';
import { formatColumns } from './routes.ts';
import { macText } from './host-addr.ts';
import type { FramePort } from './port.ts';
import { SpanningTree, type StpOptions } from './stp.ts';
import { isBpduFrame } from '../wire/stp.ts';
import { parseMac } from '../wire/index.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

const ETHERTYPE_VLAN = 0x8100;
/** Shortest Ethernet frame without FCS; a switch that removes a tag pads back to it. */
const MIN_FRAME = 60;

export type SwitchPortMode = { mode: 'access'; vlan?: number } | { mode: 'trunk'; allowed?: readonly number[]; native?: number };

export type SwitchDropReason = 'runt' | 'group-source' | 'vlan-not-allowed' | 'port-down' | 'queue-full' | 'stp-blocked';

/**
 * Frames the switch transmits per turn of the event loop. A broadcast on a switch of n ports is n - 1
 * transmissions, so n hosts each broadcasting once (their gratuitous ARP at start) are n² frames: sent
 * all at once they would all sit in the links' queues together (2,000 hosts: 4 million frames, gigabytes).
 * Paced, at most this many are in flight and the rest wait in the switch's bounded backlog.
 */
export const TX_PER_TURN = 2048;
/** Frames (each with the ports it still has to go out of) a switch holds waiting to be sent; beyond, received frames are dropped ('queue-full'), as a switch's buffers overflow in a broadcast storm. */
export const MAX_BACKLOG = 16_384;

export interface SwitchPortCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames received here that were flooded (broadcast, multicast, unknown unicast). */
  flooded: number;
  /** Frames received here whose destination lives on this same port (not sent anywhere). */
  filtered: number;
  drops: Record<SwitchDropReason, number>;
}

/** What the switch did with one frame (only computed when a listener is set). */
export interface SwitchEvent {
  readonly kind: 'forwarded' | 'flooded' | 'filtered' | 'dropped';
  readonly vlan: number;
  readonly src: string;
  readonly dst: string;
  readonly inPort: string;
  readonly outPorts: readonly string[];
  /** What the source address did to the table. */
  readonly learned: 'new' | 'moved' | 'refreshed' | 'static' | 'full' | 'none';
  /** For 'flooded': why ('broadcast', 'multicast', 'unknown unicast'); for 'dropped': the reason. */
  readonly why?: string;
}

export interface SwitchOptions {
  name: string;
  clock?: NetClock;
  /** MAC ageing time in ms (default 300 000). */
  agingMs?: number;
  /** MAC table size bound (default 8192). */
  maxMacEntries?: number;
  /** Run the Spanning Tree Protocol (802.1D) on every port (default off). */
  stp?: boolean | StpOptions;
  /** The bridge's own MAC (BPDUs' source, the bridge id). Default: derived from the name. */
  mac?: string | Uint8Array;
}

/** 02:xx:xx:xx:xx:xx from a name (FNV-1a), so a switch has a stable bridge MAC without configuration. */
export function bridgeMacOf(name: string): Uint8Array {
  let h = 0x811c9dc5;
  let g = 0x01000193;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    g = Math.imul(g ^ name.charCodeAt(i), 0x811c9dc5) >>> 0;
  }
  return Uint8Array.of(0x02, (g >>> 8) & 0xff, h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff);
}

interface PortState {
  readonly index: number;
  readonly port: FramePort;
  readonly trunk: boolean;
  /** Access VLAN, or the trunk's native VLAN. */
  readonly vlan: number;
  /** Trunk: the VLANs it carries (undefined: all). */
  readonly allowed: ReadonlySet<number> | undefined;
  readonly counters: SwitchPortCounters;
  up: boolean;
}

function checkVlan(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 4094) throw new NetlabRangeError(`${what}: a VLAN ID is 1 to 4094, got ${v}`);
  return v;
}

function newCounters(): SwitchPortCounters {
  return {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    flooded: 0,
    filtered: 0,
    drops: { runt: 0, 'group-source': 0, 'vlan-not-allowed': 0, 'port-down': 0, 'queue-full': 0, 'stp-blocked': 0 },
  };
}

/** A frame waiting to go out: to one port, or flooded to the ports from index `next` on (except `inp`). */
interface Pending {
  readonly untagged: Uint8Array;
  readonly vlan: number;
  readonly wasTagged: boolean;
  /** One egress port, or undefined for a flood. */
  readonly out: PortState | undefined;
  readonly inp: PortState;
  next: number;
}

export class Switch {
  readonly name: string;
  readonly macTable: MacTable;
  /** The spanning tree, when the switch runs it. */
  readonly stp: SpanningTree | undefined;
  private readonly clock: NetClock;
  private readonly ports: PortState[] = [];
  private readonly names = new Set<string>();
  private listener: ((e: SwitchEvent) => void) | undefined;
  private closed = false;
  /** Transmissions this turn, and the frames waiting for a later turn (FIFO from `backlogHead`). */
  private spent = 0;
  private backlog: Pending[] = [];
  private backlogHead = 0;
  private turn: ReturnType<typeof setImmediate> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: SwitchOptions) {
    this.name = options.name;
    this.clock = options.clock ?? realClock();
    this.macTable = new MacTable({ agingMs: options.agingMs, maxEntries: options.maxMacEntries }, (i) => this.ports[i]?.port.name ?? `#${i}`);
    if (options.stp !== undefined && options.stp !== false) {
      const mac = options.mac === undefined ? bridgeMacOf(this.name) : typeof options.mac === 'string' ? parseMac(options.mac) : options.mac;
      this.stp = new SpanningTree(mac, options.stp === true ? {} : options.stp, this.clock, {
        send: (i, frame) => {
          const op = this.ports[i];
          if (op === undefined || !op.up || this.closed) return;
          op.counters.txFrames++;
          op.counters.txBytes += frame.length;
          op.port.send(frame);
        },
        flush: (i) => {
          if (i === 'all') this.macTable.flushDynamic();
          else this.macTable.flushPort(i);
        },
      });
    }
  }

  /** Plugs a port in (default: access port in VLAN 1); returns its index. */
  addPort(port: FramePort, mode: SwitchPortMode = { mode: 'access' }, stpCost?: number): number {
    if (this.closed) throw new NetlabError('ERR_STATE', `switch ${this.name}: addPort after close`);
    if (this.names.has(port.name)) throw new NetlabRangeError(`switch ${this.name}: there is already a port named ${port.name}`);
    const index = this.ports.length;
    let state: PortState;
    if (mode.mode === 'access') {
      state = {
        index,
        port,
        trunk: false,
        vlan: checkVlan(`switch ${this.name} port ${port.name}`, mode.vlan ?? 1),
        allowed: undefined,
        counters: newCounters(),
        up: true,
      };
    } else if (mode.mode === 'trunk') {
      const allowed = mode.allowed === undefined ? undefined : new Set(mode.allowed.map((v) => checkVlan(`switch ${this.name} port ${port.name} allowed`, v)));
      state = {
        index,
        port,
        trunk: true,
        vlan: checkVlan(`switch ${this.name} port ${port.name} native`, mode.native ?? 1),
        allowed,
        counters: newCounters(),
        up: true,
      };
    } else {
      throw new NetlabRangeError(`switch ${this.name} port ${port.name}: mode must be 'access' or 'trunk'`);
    }
    this.ports.push(state);
    this.names.add(port.name);
    this.stp?.addPort(index, stpCost);
    port.onFrame((frame) => this.receive(state, frame));
    return index;
  }

  /** Calls `fn` with what happens to each frame (for labs; slows forwarding a little). */
  onEvent(fn: ((e: SwitchEvent) => void) | undefined): void {
    this.listener = fn;
  }

  /** Takes a port down (frames in or out are dropped, its MAC entries forgotten) or back up. */
  setPortUp(name: string, up: boolean): void {
    const p = this.portByName(name);
    p.up = up;
    if (!up) this.macTable.flushPort(p.index);
  }

  /** A static MAC entry: frames for `mac` in `vlan` go out of port `name` only. */
  addStaticMac(vlan: number, mac: Uint8Array, name: string): void {
    this.macTable.addStatic(checkVlan(`switch ${this.name} static entry`, vlan), mac, this.portByName(name).index);
  }

  counters(name: string): SwitchPortCounters {
    return this.portByName(name).counters;
  }

  get tableCounters(): MacTableCounters {
    return this.macTable.counters;
  }

  get portNames(): string[] {
    return this.ports.map((p) => p.port.name);
  }

  formatMacTable(): string {
    return this.macTable.format(this.clock.now());
  }

  /** Per-port counters as a table. */
  formatCounters(): string {
    const rows: string[][] = [['Port', 'Mode', 'Rx', 'Tx', 'Flooded', 'Filtered', 'Dropped']];
    for (const p of this.ports) {
      const c = p.counters;
      const dropped =
        Object.entries(c.drops)
          .filter(([, n]) => n > 0)
          .map(([why, n]) => `${n} ${why}`)
          .join(', ') || '0';
      const mode = p.trunk ? `trunk ${p.allowed === undefined ? 'all' : [...p.allowed].join(',')} native ${p.vlan}` : `access ${p.vlan}`;
      rows.push([p.port.name, mode, String(c.rxFrames), String(c.txFrames), String(c.flooded), String(c.filtered), dropped]);
    }
    return formatColumns(rows);
  }

  /** Frames waiting in the switch to be transmitted (see TX_PER_TURN). */
  get backlogSize(): number {
    return this.backlog.length - this.backlogHead;
  }

  /** Resolves once the switch has nothing waiting to be transmitted. */
  idle(): Promise<void> {
    if (this.backlogSize === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.turn !== undefined) clearImmediate(this.turn);
    this.turn = undefined;
    this.backlog = [];
    this.backlogHead = 0;
    this.wakeIdle();
    this.stp?.close();
    await Promise.all(this.ports.map((p) => p.port.close()));
  }

  /** The spanning tree's view of the ports (role, state, designated bridge), or undefined without STP. */
  formatStp(): string | undefined {
    return this.stp?.format((i) => this.ports[i]?.port.name ?? `#${i}`);
  }

  private portByName(name: string): PortState {
    const p = this.ports.find((x) => x.port.name === name);
    if (p === undefined) throw new NetlabRangeError(`switch ${this.name} has no port ${name} (ports: ${this.portNames.join(', ') || 'none'})`);
    return p;
  }

  private carries(p: PortState, vlan: number): boolean {
    if (!p.trunk) return p.vlan === vlan;
    return p.vlan === vlan || p.allowed === undefined || p.allowed.has(vlan);
  }

  private receive(inp: PortState, frame: Uint8Array): void {
    if (this.closed) return;
    const c = inp.counters;
    c.rxFrames++;
    c.rxBytes += frame.length;
    if (!inp.up) return this.drop(inp, frame, 'port-down', 0);
    if (frame.length < 14) return this.drop(inp, frame, 'runt', 0);
    const stp = this.stp;
    if (stp !== undefined) {
      // BPDUs are for the bridge itself (never forwarded); a port that is not learning drops the rest.
      if (isBpduFrame(frame)) {
        stp.receive(inp.index, frame);
        return;
      }
      if (!stp.learns(inp.index)) return this.drop(inp, frame, 'stp-blocked', 0);
    }
    // The VLAN this frame belongs to, and the frame without its tag.
    let vlan = inp.vlan;
    let untagged = frame;
    if (((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN) {
      if (frame.length < 18) return this.drop(inp, frame, 'runt', 0);
      const vid = ((frame[14] << 8) | frame[15]) & 0x0fff;
      if (vid !== 0) vlan = vid; // VID 0: a priority tag only; the frame is in the port's VLAN
      if (!this.carries(inp, vlan)) return this.drop(inp, frame, 'vlan-not-allowed', vlan);
      untagged = new Uint8Array(frame.length - 4);
      untagged.set(frame.subarray(0, 12), 0);
      untagged.set(frame.subarray(16), 12);
    }
    const wasTagged = untagged !== frame;
    // A group address is never a source (802.3 / 802.1D): such a frame is dropped, not learned.
    if ((untagged[6] & 1) === 1) return this.drop(inp, frame, 'group-source', vlan);
    const now = this.clock.now();
    const learned = this.macTable.learn(vlan, untagged, 6, inp.index, now);
    if (stp !== undefined && !stp.forwards(inp.index)) return this.drop(inp, frame, 'stp-blocked', vlan);

    if ((untagged[0] & 1) === 0) {
      const out = this.macTable.lookup(vlan, untagged, 0, now);
      if (out === inp.index) {
        c.filtered++;
        this.emit('filtered', vlan, untagged, inp, [], learned);
        return;
      }
      if (out >= 0) {
        const op = this.ports[out];
        if (op.up && this.carries(op, vlan) && (stp === undefined || stp.forwards(op.index))) {
          if (!this.admit(inp, frame, vlan)) return;
          this.send({ untagged, vlan, wasTagged, out: op, inp, next: 0 });
          this.emit('forwarded', vlan, untagged, inp, [op.port.name], learned);
          return;
        }
      }
    }
    // Flood: broadcast, multicast, unknown (or aged-out) unicast.
    if (!this.admit(inp, frame, vlan)) return;
    c.flooded++;
    this.send({ untagged, vlan, wasTagged, out: undefined, inp, next: 0 });
    if (this.listener !== undefined) {
      const outs = this.ports
        .filter((op) => op !== inp && op.up && this.carries(op, vlan) && (stp === undefined || stp.forwards(op.index)))
        .map((op) => op.port.name);
      const why =
        untagged[0] === 0xff && untagged[1] === 0xff && untagged[2] === 0xff && untagged[3] === 0xff && untagged[4] === 0xff && untagged[5] === 0xff
          ? 'broadcast'
          : (untagged[0] & 1) === 1
            ? 'multicast'
            : 'unknown unicast';
      this.emit('flooded', vlan, untagged, inp, outs, learned, why);
    }
  }

  /** False (and the frame dropped as 'queue-full') when the backlog is full. */
  private admit(inp: PortState, frame: Uint8Array, vlan: number): boolean {
    if (this.backlogSize < MAX_BACKLOG) return true;
    this.drop(inp, frame, 'queue-full', vlan);
    return false;
  }

  /** Transmits what this turn's budget allows, in order; the rest waits in the backlog for later turns. */
  private send(job: Pending): void {
    if (this.backlogSize === 0) this.run(job);
    if (job.next < 0) return;
    this.backlog.push(job);
    this.schedule();
  }

  /** Sends as much of `job` as the budget allows; sets job.next to -1 when it is done. */
  private run(job: Pending): void {
    if (job.out !== undefined) {
      if (this.spent >= TX_PER_TURN) {
        this.schedule();
        return;
      }
      if (job.out.up && (this.stp === undefined || this.stp.forwards(job.out.index))) this.transmit(job.out, job.untagged, job.vlan, job.wasTagged);
      job.next = -1;
      return;
    }
    const ports = this.ports;
    for (let i = job.next; i < ports.length; i++) {
      const op = ports[i];
      if (op === job.inp || !op.up || !this.carries(op, job.vlan) || (this.stp !== undefined && !this.stp.forwards(i))) continue;
      if (this.spent >= TX_PER_TURN) {
        job.next = i;
        this.schedule();
        return;
      }
      this.transmit(op, job.untagged, job.vlan, job.wasTagged);
    }
    job.next = -1;
  }

  /** A new turn after this one: the budget refills and the backlog drains. */
  private schedule(): void {
    if (this.turn !== undefined || this.closed) return;
    this.turn = setImmediate(() => {
      this.turn = undefined;
      this.spent = 0;
      while (this.backlogHead < this.backlog.length) {
        const job = this.backlog[this.backlogHead];
        this.run(job);
        if (job.next >= 0) break;
        this.backlogHead++;
      }
      if (this.backlogHead === this.backlog.length) {
        this.backlog = [];
        this.backlogHead = 0;
        this.wakeIdle();
      } else if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
        this.backlog = this.backlog.slice(this.backlogHead);
        this.backlogHead = 0;
      }
      // Frames sent this turn: the budget refills next turn even when nothing waits.
      if (this.spent > 0) this.schedule();
    });
  }

  private wakeIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Sends an untagged frame of `vlan` out of `op`, tagging it on a trunk unless it is the native VLAN. */
  private transmit(op: PortState, untagged: Uint8Array, vlan: number, wasTagged: boolean): void {
    let out = untagged;
    if (op.trunk && vlan !== op.vlan) {
      out = new Uint8Array(untagged.length + 4);
      out.set(untagged.subarray(0, 12), 0);
      out[12] = ETHERTYPE_VLAN >> 8;
      out[13] = ETHERTYPE_VLAN & 0xff;
      out[14] = (vlan >> 8) & 0x0f;
      out[15] = vlan & 0xff;
      out.set(untagged.subarray(12), 16);
    } else if (wasTagged && out.length < MIN_FRAME) {
      // A frame that lost its tag here is padded back to the Ethernet minimum, as hardware does.
      const padded = new Uint8Array(MIN_FRAME);
      padded.set(out, 0);
      out = padded;
    }
    this.spent++;
    if (this.spent === 1) this.schedule();
    op.counters.txFrames++;
    op.counters.txBytes += out.length;
    op.port.send(out);
  }

  private drop(inp: PortState, frame: Uint8Array, why: SwitchDropReason, vlan: number): void {
    inp.counters.drops[why]++;
    if (this.listener === undefined) return;
    const ok = frame.length >= 12;
    this.listener({
      kind: 'dropped',
      vlan,
      src: ok ? macText(frame, 6) : '?',
      dst: ok ? macText(frame, 0) : '?',
      inPort: inp.port.name,
      outPorts: [],
      learned: 'none',
      why,
    });
  }

  private emit(
    kind: SwitchEvent['kind'],
    vlan: number,
    f: Uint8Array,
    inp: PortState,
    outPorts: string[],
    learned: SwitchEvent['learned'],
    why?: string,
  ): void {
    if (this.listener === undefined) return;
    this.listener({ kind, vlan, src: macText(f, 6), dst: macText(f, 0), inPort: inp.port.name, outPorts, learned, ...(why === undefined ? {} : { why }) });
  }
}
