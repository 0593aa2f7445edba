// IPv4 as Wireshark 4.0 shows it (the `ip` protocol): header fields with their bit pictures, the
// checksum verdict, the hidden address fields (ip.addr, ip.src_host, ip.dst_host, ip.host), the
// options subtree, fragment reassembly on the completing frame, and the summary columns.

import { type Ipv4, ipProtocolKind, isFragment } from '../../wire/ipv4.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, formatIpv4, hex, ipv4Field, type ProtoNode, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { reportedEnd } from './eth-trailer.ts';
import { optionsTree, sourceRouteTarget } from './ip-options-fields.ts';
import { fragmentsTree, pushFragment } from './ip-reassembly.ts';
import { bitPattern, FieldList } from './link-fields.ts';
import { dscpLong, dscpShort, ecnLong, ecnShort, ipProtoName } from './link-names.ts';

const FLAG_NAMES: readonly [number, string][] = [
  [4, 'Reserved bit'],
  [2, "Don't fragment"],
  [1, 'More fragments'],
];

/** The DS field and its DSCP / ECN children (shared with nothing else: IPv6 has its own widths). */
function dsField(b: number, at: number): Field {
  const dscp = b >>> 2;
  const ecn = b & 3;
  return uintHex('ip.dsfield', 'Differentiated Services Field', b, 2, at, 1, {
    text: `Differentiated Services Field: ${hex(b, 2)} (DSCP: ${dscpShort(dscp)}, ECN: ${ecnShort(ecn)})`,
    children: [
      uintDec('ip.dsfield.dscp', 'Differentiated Services Codepoint', dscp, at, 1, {
        text: `${bitPattern(b, 0xfc, 8)} = Differentiated Services Codepoint: ${dscpLong(dscp)} (${dscp})`,
      }),
      uintDec('ip.dsfield.ecn', 'Explicit Congestion Notification', ecn, at, 1, {
        text: `${bitPattern(b, 0x03, 8)} = Explicit Congestion Notification: ${ecnLong(ecn)} (${ecn})`,
      }),
    ],
  });
}

/** Address fields with their hidden companions, as Wireshark adds them. */
function addressFields(which: 'src' | 'dst', frame: Uint8Array, at: number, text: string): Field[] {
  const a = formatIpv4(frame, at);
  return [
    ipv4Field(`ip.${which}`, which === 'src' ? 'Source Address' : 'Destination Address', frame, at, { text }),
    ipv4Field('ip.addr', 'Source or Destination Address', frame, at, { hidden: true }),
    stringField(`ip.${which}_host`, which === 'src' ? 'Source Host' : 'Destination Host', a, at, 4, { hidden: true }),
    stringField('ip.host', 'Source or Destination Host', a, at, 4, { hidden: true }),
  ];
}

/** Expected TTL of a packet to the Local Network Control Block (224.0.0.0/24), or undefined for any. */
function lncbTtl(dst: Uint8Array): number | undefined {
  if (dst[3] === 251 || dst[3] === 18) return 255; // mDNS, VRRP
  if (dst[3] === 252) return undefined; // LLMNR: any
  return 1;
}

function ttlExpert(ttl: number, dst: Uint8Array, proto: number, at: number): Field | undefined {
  const lncb = dst[0] === 224 && dst[1] === 0 && dst[2] === 0;
  if (lncb) {
    const want = lncbTtl(dst);
    if (want !== undefined && ttl !== want) {
      return expertField(
        'ip.ttl.lncb',
        `"Time To Live" != ${want} for a packet sent to the Local Network Control Block (see RFC 3171)`,
        'Note',
        'Sequence',
        at,
        1,
      );
    }
    return undefined;
  }
  // Wireshark's rule: a low TTL is worth a note unless multicast, PIM (103) or OSPF (89), also in an ICMP error.
  const multicast = dst[0] >= 224 && dst[0] <= 239;
  if (!multicast && ttl < 5 && proto !== 103 && proto !== 89) return expertField('ip.ttl.too_small', `"Time To Live" only ${ttl}`, 'Note', 'Sequence', at, 1);
  return undefined;
}

