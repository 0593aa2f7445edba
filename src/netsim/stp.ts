// The Spanning Tree Protocol (IEEE 802.1D) on netlab's switches: the bridges elect a root (lowest
// bridge id: priority, then MAC), each picks the port with the cheapest path to it (root port), each
// link gets one designated port (the bridge closest to the root sends BPDUs there), and every other
// port is blocked (alternate): it neither learns nor forwards, so a loop of switches carries each
// broadcast once instead of forever. A port that becomes root or designated listens for one forward
// delay, learns for another, then forwards (802.1D's timers: hello 2 s, max age 20 s, forward delay
// 15 s). Stored information ages out after max age, so a broken link is routed around.
//
// Simplifications, stated: every bridge sends Configuration BPDUs on its designated ports each hello
// (as 802.1w bridges do) rather than only relaying the root's; topology change notifications are not
// sent; instead a port leaving the forwarding state flushes the MAC entries learned on it, and a new
// root port flushes the table, which is what a topology change does to a bridge's filtering database.

import type { NetClock, TimerHandle } from '../base/timer-clock.ts';
import { type BridgeId, bpduFrame, bridgeIdText, compareBridgeId, type ConfigBpdu, decodeBpduFrame } from '../wire/stp.ts';
import { formatColumns } from './routes.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface StpOptions {
  /** Bridge priority, 0 to 61440 in steps of 4096 (default 32768). */
  priority?: number;
  helloSeconds?: number;
  maxAgeSeconds?: number;
  forwardDelaySeconds?: number;
}

export type StpPortState = 'blocking' | 'listening' | 'learning' | 'forwarding';
export type StpPortRole = 'root' | 'designated' | 'alternate';

/** 802.1D-1998's path cost for 100 Mb/s; the default cost of every port. */
export const DEFAULT_PORT_COST = 19;
export const STP_DEFAULTS = { priority: 32768, helloSeconds: 2, maxAgeSeconds: 20, forwardDelaySeconds: 15 } as const;

/** A priority vector: root, cost to it, the designated bridge and its port (lower is better). */
interface Vector {
  root: BridgeId;
  cost: number;
  bridge: BridgeId;
  port: number;
}

interface Info extends Vector {
  messageAge: number;
  expiresAt: number;
}

interface StpPort {
  readonly index: number;
  readonly id: number;
  readonly cost: number;
  role: StpPortRole;
  state: StpPortState;
  info: Info | undefined;
  timer: TimerHandle | undefined;
  bpdusIn: number;
  bpdusOut: number;
}

function compareVector(a: Vector, b: Vector): number {
  return compareBridgeId(a.root, b.root) || a.cost - b.cost || compareBridgeId(a.bridge, b.bridge) || a.port - b.port;
}

export interface StpEvents {
  /** Sends a frame out of switch port `index` (BPDUs bypass the forwarding state). */
  send(index: number, frame: Uint8Array): void;
  /** A port left the forwarding/learning states, or the root port changed: forget what was learned there. */
  flush(index: number | 'all'): void;
}

