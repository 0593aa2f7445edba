// X.509 certificates (RFC 5280 §4.1) decoded from DER, with the byte range of every part: version,
// serial number, signature algorithm (with RSASSA-PSS and EC parameters), issuer and subject names
// (RDNs of attribute type and value), validity, the subject public key (RSA modulus and exponent
// split out), unique identifiers, extensions (x509-extensions.ts) and the outer signature.
//
// Hostile input: every length is checked against the bytes at hand (der.ts); decoding stops at the
// first problem and reports it in `error`, keeping what it read before; nothing throws.

import {
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeTime,
  DER_CLASS,
  DER_TAG,
  type DerBitString,
  type DerError,
  type DerTime,
  type DerTlv,
  isDerError,
  readChildren,
  readOid,
  readTlv,
  readUniversal,
} from './der.ts';
import { decodeExtension, type X509Extension } from './x509-extensions.ts';
import { decodeName, type X509Name, type X509Oid } from './x509-name.ts';

export * from './x509-name.ts';

/** An AlgorithmIdentifier. */
export interface X509Algorithm {
  tlv: DerTlv;
  algorithm: X509Oid;
  /** The parameters, when present. */
  parameters?: DerTlv;
  /** RSASSA-PSS parameters (RFC 4055), when the algorithm is id-RSASSA-PSS. */
  pss?: X509PssParams;
  /** EC parameters (RFC 5480) of id-ecPublicKey: the named curve, when that is the choice. */
  ecParameters?: { tlv: DerTlv; choice: number; namedCurve?: X509Oid };
  error?: DerError;
}

export interface X509PssParams {
  tlv: DerTlv;
  hashAlgorithm?: X509Algorithm;
  maskGenAlgorithm?: X509Algorithm & { hash?: X509Algorithm };
  saltLength?: { value: bigint; tlv: DerTlv };
  trailerField?: { value: bigint; tlv: DerTlv };
}

export interface X509TimeValue extends DerTime {
  tlv: DerTlv;
  kind: 'utcTime' | 'generalizedTime';
}

export interface X509BitString extends DerBitString {
  tlv: DerTlv;
}

export interface X509PublicKey {
  tlv: DerTlv;
  algorithm: X509Algorithm;
  key?: X509BitString;
  /** RSAPublicKey (RFC 8017 A.1.1) inside the key bits, for rsaEncryption. */
  rsa?: { tlv: DerTlv; modulus: DerTlv; exponent: DerTlv; exponentValue: bigint };
}

export interface X509TbsCertificate {
  tlv: DerTlv;
  /** The explicit [0] version: 0 v1, 1 v2, 2 v3 (absent means v1). */
  version?: { value: number; tlv: DerTlv };
  serialNumber?: DerTlv;
  signature?: X509Algorithm;
  issuer?: X509Name;
  validity?: { tlv: DerTlv; notBefore?: X509TimeValue; notAfter?: X509TimeValue };
  subject?: X509Name;
  subjectPublicKeyInfo?: X509PublicKey;
  issuerUniqueId?: X509BitString;
  subjectUniqueId?: X509BitString;
  /** The [3] extensions: the SEQUENCE and each extension. */
  extensions?: { tlv: DerTlv; list: X509Extension[] };
}

export interface X509Certificate {
  tlv: DerTlv;
  tbs?: X509TbsCertificate;
  signatureAlgorithm?: X509Algorithm;
  signature?: X509BitString;
  /** The first problem met; everything before it is decoded. */
  error?: DerError;
}

/** Object identifiers the decoder treats specially. */
export const X509_OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

const U = DER_CLASS.universal;
const CTX = DER_CLASS.context;

