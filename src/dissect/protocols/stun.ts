// STUN (RFC 5389, with RFC 5780's attributes) over UDP as Wireshark 4.0's `stun` dissector shows it.
// Wireshark finds STUN by a heuristic on any UDP port (and by port 3478): the top two type bits zero,
// the magic cookie, and a Message Length that is the datagram's payload less the 20-byte header; the
// same test picks it out here. Fields as tshark prints them: the type with its class / method /
// method-assignment bits, the length, cookie and transaction ID as bytes, each attribute's type (with
// comprehension / assignment bits) and length, then its value: addresses as reserved, family, port,
// IPv4/IPv6 (XOR-MAPPED-ADDRESS: port-xord and ipv4-xord as bytes, the real port and address
// generated beside them), CHANGE-REQUEST's two flags, ERROR-CODE's class, number and reason,
// FINGERPRINT's CRC-32 and status, text attributes, and the zero padding to 4 bytes as a count.
// Wireshark 4.0 still reads type 0x0027 as the withdrawn XOR-RESPONSE-TARGET, not RFC 5780's
// RESPONSE-PORT: netlab shows its type and length only (test/interop/known-divergences.ts says so).
// Info: "Binding Success Response XOR-MAPPED-ADDRESS: 203.0.113.5:50001 ...".

import type { Udp } from '../../wire/udp.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import { decodeStun, isStunMessage, STUN_CLASS_NAMES, STUN_PORT, type StunAttribute } from '../../wire/stun.ts';
import type { DissectContext } from '../context.ts';
import { bool, bytesField, type Field, ipv4Field, ipv6Field, labelField, type ProtoNode, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { expertField } from '../expert.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern } from './link-fields.ts';

registerFields({
  stun: 'FT_PROTOCOL',
  'stun.type': 'FT_UINT16',
  'stun.type.class': 'FT_UINT16',
  'stun.type.method': 'FT_UINT16',
  'stun.type.method-assignment': 'FT_UINT16',
  'stun.length': 'FT_UINT16',
  'stun.cookie': 'FT_BYTES',
  'stun.id': 'FT_BYTES',
  'stun.network_version': 'FT_UINT8',
  'stun.attributes': 'FT_NONE',
  'stun.att.type': 'FT_UINT16',
  'stun.att.type.comprehension': 'FT_UINT16',
  'stun.att.type.assignment': 'FT_UINT16',
  'stun.att.length': 'FT_UINT16',
  'stun.att.reserved': 'FT_BYTES',
  'stun.att.family': 'FT_UINT8',
  'stun.att.port': 'FT_UINT16',
  'stun.att.ipv4': 'FT_IPv4',
  'stun.att.ipv6': 'FT_IPv6',
  'stun.att.port-xord': 'FT_BYTES',
  'stun.att.ipv4-xord': 'FT_BYTES',
  'stun.att.ipv6-xord': 'FT_BYTES',
  'stun.att.change-ip': 'FT_BOOLEAN',
  'stun.att.change-port': 'FT_BOOLEAN',
  'stun.att.error.class': 'FT_UINT8',
  'stun.att.error': 'FT_UINT8',
  'stun.att.error.reason': 'FT_STRING',
  'stun.att.software': 'FT_STRING',
  'stun.att.username': 'FT_STRING',
  'stun.att.realm': 'FT_STRING',
  'stun.att.nonce': 'FT_STRING',
  'stun.att.crc32': 'FT_UINT32',
  'stun.att.crc32.status': 'FT_UINT8',
  'stun.att.crc32.bad': 'FT_NONE',
  'stun.att.padding': 'FT_UINT16',
  'stun.att.unknown': 'FT_UINT16',
});

/** Wireshark's names for attribute types in the tree. */
const ATT_LABEL: Readonly<Record<number, string>> = {
  0x0001: 'MAPPED-ADDRESS',
  0x0002: 'RESPONSE_ADDRESS',
  0x0003: 'CHANGE_REQUEST',
  0x0004: 'SOURCE_ADDRESS',
  0x0005: 'CHANGED_ADDRESS',
  0x0006: 'USERNAME',
  0x0008: 'MESSAGE-INTEGRITY',
  0x0009: 'ERROR-CODE',
  0x000a: 'UNKNOWN-ATTRIBUTES',
  0x0014: 'REALM',
  0x0015: 'NONCE',
  0x0020: 'XOR-MAPPED-ADDRESS',
  0x0026: 'PADDING',
  0x0027: 'XOR-RESPONSE-TARGET',
  0x8022: 'SOFTWARE',
  0x8023: 'ALTERNATE-SERVER',
  0x8028: 'FINGERPRINT',
  0x802b: 'RESPONSE-ORIGIN',
  0x802c: 'OTHER-ADDRESS',
};

const TEXT_FIELD: Readonly<Record<number, [string, string]>> = {
  0x0006: ['stun.att.username', 'Username'],
  0x0014: ['stun.att.realm', 'Realm'],
  0x0015: ['stun.att.nonce', 'Nonce'],
  0x8022: ['stun.att.software', 'Software'],
};

const METHOD_NAMES: Readonly<Record<number, string>> = { 0x001: 'Binding', 0x003: 'Allocate', 0x004: 'Refresh', 0x006: 'Send', 0x007: 'Data' };

/** True when the payload of a UDP datagram is a STUN message (Wireshark's heuristic), or the port is 3478. */
export function isStun(ctx: DissectContext, layer: DecodedLayer): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const end = Math.min(layer.offset + layer.length, ctx.frame.length);
  const payload = ctx.frame.subarray(layer.offset, end);
  if (isStunMessage(payload)) return true;
  const u = prev.value as Udp;
  return (u.srcPort === STUN_PORT || u.dstPort === STUN_PORT) && payload.length >= 20 && (payload[0] & 0xc0) === 0;
}

