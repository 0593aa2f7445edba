// GRE (RFC 2784/2890, IP protocol 47) and PPTP's enhanced GRE (RFC 2637, version 1) as Wireshark
// 4.0's `gre` dissector shows them: the flags-and-version word with each bit, the protocol type, then
// the optional words the flags announce: checksum (verified, with its status) and offset, key (version
// 1: payload length and call ID), sequence number, acknowledgment number (version 1, A bit), and the
// routing SREs up to the null one. Enhanced GRE's PPP goes on to ppp.ts (PPP and LCP); any other
// protocol type Wireshark hands to a dissector (IPv4, IPv6, Ethernet bridging, MPLS, ERSPAN...) is
// left undissected, and the payload of a type it does not know is `data`, as Wireshark shows it.

import type { DecodedLayer } from '../../wire/layer.ts';
import { malformation } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, hex, labelField, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { expertField } from '../expert.ts';
import { registerFields } from '../known-fields.ts';
import { dataNode } from './data.ts';
import { bitPattern } from './link-fields.ts';
import { pppNodes } from './ppp.ts';
import { checksumStatusField } from './udp.ts';

registerFields({
  gre: 'FT_PROTOCOL',
  'gre.flags_and_version': 'FT_UINT16',
  'gre.flags.checksum': 'FT_BOOLEAN',
  'gre.flags.routing': 'FT_BOOLEAN',
  'gre.flags.key': 'FT_BOOLEAN',
  'gre.flags.sequence_number': 'FT_BOOLEAN',
  'gre.flags.strict_source_route': 'FT_BOOLEAN',
  'gre.flags.recursion_control': 'FT_UINT16',
  'gre.flags.ack': 'FT_BOOLEAN',
  'gre.flags.reserved': 'FT_UINT16',
  'gre.flags.version': 'FT_UINT16',
  'gre.proto': 'FT_UINT16',
  'gre.checksum': 'FT_UINT16',
  'gre.checksum.status': 'FT_UINT8',
  'gre.offset': 'FT_UINT16',
  'gre.key': 'FT_UINT32',
  'gre.key.payload_length': 'FT_UINT16',
  'gre.key.call_id': 'FT_UINT16',
  'gre.sequence_number': 'FT_UINT32',
  'gre.ack_number': 'FT_UINT32',
  'gre.routing': 'FT_NONE',
  'gre.routing.address_family': 'FT_UINT16',
  'gre.routing.sre_offset': 'FT_UINT8',
  'gre.routing.src_length': 'FT_UINT8',
  'gre.routing.information': 'FT_BYTES',
  'gre.checksum.incorrect': 'FT_NONE',
});

/** Wireshark's names for the GRE protocol types it shows, and whether it dissects what follows. */
const PROTO_NAMES: Readonly<Record<number, string>> = {
  0x0800: 'IP',
  0x86dd: 'IPv6',
  0x0806: 'ARP',
  0x6558: 'Transparent Ethernet bridging',
  0x880b: 'PPP',
  0x8847: 'MPLS label switched packet',
  0x8848: 'MPLS multicast label switched packet',
  0x88be: 'ERSPAN',
  0x22eb: 'ERSPAN3',
  0x8100: '802.1Q Virtual LAN',
};

const VERSION_NAMES: Readonly<Record<number, string>> = { 0: 'GRE', 1: 'Enhanced GRE' };

