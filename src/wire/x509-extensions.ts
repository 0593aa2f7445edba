// X.509 v3 extensions (RFC 5280 §4.2, RFC 6962 §3.3): the bodies netlab reads, each with the byte
// range of its parts: subjectKeyIdentifier, keyUsage, subjectAltName and issuerAltName (GeneralNames),
// basicConstraints, nameConstraints, cRLDistributionPoints, certificatePolicies (CPS and user notice
// qualifiers), authorityKeyIdentifier, extKeyUsage, authorityInfoAccess, and the signed certificate
// timestamps of Certificate Transparency. Any other extension keeps its value's range. A body that
// does not parse says where (`error`), keeping what was read.

import {
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeString,
  DER_CLASS,
  DER_TAG,
  type DerBitString,
  type DerError,
  type DerTlv,
  isDerError,
  readChildren,
  readOid,
  readTlv,
  readUniversal,
  STRING_TAGS,
} from './der.ts';
import { decodeName, type X509Name, type X509Oid } from './x509-name.ts';

export const EXTENSION_OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  signedCertificateTimestamps: '1.3.6.1.4.1.11129.2.4.2',
} as const;

/** Policy qualifier ids (RFC 5280 §4.2.1.4). */
export const QUALIFIER_OID = { cps: '1.3.6.1.5.5.7.2.1', userNotice: '1.3.6.1.5.5.7.2.2' } as const;

/** GeneralName choices (context tags). */
export const GENERAL_NAME = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  x400Address: 3,
  directoryName: 4,
  ediPartyName: 5,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
  registeredID: 8,
} as const;

export interface X509GeneralName {
  tlv: DerTlv;
  /** The choice: GENERAL_NAME's values. */
  choice: number;
  /** rfc822Name, dNSName, uniformResourceIdentifier. */
  text?: string;
  /** directoryName. */
  name?: X509Name;
  /** registeredID, otherName's type-id. */
  oid?: X509Oid;
  /** otherName's value (inside its [0] EXPLICIT). */
  value?: DerTlv;
}

export interface X509DistributionPoint {
  tlv: DerTlv;
  /** distributionPoint [0]: fullName [0] (choice 0) or nameRelativeToCRLIssuer [1] (choice 1). */
  distributionPoint?: { tlv: DerTlv; choice: number; fullName?: X509GeneralName[] };
  reasons?: DerTlv;
  cRLIssuer?: X509GeneralName[];
}

export interface X509DisplayText {
  tlv: DerTlv;
  text: string;
}

/** UserNotice (RFC 5280 §4.2.1.4): a notice reference and/or an explicit text. */
export interface X509UserNotice {
  tlv: DerTlv;
  noticeRef?: { tlv: DerTlv; organization: X509DisplayText; numbers: { tlv: DerTlv; value: bigint }[] };
  explicitText?: X509DisplayText;
}

export interface X509PolicyQualifier {
  tlv: DerTlv;
  id: X509Oid;
  qualifier?: DerTlv;
  /** The CPS URI (an IA5String). */
  cps?: X509DisplayText;
  userNotice?: X509UserNotice;
}

export interface X509Policy {
  tlv: DerTlv;
  id: X509Oid;
  qualifiers?: { tlv: DerTlv; list: X509PolicyQualifier[] };
}

export interface X509GeneralSubtree {
  tlv: DerTlv;
  base: X509GeneralName;
  minimum?: DerTlv;
  maximum?: DerTlv;
}

/** One signed certificate timestamp (RFC 6962 §3.2), as TLS structures inside the extension. */
export interface SignedCertificateTimestamp {
  /** Offset of its uint16 length, and that length. */
  offset: number;
  length: number;
  version: number;
  logId: Uint8Array;
  /** Milliseconds since the epoch. */
  timestamp: bigint;
  extensionsLength: number;
  extensions: Uint8Array;
  signatureScheme: number;
  signatureLength: number;
  signature: Uint8Array;
}

