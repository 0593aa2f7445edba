// Wireshark 4.0's DNS value strings: type names and descriptions, classes, opcodes, reply codes and
// EDNS option names, as the dns.* fields' texts and the Info column print them. Data only.

/** Type mnemonics Wireshark prints (in the Info column and "type X" items). */
const TYPE_SHORT: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  3: 'MD',
  4: 'MF',
  5: 'CNAME',
  6: 'SOA',
  7: 'MB',
  8: 'MG',
  9: 'MR',
  10: 'NULL',
  11: 'WKS',
  12: 'PTR',
  13: 'HINFO',
  14: 'MINFO',
  15: 'MX',
  16: 'TXT',
  17: 'RP',
  18: 'AFSDB',
  19: 'X25',
  20: 'ISDN',
  21: 'RT',
  22: 'NSAP',
  23: 'NSAP-PTR',
  24: 'SIG',
  25: 'KEY',
  26: 'PX',
  27: 'GPOS',
  28: 'AAAA',
  29: 'LOC',
  30: 'NXT',
  31: 'EID',
  32: 'NIMLOC',
  33: 'SRV',
  34: 'ATMA',
  35: 'NAPTR',
  36: 'KX',
  37: 'CERT',
  38: 'A6',
  39: 'DNAME',
  40: 'SINK',
  41: 'OPT',
  42: 'APL',
  43: 'DS',
  44: 'SSHFP',
  45: 'IPSECKEY',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  53: 'SMIMEA',
  55: 'HIP',
  56: 'NINFO',
  57: 'RKEY',
  58: 'TALINK',
  59: 'CDS',
  60: 'CDNSKEY',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  100: 'UINFO',
  101: 'UID',
  102: 'GID',
  103: 'UNSPEC',
  104: 'NID',
  105: 'L32',
  106: 'L64',
  107: 'LP',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY',
  250: 'TSIG',
  251: 'IXFR',
  252: 'AXFR',
  253: 'MAILB',
  254: 'MAILA',
  255: 'ANY',
  256: 'URI',
  257: 'CAA',
  258: 'AVC',
  259: 'DOA',
  260: 'AMTRELAY',
  32768: 'TA',
  32769: 'DLV',
};

/** The texts of dns.qry.type / dns.resp.type before " (N)" (Wireshark 4.0's dns_types_description_vals). */
const TYPE_TEXT: Readonly<Record<number, string>> = {
  0: 'Unused',
  1: 'A (Host Address)',
  2: 'NS (authoritative Name Server)',
  3: 'MD (Mail Destination)',
  4: 'MF (Mail Forwarder)',
  5: 'CNAME (Canonical NAME for an alias)',
  6: 'SOA (Start Of a zone of Authority)',
  7: 'MB (MailBox domain name)',
  8: 'MG (Mail Group member)',
  9: 'MR (Mail Rename domain)',
  10: 'NULL RR',
  11: 'WKS (Well Known Service)',
  12: 'PTR (domain name PoinTeR)',
  13: 'HINFO (host information)',
  14: 'MINFO (Mailbox or mail list information)',
  15: 'MX (Mail eXchange)',
  16: 'TXT (Text strings)',
  17: 'RP (Responsible Person)',
  18: 'AFSDB (AFS Data Base location)',
  19: 'X25 (XX.25 PSDN address)',
  20: 'ISDN (ISDN address)',
  21: 'RT (Route Through)',
  22: 'NSAP (NSAP address)',
  23: 'NSAP-PTR (NSAP domain name pointer)',
  24: 'SIG (security signature)',
  25: 'KEY (security key)',
  26: 'PX (X.400 mail mapping information)',
  27: 'GPOS (Geographical Position)',
  28: 'AAAA (IPv6 Address)',
  29: 'LOC (Location Information)',
  30: 'NXT (Next Domain)',
  31: 'EID (Endpoint Identifier)',
  32: 'NIMLOC (Nimrod Locator)',
  33: 'SRV (Server Selection)',
  34: 'ATMA (ATM Address)',
  35: 'NAPTR (Naming Authority Pointer)',
  36: 'KX (Key Exchanger)',
  37: 'CERT',
  38: 'A6 (OBSOLETE - use AAAA)',
  39: 'DNAME',
  40: 'SINK',
  41: 'OPT',
  42: 'APL',
  43: 'DS (Delegation Signer)',
  44: 'SSHFP (SSH Key Fingerprint)',
  45: 'IPSECKEY',
  46: 'RRSIG (Resource Record Signature)',
  47: 'NSEC (Next Secure)',
  48: 'DNSKEY (DNS Public Key)',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  55: 'HIP (Host Identity Protocol)',
  57: 'RKEY',
  58: 'TALINK (Trust Anchor LINK)',
  59: 'CDS (Child DS)',
  60: 'CDNSKEY (DNSKEY(s) the Child wants reflected in DS)',
  61: 'OPENPGPKEY (OpenPGP Key)',
  62: 'CSYNC (Child-to-Parent Synchronization)',
  63: 'ZONEMD',
  64: 'SVCB (General Purpose Service Endpoints)',
  65: 'HTTPS (HTTPS Specific Service Endpoints)',
  99: 'SPF',
  100: 'UINFO',
  101: 'UID',
  102: 'GID',
  103: 'UNSPEC',
  104: 'NID (NodeID)',
  105: 'L32 (Locator32)',
  106: 'L64 (Locator64)',
  107: 'LP (Locator FQDN)',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY (Transaction Key)',
  250: 'TSIG (Transaction Signature)',
  251: 'IXFR (incremental transfer)',
  252: 'AXFR (transfer of an entire zone)',
  253: 'MAILB (mailbox-related RRs)',
  254: 'MAILA (mail agent RRs)',
  255: '* (A request for all records the server/cache has available)',
  256: 'URI',
  257: 'CAA (Certification Authority Restriction)',
  32768: 'TA (DNSSEC Trust Authorities)',
  32769: 'DLV (DNSSEC Lookaside Validation)',
  65281: 'WINS',
  65282: 'WINS-R',
  65422: 'XPF',
};

