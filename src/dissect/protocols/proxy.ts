// The PROXY protocol (HAProxy's v1 text line and v2 binary header) at the start of a TCP payload, as
// Wireshark 4.0's heuristic dissector shows it. What 4.0 does, kept here because tshark is the
// reference:
//   - it is a heuristic on TCP: tried on a segment whose ports no dissector owns and whose
//     conversation nothing claimed; it claims nothing itself, so every later segment is tried again;
//   - v1 is recognised when "PROXY " starts the payload and the first CR or LF within the next 107
//     bytes is a CRLF; the line is read token by token (space-separated), and the first token that
//     is wrong ends the tree with `proxy.bad_format` (so "PROXY UNKNOWN\r\n", whose protocol token
//     has no space after it, is "badly formatted"); the bytes after the line go on to the
//     protocol the ports or the heuristics pick (HTTP, TLS, ...);
//   - v2 is recognised by the 12-byte signature in a payload of at least 16 bytes; its tree covers
//     the whole payload, and nothing after the header is dissected;
//   - v2's TLVs are read from the end of the addresses while the offset is below the *length field*
//     (not below 16 + length): the last 16 bytes of TLVs are never shown, and a TCP6 header with a
//     length of at most 52 shows none. An SSL TLV reads its sub-TLVs up to that same bound, so the
//     TLVs after an SSL TLV appear inside it;
//   - ALPN, AUTHORITY and the rest have no fields of their own, only type, length and value; 4.0
//     knows no UNIQUE_ID name (type 5 is "Unknown type"); Command and Protocol have no names;
//   - a field reaching past the captured bytes ends the tree with a malformed-packet mark.

import type { Malformation } from '../../wire/layer.ts';
import { parseIpv6 } from '../../wire/address-text.ts';
import { PROXY_V2_SIGNATURE } from '../../wire/proxy-protocol.ts';
import { expertField } from '../expert.ts';
import {
  type Field,
  formatBytesHex,
  formatIpv4,
  formatIpv6,
  hex,
  ipv4Field,
  ipv6Field,
  labelField,
  type ProtoNode,
  rawField,
  stringField,
  uintDec,
  uintHex,
} from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, bytesForText, noneField, textItem } from './link-fields.ts';

registerFields({
  proxy: 'FT_PROTOCOL',
  'proxy.version': 'FT_UINT8',
  'proxy.src.ipv4': 'FT_IPv4',
  'proxy.dst.ipv4': 'FT_IPv4',
  'proxy.src.ipv6': 'FT_IPv6',
  'proxy.dst.ipv6': 'FT_IPv6',
  'proxy.srcport': 'FT_UINT16',
  'proxy.dstport': 'FT_UINT16',
  'proxy.v1.magic': 'FT_NONE',
  'proxy.v1.proto': 'FT_STRING',
  'proxy.v1.unknown': 'FT_STRING',
  'proxy.v2.magic': 'FT_BYTES',
  'proxy.v2.version': 'FT_UINT8',
  'proxy.v2.cmd': 'FT_UINT8',
  'proxy.v2.addr_family_protocol': 'FT_UINT8',
  'proxy.v2.addr_family': 'FT_UINT8',
  'proxy.v2.protocol': 'FT_UINT8',
  'proxy.v2.length': 'FT_UINT16',
  'proxy.v2.src.unix': 'FT_BYTES',
  'proxy.v2.dst.unix': 'FT_BYTES',
  'proxy.v2.unknown': 'FT_BYTES',
  'proxy.v2.tlv': 'FT_NONE',
  'proxy.v2.tlv.type': 'FT_UINT8',
  'proxy.v2.tlv.length': 'FT_UINT16',
  'proxy.v2.tlv.value': 'FT_BYTES',
  'proxy.v2.tlv.ssl.client': 'FT_UINT8',
  'proxy.v2.tlv.ssl.verify': 'FT_UINT32',
  'proxy.v2.tlv.ssl.version': 'FT_STRING',
  'proxy.v2.tlv.ssl.cn': 'FT_STRING',
  'proxy.v2.tlv.ssl.cipher': 'FT_STRING',
  'proxy.v2.tlv.ssl.sig_alg': 'FT_STRING',
  'proxy.v2.tlv.ssl.keu_alg': 'FT_STRING',
  'proxy.header.length_too_small': 'FT_NONE',
  'proxy.bad_format': 'FT_NONE',
});

