// How a netsim lab shows the frames that crossed its links: a one-line summary per frame (in the
// spirit of Wireshark's Info column), a sequence diagram with the simulated time of each frame, and
// the filters that pick frames out of a step's list.

import { describeIcmpError } from '../../src/netsim/index.ts';
import type { SequenceSpec } from '../../src/lab/index.ts';
import { msText, type FrameView } from './frame-view.ts';

const ARP_REQUEST = 1;
const ARP_REPLY = 2;

/** A short summary: `ARP who has 192.168.1.1?`, `echo request seq=1 ttl=64`, `time exceeded from 10.0.0.2`. */
export function summary(v: FrameView): string {
  if (v.arp !== undefined) {
    const a = v.arp;
    if (a.op === ARP_REQUEST) return a.senderIp === a.targetIp ? `ARP announcement ${a.senderIp}` : `ARP who has ${a.targetIp}?`;
    if (a.op === ARP_REPLY) return `ARP ${a.senderIp} is at ${a.senderMac}`;
    return `ARP opcode ${a.op}`;
  }
  if (v.ip === undefined) return `EtherType 0x${v.ethType.toString(16).padStart(4, '0')}`;
  const ttl = `ttl=${v.ip.ttl}`;
  if (v.icmp !== undefined) {
    const c = v.icmp;
    if (c.type === 8) return `echo request seq=${c.seq ?? '?'} ${ttl}`;
    if (c.type === 0) return `echo reply seq=${c.seq ?? '?'} ${ttl}`;
    const name =
      c.type === 11 && c.code === 0
        ? 'time exceeded'
        : describeIcmpError(c.type, c.code)
            .replace(/^Destination /, '')
            .toLowerCase();
    return `${name} from ${v.ip.src}`;
  }
  if (v.udp !== undefined) return `UDP to ${v.udp.dstPort} ${ttl}`;
  return `IPv4 protocol ${v.ip.protocol} ${ttl}`;
}

/** The node a port belongs to: `r1-eth0` -> `r1`. */
export function nodeOf(port: string): string {
  const dash = port.lastIndexOf('-');
  return dash > 0 ? port.slice(0, dash) : port;
}

/**
 * A sequence diagram of frames between nodes, each at the simulated time it was sent (relative to
 * `t0`), labelled with its summary (or `label(v)`).
 */
export function frameSequence(
  participants: readonly string[],
  frames: readonly FrameView[],
  options: { title?: string; t0?: number; label?: (v: FrameView) => string } = {},
): SequenceSpec {
  const t0 = options.t0 ?? (frames.length > 0 ? frames[0].atMs : 0);
  return {
    title: options.title,
    participants,
    messages: frames.map((v) => ({ from: nodeOf(v.from), to: nodeOf(v.to), label: (options.label ?? summary)(v), time: msText(v.atMs - t0) })),
  };
}

/** Frames that are ICMP echo requests with this sequence number. */
export function echoRequests(frames: readonly FrameView[], seq: number): FrameView[] {
  return frames.filter((v) => v.icmp?.type === 8 && v.icmp.seq === seq);
}

/** Frames that are ICMP echo replies with this sequence number. */
export function echoReplies(frames: readonly FrameView[], seq: number): FrameView[] {
  return frames.filter((v) => v.icmp?.type === 0 && v.icmp.seq === seq);
}

/** ARP requests (not announcements) sent from `fromPort`, or from anywhere when omitted. */
export function arpRequests(frames: readonly FrameView[], fromPort?: string): FrameView[] {
  return frames.filter((v) => v.arp?.op === ARP_REQUEST && v.arp.senderIp !== v.arp.targetIp && (fromPort === undefined || v.from === fromPort));
}

/** ARP replies. */
export function arpReplies(frames: readonly FrameView[]): FrameView[] {
  return frames.filter((v) => v.arp?.op === ARP_REPLY);
}