/** "A", or "Unknown (65280)" for a type Wireshark does not name. */
export function dnsTypeShort(type: number): string {
  return TYPE_SHORT[type] ?? `Unknown (${type})`;
}

/** The text of dns.qry.type / dns.resp.type: "A (Host Address) (1)", "OPT (41)". */
export function dnsTypeText(type: number): string {
  return `${dnsTypeName(type)} (${type})`;
}

/** The type's value string without the number: "A (Host Address)", "NSEC3", or "Unknown (65534)". */
export function dnsTypeName(type: number): string {
  return TYPE_TEXT[type] ?? `Unknown (${type})`;
}

const CLASSES: Readonly<Record<number, string>> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

/** "IN", or "Unknown" (the short class in "class IN"). */
export function dnsClassShort(cls: number): string {
  return CLASSES[cls] ?? `Unknown (0x${cls.toString(16).padStart(4, '0')})`;
}

const OPCODES: Readonly<Record<number, string>> = {
  0: 'Standard query',
  1: 'Inverse query',
  2: 'Server status request',
  4: 'Zone change notification',
  5: 'Dynamic update',
  6: 'DNS Stateful operations (DSO)',
};

export function dnsOpcodeText(op: number): string {
  return OPCODES[op] ?? `Unknown operation (${op})`;
}

/** Reply codes 0-18, as Wireshark names them both for dns.flags.rcode and for dns.tsig.error. */
export const DNS_RCODES_SHARED: Readonly<Record<number, string>> = {
  0: 'No error',
  1: 'Format error',
  2: 'Server failure',
  3: 'No such name',
  4: 'Not implemented',
  5: 'Refused',
  6: 'Name exists',
  7: 'RRset exists',
  8: 'RRset does not exist',
  9: 'Not authoritative',
  10: 'Name out of zone',
  11: 'DSO-Type not implemented',
  16: 'Bad OPT Version or TSIG Signature Failure',
  17: 'Key not recognized',
  18: 'Signature out of time window',
};

const RCODES: Readonly<Record<number, string>> = {
  ...DNS_RCODES_SHARED,
  19: 'Bad TKEY mode',
  20: 'Duplicate key name',
  21: 'Algorithm not supported',
  22: 'Bad truncation',
  23: 'Bad server cookie',
};

export function dnsRcodeText(rcode: number): string {
  return RCODES[rcode] ?? `Unknown error (${rcode})`;
}

const OPTIONS: Readonly<Record<number, string>> = {
  1: 'LLQ - Long-lived query',
  2: 'UL - Update lease',
  3: 'NSID - Name Server Identifier',
  5: 'DAU - DNSSEC Algorithm Understood',
  6: 'DHU - DS Hash Understood',
  7: 'N3U - NSEC3 Hash Understood',
  8: 'CSUBNET - Client subnet',
  9: 'EDNS EXPIRE',
  10: 'COOKIE',
  11: 'EDNS TCP Keepalive',
  12: 'PADDING',
  13: 'CHAIN',
  14: 'EDNS Key Tag',
  15: 'Extended DNS Error',
  16: 'EDNS Client Tag',
  17: 'EDNS Server Tag',
  20292: 'DeviceID',
};

export function ednsOptionText(code: number): string {
  return OPTIONS[code] ?? 'Unknown';
}
