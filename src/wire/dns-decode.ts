// Decoding a DNS message (RFC 1035 §4.1) from bytes that may be hostile. The walk records where
// every part lies (for the dissector's byte spans) and stops at the first problem with its offset and
// reason; whatever came before it stays decoded. Counts are never trusted for allocation: each
// question takes at least 5 bytes and each record at least 11, so a lying count runs out of bytes.
//
//                                 1  1  1  1  1  1
//   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//  |                      ID                       |
//  |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//  |                    QDCOUNT                    |
//  |                    ANCOUNT                    |
//  |                    NSCOUNT                    |
//  |                    ARCOUNT                    |
//  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+

import { isNameError, labelsToName, DecompressBudget, readName } from './dns-name.ts';
import { decodeEdnsOption, decodeRdata } from './dns-rdata.ts';
import { DNS_TYPE, DnsWireError, type DnsEdns, type DnsFlags, type DnsMessage, type DnsQuestion, type DnsRecord, type EdnsOption } from './dns-types.ts';
import { u16, u32 } from './layer.ts';

// Byte ranges of the header.
export const DNS_ID = { start: 0, end: 2 } as const;
export const DNS_FLAGS = { start: 2, end: 4 } as const;
export const DNS_QDCOUNT = { start: 4, end: 6 } as const;
export const DNS_ANCOUNT = { start: 6, end: 8 } as const;
export const DNS_NSCOUNT = { start: 8, end: 10 } as const;
export const DNS_ARCOUNT = { start: 10, end: 12 } as const;
export const DNS_HEADER_LEN = 12;

export type DnsSection = 'answer' | 'authority' | 'additional';

/** The header as on the wire. */
export interface DnsHeader {
  id: number;
  /** The 16-bit flags word. */
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** A question and where it lies (offsets from the message start). */
export interface LocatedQuestion {
  question: DnsQuestion;
  offset: number;
  length: number;
  /** Bytes of the name in place (pointers count 2). */
  nameLength: number;
}

/** One EDNS option and where it lies. */
export interface LocatedOption {
  code: number;
  offset: number;
  /** The option's data length field. */
  length: number;
  option: EdnsOption | undefined;
}

/** A resource record and where it lies. */
export interface LocatedRecord {
  section: DnsSection;
  /** The record (for an OPT record: name/type/class/ttl as on the wire, data raw). */
  record: DnsRecord;
  offset: number;
  length: number;
  nameLength: number;
  rdataOffset: number;
  rdlength: number;
  /** For an OPT record, its meaning and options. */
  edns?: DnsEdns;
  options?: LocatedOption[];
  /** Set when the RDATA could not be decoded as its type; `record.data` is then raw. */
  rdataError?: DnsWireError;
}

/** The result of walking a message: what was decoded, and the first problem, if any. */
export interface DnsParse {
  header?: DnsHeader;
  questions: LocatedQuestion[];
  records: LocatedRecord[];
  /** Bytes the message occupies (up to the error, when there is one). */
  length: number;
  /** Compression pointers followed in all the names read. */
  pointerFollows: number;
  /** Decompression steps taken (pointers followed and labels read through them; at most MAX_DECOMPRESS_STEPS). */
  decompressSteps: number;
  error?: DnsWireError;
}

/** Flags word -> DnsFlags (the RCODE here is only the header's 4 bits). */
export function flagsFromWord(w: number): DnsFlags {
  return {
    qr: (w & 0x8000) !== 0,
    opcode: (w >>> 11) & 0xf,
    aa: (w & 0x0400) !== 0,
    tc: (w & 0x0200) !== 0,
    rd: (w & 0x0100) !== 0,
    ra: (w & 0x0080) !== 0,
    z: (w & 0x0040) !== 0,
    ad: (w & 0x0020) !== 0,
    cd: (w & 0x0010) !== 0,
    rcode: w & 0xf,
  };
}

/** DnsFlags -> flags word (the RCODE's low 4 bits). */
export function flagsToWord(f: DnsFlags): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.z ? 0x0040 : 0) |
    (f.ad ? 0x0020 : 0) |
    (f.cd ? 0x0010 : 0) |
    (f.rcode & 0xf)
  );
}

