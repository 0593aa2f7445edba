// IPv6 as Wireshark 4.0 shows it: the fixed header with its bit pictures, the hidden address fields
// (ipv6.addr, ipv6.src_host, ipv6.dst_host, ipv6.host and ip.version), the SLAAC MAC an address
// embeds, the extension headers' subtrees (see ipv6-ext-fields.ts), fragment reassembly, columns.
// Other embedded-address analyses (6to4, Teredo, ISATAP) are not emitted.

import type { Ipv6 } from '../../wire/ipv6.ts';
import type { Ipv6Fragment } from '../../wire/ipv6-ext.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { type Field, formatIpv6, formatMac, hex, ipv6Field, type ProtoNode, rawField, stringField, uintDec } from '../field.ts';
import { extSubtree, IPV6_EXT_PROTOS } from './ipv6-ext-fields.ts';
import { fragmentsTree, pushFragment } from './ip-reassembly.ts';
import { bitPattern, FieldList } from './link-fields.ts';
import { macWithName } from './mac-names.ts';
import { dscpLong, dscpShort, ecnLong, ecnShort, ipProtoName } from './link-names.ts';

function addressFields(which: 'src' | 'dst', frame: Uint8Array, at: number): Field[] {
  const a = formatIpv6(frame, at);
  return [
    ipv6Field(`ipv6.${which}`, which === 'src' ? 'Source Address' : 'Destination Address', frame, at),
    ipv6Field('ipv6.addr', 'Source or Destination Address', frame, at, { hidden: true }),
    stringField(`ipv6.${which}_host`, which === 'src' ? 'Source Host' : 'Destination Host', a, at, 16, { hidden: true }),
    stringField('ipv6.host', 'Source or Destination Host', a, at, 16, { hidden: true }),
  ];
}

/**
 * The MAC a modified EUI-64 interface identifier (xx:xx:xx:ff:fe:xx:xx:xx) was made from. Like
 * Wireshark, only when the identifier's universal/local bit is set (it came from a universal MAC).
 */
function slaacFields(which: 'src' | 'dst', frame: Uint8Array, at: number): Field[] {
  if (frame[at + 11] !== 0xff || frame[at + 12] !== 0xfe || (frame[at + 8] & 0x02) === 0) return [];
  const mac = Uint8Array.of(frame[at + 8] ^ 0x02, frame[at + 9], frame[at + 10], frame[at + 13], frame[at + 14], frame[at + 15]);
  const m = formatMac(mac);
  const label = which === 'src' ? 'Source SLAAC MAC' : 'Destination SLAAC MAC';
  return [
    rawField(`ipv6.${which}_slaac_mac`, label, 'ether', mac, m, at + 8, 8, { generated: true, text: `[${label}: ${macWithName(mac)}]` }),
    rawField('ipv6.slaac_mac', 'SLAAC MAC', 'ether', mac, m, at + 8, 8, { generated: true, hidden: true }),
  ];
}

