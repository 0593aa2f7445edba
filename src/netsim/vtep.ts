// A VXLAN tunnel endpoint (RFC 7348) on a `dgram` socket: each FramePort it gives carries Ethernet
// frames as UDP datagrams with the 8-byte VXLAN header (I flag, 24-bit VNI) to one remote VTEP, and
// receives the frames that remote sends with that VNI. One socket serves any number of ports (one per
// VNI and remote), the way one Linux VTEP serves many segments.
//
//   const vtep = await Vtep.open({ address: '127.0.0.1' });           // port 0: the kernel picks
//   const port = vtep.port({ name: 'h1-eth0', vni: 42, remote: { address: '127.0.0.1', port: 4789 } });
//
// What arrives and does not fit is counted by reason and dropped, never thrown: a datagram shorter than
// a VXLAN header and an Ethernet header, the I flag clear (RFC 7348 says the VNI is then not valid), a
// VNI no port uses, or a source that is not the port's remote. Reserved bits are ignored on receipt, as
// the RFC asks. A Linux vxlan device sends from a source port chosen by a flow hash (not its listening
// port), so a remote may be matched by address alone (`anySourcePort`).

import { createSocket, type Socket } from 'node:dgram';
import { VXLAN_HEADER_LEN } from '../wire/index.ts';
import type { FrameHandler, FramePort } from './port.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

/** IANA's VXLAN port (Linux's default dstport is 8472, the pre-standard one). */
export const VXLAN_PORT = 4789;
const ETH_HEADER_LEN = 14;

export interface VtepRemote {
  address: string;
  port: number;
  /** Accept datagrams from any source port of `address` (a Linux vxlan device's flow-hashed ports). */
  anySourcePort?: boolean;
}

export interface VtepPortOptions {
  name: string;
  /** 0 to 16777215. */
  vni: number;
  remote: VtepRemote;
}

export type VtepDropReason = 'short' | 'no-vni-flag' | 'unknown-vni' | 'wrong-source';

export interface VtepCounters {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Frames a port sent after the socket failed (for example the remote's port unreachable). */
  sendErrors: number;
  drops: Record<VtepDropReason, number>;
}

interface PortState {
  readonly name: string;
  readonly vni: number;
  readonly remote: VtepRemote;
  handler: FrameHandler | undefined;
  open: boolean;
  readonly header: Uint8Array;
}

export class Vtep {
  readonly counters: VtepCounters = {
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    sendErrors: 0,
    drops: { short: 0, 'no-vni-flag': 0, 'unknown-vni': 0, 'wrong-source': 0 },
  };
  private readonly byVni = new Map<number, PortState[]>();
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly localAddress: string,
    readonly localPort: number,
  ) {
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    // An ICMP port unreachable from a remote that went away surfaces as an error on the next send.
    socket.on('error', () => this.counters.sendErrors++);
  }

  /** Binds a VTEP on `address` (default 127.0.0.1) and `port` (default 0: the kernel picks). */
  static async open(options: { address?: string; port?: number } = {}): Promise<Vtep> {
    const address = options.address ?? '127.0.0.1';
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new Vtep(socket, address, socket.address().port);
  }

  /** `address:port` of the socket. */
  get endpoint(): string {
    return `${this.localAddress}:${this.localPort}`;
  }

  /** A FramePort for the segment `vni` shared with `remote`. */
  port(options: VtepPortOptions): FramePort {
    if (this.closed) throw new NetlabError('ERR_STATE', `VTEP ${this.endpoint}: port ${options.name} asked after close`);
    if (!Number.isInteger(options.vni) || options.vni < 0 || options.vni > 0xffffff)
      throw new NetlabRangeError(`VTEP port ${options.name}: a VNI is 0 to 16777215, got ${options.vni}`);
    const r = options.remote;
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535)
      throw new NetlabRangeError(`VTEP port ${options.name}: remote port must be 1 to 65535, got ${r.port}`);
    const list = this.byVni.get(options.vni) ?? [];
    if (
      list.some((p) => p.open && p.remote.address === r.address && (p.remote.port === r.port || p.remote.anySourcePort === true || r.anySourcePort === true))
    ) {
      throw new NetlabRangeError(`VTEP ${this.endpoint}: VNI ${options.vni} to ${r.address}:${r.port} is taken already`);
    }
    const header = new Uint8Array(VXLAN_HEADER_LEN);
    header[0] = 0x08; // I flag
    header[4] = (options.vni >>> 16) & 0xff;
    header[5] = (options.vni >>> 8) & 0xff;
    header[6] = options.vni & 0xff;
    const state: PortState = { name: options.name, vni: options.vni, remote: { ...r }, handler: undefined, open: true, header };
    list.push(state);
    this.byVni.set(options.vni, list);
    return {
      name: options.name,
      send: (frame) => this.send(state, frame),
      onFrame: (handler) => {
        state.handler = handler;
      },
      close: async () => {
        state.open = false;
        const l = this.byVni.get(state.vni)?.filter((p) => p !== state) ?? [];
        if (l.length === 0) this.byVni.delete(state.vni);
        else this.byVni.set(state.vni, l);
      },
    };
  }

  /** Ports still open. */
  get portCount(): number {
    let n = 0;
    for (const l of this.byVni.values()) n += l.length;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.byVni.values()) for (const p of l) p.open = false;
    this.byVni.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private send(p: PortState, frame: Uint8Array): void {
    if (!p.open || this.closed) return;
    const out = Buffer.allocUnsafe(VXLAN_HEADER_LEN + frame.length);
    out.set(p.header, 0);
    out.set(frame, VXLAN_HEADER_LEN);
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    this.socket.send(out, p.remote.port, p.remote.address);
  }

  private receive(msg: Buffer, address: string, port: number): void {
    if (this.closed) return;
    const c = this.counters;
    if (msg.length < VXLAN_HEADER_LEN + ETH_HEADER_LEN) {
      c.drops.short++;
      return;
    }
    if ((msg[0] & 0x08) === 0) {
      c.drops['no-vni-flag']++;
      return;
    }
    const vni = (msg[4] << 16) | (msg[5] << 8) | msg[6];
    const list = this.byVni.get(vni);
    if (list === undefined) {
      c.drops['unknown-vni']++;
      return;
    }
    let target: PortState | undefined;
    for (const p of list) {
      if (p.remote.address === address && (p.remote.anySourcePort === true || p.remote.port === port)) {
        target = p;
        break;
      }
    }
    if (target === undefined) {
      c.drops['wrong-source']++;
      return;
    }
    c.framesIn++;
    c.bytesIn += msg.length - VXLAN_HEADER_LEN;
    // Node gives every datagram its own buffer, so a view of it is the frame's to keep.
    target.handler?.(msg.subarray(VXLAN_HEADER_LEN));
  }
}
