// The rdata of DNSSEC records (RRSIG, DNSKEY, DS, NSEC3; RFC 4034, RFC 5155) and of TSIG (RFC 8945),
// and the subfields of the EDNS COOKIE option (RFC 7873), as Wireshark 4.0 names and shows them:
// dns.rrsig.*, dns.dnskey.*, dns.ds.*, dns.nsec3.*, dns.tsig.*, dns.opt.cookie.*.

import { u16, u32 } from '../../wire/layer.ts';
import { expertField } from '../expert.ts';
import { bool, type Field, labelField, rawField, stringField, uintDec, uintHex } from '../field.ts';
import { formatAbsTime } from '../frame-fields.ts';
import { registerFields } from '../known-fields.ts';
import { DNS_RCODES_SHARED, dnsTypeText } from './dns-names.ts';
import { secsToText } from './icmp-time.ts';
import { bitPattern, bytesFieldT } from './link-fields.ts';

registerFields({
  'dns.rrsig.type_covered': 'FT_UINT16',
  'dns.rrsig.algorithm': 'FT_UINT8',
  'dns.rrsig.labels': 'FT_UINT8',
  'dns.rrsig.original_ttl': 'FT_UINT32',
  'dns.rrsig.signature_expiration': 'FT_ABSOLUTE_TIME',
  'dns.rrsig.signature_inception': 'FT_ABSOLUTE_TIME',
  'dns.rrsig.key_tag': 'FT_UINT16',
  'dns.rrsig.signers_name': 'FT_STRING',
  'dns.rrsig.signature': 'FT_BYTES',
  'dns.dnskey.flags': 'FT_UINT16',
  'dns.dnskey.flags.zone_key': 'FT_BOOLEAN',
  'dns.dnskey.flags.key_revoked': 'FT_BOOLEAN',
  'dns.dnskey.flags.secure_entry_point': 'FT_BOOLEAN',
  'dns.dnskey.flags.reserved': 'FT_UINT16',
  'dns.dnskey.protocol': 'FT_UINT8',
  'dns.dnskey.algorithm': 'FT_UINT8',
  'dns.dnskey.key_id': 'FT_UINT16',
  'dns.dnskey.public_key': 'FT_BYTES',
  'dns.ds.key_id': 'FT_UINT16',
  'dns.ds.algorithm': 'FT_UINT8',
  'dns.ds.digest_type': 'FT_UINT8',
  'dns.ds.digest': 'FT_BYTES',
  'dns.nsec3.algo': 'FT_UINT8',
  'dns.nsec3.flags': 'FT_UINT8',
  'dns.nsec3.flags.opt_out': 'FT_BOOLEAN',
  'dns.nsec3.iterations': 'FT_UINT16',
  'dns.nsec3.salt_length': 'FT_UINT8',
  'dns.nsec3.salt_value': 'FT_BYTES',
  'dns.nsec3.hash_length': 'FT_UINT8',
  'dns.nsec3.hash_value': 'FT_STRING',
  'dns.tsig.algorithm_name': 'FT_STRING',
  'dns.tsig.time_signed': 'FT_ABSOLUTE_TIME',
  'dns.tsig.fudge': 'FT_UINT16',
  'dns.tsig.mac_size': 'FT_UINT16',
  'dns.tsig.mac': 'FT_NONE',
  'dns.tsig.noalg': 'FT_NONE',
  'dns.tsig.original_id': 'FT_UINT16',
  'dns.tsig.error': 'FT_UINT16',
  'dns.tsig.other_len': 'FT_UINT16',
  'dns.tsig.other_data': 'FT_BYTES',
  'dns.opt.cookie.client': 'FT_BYTES',
  'dns.opt.cookie.server': 'FT_BYTES',
});

