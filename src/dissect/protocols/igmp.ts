// IGMP (RFC 1112, 2236, 3376) over IPv4 protocol 2, as Wireshark 4.0's `igmp` dissector shows
// versions 1-3: the version Wireshark infers (a query of 8 bytes is v1 when its max response time is
// 0, else v2; a longer one is v3), type, max response time, checksum with its status, group address;
// for a v3 query S, QRV, QQIC and the sources; for a v3 report each group record.

import { internetChecksum } from '../../wire/checksum.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, type FieldOpts, formatIpv4, ipv4Field, type ProtoNode, rawField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';
import { checksumStatusField } from './udp.ts';

registerFields({
  igmp: 'FT_PROTOCOL',
  'igmp.version': 'FT_UINT8',
  'igmp.type': 'FT_UINT8',
  'igmp.max_resp': 'FT_UINT8',
  'igmp.max_resp.exp': 'FT_UINT8',
  'igmp.max_resp.mant': 'FT_UINT8',
  'igmp.reserved': 'FT_BYTES',
  'igmp.checksum': 'FT_UINT16',
  'igmp.checksum.status': 'FT_UINT8',
  'igmp.maddr': 'FT_IPv4',
  'igmp.s': 'FT_BOOLEAN',
  'igmp.qrv': 'FT_UINT8',
  'igmp.qqic': 'FT_UINT8',
  'igmp.num_src': 'FT_UINT16',
  'igmp.saddr': 'FT_IPv4',
  'igmp.num_grp_recs': 'FT_UINT16',
  'igmp.record_type': 'FT_UINT8',
  'igmp.aux_data_len': 'FT_UINT8',
});

const TYPES: Readonly<Record<number, string>> = {
  0x11: 'Membership Query',
  0x12: 'Membership Report',
  0x16: 'Membership Report',
  0x17: 'Leave Group',
  0x22: 'Membership Report',
};
const RECORD_TYPES: Readonly<Record<number, string>> = {
  1: 'Mode Is Include',
  2: 'Mode Is Exclude',
  3: 'Change To Include Mode',
  4: 'Change To Exclude Mode',
  5: 'Allow New Sources',
  6: 'Block Old Sources',
};

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** True when the `data` layer being mapped is the payload of an IPv4 datagram of protocol 2. */
export function isIgmp(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'ipv4') return false;
  const v = prev.value as { protocol?: number; mf?: boolean; fragmentOffset?: number };
  return v.protocol === 2 && v.mf !== true && (v.fragmentOffset ?? 0) === 0;
}

/**
 * Max Resp Time in tenths of a second: IGMPv3 codes from 128 up are a floating-point value (RFC 3376
 * §4.1.1: mantissa and exponent). The field holds the tenths, the text the seconds and the code.
 */
function maxRespField(code: number, version: number, at: number): Field {
  const tenths = version === 3 && code >= 0x80 ? ((code & 0x0f) | 0x10) << (((code >> 4) & 7) + 3) : code;
  const o: FieldOpts = { text: `Max Resp Time: ${(tenths / 10).toFixed(1)} sec (0x${code.toString(16).padStart(2, '0')})` };
  if (version === 3 && code >= 0x80) {
    const exp = (code >> 4) & 7;
    const mant = code & 0x0f;
    o.children = [
      uintHex('igmp.max_resp.exp', 'Exponent', exp, 2, at, 1, { text: `${bitPattern(code, 0x70, 8)} = Exponent: 0x${exp.toString(16)}` }),
      uintHex('igmp.max_resp.mant', 'Mantissa', mant, 2, at, 1, { text: `${bitPattern(code, 0x0f, 8)} = Mantissa: 0x${mant.toString(16)}` }),
    ];
  }
  return uintDec('igmp.max_resp', 'Max Resp Time', tenths, at, 1, o);
}