/** Reads an AlgorithmIdentifier at `offset`. */
export function decodeAlgorithm(b: Uint8Array, offset: number, end: number, what: string): X509Algorithm | DerError {
  const t = readUniversal(b, offset, end, DER_TAG.sequence, what);
  if (isDerError(t)) return t;
  const o = readOid(b, t.contentOffset, t.end, `${what} algorithm`);
  if (isDerError(o)) return o;
  const alg: X509Algorithm = { tlv: t, algorithm: { oid: o.oid, tlv: o.tlv } };
  if (o.tlv.end >= t.end) return alg;
  const p = readTlv(b, o.tlv.end, t.end);
  if (isDerError(p)) {
    alg.error = p;
    return alg;
  }
  alg.parameters = p;
  if (p.end < t.end) alg.error = { offset: p.end, reason: `${what}: bytes after the parameters` };
  if (o.oid === X509_OID.rsassaPss && p.cls === U && p.tag === DER_TAG.sequence) {
    const pss = decodePss(b, p);
    if (isDerError(pss)) alg.error ??= pss;
    else alg.pss = pss;
  } else if (o.oid === X509_OID.ecPublicKey) {
    const choice = p.cls === U && p.tag === DER_TAG.oid ? 1 : p.cls === U && p.tag === DER_TAG.null ? 2 : p.cls === U && p.tag === DER_TAG.sequence ? 0 : -1;
    alg.ecParameters = { tlv: p, choice };
    if (choice === 1) {
      const c = readOid(b, p.offset, p.end, 'named curve');
      if (isDerError(c)) alg.error ??= c;
      else alg.ecParameters.namedCurve = { oid: c.oid, tlv: c.tlv };
    }
  }
  return alg;
}

function decodePss(b: Uint8Array, p: DerTlv): X509PssParams | DerError {
  const kids = readChildren(b, p, 8);
  if (kids.error !== undefined) return kids.error;
  const out: X509PssParams = { tlv: p };
  for (const k of kids.items) {
    if (k.cls !== CTX || !k.constructed) return { offset: k.offset, reason: 'RSASSA-PSS-params: unexpected element' };
    if (k.tag === 0) {
      const a = decodeAlgorithm(b, k.contentOffset, k.end, 'hashAlgorithm');
      if (isDerError(a)) return a;
      out.hashAlgorithm = a;
    } else if (k.tag === 1) {
      const a = decodeAlgorithm(b, k.contentOffset, k.end, 'maskGenAlgorithm');
      if (isDerError(a)) return a;
      const mgf: X509Algorithm & { hash?: X509Algorithm } = a;
      if (a.parameters !== undefined && a.parameters.cls === U && a.parameters.tag === DER_TAG.sequence) {
        const h = decodeAlgorithm(b, a.parameters.offset, a.parameters.end, 'MGF1 hash');
        if (isDerError(h)) return h;
        mgf.hash = h;
      }
      out.maskGenAlgorithm = mgf;
    } else if (k.tag === 2 || k.tag === 3) {
      const i = readUniversal(b, k.contentOffset, k.end, DER_TAG.integer, k.tag === 2 ? 'saltLength' : 'trailerField');
      if (isDerError(i)) return i;
      const v = decodeInteger(b, i);
      if (v === undefined) return { offset: i.offset, reason: 'empty INTEGER' };
      if (k.tag === 2) out.saltLength = { value: v, tlv: i };
      else out.trailerField = { value: v, tlv: i };
    } else {
      return { offset: k.offset, reason: `RSASSA-PSS-params: unknown element [${k.tag}]` };
    }
  }
  return out;
}

function readTime(b: Uint8Array, offset: number, end: number, what: string): X509TimeValue | DerError {
  const t = readTlv(b, offset, end);
  if (isDerError(t)) return { ...t, reason: `${what}: ${t.reason}` };
  if (t.cls !== U || t.constructed || (t.tag !== DER_TAG.utcTime && t.tag !== DER_TAG.generalizedTime))
    return { offset, reason: `${what}: expected UTCTime or GeneralizedTime` };
  return { ...decodeTime(b, t), tlv: t, kind: t.tag === DER_TAG.utcTime ? 'utcTime' : 'generalizedTime' };
}

function readBits(b: Uint8Array, t: DerTlv): X509BitString | DerError {
  if (t.constructed) return { offset: t.offset, reason: 'constructed BIT STRING' };
  const bits = decodeBitString(t, b);
  if (isDerError(bits)) return bits;
  return { ...bits, tlv: t };
}