/** Wireshark 4.0's names for v2's family/transport byte. */
const FAMILY_PROTOCOL: Readonly<Record<number, string>> = {
  0x00: 'UNSPEC',
  0x11: 'TCP over IPv4',
  0x12: 'UDP over IPv4',
  0x21: 'TCP over IPv6',
  0x22: 'UDP over IPv6',
  0x31: 'UNIX stream',
  0x32: 'UNIX datagram',
};
const FAMILY: Readonly<Record<number, string>> = { 1: 'IPv4', 2: 'IPv6', 3: 'UNIX' };
/** Wireshark 4.0's TLV names (no UNIQUE_ID). */
const TLV_NAMES: Readonly<Record<number, string>> = {
  0x00: 'UNSPEC',
  0x01: 'ALPN',
  0x02: 'AUTHORITY',
  0x03: 'CRC32C',
  0x04: 'NOOP',
  0x20: 'SSL',
  0x21: 'SSL VERSION',
  0x22: 'SSL CN',
  0x23: 'SSL CIPHER',
  0x24: 'SSL SIG ALG',
  0x25: 'SSL KEY ALG',
  0x30: 'NETNS',
  0xea: 'AWS',
};
/** The SSL sub-TLVs that have a string field: name, label, and whether the TLV's line shows the text. */
const SSL_STRINGS: Readonly<Record<number, readonly [string, string, boolean]>> = {
  0x21: ['proxy.v2.tlv.ssl.version', 'Version', true],
  0x22: ['proxy.v2.tlv.ssl.cn', 'CN', true],
  0x23: ['proxy.v2.tlv.ssl.cipher', 'Cipher', false],
  0x24: ['proxy.v2.tlv.ssl.sig_alg', 'SIG ALG', false],
  0x25: ['proxy.v2.tlv.ssl.keu_alg', 'Key ALG', false],
};

const V1_MAX_LINE = 107;
const V1_MAGIC = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "

/** A PROXY header Wireshark's heuristic takes at the start of a payload: its version, else undefined. */
export function proxyHeuristic(b: Uint8Array, offset: number, length: number): 1 | 2 | undefined {
  if (length >= 16 && PROXY_V2_SIGNATURE.every((c, i) => b[offset + i] === c)) return 2;
  return v1LineLength(b, offset, length) !== undefined ? 1 : undefined;
}

/** v1: the header line's length with its CRLF, when Wireshark recognises one. */
function v1LineLength(b: Uint8Array, offset: number, length: number): number | undefined {
  if (length < 8 || !V1_MAGIC.every((c, i) => b[offset + i] === c)) return undefined;
  const limit = Math.min(length, 6 + Math.min(length, V1_MAX_LINE));
  for (let i = 6; i < limit; i++) {
    const c = b[offset + i];
    if (c === 0x0d || c === 0x0a) return c === 0x0d && i + 1 < limit && b[offset + i + 1] === 0x0a ? i + 2 : undefined;
  }
  return undefined;
}

/** What the PROXY dissector made of a payload. */
export interface ProxyDissection {
  node: ProtoNode;
  version: 1 | 2;
  /** Bytes from the payload's start the dissector took; the rest (v1 only) goes to the next protocol. */
  consumed: number;
}

/** ENC_ASCII: bytes past 0x7f read as U+FFFD. */
function ascii(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
  return s;
}

/**
 * An expert item of the Malformed group, as proto_tree_add_expert adds it: a text item holding the
 * expert subtree and a hidden `_ws.malformed` (so the display filter `_ws.malformed` selects it).
 */