export class SpanningTree {
  readonly bridgeId: BridgeId;
  private readonly hello: number;
  private readonly maxAge: number;
  private readonly forwardDelay: number;
  private readonly ports: StpPort[] = [];
  private rootId: BridgeId;
  private rootCost = 0;
  private rootPort: StpPort | undefined;
  private helloTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly mac: Uint8Array,
    options: StpOptions,
    private readonly clock: NetClock,
    private readonly events: StpEvents,
  ) {
    const priority = options.priority ?? STP_DEFAULTS.priority;
    if (!Number.isInteger(priority) || priority < 0 || priority > 61440 || priority % 4096 !== 0)
      throw new NetlabRangeError(`STP bridge priority must be 0 to 61440 in steps of 4096, got ${priority}`);
    this.hello = options.helloSeconds ?? STP_DEFAULTS.helloSeconds;
    this.maxAge = options.maxAgeSeconds ?? STP_DEFAULTS.maxAgeSeconds;
    this.forwardDelay = options.forwardDelaySeconds ?? STP_DEFAULTS.forwardDelaySeconds;
    for (const [n, v] of [
      ['hello', this.hello],
      ['max age', this.maxAge],
      ['forward delay', this.forwardDelay],
    ] as const) {
      if (!(v > 0) || v > 255) throw new NetlabRangeError(`STP ${n} must be above 0 and at most 255 seconds, got ${v}`);
    }
    this.bridgeId = { priority, mac: mac.slice(0, 6) };
    this.rootId = this.bridgeId;
    this.helloTimer = this.clock.setTimer(() => this.tick(), 0);
  }

  /** Adds switch port `index` (cost: its path cost). It starts as designated, listening. */
  addPort(index: number, cost = DEFAULT_PORT_COST): void {
    if (!Number.isInteger(cost) || cost < 1 || cost > 200_000_000) throw new NetlabRangeError(`STP port cost must be 1 to 200000000, got ${cost}`);
    if (index > 0xfff) throw new NetlabRangeError('STP numbers at most 4095 ports per bridge');
    const p: StpPort = {
      index,
      id: 0x8000 | (index + 1),
      cost,
      role: 'designated',
      state: 'blocking',
      info: undefined,
      timer: undefined,
      bpdusIn: 0,
      bpdusOut: 0,
    };
    this.ports[index] = p;
    this.recompute();
  }

  /** Frames received on the port are learned from. */
  learns(index: number): boolean {
    const s = this.ports[index]?.state;
    return s === 'learning' || s === 'forwarding';
  }

  /** Frames are forwarded from and to the port. */
  forwards(index: number): boolean {
    return this.ports[index]?.state === 'forwarding';
  }

  role(index: number): StpPortRole | undefined {
    return this.ports[index]?.role;
  }

  state(index: number): StpPortState | undefined {
    return this.ports[index]?.state;
  }

  get isRoot(): boolean {
    return this.rootPort === undefined;
  }

  get root(): BridgeId {
    return this.rootId;
  }

  /** A BPDU arrived on port `index`. */
  receive(index: number, frame: Uint8Array): void {
    const p = this.ports[index];
    if (p === undefined || this.closed) return;
    const d = decodeBpduFrame(frame);
    if (!d.ok || d.bpdu.type === 'tcn') return;
    p.bpdusIn++;
    const b: ConfigBpdu = d.bpdu;
    if (b.messageAge >= b.maxAge) return;
    const msg: Vector = { root: b.rootId, cost: b.rootPathCost, bridge: b.bridgeId, port: b.portId };
    const mine = this.vectorOf(p);
    const sameSender = p.info !== undefined && compareBridgeId(p.info.bridge, msg.bridge) === 0 && p.info.port === msg.port;
    if (compareVector(msg, mine) < 0 && (p.info === undefined || sameSender || compareVector(msg, p.info) <= 0)) {
      p.info = { ...msg, messageAge: b.messageAge, expiresAt: this.clock.now() + (b.maxAge - b.messageAge) * 1000 };
      const before = this.rootPort;
      this.recompute();
      if (p === this.rootPort && before === this.rootPort) this.sendAll();
    } else if (sameSender) {
      // The designated bridge now offers worse information: take it (it may make us designated).
      p.info = undefined;
      this.recompute();
    } else if (p.role === 'designated') {
      this.send(p);
    }
  }

  /** Ports as a table: role, state, designated root/bridge, BPDUs. */
  format(portName: (index: number) => string): string {
    const rows: string[][] = [['Port', 'Role', 'State', 'Cost', 'Designated bridge', 'BPDUs in/out']];
    for (const p of this.ports) {
      if (p === undefined) continue;
      rows.push([
        portName(p.index),
        p.role,
        p.state,
        String(p.cost),
        p.info === undefined ? bridgeIdText(this.bridgeId) : bridgeIdText(p.info.bridge),
        `${p.bpdusIn}/${p.bpdusOut}`,
      ]);
    }
    const head = `bridge ${bridgeIdText(this.bridgeId)}, root ${bridgeIdText(this.rootId)}${this.isRoot ? ' (this bridge)' : `, cost ${this.rootCost}`}`;
    return `${head}\n${formatColumns(rows)}`;
  }

  close(): void {
    this.closed = true;
    if (this.helloTimer !== undefined) this.clock.clearTimer(this.helloTimer);
    for (const p of this.ports) if (p?.timer !== undefined) this.clock.clearTimer(p.timer);
  }

  private vectorOf(p: StpPort): Vector {
    return { root: this.rootId, cost: this.rootCost, bridge: this.bridgeId, port: p.id };
  }

  /** Elects the root port and each port's role, then moves the states toward them. */
  private recompute(): void {
    let best: { v: Vector; p: StpPort } | undefined;
    for (const p of this.ports) {
      if (p?.info === undefined) continue;
      const v: Vector = { root: p.info.root, cost: p.info.cost + p.cost, bridge: p.info.bridge, port: p.info.port };
      if (compareBridgeId(v.root, this.bridgeId) >= 0) continue;
      if (best === undefined || compareVector(v, best.v) < 0 || (compareVector(v, best.v) === 0 && p.id < best.p.id)) best = { v, p };
    }
    const oldRootPort = this.rootPort;
    if (best === undefined) {
      this.rootId = this.bridgeId;
      this.rootCost = 0;
      this.rootPort = undefined;
    } else {
      this.rootId = best.v.root;
      this.rootCost = best.v.cost;
      this.rootPort = best.p;
    }
    if (oldRootPort !== this.rootPort && oldRootPort !== undefined) this.events.flush('all');
    for (const p of this.ports) {
      if (p === undefined) continue;
      let role: StpPortRole;
      if (p === this.rootPort) role = 'root';
      else if (p.info === undefined || compareVector(this.vectorOf(p), p.info) < 0) role = 'designated';
      else role = 'alternate';
      this.setRole(p, role);
    }
  }

  private setRole(p: StpPort, role: StpPortRole): void {
    const was = p.role;
    p.role = role;
    if (role === 'alternate') {
      if (p.timer !== undefined) this.clock.clearTimer(p.timer);
      p.timer = undefined;
      if (p.state !== 'blocking') {
        p.state = 'blocking';
        this.events.flush(p.index);
      }
      return;
    }
    if (p.state === 'blocking') {
      p.state = 'listening';
      this.arm(p);
    }
    if (role === 'designated' && was !== 'designated') this.send(p);
  }

  /** Listening -> learning -> forwarding, one forward delay each. */
  private arm(p: StpPort): void {
    if (p.timer !== undefined) this.clock.clearTimer(p.timer);
    p.timer = this.clock.setTimer(() => {
      p.timer = undefined;
      if (this.closed || p.role === 'alternate') return;
      if (p.state === 'listening') {
        p.state = 'learning';
        this.arm(p);
      } else if (p.state === 'learning') {
        p.state = 'forwarding';
      }
    }, this.forwardDelay * 1000);
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    let expired = false;
    for (const p of this.ports) {
      if (p?.info !== undefined && p.info.expiresAt <= now) {
        p.info = undefined;
        expired = true;
      }
    }
    if (expired) this.recompute();
    this.sendAll();
    this.helloTimer = this.clock.setTimer(() => this.tick(), this.hello * 1000);
  }

  private sendAll(): void {
    for (const p of this.ports) if (p?.role === 'designated') this.send(p);
  }

  private send(p: StpPort): void {
    if (this.closed) return;
    const rootInfo = this.rootPort?.info;
    const age = rootInfo === undefined ? 0 : Math.min(rootInfo.messageAge + 1, 255);
    if (age >= this.maxAge) return;
    const bpdu: ConfigBpdu = {
      type: 'config',
      flags: 0,
      rootId: this.rootId,
      rootPathCost: this.rootCost,
      bridgeId: this.bridgeId,
      portId: p.id,
      messageAge: age,
      maxAge: this.maxAge,
      helloTime: this.hello,
      forwardDelay: this.forwardDelay,
    };
    p.bpdusOut++;
    this.events.send(p.index, bpduFrame(bpdu, this.mac));
  }
}