const SECTION_LABEL: Record<DnsSection, string> = { answer: 'answer', authority: 'authority', additional: 'additional' };

/**
 * Walks the message in `msg` (offsets are from its first byte). Never throws; stops at the first
 * problem. `opts.rdata === false` keeps every RDATA raw (for callers that only need the layout).
 */
export function parseDns(msg: Uint8Array): DnsParse {
  const out: DnsParse = { questions: [], records: [], length: 0, pointerFollows: 0, decompressSteps: 0 };
  const n = msg.length;
  const budget = new DecompressBudget();
  const fail = (offset: number, reason: string): DnsParse => {
    out.pointerFollows = budget.pointers;
    out.decompressSteps = budget.used;
    out.error = new DnsWireError(offset, reason);
    return out;
  };
  if (n < DNS_HEADER_LEN) return fail(n, `header truncated: ${n} of ${DNS_HEADER_LEN} bytes`);
  const header: DnsHeader = {
    id: u16(msg, DNS_ID.start),
    flags: u16(msg, DNS_FLAGS.start),
    qdcount: u16(msg, DNS_QDCOUNT.start),
    ancount: u16(msg, DNS_ANCOUNT.start),
    nscount: u16(msg, DNS_NSCOUNT.start),
    arcount: u16(msg, DNS_ARCOUNT.start),
  };
  out.header = header;
  let p = DNS_HEADER_LEN;
  out.length = p;
  for (let i = 0; i < header.qdcount; i++) {
    const r = readName(msg, p, n, budget);
    if (isNameError(r)) return fail(r.offset, `question ${i + 1} of ${header.qdcount}: ${r.reason}`);
    if (r.next + 4 > n) return fail(r.next, `question ${i + 1} of ${header.qdcount}: type and class truncated (QDCOUNT says ${header.qdcount})`);
    const question: DnsQuestion = { name: labelsToName(r.labels), type: u16(msg, r.next), class: u16(msg, r.next + 2) };
    out.questions.push({ question, offset: p, length: r.next + 4 - p, nameLength: r.next - p });
    p = r.next + 4;
    out.length = p;
  }
  const sections: [DnsSection, number][] = [
    ['answer', header.ancount],
    ['authority', header.nscount],
    ['additional', header.arcount],
  ];
  for (const [section, count] of sections) {
    for (let i = 0; i < count; i++) {
      const where = `${SECTION_LABEL[section]} record ${i + 1} of ${count}`;
      const r = readName(msg, p, n, budget);
      if (isNameError(r)) return fail(r.offset, `${where}: ${r.reason}`);
      const f = r.next;
      if (f + 10 > n) return fail(f, `${where}: fixed fields truncated (${Math.max(n - f, 0)} of 10 bytes)`);
      const type = u16(msg, f);
      const cls = u16(msg, f + 2);
      const ttl = u32(msg, f + 4);
      const rdlength = u16(msg, f + 8);
      const rd = f + 10;
      if (rd + rdlength > n) return fail(f + 8, `${where}: RDLENGTH ${rdlength} runs past the end of the message (${n - rd} bytes left)`);
      const name = labelsToName(r.labels);
      const loc: LocatedRecord = {
        section,
        record: { name, type, class: cls, ttl, data: { type, raw: msg.slice(rd, rd + rdlength) } },
        offset: p,
        length: rd + rdlength - p,
        nameLength: f - p,
        rdataOffset: rd,
        rdlength,
      };
      out.records.push(loc);
      if (type === DNS_TYPE.OPT) {
        const opt = parseOpt(msg, r.labels.length === 0 ? '' : name, cls, ttl, rd, rd + rdlength);
        loc.options = opt.options;
        loc.edns = opt.edns;
        if (opt.error) {
          loc.rdataError = opt.error;
          return fail(opt.error.offset, `${where} (OPT): ${opt.error.reason}`);
        }
      } else {
        const data = decodeRdata(msg, type, rd, rd + rdlength, budget);
        if ('reason' in data) {
          loc.rdataError = new DnsWireError(data.offset, data.reason);
          return fail(data.offset, `${where}: ${data.reason}`);
        }
        loc.record.data = data;
      }
      p = rd + rdlength;
      out.length = p;
    }
  }
  out.pointerFollows = budget.pointers;
  out.decompressSteps = budget.used;
  return out;
}

