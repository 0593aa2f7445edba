// What the encapsulation lab's steps share, and how a run can be given a fault (its test does, to show
// that the checkpoints catch a router that forgets its part).

import type { TwoHopNet } from './two-hop-net.ts';

/** A capture tshark re-reads at the end: the fields per frame it must print. */
export interface TsharkConfirm {
  readonly path: string;
  readonly fields: readonly string[];
  readonly expected: readonly (readonly string[])[];
}

export interface EncapsulationState {
  /** The server's initial sequence number (ctx.random: fixed in fixture runs). */
  serverIsn: number;
  /** The GET as the client's NIC sends it (Ethernet with FCS, padded). */
  get?: Uint8Array;
  /** The client's cable, the gateway router and the ISP's router (closed at the end of the lab). */
  net?: TwoHopNet;
  confirm: TsharkConfirm[];
}

export interface EncapsulationOptions {
  /**
   * Changes each frame the gateway router hands its WAN NIC (before the FCS is added), as a router
   * with a bug would send it. Default: none. The lab's test uses it; the catalogue's lab has none.
   */
  readonly routerWanFault?: (frame: Uint8Array) => Uint8Array;
}
