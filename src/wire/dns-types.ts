// The typed model of a DNS message (RFC 1035 §4, EDNS0 RFC 6891, client subnet RFC 7871, unknown
// types RFC 3597), and the name <-> number tables for types, classes, opcodes and RCODEs.
//
// Conventions every DNS module in netlab follows:
// - A domain name is a string in presentation form, WITHOUT a trailing dot: "www.example.com". The
//   root is the empty string "". Inside a label, "." is written "\.", "\" is "\\", and any byte outside
//   the printable range 0x21..0x7e is written "\DDD" (three decimal digits), as in master files
//   (RFC 1035 §5.1). Case is kept as received; compare names with `dnsNamesEqual` (dns-name.ts).
// - TXT RDATA is a list of character-strings, each kept as raw BYTES (Uint8Array), because a
//   character-string is a length-prefixed octet string that need not be text (nor UTF-8). An empty
//   list is a valid TXT record with no strings; a list holding one empty string is one zero-length
//   string. `txtStrings()`/`txtFromStrings()` in dns-rdata.ts convert to and from JS strings.
// - Addresses (A, AAAA, client subnet) are text: "192.0.2.1", "2001:db8::1" (RFC 5952 form when
//   decoded).
// - `DnsFlags.rcode` is the FULL response code (0..4095): the header's 4 bits, plus, when the message
//   has an OPT record, the OPT TTL's extended-RCODE byte as the upper 8 bits (RFC 6891 §6.1.3).
// - The OPT pseudo-record is not one of `additionals`: it is `edns`. Decoding moves the first OPT of
//   the additional section into `edns`; encoding writes `edns` as the last additional record.

/** RR TYPE numbers (IANA "Resource Record (RR) TYPEs"), the ones netlab names. */
export const DNS_TYPE = {
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  SIG: 24,
  KEY: 25,
  AAAA: 28,
  LOC: 29,
  NXT: 30,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  DNAME: 39,
  OPT: 41,
  APL: 42,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  HIP: 55,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;
export type DnsTypeName = keyof typeof DNS_TYPE;

/** CLASS numbers (RFC 1035 §3.2.4, RFC 2136 NONE, ANY). */
export const DNS_CLASS = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;
export type DnsClassName = keyof typeof DNS_CLASS;

/** OPCODE numbers (RFC 1035, RFC 1996 NOTIFY, RFC 2136 UPDATE, RFC 8490 DSO). */
export const DNS_OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5, DSO: 6 } as const;
export type DnsOpcodeName = keyof typeof DNS_OPCODE;

/** RCODE numbers (RFC 1035, RFC 2136, RFC 6891 BADVERS, RFC 7873 BADCOOKIE). 16 is BADVERS in OPT. */
export const DNS_RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  DSOTYPENI: 11,
  BADVERS: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
  BADCOOKIE: 23,
} as const;
export type DnsRcodeName = keyof typeof DNS_RCODE;

/** EDNS0 option codes (IANA "DNS EDNS0 Option Codes"). */
export const EDNS_OPTION = { NSID: 3, CLIENT_SUBNET: 8, EXPIRE: 9, COOKIE: 10, TCP_KEEPALIVE: 11, PADDING: 12, EDE: 15 } as const;

function invert<T extends Record<string, number>>(table: T): ReadonlyMap<number, keyof T & string> {
  const m = new Map<number, keyof T & string>();
  for (const [k, v] of Object.entries(table)) m.set(v, k as keyof T & string);
  return m;
}
const TYPE_NAMES = invert(DNS_TYPE);
const CLASS_NAMES = invert(DNS_CLASS);
const OPCODE_NAMES = invert(DNS_OPCODE);
const RCODE_NAMES = invert(DNS_RCODE);

