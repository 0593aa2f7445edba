// What a lab's checkpoints read from a frame that crossed a link: netlab's decoder takes it apart and
// this flattens the layers a netsim lab talks about (Ethernet, ARP, IPv4, ICMP with the datagram it
// quotes, UDP) into plain text and numbers, so a checkpoint can say `eth.src` and `ip.ttl` the way a
// Wireshark filter does. Bad bytes never throw: a layer that is missing is simply undefined.

import { decode, type Arp, type Ethernet, type Icmp, type Ipv4, type Udp } from '../../src/wire/index.ts';
import { macText } from '../../src/netsim/index.ts';
import type { WireFrame } from '../../src/netsim/index.ts';

export interface IpView {
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly id: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly checksumStatus: string;
}

export interface FrameView {
  readonly index: number;
  readonly link: string;
  readonly from: string;
  readonly to: string;
  readonly atMs: number;
  readonly length: number;
  readonly ethSrc: string;
  readonly ethDst: string;
  readonly ethType: number;
  readonly arp?: { readonly op: number; readonly senderMac: string; readonly senderIp: string; readonly targetMac: string; readonly targetIp: string };
  readonly ip?: IpView;
  readonly icmp?: { readonly type: number; readonly code: number; readonly id?: number; readonly seq?: number; readonly checksumStatus: string };
  /** The datagram an ICMP error quotes (its header, and its UDP ports when quoted). */
  readonly quoted?: IpView & { readonly srcPort?: number; readonly dstPort?: number };
  /** The outer UDP header (not the one quoted by an ICMP error). */
  readonly udp?: { readonly srcPort: number; readonly dstPort: number };
}

const dotted = (b: Uint8Array): string => [...b].join('.');

function ipView(v: Ipv4): IpView {
  return { src: dotted(v.src), dst: dotted(v.dst), ttl: v.ttl, id: v.id, protocol: v.protocol, checksum: v.checksum, checksumStatus: v.checksumStatus };
}

/** Decodes one frame that crossed a link. */
export function viewFrame(w: WireFrame): FrameView {
  const layers = decode(w.frame, 1).layers;
  const base = { index: w.index, link: w.link, from: w.from, to: w.to, atMs: w.atMs, length: w.frame.length };
  const ethLayer = layers.find((l) => l.kind === 'ethernet');
  if (ethLayer === undefined) return { ...base, ethSrc: '', ethDst: '', ethType: -1 };
  const eth = ethLayer.value as Ethernet;
  let arp: FrameView['arp'];
  let ip: IpView | undefined;
  let icmp: FrameView['icmp'];
  let quoted: FrameView['quoted'];
  let udp: FrameView['udp'];
  for (const l of layers) {
    if (l.kind === 'arp') {
      const a = l.value as Arp;
      arp = { op: a.opcode, senderMac: macText(a.senderHw), senderIp: dotted(a.senderProto), targetMac: macText(a.targetHw), targetIp: dotted(a.targetProto) };
    } else if (l.kind === 'ipv4') {
      if (ip === undefined) ip = ipView(l.value as Ipv4);
      else if (icmp !== undefined && quoted === undefined) quoted = ipView(l.value as Ipv4);
    } else if (l.kind === 'icmp' && icmp === undefined) {
      const c = l.value as Icmp;
      icmp = { type: c.type, code: c.code, id: c.id, seq: c.seq, checksumStatus: c.checksumStatus };
    } else if (l.kind === 'udp') {
      const u = l.value as Udp;
      if (quoted !== undefined) quoted = { ...quoted, srcPort: u.srcPort, dstPort: u.dstPort };
      else if (udp === undefined) udp = { srcPort: u.srcPort, dstPort: u.dstPort };
    }
  }
  return { ...base, ethSrc: macText(eth.src), ethDst: macText(eth.dst), ethType: eth.type, arp, ip, icmp, quoted, udp };
}

/** Decodes every frame. */
export function viewFrames(frames: readonly WireFrame[]): FrameView[] {
  return frames.map(viewFrame);
}

/** `12.250 ms` */
export function msText(ms: number): string {
  return `${ms.toFixed(3)} ms`;
}