export type X509ExtensionBody =
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: DerTlv }
  | { kind: 'keyUsage'; bits: DerBitString & { tlv: DerTlv } }
  | { kind: 'generalNames'; tlv: DerTlv; names: X509GeneralName[] }
  | { kind: 'basicConstraints'; tlv: DerTlv; cA?: { value: boolean; tlv: DerTlv }; pathLenConstraint?: { value: bigint; tlv: DerTlv } }
  | { kind: 'nameConstraints'; tlv: DerTlv; permitted?: { tlv: DerTlv; list: X509GeneralSubtree[] }; excluded?: { tlv: DerTlv; list: X509GeneralSubtree[] } }
  | { kind: 'cRLDistributionPoints'; tlv: DerTlv; points: X509DistributionPoint[] }
  | { kind: 'certificatePolicies'; tlv: DerTlv; policies: X509Policy[] }
  | {
      kind: 'authorityKeyIdentifier';
      tlv: DerTlv;
      keyIdentifier?: DerTlv;
      authorityCertIssuer?: { tlv: DerTlv; names: X509GeneralName[] };
      authorityCertSerialNumber?: DerTlv;
    }
  | { kind: 'extKeyUsage'; tlv: DerTlv; purposes: X509Oid[] }
  | { kind: 'authorityInfoAccess'; tlv: DerTlv; descriptions: { tlv: DerTlv; method: X509Oid; location: X509GeneralName }[] }
  | { kind: 'signedCertificateTimestamps'; listOffset: number; listLength: number; scts: SignedCertificateTimestamp[] }
  | { kind: 'raw' };

export interface X509Extension {
  tlv: DerTlv;
  id: X509Oid;
  critical?: { value: boolean; tlv: DerTlv };
  /** The extnValue OCTET STRING; the extension's own DER lies in its content. */
  value: DerTlv;
  body: X509ExtensionBody;
  error?: DerError;
}

const U = DER_CLASS.universal;
const CTX = DER_CLASS.context;

/** What was read, and where reading stopped when it did. */
type Read<T> = { body: T; error?: DerError };

/** Decodes one GeneralName. */
export function decodeGeneralName(b: Uint8Array, t: DerTlv): X509GeneralName | DerError {
  if (t.cls !== CTX || t.tag > 8) return { offset: t.offset, reason: 'GeneralName: not a context-tagged choice' };
  const g: X509GeneralName = { tlv: t, choice: t.tag };
  switch (t.tag) {
    case GENERAL_NAME.rfc822Name:
    case GENERAL_NAME.dNSName:
    case GENERAL_NAME.uniformResourceIdentifier:
      if (t.constructed) return { offset: t.offset, reason: 'GeneralName: constructed string' };
      g.text = decodeString(b, DER_TAG.ia5String, t.contentOffset, t.end);
      return g;
    case GENERAL_NAME.directoryName: {
      if (!t.constructed) return { offset: t.offset, reason: 'directoryName: primitive' };
      const n = decodeName(b, t.contentOffset, t.end, 'directoryName');
      if (isDerError(n)) return n;
      if (n.error !== undefined) return n.error;
      g.name = n.name;
      return g;
    }
    case GENERAL_NAME.registeredID: {
      const o = readOidContent(b, t, 'registeredID');
      if (isDerError(o)) return o;
      g.oid = o;
      return g;
    }
    case GENERAL_NAME.otherName: {
      if (!t.constructed) return { offset: t.offset, reason: 'otherName: primitive' };
      const o = readOid(b, t.contentOffset, t.end, 'otherName type-id');
      if (isDerError(o)) return o;
      g.oid = { oid: o.oid, tlv: o.tlv };
      const v = readTlv(b, o.tlv.end, t.end);
      if (isDerError(v)) return v;
      if (v.cls !== CTX || v.tag !== 0 || !v.constructed) return { offset: v.offset, reason: 'otherName value: expected [0]' };
      const inner = readTlv(b, v.contentOffset, v.end);
      if (isDerError(inner)) return inner;
      g.value = inner;
      return g;
    }
    default:
      return g;
  }
}

/** An implicitly tagged OBJECT IDENTIFIER's value. */
function readOidContent(b: Uint8Array, t: DerTlv, what: string): X509Oid | DerError {
  if (t.constructed) return { offset: t.offset, reason: `${what}: constructed` };
  const oid = decodeOid(b, t.contentOffset, t.end);
  if (oid === undefined) return { offset: t.offset, reason: `${what}: invalid object identifier encoding` };
  return { oid, tlv: t };
}

