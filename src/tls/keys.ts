// Key pairs for the PKI come from Node's crypto (native: an EC P-256 pair takes well under a
// millisecond, an RSA 2048 pair about a tenth of a second), not from forge's JavaScript RSA, which
// takes seconds. Signatures are made with Node's crypto.sign over the DER that forge builds: forge can
// only encode and sign with RSA keys, and its JavaScript RSA signature costs ~25 ms where Node's costs
// ~1 ms. forge builds every structure (names, extensions, the TBSCertificate, CRLs, PEM).

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bits, children, content, fromDer, nul, oid, seq, type Asn1 } from './der.ts';
import { NetlabError } from '../base/errors.ts';

export type KeyType = 'ec' | 'rsa';

export const KEY_TYPES: readonly KeyType[] = ['ec', 'rsa'];

export interface KeyPair {
  readonly type: KeyType;
  readonly privateKey: KeyObject;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Buffer;
}

/** EC P-256 (default) or RSA 2048. */
export function generateKeyPair(type: KeyType = 'ec'): KeyPair {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { type, privateKey: pair.privateKey, spki: pair.publicKey.export({ type: 'spki', format: 'der' }) };
}

/** A key pair from a PEM private key (PKCS#8, PKCS#1 or SEC1). Throws a clear error for others. */
export function keyPairFromPem(pem: string | Buffer, what = 'private key'): KeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new NetlabError('ERR_MALFORMED', `${what}: not a PEM private key (${(e as Error).message})`);
  }
  const kind = privateKey.asymmetricKeyType;
  if (kind !== 'ec' && kind !== 'rsa')
    throw new NetlabError('ERR_ARGUMENT', `${what}: a ${kind ?? 'unknown'} key; netlab's PKI signs with EC (P-256) or RSA keys`);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { type: kind, privateKey, spki };
}

/** The private key as PKCS#8 PEM. */
export const privateKeyPem = (k: KeyPair): string => k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const bitString = children(fromDer(spki))[1];
  return createHash('sha1').update(content(bitString).subarray(1)).digest();
}

export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** The AlgorithmIdentifier of the signatures this key makes (sha256WithRSAEncryption or ecdsa-with-SHA256). */
export function signatureAlgorithm(k: KeyPair): Asn1 {
  return k.type === 'rsa' ? seq([oid(OID_SHA256_WITH_RSA), nul()]) : seq([oid(OID_ECDSA_WITH_SHA256)]);
}

/** Signs DER with SHA-256 (ECDSA signatures DER-encoded, as X.509 wants them). */
export function signDer(k: KeyPair, der: Uint8Array): Buffer {
  return sign('sha256', der, k.privateKey);
}

/** SEQUENCE { tbs, algorithm, BIT STRING signature }: the shape of certificates and CRLs. */
export function signed(tbs: Asn1, tbsDer: Uint8Array, k: KeyPair): Asn1 {
  return seq([tbs, signatureAlgorithm(k), bits(signDer(k, tbsDer))]);
}
