// Wireshark's `data` protocol: the bytes no dissector claimed, as `data.data` and `data.len`.
//
// Until netlab has dissectors for the protocols above UDP/TCP/IP (DNS, DHCP, HTTP, TLS...), the
// decoder hands their payload on as opaque bytes. Wireshark does not show those bytes as `data`: its
// own dissector for the port (or IP protocol) claims them. So that `data.*` means the same thing in
// both tools, no `data` node is made where Wireshark 4.0's default port and protocol tables give the
// bytes to a dissector (the tables below); the bytes stay visible as `udp.payload` / `tcp.payload`.

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bytesField, type Field, type ProtoNode, rawField } from '../field.ts';
import { icmpEchoDataSkip } from './icmp.ts';
import { bytesForText } from './link-fields.ts';
import { tcpHoldsPayload } from './tcp.ts';

/** UDP ports Wireshark 4.0 dissects by default (a selection of the common ones). */
export const WIRESHARK_UDP_PORTS: ReadonlySet<number> = new Set([
  53, 67, 68, 69, 123, 137, 138, 161, 162, 500, 514, 520, 546, 547, 1812, 1813, 1900, 3478, 4500, 5060, 5353, 5355, 8611, 8612, 8613, 8614, 17500,
]);

/** TCP ports Wireshark 4.0 dissects by default (a selection of the common ones). */
export const WIRESHARK_TCP_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 53, 80, 88, 110, 143, 179, 389, 443, 445, 636, 993, 995, 1723, 3128, 3306, 5432, 8080,
]);

/** IP protocol numbers Wireshark dissects that netlab has no decoder for (IGMP, GRE, ESP, AH, OSPF, PIM, VRRP, SCTP). */
export const WIRESHARK_IP_PROTOCOLS: ReadonlySet<number> = new Set([2, 47, 50, 51, 89, 103, 112, 132]);

/** EtherTypes Wireshark dissects that netlab has no decoder for (PPPoE, LLDP, EAPOL, MPLS, slow protocols, PTP...). */
export const WIRESHARK_ETHERTYPES: ReadonlySet<number> = new Set([
  0x8035, 0x809b, 0x8137, 0x8809, 0x8847, 0x8848, 0x8863, 0x8864, 0x888e, 0x88cc, 0x88e5, 0x88f7,
]);

/** True when Wireshark would give the bytes after `prev` to a dissector rather than to `data`. */
function claimedByWireshark(prev: DecodedLayer | undefined): boolean {
  if (prev === undefined) return false;
  const v = prev.value as { srcPort?: unknown; dstPort?: unknown; protocol?: unknown; nextHeader?: unknown; fragmentOffset?: unknown; mf?: unknown } | null;
  if (v === null || typeof v !== 'object') return false;
  if (prev.kind === 'ethernet' || prev.kind === 'vlan' || prev.kind === 'sll' || prev.kind === 'sll2') {
    const t = (v as { type?: unknown; protocol?: unknown }).type ?? (v as { protocol?: unknown }).protocol;
    return typeof t === 'number' && WIRESHARK_ETHERTYPES.has(t);
  }
  if (prev.kind === 'udp' || prev.kind === 'tcp') {
    const ports = prev.kind === 'udp' ? WIRESHARK_UDP_PORTS : WIRESHARK_TCP_PORTS;
    return (typeof v.srcPort === 'number' && ports.has(v.srcPort)) || (typeof v.dstPort === 'number' && ports.has(v.dstPort));
  }
  if (prev.kind === 'ipv4') {
    const fragment = v.mf === true || (typeof v.fragmentOffset === 'number' && v.fragmentOffset > 0);
    return !fragment && typeof v.protocol === 'number' && WIRESHARK_IP_PROTOCOLS.has(v.protocol);
  }
  if (prev.kind.startsWith('ipv6') || prev.kind === 'ah') return typeof v.nextHeader === 'number' && WIRESHARK_IP_PROTOCOLS.has(v.nextHeader);
  return false;
}

/** The data mapper: one `data` node over the layer's bytes (after an ICMP echo's timestamp, if any). */
export function mapData(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  if (claimedByWireshark(ctx.layers[ctx.index - 1])) return [];
  if (ctx.layers[ctx.index - 1]?.kind === 'tcp' && tcpHoldsPayload(ctx, layer.offset)) return [];
  const skip = icmpEchoDataSkip(ctx, ctx.index - 1);
  const offset = layer.offset + skip;
  const end = Math.min(layer.offset + layer.length, ctx.frame.length);
  const length = Math.max(end - offset, 0);
  if (length === 0) return [];
  return [dataNode(ctx.frame, offset, length)];
}

/** A `data` node over frame bytes [offset, offset+length). */
export function dataNode(frame: Uint8Array, offset: number, length: number): ProtoNode {
  const bytes = frame.subarray(offset, offset + length);
  const fields: Field[] = [
    bytesField('data.data', 'Data', frame, offset, length, { text: `Data: ${bytesForText(bytes)}` }),
    rawField('data.len', 'Length', 'int', length, String(length), offset, 0, { generated: true, text: `[Length: ${length}]` }),
  ];
  return { proto: 'data', label: `Data (${length} byte${length === 1 ? '' : 's'})`, offset, length, fields, malformed: [] };
}
