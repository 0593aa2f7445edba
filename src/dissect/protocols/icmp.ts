// The `icmp` protocol as Wireshark 4.0 shows it: type and code with their names, checksum, the
// second word by type (identifiers, unused/length/MTU, pointer, gateway), timestamps, address mask,
// router advertisement entries, echo request/reply matching (`icmp.resp_to`, `icmp.resptime`) and
// the timestamp Wireshark finds at the start of echo data (`icmp.data_time`).

import type { Icmp, IcmpExtension, IcmpMobileExtension } from '../../wire/icmp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { expertField } from '../expert.ts';
import { bool, bytesField, type Field, hex, ipv4Field, type ProtoNode, rawField, uintDec, uintHex, formatBytesHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';
import { formatAbsTime, formatRelTime, type NsTime, nsDelta } from '../frame-fields.ts';
import { checksumStatusField, enclosingIpOf, expectedChecksum, packetTime } from './udp.ts';

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Echo (ping) reply',
  1: 'Reserved',
  2: 'Reserved',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  6: 'Alternate host address',
  8: 'Echo (ping) request',
  9: 'Router advertisement',
  10: 'Router solicitation',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
  15: 'Information request',
  16: 'Information reply',
  17: 'Address mask request',
  18: 'Address mask reply',
  19: 'Reserved (for security)',
  30: 'Traceroute',
  31: 'Datagram Conversion Error',
  32: 'Mobile Host Redirect',
  33: 'IPv6 Where-Are-You',
  34: 'IPv6 I-Am-Here',
  35: 'Mobile Registration Request',
  36: 'Mobile Registration Reply',
  37: 'Domain Name Request',
  38: 'Domain Name Reply',
  39: 'SKIP',
  40: 'Photuris',
  41: 'Experimental mobility protocols',
  42: 'Extended Echo request',
  43: 'Extended Echo reply',
};

const CODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  3: {
    0: 'Network unreachable',
    1: 'Host unreachable',
    2: 'Protocol unreachable',
    3: 'Port unreachable',
    4: 'Fragmentation needed',
    5: 'Source route failed',
    6: 'Destination network unknown',
    7: 'Destination host unknown',
    8: 'Source host isolated',
    9: 'Network administratively prohibited',
    10: 'Host administratively prohibited',
    11: 'Network unreachable for TOS',
    12: 'Host unreachable for TOS',
    13: 'Communication administratively filtered',
    14: 'Host precedence violation',
    15: 'Precedence cutoff in effect',
  },
  5: { 0: 'Redirect for network', 1: 'Redirect for host', 2: 'Redirect for TOS and network', 3: 'Redirect for TOS and host' },
  6: { 0: 'Alternate address for host' },
  9: { 0: 'Normal router advertisement', 16: 'Does not route common traffic' },
  11: { 0: 'Time to live exceeded in transit', 1: 'Fragment reassembly time exceeded' },
  12: { 0: 'Pointer indicates the error', 1: 'Required option missing', 2: 'Bad length' },
  40: { 0: 'Bad SPI', 1: 'Authentication Failed', 2: 'Decompression Failed', 3: 'Decryption Failed', 4: 'Need Authentication', 5: 'Need Authorization' },
  42: { 0: 'No error' },
  43: { 0: 'No error', 1: 'Malformed Query', 2: 'No Such Interface', 3: 'No Such Table Entry', 4: 'Multiple Interfaces Satisfy Query' },
};

/** Wireshark's name for an ICMP type (router advertisements with code 0/16 are "Mobile IP"). */
export function icmpTypeName(type: number, code: number): string {
  if (type === 9 && (code === 0 || code === 16)) return 'Mobile IP Advertisement';
  return TYPE_NAMES[type] ?? 'Unknown ICMP (obsolete or malformed?)';
}

/** Wireshark's name for a code, or undefined for types whose codes have no names. */
export function icmpCodeName(type: number, code: number): string | undefined {
  const table = CODE_NAMES[type];
  if (table === undefined) return undefined;
  return table[code] ?? `Unknown code: ${code}`;
}

/** "3 minutes, 20 seconds" (Wireshark's time_secs_to_str). */
export function secsToText(total: number): string {
  if (total === 0) return '0 seconds';
  const parts: string[] = [];
  const unit = (n: number, name: string): void => {
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(total / 86400), 'day');
  unit(Math.floor((total % 86400) / 3600), 'hour');
  unit(Math.floor((total % 3600) / 60), 'minute');
  unit(total % 60, 'second');
  return parts.join(', ');
}

