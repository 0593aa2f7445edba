// PPP (RFC 1661) as PPTP's enhanced GRE carries it, and its Link Control Protocol, as Wireshark 4.0
// shows them: ppp.address / control / protocol, then for LCP the code, identifier and length
// (ppp.*) and the configuration options Wireshark names one by one (lcp.opt.*): MRU, magic number,
// protocol and address/control field compression, callback, multilink MRRU and endpoint
// discriminator. A message holding an option netlab does not name keeps its options as one item;
// a protocol other than LCP is left undissected (Wireshark hands it to IPCP, CHAP, IP...).

import type { Field, ProtoNode } from '../field.ts';
import { bytesField, hex, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { textItem } from './link-fields.ts';

registerFields({
  ppp: 'FT_PROTOCOL',
  lcp: 'FT_PROTOCOL',
  'ppp.address': 'FT_UINT8',
  'ppp.control': 'FT_UINT8',
  'ppp.protocol': 'FT_UINT16',
  'ppp.code': 'FT_UINT8',
  'ppp.identifier': 'FT_UINT8',
  'ppp.length': 'FT_UINT16',
  'lcp.opt.type': 'FT_UINT8',
  'lcp.opt.length': 'FT_UINT8',
  'lcp.opt.data': 'FT_BYTES',
  'lcp.opt.mru': 'FT_UINT16',
  'lcp.opt.mru_bytes': 'FT_BYTES',
  'lcp.opt.magic_number': 'FT_UINT32',
  'lcp.opt.magic_number_bytes': 'FT_BYTES',
  'lcp.opt.field_compress': 'FT_BYTES',
  'lcp.opt.addr_field_compress': 'FT_BYTES',
  'lcp.opt.callback': 'FT_BYTES',
  'lcp.opt.operation': 'FT_UINT8',
  'lcp.opt.multilink_mrru': 'FT_BYTES',
  'lcp.opt.mrru': 'FT_UINT16',
  'lcp.opt.multilink_ep_disc': 'FT_BYTES',
  'lcp.opt.ep_disc_class': 'FT_UINT8',
});

const PPP_PROTOCOLS: Readonly<Record<number, string>> = {
  0xc021: 'Link Control Protocol',
  0x8021: 'Internet Protocol Control Protocol',
  0xc223: 'Challenge Handshake Authentication Protocol',
  0x0021: 'Internet Protocol version 4',
};

const LCP_CODES: Readonly<Record<number, string>> = {
  1: 'Configuration Request',
  2: 'Configuration Ack',
  3: 'Configuration Nak',
  4: 'Configuration Reject',
  5: 'Termination Request',
  6: 'Termination Ack',
  7: 'Code Reject',
  8: 'Protocol Reject',
  9: 'Echo Request',
  10: 'Echo Reply',
  11: 'Discard Request',
};

const CALLBACK_OPS: Readonly<Record<number, string>> = {
  0: 'Location determined by user authentication',
  1: 'Dialing string',
  2: 'Location identifier',
  3: 'E.164 number',
  4: 'X.500 distinguished name',
  6: 'Location is determined during CBCP negotiation',
};

const EP_DISC_CLASSES: Readonly<Record<number, string>> = {
  0: 'Null',
  1: 'Locally assigned address',
  2: 'Internet Protocol (IP) address',
  3: 'IEEE 802.1 global MAC address',
  4: 'PPP magic-number block',
  5: 'Public switched network directory number',
};

/** Options by type: Wireshark's item name, its title, and whether netlab shows this option. */
const OPTIONS: Readonly<Record<number, { name: string; title: string; len: number }>> = {
  1: { name: 'lcp.opt.mru_bytes', title: 'Maximum Receive Unit', len: 4 },
  5: { name: 'lcp.opt.magic_number_bytes', title: 'Magic Number', len: 6 },
  7: { name: 'lcp.opt.field_compress', title: 'Protocol Field Compression', len: 2 },
  8: { name: 'lcp.opt.addr_field_compress', title: 'Address and Control Field Compression', len: 2 },
  13: { name: 'lcp.opt.callback', title: 'Callback', len: 3 },
  17: { name: 'lcp.opt.multilink_mrru', title: 'Multilink MRRU', len: 4 },
  19: { name: 'lcp.opt.multilink_ep_disc', title: 'Multilink Endpoint Discriminator', len: -3 },
};

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** The fields of one option Wireshark names (undefined when netlab does not know it or its length is off). */
function optionField(b: Uint8Array, at: number): Field | undefined {
  const type = b[at];
  const len = b[at + 1];
  const o = OPTIONS[type];
  if (o === undefined || (o.len > 0 ? len !== o.len : len < -o.len)) return undefined;
  const kids: Field[] = [
    uintDec('lcp.opt.type', 'Type', type, at, 1, { text: `Type: ${o.title} (${type})` }),
    uintDec('lcp.opt.length', 'Length', len, at + 1, 1),
  ];
  let text = o.title;
  if (type === 1) {
    kids.push(uintDec('lcp.opt.mru', 'Maximum Receive Unit', u16(b, at + 2), at + 2, 2));
    text = `Maximum Receive Unit: ${u16(b, at + 2)}`;
  } else if (type === 5) {
    const m = u32(b, at + 2);
    kids.push(uintHex('lcp.opt.magic_number', 'Magic Number', m, 8, at + 2, 4));
    text = `Magic Number: ${hex(m, 8)}`;
  } else if (type === 13) {
    const op = b[at + 2];
    const name = CALLBACK_OPS[op] ?? 'Unknown';
    kids.push(uintDec('lcp.opt.operation', 'Operation', op, at + 2, 1, { text: `Operation: ${name} (${op})` }));
    text = `Callback: ${name}`;
  } else if (type === 17) {
    kids.push(uintDec('lcp.opt.mrru', 'MRRU', u16(b, at + 2), at + 2, 2));
    text = `Multilink MRRU: ${u16(b, at + 2)}`;
  } else if (type === 19) {
    const cls = b[at + 2];
    const name = EP_DISC_CLASSES[cls] ?? 'Unknown';
    kids.push(uintDec('lcp.opt.ep_disc_class', 'Class', cls, at + 2, 1, { text: `Class: ${name} (${cls})` }));
    if (len > 3) kids.push(bytesField('lcp.opt.data', 'Data', b, at + 3, len - 3));
    text = `Multilink Endpoint Discriminator: Class: ${name}`;
  }
  return bytesField(o.name, o.title, b, at, len, { text, children: kids });
}

/** The ppp node (and lcp after it) over frame bytes [at, end); an empty list when fewer than 4 bytes. */
export function pppNodes(b: Uint8Array, at: number, end: number): ProtoNode[] {
  if (end - at < 4 || b[at] !== 0xff || b[at + 1] !== 0x03) return [];
  const proto = u16(b, at + 2);
  const ppp: ProtoNode = {
    proto: 'ppp',
    label: 'Point-to-Point Protocol',
    offset: at,
    length: 4,
    malformed: [],
    fields: [
      uintHex('ppp.address', 'Address', b[at], 2, at, 1),
      uintHex('ppp.control', 'Control', b[at + 1], 2, at + 1, 1),
      uintHex('ppp.protocol', 'Protocol', proto, 4, at + 2, 2, { text: `Protocol: ${PPP_PROTOCOLS[proto] ?? 'Unknown'} (${hex(proto, 4)})` }),
    ],
    columns: { protocol: 'PPP', info: '' },
  };
  const p = at + 4;
  if (proto !== 0xc021 || end - p < 4) return [ppp];
  const code = b[p];
  const len = u16(b, p + 2);
  const codeName = LCP_CODES[code] ?? 'Unknown';
  const fields: Field[] = [
    uintDec('ppp.code', 'Code', code, p, 1, { text: `Code: ${codeName} (${code})` }),
    uintDec('ppp.identifier', 'Identifier', b[p + 1], p + 1, 1, { text: `Identifier: ${b[p + 1]} (${hex(b[p + 1], 2)})` }),
    uintDec('ppp.length', 'Length', len, p + 2, 2),
  ];
  const lcp: ProtoNode = {
    proto: 'lcp',
    label: 'PPP Link Control Protocol',
    offset: p,
    length: Math.min(len, end - p),
    fields,
    malformed: [],
    columns: { protocol: 'PPP LCP', info: codeName },
  };
  const optEnd = Math.min(p + len, end);
  if (code >= 1 && code <= 4 && optEnd - (p + 4) > 0) {
    const opts: Field[] = [];
    for (let o = p + 4; o + 2 <= optEnd; ) {
      const f = b[o + 1] >= 2 && o + b[o + 1] <= optEnd ? optionField(b, o) : undefined;
      if (f === undefined) return [ppp, lcp]; // an option netlab does not name: the options stay unshown
      opts.push(f);
      o += b[o + 1];
    }
    const titles = opts.map((f) => OPTIONS[b[f.offset]].title).join(', ');
    fields.push(textItem(`Options: (${optEnd - p - 4} bytes), ${titles}`, p + 4, optEnd - p - 4, opts));
  }
  return [ppp, lcp];
}
