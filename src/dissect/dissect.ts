// Frame -> protocol tree. Decodes with the wire layer, then lets each protocol's mapper name the
// fields as Wireshark does. Never throws: a mapper that fails marks the frame malformed instead.

import type { CapturedPacket } from '../capture/types.ts';
import { decode } from '../wire/decode.ts';
import type { DecodedLayer, Malformation } from '../wire/layer.ts';
import { DissectState, type DissectContext } from './context.ts';
import { expertField } from './expert.ts';
import type { Dissection } from './dissection.ts';
import { type Columns, type Field, type ProtoNode, rawField } from './field.ts';
import { commentsNode, frameNode } from './frame-fields.ts';
import { MAPPERS } from './mappers.ts';
import { decodeReassembled, reassembledDatagram, type ReassembledDatagram } from './protocols/ip-reassembly.ts';
import { undissectedLinkNodes } from './protocols/link-undissected.ts';
import { TCP_APPS } from './protocols/transport-mappers.ts';
import { dissectTcpApp } from './tcp-reassembly-apps.ts';

/** Layers that are part of an IP header: a reassembled datagram's upper layers go after them. */
const IP_HEADER_KINDS = new Set(['ipv6-hopopts', 'ipv6-dstopts', 'ipv6-routing', 'ipv6-fragment']);

/**
 * Layers the wire decoder makes of a TCP payload one segment at a time (`dns-tcp` for each whole
 * length-prefixed message, `data` for the rest); the dissector's stream reassembly replaces them.
 */
const STREAM_KINDS = new Set(['data', 'dns-tcp']);

/** Protocols whose payload tshark shows inside their own tree rather than beside it. */
const NESTING_PROTOS = new Set(['icmp', 'icmpv6']);

