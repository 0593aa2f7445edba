// The `icmpv6` protocol as Wireshark 4.0 shows it: type and code names, checksum, errors with the
// quoted packet, echo with request/reply matching, Neighbor Discovery (RS, RA, NS, NA, redirect)
// with its options, and MLD (v1 query/report/done, v2 query and report records).

import type { Icmpv6 } from '../../wire/icmpv6.ts';
import type { NdOption } from '../../wire/icmpv6-options.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import {
  bool,
  bytesField,
  type Field,
  formatIpv6,
  formatMac,
  hex,
  ipv6Field,
  type ProtoNode,
  rawField,
  stringField,
  uintDec,
  uintHex,
  formatBytesHex,
} from '../field.ts';
import { nsDelta, type NsTime } from '../frame-fields.ts';
import { formatDouble } from './icmp-time.ts';
import { bitPattern, noneField } from './link-fields.ts';
import { macName } from './mac-names.ts';
import { checksumStatusField, enclosingIpOf, expectedChecksum, packetTime } from './udp.ts';

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  100: 'Private experimentation',
  101: 'Private experimentation',
  127: 'Reserved for expansion of ICMPv6 error messages',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  132: 'Multicast Listener Done',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  138: 'Router Renumbering',
  139: 'Node Information Query',
  140: 'Node Information Reply',
  141: 'Inverse Neighbor Discovery Solicitation',
  142: 'Inverse Neighbor Discovery Advertisement',
  143: 'Multicast Listener Report Message v2',
  144: 'Home Agent Address Discovery Request',
  145: 'Home Agent Address Discovery Reply',
  146: 'Mobile Prefix Solicitation',
  147: 'Mobile Prefix Advertisement',
  148: 'Certification Path Solicitation',
  149: 'Certification Path Advertisement',
  150: 'Experimental Mobility',
  151: 'Multicast Router Advertisement',
  152: 'Multicast Router Solicitation',
  153: 'Multicast Router Termination',
  154: 'FMIPv6',
  155: 'RPL Control',
  156: 'Locator Update',
  157: 'Duplicate Address Request',
  158: 'Duplicate Address Confirmation',
  159: 'MPL Control Message',
  160: 'Extended Echo request',
  161: 'Extended Echo reply',
  200: 'Private experimentation',
  201: 'Private experimentation',
  255: 'Reserved for expansion of ICMPv6 informational messages',
};

/** Wireshark's name for an ICMPv6 type. */
export function icmpv6TypeName(type: number): string {
  return TYPE_NAMES[type] ?? 'Unknown';
}

/** Wireshark's name for a code of the error types, or undefined where codes have no names. */
export function icmpv6CodeName(type: number, code: number): string | undefined {
  switch (type) {
    case 1:
      return (
        [
          'no route to destination',
          'Administratively prohibited',
          'Beyond scope of source address',
          'Address unreachable',
          'Port unreachable',
          'Source address failed ingress/egress policy',
          'Reject route to destination',
          'Error in Source Routing Header',
        ][code] ?? 'Unknown'
      );
    case 3:
      return ['hop limit exceeded in transit', 'fragment reassembly time exceeded'][code] ?? `Unknown (${code})`;
    case 4:
      return (
        [
          'erroneous header field encountered',
          'unrecognized Next Header type encountered',
          'unrecognized IPv6 option encountered',
          'IPv6 First Fragment has incomplete IPv6 Header Chain',
        ][code] ?? `Unknown (${code})`
      );
    default:
      return undefined;
  }
}

const OPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'Source link-layer address',
  2: 'Target link-layer address',
  3: 'Prefix information',
  4: 'Redirected header',
  5: 'MTU',
  6: 'NBMA Shortcut Limit Option',
  7: 'Advertisement Interval',
  8: 'Home Agent Information',
  9: 'Source Address List',
  10: 'Target Address List',
  11: 'CGA',
  12: 'RSA Signature',
  13: 'Timestamp',
  14: 'Nonce',
  15: 'Trust Anchor',
  16: 'Certificate',
  17: 'IP Address/Prefix Option',
  18: 'New Router Prefix Information',
  19: 'Link-layer Address',
  20: 'Neighbor Advertisement Acknowledgment',
  23: 'MAP',
  24: 'Route Information',
  25: 'Recursive DNS Server',
  26: 'RA Flags Extension',
  27: 'Handover Key Request',
  28: 'Handover Key Reply',
  29: 'Handover Assist Information',
  30: 'Mobile Node Identifier Option',
  31: 'DNS Search List Option',
  32: 'Proxy Signature (PS)',
  33: 'Address Registration Option',
  34: '6LoWPAN Context Option',
  35: 'Authoritative Border Router',
  36: '6LoWPAN Capability Indication Option',
  37: 'DHCP Captive-Portal',
  38: 'PREF64 Option',
  138: 'CARD Request',
  139: 'CARD Reply',
  253: 'RFC3692-style Experiment 1',
  254: 'RFC3692-style Experiment 2',
};

const MLDR_RECORD_TYPES: Readonly<Record<number, string>> = {
  1: 'Include',
  2: 'Exclude',
  3: 'Changed to include',
  4: 'Changed to exclude',
  5: 'Allow new sources',
  6: 'Block old sources',
};

const PRF_NAMES = ['Medium', 'High', 'Reserved', 'Low'];

interface EchoTransaction {
  requestFrame: number;
  requestTime: NsTime;
  responseFrame: number;
}

interface Icmpv6State {
  unmatched: Map<string, EchoTransaction>;
}

function pairKey(a: Uint8Array, b: Uint8Array): string {
  const x = formatBytesHex(a);
  const y = formatBytesHex(b);
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

/** A 16-bit one's-complement sum, folded. */
function fold(n: number): number {
  while (n > 0xffff) n = (n & 0xffff) + (n >>> 16);
  return n;
}

/** Lifetime text: 0xffffffff is "Infinity". */
function lifetime(v: number): string {
  return v === 0xffffffff ? `Infinity (${v})` : String(v);
}

/** The icmpv6 mapper. */
export function mapIcmpv6(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Icmpv6;
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.payloadEnd ?? b.length, b.length);
  const avail = end - off;
  const fields: Field[] = [];
  const typeName = icmpv6TypeName(v.type);
  const codeName = icmpv6CodeName(v.type, v.code);
  let info = typeName + (codeName !== undefined ? ` (${codeName})` : '');
  const node: ProtoNode = {
    proto: 'icmpv6',
    label: 'Internet Control Message Protocol v6',
    offset: off,
    length: Math.max(end - off, 0),
    fields,
    malformed: layer.malformed,
  };
  const finish = (): ProtoNode[] => {
    node.columns = { protocol: 'ICMPv6', info };
    return [node];
  };
  if (avail < 1) return finish();
  fields.push(uintDec('icmpv6.type', 'Type', v.type, off, 1, { text: `Type: ${typeName} (${v.type})` }));
  if (avail < 2) return finish();
  fields.push(uintDec('icmpv6.code', 'Code', v.code, off + 1, 1, { text: codeName !== undefined ? `Code: ${v.code} (${codeName})` : undefined }));
  if (avail < 4) return finish();
  fields.push(...checksumFields(v, off + 2, ctx.inIcmpError));
  const ip = enclosingIpOf(ctx);
  const reserved = (at: number, n: number): Field =>
    rawField('icmpv6.reserved', 'Reserved', 'bytes', b.slice(off + at, off + at + n), formatBytesHex(b.subarray(off + at, off + at + n)), off + at, n);
  switch (v.type) {
    case 1:
    case 3:
      if (avail >= 8) fields.push(reserved(4, 4));
      break;
    case 2:
      if (avail >= 8) fields.push(uintDec('icmpv6.mtu', 'MTU', v.mtu ?? 0, off + 4, 4));
      break;
    case 4:
      if (avail >= 8) fields.push(uintDec('icmpv6.pointer', 'Pointer', v.pointer ?? 0, off + 4, 4));
      break;
    case 128:
    case 129:
      if (avail >= 8) info += echoFields(v, ctx, fields, ip);
      break;
    case 130:
    case 131:
    case 132:
      if (avail >= 24) mldFields(v, off, b, avail, fields, reserved);
      break;
    case 143:
      if (avail >= 8) fields.push(...mldv2ReportFields(v, off, b, reserved));
      break;
    case 133:
      if (avail >= 8) fields.push(reserved(4, 4));
      break;
    case 134:
      if (avail >= 16) fields.push(...raFields(v, off));
      break;
    case 135:
      if (avail >= 24) {
        fields.push(reserved(4, 4), ipv6Field('icmpv6.nd.ns.target_address', 'Target Address', b, off + 8));
        info += ` for ${formatIpv6(b, off + 8)}`;
      }
      break;
    case 136:
      if (avail >= 24) {
        fields.push(naFlagsField(v.naFlags ?? 0, off + 4), ipv6Field('icmpv6.nd.na.target_address', 'Target Address', b, off + 8));
        const f = v.naFlags ?? 0;
        const names = [f & 0x80000000 ? 'rtr' : '', f & 0x40000000 ? 'sol' : '', f & 0x20000000 ? 'ovr' : ''].filter(Boolean);
        info += ` ${formatIpv6(b, off + 8)} (${names.length ? names.join(', ') : 'none'})`;
      }
      break;
    case 137:
      if (avail >= 40)
        fields.push(
          reserved(4, 4),
          ipv6Field('icmpv6.nd.rd.target_address', 'Target Address', b, off + 8),
          ipv6Field('icmpv6.rd.na.destination_address', 'Destination Address', b, off + 24),
        );
      break;
    default:
      break;
  }
  if (v.ndOptions !== undefined) {
    const opts = optionFields(v.ndOptions, b);
    fields.push(...opts.fields);
    const src = v.ndOptions.find((o) => o.kind === 'source-link-addr');
    const tgt = v.ndOptions.find((o) => o.kind === 'target-link-addr');
    if ((v.type === 133 || v.type === 134 || v.type === 135) && src !== undefined && src.kind === 'source-link-addr' && src.address.length === 6)
      info += ` from ${formatMac(src.address)}`;
    if (v.type === 136 && tgt !== undefined && tgt.kind === 'target-link-addr' && tgt.address.length === 6) info += ` is at ${formatMac(tgt.address)}`;
  }
  return finish();
}