function hex4(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

function addrText(a: StunAttribute): string {
  return a.kind === 'address' || a.kind === 'xor-address' ? `${a.address}:${a.port}` : '';
}

/** An attribute's type with its comprehension and assignment bits, as Wireshark shows them. */
function attTypeField(type: number, at: number, name: string): Field {
  return uintHex('stun.att.type', 'Attribute Type', type, 4, at, 2, {
    text: `Attribute Type: ${name}`,
    children: [
      uintHex('stun.att.type.comprehension', 'Attribute Type Comprehension', (type & 0x8000) >>> 15, 4, at, 2, {
        text: `${bitPattern(type, 0x8000, 16)} = Attribute Type Comprehension: ${type & 0x8000 ? 'Optional' : 'Required'} (0x${(type & 0x8000) >>> 15})`,
      }),
      uintHex('stun.att.type.assignment', 'Attribute Type Assignment', (type & 0x4000) >>> 14, 4, at, 2, {
        text: `${bitPattern(type, 0x4000, 16)} = Attribute Type Assignment: ${type & 0x4000 ? 'Designated Expert' : 'IETF Review'} (0x${(type & 0x4000) >>> 14})`,
      }),
    ],
  });
}

/** The stun mapper (over the `data` layer of a UDP datagram). */
export function mapStun(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  const { message: m, malformed } = decodeStun(b.subarray(off, end));
  if (m === undefined) return undefined;
  const type = m.type;
  const clsBits = (type & 0x0110) >>> 4;
  const methodName = METHOD_NAMES[m.method] ?? 'Unknown';
  const typeName = `${methodName} ${STUN_CLASS_NAMES[m.cls]}`;
  const fields: Field[] = [
    uintHex('stun.type', 'Message Type', type, 4, off, 2, {
      text: `Message Type: ${hex4(type)} (${typeName})`,
      children: [
        uintHex('stun.type.class', 'Message Class', clsBits, 4, off, 2, {
          text: `${bitPattern(type, 0x0110, 16)} = Message Class: 0x${clsBits.toString(16).padStart(2, '0')} ${STUN_CLASS_NAMES[m.cls]} (${m.cls})`,
        }),
        uintHex('stun.type.method', 'Message Method', m.method, 4, off, 2, {
          text: `${bitPattern(type, 0x3eef, 16)} = Message Method: ${hex4(m.method)} ${methodName} (0x${m.method.toString(16).padStart(3, '0')})`,
        }),
        uintHex('stun.type.method-assignment', 'Message Method Assignment', (type & 0x2000) >>> 13, 4, off, 2, {
          text: `${bitPattern(type, 0x2000, 16)} = Message Method Assignment: ${type & 0x2000 ? 'Designated Expert' : 'IETF Review'} (0x${(type & 0x2000) >>> 13})`,
        }),
      ],
    }),
    uintDec('stun.length', 'Message Length', m.length, off + 2, 2),
    bytesField('stun.cookie', 'Message Cookie', b, off + 4, 4),
    bytesField('stun.id', 'Message Transaction ID', b, off + 8, 12),
  ];
  // Wireshark tells RFC 5389 from its drafts by the attributes, so a message with none has no version.
  if (m.length > 0) {
    fields.push(
      rawField('stun.network_version', 'STUN Network Version', 'uint', 3, '3', off + 4, 4, {
        generated: true,
        text: '[STUN Network Version: RFC-5389/8489 (3)]',
      }),
    );
  }
  const atts: Field[] = [];
  const info: string[] = [typeName];
  const msgEnd = Math.min(end, off + 20 + m.length);
  for (const a of m.attributes) {
    const at = off + (a.at ?? 0);
    const len = a.valueLength ?? 0;
    const v = at + 4;
    const padded = (len + 3) & ~3;
    const name = ATT_LABEL[a.type] ?? 'Unknown';
    const children: Field[] = [attTypeField(a.type, at, name), uintDec('stun.att.length', 'Attribute Length', len, at + 2, 2)];
    let label = name;
    let padAfter = len % 4 !== 0;
    switch (a.kind) {
      case 'address':
      case 'xor-address': {
        const fam = a.family === 4 ? 'IPv4 (0x01)' : 'IPv6 (0x02)';
        children.push(bytesField('stun.att.reserved', 'Reserved', b, v, 1));
        children.push(uintHex('stun.att.family', 'Protocol Family', b[v + 1], 2, v + 1, 1, { text: `Protocol Family: ${fam}` }));
        if (a.kind === 'address') {
          children.push(uintDec('stun.att.port', 'Port', a.port, v + 2, 2));
          children.push(a.family === 4 ? ipv4Field('stun.att.ipv4', 'IP', b, v + 4) : ipv6Field('stun.att.ipv6', 'IP', b, v + 4));
        } else {
          children.push(bytesField('stun.att.port-xord', 'Port (XOR-d)', b, v + 2, 2));
          children.push(uintDec('stun.att.port', 'Port', a.port, v + 2, 2, { generated: true, text: `[Port: ${a.port}]` }));
          const n = a.family === 4 ? 4 : 16;
          children.push(bytesField(`stun.att.ipv${a.family}-xord`, 'IP (XOR-d)', b, v + 4, n));
          const plain = new Uint8Array(n);
          const key = Uint8Array.of(0x21, 0x12, 0xa4, 0x42, ...m.transactionId);
          for (let i = 0; i < n; i++) plain[i] = b[v + 4 + i] ^ key[i];
          const f = a.family === 4 ? ipv4Field('stun.att.ipv4', 'IP', plain, 0) : ipv6Field('stun.att.ipv6', 'IP', plain, 0);
          children.push({ ...f, offset: v + 4, length: n, generated: true, text: `[IP: ${a.address}]` });
        }
        label = `${name}: ${addrText(a)}`;
        info.push(label);
        break;
      }
      case 'change-request':
        children.push(
          bool('stun.att.change-ip', 'Change IP', a.changeIp, v, 4, {
            text: `${bitPattern(b[v + 2] * 256 + b[v + 3], 0x0004, 16)} = Change IP: ${a.changeIp ? 'Set' : 'Not set'}`,
          }),
        );
        children.push(
          bool('stun.att.change-port', 'Change Port', a.changePort, v, 4, {
            text: `${bitPattern(b[v + 2] * 256 + b[v + 3], 0x0002, 16)} = Change Port: ${a.changePort ? 'Set' : 'Not set'}`,
          }),
        );
        break;
      case 'error-code': {
        const cls = b[v + 2] & 7;
        children.push(bytesField('stun.att.reserved', 'Reserved', b, v, 2));
        children.push(uintDec('stun.att.error.class', 'Error Class', cls, v + 2, 1, { text: `${bitPattern(b[v + 2], 0x07, 8)} = Error Class: ${cls}` }));
        children.push(uintDec('stun.att.error', 'Error Code', b[v + 3], v + 3, 1));
        children.push(stringField('stun.att.error.reason', 'Error Reason Phrase', a.reason, v + 4, len - 4));
        label = `${name} ${a.code} (${a.reason}): ${a.reason}`;
        info.push(`error-code: ${a.code} (${a.reason}) ${a.reason}`);
        break;
      }
      case 'text': {
        const tf = TEXT_FIELD[a.type];
        if (tf !== undefined) children.push(stringField(tf[0], tf[1], a.value, v, len));
        else padAfter = false;
        if (a.type === 0x0006) {
          label = `${name}: ${a.value}`;
          info.push(`user: ${a.value}`);
        }
        break;
      }
      case 'fingerprint':
        if (a.value !== undefined) {
          const good = m.fingerprint === 'good';
          const hex8 = (x: number): string => `0x${x.toString(16).padStart(8, '0')}`;
          const want = hex8(m.fingerprintComputed ?? 0);
          children.push(
            uintHex('stun.att.crc32', 'CRC-32', a.value, 8, v, 4, {
              text: `CRC-32: ${hex8(a.value)} ${good ? '[correct]' : `incorrect, should be ${want}`}`,
              children: good ? undefined : [expertField('stun.att.crc32.bad', `Bad Fingerprint [should be ${want}]`, 'Warning', 'Checksum', v, 4)],
            }),
          );
          children.push(
            rawField('stun.att.crc32.status', 'CRC-32 Status', 'uint', good ? 1 : 0, good ? '1' : '0', v, 4, {
              generated: true,
              text: `[CRC-32 Status: ${good ? 'Good' : 'Bad'}]`,
            }),
          );
        }
        break;
      case 'padding':
        children.push(uintDec('stun.att.padding', 'Padding', len, v, len));
        break;
      case 'unknown-attributes':
        a.types.forEach((t, i) => {
          children.push(uintHex('stun.att.unknown', 'Unknown Attribute', t, 4, v + 2 * i, 2));
        });
        break;
      default:
        padAfter = false;
    }
    if (padAfter && v + padded <= msgEnd) children.push(uintDec('stun.att.padding', 'Padding', padded - len, v + len, padded - len));
    atts.push(labelField('', label, at, 4 + padded, { text: label, children }));
  }
  const t = m.truncatedAttribute;
  if (t !== undefined) {
    // Wireshark shows the header of an attribute that runs past the message, its length rounded up to 4.
    const at = off + t.at;
    const name = ATT_LABEL[t.type] ?? 'Unknown';
    const shown = (t.length + 3) & ~3;
    atts.push(
      labelField('', name, at, 4, {
        text: name,
        children: [
          attTypeField(t.type, at, name),
          uintDec('stun.att.length', 'Attribute Length', shown, at + 2, 2, { text: `Attribute Length: ${shown} (bogus, goes past the end of the message)` }),
        ],
      }),
    );
  }
  if (atts.length > 0) fields.push(labelField('stun.attributes', 'Attributes', off + 20, msgEnd - off - 20, { text: 'Attributes', children: atts }));
  const infoText = info.join(' ');
  return [
    {
      proto: 'stun',
      label: 'Session Traversal Utilities for NAT',
      offset: off,
      length: end - off,
      fields,
      malformed: malformed.map((x) => ({ ...x, offset: x.offset + off })),
      columns: { protocol: 'STUN', info: infoText },
    },
  ];
}
