// Ethernet II as Wireshark 4.0 names it: eth.dst / eth.src with their address subtrees (eth.addr,
// the OUI numbers, LG and IG bits), eth.type, then padding, trailer and FCS (see eth-trailer.ts),
// and the `ethertype` pseudo-protocol that frame.protocols lists after eth.
//
// MAC names ("Apple_cd:f6:17") come from the installed Wireshark's name files (mac-names.ts), as
// tshark shows them by default; without them labels and columns read like `tshark -n` and the
// *_resolved fields are not emitted.

import { expertField } from '../expert.ts';
import { type Ethernet, ETH_MAX_802_3_LENGTH } from '../../wire/ethernet.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, etherField, type Field, formatMac, hex, type ProtoNode, stringField, uintDec, uintHex } from '../field.ts';
import { bitPattern, FieldList } from './link-fields.ts';
import { ETHERTYPE_NAMES, ethertypeName } from './link-names.ts';
import { reportedEnd, trailerFields, type FcsMode } from './eth-trailer.ts';
import { macName, macNamesAvailable, macWithName, ouiName } from './mac-names.ts';

/**
 * The children Wireshark puts under a MAC address field: the resolved name, the OUI (and its
 * manufacturer), eth.addr with the same, and the LG and IG bits.
 */
export function macChildren(frame: Uint8Array, offset: number, which: 'dst' | 'src'): Field[] {
  const oui = (frame[offset] << 16) | (frame[offset + 1] << 8) | frame[offset + 2];
  const lg = (frame[offset] & 0x02) !== 0;
  const ig = (frame[offset] & 0x01) !== 0;
  const lgText = `${bitPattern(oui, 0x020000, 24)} = LG bit: ${lg ? 'Locally administered address (this is NOT the factory default)' : 'Globally unique address (factory default)'}`;
  const igText = `${bitPattern(oui, 0x010000, 24)} = IG bit: ${ig ? 'Group address (multicast/broadcast)' : 'Individual address (unicast)'}`;
  const Which = which === 'dst' ? 'Destination' : 'Source';
  const manuf = ouiName(frame, offset);
  const ouiText = (label: string): string => `${label}: ${formatMac(frame, offset).slice(0, 8)}${manuf !== undefined ? ` (${manuf})` : ''}`;
  const named = macNamesAvailable();
  const name = macName(frame, offset);
  const resolved = (field: string, label: string): Field[] => (named ? [stringField(field, label, name, offset, 6, { hidden: true })] : []);
  const ouiResolved = (field: string, label: string): Field[] => (manuf !== undefined ? [stringField(field, label, manuf, offset, 6, { hidden: true })] : []);
  // IEEE 802.3 3.2.3(b): a source address is never a group address (Wireshark warns first thing).
  const notGroup =
    which === 'src' && ig
      ? [expertField('eth.src_not_group', 'Source MAC must not be a group address: IEEE 802.3-2002, Section 3.2.3(b)', 'Warning', 'Protocol', offset, 0)]
      : [];
  return [
    ...notGroup,
    ...resolved(`eth.${which}_resolved`, `${Which} (resolved)`),
    uintDec(`eth.${which}.oui`, `${Which} OUI`, oui, offset, 3, { hidden: true, text: ouiText(`${Which} OUI`) }),
    ...ouiResolved(`eth.${which}.oui_resolved`, `${Which} OUI (resolved)`),
    etherField('eth.addr', 'Address', frame, offset, { text: `Address: ${macWithName(frame, offset)}` }),
    ...resolved('eth.addr_resolved', 'Address (resolved)'),
    uintDec('eth.addr.oui', 'Address OUI', oui, offset, 3, { hidden: true, text: ouiText('Address OUI') }),
    ...ouiResolved('eth.addr.oui_resolved', 'Address OUI (resolved)'),
    bool(`eth.${which}.lg`, 'LG bit', lg, offset, 3, { text: lgText }),
    bool('eth.lg', 'LG bit', lg, offset, 3, { hidden: true, text: lgText }),
    bool(`eth.${which}.ig`, 'IG bit', ig, offset, 3, { text: igText }),
    bool('eth.ig', 'IG bit', ig, offset, 3, { hidden: true, text: igText }),
  ];
}

/**
 * eth.dst / eth.src with their subtrees. The same few addresses come back on every frame of a
 * capture, so the built field is kept (by address, position and direction) and handed out again:
 * fields are never changed once built.
 */
function addressField(frame: Uint8Array, offset: number, which: 'dst' | 'src'): Field {
  const key = addressKey(frame, offset, which);
  const hit = addressFields.get(key);
  if (hit !== undefined) return hit;
  const f =
    which === 'dst'
      ? etherField('eth.dst', 'Destination', frame, offset, { text: `Destination: ${macWithName(frame, offset)}`, children: macChildren(frame, offset, 'dst') })
      : etherField('eth.src', 'Source', frame, offset, { text: `Source: ${macWithName(frame, offset)}`, children: macChildren(frame, offset, 'src') });
  if (addressFields.size >= 4096) addressFields.clear();
  addressFields.set(key, f);
  return f;
}

