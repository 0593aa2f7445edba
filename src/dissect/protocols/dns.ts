// The `dns` protocol (also `mdns` on UDP 5353 and `llmnr` on UDP 5355, which Wireshark dissects
// with the same dns.* fields) as Wireshark 4.0 shows it: header, flags, queries, the three record
// sections, EDNS, and the Info column ("Standard query response 0x1234 A example.com A 192.0.2.1").
// A malformed message shows what was decoded before the problem, then tshark's [Malformed Packet].

import type { DnsLayer } from '../../wire/dns.ts';
import type { LocatedRecord } from '../../wire/dns-decode.ts';
import type { DecodedLayer } from '../../wire/layer.ts';
import type { DissectContext } from '../context.ts';
import { bool, type Field, type ProtoNode, uintDec, uintHex } from '../field.ts';
import { bitPattern, textItem } from './link-fields.ts';
import './dns-fields.ts';
import { dnsOpcodeText, dnsRcodeText } from './dns-names.ts';
import { type DnsVariant, type MsgView, questionFields, questionInfo, recordFields } from './dns-rr.ts';
import { trackDns } from './dns-transactions.ts';
import { endpointKey, enclosingIpOf } from './udp.ts';

const PROTO: Record<DnsVariant, { proto: string; title: string; column: string }> = {
  dns: { proto: 'dns', title: 'Domain Name System', column: 'DNS' },
  mdns: { proto: 'mdns', title: 'Multicast Domain Name System', column: 'MDNS' },
  llmnr: { proto: 'llmnr', title: 'Link-local Multicast Name Resolution', column: 'LLMNR' },
};

/** Which of the three the UDP ports make it (TCP is always DNS). */
function variantOf(ctx: DissectContext): DnsVariant {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return 'dns';
  const v = prev.value as { srcPort: number; dstPort: number };
  if (v.srcPort === 53 || v.dstPort === 53) return 'dns';
  if (v.srcPort === 5353 || v.dstPort === 5353) return 'mdns';
  if (v.srcPort === 5355 || v.dstPort === 5355) return 'llmnr';
  return 'dns';
}

function flagBit(name: string, label: string, word: number, mask: number, on: string, off: string, at: number): Field {
  const set = (word & mask) !== 0;
  return bool(name, label, set, at, 2, { text: `${bitPattern(word, mask, 16)} = ${label}: ${set ? on : off}` });
}

function flagsField(word: number, at: number, variant: DnsVariant): Field {
  const qr = (word & 0x8000) !== 0;
  const opcode = (word >>> 11) & 0xf;
  const rcode = word & 0xf;
  const kids: Field[] = [
    flagBit('dns.flags.response', 'Response', word, 0x8000, 'Message is a response', 'Message is a query', at),
    uintDec('dns.flags.opcode', 'Opcode', opcode, at, 2, { text: `${bitPattern(word, 0x7800, 16)} = Opcode: ${dnsOpcodeText(opcode)} (${opcode})` }),
  ];
  const rcodeField = uintDec('dns.flags.rcode', 'Reply code', rcode, at, 2, {
    text: `${bitPattern(word, 0x000f, 16)} = Reply code: ${dnsRcodeText(rcode)} (${rcode})`,
  });
  if (variant === 'llmnr') {
    kids.push(
      flagBit('dns.flags.conflict', 'Conflict', word, 0x0400, qr ? 'The name is not considered unique' : 'The sender received multiple responses', 'None', at),
    );
    kids.push(flagBit('dns.flags.truncated', 'Truncated', word, 0x0200, 'Message is truncated', 'Message is not truncated', at));
    kids.push(flagBit('dns.flags.tentative', 'Tentative', word, 0x0100, 'Tentative', 'Not tentative', at));
    if (qr) kids.push(rcodeField);
  } else {
    if (qr)
      kids.push(
        flagBit('dns.flags.authoritative', 'Authoritative', word, 0x0400, 'Server is an authority for domain', 'Server is not an authority for domain', at),
      );
    kids.push(flagBit('dns.flags.truncated', 'Truncated', word, 0x0200, 'Message is truncated', 'Message is not truncated', at));
    kids.push(flagBit('dns.flags.recdesired', 'Recursion desired', word, 0x0100, 'Do query recursively', "Don't do query recursively", at));
    if (qr)
      kids.push(flagBit('dns.flags.recavail', 'Recursion available', word, 0x0080, 'Server can do recursive queries', "Server can't do recursive queries", at));
    const z = (word & 0x0040) !== 0;
    kids.push(bool('dns.flags.z', 'Z', z, at, 2, { text: `${bitPattern(word, 0x0040, 16)} = Z: reserved (${z ? 1 : 0})` }));
    if (qr)
      kids.push(
        flagBit(
          'dns.flags.authenticated',
          'Answer authenticated',
          word,
          0x0020,
          'Answer/authority portion was authenticated by the server',
          'Answer/authority portion was not authenticated by the server',
          at,
        ),
      );
    else if ((word & 0x0020) !== 0) kids.push(flagBit('dns.flags.authenticated', 'AD bit', word, 0x0020, 'Set', 'Not set', at));
    kids.push(flagBit('dns.flags.checkdisable', 'Non-authenticated data', word, 0x0010, 'Acceptable', 'Unacceptable', at));
    if (qr) kids.push(rcodeField);
  }
  let summary = dnsOpcodeText(opcode) + (qr ? ' response' : '');
  if (qr) summary += `, ${dnsRcodeText(rcode)}`;
  return uintHex('dns.flags', 'Flags', word, 4, at, 2, { text: `Flags: 0x${word.toString(16).padStart(4, '0')} ${summary}`, children: kids });
}

