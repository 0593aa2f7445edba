// One end of an Ethernet link: what a host NIC, a switch port and a router interface plug into.
// A VXLAN link (vxlan-link.ts) and the in-memory pair below both give FramePorts, so the switch,
// hosts and router never know which one carries their frames.

import { NetlabRangeError } from '../base/errors.ts';

/** Called with each Ethernet frame (no FCS) that arrives on a port. */
export type FrameHandler = (frame: Uint8Array) => void;

export interface FramePort {
  /** Names the port in tables and capture interface names: `h1-eth0`, `sw1-p2`. */
  readonly name: string;
  /** Sends one Ethernet frame (no FCS) out of this port. Never throws; a closed port drops. */
  send(frame: Uint8Array): void;
  /** Sets the handler for frames that arrive on this port (one handler; a later call replaces it). */
  onFrame(handler: FrameHandler): void;
  /** Stops delivery both ways and frees what the port holds (sockets, timers). */
  close(): Promise<void>;
}

/**
 * Two ports joined by a wire in memory: what one sends, the other receives, asynchronously
 * (queued as a microtask-free macrotask, like a socket), so that handlers never re-enter a send.
 */
export function memoryLink(nameA: string, nameB: string): [FramePort, FramePort] {
  const handlers: [FrameHandler | undefined, FrameHandler | undefined] = [undefined, undefined];
  let open = true;
  const make = (self: 0 | 1, name: string): FramePort => ({
    name,
    send(frame) {
      if (!open) return;
      const copy = frame.slice();
      setImmediate(() => {
        const h = handlers[self === 0 ? 1 : 0];
        if (open && h) h(copy);
      });
    },
    onFrame(handler) {
      handlers[self] = handler;
    },
    async close() {
      open = false;
    },
  });
  return [make(0, nameA), make(1, nameB)];
}

/**
 * Two ports joined by a wire with a propagation delay on `clock`: a frame sent at t arrives at t +
 * delayMs, in order. With a ManualClock the whole network then moves only with `clock.advance()`,
 * so a test or a lab controls time exactly (round trips of 2 × delayMs plus nothing else).
 */
export function delayLink(nameA: string, nameB: string, clock: { setTimer(fn: () => void, ms: number): unknown }, delayMs: number): [FramePort, FramePort] {
  if (!(delayMs >= 0 && Number.isFinite(delayMs))) throw new NetlabRangeError(`delayLink: delayMs must be 0 or more, got ${delayMs}`);
  const handlers: [FrameHandler | undefined, FrameHandler | undefined] = [undefined, undefined];
  let open = true;
  const make = (self: 0 | 1, name: string): FramePort => ({
    name,
    send(frame) {
      if (!open) return;
      const copy = frame.slice();
      clock.setTimer(() => {
        const h = handlers[self === 0 ? 1 : 0];
        if (open && h) h(copy);
      }, delayMs);
    },
    onFrame(handler) {
      handlers[self] = handler;
    },
    async close() {
      open = false;
    },
  });
  return [make(0, nameA), make(1, nameB)];
}
