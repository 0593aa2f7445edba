// The fields of one DNS question or resource record, as Wireshark 4.0 names and prints them
// (dns.qry.*, dns.resp.*, dns.a, dns.ns, dns.soa.*, dns.opt.*, ...), and their Info-column summary.

import { readName, isNameError } from '../../wire/dns-name.ts';
import { DNS_TYPE } from '../../wire/dns-types.ts';
import type { LocatedOption, LocatedQuestion, LocatedRecord } from '../../wire/dns-decode.ts';
import { parseIpv4Address } from '../../wire/ipv4.ts';
import { parseIpv6Address } from '../../wire/ipv6.ts';
import { u16, u32 } from '../../wire/layer.ts';
import { bool, bytesField, type Field, labelField, ipv4Field, ipv6Field, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { secsToText } from './icmp-time.ts';
import { bitPattern, bytesForText, textItem } from './link-fields.ts';
import { cookieFields, dnskeyRdata, dsRdata, type NameReader, nsec3Rdata, rrsigRdata, tsigRdata } from './dns-dnssec.ts';
import { dnsClassShort, dnsTypeName, dnsTypeShort, dnsTypeText, ednsOptionText } from './dns-names.ts';

/** DNS over UDP 53 / TCP 53, multicast DNS (UDP 5353) or LLMNR (UDP 5355): the same fields, a few differences. */
export type DnsVariant = 'dns' | 'mdns' | 'llmnr';

/** Where the message lies: its bytes (offsets in the parse count from 0) and its offset in the frame. */
export interface MsgView {
  msg: Uint8Array;
  base: number;
  variant: DnsVariant;
}

/**
 * A name as Wireshark 4.0 shows it: labels joined by dots (a dot inside a label is not escaped),
 * "<Root>" for the root, bytes outside printable ASCII as C escapes (\a, \n...) or octal (\ooo).
 */
export function wsNameText(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return '<Root>';
  return labels.map((l) => wsText(l)).join('.');
}

const C_ESCAPES: Readonly<Record<number, string>> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** Bytes as Wireshark's format_text shows them. */
export function wsText(l: Uint8Array): string {
  let s = '';
  for (const c of l) {
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += C_ESCAPES[c] ?? '\\' + c.toString(8).padStart(3, '0');
  }
  return s;
}

interface NameAt {
  text: string;
  labels: number;
  /** Wireshark's [Name Length] and [Label Count]: the raw name's bytes with dots, and its dots + 1. */
  rawLength: number;
  rawLabels: number;
  /** Bytes in place. */
  length: number;
}

function nameAt(v: MsgView, at: number, limit = v.msg.length): NameAt {
  const r = readName(v.msg, at, limit);
  if (isNameError(r)) return { text: '', labels: 0, rawLength: 0, rawLabels: 0, length: 0 };
  let rawLength = Math.max(r.labels.length - 1, 0);
  let rawLabels = r.labels.length;
  for (const l of r.labels) {
    rawLength += l.length;
    for (const c of l) if (c === 0x2e) rawLabels++;
  }
  if (r.labels.length === 0) {
    rawLength = 6;
    rawLabels = 1;
  }
  return { text: wsNameText(r.labels), labels: r.labels.length, rawLength, rawLabels, length: r.next - at };
}

function nameField(name: string, label: string, v: MsgView, at: number, limit?: number): { field: Field; name: NameAt } {
  const n = nameAt(v, at, limit);
  return { field: stringField(name, label, n.text, v.base + at, n.length), name: n };
}

function classFields(v: MsgView, at: number, cls: number, question: boolean): Field[] {
  const abs = v.base + at;
  if (v.variant !== 'mdns')
    return [
      uintHex(question ? 'dns.qry.class' : 'dns.resp.class', 'Class', cls, 4, abs, 2, {
        text: `Class: ${dnsClassShort(cls)} (0x${cls.toString(16).padStart(4, '0')})`,
      }),
    ];
  // mDNS: the top bit is "unicast response wanted" in a question and "cache flush" in a record.
  const top = (cls & 0x8000) !== 0;
  const low = cls & 0x7fff;
  const topField = question
    ? bool('dns.qry.qu', '"QU" question', top, abs, 2, { text: `${bitPattern(cls, 0x8000, 16)} = "QU" question: ${top ? 'True' : 'False'}` })
    : bool('dns.resp.cache_flush', 'Cache flush', top, abs, 2, { text: `${bitPattern(cls, 0x8000, 16)} = Cache flush: ${top ? 'True' : 'False'}` });
  const classField = uintHex(question ? 'dns.qry.class' : 'dns.resp.class', 'Class', low, 4, abs, 2, {
    text: `${bitPattern(cls, 0x7fff, 16)} = Class: ${dnsClassShort(low)} (0x${low.toString(16).padStart(4, '0')})`,
  });
  return [classField, topField];
}

/** A question's item ("example.com: type A, class IN") and fields. */
export function questionFields(v: MsgView, q: LocatedQuestion): Field {
  const { field, name } = nameField('dns.qry.name', 'Name', v, q.offset);
  const t = q.offset + q.nameLength;
  const type = q.question.type;
  const cls = q.question.class;
  // Wireshark 4.0 counts the name's raw bytes and its dots (a dot inside a label counts as a label
  // separator), a one-byte name as 0 and 0, and the root as "<Root>": 6 and 1.
  const nameLen = name.rawLength === 1 ? 0 : name.rawLength;
  const labelCount = name.rawLength === 1 ? 0 : name.rawLabels;
  const fields: Field[] = [
    field,
    uintDec('dns.qry.name.len', 'Name Length', nameLen, v.base + q.offset, 0, { generated: true, text: `[Name Length: ${nameLen}]` }),
    uintDec('dns.count.labels', 'Label Count', labelCount, v.base + q.offset, 0, { generated: true, text: `[Label Count: ${labelCount}]` }),
    uintDec('dns.qry.type', 'Type', type, v.base + t, 2, { text: `Type: ${dnsTypeText(type)}` }),
    ...classFields(v, t + 2, cls, true),
  ];
  let text = `${name.text}: type ${dnsTypeShort(type)}, class ${dnsClassShort(v.variant === 'mdns' ? cls & 0x7fff : cls)}`;
  if (v.variant === 'mdns') text += (cls & 0x8000) !== 0 ? ', "QU" question' : ', "QM" question';
  return textItem(text, v.base + q.offset, q.length, fields);
}

/** What the Info column says of a question: " A example.com". */
export function questionInfo(v: MsgView, q: LocatedQuestion): string {
  const base = ` ${dnsTypeShort(q.question.type)} ${nameAt(v, q.offset).text}`;
  if (v.variant !== 'mdns') return base;
  return base + ((q.question.class & 0x8000) !== 0 ? ', "QU" question' : ', "QM" question');
}

function ttlField(v: MsgView, at: number, ttl: number): Field {
  return uintDec('dns.resp.ttl', 'Time to live', ttl, v.base + at, 4, { text: `Time to live: ${ttl} (${secsToText(ttl)})` });
}

/** A resource record's item and fields; `info` gets the record's Info-column summary. */
export function recordFields(v: MsgView, r: LocatedRecord): { item: Field; info: string } {
  const rec = r.record;
  const f = r.offset + r.nameLength;
  const abs = (o: number): number => v.base + o;
  const owner = nameAt(v, r.offset);
  const fields: Field[] = [];
  if (rec.type === DNS_TYPE.SRV) {
    // Wireshark splits an SRV owner name "_service._proto.name" into three fields.
    const parts = owner.text.split('.');
    fields.push(stringField('dns.srv.service', 'Service', parts[0] ?? '', abs(r.offset), r.nameLength));
    fields.push(stringField('dns.srv.proto', 'Protocol', parts[1] ?? '', abs(r.offset), r.nameLength));
    fields.push(stringField('dns.srv.name', 'Name', parts.slice(2).join('.'), abs(r.offset), r.nameLength));
  } else {
    fields.push(stringField('dns.resp.name', 'Name', owner.text, abs(r.offset), r.nameLength));
  }
  fields.push(uintDec('dns.resp.type', 'Type', rec.type, abs(f), 2, { text: `Type: ${dnsTypeText(rec.type)}` }));
  const rd = r.rdataOffset;
  const end = rd + r.rdlength;
  let detail = '';
  let info = ` ${dnsTypeShort(rec.type)}`;
  if (v.variant === 'mdns' && rec.type !== DNS_TYPE.OPT && (rec.class & 0x8000) !== 0) info += ', cache flush';
  if (rec.type === DNS_TYPE.OPT) {
    const ttl = rec.ttl;
    fields.push(uintDec('dns.rr.udp_payload_size', 'UDP payload size', rec.class, abs(f + 2), 2));
    fields.push(uintHex('dns.resp.ext_rcode', 'Higher bits in extended RCODE', (ttl >>> 24) & 0xff, 2, abs(f + 4), 1));
    fields.push(uintDec('dns.resp.edns0_version', 'EDNS0 version', (ttl >>> 16) & 0xff, abs(f + 5), 1));
    const z = ttl & 0xffff;
    fields.push(
      uintHex('dns.resp.z', 'Z', z, 4, abs(f + 6), 2, {
        children: [
          bool('dns.resp.z.do', 'DO bit', (z & 0x8000) !== 0, abs(f + 6), 2, {
            text: `${bitPattern(z, 0x8000, 16)} = DO bit: ${(z & 0x8000) !== 0 ? 'Accepts DNSSEC security RRs' : 'Cannot handle DNSSEC security RRs'}`,
          }),
          uintHex('dns.resp.z.reserved', 'Reserved', z & 0x7fff, 4, abs(f + 6), 2, {
            text: `${bitPattern(z, 0x7fff, 16)} = Reserved: 0x${(z & 0x7fff).toString(16).padStart(4, '0')}`,
          }),
        ],
      }),
    );
    fields.push(uintDec('dns.resp.len', 'Data length', r.rdlength, abs(f + 8), 2));
    let next = rd;
    for (const o of r.options ?? []) {
      fields.push(optionFields(v, o));
      next = o.offset + 4 + o.length;
    }
    if (next < end && next + 4 > end) {
      const cut = cutOptionFields(v, next);
      if (cut !== undefined) fields.push(cut);
    }
    return { item: textItem(`${owner.text}: type OPT`, abs(r.offset), r.length, fields), info };
  }
  fields.push(...classFields(v, f + 2, rec.class, false));
  fields.push(ttlField(v, f + 4, rec.ttl));
  fields.push(uintDec('dns.resp.len', 'Data length', r.rdlength, abs(f + 8), 2));
  if (r.rdataError === undefined) {
    const d = rdataFields(v, rec.type, rd, end);
    fields.push(...d.fields);
    detail = d.detail;
    info += d.info;
  }
  const cls = v.variant === 'mdns' ? rec.class & 0x7fff : rec.class;
  let text = `${owner.text}: type ${dnsTypeShort(rec.type)}, class ${dnsClassShort(cls)}`;
  if (v.variant === 'mdns' && (rec.class & 0x8000) !== 0) text += ', cache flush';
  if (detail !== '') text += `, ${detail}`;
  return { item: textItem(text, abs(r.offset), r.length, fields), info };
}

interface RdataOut {
  fields: Field[];
  /** The record item's tail: "addr 1.2.3.4". */
  detail: string;
  /** The Info column's tail after the type: " 1.2.3.4". */
  info: string;
}

function rdataFields(v: MsgView, type: number, rd: number, end: number): RdataOut {
  const abs = (o: number): number => v.base + o;
  const m = v.msg;
  switch (type) {
    case DNS_TYPE.A: {
      const f = ipv4Field('dns.a', 'Address', m, rd);
      const out = { ...f, offset: abs(rd) };
      return { fields: [out], detail: `addr ${f.show}`, info: ` ${f.show}` };
    }
    case DNS_TYPE.AAAA: {
      const f = ipv6Field('dns.aaaa', 'AAAA Address', m, rd);
      return { fields: [{ ...f, offset: abs(rd) }], detail: `addr ${f.show}`, info: ` ${f.show}` };
    }
    case DNS_TYPE.NS:
    case DNS_TYPE.CNAME:
    case DNS_TYPE.PTR: {
      const [fname, label, word] =
        type === DNS_TYPE.NS
          ? ['dns.ns', 'Name Server', 'ns']
          : type === DNS_TYPE.CNAME
            ? ['dns.cname', 'CNAME', 'cname']
            : ['dns.ptr.domain_name', 'Domain Name', 'ptr'];
      const { field, name } = nameField(fname, label, v, rd, end);
      // A PTR's label shows the name alone ("type PTR, class IN, host.example").
      return { fields: [field], detail: word === 'ptr' ? name.text : `${word} ${name.text}`, info: ` ${name.text}` };
    }
    case DNS_TYPE.MX: {
      const pref = u16(m, rd);
      const { field, name } = nameField('dns.mx.mail_exchange', 'Mail Exchange', v, rd + 2, end);
      return {
        fields: [uintDec('dns.mx.preference', 'Preference', pref, abs(rd), 2), field],
        detail: `preference ${pref}, mx ${name.text}`,
        info: ` ${pref} ${name.text}`,
      };
    }
    case DNS_TYPE.SOA: {
      const mn = nameField('dns.soa.mname', 'Primary name server', v, rd, end);
      const rn = nameField('dns.soa.rname', "Responsible authority's mailbox", v, rd + mn.name.length, end);
      const o = rd + mn.name.length + rn.name.length;
      const n32 = (name: string, label: string, at: number, secs: boolean): Field => {
        const x = u32(m, at);
        return uintDec(name, label, x, abs(at), 4, secs ? { text: `${label}: ${x} (${secsToText(x)})` } : undefined);
      };
      return {
        fields: [
          mn.field,
          rn.field,
          n32('dns.soa.serial_number', 'Serial Number', o, false),
          n32('dns.soa.refresh_interval', 'Refresh Interval', o + 4, true),
          n32('dns.soa.retry_interval', 'Retry Interval', o + 8, true),
          n32('dns.soa.expire_limit', 'Expire limit', o + 12, true),
          n32('dns.soa.minimum_ttl', 'Minimum TTL', o + 16, true),
        ],
        detail: `mname ${mn.name.text}`,
        info: ` ${mn.name.text}`,
      };
    }
    case DNS_TYPE.TXT: {
      const fields: Field[] = [];
      let p = rd;
      while (p < end) {
        const n = m[p];
        // Wireshark's string ends at a NUL byte.
        const bytes = m.subarray(p + 1, p + 1 + n);
        const nul = bytes.indexOf(0);
        const s = wsText(nul < 0 ? bytes : bytes.subarray(0, nul));
        fields.push(uintDec('dns.txt.length', 'TXT Length', n, abs(p), 1));
        fields.push(stringField('dns.txt', 'TXT', s, abs(p + 1), n));
        p += 1 + n;
      }
      return { fields, detail: '', info: '' };
    }
    case DNS_TYPE.SRV: {
      const pr = u16(m, rd);
      const w = u16(m, rd + 2);
      const port = u16(m, rd + 4);
      const { field, name } = nameField('dns.srv.target', 'Target', v, rd + 6, end);
      return {
        fields: [
          uintDec('dns.srv.priority', 'Priority', pr, abs(rd), 2),
          uintDec('dns.srv.weight', 'Weight', w, abs(rd + 2), 2),
          uintDec('dns.srv.port', 'Port', port, abs(rd + 4), 2),
          field,
        ],
        detail: `priority ${pr}, weight ${w}, port ${port}, target ${name.text}`,
        info: ` ${pr} ${w} ${port} ${name.text}`,
      };
    }
    case DNS_TYPE.NSEC: {
      const { field, name } = nameField('dns.nsec.next_domain_name', 'Next Domain Name', v, rd, end);
      return { fields: [field, ...typeBitmapFields(v, rd + name.length, end)], detail: `next domain name ${name.text}`, info: ` ${name.text}` };
    }
    case DNS_TYPE.NSEC3: {
      const n = nsec3Rdata(m, rd, end, v.base);
      return { fields: [...n.fields, ...typeBitmapFields(v, n.next, end)], detail: '', info: '' };
    }
    case DNS_TYPE.RRSIG:
      return rrsigRdata(m, rd, end, v.base, reader(v));
    case DNS_TYPE.DNSKEY:
      return dnskeyRdata(m, rd, end, v.base);
    case DNS_TYPE.DS:
      return dsRdata(m, rd, end, v.base);
    case DNS_TYPE.TSIG:
      return tsigRdata(m, rd, end, v.base, reader(v));
    default:
      return { fields: [], detail: '', info: '' };
  }
}

/** Reads a name of the message into a field, for the rdata of dns-dnssec.ts. */
function reader(v: MsgView): NameReader {
  return (name, label, at, limit) => {
    const r = nameField(name, label, v, at, limit);
    return { field: r.field, length: r.name.length };
  };
}

/** NSEC/NSEC3 type bit maps (RFC 4034 §4.1.2): Wireshark lists each type as a dns.resp.type. */
function typeBitmapFields(v: MsgView, start: number, end: number): Field[] {
  const out: Field[] = [];
  const m = v.msg;
  let p = start;
  while (p + 2 <= end) {
    const window = m[p];
    const len = m[p + 1];
    if (len < 1 || len > 32 || p + 2 + len > end) break;
    for (let i = 0; i < len; i++) {
      const byte = m[p + 2 + i];
      for (let bit = 0; bit < 8; bit++) {
        if ((byte & (0x80 >> bit)) === 0) continue;
        const type = window * 256 + i * 8 + bit;
        out.push(
          uintDec('dns.resp.type', 'RR type in bit map', type, v.base + p + 2 + i, 1, {
            text: `RR type in bit map: ${dnsTypeName(type)}`,
          }),
        );
      }
    }
    p += 2 + len;
  }
  return out;
}

function optionFields(v: MsgView, o: LocatedOption): Field {
  const abs = (x: number): number => v.base + x;
  const name = ednsOptionText(o.code);
  const children: Field[] = [
    uintDec('dns.opt.code', 'Option Code', o.code, abs(o.offset), 2, { text: `Option Code: ${name} (${o.code})` }),
    uintDec('dns.opt.len', 'Option Length', o.length, abs(o.offset + 2), 2),
  ];
  const dataAt = o.offset + 4;
  const avail = Math.max(Math.min(o.length, v.msg.length - dataAt), 0);
  if (o.length === 0)
    children.push(rawField('dns.opt.data', 'Option Data', 'bytes', new Uint8Array(0), '<MISSING>', abs(dataAt), 0, { text: 'Option Data: <MISSING>' }));
  else if (avail > 0) {
    const f = bytesField('dns.opt.data', 'Option Data', v.msg, dataAt, avail, { text: `Option Data: ${bytesForText(v.msg.subarray(dataAt, dataAt + avail))}` });
    children.push({ ...f, offset: abs(dataAt) });
  }
  if (o.code === 10 && avail === o.length) children.push(...cookieFields(v.msg, dataAt, o.length, v.base));
  const ecs = o.option;
  if (ecs !== undefined && ecs.type === 'client-subnet') {
    const fam = ecs.family;
    children.push(
      uintDec('dns.opt.client.family', 'Family', fam, abs(dataAt), 2, { text: `Family: ${fam === 1 ? 'IPv4' : fam === 2 ? 'IPv6' : 'Unknown'} (${fam})` }),
    );
    children.push(uintDec('dns.opt.client.netmask', 'Source Netmask', ecs.sourcePrefixLength, abs(dataAt + 2), 1));
    children.push(uintDec('dns.opt.client.scope', 'Scope Netmask', ecs.scopePrefixLength, abs(dataAt + 3), 1));
    const alen = o.length - 4;
    if (fam === 1) children.push(rawField('dns.opt.client.addr4', 'Client Subnet', 'ipv4', parseIpv4Address(ecs.address), ecs.address, abs(dataAt + 4), alen));
    else if (fam === 2)
      children.push(rawField('dns.opt.client.addr6', 'Client Subnet', 'ipv6', parseIpv6Address(ecs.address), ecs.address, abs(dataAt + 4), alen));
  }
  const item = name === 'Unknown' ? `Unknown (${o.code})` : name;
  return labelField('dns.opt', 'Option', abs(o.offset), 4 + o.length, { text: `Option: ${item}`, children });
}

/**
 * An option whose header does not fit the OPT record's data: Wireshark reads its code and length
 * from the message all the same (as far as it goes), then stops at the data.
 */
function cutOptionFields(v: MsgView, at: number): Field | undefined {
  const m = v.msg;
  if (at + 2 > m.length) return undefined;
  const code = u16(m, at);
  const name = ednsOptionText(code);
  const children: Field[] = [uintDec('dns.opt.code', 'Option Code', code, v.base + at, 2, { text: `Option Code: ${name} (${code})` })];
  if (at + 4 <= m.length) children.push(uintDec('dns.opt.len', 'Option Length', u16(m, at + 2), v.base + at + 2, 2));
  const item = name === 'Unknown' ? `Unknown (${code})` : name;
  return labelField('dns.opt', 'Option', v.base + at, Math.min(4, m.length - at), { text: `Option: ${item}`, children });
}
