// One X.509 v3 certificate: forge encodes the names and extensions and the DER; Node's crypto signs
// (see keys.ts for why). RFC 5280 shapes: a positive 16-byte serial, UTCTime/GeneralizedTime by year,
// subject and authority key identifiers, basic constraints and key usage marked critical.

import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { explicit, fromDer, seq, smallInt, time, toDer, unsignedInt, children, type Asn1 } from './der.ts';
import { keyIdentifier, signatureAlgorithm, signed, type KeyPair } from './keys.ts';
import { NetlabError } from '../base/errors.ts';

/** A distinguished name, in the order written (country first, common name last, as openssl shows it). */
export interface NameSpec {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly country?: string;
}

export type KeyUsageName = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

export type ExtKeyUsageName = 'serverAuth' | 'clientAuth';

/** Who signs: the subject itself (a root) or a CA's certificate and key. */
export interface Signer {
  /** The issuer's subject Name, DER (copied byte for byte into the new certificate's issuer field). */
  readonly name: Buffer;
  readonly key: KeyPair;
  readonly keyId: Buffer;
}

export interface CertificateSpec {
  readonly subject: NameSpec;
  /** The subject's key pair. */
  readonly key: KeyPair;
  /** Omitted: self-signed with `key`. */
  readonly issuer?: Signer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Big-endian serial; default 16 random bytes, positive. */
  readonly serial?: Uint8Array;
  /** A CA certificate (basicConstraints CA:TRUE), with an optional path length. */
  readonly ca?: { readonly pathLength?: number };
  readonly keyUsage: readonly KeyUsageName[];
  readonly extKeyUsage?: readonly ExtKeyUsageName[];
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  readonly uris?: readonly string[];
}

export interface IssuedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** The serial as lowercase hex (no separators). */
  readonly serial: string;
  readonly key: KeyPair;
  /** The subject Name, DER (what a certificate this one signs carries as its issuer). */
  readonly subjectName: Buffer;
  readonly keyId: Buffer;
  readonly x509: X509Certificate;
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

/** Throws a clear error for a DNS name that cannot go into a certificate. */
export function checkDnsName(name: string): void {
  if (name.length === 0 || name.length > 253 || !DNS_NAME.test(name)) {
    throw new NetlabError('ERR_ARGUMENT', `"${name}" is not a DNS name for a certificate (letters, digits, hyphens, dots; a leading "*." for a wildcard)`);
  }
}

export function checkIp(ip: string): void {
  if (isIP(ip) === 0) throw new NetlabError('ERR_ARGUMENT', `"${ip}" is not an IPv4 or IPv6 address`);
}

/** A Name in DER, built by forge (UTF8String values, PrintableString for the country). */
export function nameDer(spec: NameSpec): Buffer {
  if (spec.commonName.length === 0) throw new NetlabError('ERR_ARGUMENT', 'a certificate name needs a common name');
  if (spec.country !== undefined && !/^[A-Z]{2}$/.test(spec.country))
    throw new NetlabError('ERR_ARGUMENT', `country "${spec.country}" is not a two-letter code (ES, DE, US, ...)`);
  const utf8 = (value: string): { value: string; valueTagClass: forge.asn1.Class } => ({
    value, // forge encodes UTF8String values itself
    valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class,
  });
  const attrs: forge.pki.CertificateField[] = [];
  if (spec.country !== undefined)
    attrs.push({ shortName: 'C', value: spec.country, valueTagClass: forge.asn1.Type.PRINTABLESTRING as unknown as forge.asn1.Class });
  if (spec.organization !== undefined) attrs.push({ shortName: 'O', ...utf8(spec.organization) });
  if (spec.organizationalUnit !== undefined) attrs.push({ shortName: 'OU', ...utf8(spec.organizationalUnit) });
  attrs.push({ shortName: 'CN', ...utf8(spec.commonName) });
  const holder = forge.pki.createCertificate();
  holder.setSubject(attrs); // fills each attribute's OID from its short name
  return toDer(forge.pki.distinguishedNameToAsn1(holder.subject));
}

/** forge's extension objects (the names forge's x509 module knows). */
type ForgeExtension = Record<string, unknown> & { name: string };

const extensionsToAsn1 = (exts: object[]): Asn1 =>
  (forge.pki as unknown as { certificateExtensionsToAsn1(e: object[]): Asn1 }).certificateExtensionsToAsn1(exts);

