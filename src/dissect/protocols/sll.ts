// Linux cooked captures as Wireshark 4.0 shows them: `sll` for both v1 ("Linux cooked capture v1")
// and v2, the source link-layer address in the form its type calls for, the protocol as an
// EtherType (sll.etype, followed by `ethertype` in frame.protocols) or a Linux ltype (sll.ltype), and
// padding / trailer after the payload (eth.padding, sll.trailer) as Ethernet does.

import type { DecodedLayer } from '../../wire/layer.ts';
import { ARPHRD, SLL_MAX_LTYPE, type Sll, type Sll2 } from '../../wire/sll.ts';
import type { DissectContext } from '../context.ts';
import { etherField, type Field, hex, ipv4Field, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { ethertypeNode } from './eth.ts';
import { reportedEnd, trailerFields } from './eth-trailer.ts';
import { bytesFieldT, FieldList } from './link-fields.ts';
import { arphrdName, ethertypeName } from './link-names.ts';
import { macName, macWithName } from './mac-names.ts';

const PACKET_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unicast to us',
  1: 'Broadcast',
  2: 'Multicast',
  3: 'Unicast to another host',
  4: 'Sent by us',
};

const LTYPE_NAMES: Readonly<Record<number, string>> = { 0x0004: '802.2 LLC' };

/** The source address fields: an IPv4 address for GRE, a MAC for 6 bytes, else raw bytes (at most 8). */
function addressFields(s: Sll, frame: Uint8Array, at: number): Field[] {
  const out: Field[] = [];
  if (s.hatype === ARPHRD.IPGRE && s.halen >= 4) {
    out.push(ipv4Field('sll.src.ipv4', 'Source', frame, at));
  } else if (s.hatype !== ARPHRD.NETLINK && s.halen > 0) {
    if (s.halen === 6) out.push(etherField('sll.src.eth', 'Source', frame, at, { text: `Source: ${macWithName(frame, at)}` }));
    else out.push(bytesFieldT('sll.src.other', 'Source', frame, at, Math.min(s.halen, 8)));
  }
  if (s.halen < 8) out.push(bytesFieldT('sll.unused', 'Unused', frame, at + s.halen, 8 - s.halen));
  return out;
}

function protocolField(s: Sll, at: number): Field {
  if (s.protocol <= SLL_MAX_LTYPE) {
    return uintHex('sll.ltype', 'Protocol', s.protocol, 4, at, 2, { text: `Protocol: ${LTYPE_NAMES[s.protocol] ?? 'Unknown'} (${hex(s.protocol, 4)})` });
  }
  if (s.hatype === ARPHRD.IPGRE) {
    return uintHex('sll.gretype', 'Protocol', s.protocol, 4, at, 2, {
      text: `Protocol: ${s.protocol === 0x0800 ? 'IP' : ethertypeName(s.protocol)} (${hex(s.protocol, 4)})`,
    });
  }
  return uintHex('sll.etype', 'Protocol', s.protocol, 4, at, 2, { text: `Protocol: ${ethertypeName(s.protocol)} (${hex(s.protocol, 4)})` });
}

export function mapSll(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v2 = layer.kind === 'sll2';
  const s = layer.value as Sll | Sll2;
  const o = layer.offset;
  const frame = ctx.frame;
  const list = new FieldList(frame.length);
  if (v2) {
    const s2 = s as Sll2;
    list.add(o, 2, () => protocolField(s, o));
    list.add(o + 4, 4, () => uintDec('sll.ifindex', 'Interface index', s2.ifindex, o + 4, 4));
    list.add(o + 8, 2, () =>
      uintDec('sll.hatype', 'Link-layer address type', s.hatype, o + 8, 2, { text: `Link-layer address type: ${arphrdName(s.hatype)} (${s.hatype})` }),
    );
    list.add(o + 10, 1, () =>
      uintDec('sll.pkttype', 'Packet type', s.packetType, o + 10, 1, {
        text: `Packet type: ${PACKET_TYPE_NAMES[s.packetType] ?? 'Unknown'} (${s.packetType})`,
      }),
    );
    list.add(o + 11, 1, () => uintDec('sll.halen', 'Link-layer address length', s.halen, o + 11, 1));
    if (list.fits(o + 12, 8)) list.push(...addressFields(s, frame, o + 12));
  } else {
    list.add(o, 2, () =>
      uintDec('sll.pkttype', 'Packet type', s.packetType, o, 2, { text: `Packet type: ${PACKET_TYPE_NAMES[s.packetType] ?? 'Unknown'} (${s.packetType})` }),
    );
    list.add(o + 2, 2, () =>
      uintDec('sll.hatype', 'Link-layer address type', s.hatype, o + 2, 2, { text: `Link-layer address type: ${arphrdName(s.hatype)} (${s.hatype})` }),
    );
    list.add(o + 4, 2, () => uintDec('sll.halen', 'Link-layer address length', s.halen, o + 4, 2));
    if (list.fits(o + 6, 8)) list.push(...addressFields(s, frame, o + 6));
    list.add(o + 14, 2, () => protocolField(s, o + 14));
  }
  const headerLength = v2 ? 20 : 16;
  const isEthertype = s.protocol > SLL_MAX_LTYPE;
  const complete = !list.cut && o + headerLength <= frame.length;
  if (complete && isEthertype) {
    list.push(
      ...trailerFields(ctx, {
        index: ctx.index,
        start: o,
        reportedEnd: reportedEnd(ctx, ctx.index),
        payloadOffset: o + headerLength,
        fcs: 0,
        trailerName: 'sll.trailer',
      }),
    );
  }
  const at = o + (v2 ? 12 : 6);
  const columns: ProtoNode['columns'] = s.halen === 6 && s.hatype !== ARPHRD.IPGRE && at + 6 <= frame.length ? { src: macName(frame, at) } : {};
  const node: ProtoNode = {
    proto: 'sll',
    label: v2 ? 'Linux cooked capture v2' : 'Linux cooked capture v1',
    offset: o,
    length: layer.length,
    fields: list.fields,
    malformed: layer.malformed,
    columns,
  };
  return complete && isEthertype ? [node, ethertypeNode(ctx, s.protocol, 'Linux cooked capture')] : [node];
}