/** True when the field is captured (see FieldList.fits) and the output reads it (state.wants). */
function wanted(list: FieldList, ctx: DissectContext, prefix: string, at: number, length: number): boolean {
  // Fields no output reads are not built, but still count for where the tree stops.
  return list.fits(at, length) && ctx.state.wants(prefix);
}

export function mapIpv4(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const ip = layer.value as Ipv4;
  const frame = ctx.frame;
  const o = layer.offset;
  const list = new FieldList(frame.length);
  // Problems Wireshark reports as expert items only (bogus version, header length or total length, an
  // option running past the options) are not "[Malformed Packet]" there: they stay off the node's list.
  let shown = layer.malformed.length === 0 ? layer.malformed : layer.malformed.filter((m) => !m.reason.startsWith('IPv4 option'));
  const node = (label: string, columns: ProtoNode['columns']): ProtoNode[] => [
    { proto: 'ip', label, offset: o, length: layer.length, fields: list.fields, malformed: shown, columns },
  ];
  const plain = 'Internet Protocol Version 4';
  const b0 = frame[o];
  if (o >= frame.length) return node(plain, { protocol: 'IPv4' });

  if (ip.version !== 4) {
    shown = [];
    // Inside an IP tunnel the version was sniffed (Wireshark's `ip`); after an EtherType it was IPv4.
    const prev = ctx.layers[ctx.index - 1]?.kind;
    const tunnelled = prev === 'ipv4' || prev === 'ipv6' || prev?.startsWith('ipv6-');
    const msg = tunnelled ? 'Bogus IP version' : 'Bogus IPv4 version';
    list.add(o, 1, () =>
      uintDec('ip.version', 'Version', ip.version, o, 1, {
        text: `${bitPattern(b0, 0xf0, 8)} = Version: ${ip.version}`,
        children: [expertField('ip.bogus_ip_version', msg, 'Error', 'Protocol', o, 1)],
      }),
    );
    if (tunnelled) return node(`Internet Protocol, bogus version (${ip.version})`, {});
    return node(plain, { protocol: 'IPv4', info: `Bogus IPv4 version (${ip.version}, must be 4)` });
  }
  if (wanted(list, ctx, 'ip.version', o, 1)) list.fields.push(uintDec('ip.version', 'Version', 4, o, 1, { text: `${bitPattern(b0, 0xf0, 8)} = Version: 4` }));
  const hl = ip.ihl * 4;
  if (hl < 20) {
    shown = [];
    const msg = `Bogus IP header length (${hl}, must be at least 20)`;
    list.add(o, 1, () =>
      uintDec('ip.hdr_len', 'Header Length', hl, o, 1, {
        text: `${bitPattern(b0, 0x0f, 8)} = Header Length: ${hl} bytes (${ip.ihl})`,
        children: [expertField('ip.bogus_header_length', msg, 'Error', 'Protocol', o, 1)],
      }),
    );
    return node(plain, { protocol: 'IPv4', info: msg });
  }
  if (wanted(list, ctx, 'ip.hdr_len', o, 1)) {
    list.fields.push(uintDec('ip.hdr_len', 'Header Length', hl, o, 1, { text: `${bitPattern(b0, 0x0f, 8)} = Header Length: ${hl} bytes (${ip.ihl})` }));
  }
  if (wanted(list, ctx, 'ip.dsfield', o + 1, 1)) list.fields.push(dsField(frame[o + 1], o + 1));

  // Total Length: 0 means TSO (use what the frame holds); shorter than the header is bogus.
  let bogusLength: string | undefined;
  if (list.fits(o + 2, 2)) {
    const reported = reportedEnd(ctx, ctx.index) - o;
    if (ip.totalLength === 0) {
      const presumed = Math.max(0, reported);
      list.fields.push(
        uintDec('ip.len', 'Total Length', presumed, o + 2, 2, {
          generated: true,
          text: `[Total Length: ${presumed} bytes (reported as 0, presumed to be because of "TCP segmentation offload" (TSO))]`,
        }),
      );
    } else if (ip.totalLength < hl) {
      bogusLength = `Bogus IP length (${ip.totalLength}, less than header length ${hl})`;
      const children = [expertField('ip.bogus_ip_length', bogusLength, 'Error', 'Protocol', o + 2, 2)];
      list.fields.push(uintDec('ip.len', 'Total Length', ip.totalLength, o + 2, 2, { children }));
    } else if (ip.totalLength > reported && !ctx.inIcmpError) {
      const children = [expertField('ip.bogus_ip_length', `IPv4 total length exceeds packet length (${reported} bytes)`, 'Error', 'Protocol', o + 2, 2)];
      list.fields.push(uintDec('ip.len', 'Total Length', ip.totalLength, o + 2, 2, { children }));
    } else if (ctx.state.wants('ip.len')) {
      list.fields.push(uintDec('ip.len', 'Total Length', ip.totalLength, o + 2, 2));
    }
  }
  if (bogusLength !== undefined) {
    shown = [];
    return node(plain, { protocol: 'IPv4', info: bogusLength });
  }

  if (wanted(list, ctx, 'ip.id', o + 4, 2))
    list.fields.push(uintHex('ip.id', 'Identification', ip.id, 4, o + 4, 2, { text: `Identification: ${hex(ip.id, 4)} (${ip.id})` }));
  const fb = frame[o + 6];
  if (wanted(list, ctx, 'ip.flags', o + 6, 1)) {
    const set = FLAG_NAMES.filter(([bit]) => (ip.flags & bit) !== 0).map(([, n]) => n);
    list.fields.push(
      rawField('ip.flags', 'Flags', 'uint', ip.flags, hex(ip.flags, 2), o + 6, 1, {
        text: `${bitPattern(fb, 0xe0, 8)} = Flags: 0x${ip.flags.toString(16)}${set.length > 0 ? ', ' + set.join(', ') : ''}`,
        children: [
          bool('ip.flags.rb', 'Reserved bit', ip.reserved, o + 6, 1, { text: `${bitPattern(fb, 0x80, 8)} = Reserved bit: ${ip.reserved ? 'Set' : 'Not set'}` }),
          bool('ip.flags.df', "Don't fragment", ip.df, o + 6, 1, { text: `${bitPattern(fb, 0x40, 8)} = Don't fragment: ${ip.df ? 'Set' : 'Not set'}` }),
          bool('ip.flags.mf', 'More fragments', ip.mf, o + 6, 1, { text: `${bitPattern(fb, 0x20, 8)} = More fragments: ${ip.mf ? 'Set' : 'Not set'}` }),
        ],
      }),
    );
  }
  if (wanted(list, ctx, 'ip.frag_offset', o + 6, 2)) {
    const ff = (frame[o + 6] << 8) | frame[o + 7];
    list.fields.push(
      uintDec('ip.frag_offset', 'Fragment Offset', ip.fragmentOffset, o + 6, 2, {
        text: `${bitPattern(ff, 0x1fff, 16)} = Fragment Offset: ${ip.fragmentOffset * 8}`,
      }),
    );
  }
  if (wanted(list, ctx, 'ip.ttl', o + 8, 1)) {
    const dstBytes = frame.slice(o + 16, o + 20);
    const expert = dstBytes.length === 4 ? ttlExpert(ip.ttl, dstBytes, ip.protocol, o + 8) : undefined;
    list.fields.push(uintDec('ip.ttl', 'Time to Live', ip.ttl, o + 8, 1, expert ? { children: [expert] } : undefined));
  }
  if (wanted(list, ctx, 'ip.proto', o + 9, 1)) {
    list.fields.push(uintDec('ip.proto', 'Protocol', ip.protocol, o + 9, 1, { text: `Protocol: ${ipProtoName(ip.protocol)} (${ip.protocol})` }));
  }
  if (list.fits(o + 10, 2) && ctx.state.wants('ip.checksum')) list.push(...checksumFields(ip, o));
  const wantSrc = wantAddress(ctx, 'src');
  if (list.fits(o + 12, 4) && wantSrc) list.push(...addressFields('src', frame, o + 12, `Source Address: ${formatIpv4(frame, o + 12)}`));

  // A live source route: the header's destination is the current hop, the route's last address is
  // the destination.
  const route = hl > 20 && list.fits(o + 12, 8) && o + hl <= frame.length ? sourceRouteTarget(ip) : undefined;
  if (list.fits(o + 16, 4)) {
    if (route === undefined) {
      if (wantAddress(ctx, 'dst')) list.push(...addressFields('dst', frame, o + 16, `Destination Address: ${formatIpv4(frame, o + 16)}`));
    } else {
      list.push(
        ipv4Field('ip.cur_rt', 'Current Route', frame, o + 16, { text: `Current Route: ${formatIpv4(frame, o + 16)}` }),
        stringField('ip.cur_rt_host', 'Current Route Host', formatIpv4(frame, o + 16), o + 16, 4, { hidden: true }),
      );
    }
  }
  if (hl > 20 && list.fits(o + 20, hl - 20)) {
    list.push(optionsTree(ip, o, frame, (at) => addressFields('dst', frame, at, `Destination Address: ${formatIpv4(frame, at)}`)));
  }
  if (list.cut) return node(plain, { protocol: 'IPv4' });

  const src = formatIpv4(frame, o + 12);
  const dst = route !== undefined ? formatIpv4(route.address) : formatIpv4(frame, o + 16);
  const label = ctx.state.labels
    ? `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}${route !== undefined ? `, Via: ${formatIpv4(frame, o + 16)}` : ''}`
    : '';
  const columns: NonNullable<ProtoNode['columns']> = { src, dst, protocol: 'IPv4' };
  if (isFragment(ip)) {
    columns.info = `Fragmented IP protocol (proto=${ipProtoName(ip.protocol)} ${ip.protocol}, off=${ip.fragmentOffset * 8}, ID=${ip.id.toString(16).padStart(4, '0')})`;
    const end = layer.payloadEnd ?? o + hl;
    const whole = o + ip.totalLength <= frame.length && ip.totalLength > hl;
    // Wireshark reassembles only fragments it holds whole and whose header checksum is not bad.
    if (!ctx.inIcmpError && whole && ip.checksumStatus !== 'bad') {
      const r = pushFragment(ctx, {
        version: 4,
        src: ip.src,
        dst: ip.dst,
        protocol: ip.protocol,
        id: ip.id,
        offsetBytes: ip.fragmentOffset * 8,
        more: ip.mf,
        payload: frame.subarray(o + hl, end),
      });
      if (r.status === 'complete') list.fields.push(fragmentsTree(4, r.payload, r.fragments));
    }
  } else if (ipProtocolKind(ip.protocol) === null) {
    columns.info = `${ipProtoName(ip.protocol)} (${ip.protocol})`;
  }
  return node(label, columns);
}

