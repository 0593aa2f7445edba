// PPPoE Discovery (RFC 2516, EtherType 0x8863) as Wireshark 4.0's `pppoed` dissector shows it: the
// version and type nibbles, code (PADI/PADO/PADR/PADS/PADT), session ID and payload length, then the
// tags: strings (Service-Name, AC-Name, the error tags), byte strings (Host-Uniq, AC-Cookie,
// Relay-Session-Id, PPP-Max-Payload), the vendor-specific tag (the DSL Forum's 3561 sub-tags of
// TR-101: circuit/remote ID, data rates, interleaving delays, access-loop encapsulation), and any
// other tag as type, length and data. Zero-length tags show nothing, as in Wireshark. A tag that runs
// past the payload is reported as malformed. The Info column is the code's name (with the AC name of
// a PADO).

import { malformation } from '../../wire/layer.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { type Field, hex, type ProtoNode, stringField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, bytesFieldT, noneField } from './link-fields.ts';

registerFields({
  pppoed: 'FT_PROTOCOL',
  'pppoe.version': 'FT_UINT8',
  'pppoe.type': 'FT_UINT8',
  'pppoe.code': 'FT_UINT8',
  'pppoe.session_id': 'FT_UINT16',
  'pppoe.payload_length': 'FT_UINT16',
  'pppoed.tags': 'FT_NONE',
  'pppoed.tag': 'FT_UINT16',
  'pppoed.tag_length': 'FT_UINT16',
  'pppoed.tag_length_8': 'FT_UINT8',
  'pppoed.tag.unknown_data': 'FT_BYTES',
  'pppoed.tags.service_name': 'FT_STRING',
  'pppoed.tags.ac_name': 'FT_STRING',
  'pppoed.tags.host_uniq': 'FT_BYTES',
  'pppoed.tags.ac_cookie': 'FT_BYTES',
  'pppoed.tags.vendor_id': 'FT_UINT32',
  'pppoed.tags.vendor_unspecified': 'FT_BYTES',
  'pppoed.tags.vendorspecific.tags': 'FT_NONE',
  'pppoed.tags.circuit_id': 'FT_STRING',
  'pppoed.tags.remote_id': 'FT_STRING',
  'pppoed.tags.access_loop_encap': 'FT_NONE',
  'pppoed.tags.access_loop_encap.data_link': 'FT_UINT8',
  'pppoed.tags.access_loop_encap.encap_1': 'FT_UINT8',
  'pppoed.tags.access_loop_encap.encap_2': 'FT_UINT8',
  'pppoed.tags.relay_session_id': 'FT_BYTES',
  'pppoed.tags.max_payload': 'FT_BYTES',
  'pppoed.tags.service_name_error': 'FT_STRING',
  'pppoed.tags.ac_system_error': 'FT_STRING',
  'pppoed.tags.generic_error': 'FT_STRING',
});

const CODES: Readonly<Record<number, string>> = {
  0x09: 'Active Discovery Initiation (PADI)',
  0x07: 'Active Discovery Offer (PADO)',
  0x19: 'Active Discovery Request (PADR)',
  0x65: 'Active Discovery Session-confirmation (PADS)',
  0xa7: 'Active Discovery Terminate (PADT)',
};

/** Tags shown as one value: type -> [field, label, string or bytes]. */
const TAGS: Readonly<Record<number, readonly [string, string, 'string' | 'bytes']>> = {
  0x0101: ['pppoed.tags.service_name', 'Service-Name', 'string'],
  0x0102: ['pppoed.tags.ac_name', 'AC-Name', 'string'],
  0x0103: ['pppoed.tags.host_uniq', 'Host-Uniq', 'bytes'],
  0x0104: ['pppoed.tags.ac_cookie', 'AC-Cookie', 'bytes'],
  0x0110: ['pppoed.tags.relay_session_id', 'Relay-Session-Id', 'bytes'],
  0x0120: ['pppoed.tags.max_payload', 'PPP-Max-Payload', 'bytes'],
  0x0201: ['pppoed.tags.service_name_error', 'Service-Name-Error', 'string'],
  0x0202: ['pppoed.tags.ac_system_error', 'AC-System-Error', 'string'],
  0x0203: ['pppoed.tags.generic_error', 'Generic-Error', 'string'],
};
const VENDOR_TAG = 0x0105;
const DSL_FORUM = 3561;