/** Decodes GeneralNames: the SEQUENCE OF GeneralName inside `t` (tagged or not). */
export function decodeGeneralNames(b: Uint8Array, t: DerTlv): Read<X509GeneralName[]> {
  const out: X509GeneralName[] = [];
  const kids = readChildren(b, t, 1024);
  for (const k of kids.items) {
    const g = decodeGeneralName(b, k);
    if (isDerError(g)) return { body: out, error: g };
    out.push(g);
  }
  return { body: out, error: kids.error };
}

function sequenceAt(b: Uint8Array, ext: { value: DerTlv }, what: string): DerTlv | DerError {
  const t = readUniversal(b, ext.value.contentOffset, ext.value.end, DER_TAG.sequence, what);
  if (isDerError(t)) return t;
  if (t.end !== ext.value.end) return { offset: t.end, reason: `${what}: bytes after the value` };
  return t;
}

function displayText(b: Uint8Array, t: DerTlv): X509DisplayText | DerError {
  if (t.cls !== U || t.constructed || !STRING_TAGS.has(t.tag)) return { offset: t.offset, reason: 'DisplayText: not a string' };
  return { tlv: t, text: decodeString(b, t.tag, t.contentOffset, t.end) };
}

function decodeQualifier(b: Uint8Array, t: DerTlv): X509PolicyQualifier | DerError {
  if (t.cls !== U || t.tag !== DER_TAG.sequence || !t.constructed) return { offset: t.offset, reason: 'PolicyQualifierInfo is not a SEQUENCE' };
  const o = readOid(b, t.contentOffset, t.end, 'policyQualifierId');
  if (isDerError(o)) return o;
  const q: X509PolicyQualifier = { tlv: t, id: { oid: o.oid, tlv: o.tlv } };
  if (o.tlv.end >= t.end) return q;
  const v = readTlv(b, o.tlv.end, t.end);
  if (isDerError(v)) return v;
  q.qualifier = v;
  if (o.oid === QUALIFIER_OID.cps) {
    const d = displayText(b, v);
    if (isDerError(d)) return d;
    q.cps = d;
  } else if (o.oid === QUALIFIER_OID.userNotice) {
    if (v.cls !== U || v.tag !== DER_TAG.sequence) return { offset: v.offset, reason: 'UserNotice is not a SEQUENCE' };
    const un: X509UserNotice = { tlv: v };
    const kids = readChildren(b, v, 2);
    if (kids.error !== undefined) return kids.error;
    for (const k of kids.items) {
      if (k.cls === U && k.tag === DER_TAG.sequence) {
        const parts = readChildren(b, k, 2);
        if (parts.error !== undefined || parts.items.length !== 2)
          return { offset: k.offset, reason: 'NoticeReference: expected organization and noticeNumbers' };
        const org = displayText(b, parts.items[0]);
        if (isDerError(org)) return org;
        const nums = parts.items[1];
        if (nums.cls !== U || nums.tag !== DER_TAG.sequence) return { offset: nums.offset, reason: 'noticeNumbers is not a SEQUENCE' };
        const ns = readChildren(b, nums, 256);
        if (ns.error !== undefined) return ns.error;
        const numbers: { tlv: DerTlv; value: bigint }[] = [];
        for (const n of ns.items) {
          const value = n.cls === U && n.tag === DER_TAG.integer ? decodeInteger(b, n) : undefined;
          if (value === undefined) return { offset: n.offset, reason: 'noticeNumbers: not an INTEGER' };
          numbers.push({ tlv: n, value });
        }
        un.noticeRef = { tlv: k, organization: org, numbers };
      } else {
        const d = displayText(b, k);
        if (isDerError(d)) return d;
        un.explicitText = d;
      }
    }
    q.userNotice = un;
  }
  return q;
}