/** Short protocol names, as tshark writes them in `[Malformed Packet: TCP]`. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  frame: 'Frame',
  eth: 'Ethernet',
  ethernet: 'Ethernet',
  vlan: '802.1Q',
  ieee8021ad: '802.1ad',
  arp: 'ARP',
  sll: 'SLL',
  sll2: 'SLL',
  null: 'NULL',
  raw: 'Raw',
  ip: 'IPv4',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  tcp: 'TCP',
  udp: 'UDP',
  vxlan: 'VXLAN',
  ah: 'AH',
  dns: 'DNS',
  'dns-tcp': 'DNS',
  tls: 'TLS',
  mdns: 'MDNS',
  llmnr: 'LLMNR',
  data: 'Data',
};

/** Dissects one captured packet. `state` carries conversations across frames of one capture. */
export function dissect(captured: CapturedPacket, state: DissectState = new DissectState()): Dissection {
  const packet = plainBytes(captured);
  const decoded = decode(packet.data, packet.iface.linkType, { fcsLength: packet.iface.fcsLength });
  const layers = decoded.layers;
  // The tree in order: the comments node (when the packet has comments), the frame node (made last:
  // frame.protocols lists the protocols), then each protocol as its mapper adds it.
  const comments = commentsNode(packet);
  const all: ProtoNode[] = comments === undefined ? [FRAME_SLOT] : [comments, FRAME_SLOT];
  const frameAt = all.length - 1;
  // decode() hands out a fresh list: the frame's malformations, added to as the mappers find more.
  const malformed: Malformation[] = decoded.malformed;
  let inIcmpError = false;
  let reassembledDone = false;
  // A link type Wireshark reads but netlab does not decode: tshark's nodes instead of the layers.
  const linkNodes = undissectedLinkNodes(packet);
  if (linkNodes !== undefined) {
    for (let k = 0; k < linkNodes.length; k++) all.push(linkNodes[k]);
    malformed.length = 0;
  }
  const layerCount = linkNodes === undefined ? layers.length : 0;
  for (let i = 0; i < layerCount; i++) {
    const layer = layers[i];
    const mapper = MAPPERS[layer.kind];
    if (mapper === undefined) continue;
    const ctx: DissectContext = { frame: packet.data, packet, layers, index: i, state, inIcmpError };
    try {
      const nodes = mapper(layer, ctx);
      for (let k = 0; k < nodes.length; k++) {
        const node = nodes[k];
        if (inIcmpError && node.columns) {
          // Wireshark keeps the outer addresses in the columns for an ICMP error's embedded datagram.
          delete node.columns.src;
          delete node.columns.dst;
          delete node.columns.protocol;
          delete node.columns.info;
        }
        all.push(node);
      }
      // A TCP payload goes on to the application protocol through the stream reassembly.
      if (layer.kind === 'tcp' && nodes.length === 1) {
        const next = layers[i + 1];
        if (next === undefined || STREAM_KINDS.has(next.kind)) {
          const app = dissectTcpApp(layer, ctx, nodes[0], TCP_APPS);
          if (app !== undefined) {
            for (let k = 0; k < app.nodes.length; k++) {
              const n = app.nodes[k];
              all.push(n);
              for (let m = 0; m < n.malformed.length; m++) malformed.push(n.malformed[m]);
            }
            // The stream reassembly took the payload: the per-segment layers of it are not shown.
            if (app.consumed) {
              while (STREAM_KINDS.has(layers[i + 1]?.kind ?? '')) {
                i++;
                forget(malformed, layers[i].malformed);
              }
            }
          }
        }
      }
    } catch (err) {
      malformed.push({ layer: layer.kind, offset: layer.offset, reason: `dissector error: ${(err as Error).message}` });
    }
    if (layer.kind === 'icmp' || layer.kind === 'icmpv6') inIcmpError = inIcmpError || isIcmpError(layer);
    if (reassembledDone) continue;
    const datagram = reassembledDatagram(state, packet.number);
    if (datagram !== undefined && datagram.layerIndex <= i && !IP_HEADER_KINDS.has(layers[i + 1]?.kind ?? '')) {
      // After the IP header and its extension headers: the upper layers from the reassembled bytes.
      // The last fragment's own bytes are part of them, so its `data` layer is not shown again.
      const upper = mapReassembled(datagram, layers, packet, state, malformed);
      for (let k = 0; k < upper.length; k++) all.push(upper[k]);
      if (layers[i + 1]?.kind === 'data') i++;
      reassembledDone = true;
    }
  }
  const frame = frameNode(packet, all, state, malformed, frameAt + 1);
  all[frameAt] = frame;
  const columns: Required<Columns> = { protocol: '', info: '', src: '', dst: '' };
  let nested = false;
  for (let k = 0; k < all.length; k++) {
    const p = all[k];
    if (p.inside === true || NESTING_PROTOS.has(p.proto)) nested = true;
    const c = p.columns;
    if (!c) continue;
    if (c.protocol !== undefined) columns.protocol = c.protocol;
    if (c.info !== undefined) columns.info = c.info;
    if (c.src !== undefined) columns.src = c.src;
    if (c.dst !== undefined) columns.dst = c.dst;
  }
  // Wireshark's Ethernet dissector reads the trailer after the payload and notes a bad FCS last.
  // Only a checked FCS (eth.check_fcs on) can have the status Bad (0): otherwise no field is looked at.
  if (state.prefs.checkFcs && all.some((p) => p.fields.some((f) => f.name === 'eth.fcs.status' && f.value === 0))) {
    columns.info += ' [ETHERNET FRAME CHECK SEQUENCE INCORRECT]';
  }
  const problem = malformed.length === 0 ? undefined : problemNode(packet, malformed, all);
  if (problem !== undefined) {
    all.push(problem.node);
    columns.info = problem.appendInfo(columns.info);
  }
  // Without a nesting protocol every node is at the top level: no list is needed to say so.
  const d: Dissection = { packet, layers, protos: all, malformed, columns };
  if (nested) d.parents = nesting(all);
  return d;
}

/** Holds the frame node's place in the tree until the node is made. */
const FRAME_SLOT: ProtoNode = { proto: 'frame', label: '', offset: 0, length: 0, fields: [], malformed: [] };

/**
 * The upper layers of a datagram this frame completed, decoded from the reassembled bytes (Wireshark's
 * "Reassembled IPv4/IPv6" data source) and mapped with those bytes as their frame: UDP, TCP, ICMP and
 * what they carry appear on the completing frame, as in tshark with ip.defragment on.
 */
function mapReassembled(
  datagram: ReassembledDatagram,
  frameLayers: readonly DecodedLayer[],
  packet: CapturedPacket,
  state: DissectState,
  malformed: Malformation[],
): ProtoNode[] {
  const upper = decodeReassembled(datagram, frameLayers);
  const layers = [...frameLayers.slice(0, datagram.layerIndex + 1), ...upper];
  const nodes: ProtoNode[] = [];
  for (let j = datagram.layerIndex + 1; j < layers.length; j++) {
    const layer = layers[j];
    for (const m of layer.malformed) malformed.push(m);
    const mapper = MAPPERS[layer.kind];
    if (mapper === undefined) continue;
    const ctx: DissectContext = { frame: datagram.payload, packet, layers, index: j, state, inIcmpError: false, reassembled: true };
    try {
      const mapped = mapper(layer, ctx);
      nodes.push(...mapped);
      const next = layers[j + 1];
      if (layer.kind === 'tcp' && mapped.length === 1 && (next === undefined || STREAM_KINDS.has(next.kind))) {
        const app = dissectTcpApp(layer, ctx, mapped[0], TCP_APPS);
        if (app !== undefined) {
          nodes.push(...app.nodes);
          for (const n of app.nodes) malformed.push(...n.malformed);
          if (app.consumed) {
            while (STREAM_KINDS.has(layers[j + 1]?.kind ?? '')) {
              j++;
              forget(malformed, layers[j].malformed);
            }
          }
        }
      }
    } catch (err) {
      malformed.push({ layer: layer.kind, offset: layer.offset, reason: `dissector error: ${(err as Error).message}` });
    }
  }
  return nodes;
}

