// NetBIOS Name Service (RFC 1002) over UDP port 137, as Wireshark 4.0's `nbns` dissector shows it:
// the DNS-like header with NBNS's flags (broadcast bit, no Z/AD/CD), the first-level-encoded names
// decoded to "NAME<xx>", questions, and NB/NBSTAT records. Info: "Name query NB WORKGROUP<1d>".

import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, type Field, formatIpv4, ipv4Field, type ProtoNode, rawField, uintDec, uintHex } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, textItem } from './link-fields.ts';

registerFields({
  nbns: 'FT_PROTOCOL',
  'nbns.id': 'FT_UINT16',
  'nbns.flags': 'FT_UINT16',
  'nbns.flags.response': 'FT_BOOLEAN',
  'nbns.flags.opcode': 'FT_UINT16',
  'nbns.flags.authoritative': 'FT_BOOLEAN',
  'nbns.flags.truncated': 'FT_BOOLEAN',
  'nbns.flags.recdesired': 'FT_BOOLEAN',
  'nbns.flags.recavail': 'FT_BOOLEAN',
  'nbns.flags.broadcast': 'FT_BOOLEAN',
  'nbns.flags.rcode': 'FT_UINT16',
  'nbns.count.queries': 'FT_UINT16',
  'nbns.count.answers': 'FT_UINT16',
  'nbns.count.auth_rr': 'FT_UINT16',
  'nbns.count.add_rr': 'FT_UINT16',
  'nbns.name': 'FT_STRING',
  'nbns.type': 'FT_UINT16',
  'nbns.class': 'FT_UINT16',
  'nbns.ttl': 'FT_UINT32',
  'nbns.data_length': 'FT_UINT16',
  'nbns.addr': 'FT_IPv4',
});

export const NBNS_UDP_PORT = 137;

const OPCODES: Readonly<Record<number, string>> = {
  0: 'Name query',
  5: 'Registration',
  6: 'Release',
  7: 'Wait for acknowledgment',
  8: 'Refresh',
  9: 'Refresh (alternate opcode)',
  15: 'Multi-homed registration',
};
const TYPES: Readonly<Record<number, string>> = { 32: 'NB', 33: 'NBSTAT', 1: 'A', 2: 'NS', 10: 'NULL' };
const RCODES: Readonly<Record<number, string>> = {
  0: 'No error',
  1: 'Request was invalidly formatted',
  2: 'Server failure',
  3: 'Requested name does not exist',
  4: 'Request is not implemented',
  5: 'Request was refused',
  6: 'Name is owned by another node',
  7: 'Name is in conflict',
};
/** Wireshark's names for the 16th byte of a NetBIOS name. */
const SUFFIXES: Readonly<Record<number, string>> = {
  0x00: 'Workstation/Redirector',
  0x01: 'Browser',
  0x02: 'Workstation/Redirector',
  0x03: 'Messenger service/Main name',
  0x05: 'Forwarded name',
  0x06: 'RAS Server service',
  0x1b: 'Domain Master Browser',
  0x1c: 'Domain Controllers',
  0x1d: 'Local Master Browser',
  0x1e: 'Browser Election Service',
  0x1f: 'Net DDE Service',
  0x20: 'Server service',
  0x21: 'RAS client service',
  0x22: 'Exchange Interchange (MSMail Connector)',
  0x23: 'Exchange Store',
  0x24: 'Exchange Directory',
  0x2b: 'Lotus Notes Server service',
  0x30: 'Modem sharing server service',
  0x31: 'Modem sharing client service',
  0x43: 'SMS Clients Remote Control',
  0x44: 'SMS Administrators Remote Control Tool',
  0x45: 'SMS Clients Remote Chat',
  0x46: 'SMS Clients Remote Transfer',
  0x4c: 'DEC Pathworks TCP/IP Service on Windows NT',
  0x52: 'DEC Pathworks TCP/IP Service on Windows NT',
  0x6a: 'Microsoft Exchange IMC',
  0x87: 'Microsoft Exchange MTA',
  0xbe: 'Network Monitor Agent',
  0xbf: 'Network Monitor Analyzer',
};

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

export function isNbns(ctx: DissectContext): boolean {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return false;
  const v = prev.value as { srcPort: number; dstPort: number };
  return v.srcPort === NBNS_UDP_PORT || v.dstPort === NBNS_UDP_PORT;
}

interface Name {
  text: string;
  suffix: number;
  /** Bytes in place. */
  length: number;
}