/** The DSL Forum's 32-bit sub-tags (TR-101): type -> [field, label]. */
const DSL_NUMBERS: Readonly<Record<number, readonly [string, string]>> = {
  0x81: ['act_data_rate_up', 'Actual Data Rate Upstream'],
  0x82: ['act_data_rate_down', 'Actual Data Rate Downstream'],
  0x83: ['min_data_rate_up', 'Minimum Data Rate Upstream'],
  0x84: ['min_data_rate_down', 'Minimum Data Rate Downstream'],
  0x85: ['attainable_data_rate_up', 'Attainable DataRate Upstream'],
  0x86: ['attainable_data_rate_down', 'Attainable DataRate Downstream'],
  0x87: ['max_data_rate_up', 'Maximum Data Rate Upstream'],
  0x88: ['max_data_rate_down', 'Maximum Data Rate Downstream'],
  0x89: ['min_data_rate_up_lp', 'Min DataRate Upstream in low power state'],
  0x8a: ['min_data_rate_down_lp', 'Minimum Data Rate Downstream in low power state'],
  0x8b: ['max_int_delay_up', 'Max Interleaving Delay Upstream'],
  0x8c: ['act_int_delay_up', 'Actual Interleaving Delay Upstream'],
  0x8d: ['max_int_delay_down', 'Maximum Interleaving Delay Downstream'],
  0x8e: ['act_int_delay_down', 'Actual Interleaving Delay Downstream'],
};
for (const [name] of Object.values(DSL_NUMBERS)) registerFields({ [`pppoed.tags.${name}`]: 'FT_UINT32' });

const DATA_LINK = ['ATM AAL5', 'Ethernet'];
const ENCAPS_1 = ['NA', 'Untagged Ethernet', 'Single-tagged Ethernet', 'Double-tagged Ethernet'];
const ENCAPS_2 = [
  'NA',
  'PPPoA LLC',
  'PPPoA Null',
  'IPoA LLC',
  'IPoA Null',
  'Ethernet over AAL5 LLC w FCS',
  'Ethernet over AAL5 LLC w/o FCS',
  'Ethernet over AAL5 Null w FCS',
  'Ethernet over AAL5 Null w/o FCS',
];

/** True when the bytes follow an Ethernet (or VLAN, SLL) header of EtherType 0x8863. */
export function isPppoed(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev === undefined || !['ethernet', 'vlan', 'sll', 'sll2'].includes(prev.kind)) return false;
  const v = prev.value as { type?: number; protocol?: number } | null;
  return (v?.type ?? v?.protocol) === 0x8863;
}

const text = (m: Uint8Array, at: number, len: number): string => new TextDecoder('latin1').decode(m.subarray(at, at + len));

function named(names: readonly string[], v: number): string {
  return `${names[v] ?? 'Unknown'} (${hex(v, 2)})`;
}

/** The DSL Forum sub-tags (one-byte type and length) of a vendor-specific tag. */
function dslSubtags(m: Uint8Array, at: number, end: number, fail: (at: number, what: string) => void): Field[] {
  const out: Field[] = [];
  let p = at;
  while (p < end) {
    if (end - p < 2) {
      fail(p, 'vendor sub-tag header');
      return out;
    }
    const t = m[p];
    const len = m[p + 1];
    const v = p + 2;
    if (v + len > end) {
      fail(p, `vendor sub-tag ${hex(t, 2)}`);
      return out;
    }
    const num = DSL_NUMBERS[t];
    if (t === 1 || t === 2) {
      const [name, label] = t === 1 ? ['circuit_id', 'Circuit ID'] : ['remote_id', 'Remote ID'];
      out.push(stringField(`pppoed.tags.${name}`, label, text(m, v, len), v, len));
    } else if (num !== undefined && len === 4) {
      const n = ((m[v] << 24) | (m[v + 1] << 16) | (m[v + 2] << 8) | m[v + 3]) >>> 0;
      out.push(uintDec(`pppoed.tags.${num[0]}`, num[1], n, v, 4));
    } else if (t === 0x90 && len === 3) {
      const b = 'pppoed.tags.access_loop_encap';
      out.push(
        noneField(b, 'Access-Loop-Encapsulation', v, 3, {
          text: 'Access-Loop-Encapsulation',
          children: [
            uintHex(`${b}.data_link`, 'Data link', m[v], 2, v, 1, { text: `Data link: ${named(DATA_LINK, m[v])}` }),
            uintHex(`${b}.encap_1`, 'Encaps 1', m[v + 1], 2, v + 1, 1, { text: `Encaps 1: ${named(ENCAPS_1, m[v + 1])}` }),
            uintHex(`${b}.encap_2`, 'Encaps 2', m[v + 2], 2, v + 2, 1, { text: `Encaps 2: ${named(ENCAPS_2, m[v + 2])}` }),
          ],
        }),
      );
    } else {
      out.push(
        uintHex('pppoed.tag', 'Tag', t, 4, p, 1, { text: `Tag: Unknown (${hex(t, 4)})` }),
        uintDec('pppoed.tag_length_8', 'Tag Length', len, p + 1, 1),
        bytesFieldT('pppoed.tag.unknown_data', 'Unknown Data', m, v, len),
      );
    }
    p = v + len;
  }
  return out;
}

