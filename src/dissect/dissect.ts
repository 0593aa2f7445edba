// Frame -> protocol tree. Decodes with the wire layer, then lets each protocol's mapper name the
// fields as Wireshark does. Never throws: a mapper that fails marks the frame malformed instead.

import type { CapturedPacket } from '../capture/types.ts';
import { decode } from '../wire/decode.ts';
import type { DecodedLayer, Malformation } from '../wire/layer.ts';
import { DissectState, type DissectContext } from './context.ts';
import { type Columns, type Field, type ProtoNode, walkFields } from './field.ts';
import { frameNode } from './frame-fields.ts';
import { MAPPERS } from './mappers.ts';

export interface Dissection {
  packet: CapturedPacket;
  layers: DecodedLayer[];
  /** The tree: 'frame' first, then each protocol in order. */
  protos: ProtoNode[];
  malformed: Malformation[];
  /** The summary line's columns (inner protocols override outer ones). */
  columns: Required<Columns>;
}

/** Dissects one captured packet. `state` carries conversations across frames of one capture. */
export function dissect(packet: CapturedPacket, state: DissectState = new DissectState()): Dissection {
  const decoded = decode(packet.data, packet.iface.linkType, { fcsLength: packet.iface.fcsLength });
  const protos: ProtoNode[] = [];
  const malformed: Malformation[] = [...decoded.malformed];
  let inIcmpError = false;
  for (let i = 0; i < decoded.layers.length; i++) {
    const layer = decoded.layers[i];
    const mapper = MAPPERS[layer.kind];
    if (mapper === undefined) continue;
    const ctx: DissectContext = { frame: packet.data, packet, layers: decoded.layers, index: i, state, inIcmpError };
    try {
      for (const node of mapper(layer, ctx)) {
        if (inIcmpError && node.columns) {
          // Wireshark keeps the outer addresses in the columns for an ICMP error's embedded datagram.
          delete node.columns.src;
          delete node.columns.dst;
          delete node.columns.protocol;
          delete node.columns.info;
        }
        protos.push(node);
      }
    } catch (err) {
      malformed.push({ layer: layer.kind, offset: layer.offset, reason: `dissector error: ${(err as Error).message}` });
    }
    if (layer.kind === 'icmp' || layer.kind === 'icmpv6') inIcmpError = inIcmpError || isIcmpError(layer);
  }
  const frame = frameNode(packet, protos, state, malformed);
  const all = [frame, ...protos];
  const columns: Required<Columns> = { protocol: '', info: '', src: '', dst: '' };
  for (const p of all) {
    if (!p.columns) continue;
    if (p.columns.protocol !== undefined) columns.protocol = p.columns.protocol;
    if (p.columns.info !== undefined) columns.info = p.columns.info;
    if (p.columns.src !== undefined) columns.src = p.columns.src;
    if (p.columns.dst !== undefined) columns.dst = p.columns.dst;
  }
  return { packet, layers: decoded.layers, protos: all, malformed, columns };
}

function isIcmpError(layer: DecodedLayer): boolean {
  const v = layer.value as { isError?: boolean } | null;
  return v !== null && typeof v === 'object' && v.isError === true;
}

/** Every occurrence of a field (or protocol) name in tree order, as tshark's -T fields visits them. */
export function findFields(d: Dissection, name: string): Field[] {
  const out: Field[] = [];
  for (const p of d.protos) {
    for (const f of walkFields(p.fields)) if (f.name === name) out.push(f);
  }
  return out;
}

/** True when the protocol (by filter name) is in the frame. */
export function hasProtocol(d: Dissection, proto: string): boolean {
  return d.protos.some((p) => p.proto === proto);
}
