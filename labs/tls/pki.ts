// The certificates the TLS labs use, made fresh on every run with netlab's PKI (src/tls): a root CA, an
// intermediate that issues the leaves, and the leaves each lab needs. EC P-256 keys: issuing takes
// milliseconds. Names are under .test (RFC 6761 keeps it for testing: it never resolves on the internet).

import { X509Certificate } from 'node:crypto';
import { CertificateAuthority, type Leaf, type TlsIdentity } from '../../src/tls/index.ts';

export interface LabPki {
  readonly root: CertificateAuthority;
  readonly issuing: CertificateAuthority;
}

export function labPki(name: string): LabPki {
  const root = CertificateAuthority.root({ commonName: `${name} Root CA`, organization: 'netlab' });
  const issuing = root.intermediate({ commonName: `${name} Issuing CA`, organization: 'netlab' });
  return { root, issuing };
}

/** What a server sends (the leaf and the intermediate) and its key, as the TLS server takes them. */
export const identityOf = (leaf: Leaf): TlsIdentity => ({ key: leaf.keyPem, cert: leaf.chainPem });

/** True when `cert` (PEM) is signed by the key of `issuer` (PEM). */
export function signedBy(cert: string, issuer: string): boolean {
  return new X509Certificate(cert).verify(new X509Certificate(issuer).publicKey);
}

/** subjectAltName as Node prints it: 'DNS:serviceA.default.svc.cluster.local'. */
export const sanOf = (pem: string): string => new X509Certificate(pem).subjectAltName ?? '';

/** A certificate as a table row: what, subject, issuer, subjectAltName, last day of validity. */
export function certRow(what: string, x: X509Certificate): string[] {
  const flat = (dn: string): string => dn.split('\n').join(', ');
  return [what, flat(x.subject), x.issuer === x.subject ? 'itself' : flat(x.issuer), x.subjectAltName ?? '', new Date(x.validTo).toISOString().slice(0, 10)];
}