/** "4 hours, 28 minutes, 51.171 seconds" (Wireshark's time_msecs_to_str). */
export function msecsToText(ms: number): string {
  if (ms === 0) return '0 seconds';
  const secs = Math.floor(ms / 1000);
  const frac = ms % 1000;
  const parts: string[] = [];
  const unit = (n: number, name: string): void => {
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(secs / 86400), 'day');
  unit(Math.floor((secs % 86400) / 3600), 'hour');
  unit(Math.floor((secs % 3600) / 60), 'minute');
  const s = secs % 60;
  if (frac > 0) parts.push(`${s}.${String(frac).padStart(3, '0')} seconds`);
  else unit(s, 'second');
  return parts.join(', ');
}

const MS_PER_DAY = 86400000;

/** Wireshark's guess between big- and little-endian for an ICMP timestamp (ms since midnight UT). */
function bestGuessMsOfDay(b: Uint8Array, at: number, frameMs: number): number {
  const be = (((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) & 0x7fffffff) >>> 0;
  const le = (((b[at + 3] << 24) | (b[at + 2] << 16) | (b[at + 1] << 8) | b[at]) & 0x7fffffff) >>> 0;
  if (be < MS_PER_DAY && le >= MS_PER_DAY) return be;
  if (le < MS_PER_DAY && be >= MS_PER_DAY) return le;
  const diff = (x: number): number => (x - frameMs) >>> 0;
  if (be < MS_PER_DAY && le < MS_PER_DAY) {
    let b2 = be;
    let l2 = le;
    if (b2 < frameMs && b2 <= MS_PER_DAY / 4 && frameMs >= MS_PER_DAY - MS_PER_DAY / 4) b2 += MS_PER_DAY;
    if (l2 < frameMs && l2 <= MS_PER_DAY / 4 && frameMs >= MS_PER_DAY - MS_PER_DAY / 4) l2 += MS_PER_DAY;
    return diff(b2) < diff(l2) ? be : le;
  }
  return diff(be) < diff(le) ? be : le;
}

/**
 * The timestamp Wireshark reads from the first 8 bytes of echo data (seconds and microseconds, either
 * byte order), when it lies within a day of the frame's time.
 */
export function echoDataTimestamp(frame: Uint8Array, dataOffset: number, dataEnd: number, now: NsTime): NsTime | undefined {
  if (dataEnd - dataOffset < 8) return undefined;
  const be = (i: number): number => ((frame[i] << 24) | (frame[i + 1] << 16) | (frame[i + 2] << 8) | frame[i + 3]) >>> 0;
  const le = (i: number): number => ((frame[i + 3] << 24) | (frame[i + 2] << 16) | (frame[i + 1] << 8) | frame[i]) >>> 0;
  // Seconds are compared as 32-bit signed differences, as Wireshark does.
  const near = (secs: number, usecs: number): boolean => Math.abs((secs - now.secs) | 0) < 86400 && usecs < 1000000;
  let secs = be(dataOffset);
  let usecs = be(dataOffset + 4);
  if (!near(secs, usecs)) {
    secs = le(dataOffset);
    usecs = le(dataOffset + 4);
  }
  if (!near(secs, usecs)) return undefined;
  // Seconds are a signed 32-bit time_t in Wireshark's nstime.
  return { secs: secs | 0, nsecs: usecs * 1000 };
}

/**
 * Bytes of echo data an ICMP layer consumed before its `data` (8 when the data starts with a
 * timestamp). `icmpIndex` is the index of the layer before the data.
 */
export function icmpEchoDataSkip(ctx: DissectContext, icmpIndex: number): number {
  const l = ctx.layers[icmpIndex];
  if (l === undefined || l.kind !== 'icmp') return 0;
  const v = l.value as Icmp;
  if (v.type !== 0 && v.type !== 8) return 0;
  const start = l.payloadOffset ?? l.offset + 8;
  const end = Math.min(l.payloadEnd ?? ctx.frame.length, ctx.frame.length);
  return echoDataTimestamp(ctx.frame, start, end, packetTime(ctx)) === undefined ? 0 : 8;
}

interface EchoTransaction {
  requestFrame: number;
  requestTime: NsTime;
  responseFrame: number;
}

interface IcmpState {
  unmatched: Map<string, EchoTransaction>;
}

function addrPairKey(a: Uint8Array, b: Uint8Array): string {
  const ka = formatBytesHex(a);
  const kb = formatBytesHex(b);
  return ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`;
}

/** Folded one's-complement checksum of 16-bit words (for the echo matching key). */
function onesChecksum(words: number[]): number {
  let s = 0;
  for (const w of words) s += w & 0xffff;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The icmp mapper. */
export function mapIcmp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const v = layer.value as Icmp;
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.payloadEnd ?? b.length, b.length);
  const avail = end - off;
  const fields: Field[] = [];
  const typeName = icmpTypeName(v.type, v.code);
  const codeName = icmpCodeName(v.type, v.code);
  let info = typeName.padEnd(20, ' ') + (codeName !== undefined ? ` (${codeName})` : '');
  const node: ProtoNode = { proto: 'icmp', label: 'Internet Control Message Protocol', offset: off, length: Math.max(msgEnd(layer, ctx) - off, 0), fields, malformed: layer.malformed };
  const finish = (): ProtoNode[] => {
    node.columns = { protocol: 'ICMP', info };
    return [node];
  };
  if (avail < 1) return finish();
  fields.push(uintDec('icmp.type', 'Type', v.type, off, 1, { text: `Type: ${v.type} (${typeName})` }));
  if (avail < 2) return finish();
  fields.push(uintDec('icmp.code', 'Code', v.code, off + 1, 1, { text: codeName !== undefined ? `Code: ${v.code} (${codeName})` : undefined }));
  if (avail < 4) return finish();
  fields.push(...icmpChecksumFields(v, off + 2, ctx.inIcmpError));
  if (avail < 8) return finish();
  const ip = enclosingIpOf(ctx);
  const idSeq = (): void => {
    const id = v.id ?? 0;
    const seq = v.seq ?? 0;
    const idLe = ((id & 0xff) << 8) | (id >>> 8);
    const seqLe = ((seq & 0xff) << 8) | (seq >>> 8);
    const dh = (n: number): string => `${n} (${hex(n, 4)})`;
    fields.push(
      uintDec('icmp.ident', 'Identifier (BE)', id, off + 4, 2, { text: `Identifier (BE): ${dh(id)}` }),
      uintDec('icmp.ident_le', 'Identifier (LE)', idLe, off + 4, 2, { text: `Identifier (LE): ${dh(idLe)}` }),
      uintDec('icmp.seq', 'Sequence Number (BE)', seq, off + 6, 2, { text: `Sequence Number (BE): ${dh(seq)}` }),
      uintDec('icmp.seq_le', 'Sequence Number (LE)', seqLe, off + 6, 2, { text: `Sequence Number (LE): ${dh(seqLe)}` }),
    );
    info += ` id=${hex(id, 4)}, seq=${seq}/${seqLe}`;
    if (ip?.version === 4 && ip.ttl !== undefined) info += `, ttl=${ip.ttl}`;
  };
  const unused = (at: number, n: number): void => {
    fields.push(bytesField('icmp.unused', 'Unused', b, off + at, n));
  };
  const lengthFields = (): void => {
    const len = v.length ?? 0;
    fields.push(
      uintDec('icmp.length', 'Length', len, off + 5, 1),
      uintDec('icmp.length.original_datagram', 'Length of original datagram', len * 4, off + 5, 1, { generated: true }),
    );
  };
  switch (v.type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      idSeq();
      break;
    case 3:
      if ((v.length ?? 0) > 0) {
        unused(4, 1);
        lengthFields();
        if (v.code === 4) fields.push(uintDec('icmp.mtu', 'MTU of next hop', v.mtu ?? 0, off + 6, 2));
        else unused(6, 2);
      } else if (v.code === 4) {
        unused(4, 2);
        fields.push(uintDec('icmp.mtu', 'MTU of next hop', v.mtu ?? 0, off + 6, 2));
      } else {
        unused(4, 4);
      }
      break;
    case 42:
    case 43: {
      // Extended echo (RFC 8335): the identifier as for echo; the rest is not decoded.
      const id = v.rest >>> 16;
      const idLe = ((id & 0xff) << 8) | (id >>> 8);
      fields.push(
        uintDec('icmp.ident', 'Identifier (BE)', id, off + 4, 2, { text: `Identifier (BE): ${id} (${hex(id, 4)})` }),
        uintDec('icmp.ident_le', 'Identifier (LE)', idLe, off + 4, 2, { text: `Identifier (LE): ${idLe} (${hex(idLe, 4)})` }),
      );
      break;
    }
    case 9:
      fields.push(
        uintDec('icmp.num_addrs', 'Number of addresses', v.numAddrs ?? 0, off + 4, 1),
        uintDec('icmp.addr_entry_size', 'Address entry size', v.addrEntrySize ?? 0, off + 5, 1),
        uintDec('icmp.lifetime', 'Lifetime', v.lifetime ?? 0, off + 6, 2, { text: `Lifetime: ${v.lifetime ?? 0} (${secsToText(v.lifetime ?? 0)})` }),
      );
      break;
    case 12:
      fields.push(uintDec('icmp.pointer', 'Pointer', v.pointer ?? 0, off + 4, 1));
      if ((v.length ?? 0) > 0) {
        lengthFields();
        unused(6, 2);
      } else {
        unused(5, 3);
      }
      break;
    case 5:
      fields.push(ipv4Field('icmp.redir_gw', 'Gateway Address', b, off + 4));
      break;
    case 11:
      if ((v.length ?? 0) > 0) {
        unused(4, 1);
        lengthFields();
        unused(6, 2);
      } else {
        unused(4, 4);
      }
      break;
    default:
      break;
  }
  // What follows the first 8 bytes.
  if (v.type === 0 || v.type === 8) info += echoFields(v, layer, ctx, fields, ip);
  if (v.type === 9 && v.addrEntrySize === 2) {
    (v.routers ?? []).forEach((r, i) => {
      const at = off + 8 + i * 8;
      fields.push(
        ipv4Field('icmp.router_address', 'Router address', b, at),
        rawField('icmp.pref_level', 'Preference level', 'int', r.preference, String(r.preference), at + 4, 4),
      );
    });
  }
  for (const e of v.mobileExtensions ?? []) fields.push(mobileExtensionField(e, b));
  if ((v.type === 13 || v.type === 14) && v.originate !== undefined) {
    const now = packetTime(ctx);
    const frameMs = ((now.secs * 1000 + Math.floor(now.nsecs / 1e6)) % MS_PER_DAY + MS_PER_DAY) % MS_PER_DAY;
    const stamp = (name: string, label: string, value: number, at: number): Field =>
      uintDec(name, label, value, at, 4, { text: `${label}: ${value} (${msecsToText(bestGuessMsOfDay(b, at, frameMs))} after midnight UTC)` });
    fields.push(
      stamp('icmp.originate_timestamp', 'Originate Timestamp', v.originate, off + 8),
      stamp('icmp.receive_timestamp', 'Receive Timestamp', v.receive ?? 0, off + 12),
      stamp('icmp.transmit_timestamp', 'Transmit Timestamp', v.transmit ?? 0, off + 16),
    );
  }
  if ((v.type === 17 || v.type === 18) && v.addressMask !== undefined) fields.push(ipv4Field('icmp.address_mask', 'Address Mask', b, off + 8));
  // The extension structure follows the quoted datagram; Wireshark shows it after the datagram's
  // layers, netlab with the other ICMP fields (the field values are the same).
  if (v.extension !== undefined) fields.push(extensionFields(v.extension, b, msgEnd(layer, ctx)));
  return finish();
}

// Mobile IP extension fields (not in the base table), with their Wireshark 4.0 types.
registerFields({
  'icmp.mip.type': 'FT_UINT8',
  'icmp.mip.length': 'FT_UINT8',
  'icmp.mip.prefixlength': 'FT_UINT8',
  'icmp.mip.seq': 'FT_UINT16',
  'icmp.mip.life': 'FT_UINT16',
  'icmp.mip.flags': 'FT_UINT16',
  'icmp.mip.r': 'FT_BOOLEAN',
  'icmp.mip.b': 'FT_BOOLEAN',
  'icmp.mip.h': 'FT_BOOLEAN',
  'icmp.mip.f': 'FT_BOOLEAN',
  'icmp.mip.m': 'FT_BOOLEAN',
  'icmp.mip.g': 'FT_BOOLEAN',
  'icmp.mip.v': 'FT_BOOLEAN',
  'icmp.mip.rt': 'FT_BOOLEAN',
  'icmp.mip.u': 'FT_BOOLEAN',
  'icmp.mip.x': 'FT_BOOLEAN',
  'icmp.mip.reserved': 'FT_UINT16',
  'icmp.mip.coa': 'FT_IPv4',
  'icmp.mip.challenge': 'FT_BYTES',
  'icmp.mip.content': 'FT_BYTES',
});

const MIP_NAMES: Readonly<Record<number, string>> = { 0: 'One byte padding extension', 16: 'Mobility Agent Advertisement Extension', 19: 'Prefix Lengths Extension', 24: 'Challenge Extension' };

const MIP_FLAGS: readonly [number, string, string][] = [
  [0x8000, 'icmp.mip.r', 'Registration Required'],
  [0x4000, 'icmp.mip.b', 'Busy'],
  [0x2000, 'icmp.mip.h', 'Home Agent'],
  [0x1000, 'icmp.mip.f', 'Foreign Agent'],
  [0x0800, 'icmp.mip.m', 'Minimal Encapsulation'],
  [0x0400, 'icmp.mip.g', 'GRE'],
  [0x0200, 'icmp.mip.v', 'VJ Comp'],
  [0x0100, 'icmp.mip.rt', 'Reverse tunneling'],
  [0x0080, 'icmp.mip.u', 'UDP tunneling'],
  [0x0040, 'icmp.mip.x', 'Revocation support'],
];

/** One Mobile IP extension ("Ext: ..."), as Wireshark shows it. */
function mobileExtensionField(e: IcmpMobileExtension, b: Uint8Array): Field {
  const name = MIP_NAMES[e.type] ?? `Unknown ext ${e.type}`;
  const kids: Field[] = [uintDec('icmp.mip.type', 'Extension Type', e.type, e.offset, 1, { text: `Extension Type: ${MIP_NAMES[e.type] ?? 'Unknown'} (${e.type})` })];
  const p = e.offset + 2;
  if (e.type !== 0) kids.push(uintDec('icmp.mip.length', 'Length', e.length, e.offset + 1, 1));
  if (e.type === 16 && e.length >= 6) {
    const f = (b[p + 4] << 8) | b[p + 5];
    const set = MIP_FLAGS.filter(([bit]) => (f & bit) !== 0).map(([, , label]) => label);
    kids.push(
      uintDec('icmp.mip.seq', 'Sequence Number', (b[p] << 8) | b[p + 1], p, 2),
      uintDec('icmp.mip.life', 'Registration Lifetime', (b[p + 2] << 8) | b[p + 3], p + 2, 2),
      uintHex('icmp.mip.flags', 'Flags', f, 4, p + 4, 2, {
        text: `Flags: ${hex(f, 4)}${set.length ? ', ' + set.join(', ') : ''}`,
        children: [
          ...MIP_FLAGS.map(([bit, n, label]) => bool(n, label, (f & bit) !== 0, p + 4, 2, { text: `${bitPattern(f, bit, 16)} = ${label}: ${f & bit ? 'True' : 'False'}` })),
          uintHex('icmp.mip.reserved', 'Reserved', f & 0x3f, 4, p + 4, 2, { text: `${bitPattern(f, 0x3f, 16)} = Reserved: ${hex(f & 0x3f, 2)}` }),
        ],
      }),
    );
    for (let q = p + 6; q + 4 <= p + e.length; q += 4) kids.push(ipv4Field('icmp.mip.coa', 'Care-Of-Address', b, q));
  } else if (e.type === 19) {
    for (let i = 0; i < e.length; i++) kids.push(uintDec('icmp.mip.prefixlength', 'Prefix Length', b[p + i], p + i, 1));
  } else if (e.type === 24) {
    kids.push(bytesField('icmp.mip.challenge', 'Challenge', b, p, e.length));
  } else if (e.type !== 0 && e.length > 4) {
    kids.push(bytesField('icmp.mip.content', 'Content', b, p, e.length - 4));
  }
  return textItemField(`Ext: ${name}`, e.offset, e.type === 0 ? 1 : e.length + 2, kids);
}

const EXT_CLASS_NAMES: Readonly<Record<number, string>> = { 1: 'MPLS Label Stack Class', 2: 'Interface Information Object', 3: 'Interface Identification Object' };

/** RFC 4884 multi-part extension structure: header, checksum, objects (MPLS label stack entries decoded). */
function extensionFields(ext: IcmpExtension, b: Uint8Array, end: number): Field {
  const at = ext.offset;
  const children: Field[] = [
    uintDec('icmp.ext.version', 'Version', ext.version, at, 1),
    uintHex('icmp.ext.res', 'Reserved', ext.reserved, 4, at, 2, { text: `${bitPattern(ext.reserved, 0x0fff, 16)} = Reserved: ${hex(ext.reserved, 3)}` }),
  ];
  const value = hex(ext.checksum, 4);
  if (ext.checksum === 0) {
    children.push(uintHex('icmp.ext.checksum', 'Checksum', 0, 4, at + 2, 2, { text: `Checksum: ${value} [not present]` }), checksumStatusField('icmp.ext.checksum.status', 3, at + 2));
  } else if (ext.checksumStatus === 'good') {
    children.push(uintHex('icmp.ext.checksum', 'Checksum', ext.checksum, 4, at + 2, 2, { text: `Checksum: ${value} [correct]` }), checksumStatusField('icmp.ext.checksum.status', 1, at + 2));
  } else {
    children.push(uintHex('icmp.ext.checksum', 'Checksum', ext.checksum, 4, at + 2, 2, { text: `Checksum: ${value} incorrect` }), checksumStatusField('icmp.ext.checksum.status', 0, at + 2));
  }
  if (ext.version === 1 || ext.version === 2) {
    for (const o of ext.objects) {
      const objEnd = Math.min(o.offset + Math.max(o.length, 4), end);
      const kids: Field[] = [
        uintDec('icmp.ext.length', 'Length', o.length, o.offset, 2),
        uintDec('icmp.ext.class', 'Class', o.classNum, o.offset + 2, 1, { text: `Class: ${EXT_CLASS_NAMES[o.classNum] ?? 'Unknown'} (${o.classNum})` }),
        uintDec('icmp.ext.ctype', 'C-Type', o.cType, o.offset + 3, 1),
      ];
      let title = `Unknown object (${o.classNum}/${o.cType})`;
      if (o.length < 4) {
        title = 'Object with bad length';
        kids.pop();
      } else if (o.classNum === 1 && o.cType === 1) {
        title = 'MPLS Stack Entry';
        let p = o.offset + 4;
        for (; p + 4 <= objEnd; p += 4) {
          const label = (((b[p] << 8) | b[p + 1]) << 4) | (b[p + 2] >> 4);
          const exp = (b[p + 2] >> 1) & 7;
          const sBit = b[p + 2] & 1;
          const ttl = b[p + 3];
          const word = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
          kids.push(textItemField(`Label: ${label}, Exp: ${exp}, S: ${sBit}, TTL: ${ttl}`, p, 4, [
            uintDec('icmp.mpls.label', 'Label', label, p, 3, { text: `${bitPattern(word, 0xfffff0, 24)} = Label: ${label}` }),
            uintDec('icmp.mpls.exp', 'Experimental', exp, p + 2, 1, { text: `${bitPattern(word, 0x00000e, 24)} = Experimental: ${exp}` }),
            bool('icmp.mpls.s', 'Stack bit', sBit === 1, p + 2, 1, { text: `${bitPattern(word, 0x000001, 24)} = Stack bit: ${sBit ? 'Set' : 'Not set'}` }),
            uintDec('icmp.mpls.ttl', 'Time to live', ttl, p + 3, 1),
          ]));
        }
        if (p < objEnd) kids.push(bytesField('icmp.mpls.data', 'Data', b, p, objEnd - p));
      } else if (objEnd - o.offset > 4) {
        kids.push(bytesField('icmp.ext.data', 'Data', b, o.offset + 4, objEnd - o.offset - 4));
      }
      children.push(textItemField(`${title}${objEnd - o.offset < o.length ? ' (truncated)' : ''}`, o.offset, objEnd - o.offset, kids));
    }
  }
  const title = ext.version === 1 || ext.version === 2 ? 'ICMP Multi-Part Extensions' : 'ICMP Multi-Part Extensions (unsupported version)';
  return rawField('icmp.ext', 'ICMP Extensions', 'none', null, '1', at, end - at, { text: title, children });
}

function textItemField(text: string, offset: number, length: number, children: Field[]): Field {
  return rawField('', text, 'none', null, '', offset, length, { text, children });
}

/** Where the ICMP message ends in the frame (the quoted datagram and extensions included). */
function msgEnd(layer: DecodedLayer, ctx: DissectContext): number {
  const ip = enclosingIpOf(ctx);
  const v = ip?.layer.value as { totalLength?: unknown } | undefined;
  let end = ctx.frame.length;
  if (ctx.reassembled !== true && ip !== undefined && ip.version === 4 && typeof v?.totalLength === 'number' && v.totalLength > 0) end = Math.min(end, ip.layer.offset + v.totalLength);
  return Math.max(end, layer.offset + layer.length);
}

function icmpChecksumFields(v: Icmp, at: number, inError: boolean): Field[] {
  const value = hex(v.checksum, 4);
  if (v.checksumStatus === 'good') {
    return [uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [correct]` }), checksumStatusField('icmp.checksum.status', 1, at)];
  }
  if (v.checksumStatus === 'bad') {
    const should = hex(expectedChecksum(v.checksum, v.checksumComputed ?? 0), 4);
    return [
      uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, {
        text: `Checksum: ${value} incorrect, should be ${should}`,
        children: [expertField('icmp.checksum_bad', `Bad checksum [should be ${should}]`, 'Warning', 'Checksum', at, 2)],
      }),
      checksumStatusField('icmp.checksum.status', 0, at),
    ];
  }
  const why = inError ? 'in ICMP error packet' : 'fragmented datagram';
  return [uintHex('icmp.checksum', 'Checksum', v.checksum, 4, at, 2, { text: `Checksum: ${value} [unverified] [${why}]` }), checksumStatusField('icmp.checksum.status', 2, at)];
}

