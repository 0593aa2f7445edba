// What the nat-behaviours lab reads from the frames that crossed its links: the IPv4/UDP endpoints and
// the text payload of each datagram (its probes, knocks, registrations and punches are ASCII), and the
// capture writer that replays a network's frames into one capture of the step.

import type { CaptureOptions, StepContext } from '../../src/lab/index.ts';
import type { LabNet, WireFrame } from '../../src/netsim/index.ts';
import { tlsOutput } from '../tls/output.ts';

export interface UdpView {
  readonly w: WireFrame;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly text: string;
  /** The payload starts like a STUN message (the magic cookie at bytes 4 to 7). */
  readonly stun: boolean;
}

const dotted = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** The UDP datagram a frame carries (IPv4, unfragmented), or undefined. */
export function udpOf(w: WireFrame): UdpView | undefined {
  const f = w.frame;
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 17) return undefined;
  const l4 = 14 + (f[14] & 0x0f) * 4;
  if (f.length < l4 + 8) return undefined;
  const len = (f[l4 + 4] << 8) | f[l4 + 5];
  return {
    w,
    src: dotted(f, 26),
    dst: dotted(f, 30),
    sport: (f[l4] << 8) | f[l4 + 1],
    dport: (f[l4 + 2] << 8) | f[l4 + 3],
    text: new TextDecoder('latin1').decode(f.subarray(l4 + 8, Math.min(f.length, l4 + len))),
    stun: f.length >= l4 + 28 && f[l4 + 12] === 0x21 && f[l4 + 13] === 0x12 && f[l4 + 14] === 0xa4 && f[l4 + 15] === 0x42,
  };
}

/** Every UDP datagram among the frames. */
export function udpFrames(frames: readonly WireFrame[]): UdpView[] {
  return frames.map(udpOf).filter((v): v is UdpView => v !== undefined);
}

/** The lab's state part that collects captures (for the closing Wireshark step). */
export interface CaptureState {
  captures: string[];
}

/** Writes the frames of the network since `mark` into a capture of this step; its path. */
export function replay<S extends CaptureState>(ctx: StepContext<S>, net: LabNet, file: string, mark: number, options: CaptureOptions): string {
  const out = tlsOutput(ctx);
  const cap = out.capture(file, options);
  for (const w of net.since(mark)) cap.write(w.frame, { comment: `${w.link}: ${w.from} -> ${w.to}`, time: net.timestamp(w.atMs) });
  const path = out.pathOf(file);
  ctx.state.captures.push(path);
  return path;
}