/** A first-level-encoded NetBIOS name at `at` (a 32-byte label, then scope labels); no compression pointers followed. */
function readName(b: Uint8Array, at: number, end: number): Name | undefined {
  const n = b[at];
  if (n !== 32 || at + 33 > end) return undefined;
  let raw = '';
  for (let i = 0; i < 32; i += 2) {
    const hi = b[at + 1 + i] - 0x41;
    const lo = b[at + 2 + i] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return undefined;
    raw += String.fromCharCode((hi << 4) | lo);
  }
  const suffix = raw.charCodeAt(15);
  let name = raw.slice(0, 15).replace(/ +$/, '');
  let p = at + 33;
  const scope: string[] = [];
  while (p < end && b[p] !== 0) {
    const l = b[p];
    if ((l & 0xc0) !== 0 || p + 1 + l > end) return undefined;
    scope.push(String.fromCharCode(...b.subarray(p + 1, p + 1 + l)));
    p += 1 + l;
  }
  if (p >= end) return undefined;
  name = `${name}<${suffix.toString(16).padStart(2, '0')}>`;
  if (scope.length > 0) name += `.${scope.join('.')}`;
  return { text: name, suffix, length: p + 1 - at };
}

function flagsField(word: number, at: number): Field {
  const qr = (word & 0x8000) !== 0;
  const opcode = (word >>> 11) & 0xf;
  const bit = (name: string, label: string, mask: number, on: string, off: string): Field =>
    bool(name, label, (word & mask) !== 0, at, 2, { text: `${bitPattern(word, mask, 16)} = ${label}: ${(word & mask) !== 0 ? on : off}` });
  const kids: Field[] = [
    bit('nbns.flags.response', 'Response', 0x8000, 'Message is a response', 'Message is a query'),
    uintDec('nbns.flags.opcode', 'Opcode', opcode, at, 2, {
      text: `${bitPattern(word, 0x7800, 16)} = Opcode: ${OPCODES[opcode] ?? 'Unknown operation'} (${opcode})`,
    }),
  ];
  if (qr) kids.push(bit('nbns.flags.authoritative', 'Authoritative', 0x0400, 'Server is an authority for domain', 'Server is not an authority for domain'));
  kids.push(bit('nbns.flags.truncated', 'Truncated', 0x0200, 'Message is truncated', 'Message is not truncated'));
  kids.push(bit('nbns.flags.recdesired', 'Recursion desired', 0x0100, 'Do query recursively', "Don't do query recursively"));
  if (qr) kids.push(bit('nbns.flags.recavail', 'Recursion available', 0x0080, 'Server can do recursive queries', "Server can't do recursive queries"));
  kids.push(bit('nbns.flags.broadcast', 'Broadcast', 0x0010, 'Broadcast packet', 'Not a broadcast packet'));
  if (qr)
    kids.push(
      uintDec('nbns.flags.rcode', 'Reply code', word & 0xf, at, 2, {
        text: `${bitPattern(word, 0x000f, 16)} = Reply code: ${RCODES[word & 0xf] ?? 'Unknown'} (${word & 0xf})`,
      }),
    );
  const parts = [`Opcode: ${OPCODES[opcode] ?? 'Unknown operation'}`];
  if (qr) {
    if (word & 0x0400) parts.push('Authoritative');
  }
  if (word & 0x0200) parts.push('Truncated');
  if (word & 0x0100) parts.push('Recursion desired');
  if (qr && word & 0x0080) parts.push('Recursion available');
  if (word & 0x0010) parts.push('Broadcast');
  if (qr) parts.push(RCODES[word & 0xf] ?? 'Unknown');
  return uintHex('nbns.flags', 'Flags', word, 4, at, 2, { text: `Flags: 0x${word.toString(16).padStart(4, '0')}, ${parts.join(', ')}`, children: kids });
}