function malformedExpert(name: string, message: string, offset: number, length: number): Field {
  return textItem(message, offset, Math.max(length, 0), [
    expertField(name, message, 'Warning', 'Malformed', offset, Math.max(length, 0)),
    rawField('_ws.malformed', 'Malformed Packet', 'none', null, '_ws.malformed', offset, 0, { hidden: true }),
  ]);
}

function badFormat(message: string, offset: number, length: number): Field {
  return malformedExpert('proxy.bad_format', message, offset, length);
}

/** glibc's inet_pton for IPv4: four decimal numbers 0..255, no leading zeros. */
function pton4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

/** ws_strtou16: decimal digits (an optional "+"), at most 65535. */
function strtou16(s: string): number | undefined {
  if (!/^\+?[0-9]+$/.test(s)) return undefined;
  const n = Number(s.replace('+', ''));
  return n <= 65535 ? n : undefined;
}

/** Dissects a PROXY header at b[offset, offset+length) (a TCP payload); undefined when none is there. */
export function dissectProxy(b: Uint8Array, offset: number, length: number): ProxyDissection | undefined {
  const version = proxyHeuristic(b, offset, length);
  if (version === 2) return dissectV2(b, offset, length);
  if (version === 1) return dissectV1(b, offset, length, v1LineLength(b, offset, length) as number);
  return undefined;
}

function dissectV1(b: Uint8Array, base: number, length: number, header: number): ProxyDissection {
  const fields: Field[] = [noneField('proxy.v1.magic', 'PROXY v1 magic', base, 5, { text: 'PROXY v1 magic' })];
  const node: ProtoNode = { proto: 'proxy', label: 'PROXY Protocol', offset: base, length: header, fields, malformed: [] };
  const whole: ProxyDissection = { node, version: 1, consumed: length };
  let at = 6;
  // The next space-terminated token, or undefined (with the expert item when no space is left).
  const token = (): string | undefined => {
    let sp = -1;
    for (let i = at; i < header; i++)
      if (b[base + i] === 0x20) {
        sp = i;
        break;
      }
    if (sp < 0) {
      fields.push(badFormat('Badly formatted PROXY header line', base + at, header - at));
      return undefined;
    }
    return sp === at ? undefined : ascii(b, base + at, base + sp);
  };
  const proto = token();
  if (proto === undefined) return whole;
  fields.push(stringField('proxy.v1.proto', 'Protocol', proto, base + at, proto.length));
  at += proto.length + 1;
  const six = proto === 'TCP6';
  if (proto !== 'TCP4' && !six) {
    const rest = ascii(b, base + at, base + header - 2);
    fields.push(stringField('proxy.v1.unknown', 'Unknown data', rest, base + at, Math.max(header - 2 - at, 0)));
    return whole;
  }
  for (const [name, label] of [
    ['proxy.src', 'Source Address'],
    ['proxy.dst', 'Destination Address'],
  ] as const) {
    const t = token();
    if (t === undefined) return whole;
    const bytes = six ? (t.includes(':') ? parseIpv6(t) : undefined) : pton4(t);
    if (bytes === undefined) {
      fields.push(badFormat(`Unrecognized IPv${six ? 6 : 4} address`, base + at, t.length));
      return whole;
    }
    const show = six ? formatIpv6(bytes) : formatIpv4(bytes);
    fields.push(rawField(`${name}.ipv${six ? 6 : 4}`, label, six ? 'ipv6' : 'ipv4', bytes, show, base + at, t.length));
    at += t.length + 1;
  }
  const sp = token();
  if (sp === undefined) return whole;
  const srcPort = strtou16(sp);
  if (srcPort === undefined) {
    fields.push(badFormat('Unrecognized port', base + at, sp.length));
    return whole;
  }
  fields.push(uintDec('proxy.srcport', 'Source Port', srcPort, base + at, sp.length));
  at += sp.length + 1;
  const dpLength = header - 2 - at;
  if (dpLength <= 0) {
    fields.push(badFormat('Badly formatted PROXY header line', base + at, dpLength));
    return whole;
  }
  const dp = ascii(b, base + at, base + at + dpLength);
  const dstPort = strtou16(dp);
  if (dstPort === undefined) {
    fields.push(badFormat('Unrecognized port', base + at, dpLength));
    return whole;
  }
  fields.push(uintDec('proxy.dstport', 'Destination Port', dstPort, base + at, dpLength));
  return { node, version: 1, consumed: header };
}