const SECTION_TITLE: Record<LocatedRecord['section'], string> = { answer: 'Answers', authority: 'Authoritative nameservers', additional: 'Additional records' };

/** The transport conversation a UDP message belongs to (either direction), for request matching. */
function udpConversation(ctx: DissectContext): string | undefined {
  const prev = ctx.layers[ctx.index - 1];
  if (prev?.kind !== 'udp') return undefined;
  const u = prev.value as { srcPort: number; dstPort: number };
  const ip = enclosingIpOf(ctx);
  const a = endpointKey(ip?.src, u.srcPort);
  const b = endpointKey(ip?.dst, u.dstPort);
  return a < b ? `u${a}|${b}` : `u${b}|${a}`;
}

/**
 * The dns / dns-tcp mapper. `conversation` names the TCP stream a message came on (DNS over TCP);
 * over UDP the address/port pair is the conversation.
 */
export function mapDns(layer: DecodedLayer, ctx: DissectContext, conversation?: string): ProtoNode[] {
  const d = layer.value as DnsLayer;
  const variant: DnsVariant = layer.kind === 'dns-tcp' ? 'dns' : variantOf(ctx);
  const names = PROTO[variant];
  const base = d.messageOffset;
  const msg = ctx.frame.subarray(base, Math.min(base + d.messageLength, ctx.frame.length));
  const v: MsgView = { msg, base, variant };
  const fields: Field[] = [];
  const h = d.parse.header;
  const node: ProtoNode = {
    proto: names.proto,
    label: names.title,
    offset: layer.offset,
    length: layer.length,
    fields,
    malformed: layer.malformed,
    columns: { protocol: names.column },
  };
  if (d.tcpLength !== undefined) fields.push(uintDec('dns.length', 'Length', d.tcpLength, layer.offset, 2));
  if (h === undefined) {
    node.columns = { protocol: names.column, info: '' };
    return [node];
  }
  const qr = (h.flags & 0x8000) !== 0;
  node.label = `${names.title} (${qr ? 'response' : 'query'})`;
  const conv = conversation ?? udpConversation(ctx);
  const tracking = conv === undefined || ctx.inIcmpError ? undefined : trackDns(ctx, conv, h.id, qr);
  const idField = uintHex('dns.id', 'Transaction ID', h.id, 4, base, 2);
  if (tracking !== undefined && tracking.idChildren.length > 0) idField.children = tracking.idChildren;
  fields.push(idField);
  fields.push(flagsField(h.flags, base + 2, variant));
  fields.push(uintDec('dns.count.queries', 'Questions', h.qdcount, base + 4, 2));
  fields.push(uintDec('dns.count.answers', 'Answer RRs', h.ancount, base + 6, 2));
  fields.push(uintDec('dns.count.auth_rr', 'Authority RRs', h.nscount, base + 8, 2));
  fields.push(uintDec('dns.count.add_rr', 'Additional RRs', h.arcount, base + 10, 2));
  const opcode = (h.flags >>> 11) & 0xf;
  const rcode = h.flags & 0xf;
  let info = `${dnsOpcodeText(opcode)}${qr ? ' response' : ''} 0x${h.id.toString(16).padStart(4, '0')}`;
  if (qr && rcode !== 0) info += ` ${dnsRcodeText(rcode)}`;
  if (d.parse.questions.length > 0) {
    const qs = d.parse.questions.map((q) => questionFields(v, q));
    const first = d.parse.questions[0];
    const last = d.parse.questions[d.parse.questions.length - 1];
    fields.push(textItem('Queries', base + first.offset, last.offset + last.length - first.offset, qs));
    for (const q of d.parse.questions) info += questionInfo(v, q);
  }
  for (const section of ['answer', 'authority', 'additional'] as const) {
    const recs = d.parse.records.filter((r) => r.section === section);
    if (recs.length === 0) continue;
    const items: Field[] = [];
    for (const r of recs) {
      const { item, info: i } = recordFields(v, r);
      items.push(item);
      info += i;
    }
    const first = recs[0];
    const last = recs[recs.length - 1];
    fields.push(textItem(SECTION_TITLE[section], base + first.offset, last.offset + last.length - first.offset, items));
  }
  // Wireshark adds these after the records: a message cut short ends its tree before them.
  if (tracking !== undefined && layer.malformed.length === 0) fields.push(...tracking.trailer);
  node.columns = { protocol: names.column, info };
  return [node];
}
