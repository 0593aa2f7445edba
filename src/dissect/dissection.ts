// What dissecting one frame gives: the packet, its decoded layers and Wireshark's protocol tree. A
// file of its own so that the outputs, the display filter and the lookups name the type without
// importing the dissector (dissect.ts) itself.

import type { CapturedPacket } from '../capture/types.ts';
import type { DecodedLayer, Malformation } from '../wire/layer.ts';
import type { Columns, ProtoNode } from './field.ts';

export interface Dissection {
  packet: CapturedPacket;
  layers: DecodedLayer[];
  /** The tree in order: 'pkt_comment' (when the packet has comments), 'frame', then each protocol. */
  protos: ProtoNode[];
  /**
   * For each node of `protos`, the index of the node it is nested in, or -1 at the top level.
   * tshark nests what an ICMP/ICMPv6 message carries (the quoted datagram, echo data) in its tree.
   * Absent means every node is at the top level.
   */
  parents?: number[];
  malformed: Malformation[];
  /** The summary line's columns (inner protocols override outer ones). */
  columns: Required<Columns>;
}
