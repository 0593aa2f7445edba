// Encoding a DnsMessage to wire bytes, with name compression (RFC 1035 §4.1.4). Counts come from the
// sections unless overridden (so a lab can make them lie); `edns` becomes the last additional record
// (OPT, RFC 6891 §6.1.2) and carries the RCODE's upper 8 bits. Throws DnsEncodeError naming what
// cannot be represented.

import { DnsWriter, nameToLabels } from './dns-name.ts';
import { rdataTypeNumber, writeEdnsOption, writeRdata } from './dns-rdata.ts';
import { DNS_TYPE, DnsEncodeError, dnsTypeName, type DnsEdns, type DnsMessage, type DnsRecord } from './dns-types.ts';
import { flagsToWord } from './dns-decode.ts';

export interface DnsEncodeOptions {
  /** Compress names (default true). */
  compress?: boolean;
  /** Header counts written as given instead of counted (wrong on purpose). */
  counts?: Partial<{ qdcount: number; ancount: number; nscount: number; arcount: number }>;
}

function checkRecord(r: DnsRecord): void {
  const dataType = rdataTypeNumber(r.data);
  if (typeof r.data.type !== 'number' && dataType !== r.type) {
    throw new DnsEncodeError(`record ${r.name} has TYPE ${dnsTypeName(r.type)} but ${r.data.type} RDATA`);
  }
  if (!Number.isInteger(r.ttl) || r.ttl < 0 || r.ttl > 0xffffffff) throw new DnsEncodeError(`record ${r.name}: TTL ${r.ttl} is not a 32-bit unsigned integer`);
  if (!Number.isInteger(r.type) || r.type < 0 || r.type > 0xffff) throw new DnsEncodeError(`record ${r.name}: TYPE ${r.type} is not 16-bit`);
  if (!Number.isInteger(r.class) || r.class < 0 || r.class > 0xffff) throw new DnsEncodeError(`record ${r.name}: CLASS ${r.class} is not 16-bit`);
}

function writeRecord(w: DnsWriter, r: DnsRecord, compress: boolean): void {
  checkRecord(r);
  w.name(nameToLabels(r.name), compress);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl);
  writeRdata(w, r.data, compress);
}

function writeOpt(w: DnsWriter, edns: DnsEdns, rcode: number): void {
  const ext = edns.extendedRcode ?? rcode >>> 4;
  w.name(nameToLabels(edns.name ?? ''), false, false);
  w.u16(DNS_TYPE.OPT);
  w.u16(edns.udpSize & 0xffff);
  const ttl = ((ext & 0xff) << 24) | ((edns.version & 0xff) << 16) | (edns.do ? 0x8000 : 0) | ((edns.z ?? 0) & 0x7fff);
  w.u32(ttl >>> 0);
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  for (const o of edns.options) writeEdnsOption(w, o);
  const len = w.length - start;
  if (len > 0xffff) throw new DnsEncodeError(`OPT RDATA of ${len} bytes (at most 65535)`);
  w.patch16(lenAt, len);
}

/** Encodes a message. Throws DnsEncodeError (a bad name, address, or an RCODE over 15 without EDNS). */
export function encodeDnsMessage(m: DnsMessage, opts: DnsEncodeOptions = {}): Uint8Array {
  const compress = opts.compress ?? true;
  const rcode = m.flags.rcode;
  if (!Number.isInteger(rcode) || rcode < 0 || rcode > 0xfff) throw new DnsEncodeError(`RCODE ${rcode} is not 0..4095`);
  if (rcode > 15 && m.edns === undefined) throw new DnsEncodeError(`RCODE ${rcode} needs EDNS (the header holds only 4 bits)`);
  const w = new DnsWriter();
  w.u16(m.id & 0xffff);
  w.u16(flagsToWord(m.flags));
  const c = opts.counts ?? {};
  w.u16(c.qdcount ?? m.questions.length);
  w.u16(c.ancount ?? m.answers.length);
  w.u16(c.nscount ?? m.authorities.length);
  w.u16(c.arcount ?? m.additionals.length + (m.edns ? 1 : 0));
  for (const q of m.questions) {
    w.name(nameToLabels(q.name), compress);
    w.u16(q.type & 0xffff);
    w.u16(q.class & 0xffff);
  }
  for (const r of m.answers) writeRecord(w, r, compress);
  for (const r of m.authorities) writeRecord(w, r, compress);
  for (const r of m.additionals) writeRecord(w, r, compress);
  if (m.edns !== undefined) writeOpt(w, m.edns, rcode);
  return w.finish();
}
