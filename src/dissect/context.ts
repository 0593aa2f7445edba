// What a protocol mapper sees while it turns a decoded layer into Wireshark-named fields.

import type { CapturedPacket } from '../capture/types.ts';
import type { DecodedLayer } from '../wire/layer.ts';
import type { ProtoNode } from './field.ts';

/**
 * State that lives across the frames of one capture: conversation tables for tcp.stream and
 * relative sequence numbers, first/previous timestamps. Each protocol keeps its own slot.
 */
export class DissectState {
  private readonly slots = new Map<string, unknown>();
  /** Returns the protocol's slot, creating it with `init` the first time. */
  slot<T>(key: string, init: () => T): T {
    let v = this.slots.get(key) as T | undefined;
    if (v === undefined) {
      v = init();
      this.slots.set(key, v);
    }
    return v;
  }
}

export interface DissectContext {
  frame: Uint8Array;
  packet: CapturedPacket;
  /** All decoded layers of the frame, and the index of the one being mapped. */
  layers: readonly DecodedLayer[];
  index: number;
  state: DissectState;
  /** True inside the datagram embedded in an ICMP/ICMPv6 error: columns are not overwritten there. */
  inIcmpError: boolean;
  /**
   * True when `frame` is a datagram reassembled from IP fragments (its own data source): lengths
   * come from those bytes, not from the completing fragment's IP header.
   */
  reassembled?: boolean;
}

/** Maps one decoded layer to one or more protocol nodes (eth may add the `ethertype` node). */
export type ProtocolMapper = (layer: DecodedLayer, ctx: DissectContext) => ProtoNode[];