function dissectV2(b: Uint8Array, base: number, length: number): ProxyDissection {
  const fields: Field[] = [];
  const malformed: Malformation[] = [];
  const node: ProtoNode = { proto: 'proxy', label: 'PROXY Protocol', offset: base, length, fields, malformed };
  const done: ProxyDissection = { node, version: 2, consumed: length };
  const end = base + length;
  // An item reaching past the payload throws in Wireshark: the tree stops there, marked malformed.
  const fits = (at: number, n: number): boolean => {
    if (base + at + n <= end) return true;
    malformed.push({ layer: 'PROXY', offset: base + at, reason: `PROXY v2: ${n} byte(s) at ${at} run past the ${length}-byte payload` });
    return false;
  };
  fields.push(rawField('proxy.v2.magic', 'Magic', 'bytes', b.slice(base, base + 12), formatBytesHex(b.subarray(base, base + 12)), base, 12));
  const vc = b[base + 12];
  fields.push(
    uintDec('proxy.v2.version', 'Version', vc >> 4, base + 12, 1, { text: `${bitPattern(vc, 0xf0, 8)} = Version: ${vc >> 4}` }),
    uintDec('proxy.v2.cmd', 'Command', vc & 0x0f, base + 12, 1, { text: `${bitPattern(vc, 0x0f, 8)} = Command: ${vc & 0x0f}` }),
    uintDec('proxy.version', 'Version', 2, base + 12, 1, { generated: true, text: '[Version: 2]' }),
  );
  const fp = b[base + 13];
  const family = fp >> 4;
  fields.push(
    uintHex('proxy.v2.addr_family_protocol', 'Address Family Protocol', fp, 2, base + 13, 1, {
      text: `Address Family Protocol: ${FAMILY_PROTOCOL[fp] ?? 'Unknown'} (${hex(fp, 2)})`,
      children: [
        uintHex('proxy.v2.addr_family', 'Address Family', family, 2, base + 13, 1, {
          text: `${bitPattern(fp, 0xf0, 8)} = Address Family: ${FAMILY[family] ?? 'Unknown'} (0x${family.toString(16)})`,
        }),
        uintHex('proxy.v2.protocol', 'Protocol', fp & 0x0f, 2, base + 13, 1, { text: `${bitPattern(fp, 0x0f, 8)} = Protocol: 0x${(fp & 0x0f).toString(16)}` }),
      ],
    }),
  );
  const headerLen = (b[base + 14] << 8) | b[base + 15];
  fields.push(uintDec('proxy.v2.length', 'Length', headerLen, base + 14, 2));
  const nextOffset = 16 + headerLen;
  let at = 16;
  const addrs = (n: 4 | 16): boolean => {
    const six = n === 16;
    if (!fits(at, n)) return false;
    fields.push((six ? ipv6Field : ipv4Field)(`proxy.src.ipv${six ? 6 : 4}`, 'Source Address', b, base + at));
    at += n;
    if (!fits(at, n)) return false;
    fields.push((six ? ipv6Field : ipv4Field)(`proxy.dst.ipv${six ? 6 : 4}`, 'Destination Address', b, base + at));
    at += n;
    for (const [name, label] of [
      ['proxy.srcport', 'Source Port'],
      ['proxy.dstport', 'Destination Port'],
    ] as const) {
      if (!fits(at, 2)) return false;
      fields.push(uintDec(name, label, (b[base + at] << 8) | b[base + at + 1], base + at, 2));
      at += 2;
    }
    return true;
  };
  const bytes = (name: string, label: string, n: number): boolean => {
    if (!fits(at, n)) return false;
    const v = b.slice(base + at, base + at + n);
    fields.push(
      rawField(name, label, 'bytes', v, n === 0 ? '<MISSING>' : formatBytesHex(v), base + at, n, {
        text: `${label}: ${n === 0 ? '<MISSING>' : bytesForText(v)}`,
      }),
    );
    at += n;
    return true;
  };
  let ok: boolean;
  if (fp === 0x11 || fp === 0x12) ok = addrs(4);
  else if (fp === 0x21 || fp === 0x22) ok = addrs(16);
  else if (fp === 0x31 || fp === 0x32) ok = bytes('proxy.v2.src.unix', 'Source Address', 108) && bytes('proxy.v2.dst.unix', 'Destination Address', 108);
  else ok = bytes('proxy.v2.unknown', 'Unknown data', headerLen);
  if (!ok) return done;
  if (at > nextOffset) {
    fields.push(malformedExpert('proxy.header.length_too_small', 'Header length is too small', base + at, length - at));
    return done;
  }
  // 4.0 compares the offset (from the payload's start) with the length field, not with its end.
  if (at < headerLen) tlvs(b, base, at, headerLen, fields, fits);
  return done;
}

