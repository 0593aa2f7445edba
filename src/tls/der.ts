// DER building and reading on node-forge's ASN.1 module. forge works on "binary strings" (one char per
// byte); these helpers keep that inside src/tls: callers pass and get Uint8Arrays.

import forge from 'node-forge';

export type Asn1 = forge.asn1.Asn1;

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

export const toBinary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

export const seq = (items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);
export const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
export const nul = (): Asn1 => asn1.create(U, T.NULL, false, '');
export const octets = (b: Uint8Array): Asn1 => asn1.create(U, T.OCTETSTRING, false, toBinary(b));
export const bool = (v: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
/** A BIT STRING with no unused bits holding `b`. */
export const bits = (b: Uint8Array): Asn1 => asn1.create(U, T.BITSTRING, false, '\x00' + toBinary(b));
/** [n] EXPLICIT wrapping. */
export const explicit = (n: number, inner: Asn1): Asn1 => asn1.create(CTX, n, true, [inner]);

/** A non-negative INTEGER from big-endian magnitude bytes (DER-minimal: no extra leading zeros). */
export function unsignedInt(magnitude: Uint8Array): Asn1 {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  const body = m.length > 0 && m[0] >= 0x80 ? Buffer.concat([Buffer.of(0), m]) : Buffer.from(m.length === 0 ? Buffer.of(0) : m);
  return asn1.create(U, T.INTEGER, false, toBinary(body));
}

export const smallInt = (n: number): Asn1 => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(d: Date): Asn1 {
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

export const toDer = (node: Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());

type FromDer = (bytes: string, options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean }) => Asn1;

/**
 * Parses DER strictly, the whole input, leaving BIT STRINGs as bytes (forge would otherwise try to
 * parse their contents as ASN.1); throws forge's error (callers turn it into their own message).
 */
export const fromDer = (der: Uint8Array): Asn1 =>
  (asn1.fromDer as unknown as FromDer)(toBinary(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });

/** The children of a constructed node ([] for a primitive). */
export const children = (n: Asn1 | undefined): Asn1[] => (n !== undefined && Array.isArray(n.value) ? n.value : []);

/** The content bytes of a primitive node (empty for a constructed one). */
export const content = (n: Asn1 | undefined): Buffer => (n !== undefined && typeof n.value === 'string' ? fromBinary(n.value) : Buffer.alloc(0));

export const isUniversal = (n: Asn1 | undefined, type: number): boolean => n !== undefined && n.tagClass === U && n.type === type;
export const isContext = (n: Asn1 | undefined, tag: number): boolean => n !== undefined && n.tagClass === CTX && n.type === tag;

export const oidOf = (n: Asn1 | undefined): string | undefined =>
  isUniversal(n, T.OID) ? asn1.derToOid(typeof n?.value === 'string' ? n.value : '') : undefined;

/** A UTCTime or GeneralizedTime node as a Date. */
export function dateOf(n: Asn1 | undefined): Date | undefined {
  if (n === undefined || typeof n.value !== 'string') return undefined;
  if (isUniversal(n, T.UTCTIME)) return asn1.utcTimeToDate(n.value);
  if (isUniversal(n, T.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(n.value);
  return undefined;
}

export const ASN1_TYPE = T;
