// VLAN tags as Wireshark 4.0 shows them: an 802.1Q C-tag (TPID 0x8100, or the old 0x9100) is the
// `vlan` protocol; an 802.1ad S-tag (TPID 0x88a8) is `ieee8021ad`. Each is followed by `ethertype`
// in frame.protocols, and the innermost tag owns the trailer (vlan.trailer) and padding.

import { ETHERTYPE, ETH_MAX_802_3_LENGTH, type Vlan } from '../../wire/ethernet.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, hex, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { ethertypeNode } from './eth.ts';
import { reportedEnd, trailerFields } from './eth-trailer.ts';
import { bitPattern, FieldList } from './link-fields.ts';
import { ethertypeName } from './link-names.ts';

/** 802.1Q-2011 priority names (vlan.priority with "8 Priorities, 0 Drop Eligible"). */
const PRIORITY_NAMES = [
  'Best Effort (default)',
  'Background',
  'Excellent Effort',
  'Critical Applications',
  'Video, < 100ms latency and jitter',
  'Voice, < 10ms latency and jitter',
  'Internetwork Control',
  'Network Control',
];

export function mapVlan(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Vlan;
  const o = layer.offset;
  const frame = ctx.frame;
  const tci = (v.pcp << 13) | (v.dei ? 0x1000 : 0) | v.id;
  const sTag = v.tpid === ETHERTYPE.QINQ;
  const list = new FieldList(frame.length);
  const isLength = v.type <= ETH_MAX_802_3_LENGTH;
  if (sTag) {
    list.add(o, 2, () => uintDec('ieee8021ad.priority', 'Priority', v.pcp, o, 1, { text: `${bitPattern(tci, 0xe000, 16)} = Priority: ${v.pcp}` }));
    list.add(o, 2, () => uintDec('ieee8021ad.dei', 'DEI', v.dei ? 1 : 0, o, 1, { text: `${bitPattern(tci, 0x1000, 16)} = DEI: ${v.dei ? 1 : 0}` }));
    list.add(o, 2, () => uintDec('ieee8021ad.id', 'ID', v.id, o, 2, { text: `${bitPattern(tci, 0x0fff, 16)} = ID: ${v.id}` }));
    list.add(o + 2, 2, () => uintHex('ieee8021ah.etype', 'Type', v.type, 4, o + 2, 2, { text: `Type: ${ethertypeName(v.type)} (${hex(v.type, 4)})` }));
  } else {
    list.add(o, 2, () =>
      uintDec('vlan.priority', 'Priority', v.pcp, o, 2, { text: `${bitPattern(tci, 0xe000, 16)} = Priority: ${PRIORITY_NAMES[v.pcp]} (${v.pcp})` }),
    );
    list.add(o, 2, () => bool('vlan.dei', 'DEI', v.dei, o, 2, { text: `${bitPattern(tci, 0x1000, 16)} = DEI: ${v.dei ? 'Eligible' : 'Ineligible'}` }));
    list.add(o, 2, () => uintDec('vlan.id', 'ID', v.id, o, 2, { text: `${bitPattern(tci, 0x0fff, 16)} = ID: ${v.id}` }));
    list.add(o + 2, 2, () =>
      isLength
        ? uintDec('vlan.len', 'Length', v.type, o + 2, 2)
        : uintHex('vlan.etype', 'Type', v.type, 4, o + 2, 2, { text: `Type: ${ethertypeName(v.type)} (${hex(v.type, 4)})` }),
    );
  }
  const complete = !list.cut;
  if (complete && !isLength) {
    list.push(
      ...trailerFields(ctx, {
        index: ctx.index,
        start: o,
        reportedEnd: reportedEnd(ctx, ctx.index),
        payloadOffset: o + 4,
        fcs: 0,
        trailerName: sTag ? 'ieee8021ah.trailer' : 'vlan.trailer',
      }),
    );
  }
  const label = sTag ? `IEEE 802.1ad, ID: ${v.id}` : `802.1Q Virtual LAN, PRI: ${v.pcp}, DEI: ${v.dei ? 1 : 0}, ID: ${v.id}`;
  const node: ProtoNode = { proto: sTag ? 'ieee8021ad' : 'vlan', label, offset: o, length: layer.length, fields: list.fields, malformed: layer.malformed };
  const nodes: ProtoNode[] = [node];
  if (complete && !isLength) nodes.push(ethertypeNode(ctx, v.type, sTag ? 'IEEE 802.1ad' : '802.1Q Virtual LAN'));
  return nodes;
}