/** DNSSEC algorithm numbers (Wireshark's dnssec_algo_vals). */
const ALGORITHMS: Readonly<Record<number, string>> = {
  1: 'RSA/MD5',
  2: 'Diffie-Hellman',
  3: 'DSA',
  4: 'Elliptic curve crypto',
  5: 'RSA/SHA1',
  6: 'DSA + NSEC3/SHA1',
  7: 'RSA/SHA1 + NSEC3/SHA1',
  8: 'RSA/SHA-256',
  10: 'RSA/SHA-512',
  12: 'GOST R 34.10-2001',
  13: 'ECDSA Curve P-256 with SHA-256',
  14: 'ECDSA Curve P-386 with SHA-386',
  15: 'Ed25519',
  16: 'Ed448',
  157: 'HMAC/MD5',
  252: 'Indirect key',
  253: 'Private, domain name',
  254: 'Private, OID',
};
const DIGEST_TYPES: Readonly<Record<number, string>> = { 0: 'Reserved digest', 1: 'SHA-1', 2: 'SHA-256', 3: 'GOST R 34.11-94', 4: 'SHA-384' };
const NSEC3_HASHES: Readonly<Record<number, string>> = { 0: 'Reserved', 1: 'SHA-1' };
/** TSIG error codes: the DNS reply codes and the TSIG/TKEY ones (dns.tsig.error's value string). */
const TSIG_ERRORS: Readonly<Record<number, string>> = {
  ...DNS_RCODES_SHARED,
  19: 'Bad TKEY Mode',
  20: 'Duplicate key name',
  21: 'Algorithm not supported',
  22: 'Bad Truncation',
  23: 'Bad/missing Server Cookie',
};

const named = (table: Readonly<Record<number, string>>, v: number): string => `${table[v] ?? 'Unknown'} (${v})`;

/** A name read from the message: its field (offsets in the frame) and its length in place. */
export type NameReader = (name: string, label: string, at: number, limit: number) => { field: Field; length: number };

/** The fields of a record's rdata, the record item's tail and the Info column's tail. */
export interface DnssecRdata {
  fields: Field[];
  detail: string;
  info: string;
}

const EMPTY: DnssecRdata = { fields: [], detail: '', info: '' };

function timeField(name: string, label: string, secs: number, at: number, length: number): Field {
  const show = formatAbsTime({ secs, nsecs: 0 });
  return rawField(name, label, 'time', secs, show, at, length, { text: `${label}: ${show}` });
}

/** An FT_BYTES field whose text truncates as Wireshark's does, at frame offset `abs` (`-T fields`: `<MISSING>` when empty). */
function bytesAt(name: string, label: string, m: Uint8Array, at: number, length: number, abs: number): Field {
  const f = { ...bytesFieldT(name, label, m, at, length), offset: abs };
  if (length === 0) f.show = '<MISSING>';
  return f;
}

/** RRSIG (RFC 4034 §3.1). */
export function rrsigRdata(m: Uint8Array, rd: number, end: number, base: number, readName: NameReader): DnssecRdata {
  if (end - rd < 18) return EMPTY;
  const type = u16(m, rd);
  const alg = m[rd + 2];
  const ttl = u32(m, rd + 4);
  const signer = readName('dns.rrsig.signers_name', "Signer's name", rd + 18, end);
  const sigAt = rd + 18 + signer.length;
  const fields = [
    uintDec('dns.rrsig.type_covered', 'Type Covered', type, base + rd, 2, { text: `Type Covered: ${dnsTypeText(type)}` }),
    uintDec('dns.rrsig.algorithm', 'Algorithm', alg, base + rd + 2, 1, { text: `Algorithm: ${named(ALGORITHMS, alg)}` }),
    uintDec('dns.rrsig.labels', 'Labels', m[rd + 3], base + rd + 3, 1),
    uintDec('dns.rrsig.original_ttl', 'Original TTL', ttl, base + rd + 4, 4, { text: `Original TTL: ${ttl} (${secsToText(ttl)})` }),
    timeField('dns.rrsig.signature_expiration', 'Signature Expiration', u32(m, rd + 8), base + rd + 8, 4),
    timeField('dns.rrsig.signature_inception', 'Signature Inception', u32(m, rd + 12), base + rd + 12, 4),
    uintDec('dns.rrsig.key_tag', 'Key Tag', u16(m, rd + 16), base + rd + 16, 2),
    signer.field,
  ];
  if (sigAt < end) fields.push(bytesAt('dns.rrsig.signature', 'Signature', m, sigAt, end - sigAt, base + sigAt));
  return { fields, detail: '', info: '' };
}