/**
 * The packet with its bytes as a plain Uint8Array view. Readers may hand out Node Buffers, whose
 * slice() shares memory where Uint8Array's copies: a decoder that slices to scratch a copy would
 * then write into the frame. The view costs no copy.
 */
function plainBytes(packet: CapturedPacket): CapturedPacket {
  const d = packet.data;
  if (Object.getPrototypeOf(d) === Uint8Array.prototype) return packet;
  return { ...packet, data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

/** Removes the given malformations (of layers no longer shown) from the frame's list. */
function forget(all: Malformation[], gone: readonly Malformation[]): void {
  for (const m of gone) {
    const at = all.indexOf(m);
    if (at >= 0) all.splice(at, 1);
  }
}

function nesting(protos: readonly ProtoNode[]): number[] {
  const parents: number[] = new Array(protos.length);
  let nest = -1;
  for (let i = 0; i < protos.length; i++) {
    const p = protos[i];
    if (p.proto === 'frame' || p.proto === 'pkt_comment' || p.proto.startsWith('_ws.')) {
      parents[i] = -1;
      continue;
    }
    parents[i] = p.inside === true && i > 0 ? i - 1 : nest;
    if (NESTING_PROTOS.has(p.proto)) nest = i;
  }
  return parents;
}

/**
 * Header values Wireshark reports as an expert error and then stops dissecting, without the
 * `[Malformed Packet]` of an exception ("Bogus IP header length (16, must be at least 20)"). The
 * mapper shows these in its own tree; every other malformation is a bounds exception to Wireshark.
 */
const EXPERT_ONLY = /^bogus\b/i;

interface Problem {
  node: ProtoNode;
  appendInfo(info: string): string;
}

/**
 * The node Wireshark adds when dissection hit the end of the data: `[Packet size limited during
 * capture: X truncated]` (`_ws.short`) when the capture cut the frame short, `[Malformed Packet: X]`
 * (`_ws.malformed`) when the bytes themselves are inconsistent. Mappers may add their own.
 */
function problemNode(packet: CapturedPacket, all: readonly Malformation[], protos: readonly ProtoNode[]): Problem | undefined {
  if (all.length === 0) return undefined;
  const malformed = all.filter((m) => !EXPERT_ONLY.test(m.reason));
  if (malformed.length === 0) return undefined;
  if (protos.some((p) => p.proto === '_ws.malformed' || p.proto === '_ws.short' || p.proto === '_ws.unreassembled')) return undefined;
  const first = malformed[0];
  const name = SHORT_NAMES[first.layer] ?? first.layer;
  if (packet.data.length < packet.origLength) {
    const text = `[Packet size limited during capture: ${name} truncated]`;
    return {
      node: {
        proto: '_ws.short',
        label: text,
        offset: first.offset,
        length: 0,
        malformed: [],
        fields: [],
      },
      // Wireshark appends the note with no separator (`Len=1208[Packet size limited during capture]`).
      appendInfo: (info) => `${info}[Packet size limited during capture]`,
    };
  }
  const expert: Field = expertField('_ws.malformed.expert', 'Malformed Packet (Exception occurred)', 'Error', 'Malformed', first.offset, 0);
  return {
    node: {
      proto: '_ws.malformed',
      label: `[Malformed Packet: ${name}]`,
      offset: first.offset,
      length: 0,
      malformed: [],
      // The hidden protocol item after the expert: `-T fields` prints its name, `-T json` its label.
      fields: [expert, rawField('_ws.malformed', 'Malformed Packet', 'none', null, '_ws.malformed', first.offset, 0, { hidden: true })],
    },
    appendInfo: (info) => `${info}[Malformed Packet]`,
  };
}

function isIcmpError(layer: DecodedLayer): boolean {
  const v = layer.value as { isError?: boolean } | null;
  return v !== null && typeof v === 'object' && v.isError === true;
}

export type { Dissection } from './dissection.ts';
export { findFields, frameOf, hasProtocol } from './lookup.ts';