export function mapIpv6(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const ip = layer.value as Ipv6;
  const frame = ctx.frame;
  const o = layer.offset;
  const list = new FieldList(frame.length);
  const plain = 'Internet Protocol Version 6';
  const b0 = frame[o];
  const word = o + 4 <= frame.length ? ((frame[o] << 24) | (frame[o + 1] << 16) | (frame[o + 2] << 8) | frame[o + 3]) >>> 0 : 0;
  const versionText = `${bitPattern(b0 ?? 0, 0xf0, 8)} = Version: ${ip.version}`;
  list.add(o, 1, () => uintDec('ipv6.version', 'Version', ip.version, o, 1, { text: versionText }));
  list.add(o, 1, () =>
    uintDec('ip.version', 'Version', ip.version, o, 1, {
      hidden: true,
      text: `${versionText} [This field makes the filter match on "ip.version == 6" possible]`,
    }),
  );
  if (ip.version !== 6) {
    const bogus = list.fields[0];
    if (bogus !== undefined) bogus.children = [expertField('ipv6.bogus_ipv6_version', 'Bogus IPv6 version', 'Error', 'Malformed', o, 1)];
    // Wireshark reports a bogus version as an expert item, not as "[Malformed Packet]".
    return [{ proto: 'ipv6', label: plain, offset: o, length: layer.length, fields: list.fields, malformed: [], columns: { protocol: 'IPv6' } }];
  }
  const avail = frame.length - o;
  let info: string | undefined;
  if (avail < 40 && !list.cut) {
    info = `Invalid IPv6 header (${avail} bytes, need exactly 40)`;
    list.push(expertField('ipv6.invalid_header', 'IPv6 header must be exactly 40 bytes', 'Error', 'Malformed', o, avail));
  }
  const tc = ip.trafficClass;
  list.add(o, 4, () =>
    rawField('ipv6.tclass', 'Traffic Class', 'uint', tc, hex(tc, 8), o, 2, {
      text: `${bitPattern(word, 0x0ff00000, 32)} = Traffic Class: ${hex(tc, 2)} (DSCP: ${dscpShort(ip.dscp)}, ECN: ${ecnShort(ip.ecn)})`,
      children: [
        uintDec('ipv6.tclass.dscp', 'Differentiated Services Codepoint', ip.dscp, o, 2, {
          text: `${bitPattern(word, 0x0fc00000, 32)} = Differentiated Services Codepoint: ${dscpLong(ip.dscp)} (${ip.dscp})`,
        }),
        uintDec('ipv6.tclass.ecn', 'Explicit Congestion Notification', ip.ecn, o, 2, {
          text: `${bitPattern(word, 0x00300000, 32)} = Explicit Congestion Notification: ${ecnLong(ip.ecn)} (${ip.ecn})`,
        }),
      ],
    }),
  );
  list.add(o + 1, 3, () =>
    rawField('ipv6.flow', 'Flow Label', 'uint', ip.flowLabel, hex(ip.flowLabel, 6), o + 1, 3, {
      text: `${bitPattern(word & 0xffffff, 0x0fffff, 24)} = Flow Label: 0x${ip.flowLabel.toString(16).padStart(5, '0')}`,
    }),
  );
  list.add(o + 4, 2, () => uintDec('ipv6.plen', 'Payload Length', ip.payloadLength, o + 4, 2));
  list.add(o + 6, 1, () =>
    uintDec('ipv6.nxt', 'Next Header', ip.nextHeader, o + 6, 1, { text: `Next Header: ${ipProtoName(ip.nextHeader)} (${ip.nextHeader})` }),
  );
  list.add(o + 7, 1, () => uintDec('ipv6.hlim', 'Hop Limit', ip.hopLimit, o + 7, 1));
  if (list.fits(o + 8, 16)) list.push(...addressFields('src', frame, o + 8));
  if (list.fits(o + 24, 16)) list.push(...addressFields('dst', frame, o + 24));
  if (list.cut)
    return [
      { proto: 'ipv6', label: plain, offset: o, length: layer.length, fields: list.fields, malformed: layer.malformed, columns: { protocol: 'IPv6', info } },
    ];
  list.push(...slaacFields('src', frame, o + 8), ...slaacFields('dst', frame, o + 24));

  const src = formatIpv6(frame, o + 8);
  const dst = formatIpv6(frame, o + 24);
  const columns: NonNullable<ProtoNode['columns']> = { src, dst, protocol: 'IPv6' };
  // The extension headers that follow this header, each shown as a subtree here.
  let fragment: DecodedLayer | undefined;
  for (let i = ctx.index + 1; i < ctx.layers.length && IPV6_EXT_PROTOS[ctx.layers[i].kind] !== undefined; i++) {
    const ext = ctx.layers[i];
    const sub = extSubtree(ext, frame);
    if (sub === undefined) break;
    list.push(sub);
    // A type 0 routing header with segments left: the packet is on its way to the last address.
    const r = ext.value as { routingType?: number; segmentsLeft?: number; addresses?: Uint8Array[] };
    if (ext.kind === 'ipv6-routing' && r.routingType === 0 && (r.segmentsLeft ?? 0) > 0 && r.addresses !== undefined && r.addresses.length > 0) {
      columns.dst = formatIpv6(r.addresses[r.addresses.length - 1]);
    }
    if (ext.kind === 'ipv6-fragment') {
      fragment = ext;
      break;
    }
  }
  if (fragment !== undefined) {
    const f = fragment.value as Ipv6Fragment;
    if (f.fragmentOffset > 0 || f.more) {
      columns.info = `IPv6 fragment (off=${f.fragmentOffset * 8} more=${f.more ? 'y' : 'n'} ident=${hex(f.id, 8)} nxt=${f.nextHeader})`;
      const start = fragment.offset + fragment.length;
      const end = o + 40 + ip.payloadLength;
      if (!ctx.inIcmpError && ip.payloadLength > 0 && end <= frame.length && end > start) {
        const r = pushFragment(ctx, {
          version: 6,
          src: ip.src,
          dst: ip.dst,
          protocol: f.nextHeader,
          id: f.id,
          offsetBytes: f.fragmentOffset * 8,
          more: f.more,
          payload: frame.subarray(start, end),
        });
        if (r.status === 'complete') list.push(fragmentsTree(6, r.payload, r.fragments));
      }
    }
  }
  return [
    { proto: 'ipv6', label: `${plain}, Src: ${src}, Dst: ${dst}`, offset: o, length: layer.length, fields: list.fields, malformed: layer.malformed, columns },
  ];
}