/** The igmp mapper (over the `data` layer of an IPv4 datagram of protocol 2). */
export function mapIgmp(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  const len = end - off;
  if (len < 8) return undefined;
  const type = b[off];
  let version: number;
  if (type === 0x11) version = len === 8 ? (b[off + 1] === 0 ? 1 : 2) : len >= 12 ? 3 : 0;
  else if (type === 0x12) version = 1;
  else if (type === 0x16 || type === 0x17) version = 2;
  else if (type === 0x22) version = 3;
  else return undefined;
  if (version === 0) return undefined;
  const fields: Field[] = [
    rawField('igmp.version', 'IGMP Version', 'uint', version, String(version), off, 0, { generated: true, text: `IGMP Version: ${version}` }),
  ];
  fields.push(uintHex('igmp.type', 'Type', type, 2, off, 1, { text: `Type: ${TYPES[type]} (0x${type.toString(16).padStart(2, '0')})` }));
  if (version >= 2 && type !== 0x22) fields.push(maxRespField(b[off + 1], version, off + 1));
  if (type === 0x22) fields.push(bytesField('igmp.reserved', 'Reserved', b, off + 1, 1));
  const cks = u16(b, off + 2);
  const good = internetChecksum(b, off, len) === 0;
  fields.push(
    uintHex('igmp.checksum', 'Checksum', cks, 4, off + 2, 2, {
      text: `Checksum: 0x${cks.toString(16).padStart(4, '0')} ${good ? '[correct]' : '[incorrect]'}`,
    }),
  );
  fields.push(checksumStatusField('igmp.checksum.status', good ? 1 : 0, off + 2));
  let info = TYPES[type];
  if (type === 0x22) {
    const n = u16(b, off + 6);
    fields.push(bytesField('igmp.reserved', 'Reserved', b, off + 4, 2));
    fields.push(uintDec('igmp.num_grp_recs', 'Num Group Records', n, off + 6, 2));
    let p = off + 8;
    const parts: string[] = [];
    for (let i = 0; i < n && p + 8 <= end; i++) {
      const rt = b[p];
      const aux = b[p + 1];
      const ns = u16(b, p + 2);
      const kids: Field[] = [
        uintDec('igmp.record_type', 'Record Type', rt, p, 1, { text: `Record Type: ${RECORD_TYPES[rt] ?? 'Unknown'} (${rt})` }),
        uintDec('igmp.aux_data_len', 'Aux Data Len', aux, p + 1, 1),
        uintDec('igmp.num_src', 'Num Src', ns, p + 2, 2),
        ipv4Field('igmp.maddr', 'Multicast Address', b, p + 4),
      ];
      for (let s = 0; s < ns && p + 8 + 4 * s + 4 <= end; s++) kids.push(ipv4Field('igmp.saddr', 'Source Address', b, p + 8 + 4 * s));
      fields.push(textItem(`Group Record : ${formatIpv4(b, p + 4)}  ${RECORD_TYPES[rt] ?? 'Unknown'}`, p, 8 + 4 * ns + 4 * aux, kids));
      const group = formatIpv4(b, p + 4);
      const sources = Array.from({ length: ns }, (_, s) => formatIpv4(b, p + 8 + 4 * s)).join(', ');
      const exclude = rt === 2 || rt === 4 || rt === 6;
      if (ns === 0) parts.push(exclude ? `Join group ${group} for any sources` : `Leave group ${group}`);
      else parts.push(`${exclude ? 'Leave' : 'Join'} group ${group} for source${ns > 1 ? 's' : ''} {${sources}}`);
      p += 8 + 4 * ns + 4 * aux;
    }
    info = `Membership Report / ${parts.join(' / ')}`;
  } else {
    fields.push(ipv4Field('igmp.maddr', 'Multicast Address', b, off + 4));
    const group = formatIpv4(b, off + 4);
    if (type === 0x11) {
      info = group === '0.0.0.0' ? 'Membership Query, general' : `Membership Query, specific for group ${group}`;
      if (version === 3) {
        const f = b[off + 8];
        const ns = u16(b, off + 10);
        fields.push(
          bool('igmp.s', 'S', (f & 0x08) !== 0, off + 8, 1, {
            text: `${bitPattern(f, 0x08, 8)} = S: ${(f & 0x08) !== 0 ? 'SUPPRESS router side processing' : 'Do not suppress router side processing'}`,
          }),
          uintDec('igmp.qrv', 'QRV', f & 7, off + 8, 1, { text: `${bitPattern(f, 0x07, 8)} = QRV: ${f & 7}` }),
          uintDec('igmp.qqic', 'QQIC', b[off + 9], off + 9, 1),
          uintDec('igmp.num_src', 'Num Src', ns, off + 10, 2),
        );
        for (let s = 0; s < ns && off + 12 + 4 * s + 4 <= end; s++) fields.push(ipv4Field('igmp.saddr', 'Source Address', b, off + 12 + 4 * s));
        if (ns > 0)
          info = `Membership Query, specific for group ${group}, source${ns > 1 ? 's' : ''} {${Array.from({ length: ns }, (_, s) => formatIpv4(b, off + 12 + 4 * s)).join(', ')}}`;
      }
    } else {
      info = type === 0x17 ? `Leave Group ${group}` : `${TYPES[type]} group ${group}`;
    }
  }
  // Wireshark's IGMP hands each message to its version's dissector, also named igmp: frame.protocols says igmp:igmp.
  return [
    {
      proto: 'igmp',
      label: 'Internet Group Management Protocol',
      offset: off,
      length: len,
      fields,
      malformed: [],
      layers: ['igmp'],
      columns: { protocol: `IGMPv${version}`, info },
    },
  ];
}