/** Echo request/reply: matching and the data timestamp. Returns what it appends to the Info column. */
function echoFields(v: Icmp, layer: DecodedLayer, ctx: DissectContext, fields: Field[], ip: ReturnType<typeof enclosingIpOf>): string {
  let info = '';
  const b = ctx.frame;
  const now = packetTime(ctx);
  if (!ctx.inIcmpError && ip !== undefined) {
    const state = ctx.state.slot<IcmpState>('icmp', () => ({ unmatched: new Map() }));
    const pair = addrPairKey(ip.src, ip.dst);
    const idSeq = `${v.id ?? 0}/${v.seq ?? 0}`;
    if (v.type === 8) {
      // The checksum the reply will carry: only the type byte differs (8 -> 0).
      const replySum = onesChecksum([~v.checksum & 0xffff, ~0x0800 & 0xffff]);
      state.unmatched.set(`${pair}|${replySum}|${idSeq}`, { requestFrame: ctx.packet.number, requestTime: now, responseFrame: 0 });
    } else {
      const key = `${pair}|${v.checksum === 0xffff ? 0 : v.checksum}|${idSeq}`;
      const t = state.unmatched.get(key);
      if (t !== undefined && t.responseFrame === 0) {
        t.responseFrame = ctx.packet.number;
        const d = nsDelta(now, t.requestTime);
        const ms = d.secs * 1000 + d.nsecs / 1e6;
        fields.push(
          uintDec('icmp.resp_to', 'Request frame', t.requestFrame, 0, 0, { generated: true, text: `[Request frame: ${t.requestFrame}]` }),
          rawField('icmp.resptime', 'Response time', 'float', ms, formatDouble(ms), 0, 0, { generated: true, text: `[Response time: ${ms.toFixed(3)} ms]` }),
        );
        info += ` (request in ${t.requestFrame})`;
      }
    }
  }
  const start = layer.payloadOffset ?? layer.offset + 8;
  const end = Math.min(layer.payloadEnd ?? b.length, b.length);
  const ts = echoDataTimestamp(b, start, end, now);
  if (ts !== undefined) {
    const rel = nsDelta(now, ts);
    const abs = formatAbsTime(ts);
    fields.push(
      rawField('icmp.data_time', 'Timestamp from icmp data', 'time', ts.secs + ts.nsecs / 1e9, abs, start, 8),
      rawField('icmp.data_time_relative', 'Timestamp from icmp data (relative)', 'reltime', rel.secs + rel.nsecs / 1e9, formatRelTime(rel), start, 8, {
        generated: true,
        text: `[Timestamp from icmp data (relative): ${formatRelTime(rel)} seconds]`,
      }),
    );
  }
  return info;
}

/** A double as tshark prints FT_DOUBLE with -T fields (%.15g, no trailing zeros). */
export function formatDouble(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -5 || exp >= 15) {
    const [m, e] = x.toExponential(14).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toPrecision(15);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