/** TLVs from `at` while below `bound` (offsets from the payload's start); returns where it stopped. */
function tlvs(b: Uint8Array, base: number, at: number, bound: number, into: Field[], fits: (at: number, n: number) => boolean): number | undefined {
  while (at < bound) {
    if (!fits(at, 3)) return undefined;
    const type = b[base + at];
    const length = (b[base + at + 1] << 8) | b[base + at + 2];
    const name = TLV_NAMES[type];
    const kids: Field[] = [
      uintHex('proxy.v2.tlv.type', 'Type', type, 2, base + at, 1, { text: `Type: ${name ?? 'Unknown'} (${hex(type, 2)})` }),
      uintDec('proxy.v2.tlv.length', 'Length', length, base + at + 1, 2),
    ];
    const tlv = labelField('proxy.v2.tlv', 'TLV', base + at, 3 + length, { text: `TLV: (t=${type},l=${length}) ${name ?? 'Unknown type'}`, children: kids });
    into.push(tlv);
    at += 3;
    if (!fits(at, length)) return undefined;
    const v = b.slice(base + at, base + at + length);
    kids.push(
      rawField('proxy.v2.tlv.value', 'Value', 'bytes', v, length === 0 ? '<MISSING>' : formatBytesHex(v), base + at, length, {
        text: `Value: ${length === 0 ? '<MISSING>' : bytesForText(v)}`,
      }),
    );
    const str = SSL_STRINGS[type];
    if (type === 0x20) {
      if (!fits(at, 1)) return undefined;
      kids.push(uintHex('proxy.v2.tlv.ssl.client', 'Client', b[base + at], 2, base + at, 1));
      at += 1;
      if (!fits(at, 4)) return undefined;
      const verify = ((b[base + at] << 24) | (b[base + at + 1] << 16) | (b[base + at + 2] << 8) | b[base + at + 3]) >>> 0;
      kids.push(uintHex('proxy.v2.tlv.ssl.verify', 'Verify', verify, 8, base + at, 4));
      at += 4;
      const next = tlvs(b, base, at, bound, kids, fits);
      if (next === undefined) return undefined;
      at = next;
    } else if (str !== undefined) {
      const text = ascii(b, base + at, base + at + length);
      kids.push(stringField(str[0], str[1], text, base + at, length));
      if (str[2]) tlv.text = `${tlv.text}: ${text}`;
      at += length;
    } else {
      at += length;
    }
  }
  return at;
}
