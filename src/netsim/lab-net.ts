// A lab's virtual network: netsim's in-memory links (memoryLink) with a fixed one-way delay, every
// link tapped, all of it on an EventClock. Each frame that crosses a link is kept (WireFrame: link,
// sending and receiving port, simulated time, bytes) for the lab's checkpoints and written into the
// lab capture the current step records into, with the link named in the frame's comment
// ("lan1: h1-eth0 -> r1-eth0"), so one file per step holds the whole story in Wireshark's order.
//
//   const net = new LabNet({ start: ctx.clock.now() });
//   const [a, b] = net.link('lan1', 'h1-eth0', 'r1-eth0');
//   net.record(ctx.capture('step', { filter: 'arp' }));
//   const result = await net.run(h1.ping('10.0.2.20', { count: 1 }));
//
// Time moves only inside run()/runUntil(): when nothing is in flight, the clock jumps to the next timer
// (a frame's arrival, an ARP retry, a ping deadline), so captures and printed times are the same on
// every run and a 3-second ARP timeout takes no real time.

import { memoryLink, type FramePort, type FrameHandler } from './port.ts';
import type { Timestamp } from '../base/clock.ts';
import { EventClock } from './event-clock.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

/** Where recorded frames go: a lab's capture (or any writer of timestamped, commented frames). */
export interface FrameSink {
  write(frame: Uint8Array, options?: { comment?: string; time?: { sec: number; nsec: number } }): void;
}

/** One frame as it crossed a link. */
export interface WireFrame {
  /** Position among every frame of the network (0-based). */
  readonly index: number;
  readonly link: string;
  /** The port that sent it and the port at the other end. */
  readonly from: string;
  readonly to: string;
  /** Simulated time it was sent, in ms since the network was built. */
  readonly atMs: number;
  readonly frame: Uint8Array;
}

/**
 * Fault injection on a link: gets a copy of each frame sent on `link`, returns the frame that travels
 * (changed or not), or undefined to lose it.
 */
export type LinkFault = (link: string, frame: Uint8Array) => Uint8Array | undefined;

export interface LabNetOptions {
  /** The capture time of simulated time 0 (read ctx.clock.now() once when the network is built). */
  readonly start: Timestamp;
  /** One-way delay of every link in ms (default 0.25: about 50 km of fibre). */
  readonly delayMs?: number;
  readonly fault?: LinkFault;
  /** What the network is called where it is shown (the lab's web page); default `net`. */
  readonly name?: string;
}

interface Closable {
  close(): Promise<void>;
}

/** A link as built: its name and the ports at each end. */
export interface LabNetLink {
  readonly name: string;
  readonly a: string;
  readonly b: string;
}

/**
 * Told of every LabNet built in this process (the lab's web page draws them: src/view/topology.ts).
 * Add one with `watchLabNets`; nets built before it are not reported.
 */
export type LabNetWatcher = (net: LabNet, name: string) => void;
const netWatchers = new Set<LabNetWatcher>();

/** Calls `fn` for each LabNet built from now on; returns the function that stops it. */
export function watchLabNets(fn: LabNetWatcher): () => void {
  netWatchers.add(fn);
  return () => netWatchers.delete(fn);
}

/** Simulated milliseconds a run may take before it is called stuck. */
const DEFAULT_LIMIT_MS = 120_000;
/** Event-loop turns one quiet() may take (each delivers every frame then in flight). */
const MAX_TURNS = 100_000;

export class LabNet {
  readonly clock = new EventClock();
  readonly frames: WireFrame[] = [];
  readonly delayMs: number;
  /** The links in the order they were built. */
  readonly linkList: LabNetLink[] = [];
  private readonly start: bigint;
  private readonly frameListeners = new Set<(f: WireFrame) => void>();
  private readonly fault: LinkFault | undefined;
  private readonly links = new Set<string>();
  private readonly nodes: Closable[] = [];
  private capture: FrameSink | undefined;
  /** Frames handed to a memoryLink and not yet delivered. */
  private inFlight = 0;
  private closed = false;

  constructor(options: LabNetOptions) {
    this.delayMs = options.delayMs ?? 0.25;
    if (!(this.delayMs >= 0) || !Number.isFinite(this.delayMs)) throw new NetlabRangeError(`LabNet: delayMs must be 0 or more, got ${options.delayMs}`);
    const { sec, nsec } = options.start;
    this.start = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
    this.fault = options.fault;
    for (const w of netWatchers) w(this, options.name ?? 'net');
  }