function checksumFields(v: Icmpv6, at: number, inError: boolean): Field[] {
  const value = hex(v.checksum, 4);
  if (v.checksumStatus === 'good') {
    return [
      uintHex('icmpv6.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [correct]` }),
      checksumStatusField('icmpv6.checksum.status', 1, at),
    ];
  }
  if (v.checksumStatus === 'bad') {
    const should = hex(expectedChecksum(v.checksum, v.checksumComputed ?? 0), 4);
    return [
      uintHex('icmpv6.checksum', 'Checksum', v.checksum, 4, at, 2, {
        text: `Checksum: ${value} incorrect, should be ${should}`,
        children: [expertField('icmpv6.checksum_bad.expert', `Bad checksum [should be ${should}]`, 'Warning', 'Checksum', at, 2)],
      }),
      checksumStatusField('icmpv6.checksum.status', 0, at),
    ];
  }
  const why = inError ? ' [in ICMP error packet]' : '';
  return [
    uintHex('icmpv6.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified]${why}` }),
    checksumStatusField('icmpv6.checksum.status', 2, at),
  ];
}

function echoFields(v: Icmpv6, ctx: DissectContext, fields: Field[], ip: ReturnType<typeof enclosingIpOf>): string {
  const off = ctx.layers[ctx.index].offset;
  const id = v.id ?? 0;
  const seq = v.seq ?? 0;
  fields.push(uintHex('icmpv6.echo.identifier', 'Identifier', id, 4, off + 4, 2), uintDec('icmpv6.echo.sequence_number', 'Sequence', seq, off + 6, 2));
  let info = ` id=${hex(id, 4)}, seq=${seq}`;
  if (ip !== undefined && ip.ttl !== undefined) info += `, hop limit=${ip.ttl}`;
  if (ctx.inIcmpError || ip === undefined) return info;
  const state = ctx.state.slot<Icmpv6State>('icmpv6', () => ({ unmatched: new Map() }));
  const now = packetTime(ctx);
  const pair = pairKey(ip.src, ip.dst);
  if (v.type === 128) {
    // The checksum the reply will carry: only the type differs (128 -> 129, +0x0100 in the sum).
    const replySum = ~fold((~v.checksum & 0xffff) + 0x0100) & 0xffff;
    state.unmatched.set(`${pair}|${replySum}|${id}/${seq}`, { requestFrame: ctx.packet.number, requestTime: now, responseFrame: 0 });
    return info;
  }
  const t = state.unmatched.get(`${pair}|${v.checksum === 0xffff ? 0 : v.checksum}|${id}/${seq}`);
  if (t === undefined || t.responseFrame !== 0) return info;
  t.responseFrame = ctx.packet.number;
  const d = nsDelta(now, t.requestTime);
  const ms = d.secs * 1000 + d.nsecs / 1e6;
  fields.push(
    uintDec('icmpv6.resp_to', 'Response To', t.requestFrame, 0, 0, { generated: true, text: `[Response To: ${t.requestFrame}]` }),
    rawField('icmpv6.resptime', 'Response Time', 'float', ms, formatDouble(ms), 0, 0, { generated: true, text: `[Response Time: ${ms.toFixed(3)} ms]` }),
  );
  return `${info} (request in ${t.requestFrame})`;
}

function mldFields(v: Icmpv6, off: number, b: Uint8Array, avail: number, fields: Field[], reserved: (at: number, n: number) => Field): void {
  const v2 = v.type === 130 && avail >= 28;
  fields.push(
    v2
      ? uintDec('icmpv6.mld.maximum_response_code', 'Maximum Response Code', v.maxResponse ?? 0, off + 4, 2)
      : uintDec('icmpv6.mld.maximum_response_delay', 'Maximum Response Delay [ms]', v.maxResponse ?? 0, off + 4, 2),
    reserved(6, 2),
    ipv6Field('icmpv6.mld.multicast_address', 'Multicast Address', b, off + 8),
  );
  if (!v2) return;
  const f = v.mldFlags ?? 0;
  fields.push(
    uintHex('icmpv6.mld.flag', 'Flags', f, 2, off + 24, 1, {
      children: [
        bool('icmpv6.mld.flag.s', 'Suppress Router-Side Processing', (f & 0x08) !== 0, off + 24, 1, {
          text: `${bitPattern(f, 0x08, 8)} = Suppress Router-Side Processing: ${f & 0x08 ? 'True' : 'False'}`,
        }),
        uintDec('icmpv6.mld.flag.qrv', "QRV (Querier's Robustness Variable)", f & 0x07, off + 24, 1, {
          text: `${bitPattern(f, 0x07, 8)} = QRV (Querier's Robustness Variable): ${f & 0x07}`,
        }),
        uintDec('icmpv6.mld.flag.reserved', 'Reserved', f >> 4, off + 24, 1, { text: `${bitPattern(f, 0xf0, 8)} = Reserved: ${f >> 4}` }),
      ],
    }),
    uintDec('icmpv6.mld.qqi', "QQIC (Querier's Query Interval Code)", v.qqic ?? 0, off + 25, 1),
    uintDec('icmpv6.mld.nb_sources', 'Number of Sources', (b[off + 26] << 8) | b[off + 27], off + 26, 2),
  );
  (v.sources ?? []).forEach((_, i) => fields.push(ipv6Field('icmpv6.mld.source_address', 'Source Address', b, off + 28 + i * 16)));
}

function mldv2ReportFields(v: Icmpv6, off: number, b: Uint8Array, reserved: (at: number, n: number) => Field): Field[] {
  const fields: Field[] = [
    reserved(4, 2),
    uintDec('icmpv6.mldr.nb_mcast_records', 'Number of Multicast Address Records', (b[off + 6] << 8) | b[off + 7], off + 6, 2),
  ];
  for (const r of v.records ?? []) {
    const typeName = MLDR_RECORD_TYPES[r.recordType] ?? 'Unknown';
    const children: Field[] = [
      uintDec('icmpv6.mldr.mar.record_type', 'Record Type', r.recordType, r.offset, 1, { text: `Record Type: ${typeName} (${r.recordType})` }),
      uintDec('icmpv6.mldr.mar.aux_data_len', 'Aux Data Len', r.auxDataLen, r.offset + 1, 1),
      uintDec('icmpv6.mldr.mar.nb_sources', 'Number of Sources', r.numSources, r.offset + 2, 2),
      ipv6Field('icmpv6.mldr.mar.multicast_address', 'Multicast Address', b, r.offset + 4),
    ];
    r.sources.forEach((_, i) => children.push(ipv6Field('icmpv6.mldr.mar.source_address', 'Source Address', b, r.offset + 20 + i * 16)));
    if (r.auxDataLen > 0) {
      const at = r.offset + 20 + r.numSources * 16;
      children.push(bytesField('icmpv6.mldr.mar.auxiliary_data', 'Aux Data', b, at, r.auxDataLen * 4));
    }
    const text = `Multicast Address Record ${typeName}: ${formatIpv6(r.multicastAddress)}`;
    fields.push(rawField('icmpv6.mldr.mar', 'Multicast Address Record', 'none', null, '1', r.offset, r.length, { text, children }));
  }
  return fields;
}

function raFields(v: Icmpv6, off: number): Field[] {
  const f = v.raFlags ?? 0;
  const names = [
    f & 0x80 ? 'Managed address configuration' : '',
    f & 0x40 ? 'Other configuration' : '',
    f & 0x20 ? 'Home Agent' : '',
    f & 0x04 ? 'Proxy' : '',
  ].filter(Boolean);
  const prf = PRF_NAMES[(f >> 3) & 3];
  const flagText = `Flags: ${hex(f, 2)}, ${[...names, `Prf (Default Router Preference): ${prf}`].join(', ')}`;
  const bit = (mask: number, name: string, label: string): Field =>
    bool(name, label, (f & mask) !== 0, off + 5, 1, { text: `${bitPattern(f, mask, 8)} = ${label}: ${f & mask ? 'Set' : 'Not set'}` });
  return [
    uintDec('icmpv6.nd.ra.cur_hop_limit', 'Cur hop limit', v.curHopLimit ?? 0, off + 4, 1),
    uintHex('icmpv6.nd.ra.flag', 'Flags', f, 2, off + 5, 1, {
      text: flagText,
      children: [
        bit(0x80, 'icmpv6.nd.ra.flag.m', 'Managed address configuration'),
        bit(0x40, 'icmpv6.nd.ra.flag.o', 'Other configuration'),
        bit(0x20, 'icmpv6.nd.ra.flag.h', 'Home Agent'),
        uintDec('icmpv6.nd.ra.flag.prf', 'Prf (Default Router Preference)', (f >> 3) & 3, off + 5, 1, {
          text: `${bitPattern(f, 0x18, 8)} = Prf (Default Router Preference): ${prf} (${(f >> 3) & 3})`,
        }),
        bit(0x04, 'icmpv6.nd.ra.flag.p', 'Proxy'),
        uintDec('icmpv6.nd.ra.flag.rsv', 'Reserved', f & 3, off + 5, 1, { text: `${bitPattern(f, 0x03, 8)} = Reserved: ${f & 3}` }),
      ],
    }),
    uintDec('icmpv6.nd.ra.router_lifetime', 'Router lifetime (s)', v.routerLifetime ?? 0, off + 6, 2),
    uintDec('icmpv6.nd.ra.reachable_time', 'Reachable time (ms)', v.reachableTime ?? 0, off + 8, 4),
    uintDec('icmpv6.nd.ra.retrans_timer', 'Retrans timer (ms)', v.retransTimer ?? 0, off + 12, 4),
  ];
}

function naFlagsField(f: number, at: number): Field {
  const names = [f & 0x80000000 ? 'Router' : '', f & 0x40000000 ? 'Solicited' : '', f & 0x20000000 ? 'Override' : ''].filter(Boolean);
  const bit = (mask: number, name: string, label: string): Field =>
    bool(name, label, (f & mask) !== 0, at, 4, { text: `${bitPattern(f >>> 0, mask >>> 0, 32)} = ${label}: ${f & mask ? 'Set' : 'Not set'}` });
  return uintHex('icmpv6.nd.na.flag', 'Flags', f >>> 0, 8, at, 4, {
    text: `Flags: ${hex(f >>> 0, 8)}${names.length ? ', ' + names.join(', ') : ''}`,
    children: [
      bit(0x80000000, 'icmpv6.nd.na.flag.r', 'Router'),
      bit(0x40000000, 'icmpv6.nd.na.flag.s', 'Solicited'),
      bit(0x20000000, 'icmpv6.nd.na.flag.o', 'Override'),
      uintDec('icmpv6.nd.na.flag.rsv', 'Reserved', f & 0x1fffffff, at, 4, { text: `${bitPattern(f >>> 0, 0x1fffffff, 32)} = Reserved: ${f & 0x1fffffff}` }),
    ],
  });
}

function optionFields(options: readonly NdOption[], b: Uint8Array): { fields: Field[] } {
  const fields: Field[] = [];
  for (const o of options) {
    const name = OPTION_NAMES[o.type];
    const children: Field[] = [
      uintDec('icmpv6.opt.type', 'Type', o.type, o.offset, 1, { text: `Type: ${name ?? 'Unknown'} (${o.type})` }),
      uintDec('icmpv6.opt.length', 'Length', o.length, o.offset + 1, 1, { text: `Length: ${o.length} (${o.length * 8} bytes)` }),
    ];
    let summary = name === undefined ? `Unknown ${o.type}` : name;
    const reservedField = (at: number, n: number): Field => noneField('icmpv6.opt.reserved', 'Reserved', at, n, { text: 'Reserved' });
    switch (o.kind) {
      case 'source-link-addr':
      case 'target-link-addr': {
        const at = o.offset + 2;
        const mac = o.address.length === 6 ? formatMac(o.address) : Array.from(o.address, (x) => x.toString(16).padStart(2, '0')).join(':');
        const which = o.kind === 'source-link-addr' ? 'icmpv6.opt.src_linkaddr' : 'icmpv6.opt.target_linkaddr';
        const whichLabel = o.kind === 'source-link-addr' ? 'Source Link-layer address' : 'Target Link-layer address';
        children.push(
          rawField('icmpv6.opt.linkaddr', 'Link-layer address', 'bytes', o.address, mac, at, o.address.length, {
            text: `Link-layer address: ${o.address.length === 6 ? macName(o.address) : mac} (${mac})`,
          }),
          rawField(which, whichLabel, 'bytes', o.address, mac, at, o.address.length, { hidden: true }),
        );
        summary += ` : ${mac}`;
        break;
      }
      case 'prefix-info': {
        const p = o.offset;
        const f = o.flags;
        const fn = [
          f & 0x80 ? 'On-link flag(L)' : '',
          f & 0x40 ? 'Autonomous address-configuration flag(A)' : '',
          f & 0x20 ? 'Router address flag(R)' : '',
        ].filter(Boolean);
        const bit = (mask: number, n: string, label: string): Field =>
          bool(n, label, (f & mask) !== 0, p + 3, 1, { text: `${bitPattern(f, mask, 8)} = ${label}: ${f & mask ? 'Set' : 'Not set'}` });
        children.push(
          uintDec('icmpv6.opt.prefix.length', 'Prefix Length', o.prefixLength, p + 2, 1),
          uintHex('icmpv6.opt.prefix.flag', 'Flag', f, 2, p + 3, 1, {
            text: `Flag: ${hex(f, 2)}${fn.length ? ', ' + fn.join(', ') : ''}`,
            children: [
              bit(0x80, 'icmpv6.opt.prefix.flag.l', 'On-link flag(L)'),
              bit(0x40, 'icmpv6.opt.prefix.flag.a', 'Autonomous address-configuration flag(A)'),
              bit(0x20, 'icmpv6.opt.prefix.flag.r', 'Router address flag(R)'),
              uintDec('icmpv6.opt.prefix.flag.reserved', 'Reserved', f & 0x1f, p + 3, 1, { text: `${bitPattern(f, 0x1f, 8)} = Reserved: ${f & 0x1f}` }),
            ],
          }),
          uintDec('icmpv6.opt.prefix.valid_lifetime', 'Valid Lifetime', o.validLifetime, p + 4, 4, { text: `Valid Lifetime: ${lifetime(o.validLifetime)}` }),
          uintDec('icmpv6.opt.prefix.preferred_lifetime', 'Preferred Lifetime', o.preferredLifetime, p + 8, 4, {
            text: `Preferred Lifetime: ${lifetime(o.preferredLifetime)}`,
          }),
          reservedField(p + 12, 4),
          ipv6Field('icmpv6.opt.prefix', 'Prefix', b, p + 16),
        );
        summary += ` : ${formatIpv6(o.prefix)}/${o.prefixLength}`;
        break;
      }
      case 'mtu':
        children.push(reservedField(o.offset + 2, 2), uintDec('icmpv6.opt.mtu', 'MTU', o.mtu, o.offset + 4, 4));
        summary += ` : ${o.mtu}`;
        break;
      case 'advertisement-interval':
        children.push(reservedField(o.offset + 2, 2), uintDec('icmpv6.opt.advertisement_interval', 'Advertisement Interval', o.interval, o.offset + 4, 4));
        summary += ` : ${o.interval}`;
        break;
      case 'home-agent-info':
        children.push(
          reservedField(o.offset + 2, 2),
          uintDec('icmpv6.opt.home_agent_preference', 'Home Agent Preference', o.preference, o.offset + 4, 2),
          // Wireshark 4.0 labels the lifetime "Home Agent Preference" too.
          uintDec('icmpv6.opt.home_agent_lifetime', 'Home Agent Preference', o.lifetime, o.offset + 6, 2),
        );
        break;
      case 'rdnss':
        children.push(
          reservedField(o.offset + 2, 2),
          uintDec('icmpv6.opt.rdnss.lifetime', 'Lifetime', o.lifetime, o.offset + 4, 4, { text: `Lifetime: ${lifetime(o.lifetime)}` }),
        );
        o.servers.forEach((s, i) => {
          children.push(ipv6Field('icmpv6.opt.rdnss', 'Recursive DNS Servers', b, o.offset + 8 + i * 16));
          summary += ` ${formatIpv6(s)}`;
        });
        break;
      case 'dnssl':
        children.push(
          reservedField(o.offset + 2, 2),
          uintDec('icmpv6.opt.dnssl.lifetime', 'Lifetime', o.lifetime, o.offset + 4, 4, { text: `Lifetime: ${lifetime(o.lifetime)}` }),
        );
        for (const d of o.domains) {
          children.push(stringField('icmpv6.opt.dnssl', 'Domain Names', d.name, d.offset, d.length));
          summary += ` ${d.name}`;
        }
        if (o.paddingLength > 0) children.push(noneField('icmpv6.opt.padding', 'Padding', o.paddingOffset, o.paddingLength, { text: 'Padding' }));
        break;
      case 'raw': {
        // Wireshark notes the undecoded option, then shows the bytes.
        children.push(
          expertField(
            'icmpv6.undecoded.option',
            `Dissector for ICMPv6 Option (${o.type}) code not implemented, Contact Wireshark developers if you want this supported`,
            'Note',
            'Undecoded',
            o.offset,
            o.length * 8,
          ),
          rawField('icmpv6.data', 'Data', 'bytes', o.data, formatBytesHex(o.data), o.offset + 2, o.data.length),
        );
        break;
      }
    }
    fields.push(rawField('icmpv6.opt', 'ICMPv6 Option', 'none', null, '1', o.offset, o.length * 8, { text: `ICMPv6 Option (${summary})`, children }));
  }
  return { fields };
}