/** The key tag of a DNSKEY rdata (RFC 4034 Appendix B). */
export function keyTag(rdata: Uint8Array): number {
  if (rdata[3] === 1) return rdata.length >= 4 ? u16(rdata, rdata.length - 3) : 0;
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/** DNSKEY (RFC 4034 §2.1). */
export function dnskeyRdata(m: Uint8Array, rd: number, end: number, base: number): DnssecRdata {
  if (end - rd < 4) return EMPTY;
  const flags = u16(m, rd);
  const alg = m[rd + 3];
  const at = base + rd;
  const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');
  const zone = (flags & 0x100) !== 0;
  const revoked = (flags & 0x80) !== 0;
  const sep = (flags & 0x1) !== 0;
  const fields = [
    uintHex('dns.dnskey.flags', 'Flags', flags, 4, at, 2, {
      children: [
        bool('dns.dnskey.flags.zone_key', 'Zone Key', zone, at, 2, {
          text: `${bitPattern(flags, 0x100, 16)} = Zone Key: ${zone ? 'This is the zone key for specified zone' : 'This is not a zone key'}`,
        }),
        bool('dns.dnskey.flags.key_revoked', 'Key Revoked', revoked, at, 2, { text: `${bitPattern(flags, 0x80, 16)} = Key Revoked: ${yesNo(revoked)}` }),
        bool('dns.dnskey.flags.secure_entry_point', 'Key Signing Key', sep, at, 2, {
          text: `${bitPattern(flags, 0x1, 16)} = Key Signing Key: ${yesNo(sep)}`,
        }),
        // Wireshark 4.0 labels the reserved bits "Key Signing Key" too.
        uintHex('dns.dnskey.flags.reserved', 'Key Signing Key', flags & 0xfe7e, 4, at, 2, {
          text: `${bitPattern(flags, 0xfe7e, 16)} = Key Signing Key: 0x${(flags & 0xfe7e).toString(16).padStart(4, '0')}`,
        }),
      ],
    }),
    uintDec('dns.dnskey.protocol', 'Protocol', m[rd + 2], at + 2, 1),
    uintDec('dns.dnskey.algorithm', 'Algorithm', alg, at + 3, 1, { text: `Algorithm: ${named(ALGORITHMS, alg)}` }),
    uintDec('dns.dnskey.key_id', 'Key id', keyTag(m.subarray(rd, end)), at, 0, { generated: true }),
  ];
  if (rd + 4 < end) fields.push(bytesAt('dns.dnskey.public_key', 'Public Key', m, rd + 4, end - rd - 4, at + 4));
  return { fields, detail: '', info: '' };
}

/** DS (RFC 4034 §5.1). */
export function dsRdata(m: Uint8Array, rd: number, end: number, base: number): DnssecRdata {
  if (end - rd < 4) return EMPTY;
  const alg = m[rd + 2];
  const dt = m[rd + 3];
  const fields = [
    uintHex('dns.ds.key_id', 'Key id', u16(m, rd), 4, base + rd, 2),
    uintDec('dns.ds.algorithm', 'Algorithm', alg, base + rd + 2, 1, { text: `Algorithm: ${named(ALGORITHMS, alg)}` }),
    uintDec('dns.ds.digest_type', 'Digest Type', dt, base + rd + 3, 1, { text: `Digest Type: ${named(DIGEST_TYPES, dt)}` }),
  ];
  if (rd + 4 < end) fields.push(bytesAt('dns.ds.digest', 'Digest', m, rd + 4, end - rd - 4, base + rd + 4));
  return { fields, detail: '', info: '' };
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Base 32 with the extended hex alphabet, lower case, no padding (RFC 4648 §7), as NSEC3 owner names. */
export function base32hex(b: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += BASE32HEX[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) s += BASE32HEX[(acc << (5 - bits)) & 31];
  return s;
}

/** NSEC3 (RFC 5155 §3.2), up to the type bit map; `next` is where the bit map starts (or end). */
export function nsec3Rdata(m: Uint8Array, rd: number, end: number, base: number): DnssecRdata & { next: number } {
  if (end - rd < 5) return { ...EMPTY, next: end };
  const alg = m[rd];
  const flags = m[rd + 1];
  const saltLen = m[rd + 4];
  const at = base + rd;
  const optOut = (flags & 1) !== 0;
  const fields = [
    uintDec('dns.nsec3.algo', 'Hash algorithm', alg, at, 1, { text: `Hash algorithm: ${named(NSEC3_HASHES, alg)}` }),
    uintDec('dns.nsec3.flags', 'NSEC3 flags', flags, at + 1, 1, {
      children: [
        bool('dns.nsec3.flags.opt_out', 'NSEC3 Opt-out flag', optOut, at + 1, 1, {
          text: `${bitPattern(flags, 1, 8)} = NSEC3 Opt-out flag: ${optOut ? 'Additional insecure delegations allowed' : 'Additional insecure delegations forbidden'}`,
        }),
      ],
    }),
    uintDec('dns.nsec3.iterations', 'NSEC3 iterations', u16(m, rd + 2), at + 2, 2),
    uintDec('dns.nsec3.salt_length', 'Salt length', saltLen, at + 4, 1),
    bytesAt('dns.nsec3.salt_value', 'Salt value', m, rd + 5, Math.min(saltLen, end - rd - 5), at + 5),
  ];
  const hashAt = rd + 5 + saltLen;
  if (hashAt >= end) return { fields, detail: '', info: '', next: end };
  const hashLen = m[hashAt];
  const hash = m.subarray(hashAt + 1, Math.min(hashAt + 1 + hashLen, end));
  const owner = base32hex(hash);
  fields.push(
    uintDec('dns.nsec3.hash_length', 'Hash length', hashLen, base + hashAt, 1),
    stringField('dns.nsec3.hash_value', 'Next hashed owner', owner, base + hashAt + 1, hash.length, { generated: true }),
  );
  return { fields, detail: '', info: '', next: hashAt + 1 + hashLen };
}

/** TSIG (RFC 8945 §4.2). Wireshark checks the MAC only for GSS-API keys; for others it notes so. */
export function tsigRdata(m: Uint8Array, rd: number, end: number, base: number, readName: NameReader): DnssecRdata {
  const alg = readName('dns.tsig.algorithm_name', 'Algorithm Name', rd, end);
  let p = rd + alg.length;
  if (end - p < 10) return { fields: [alg.field], detail: '', info: '' };
  const time = u16(m, p) * 2 ** 32 + u32(m, p + 2);
  const macSize = u16(m, p + 8);
  const fields: Field[] = [
    alg.field,
    timeField('dns.tsig.time_signed', 'Time Signed', time, base + p, 6),
    uintDec('dns.tsig.fudge', 'Fudge', u16(m, p + 6), base + p + 6, 2),
    uintDec('dns.tsig.mac_size', 'MAC Size', macSize, base + p + 8, 2),
  ];
  p += 10;
  const algName = alg.field.show;
  const mac = labelField('dns.tsig.mac', 'MAC', base + p, macSize);
  if (algName !== 'gss-tsig')
    mac.children = [expertField('dns.tsig.noalg', `No dissector for algorithm:${algName}`, 'Warning', 'Undecoded', base + p, macSize)];
  if (macSize > 0) fields.push(mac);
  p += macSize;
  if (end - p < 6) return { fields, detail: '', info: '' };
  const error = u16(m, p + 2);
  const otherLen = u16(m, p + 4);
  fields.push(
    uintDec('dns.tsig.original_id', 'Original Id', u16(m, p), base + p, 2),
    uintDec('dns.tsig.error', 'Error', error, base + p + 2, 2, { text: `Error: ${named(TSIG_ERRORS, error)}` }),
    uintDec('dns.tsig.other_len', 'Other Len', otherLen, base + p + 4, 2),
  );
  if (otherLen > 0) fields.push(bytesAt('dns.tsig.other_data', 'Other Data', m, p + 6, Math.min(otherLen, end - p - 6), base + p + 6));
  return { fields, detail: '', info: '' };
}

/** The COOKIE option's client cookie (8 bytes) and server cookie (the rest, `<MISSING>` when none). */
export function cookieFields(m: Uint8Array, dataAt: number, length: number, base: number): Field[] {
  if (length < 8) return [];
  return [
    bytesAt('dns.opt.cookie.client', 'Client Cookie', m, dataAt, 8, base + dataAt),
    bytesAt('dns.opt.cookie.server', 'Server Cookie', m, dataAt + 8, length - 8, base + dataAt + 8),
  ];
}
