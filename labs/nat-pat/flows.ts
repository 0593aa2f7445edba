// What the NAT labs read and do on the home network: each frame that crossed a link flattened to the
// fields a NAT changes (MACs, addresses, TCP/UDP ports, flags, ICMP type), a TCP server that answers
// and remembers who it saw, and a client flow that says hello and waits for the answer.

import { decode, type Ethernet, type Icmp, type Ipv4, type Tcp, type Udp } from '../../src/wire/index.ts';
import { macText, type Host, type WireFrame } from '../../src/netsim/index.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';

export interface Seg {
  readonly index: number;
  readonly link: string;
  readonly atMs: number;
  readonly ethSrc: string;
  readonly ethDst: string;
  readonly src: string;
  readonly dst: string;
  /** 'tcp', 'udp', 'icmp' or '' (ARP and the rest). */
  readonly proto: string;
  readonly sport: number;
  readonly dport: number;
  /** TCP flags as tcpdump prints them: S, S., ., P., F., R. */
  readonly flags: string;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly ipChecksum: string;
  readonly l4Checksum: string;
}

const dotted = (b: Uint8Array): string => [...b].join('.');

function flagText(f: Tcp['flags']): string {
  const s = `${f.syn ? 'S' : ''}${f.fin ? 'F' : ''}${f.rst ? 'R' : ''}${f.psh ? 'P' : ''}`;
  return f.ack ? `${s}.` : s;
}

/** One frame as a NAT sees it. */
export function seg(w: WireFrame): Seg {
  const layers = decode(w.frame, 1).layers;
  const eth = layers.find((l) => l.kind === 'ethernet')?.value as Ethernet | undefined;
  const ip = layers.find((l) => l.kind === 'ipv4')?.value as Ipv4 | undefined;
  const tcp = layers.find((l) => l.kind === 'tcp')?.value as Tcp | undefined;
  const udp = layers.find((l) => l.kind === 'udp')?.value as Udp | undefined;
  const icmp = layers.find((l) => l.kind === 'icmp')?.value as Icmp | undefined;
  const l4 = icmp ?? tcp ?? udp;
  return {
    index: w.index,
    link: w.link,
    atMs: w.atMs,
    ethSrc: eth === undefined ? '' : macText(eth.src),
    ethDst: eth === undefined ? '' : macText(eth.dst),
    src: ip === undefined ? '' : dotted(ip.src),
    dst: ip === undefined ? '' : dotted(ip.dst),
    proto: icmp !== undefined ? 'icmp' : tcp !== undefined ? 'tcp' : udp !== undefined ? 'udp' : '',
    sport: icmp !== undefined ? -1 : (tcp?.srcPort ?? udp?.srcPort ?? -1),
    dport: icmp !== undefined ? -1 : (tcp?.dstPort ?? udp?.dstPort ?? -1),
    flags: tcp === undefined || icmp !== undefined ? '' : flagText(tcp.flags),
    icmpType: icmp?.type ?? -1,
    icmpCode: icmp?.code ?? -1,
    ipChecksum: ip?.checksumStatus ?? '',
    l4Checksum: l4?.checksumStatus ?? '',
  };
}

export const segs = (frames: readonly WireFrame[]): Seg[] => frames.map(seg);

/** `192.168.1.2:1234` */
export const ep = (a: string, p: number): string => `${a}:${p}`;

/** A TCP server on `h` that answers each request with `reply`, closes when the client does, and records each client's address:port. */
export function serve(h: Host, port: number, reply: string, seen: string[]): void {
  h.tcp.listen(port, (s: VirtualTcpSocket) => {
    seen.push(ep(s.remoteAddress, s.remotePort));
    s.on('data', () => s.write(reply));
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
}

export interface Flow {
  readonly socket: VirtualTcpSocket;
  /** Resolves with the first answer, or with `error CODE` when the connection fails. */
  readonly answer: Promise<string>;
}

/** Opens a TCP connection from `localPort`, sends `hello`, and waits for the answer. */
export function flow(h: Host, host: string, port: number, localPort: number, hello = 'hello'): Flow {
  const socket = h.tcp.connect({ host, port, localPort });
  const answer = new Promise<string>((resolve) => {
    socket.on('connect', () => socket.write(hello));
    socket.on('data', (b: Uint8Array) => resolve(Buffer.from(b).toString()));
    socket.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}`));
  });
  return { socket, answer };
}

/** Sends `text` on an open connection and resolves with the next bytes that come back. */
export function ask(socket: VirtualTcpSocket, text: string): Promise<string> {
  return new Promise<string>((resolve) => {
    socket.once('data', (b: Uint8Array) => resolve(Buffer.from(b).toString()));
    socket.write(text);
  });
}