/** The pppoed mapper. */
export function mapPppoed(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] {
  const m = ctx.frame;
  const o = layer.offset;
  const avail = Math.max(Math.min(layer.offset + layer.length, m.length) - o, 0);
  const fields: Field[] = [];
  const code = avail >= 2 ? m[o + 1] : 0;
  const codeName = CODES[code] ?? 'Unknown';
  const payloadLen = avail >= 6 ? (m[o + 4] << 8) | m[o + 5] : 0;
  const node: ProtoNode = {
    proto: 'pppoed',
    label: 'PPP-over-Ethernet Discovery',
    offset: o,
    length: Math.min(avail, 6 + payloadLen),
    fields,
    malformed: [],
    columns: { protocol: 'PPPoED', info: codeName },
  };
  const fail = (at: number, what: string): void => {
    node.malformed.push(malformation('pppoed', at, `PPPoE Discovery ${what} truncated`));
  };
  if (avail < 6) {
    fail(o + avail, 'header');
    return [node];
  }
  const vt = m[o];
  fields.push(
    uintDec('pppoe.version', 'Version', vt >> 4, o, 1, { text: `${bitPattern(vt, 0xf0, 8)} = Version: ${vt >> 4}` }),
    uintDec('pppoe.type', 'Type', vt & 15, o, 1, { text: `${bitPattern(vt, 0x0f, 8)} = Type: ${vt & 15}` }),
    uintHex('pppoe.code', 'Code', code, 2, o + 1, 1, { text: `Code: ${codeName} (${hex(code, 2)})` }),
    uintHex('pppoe.session_id', 'Session ID', (m[o + 2] << 8) | m[o + 3], 4, o + 2, 2),
    uintDec('pppoe.payload_length', 'Payload Length', payloadLen, o + 4, 2),
  );
  if (payloadLen === 0) return [node];
  const tags: Field[] = [];
  const start = o + 6;
  const end = start + payloadLen;
  const stop = Math.min(end, o + avail);
  let p = start;
  while (p < end) {
    if (stop - p < 4) {
      fail(p, 'tag header');
      break;
    }
    const t = (m[p] << 8) | m[p + 1];
    const len = (m[p + 2] << 8) | m[p + 3];
    const v = p + 4;
    if (v + len > stop) {
      fail(p, `tag ${hex(t, 4)}`);
      break;
    }
    const known = TAGS[t];
    if (len === 0 || t === 0) {
      // Zero-length tags (and End-Of-List) add no item.
    } else if (known !== undefined) {
      const [name, label, kind] = known;
      tags.push(kind === 'string' ? stringField(name, label, text(m, v, len), v, len) : bytesFieldT(name, label, m, v, len));
      if (t === 0x0102 && code === 0x07) node.columns = { protocol: 'PPPoED', info: `${codeName} AC-Name='${text(m, v, len)}'` };
    } else if (t === VENDOR_TAG) {
      if (len >= 4) {
        const vendor = ((m[v] << 24) | (m[v + 1] << 16) | (m[v + 2] << 8) | m[v + 3]) >>> 0;
        tags.push(uintDec('pppoed.tags.vendor_id', 'Vendor id', vendor, v, 4));
        if (vendor === DSL_FORUM && len > 4) {
          const sub = dslSubtags(m, v + 4, v + len, fail);
          tags.push(
            noneField('pppoed.tags.vendorspecific.tags', 'Vendor Specific PPPoE Tags', v + 4, len - 4, { text: 'Vendor Specific PPPoE Tags', children: sub }),
          );
        } else if (len > 4) tags.push(bytesFieldT('pppoed.tags.vendor_unspecified', 'Vendor unspecified', m, v + 4, len - 4));
      }
    } else {
      // Wireshark 4.0 shows an unknown tag's data from the tag's length field on (2 bytes early).
      tags.push(
        uintHex('pppoed.tag', 'Tag', t, 4, p, 2, { text: `Tag: Unknown (${hex(t, 4)})` }),
        uintDec('pppoed.tag_length', 'Tag Length', len, p + 2, 2),
        bytesFieldT('pppoed.tag.unknown_data', 'Unknown Data', m, p + 2, len),
      );
    }
    p = v + len;
  }
  fields.push(noneField('pppoed.tags', 'PPPoE Tags', start, Math.max(stop - start, 0), { text: 'PPPoE Tags', children: tags }));
  return [node];
}