/** True for the payload of an unfragmented IPv4 datagram (or IPv6 packet) of protocol 47. */
export function isGre(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev === undefined) return false;
  if (prev.kind === 'ipv4') {
    const v = prev.value as { protocol?: number; mf?: boolean; fragmentOffset?: number };
    return v.protocol === 47 && v.mf !== true && (v.fragmentOffset ?? 0) === 0;
  }
  if (prev.kind.startsWith('ipv6')) return (prev.value as { nextHeader?: number } | null)?.nextHeader === 47;
  return false;
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** The one's-complement checksum over [off, end) (the GRE header and its payload). */
function onesComplement(b: Uint8Array, off: number, end: number): number {
  let s = 0;
  for (let i = off; i < end; i += 2) s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The gre mapper (over the `data` layer after IP protocol 47). */
export function mapGre(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(off + layer.length, b.length);
  const fields: Field[] = [];
  const node: ProtoNode = { proto: 'gre', label: 'Generic Routing Encapsulation', offset: off, length: end - off, fields, malformed: [] };
  const short = (at: number, what: string): ProtoNode[] => {
    node.malformed.push(malformation('gre', at, `GRE ${what} truncated: ${end - at} byte(s) left`));
    node.length = end - off;
    return [node];
  };
  if (end - off < 4) return short(off, 'header');
  const f = u16(b, off);
  const version = f & 0x7;
  const pppGre = version === 1;
  const bit = (mask: number, name: string, label: string): Field =>
    bool(name, label, (f & mask) !== 0, off, 2, { text: `${bitPattern(f, mask, 16)} = ${label}: ${f & mask ? 'Yes' : 'No'}` });
  const resMask = pppGre ? 0x78 : 0xf8;
  const flags: Field[] = [
    bit(0x8000, 'gre.flags.checksum', 'Checksum Bit'),
    bit(0x4000, 'gre.flags.routing', 'Routing Bit'),
    bit(0x2000, 'gre.flags.key', 'Key Bit'),
    bit(0x1000, 'gre.flags.sequence_number', 'Sequence Number Bit'),
    bit(0x0800, 'gre.flags.strict_source_route', 'Strict Source Route Bit'),
    uintDec('gre.flags.recursion_control', 'Recursion control', (f & 0x0700) >>> 8, off, 2, {
      text: `${bitPattern(f, 0x0700, 16)} = Recursion control: ${(f & 0x0700) >>> 8}`,
    }),
  ];
  if (pppGre) flags.push(bit(0x0080, 'gre.flags.ack', 'Acknowledgment'));
  flags.push(
    uintDec('gre.flags.reserved', 'Flags (Reserved)', (f & resMask) >>> 3, off, 2, {
      text: `${bitPattern(f, resMask, 16)} = Flags (Reserved): ${(f & resMask) >>> 3}`,
    }),
    uintDec('gre.flags.version', 'Version', version, off, 2, {
      text: `${bitPattern(f, 0x7, 16)} = Version: ${VERSION_NAMES[version] ?? 'Unknown'} (${version})`,
    }),
  );
  fields.push(uintHex('gre.flags_and_version', 'Flags and Version', f, 4, off, 2, { text: `Flags and Version: ${hex(f, 4)}`, children: flags }));
  const proto = u16(b, off + 2);
  const protoName = PROTO_NAMES[proto];
  fields.push(uintHex('gre.proto', 'Protocol Type', proto, 4, off + 2, 2, { text: `Protocol Type: ${protoName ?? 'Unknown'} (${hex(proto, 4)})` }));
  node.label = `Generic Routing Encapsulation (${protoName ?? `${hex(proto, 4)} - unknown`})`;
  node.columns = { protocol: 'GRE', info: `Encapsulated ${protoName ?? `${hex(proto, 4)} (unknown)`}` };
  let at = off + 4;
  if (f & 0xc000) {
    if (end - at < 4) return short(at, 'checksum and offset');
    if (f & 0x8000) {
      const sum = u16(b, at);
      const calc = onesComplement(b, off, end);
      const good = calc === 0;
      const want = onesComplement(Uint8Array.from([...b.subarray(off, at), 0, 0, ...b.subarray(at + 2, end)]), 0, end - off);
      fields.push(
        uintHex('gre.checksum', 'Checksum', sum, 4, at, 2, {
          text: good ? `Checksum: ${hex(sum, 4)} [correct]` : `Checksum: ${hex(sum, 4)} incorrect, should be ${hex(want, 4)}`,
          children: good
            ? undefined
            : [expertField('gre.checksum.incorrect', `Incorrect GRE Checksum [should be ${hex(want, 4)}]`, 'Warning', 'Protocol', at, 2)],
        }),
        checksumStatusField('gre.checksum.status', good ? 1 : 0, at),
      );
    } else {
      // Routing without checksum: the word is there, and Wireshark does not verify it.
      const sum = u16(b, at);
      fields.push(
        uintHex('gre.checksum', 'Checksum', sum, 4, at, 2, { text: `Checksum: ${hex(sum, 4)} [unverified]` }),
        checksumStatusField('gre.checksum.status', 2, at),
      );
    }
    fields.push(uintDec('gre.offset', 'Offset', u16(b, at + 2), at + 2, 2));
    at += 4;
  }
  if (f & 0x2000) {
    if (end - at < 4) return short(at, 'key');
    if (pppGre) {
      fields.push(uintDec('gre.key.payload_length', 'Payload Length', u16(b, at), at, 2), uintDec('gre.key.call_id', 'Call ID', u16(b, at + 2), at + 2, 2));
    } else {
      fields.push(uintHex('gre.key', 'Key', u32(b, at), 8, at, 4));
    }
    at += 4;
  }
  if (f & 0x1000) {
    if (end - at < 4) return short(at, 'sequence number');
    fields.push(uintDec('gre.sequence_number', 'Sequence Number', u32(b, at), at, 4));
    at += 4;
  }
  if (pppGre && f & 0x0080) {
    if (end - at < 4) return short(at, 'acknowledgment number');
    fields.push(uintDec('gre.ack_number', 'Acknowledgment Number', u32(b, at), at, 4));
    at += 4;
  }
  if (f & 0x4000) {
    // Each source route entry: an empty "Routing" item, then its words beside it, up to the null SRE.
    for (;;) {
      if (end - at < 4) return short(at, 'routing entry');
      const family = u16(b, at);
      const len = b[at + 3];
      fields.push(
        labelField('gre.routing', 'Routing', at, 4 + len, { text: 'Routing' }),
        uintDec('gre.routing.address_family', 'Address Family', family, at, 2),
        uintDec('gre.routing.sre_offset', 'SRE Offset', b[at + 2], at + 2, 1),
        uintDec('gre.routing.src_length', 'SRE Length', len, at + 3, 1),
      );
      at += 4;
      if (family === 0 && len === 0) break;
      if (end - at < len) return short(at, 'routing information');
      if (len > 0) fields.push(bytesField('gre.routing.information', 'Routing Information', b, at, len));
      at += len;
    }
  }
  node.length = at - off;
  if (pppGre && proto === 0x880b && at < end) return [node, ...pppNodes(b, at, end)];
  if (at >= end || protoName !== undefined) return [node];
  return [node, dataNode(b, at, end - at)];
}
