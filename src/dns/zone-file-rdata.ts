// RDATA and TTLs in master-file text (RFC 1035 §5.1, RFC 3597 §5 generic `\# len hex`, BIND's TTL
// units 1w2d3h4m5s). Each parser takes the RDATA tokens and a function that makes a token an
// absolute name; every error names the token it is about.

import { decodeRdata } from '../wire/dns-rdata.ts';
import { ipv4Text, ipv6Text } from '../wire/dns-rdata.ts';
import { DNS_TYPE, dnsTypeName, type DnsRecordData } from '../wire/dns-types.ts';
import { parseIpv4Address } from '../wire/ipv4.ts';
import { parseIpv6Address } from '../wire/ipv6.ts';
import { tokenBytes, type ZoneToken } from './zone-file-lexer.ts';

/** Raised with the token at fault; the parser turns it into a ZoneFileError with file and position. */
export class TokenError extends Error {
  constructor(
    readonly token: ZoneToken | undefined,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A TTL or SOA timer: "3600", or BIND units "1h30m", "2d", "1W". Undefined when not one. */
export function parseTtlText(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    return v <= 0xffffffff ? v : undefined;
  }
  const m = /^(?:\d+[smhdw])+$/i.exec(text);
  if (m === null) return undefined;
  let total = 0;
  for (const part of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(part[1]) * UNIT[part[2]];
  return total <= 0xffffffff ? total : undefined;
}

function u(token: ZoneToken | undefined, bits: 8 | 16 | 32, what: string): number {
  if (token === undefined) throw new TokenError(undefined, `${what} is missing`);
  const max = bits === 8 ? 0xff : bits === 16 ? 0xffff : 0xffffffff;
  if (!/^\d+$/.test(token.raw) || Number(token.raw) > max) throw new TokenError(token, `${what} '${token.raw}' is not a number 0..${max}`);
  return Number(token.raw);
}

function timer(token: ZoneToken | undefined, what: string): number {
  if (token === undefined) throw new TokenError(undefined, `${what} is missing`);
  const v = parseTtlText(token.raw);
  if (v === undefined) throw new TokenError(token, `${what} '${token.raw}' is not a time (seconds, or units like 1h30m)`);
  return v;
}

function charString(token: ZoneToken, what: string): Uint8Array {
  const b = tokenBytes(token);
  if (b.length > 255) throw new TokenError(token, `${what} is ${b.length} octets long (a character-string holds at most 255)`);
  return b;
}

/** Makes a token an absolute name (relative names get the origin, `@` is the origin). */
export type NameOf = (token: ZoneToken | undefined, what: string) => string;

function want(tokens: readonly ZoneToken[], n: number, type: string, fields: string): void {
  if (tokens.length > n) throw new TokenError(tokens[n], `${type} has ${fields}: '${tokens[n].raw}' is one too many`);
}

/** RFC 3597 `\# len hex...` for any type; typed RDATA when netlab models the type. */
function generic(type: number, tokens: readonly ZoneToken[]): DnsRecordData {
  const lenTok = tokens[1];
  if (lenTok === undefined || !/^\d+$/.test(lenTok.raw)) throw new TokenError(lenTok ?? tokens[0], "'\\#' must be followed by the RDATA length in octets");
  const len = Number(lenTok.raw);
  const hex = tokens
    .slice(2)
    .map((t) => t.raw)
    .join('');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new TokenError(tokens[2] ?? lenTok, 'generic RDATA must be hexadecimal digits in pairs');
  if (hex.length / 2 !== len) throw new TokenError(lenTok, `generic RDATA says ${len} octets but holds ${hex.length / 2}`);
  const raw = Uint8Array.from(Buffer.from(hex, 'hex'));
  const d = decodeRdata(raw, type, 0, raw.length);
  if ('reason' in d) throw new TokenError(lenTok, `generic RDATA is not valid ${dnsTypeName(type)} RDATA: ${d.reason}`);
  return d;
}

/**
 * The RDATA of `type` from its tokens. `first` is the token before the RDATA (the type), for errors
 * about missing fields.
 */
export function parseRdata(type: number, tokens: readonly ZoneToken[], nameOf: NameOf, first: ZoneToken): DnsRecordData {
  if (tokens.length > 0 && tokens[0].raw === '\\#' && !tokens[0].quoted) return generic(type, tokens);
  const tn = dnsTypeName(type);
  const missing = (what: string): never => {
    throw new TokenError(first, `${tn} record has no ${what}`);
  };
  switch (type) {
    case DNS_TYPE.A: {
      const t = tokens[0] ?? missing('address');
      want(tokens, 1, tn, 'one address');
      try {
        return { type: 'A', address: ipv4Text(parseIpv4Address(t.raw)) };
      } catch {
        throw new TokenError(t, `'${t.raw}' is not an IPv4 address`);
      }
    }
    case DNS_TYPE.AAAA: {
      const t = tokens[0] ?? missing('address');
      want(tokens, 1, tn, 'one address');
      try {
        return { type: 'AAAA', address: ipv6Text(parseIpv6Address(t.raw)) };
      } catch {
        throw new TokenError(t, `'${t.raw}' is not an IPv6 address`);
      }
    }
    case DNS_TYPE.NS:
    case DNS_TYPE.CNAME:
    case DNS_TYPE.PTR: {
      want(tokens, 1, tn, 'one name');
      const name = nameOf(tokens[0] ?? missing('name'), `${tn} target`);
      return type === DNS_TYPE.NS ? { type: 'NS', name } : type === DNS_TYPE.CNAME ? { type: 'CNAME', name } : { type: 'PTR', name };
    }
    case DNS_TYPE.MX: {
      want(tokens, 2, tn, 'a preference and an exchange');
      const preference = u(tokens[0] ?? missing('preference'), 16, 'MX preference');
      return { type: 'MX', preference, exchange: nameOf(tokens[1] ?? missing('exchange'), 'MX exchange') };
    }
    case DNS_TYPE.SOA: {
      want(tokens, 7, tn, 'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM');
      return {
        type: 'SOA',
        mname: nameOf(tokens[0] ?? missing('MNAME'), 'SOA MNAME'),
        rname: nameOf(tokens[1] ?? missing('RNAME'), 'SOA RNAME'),
        serial: u(tokens[2] ?? missing('SERIAL'), 32, 'SOA SERIAL'),
        refresh: timer(tokens[3] ?? missing('REFRESH'), 'SOA REFRESH'),
        retry: timer(tokens[4] ?? missing('RETRY'), 'SOA RETRY'),
        expire: timer(tokens[5] ?? missing('EXPIRE'), 'SOA EXPIRE'),
        minimum: timer(tokens[6] ?? missing('MINIMUM'), 'SOA MINIMUM'),
      };
    }
    case DNS_TYPE.TXT:
    case DNS_TYPE.SPF: {
      if (tokens.length === 0) missing('character-string (write "" for an empty one)');
      const strings = tokens.map((t, i) => charString(t, `TXT string ${i + 1}`));
      return type === DNS_TYPE.TXT ? { type: 'TXT', strings } : { type, raw: Uint8Array.from(strings.flatMap((s) => [s.length, ...s])) };
    }
    case DNS_TYPE.SRV: {
      want(tokens, 4, tn, 'PRIORITY WEIGHT PORT TARGET');
      return {
        type: 'SRV',
        priority: u(tokens[0] ?? missing('priority'), 16, 'SRV priority'),
        weight: u(tokens[1] ?? missing('weight'), 16, 'SRV weight'),
        port: u(tokens[2] ?? missing('port'), 16, 'SRV port'),
        target: nameOf(tokens[3] ?? missing('target'), 'SRV target'),
      };
    }
    case DNS_TYPE.CAA: {
      want(tokens, 3, tn, 'FLAGS TAG VALUE');
      const flags = u(tokens[0] ?? missing('flags'), 8, 'CAA flags');
      const tagTok = tokens[1] ?? missing('tag');
      if (!/^[A-Za-z0-9]{1,255}$/.test(tagTok.raw)) throw new TokenError(tagTok, `CAA tag '${tagTok.raw}' must be letters and digits (RFC 8659 §4.1)`);
      return { type: 'CAA', flags, tag: tagTok.raw, value: tokenBytes(tokens[2] ?? missing('value')) };
    }
    default:
      throw new TokenError(first, `netlab has no text form for ${tn} RDATA: write it in the generic form '\\# LENGTH HEX' (RFC 3597)`);
  }
}