const addressFields = new Map<string, Field>();

function addressKey(frame: Uint8Array, offset: number, which: 'dst' | 'src'): string {
  let k = which === 'dst' ? 'd' : 's';
  k += offset;
  for (let i = offset; i < offset + 6; i++) k += String.fromCharCode(frame[i]);
  return k;
}

/** The FCS mode of the frame's Ethernet layer: known from the capture, else Wireshark's guess. */
export function ethFcsMode(ctx: DissectContext): FcsMode {
  // An Ethernet frame carried inside another protocol (transparent bridging, VXLAN) has no FCS.
  if (ctx.index > 0) return 0;
  // CaptureInterface.fcsLength is 0 both for "no FCS" and "not said"; pcap and pcapng files rarely say
  // "no FCS" explicitly, so 0 is taken as "not said", as Wireshark treats a missing if_fcslen.
  return ctx.packet.iface.fcsLength === 4 ? 4 : -1;
}

export function mapEthernet(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const e = layer.value as Ethernet;
  const frame = ctx.frame;
  const o = layer.offset;
  if (o + 14 > frame.length) {
    // Wireshark checks for the whole header before adding anything: a shorter frame shows no fields
    // (only the columns it had filled in by then).
    const columns: ProtoNode['columns'] = { protocol: 'Ethernet' };
    if (o + 6 <= frame.length) columns.dst = macName(frame, o);
    if (o + 12 <= frame.length) columns.src = macName(frame, o + 6);
    return [{ proto: 'eth', label: 'Ethernet II', offset: o, length: layer.length, fields: [], malformed: layer.malformed, noTree: true, columns }];
  }
  const list = new FieldList(frame.length);
  // Fields no output reads are not built (state.wants), but still count for where the tree stops.
  const state = ctx.state;
  const subtree = state.wants('eth.addr') || state.wants('eth.lg') || state.wants('eth.ig');
  if (list.fits(o, 6) && (subtree || state.wants('eth.dst'))) list.fields.push(addressField(frame, o, 'dst'));
  if (list.fits(o + 6, 6) && (subtree || state.wants('eth.src'))) list.fields.push(addressField(frame, o + 6, 'src'));
  // Type 0 is taken as an (unknown) EtherType, not as an 802.3 length of 0, as Wireshark does.
  const isLength = e.type <= ETH_MAX_802_3_LENGTH && e.type !== 0;
  if (list.fits(o + 12, 2) && state.wants(isLength ? 'eth.len' : 'eth.type')) {
    list.fields.push(
      isLength
        ? uintDec('eth.len', 'Length', e.type, o + 12, 2)
        : uintHex('eth.type', 'Type', e.type, 4, o + 12, 2, { text: `Type: ${ethertypeName(e.type)} (${hex(e.type, 4)})` }),
    );
  }
  const complete = !list.cut;
  // An 802.3 frame's padding and trailer follow the LLC it carries (the Length field ends it).
  if (complete && (!isLength || ctx.layers[ctx.index + 1]?.kind === 'llc')) {
    const trailer = trailerFields(ctx, {
      index: ctx.index,
      start: o,
      reportedEnd: reportedEnd(ctx, ctx.index),
      payloadOffset: o + 14,
      fcs: ethFcsMode(ctx),
      trailerName: 'eth.trailer',
    });
    if (trailer.length > 0) list.push(...trailer);
  }
  const haveAddrs = frame.length >= o + 12;
  const label = isLength
    ? 'IEEE 802.3 Ethernet '
    : haveAddrs && state.labels
      ? `Ethernet II, Src: ${macWithName(frame, o + 6)}, Dst: ${macWithName(frame, o)}`
      : 'Ethernet II';
  const node: ProtoNode = {
    proto: 'eth',
    label,
    offset: o,
    length: layer.length,
    fields: list.fields,
    malformed: layer.malformed,
    columns: haveAddrs ? { src: macName(frame, o + 6), dst: macName(frame, o), protocol: 'Ethernet' } : { protocol: 'Ethernet' },
  };
  const nodes: ProtoNode[] = [node];
  if (complete && !isLength) nodes.push(ethertypeNode(ctx, e.type));
  return nodes;
}

/**
 * The `ethertype` pseudo-protocol that follows every EtherType-dispatching layer in frame.protocols.
 * When nothing decodes the payload, Wireshark shows the type in hex as the protocol column and the
 * type's name (or, for a type it has no name for, the carrying protocol's name) as the info.
 */
export function ethertypeNode(ctx: DissectContext, type: number, carrier = 'Ethernet II'): ProtoNode {
  const next = ctx.layers[ctx.index + 1];
  const node: ProtoNode = { proto: 'ethertype', label: 'Ethertype', offset: 0, length: 0, fields: [], malformed: [], noTree: true };
  if (next === undefined || next.kind === 'data') node.columns = { protocol: hex(type, 4), info: ETHERTYPE_NAMES[type] ?? carrier };
  return node;
}
