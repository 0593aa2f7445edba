// X.509 names (RFC 5280 §4.1.2.4): a Name is a sequence of relative distinguished names, each a set
// of attribute type and value pairs. Values that are character strings are decoded to text; any other
// value keeps its range. Bounded and non-throwing like der.ts.

import { decodeString, DER_CLASS, DER_TAG, type DerError, type DerTlv, isDerError, readChildren, readOid, readTlv, readUniversal, STRING_TAGS } from './der.ts';

const U = DER_CLASS.universal;

/** An OBJECT IDENTIFIER with where its value lies. */
export interface X509Oid {
  oid: string;
  tlv: DerTlv;
}

/** One AttributeTypeAndValue of a relative distinguished name. */
export interface X509Attribute {
  tlv: DerTlv;
  type: X509Oid;
  value?: DerTlv;
  /** The value's text, when it is a character string. */
  text?: string;
}

export interface X509Rdn {
  tlv: DerTlv;
  attributes: X509Attribute[];
}

/** A Name: its RDN sequence. */
export interface X509Name {
  tlv: DerTlv;
  rdns: X509Rdn[];
}

/** Reads a Name (an RDNSequence) at `offset`. */
export function decodeName(b: Uint8Array, offset: number, end: number, what: string): { name: X509Name; error?: DerError } | DerError {
  const t = readUniversal(b, offset, end, DER_TAG.sequence, what);
  if (isDerError(t)) return t;
  const name: X509Name = { tlv: t, rdns: [] };
  const rdns = readChildren(b, t, 1024);
  for (const r of rdns.items) {
    if (r.cls !== U || r.tag !== DER_TAG.set || !r.constructed)
      return { name, error: { offset: r.offset, reason: `${what}: RelativeDistinguishedName is not a SET` } };
    const rdn: X509Rdn = { tlv: r, attributes: [] };
    name.rdns.push(rdn);
    const atvs = readChildren(b, r, 256);
    for (const a of atvs.items) {
      if (a.cls !== U || a.tag !== DER_TAG.sequence || !a.constructed)
        return { name, error: { offset: a.offset, reason: `${what}: AttributeTypeAndValue is not a SEQUENCE` } };
      const o = readOid(b, a.contentOffset, a.end, `${what} attribute type`);
      if (isDerError(o)) return { name, error: o };
      const attr: X509Attribute = { tlv: a, type: { oid: o.oid, tlv: o.tlv } };
      rdn.attributes.push(attr);
      const v = readTlv(b, o.tlv.end, a.end);
      if (isDerError(v)) return { name, error: { ...v, reason: `${what} attribute value: ${v.reason}` } };
      attr.value = v;
      if (v.cls === U && STRING_TAGS.has(v.tag) && !v.constructed) attr.text = decodeString(b, v.tag, v.contentOffset, v.end);
      if (v.end !== a.end) return { name, error: { offset: v.end, reason: `${what}: bytes after the attribute value` } };
    }
    if (atvs.error !== undefined) return { name, error: atvs.error };
  }
  if (rdns.error !== undefined) return { name, error: rdns.error };
  return { name };
}