function decodeSubtrees(b: Uint8Array, t: DerTlv): Read<X509GeneralSubtree[]> {
  const out: X509GeneralSubtree[] = [];
  const kids = readChildren(b, t, 1024);
  for (const k of kids.items) {
    if (k.cls !== U || k.tag !== DER_TAG.sequence) return { body: out, error: { offset: k.offset, reason: 'GeneralSubtree is not a SEQUENCE' } };
    const parts = readChildren(b, k, 3);
    if (parts.error !== undefined) return { body: out, error: parts.error };
    const [base, ...rest] = parts.items;
    if (base === undefined) return { body: out, error: { offset: k.offset, reason: 'GeneralSubtree without base' } };
    const g = decodeGeneralName(b, base);
    if (isDerError(g)) return { body: out, error: g };
    const s: X509GeneralSubtree = { tlv: k, base: g };
    for (const r of rest) {
      if (r.cls === CTX && r.tag === 0) s.minimum = r;
      else if (r.cls === CTX && r.tag === 1) s.maximum = r;
      else return { body: out, error: { offset: r.offset, reason: 'GeneralSubtree: unexpected element' } };
    }
    out.push(s);
  }
  return { body: out, error: kids.error };
}

/** Reads the signed certificate timestamp list (TLS encoding: uint16 lengths) in [start, end). */
function decodeSctList(b: Uint8Array, start: number, end: number): Read<X509ExtensionBody & { kind: 'signedCertificateTimestamps' }> {
  const body: X509ExtensionBody & { kind: 'signedCertificateTimestamps' } = { kind: 'signedCertificateTimestamps', listOffset: start, listLength: 0, scts: [] };
  if (end - start < 2) return { body, error: { offset: start, reason: 'SCT list length cut short' } };
  body.listLength = (b[start] << 8) | b[start + 1];
  const stop = Math.min(end, start + 2 + body.listLength);
  let p = start + 2;
  while (p + 2 <= stop) {
    const len = (b[p] << 8) | b[p + 1];
    const s = p + 2;
    const e = s + len;
    if (e > stop) return { body, error: { offset: p, reason: 'SCT runs past the list' } };
    // version(1) logId(32) timestamp(8) extensions(2+n) signature scheme(2) signature(2+n)
    if (len < 1 + 32 + 8 + 2) return { body, error: { offset: p, reason: 'SCT too short' } };
    let q = s;
    const version = b[q];
    q += 1;
    const logId = b.slice(q, q + 32);
    q += 32;
    let timestamp = 0n;
    for (let i = 0; i < 8; i++) timestamp = (timestamp << 8n) | BigInt(b[q + i]);
    q += 8;
    const extensionsLength = (b[q] << 8) | b[q + 1];
    q += 2;
    if (q + extensionsLength + 4 > e) return { body, error: { offset: q, reason: 'SCT extensions run past the SCT' } };
    const extensions = b.slice(q, q + extensionsLength);
    q += extensionsLength;
    const signatureScheme = (b[q] << 8) | b[q + 1];
    const signatureLength = (b[q + 2] << 8) | b[q + 3];
    q += 4;
    if (q + signatureLength > e) return { body, error: { offset: q, reason: 'SCT signature runs past the SCT' } };
    body.scts.push({
      offset: p,
      length: len,
      version,
      logId,
      timestamp,
      extensionsLength,
      extensions,
      signatureScheme,
      signatureLength,
      signature: b.slice(q, q + signatureLength),
    });
    p = e;
  }
  if (p !== stop) return { body, error: { offset: p, reason: 'SCT list: bytes left over' } };
  return { body };
}

type ExtensionIn = Omit<X509Extension, 'body' | 'error'>;