function lookupNumber(table: Record<string, number>, prefix: string, text: string): number | undefined {
  const upper = text.toUpperCase();
  if (Object.hasOwn(table, upper)) return table[upper];
  // RFC 3597 §5 generic forms: TYPE65280, CLASS32.
  const m = new RegExp(`^${prefix}(\\d{1,5})$`).exec(upper);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** "A" -> 1, "TYPE65280" -> 65280 (RFC 3597), case-insensitive; undefined for an unknown name. */
export function dnsTypeNumber(name: string): number | undefined {
  return lookupNumber(DNS_TYPE, 'TYPE', name);
}
/** 1 -> "A", 65280 -> "TYPE65280". */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
/** "IN" -> 1, "CLASS32" -> 32; undefined for an unknown name. */
export function dnsClassNumber(name: string): number | undefined {
  return lookupNumber(DNS_CLASS, 'CLASS', name);
}
/** 1 -> "IN", 32 -> "CLASS32". */
export function dnsClassName(cls: number): string {
  return CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
}
/** 0 -> "QUERY", 3 -> "OPCODE3". */
export function dnsOpcodeName(opcode: number): string {
  return OPCODE_NAMES.get(opcode) ?? `OPCODE${opcode}`;
}
/** "NXDOMAIN" -> 3; undefined for an unknown name. */
export function dnsRcodeNumber(name: string): number | undefined {
  return lookupNumber(DNS_RCODE, 'RCODE', name);
}
/** 3 -> "NXDOMAIN", 12 -> "RCODE12". */
export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/** The header flags (RFC 1035 §4.1.1, RFC 4035 AD/CD). `rcode` is the full, extended RCODE. */
export interface DnsFlags {
  /** QR: true in a response. */
  qr: boolean;
  /** OPCODE, 4 bits (0 = QUERY). */
  opcode: number;
  /** AA: authoritative answer. */
  aa: boolean;
  /** TC: truncated. */
  tc: boolean;
  /** RD: recursion desired. */
  rd: boolean;
  /** RA: recursion available. */
  ra: boolean;
  /** Z: the reserved bit (must be 0; kept so a lab can set it). */
  z: boolean;
  /** AD: authentic data (RFC 4035). */
  ad: boolean;
  /** CD: checking disabled (RFC 4035). */
  cd: boolean;
  /** The full RCODE, 0..4095: header bits 0..3, OPT extended-RCODE bits 4..11. */
  rcode: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

/** SOA RDATA (RFC 1035 §3.3.13). */
export interface SoaData {
  type: 'SOA';
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/**
 * RDATA, one shape per type netlab understands; `{ type: number, raw }` keeps any other type's RDATA
 * as bytes (RFC 3597), presented as `\# len hex`. Name-bearing RDATA (NS, CNAME, PTR, MX, SOA, SRV
 * target) is compressed on encode only where RFC 3597 §4 allows (the RFC 1035 types: NS, CNAME, PTR,
 * MX, SOA); SRV's target is never compressed (RFC 2782).
 */
export type DnsRecordData =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'NS'; name: string }
  | { type: 'CNAME'; name: string }
  | { type: 'PTR'; name: string }
  | SoaData
  | { type: 'MX'; preference: number; exchange: string }
  | { type: 'TXT'; strings: Uint8Array[] }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'CAA'; flags: number; tag: string; value: Uint8Array }
  | { type: number; raw: Uint8Array };

/** The RDATA kinds netlab decodes into fields, by type number. */
export const DNS_TYPED_RDATA: ReadonlySet<number> = new Set([1, 28, 2, 5, 12, 6, 15, 16, 33, 257]);

/**
 * A resource record. `type` is the TYPE field as written on the wire; `data.type` names the RDATA
 * shape. A typed `data` must match `type` (encoding refuses a mismatch); raw `data` may go with any
 * `type` (that is how a lab writes a malformed A record on purpose).
 */
export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  /** TTL in seconds, 0..2^32-1 as on the wire. */
  ttl: number;
  data: DnsRecordData;
}

/** The EDNS Client Subnet option (RFC 7871 §6). */
export interface EdnsClientSubnet {
  type: 'client-subnet';
  /** Address family: 1 IPv4, 2 IPv6 (IANA address family numbers). */
  family: number;
  sourcePrefixLength: number;
  scopePrefixLength: number;
  /**
   * The address as text ("192.0.2.0", "2001:db8::"), from the ceil(source/8) bytes on the wire, zero
   * filled. For a family other than 1 or 2 the address is the hex of the bytes.
   */
  address: string;
}

/** Any other EDNS option, kept as bytes. */
export interface EdnsRawOption {
  type: 'raw';
  code: number;
  data: Uint8Array;
}

export type EdnsOption = EdnsClientSubnet | EdnsRawOption;

/** EDNS(0): the OPT pseudo-record's meaning (RFC 6891 §6.1). */
export interface DnsEdns {
  /** Requestor's UDP payload size (the OPT CLASS field). */
  udpSize: number;
  /**
   * The upper 8 bits of the extended RCODE (OPT TTL byte 0). On decode, what the wire said. On encode,
   * optional: when unset it is taken from `flags.rcode >> 4`; when set it is written as given.
   */
  extendedRcode?: number;
  /** EDNS version (OPT TTL byte 1), 0 today. */
  version: number;
  /** DO: DNSSEC OK (RFC 3225), the top bit of the OPT TTL's flags. */
  do: boolean;
  /** The other 15 flag bits ("Z"), must be 0; kept so a lab can set them. Default 0. */
  z?: number;
  /** The OPT record's owner name: must be the root ""; kept for malformed messages. Default "". */
  name?: string;
  options: EdnsOption[];
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  /** Additional records, without the OPT pseudo-record (see `edns`). */
  additionals: DnsRecord[];
  edns?: DnsEdns;
}

/** Default flags: a standard query with no bits set and RCODE 0. */
export function dnsFlags(overrides: Partial<DnsFlags> = {}): DnsFlags {
  return { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false, rcode: 0, ...overrides };
}

/** A problem in a DNS message: where (offset from the first byte of the DNS message) and why. */
export class DnsWireError extends Error {
  override readonly name = 'DnsWireError';
  constructor(
    /** Offset from the start of the DNS message (not the frame) where the problem lies. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`DNS message malformed at offset ${offset}: ${reason}`);
  }
}

/** Why a message could not be encoded (a name too long, a label over 63 octets, a bad address). */
export class DnsEncodeError extends Error {
  override readonly name = 'DnsEncodeError';
  constructor(readonly reason: string) {
    super(`cannot encode DNS message: ${reason}`);
  }
}
