// The path of a study guide's request out of the LAN: the client's cable to its gateway (a netsim Router),
// and the gateway's WAN cable to the ISP's router (a netsim Host that answers ARP). The lab plays the
// client itself, sending the frames it built byte by byte; the router forwards them as netsim does
// (TTL - 1, RFC 1624 checksum update, new MACs, ARP for the next hop). Both cables carry frames with
// their FCS, each node behind an FcsNic, and every frame that crosses a cable is logged in order.
// Frames move on the event loop (netsim's memoryLink); settle() waits until none is on a cable.

import { macBytes } from '../../src/wire/index.ts';
import { Host } from '../../src/netsim/index.ts';
import { ManualClock } from '../../src/base/index.ts';
import { memoryLink, type FrameHandler, type FramePort } from '../../src/netsim/index.ts';
import { Router } from '../../src/netsim/index.ts';
import { FcsNic } from '../../src/netsim/index.ts';
import { GATEWAY, NEXT_HOP } from './seed.ts';

export interface CableFrame {
  readonly cable: 'lan' | 'wan';
  /** The port that sent it: `client`, `r1-lan`, `r1-wan`, `isp`. */
  readonly from: string;
  /** As on the wire, FCS included. */
  readonly frame: Uint8Array;
}

export interface TwoHopOptions {
  /** Passed each frame the router hands its WAN NIC (before the FCS): a lab's injected router bug. */
  readonly routerWanFault?: (frame: Uint8Array) => Uint8Array;
}

/** Event-loop turns a settle() may take: each turn delivers the frames then on the cables. */
const MAX_TURNS = 200;

export class TwoHopNet {
  /**
   * The nodes' clock stands still: nothing here waits on time (every ARP is answered at once), and an
   * ARP entry must not expire while a guided run pauses between steps (the capture would change).
   */
  readonly clock = new ManualClock(0);
  readonly router = new Router({ name: 'r1', clock: this.clock });
  readonly isp = new Host({ name: 'isp', clock: this.clock });
  readonly log: CableFrame[] = [];
  readonly routerLan: FcsNic;
  readonly routerWan: FcsNic;
  readonly ispNic: FcsNic;
  private readonly client: FramePort;
  private readonly toClient: Uint8Array[] = [];
  private inFlight = 0;

  constructor(options: TwoHopOptions = {}) {
    const [clientEnd, routerLanEnd] = memoryLink('client', 'r1-lan');
    const [routerWanEnd, ispEnd] = memoryLink('r1-wan', 'isp');
    this.client = this.logged(clientEnd, 'lan');
    this.client.onFrame((f) => this.toClient.push(f));
    this.routerLan = new FcsNic(this.logged(routerLanEnd, 'lan'), macBytes(GATEWAY.lanMac));
    this.routerWan = new FcsNic(this.logged(routerWanEnd, 'wan'), macBytes(GATEWAY.wanMac), options.routerWanFault);
    this.ispNic = new FcsNic(this.logged(ispEnd, 'wan'), macBytes(NEXT_HOP.mac));
    this.router.addInterface({ name: 'lan', port: this.routerLan, mac: GATEWAY.lanMac, address: `${GATEWAY.ip}/24`, announce: false });
    this.router.addInterface({ name: 'wan', port: this.routerWan, mac: GATEWAY.wanMac, address: `${GATEWAY.wanIp}/30`, announce: false });
    this.router.addRoute('default', NEXT_HOP.ip);
    this.isp.addInterface({ name: 'eth0', port: this.ispNic, mac: NEXT_HOP.mac, address: `${NEXT_HOP.ip}/30`, announce: false });
  }

  /** A cable end that logs what it sends and counts what is still on the cable. */
  private logged(port: FramePort, cable: 'lan' | 'wan'): FramePort {
    return {
      name: port.name,
      send: (frame) => {
        this.log.push({ cable, from: port.name, frame: frame.slice() });
        this.inFlight++;
        port.send(frame);
      },
      onFrame: (handler: FrameHandler) =>
        port.onFrame((frame) => {
          this.inFlight--;
          handler(frame);
        }),
      close: () => port.close(),
    };
  }

  /** The client puts a frame (FCS included) on its cable to the router. */
  clientSends(frame: Uint8Array): void {
    if (frame.length < 64) throw new RangeError(`the client's frame has ${frame.length} bytes; an Ethernet frame with its FCS has at least 64`);
    this.client.send(frame);
  }

  /** Frames that reached the client's end of the cable (FCS included), oldest first; reading empties the list. */
  takeClientFrames(): Uint8Array[] {
    return this.toClient.splice(0);
  }

  /** Runs the event loop until no frame is on a cable; false when frames were still moving after MAX_TURNS. */
  async settle(): Promise<boolean> {
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.inFlight === 0) return true;
    }
    return false;
  }

  /** What settle() found, for a checkpoint: `quiet (6 frames so far)` or `3 frames still on the cables`. */
  quietText(): string {
    return this.inFlight === 0 ? `quiet (${this.log.length} frames so far)` : `${this.inFlight} frames still on the cables`;
  }

  async close(): Promise<void> {
    await this.router.close();
    await this.isp.close();
    await this.client.close();
  }
}