function parseOpt(
  msg: Uint8Array,
  name: string,
  cls: number,
  ttl: number,
  start: number,
  end: number,
): { edns: DnsEdns; options: LocatedOption[]; error?: DnsWireError } {
  const options: LocatedOption[] = [];
  const edns: DnsEdns = {
    udpSize: cls,
    extendedRcode: (ttl >>> 24) & 0xff,
    version: (ttl >>> 16) & 0xff,
    do: (ttl & 0x8000) !== 0,
    z: ttl & 0x7fff,
    name,
    options: [],
  };
  let p = start;
  while (p < end) {
    if (p + 4 > end) return { edns, options, error: new DnsWireError(p, `EDNS option header truncated (${end - p} of 4 bytes)`) };
    const code = u16(msg, p);
    const len = u16(msg, p + 2);
    const loc: LocatedOption = { code, offset: p, length: len, option: undefined };
    options.push(loc);
    if (p + 4 + len > end)
      return { edns, options, error: new DnsWireError(p + 2, `EDNS option ${code} length ${len} runs past the OPT RDATA (${end - p - 4} bytes left)`) };
    const o = decodeEdnsOption(code, msg, p + 4, p + 4 + len);
    if ('reason' in o) return { edns, options, error: new DnsWireError(o.offset, o.reason) };
    loc.option = o;
    edns.options.push(o);
    p += 4 + len;
  }
  return { edns, options };
}

/** The decoded message, or the first problem with what was decoded before it. */
export type DnsDecodeResult = { ok: true; message: DnsMessage; length: number } | { ok: false; error: DnsWireError; partial: DnsMessage | undefined };

/** A DnsParse as the plain model (OPT moved to `edns`, the RCODE extended by the OPT TTL). */
export function messageFromParse(parse: DnsParse): DnsMessage | undefined {
  const h = parse.header;
  if (h === undefined) return undefined;
  const msg: DnsMessage = {
    id: h.id,
    flags: flagsFromWord(h.flags),
    questions: parse.questions.map((q) => q.question),
    answers: [],
    authorities: [],
    additionals: [],
  };
  for (const r of parse.records) {
    if (r.section === 'additional' && r.record.type === DNS_TYPE.OPT && r.edns !== undefined && msg.edns === undefined) {
      msg.edns = r.edns;
      msg.flags.rcode |= (r.edns.extendedRcode ?? 0) << 4;
      continue;
    }
    (r.section === 'answer' ? msg.answers : r.section === 'authority' ? msg.authorities : msg.additionals).push(r.record);
  }
  return msg;
}

/**
 * Decodes a DNS message. Never throws: a bad message gives `ok: false` with the error (offset and
 * reason) and what was decoded before it. Bytes after the last record are ignored (`length` says
 * where the message ended).
 */
export function decodeDnsMessage(bytes: Uint8Array): DnsDecodeResult {
  const parse = parseDns(bytes);
  const message = messageFromParse(parse);
  if (parse.error !== undefined || message === undefined) {
    return { ok: false, error: parse.error ?? new DnsWireError(0, 'no header'), partial: message };
  }
  return { ok: true, message, length: parse.length };
}