function extensions(spec: CertificateSpec, keyId: Buffer, issuerKeyId: Buffer): Asn1 {
  const exts: ForgeExtension[] = [];
  exts.push(
    spec.ca !== undefined
      ? { name: 'basicConstraints', critical: true, cA: true, ...(spec.ca.pathLength !== undefined ? { pathLenConstraint: spec.ca.pathLength } : {}) }
      : { name: 'basicConstraints', critical: true, cA: false },
  );
  if (spec.keyUsage.length > 0) {
    const ku: ForgeExtension = { name: 'keyUsage', critical: true };
    for (const u of spec.keyUsage) ku[u] = true;
    exts.push(ku);
  }
  if (spec.extKeyUsage !== undefined && spec.extKeyUsage.length > 0) {
    const eku: ForgeExtension = { name: 'extKeyUsage' };
    for (const u of spec.extKeyUsage) eku[u] = true;
    exts.push(eku);
  }
  const altNames: { type: number; value?: string; ip?: string }[] = [];
  for (const d of spec.dns ?? []) {
    checkDnsName(d);
    altNames.push({ type: 2, value: d });
  }
  for (const ip of spec.ips ?? []) {
    checkIp(ip);
    altNames.push({ type: 7, ip });
  }
  for (const u of spec.uris ?? []) {
    if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(u)) throw new NetlabError('ERR_ARGUMENT', `"${u}" is not a URI (scheme:rest, e.g. spiffe://netlab.test/client)`);
    altNames.push({ type: 6, value: u });
  }
  if (altNames.length > 0) exts.push({ name: 'subjectAltName', altNames });
  exts.push({
    name: 'subjectKeyIdentifier',
    value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, keyId.toString('latin1')),
  });
  exts.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId.toString('latin1') });
  const holder = forge.pki.createCertificate();
  holder.setExtensions(exts); // forge encodes each value (and needs a certificate for the key identifiers)
  return extensionsToAsn1(holder.extensions as object[]);
}

/** A positive serial of 16 random bytes (RFC 5280: at most 20 octets, positive). */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b;
}

/** Builds and signs a certificate. */
export function buildCertificate(spec: CertificateSpec): IssuedCertificate {
  if (!(spec.notBefore instanceof Date) || Number.isNaN(spec.notBefore.getTime())) throw new NetlabError('ERR_ARGUMENT', 'notBefore is not a valid date');
  if (!(spec.notAfter instanceof Date) || Number.isNaN(spec.notAfter.getTime())) throw new NetlabError('ERR_ARGUMENT', 'notAfter is not a valid date');
  if (spec.notAfter.getTime() <= spec.notBefore.getTime())
    throw new NetlabError('ERR_ARGUMENT', `notAfter (${spec.notAfter.toISOString()}) must come after notBefore (${spec.notBefore.toISOString()})`);
  const subjectName = nameDer(spec.subject);
  const keyId = keyIdentifier(spec.key.spki);
  const signer: Signer = spec.issuer ?? { name: subjectName, key: spec.key, keyId };
  const serial = Buffer.from(spec.serial ?? randomSerial());
  const tbs = seq([
    explicit(0, smallInt(2)), // v3
    unsignedInt(serial),
    signatureAlgorithm(signer.key),
    fromDer(signer.name),
    seq([time(spec.notBefore), time(spec.notAfter)]),
    fromDer(subjectName),
    fromDer(spec.key.spki),
    extensions(spec, keyId, signer.keyId),
  ]);
  const tbsDer = toDer(tbs);
  const der = toDer(signed(tbs, tbsDer, signer.key));
  const pem = forge.pem.encode({ type: 'CERTIFICATE', body: der.toString('latin1') }).replace(/\r\n/g, '\n');
  return { der, pem, serial: serialHex(der), key: spec.key, subjectName, keyId, x509: new X509Certificate(der) };
}

/** The serial of a certificate (DER) as lowercase hex without leading zero padding bytes. */
export function serialHex(certDer: Uint8Array): string {
  const tbs = children(children(fromDer(certDer))[0]);
  const serialNode = tbs[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? tbs[1] : tbs[0];
  const bytes = Buffer.from(typeof serialNode?.value === 'string' ? serialNode.value : '', 'latin1');
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i).toString('hex');
}
