// Certificate revocation lists (RFC 5280 section 5), built with forge's ASN.1 and signed with Node's
// crypto: forge has no CRL support. Node's TLS checks them (the `crl` option of a secure context), so
// a server refuses a revoked client certificate with the alert certificate_revoked.

import forge from 'node-forge';
import { explicit, fromDer, octets, oid, seq, smallInt, time, toDer, unsignedInt, type Asn1 } from './der.ts';
import { signatureAlgorithm, signed, type KeyPair } from './keys.ts';
import { NetlabError } from '../base/errors.ts';

export interface RevokedEntry {
  /** Serial, hex. */
  readonly serial: string;
  readonly date: Date;
}

export interface CrlSpec {
  /** The CA's subject Name (DER), its key and its key identifier. */
  readonly issuerName: Buffer;
  readonly issuerKey: KeyPair;
  readonly issuerKeyId: Buffer;
  readonly revoked: readonly RevokedEntry[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** cRLNumber, increasing with each CRL the CA issues. */
  readonly number: number;
}

export interface Crl {
  readonly der: Buffer;
  readonly pem: string;
}

const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_CRL_NUMBER = '2.5.29.20';

const extension = (id: string, value: Asn1): Asn1 => seq([oid(id), octets(toDer(value))]);

export function serialBytes(hex: string): Buffer {
  const clean = hex.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean) || clean.length > 40) throw new NetlabError('ERR_ARGUMENT', `"${hex}" is not a certificate serial (hex, at most 20 bytes)`);
  return Buffer.from(clean.length % 2 === 1 ? '0' + clean : clean, 'hex');
}

export function buildCrl(spec: CrlSpec): Crl {
  if (spec.nextUpdate.getTime() <= spec.thisUpdate.getTime()) throw new NetlabError('ERR_ARGUMENT', "a CRL's nextUpdate must come after its thisUpdate");
  const items: Asn1[] = [smallInt(1), signatureAlgorithm(spec.issuerKey), fromDer(spec.issuerName), time(spec.thisUpdate), time(spec.nextUpdate)];
  if (spec.revoked.length > 0) items.push(seq(spec.revoked.map((r) => seq([unsignedInt(serialBytes(r.serial)), time(r.date)]))));
  const aki = seq([forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, 0, false, spec.issuerKeyId.toString('latin1'))]);
  items.push(explicit(0, seq([extension(OID_AUTHORITY_KEY_ID, aki), extension(OID_CRL_NUMBER, smallInt(spec.number))])));
  const tbs = seq(items);
  const der = toDer(signed(tbs, toDer(tbs), spec.issuerKey));
  const pem = forge.pem.encode({ type: 'X509 CRL', body: der.toString('latin1') }).replace(/\r\n/g, '\n');
  return { der, pem };
}