  /** The hosts, routers and switches kept with node(), in order. */
  get nodeList(): readonly object[] {
    return this.nodes;
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `fn` for each frame sent on a link from now on; returns the function that stops it. */
  onFrame(fn: (f: WireFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  /** A link between two ports named `a` and `b` (`h1-eth0`, `r1-eth0`), tapped. */
  link(name: string, a: string, b: string): [FramePort, FramePort] {
    if (this.closed) throw new NetlabError('ERR_STATE', `LabNet: link ${name} added after the network was closed`);
    if (this.links.has(name)) throw new NetlabRangeError(`LabNet: there is already a link named ${name}`);
    this.links.add(name);
    this.linkList.push({ name, a, b });
    const [pa, pb] = memoryLink(a, b);
    const listening: [boolean, boolean] = [false, false];
    const wrap = (side: 0 | 1, inner: FramePort, peer: string): FramePort => ({
      name: inner.name,
      send: (frame) => {
        if (this.closed) return;
        const out = this.fault === undefined ? frame.slice() : this.fault(name, frame.slice());
        if (out === undefined) return;
        this.note(name, inner.name, peer, out);
        this.clock.setTimer(() => {
          if (this.closed) return;
          // Counted only when the other end listens: memoryLink drops frames nobody would receive.
          if (listening[side === 0 ? 1 : 0]) this.inFlight++;
          inner.send(out);
        }, this.delayMs);
      },
      onFrame: (handler: FrameHandler) => {
        listening[side] = true;
        inner.onFrame((f) => {
          this.inFlight--;
          handler(f);
        });
      },
      close: () => inner.close(),
    });
    return [wrap(0, pa, b), wrap(1, pb, a)];
  }

  /** From now on, frames are also written into `capture` (until stopRecording or another record). */
  record(capture: FrameSink): void {
    this.capture = capture;
  }

  stopRecording(): void {
    this.capture = undefined;
  }

  /** Keeps a host or router so that close() closes it. */
  node<T extends Closable>(n: T): T {
    this.nodes.push(n);
    return n;
  }

  /** The capture timestamp of a simulated time. */
  timestamp(atMs: number): Timestamp {
    const ns = this.start + BigInt(Math.round(atMs * 1e6));
    return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  }

  /** Frames sent since `mark` (a value of frames.length taken earlier). */
  since(mark: number): WireFrame[] {
    return this.frames.slice(mark);
  }

  /** Runs the network until `operation` settles (simulated time; at most `limitMs` of it). */
  async run<T>(operation: Promise<T>, limitMs = DEFAULT_LIMIT_MS): Promise<T> {
    let settled = false;
    operation.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.drive(() => settled, limitMs, 'the operation has not finished');
    return operation;
  }

  /** Runs the network until `condition` holds (checked whenever nothing is in flight). */
  async runUntil(condition: () => boolean, limitMs = DEFAULT_LIMIT_MS, what = 'the condition does not hold'): Promise<void> {
    await this.drive(condition, limitMs, what);
  }

  /** Lets `ms` of simulated time pass, delivering every frame and running every timer due meanwhile. */
  async wait(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new NetlabRangeError(`LabNet.wait: ms must be 0 or more, got ${ms}`);
    const end = this.clock.now() + ms;
    for (;;) {
      await this.settle();
      const next = this.clock.nextDue();
      if (next === undefined || next > end) break;
      this.clock.advance(next - this.clock.now());
    }
    this.clock.advance(end - this.clock.now());
    await this.settle();
  }

  /** Delivers what is in flight and lets everything that follows from it happen, without moving time. */
  async settle(): Promise<void> {
    for (let turns = 0; ; turns++) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.inFlight <= 0) return;
      if (turns >= MAX_TURNS) throw new NetlabError('ERR_TIMEOUT', `LabNet: frames still in flight after ${MAX_TURNS} event-loop turns`);
    }
  }

  /** Stops every link and closes the nodes (their interfaces close their ports). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.capture = undefined;
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  private async drive(done: () => boolean, limitMs: number, what: string): Promise<void> {
    const end = this.clock.now() + limitMs;
    for (;;) {
      await this.settle();
      if (done()) return;
      const next = this.clock.nextDue();
      if (next === undefined) throw new NetlabError('ERR_TIMEOUT', `LabNet: nothing is left to happen at ${this.clock.now()} ms and ${what}`);
      if (next > end) throw new NetlabError('ERR_TIMEOUT', `LabNet: ${what} after ${limitMs} ms of simulated time`);
      this.clock.advance(next - this.clock.now());
    }
  }

  private note(link: string, from: string, to: string, frame: Uint8Array): void {
    const atMs = this.clock.now();
    const f: WireFrame = { index: this.frames.length, link, from, to, atMs, frame };
    this.frames.push(f);
    for (const fn of this.frameListeners) fn(f);
    this.capture?.write(frame, { comment: `${link}: ${from} -> ${to}`, time: this.timestamp(atMs) });
  }
}