/** Reads the SubjectPublicKeyInfo at `offset`. */
export function decodePublicKeyInfo(b: Uint8Array, offset: number, end: number): { spki: X509PublicKey; error?: DerError } | DerError {
  const t = readUniversal(b, offset, end, DER_TAG.sequence, 'subjectPublicKeyInfo');
  if (isDerError(t)) return t;
  const alg = decodeAlgorithm(b, t.contentOffset, t.end, 'subjectPublicKeyInfo');
  if (isDerError(alg)) return alg;
  const spki: X509PublicKey = { tlv: t, algorithm: alg };
  if (alg.error !== undefined) return { spki, error: alg.error };
  const k = readUniversal(b, alg.tlv.end, t.end, DER_TAG.bitString, 'subjectPublicKey');
  if (isDerError(k)) return { spki, error: k };
  const bits = readBits(b, k);
  if (isDerError(bits)) return { spki, error: bits };
  spki.key = bits;
  if (alg.algorithm.oid === X509_OID.rsaEncryption && bits.unusedBits === 0) {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    const s = readUniversal(b, bits.bitsOffset, bits.bitsOffset + bits.bitsLength, DER_TAG.sequence, 'RSAPublicKey');
    if (isDerError(s)) return { spki, error: s };
    const m = readUniversal(b, s.contentOffset, s.end, DER_TAG.integer, 'modulus');
    if (isDerError(m)) return { spki, error: m };
    const e = readUniversal(b, m.end, s.end, DER_TAG.integer, 'publicExponent');
    if (isDerError(e)) return { spki, error: e };
    spki.rsa = { tlv: s, modulus: m, exponent: e, exponentValue: decodeInteger(b, e) ?? 0n };
  }
  if (k.end !== t.end) return { spki, error: { offset: k.end, reason: 'bytes after subjectPublicKey' } };
  return { spki };
}

/** Decodes the certificate whose DER starts at `offset` (it must end by `end`). */
export function decodeCertificateDer(b: Uint8Array, offset = 0, end: number = b.length): X509Certificate {
  const outer = readUniversal(b, offset, end, DER_TAG.sequence, 'Certificate');
  if (isDerError(outer)) {
    const t = readTlv(b, offset, end);
    return {
      tlv: isDerError(t) ? { offset, cls: 0, constructed: false, tag: 0, headerLength: 0, contentOffset: offset, length: 0, end: offset } : t,
      error: outer,
    };
  }
  const cert: X509Certificate = { tlv: outer };
  const fail = (e: DerError): X509Certificate => {
    cert.error ??= e;
    return cert;
  };
  const tbsT = readUniversal(b, outer.contentOffset, outer.end, DER_TAG.sequence, 'tbsCertificate');
  if (isDerError(tbsT)) return fail(tbsT);
  const tbs: X509TbsCertificate = { tlv: tbsT };
  cert.tbs = tbs;
  const err = decodeTbs(b, tbs);
  if (err !== undefined) fail(err);
  const sa = decodeAlgorithm(b, tbsT.end, outer.end, 'signatureAlgorithm');
  if (isDerError(sa)) return fail(sa);
  cert.signatureAlgorithm = sa;
  if (sa.error !== undefined) return fail(sa.error);
  const sigT = readUniversal(b, sa.tlv.end, outer.end, DER_TAG.bitString, 'signatureValue');
  if (isDerError(sigT)) return fail(sigT);
  const sig = readBits(b, sigT);
  if (isDerError(sig)) return fail(sig);
  cert.signature = sig;
  if (sigT.end !== outer.end) return fail({ offset: sigT.end, reason: 'bytes after the signature' });
  return cert;
}

