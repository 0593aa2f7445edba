// An Ethernet NIC's own work, in front of a netsim node: on transmit it appends the FCS (CRC-32 over
// the frame, least significant byte first); on receive it checks the FCS and the destination MAC and
// hands the frame (FCS stripped) to the node only when both are right. A frame that fails is dropped
// here, at layer 2, and counted with its reason: the node's IP layer never sees it.
//
// netsim's ports carry frames without an FCS (as a capture on a Linux interface shows them); this NIC
// puts the FCS on the wire, so the lab's links carry frames as a cable does.

import { crc32, fcsBytes, readFcs } from '../wire/index.ts';
import type { FrameHandler, FramePort } from './port.ts';

export interface NicCounters {
  /** Frames that arrived on the wire. */
  received: number;
  /** Dropped: the CRC-32 over the frame does not match its FCS. */
  fcsErrors: number;
  /** Dropped: shorter than 64 bytes with the FCS (a runt). */
  runts: number;
  /** Dropped: the destination is another station's unicast MAC. */
  notForUs: number;
  /** Handed up to the node. */
  delivered: number;
}

/** Why a NIC turned a frame away, or that it took it. */
export type NicVerdict = { accepted: true; frame: Uint8Array } | { accepted: false; reason: 'bad FCS' | 'runt' | 'not for this NIC' };

const MIN_FRAME_WITH_FCS = 64;

export class FcsNic implements FramePort {
  readonly counters: NicCounters = { received: 0, fcsErrors: 0, runts: 0, notForUs: 0, delivered: 0 };
  readonly name: string;
  private readonly mac: Uint8Array;

  /**
   * @param wire the port of the cable (frames on it end with an FCS)
   * @param mac this NIC's address (frames to it, to broadcast and to group addresses are taken)
   * @param beforeFcs what the node hands this NIC is passed through this before the FCS is added (a lab
   *   injects a fault here, as a buggy node would send it)
   */
  constructor(
    private readonly wire: FramePort,
    mac: Uint8Array,
    private readonly beforeFcs: (frame: Uint8Array) => Uint8Array = (f) => f,
  ) {
    if (mac.length !== 6) throw new RangeError(`FcsNic ${wire.name}: a MAC address has 6 bytes, got ${mac.length}`);
    this.name = wire.name;
    this.mac = mac.slice();
  }

  /** The receive path's decision for one frame as it came off the wire. */
  check(frame: Uint8Array): NicVerdict {
    if (frame.length < MIN_FRAME_WITH_FCS) return { accepted: false, reason: 'runt' };
    const end = frame.length - 4;
    if (crc32(frame, 0, end) !== readFcs(frame, end)) return { accepted: false, reason: 'bad FCS' };
    const group = (frame[0] & 1) === 1;
    let mine = true;
    for (let i = 0; i < 6; i++) if (frame[i] !== this.mac[i]) mine = false;
    if (!group && !mine) return { accepted: false, reason: 'not for this NIC' };
    return { accepted: true, frame: frame.slice(0, end) };
  }

  send(frame: Uint8Array): void {
    const f = this.beforeFcs(frame.slice());
    const out = new Uint8Array(f.length + 4);
    out.set(f);
    out.set(fcsBytes(f), f.length);
    this.wire.send(out);
  }

  onFrame(handler: FrameHandler): void {
    this.wire.onFrame((frame) => {
      this.counters.received++;
      const v = this.check(frame);
      if (v.accepted) {
        this.counters.delivered++;
        handler(v.frame);
        return;
      }
      if (v.reason === 'bad FCS') this.counters.fcsErrors++;
      else if (v.reason === 'runt') this.counters.runts++;
      else this.counters.notForUs++;
    });
  }

  close(): Promise<void> {
    return this.wire.close();
  }
}