function wantAddress(ctx: DissectContext, which: 'src' | 'dst'): boolean {
  const state = ctx.state;
  return state.wants(which === 'src' ? 'ip.src' : 'ip.dst') || state.wants('ip.addr') || state.wants('ip.host');
}

/** ip.checksum with its status (and the calculated value when it was verified). */
function checksumFields(ip: Ipv4, o: number): Field[] {
  const ck = hex(ip.checksum, 4);
  if (ip.checksumStatus === 'unverified') {
    return [
      uintHex('ip.checksum', 'Header Checksum', ip.checksum, 4, o + 10, 2, { text: `Header Checksum: ${ck} [validation disabled]` }),
      uintDec('ip.checksum.status', 'Header checksum status', 2, o + 10, 0, { generated: true, text: '[Header checksum status: Unverified]' }),
    ];
  }
  const good = ip.checksumStatus === 'good';
  const calc = hex(ip.checksumComputed ?? 0, 4);
  return [
    uintHex('ip.checksum', 'Header Checksum', ip.checksum, 4, o + 10, 2, {
      text: good ? `Header Checksum: ${ck} [correct]` : `Header Checksum: ${ck} incorrect, should be ${calc}(may be caused by "IP checksum offload"?)`,
      children: good ? undefined : [expertField('ip.checksum_bad.expert', `Bad checksum [should be ${calc}]`, 'Error', 'Checksum', o + 10, 2)],
    }),
    uintDec('ip.checksum.status', 'Header checksum status', good ? 1 : 0, o + 10, 0, {
      generated: true,
      text: `[Header checksum status: ${good ? 'Good' : 'Bad'}]`,
    }),
    uintHex('ip.checksum_calculated', 'Calculated Checksum', ip.checksumComputed ?? 0, 4, o + 10, 2, {
      generated: true,
      text: `[Calculated Checksum: ${calc}]`,
    }),
  ];
}