/** Decodes the body of one extension. */
export function decodeExtension(b: Uint8Array, ext: ExtensionIn): X509Extension {
  const done = (r: Read<X509ExtensionBody> | DerError): X509Extension => {
    if (isDerError(r)) return { ...ext, body: { kind: 'raw' }, error: r };
    return r.error === undefined ? { ...ext, body: r.body } : { ...ext, body: r.body, error: r.error };
  };
  const v = ext.value;
  switch (ext.id.oid) {
    case EXTENSION_OID.subjectKeyIdentifier: {
      const t = readUniversal(b, v.contentOffset, v.end, DER_TAG.octetString, 'SubjectKeyIdentifier');
      return done(isDerError(t) ? t : { body: { kind: 'subjectKeyIdentifier', keyIdentifier: t } });
    }
    case EXTENSION_OID.keyUsage: {
      const t = readUniversal(b, v.contentOffset, v.end, DER_TAG.bitString, 'KeyUsage');
      if (isDerError(t)) return done(t);
      const bits = decodeBitString(t, b);
      return done(isDerError(bits) ? bits : { body: { kind: 'keyUsage', bits: { ...bits, tlv: t } } });
    }
    case EXTENSION_OID.subjectAltName:
    case EXTENSION_OID.issuerAltName: {
      const t = sequenceAt(b, ext, 'GeneralNames');
      if (isDerError(t)) return done(t);
      const r = decodeGeneralNames(b, t);
      return done({ body: { kind: 'generalNames', tlv: t, names: r.body }, error: r.error });
    }
    case EXTENSION_OID.basicConstraints: {
      const t = sequenceAt(b, ext, 'BasicConstraints');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'basicConstraints' } = { kind: 'basicConstraints', tlv: t };
      const kids = readChildren(b, t, 2);
      for (const k of kids.items) {
        if (k.cls === U && k.tag === DER_TAG.boolean && body.cA === undefined && body.pathLenConstraint === undefined) {
          const value = decodeBoolean(b, k);
          if (value === undefined) return done({ body, error: { offset: k.offset, reason: 'cA: not a one-byte BOOLEAN' } });
          body.cA = { value, tlv: k };
        } else if (k.cls === U && k.tag === DER_TAG.integer && body.pathLenConstraint === undefined) {
          const value = decodeInteger(b, k);
          if (value === undefined) return done({ body, error: { offset: k.offset, reason: 'pathLenConstraint: empty INTEGER' } });
          body.pathLenConstraint = { value, tlv: k };
        } else {
          return done({ body, error: { offset: k.offset, reason: 'BasicConstraints: unexpected element' } });
        }
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.nameConstraints: {
      const t = sequenceAt(b, ext, 'NameConstraints');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'nameConstraints' } = { kind: 'nameConstraints', tlv: t };
      const kids = readChildren(b, t, 2);
      for (const k of kids.items) {
        if (k.cls !== CTX || k.tag > 1 || !k.constructed) return done({ body, error: { offset: k.offset, reason: 'NameConstraints: unexpected element' } });
        const r = decodeSubtrees(b, k);
        if (k.tag === 0) body.permitted = { tlv: k, list: r.body };
        else body.excluded = { tlv: k, list: r.body };
        if (r.error !== undefined) return done({ body, error: r.error });
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.cRLDistributionPoints: {
      const t = sequenceAt(b, ext, 'CRLDistributionPoints');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'cRLDistributionPoints' } = { kind: 'cRLDistributionPoints', tlv: t, points: [] };
      const kids = readChildren(b, t, 1024);
      for (const k of kids.items) {
        if (k.cls !== U || k.tag !== DER_TAG.sequence) return done({ body, error: { offset: k.offset, reason: 'DistributionPoint is not a SEQUENCE' } });
        const dp: X509DistributionPoint = { tlv: k };
        body.points.push(dp);
        const parts = readChildren(b, k, 3);
        for (const x of parts.items) {
          if (x.cls !== CTX || (!x.constructed && x.tag !== 1))
            return done({ body, error: { offset: x.offset, reason: 'DistributionPoint: unexpected element' } });
          if (x.tag === 0) {
            const n = readTlv(b, x.contentOffset, x.end);
            if (isDerError(n)) return done({ body, error: n });
            if (n.cls !== CTX || n.tag > 1) return done({ body, error: { offset: n.offset, reason: 'DistributionPointName: unexpected choice' } });
            dp.distributionPoint = { tlv: n, choice: n.tag };
            if (n.tag === 0) {
              const r = decodeGeneralNames(b, n);
              dp.distributionPoint.fullName = r.body;
              if (r.error !== undefined) return done({ body, error: r.error });
            }
          } else if (x.tag === 1) {
            dp.reasons = x;
          } else if (x.tag === 2) {
            const r = decodeGeneralNames(b, x);
            dp.cRLIssuer = r.body;
            if (r.error !== undefined) return done({ body, error: r.error });
          } else {
            return done({ body, error: { offset: x.offset, reason: 'DistributionPoint: unexpected element' } });
          }
        }
        if (parts.error !== undefined) return done({ body, error: parts.error });
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.certificatePolicies: {
      const t = sequenceAt(b, ext, 'CertificatePolicies');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'certificatePolicies' } = { kind: 'certificatePolicies', tlv: t, policies: [] };
      const kids = readChildren(b, t, 1024);
      for (const k of kids.items) {
        if (k.cls !== U || k.tag !== DER_TAG.sequence) return done({ body, error: { offset: k.offset, reason: 'PolicyInformation is not a SEQUENCE' } });
        const o = readOid(b, k.contentOffset, k.end, 'policyIdentifier');
        if (isDerError(o)) return done({ body, error: o });
        const pol: X509Policy = { tlv: k, id: { oid: o.oid, tlv: o.tlv } };
        body.policies.push(pol);
        if (o.tlv.end < k.end) {
          const qs = readUniversal(b, o.tlv.end, k.end, DER_TAG.sequence, 'policyQualifiers');
          if (isDerError(qs)) return done({ body, error: qs });
          pol.qualifiers = { tlv: qs, list: [] };
          const qk = readChildren(b, qs, 256);
          for (const q of qk.items) {
            const d = decodeQualifier(b, q);
            if (isDerError(d)) return done({ body, error: d });
            pol.qualifiers.list.push(d);
          }
          if (qk.error !== undefined) return done({ body, error: qk.error });
        }
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.authorityKeyIdentifier: {
      const t = sequenceAt(b, ext, 'AuthorityKeyIdentifier');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'authorityKeyIdentifier' } = { kind: 'authorityKeyIdentifier', tlv: t };
      const kids = readChildren(b, t, 3);
      for (const k of kids.items) {
        if (k.cls !== CTX || k.tag > 2) return done({ body, error: { offset: k.offset, reason: 'AuthorityKeyIdentifier: unexpected element' } });
        if (k.tag === 0) body.keyIdentifier = k;
        else if (k.tag === 2) body.authorityCertSerialNumber = k;
        else {
          const r = decodeGeneralNames(b, k);
          body.authorityCertIssuer = { tlv: k, names: r.body };
          if (r.error !== undefined) return done({ body, error: r.error });
        }
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.extKeyUsage: {
      const t = sequenceAt(b, ext, 'ExtKeyUsage');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'extKeyUsage' } = { kind: 'extKeyUsage', tlv: t, purposes: [] };
      const kids = readChildren(b, t, 1024);
      for (const k of kids.items) {
        const o = readOid(b, k.offset, k.end, 'KeyPurposeId');
        if (isDerError(o)) return done({ body, error: o });
        body.purposes.push({ oid: o.oid, tlv: o.tlv });
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.authorityInfoAccess: {
      const t = sequenceAt(b, ext, 'AuthorityInfoAccess');
      if (isDerError(t)) return done(t);
      const body: X509ExtensionBody & { kind: 'authorityInfoAccess' } = { kind: 'authorityInfoAccess', tlv: t, descriptions: [] };
      const kids = readChildren(b, t, 1024);
      for (const k of kids.items) {
        if (k.cls !== U || k.tag !== DER_TAG.sequence) return done({ body, error: { offset: k.offset, reason: 'AccessDescription is not a SEQUENCE' } });
        const o = readOid(b, k.contentOffset, k.end, 'accessMethod');
        if (isDerError(o)) return done({ body, error: o });
        const l = readTlv(b, o.tlv.end, k.end);
        if (isDerError(l)) return done({ body, error: l });
        const g = decodeGeneralName(b, l);
        if (isDerError(g)) return done({ body, error: g });
        body.descriptions.push({ tlv: k, method: { oid: o.oid, tlv: o.tlv }, location: g });
      }
      return done({ body, error: kids.error });
    }
    case EXTENSION_OID.signedCertificateTimestamps: {
      const t = readUniversal(b, v.contentOffset, v.end, DER_TAG.octetString, 'SignedCertificateTimestampList');
      if (isDerError(t)) return done(t);
      return done(decodeSctList(b, t.contentOffset, t.end));
    }
    default:
      return { ...ext, body: { kind: 'raw' } };
  }
}
