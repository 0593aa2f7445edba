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

/** The descriptions in "Type: A (Host Address) (1)". */
const TYPE_DESCRIPTION: Readonly<Record<number, string>> = {
  1: 'Host Address',
  2: 'authoritative Name Server',
  3: 'Mail Destination',
  4: 'Mail Forwarder',
  5: 'Canonical NAME for an alias',
  6: 'Start Of a zone of Authority',
  7: 'MailBox domain name',
  8: 'Mail Group member',
  9: 'Mail Rename domain name',
  10: 'RR',
  11: 'Well Known Service',
  12: 'domain name PoinTeR',
  13: 'host information',
  14: 'Mailbox Information',
  15: 'Mail eXchange',
  16: 'Text strings',
  17: 'Responsible Person',
  18: 'AFS Data Base location',
  24: 'security signature',
  25: 'security key',
  28: 'IPv6 Address',
  29: 'Location Information',
  30: 'Next Domain',
  33: 'Server Selection',
  35: 'Naming Authority PoinTeR',
  36: 'Key Exchange',
  37: 'Certificate',
  39: 'Delegation Name',
  43: 'Delegation Signer',
  44: 'SSH Key Fingerprint',
  45: 'IPsec Key',
  46: 'Resource Record Signature',
  47: 'Next Secure',
  48: 'DNS Public Key',
  49: 'DHCP Information',
  50: 'Next Secure v3',
  51: 'NSEC3 Parameters',
  52: 'TLSA',
  255: 'A request for all records the server/cache has available',
  257: 'Certification Authority Restriction',
};

/** "A", or "Unknown (65280)" for a type Wireshark does not name. */
export function dnsTypeShort(type: number): string {
  return TYPE_SHORT[type] ?? `Unknown (${type})`;
}

/** The text of dns.qry.type / dns.resp.type: "A (Host Address) (1)", "OPT (41)". */
export function dnsTypeText(type: number): string {
  // The type field names 255 "*" (Wireshark's dns_types_vals), where labels and Info say ANY.
  const short = type === 255 ? '*' : TYPE_SHORT[type];
  if (short === undefined) return `Unknown (${type})`;
  const d = TYPE_DESCRIPTION[type];
  return d === undefined ? `${short} (${type})` : `${short} (${d}) (${type})`;
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

const RCODES: Readonly<Record<number, string>> = {
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