function decodeTbs(b: Uint8Array, tbs: X509TbsCertificate): DerError | undefined {
  const t = tbs.tlv;
  let p = t.contentOffset;
  const first = readTlv(b, p, t.end);
  if (isDerError(first)) return first;
  if (first.cls === CTX && first.tag === 0 && first.constructed) {
    const v = readUniversal(b, first.contentOffset, first.end, DER_TAG.integer, 'version');
    if (isDerError(v)) return v;
    const value = decodeInteger(b, v);
    if (value === undefined || v.end !== first.end) return { offset: v.offset, reason: 'version: not one INTEGER' };
    tbs.version = { value: Number(value), tlv: v };
    p = first.end;
  }
  const serial = readUniversal(b, p, t.end, DER_TAG.integer, 'serialNumber');
  if (isDerError(serial)) return serial;
  if (serial.length === 0) return { offset: serial.offset, reason: 'serialNumber: empty INTEGER' };
  tbs.serialNumber = serial;
  const sig = decodeAlgorithm(b, serial.end, t.end, 'signature');
  if (isDerError(sig)) return sig;
  tbs.signature = sig;
  if (sig.error !== undefined) return sig.error;
  const issuer = decodeName(b, sig.tlv.end, t.end, 'issuer');
  if (isDerError(issuer)) return issuer;
  tbs.issuer = issuer.name;
  if (issuer.error !== undefined) return issuer.error;
  const vt = readUniversal(b, issuer.name.tlv.end, t.end, DER_TAG.sequence, 'validity');
  if (isDerError(vt)) return vt;
  tbs.validity = { tlv: vt };
  const nb = readTime(b, vt.contentOffset, vt.end, 'notBefore');
  if (isDerError(nb)) return nb;
  tbs.validity.notBefore = nb;
  const na = readTime(b, nb.tlv.end, vt.end, 'notAfter');
  if (isDerError(na)) return na;
  tbs.validity.notAfter = na;
  if (na.tlv.end !== vt.end) return { offset: na.tlv.end, reason: 'validity: bytes after notAfter' };
  const subject = decodeName(b, vt.end, t.end, 'subject');
  if (isDerError(subject)) return subject;
  tbs.subject = subject.name;
  if (subject.error !== undefined) return subject.error;
  const spki = decodePublicKeyInfo(b, subject.name.tlv.end, t.end);
  if (isDerError(spki)) return spki;
  tbs.subjectPublicKeyInfo = spki.spki;
  if (spki.error !== undefined) return spki.error;
  p = spki.spki.tlv.end;
  while (p < t.end) {
    const x = readTlv(b, p, t.end);
    if (isDerError(x)) return x;
    if (x.cls !== CTX || x.tag > 3) return { offset: x.offset, reason: `tbsCertificate: unexpected ${x.cls === U ? 'universal' : 'tagged'} element ${x.tag}` };
    if (x.tag === 1 || x.tag === 2) {
      if (x.constructed) return { offset: x.offset, reason: 'constructed unique identifier' };
      const bits = decodeBitString(x, b);
      if (isDerError(bits)) return bits;
      if (x.tag === 1) tbs.issuerUniqueId = { ...bits, tlv: x };
      else tbs.subjectUniqueId = { ...bits, tlv: x };
    } else if (x.tag === 3) {
      if (!x.constructed) return { offset: x.offset, reason: 'extensions: primitive [3]' };
      const s = readUniversal(b, x.contentOffset, x.end, DER_TAG.sequence, 'extensions');
      if (isDerError(s)) return s;
      tbs.extensions = { tlv: s, list: [] };
      const kids = readChildren(b, s, 1024);
      for (const k of kids.items) {
        const e = decodeExtensionEntry(b, k);
        if (isDerError(e)) return e;
        tbs.extensions.list.push(e);
      }
      if (kids.error !== undefined) return kids.error;
    } else {
      return { offset: x.offset, reason: 'tbsCertificate: element [0] out of place' };
    }
    p = x.end;
  }
  return undefined;
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function decodeExtensionEntry(b: Uint8Array, t: DerTlv): X509Extension | DerError {
  if (t.cls !== U || t.tag !== DER_TAG.sequence || !t.constructed) return { offset: t.offset, reason: 'Extension is not a SEQUENCE' };
  const o = readOid(b, t.contentOffset, t.end, 'extnID');
  if (isDerError(o)) return o;
  let p = o.tlv.end;
  let critical: { value: boolean; tlv: DerTlv } | undefined;
  const c = readTlv(b, p, t.end);
  if (isDerError(c)) return c;
  if (c.cls === U && c.tag === DER_TAG.boolean) {
    const v = decodeBoolean(b, c);
    if (v === undefined || c.constructed) return { offset: c.offset, reason: 'critical: not a one-byte BOOLEAN' };
    critical = { value: v, tlv: c };
    p = c.end;
  }
  const ov = readUniversal(b, p, t.end, DER_TAG.octetString, 'extnValue');
  if (isDerError(ov)) return ov;
  if (ov.end !== t.end) return { offset: ov.end, reason: 'Extension: bytes after extnValue' };
  return decodeExtension(b, { tlv: t, id: { oid: o.oid, tlv: o.tlv }, critical, value: ov });
}

/** The serial number as the hex of its content bytes (what Wireshark shows). */
export function hexOf(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, Math.max(0, Math.min(end, b.length) - start)).toString('hex');
}
