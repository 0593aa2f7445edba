// Presentation format (RFC 1035 §5.1, RFC 3597 §5): records as dig and master files write them.
// `example.com.  300  IN  A  192.0.2.1`; unknown types as `TYPE65280` with `\# len hex` RDATA.

import { DNS_TYPE, dnsClassName, dnsTypeName, type DnsQuestion, type DnsRecord, type DnsRecordData } from './dns-types.ts';

/** A name as an absolute presentation name: "www.example.com." ("." for the root). */
export function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

/** A character-string in quotes, with `"` and `\` escaped and bytes outside 0x20..0x7e as \DDD. */
export function quotedString(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s + '"';
}

/** RFC 3597 generic RDATA: `\# 4 0A000001` (`\# 0` when empty). */
export function genericRdataText(raw: Uint8Array): string {
  return raw.length === 0 ? '\\# 0' : `\\# ${raw.length} ${Buffer.from(raw).toString('hex').toUpperCase()}`;
}

/** The RDATA in presentation form. */
export function rdataText(data: DnsRecordData): string {
  if (typeof data.type === 'number') return genericRdataText((data as { raw: Uint8Array }).raw);
  switch (data.type) {
    case 'A':
    case 'AAAA':
      return data.address;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return fqdn(data.name);
    case 'MX':
      return `${data.preference} ${fqdn(data.exchange)}`;
    case 'SOA':
      return `${fqdn(data.mname)} ${fqdn(data.rname)} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case 'TXT':
      return data.strings.map(quotedString).join(' ');
    case 'SRV':
      return `${data.priority} ${data.weight} ${data.port} ${fqdn(data.target)}`;
    case 'CAA':
      return `${data.flags} ${data.tag} ${quotedString(data.value)}`;
  }
}

/** The TYPE mnemonic as dig prints it (TYPE65280 for unknown types, RFC 3597 §5). */
export function typeText(type: number): string {
  return dnsTypeName(type);
}

/** A record as dig prints it: `name.<TAB>ttl<TAB>IN<TAB>TYPE<TAB>rdata`. */
export function recordText(r: DnsRecord): string {
  // A typed name with raw RDATA (a record the decoder could not read as its type) stays generic.
  const known = typeof r.data.type !== 'number' && DNS_TYPE[r.data.type] === r.type;
  const rdata = known ? rdataText(r.data) : genericRdataText((r.data as { raw?: Uint8Array }).raw ?? new Uint8Array(0));
  return `${fqdn(r.name)}\t${r.ttl}\t${dnsClassName(r.class)}\t${typeText(r.type)}\t${rdata}`;
}

/** A question as dig's QUESTION SECTION line: `;name.<TAB><TAB>IN<TAB>A`. */
export function questionText(q: DnsQuestion): string {
  return `;${fqdn(q.name)}\t\t${dnsClassName(q.class)}\t${typeText(q.type)}`;
}