/** The nbns mapper (over the `data` layer of a UDP datagram to or from port 137). */
export function mapNbns(layer: DecodedLayer, ctx: DissectContext): ProtoNode[] | undefined {
  const b = ctx.frame;
  const off = layer.offset;
  const end = Math.min(layer.offset + layer.length, b.length);
  if (end - off < 12) return undefined;
  const id = u16(b, off);
  const flags = u16(b, off + 2);
  const counts = [u16(b, off + 4), u16(b, off + 6), u16(b, off + 8), u16(b, off + 10)];
  const fields: Field[] = [
    uintHex('nbns.id', 'Transaction ID', id, 4, off, 2),
    flagsField(flags, off + 2),
    uintDec('nbns.count.queries', 'Questions', counts[0], off + 4, 2),
    uintDec('nbns.count.answers', 'Answer RRs', counts[1], off + 6, 2),
    uintDec('nbns.count.auth_rr', 'Authority RRs', counts[2], off + 8, 2),
    uintDec('nbns.count.add_rr', 'Additional RRs', counts[3], off + 10, 2),
  ];
  const qr = (flags & 0x8000) !== 0;
  const opcode = (flags >>> 11) & 0xf;
  let info = `${OPCODES[opcode] ?? 'Unknown operation'}${qr ? ' response' : ''}`;
  if (qr && (flags & 0xf) !== 0) info += `, ${RCODES[flags & 0xf] ?? 'Unknown'}`;
  const node: ProtoNode = { proto: 'nbns', label: 'NetBIOS Name Service', offset: off, length: end - off, fields, malformed: [] };
  let p = off + 12;
  const questions: Field[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = readName(b, p, end);
    if (name === undefined || p + name.length + 4 > end) return bail(node, info, p);
    const type = u16(b, p + name.length);
    const cls = u16(b, p + name.length + 2);
    const tname = TYPES[type] ?? `Unknown (${type})`;
    questions.push(
      textItem(`${name.text}: type ${tname}, class ${cls === 1 ? 'IN' : `Unknown (${cls})`}`, p, name.length + 4, [
        rawField('nbns.name', 'Name', 'string', name.text, name.text, p, name.length, { text: `Name: ${name.text} (${SUFFIXES[name.suffix] ?? 'Unknown'})` }),
        uintDec('nbns.type', 'Type', type, p + name.length, 2, { text: `Type: ${tname} (${type})` }),
        uintDec('nbns.class', 'Class', cls, p + name.length + 2, 2, { text: `Class: ${cls === 1 ? 'IN' : 'Unknown'} (${cls})` }),
      ]),
    );
    info += ` ${tname} ${name.text}`;
    p += name.length + 4;
  }
  if (questions.length > 0) fields.push(textItem('Queries', off + 12, p - off - 12, questions));
  // Resource records: NB records with their addresses; other types end the tree here.
  const answers: Field[] = [];
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const name = readName(b, p, end);
    if (name === undefined || p + name.length + 10 > end) break;
    const q = p + name.length;
    const type = u16(b, q);
    const cls = u16(b, q + 2);
    const ttl = u32(b, q + 4);
    const rdlen = u16(b, q + 8);
    if (q + 10 + rdlen > end || type !== 32 || rdlen % 6 !== 0) break;
    const tname = TYPES[type] ?? 'Unknown';
    // A record's name carries its suffix's meaning in the value itself (a question's does not).
    const named = `${name.text} (${SUFFIXES[name.suffix] ?? 'Unknown'})`;
    const kids: Field[] = [
      rawField('nbns.name', 'Name', 'string', named, named, p, name.length, { text: `Name: ${named}` }),
      uintDec('nbns.type', 'Type', type, q, 2, { text: `Type: ${tname} (${type})` }),
      uintDec('nbns.class', 'Class', cls, q + 2, 2, { text: `Class: ${cls === 1 ? 'IN' : 'Unknown'} (${cls})` }),
      uintDec('nbns.ttl', 'Time to live', ttl, q + 4, 4),
      uintDec('nbns.data_length', 'Data length', rdlen, q + 8, 2),
    ];
    for (let r = q + 10; r < q + 10 + rdlen; r += 6) {
      kids.push(ipv4Field('nbns.addr', 'Addr', b, r + 2));
      // Only the answer section speaks in the Info column.
      if (i < counts[1]) info += ` ${tname} ${formatIpv4(b, r + 2)}`;
    }
    answers.push(textItem(`${name.text}: type ${tname}, class ${cls === 1 ? 'IN' : 'Unknown'}`, p, name.length + 10 + rdlen, kids));
    p = q + 10 + rdlen;
  }
  if (answers.length > 0) fields.push(textItem('Answers', answers[0].offset, p - answers[0].offset, answers));
  node.columns = { protocol: 'NBNS', info };
  return [node];
}

function bail(node: ProtoNode, info: string, at: number): ProtoNode[] {
  node.malformed.push({ layer: 'NBNS', offset: at, reason: 'NBNS name or record runs past the datagram' });
  node.columns = { protocol: 'NBNS', info };
  return [node];
}
