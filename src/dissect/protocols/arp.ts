// ARP as Wireshark 4.0 shows it: the fixed fields, the generated gratuitous / probe / announcement
// flags (RFC 5227), the four addresses, and the summary ("Who has 10.0.0.1? Tell 10.0.0.2").
// A packet too short for its addresses shows the fixed fields only, like Wireshark after its
// exception. (Wireshark's duplicate-IP tracking across frames is not reproduced.)

import { type Arp, arpLength, ARP_OPCODE_VALUE } from '../../wire/arp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, etherField, formatIpv4, formatMac, hex, ipv4Field, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { bytesFieldT, FieldList } from './link-fields.ts';
import { arphrdName, ethertypeName } from './link-names.ts';
import { macWithName } from './mac-names.ts';

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'reserved',
  1: 'request',
  2: 'reply',
  3: 'reverse request',
  4: 'reverse reply',
  8: 'inverse request',
  9: 'inverse reply',
};

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function mapArp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const a = layer.value as Arp;
  const o = layer.offset;
  const frame = ctx.frame;
  const list = new FieldList(frame.length);
  list.add(o, 2, () => uintDec('arp.hw.type', 'Hardware type', a.hwType, o, 2, { text: `Hardware type: ${arphrdName(a.hwType)} (${a.hwType})` }));
  list.add(o + 2, 2, () =>
    uintHex('arp.proto.type', 'Protocol type', a.protoType, 4, o + 2, 2, { text: `Protocol type: ${ethertypeName(a.protoType)} (${hex(a.protoType, 4)})` }),
  );
  list.add(o + 4, 1, () => uintDec('arp.hw.size', 'Hardware size', a.hwSize, o + 4, 1));
  list.add(o + 5, 1, () => uintDec('arp.proto.size', 'Protocol size', a.protoSize, o + 5, 1));
  list.add(o + 6, 2, () => uintDec('arp.opcode', 'Opcode', a.opcode, o + 6, 2, { text: `Opcode: ${OPCODE_NAMES[a.opcode] ?? 'Unknown'} (${a.opcode})` }));
  const proto = a.opcode === 3 || a.opcode === 4 ? 'RARP' : a.opcode === 8 || a.opcode === 9 ? 'Inverse ARP' : 'ARP';
  const complete = !list.cut && o + arpLength(a.hwSize, a.protoSize) <= frame.length;
  if (!complete) {
    return [
      {
        proto: 'arp',
        label: 'Address Resolution Protocol',
        offset: o,
        length: layer.length,
        fields: list.fields,
        malformed: layer.malformed,
        columns: { protocol: proto },
      },
    ];
  }
  const hwIsEther = (a.hwType === 1 || a.hwType === 6) && a.hwSize === 6;
  const protoIsIpv4 = (a.protoType === 0x0800 || a.protoType === 0xcc) && a.protoSize === 4;
  const gratuitous = (a.opcode === ARP_OPCODE_VALUE.REQUEST || a.opcode === ARP_OPCODE_VALUE.REPLY) && a.protoSize > 0 && same(a.senderProto, a.targetProto);
  const requestToUnknown = a.opcode === ARP_OPCODE_VALUE.REQUEST && hwIsEther && isZero(a.targetHw);
  const probe = requestToUnknown && protoIsIpv4 && isZero(a.senderProto);
  const announcement = requestToUnknown && !probe && gratuitous;
  if (gratuitous) list.push(bool('arp.isgratuitous', 'Is gratuitous', true, 0, 0, { generated: true, text: '[Is gratuitous: True]' }));
  if (probe) list.push(bool('arp.isprobe', 'Is probe', true, 0, 0, { generated: true, text: '[Is probe: True]' }));
  if (announcement) list.push(bool('arp.isannouncement', 'Is announcement', true, 0, 0, { generated: true, text: '[Is announcement: True]' }));

  let off = o + 8;
  const hwAddr = (side: 'src' | 'dst', who: string, b: Uint8Array): void => {
    const at = off;
    if (a.hwSize > 0)
      list.add(at, a.hwSize, () =>
        hwIsEther
          ? etherField(`arp.${side}.hw_mac`, `${who} MAC address`, frame, at, { text: `${who} MAC address: ${macWithName(b)}` })
          : bytesFieldT(`arp.${side}.hw`, `${who} hardware address`, frame, at, a.hwSize),
      );
    off += a.hwSize;
  };
  const protoAddr = (side: 'src' | 'dst', who: string): void => {
    const at = off;
    if (a.protoSize > 0)
      list.add(at, a.protoSize, () =>
        protoIsIpv4
          ? ipv4Field(`arp.${side}.proto_ipv4`, `${who} IP address`, frame, at)
          : bytesFieldT(`arp.${side}.proto`, `${who} protocol address`, frame, at, a.protoSize),
      );
    off += a.protoSize;
  };
  hwAddr('src', 'Sender', a.senderHw);
  protoAddr('src', 'Sender');
  hwAddr('dst', 'Target', a.targetHw);
  protoAddr('dst', 'Target');

  const hwText = (b: Uint8Array): string => (hwIsEther ? formatMac(b) : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
  const protoText = (b: Uint8Array): string => (protoIsIpv4 ? formatIpv4(b) : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
  let info: string;
  let what: string;
  if (probe) {
    info = `Who has ${protoText(a.targetProto)}? (ARP Probe)`;
    what = 'ARP Probe';
  } else if (announcement) {
    info = `ARP Announcement for ${protoText(a.senderProto)}`;
    what = 'ARP Announcement';
  } else if (gratuitous) {
    const req = a.opcode === ARP_OPCODE_VALUE.REQUEST;
    info = `Gratuitous ARP for ${protoText(a.senderProto)} (${req ? 'Request' : 'Reply'})`;
    what = `${req ? 'request' : 'reply'}/gratuitous ARP`;
  } else {
    switch (a.opcode) {
      case 1:
        info = `Who has ${protoText(a.targetProto)}? Tell ${protoText(a.senderProto)}`;
        break;
      case 2:
        info = `${protoText(a.senderProto)} is at ${hwText(a.senderHw)}`;
        break;
      case 3:
      case 8:
        info = `Who is ${hwText(a.targetHw)}? Tell ${hwText(a.senderHw)}`;
        break;
      case 4:
        info = `${hwText(a.targetHw)} is at ${protoText(a.targetProto)}`;
        break;
      case 9:
        info = `${hwText(a.senderHw)} is at ${protoText(a.senderProto)}`;
        break;
      case 0:
        info = 'Reserved opcode 0';
        break;
      default:
        info = `Unknown ARP opcode ${hex(a.opcode, 4)}`;
    }
    what = OPCODE_NAMES[a.opcode] ?? `opcode ${hex(a.opcode, 4)}`;
  }
  return [
    {
      proto: 'arp',
      label: `Address Resolution Protocol (${what})`,
      offset: o,
      length: layer.length,
      fields: list.fields,
      malformed: layer.malformed,
      columns: { protocol: proto, info },
    },
  ];
}
