// A small PKI for labs: a root CA, intermediates, server certificates (DNS and IP subjectAltNames),
// client certificates for mTLS, chosen validity windows, revocation with CRLs.
//
//   const root = CertificateAuthority.root({ commonName: 'netlab Root CA' });
//   const ca = root.intermediate({ commonName: 'netlab Issuing CA' });
//   const web = ca.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1'] });
//   tls.createServer({ key: web.keyPem, cert: web.chainPem, ... });   // clients trust root.certPem
//   const alice = ca.issueClient({ commonName: 'alice', uris: ['spiffe://netlab.test/alice'] });
//   ca.revoke(alice.serial); const crls = ca.crlChain();                // server option { crl: crls }

import type { KeyObject } from 'node:crypto';
import { buildCertificate, type ExtKeyUsageName, type IssuedCertificate, type NameSpec } from './certificate.ts';
import { buildCrl, type Crl, type RevokedEntry } from './crl.ts';
import { generateKeyPair, privateKeyPem, type KeyPair, type KeyType } from './keys.ts';
import { validFor, type ValidityWindow } from './validity.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export interface CaOptions extends Partial<NameSpec> {
  readonly keyType?: KeyType;
  /** Default: 10 years for a root, 5 for an intermediate. */
  readonly validity?: ValidityWindow;
  /** basicConstraints pathLenConstraint (default: none for a root, 0 for an intermediate). */
  readonly pathLength?: number;
  /** Reuse this key pair instead of generating one (loading a CA from files). */
  readonly key?: KeyPair;
}

export interface LeafOptions {
  /** Default: the first DNS name, else the first IP, else the first URI. */
  readonly commonName?: string;
  readonly organization?: string;
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  readonly uris?: readonly string[];
  readonly keyType?: KeyType;
  /** Default: 90 days from now. */
  readonly validity?: ValidityWindow;
  readonly key?: KeyPair;
}

/** A certificate with its key, ready for Node's tls options. */
export interface Leaf {
  readonly cert: IssuedCertificate;
  readonly serial: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The leaf followed by the intermediates up to (not including) the root: what a server sends. */
  readonly chainPem: string;
  readonly kind: 'server' | 'client' | 'server+client';
}

export class CertificateAuthority {
  private readonly revokedList: RevokedEntry[] = [];
  private crlNumber = 0;

  private constructor(
    readonly cert: IssuedCertificate,
    readonly parent: CertificateAuthority | undefined,
  ) {}

  /** A self-signed root CA. */
  static root(options: CaOptions = {}): CertificateAuthority {
    const key = options.key ?? generateKeyPair(options.keyType);
    const cert = buildCertificate({
      subject: nameOf(options, 'netlab Root CA'),
      key,
      ...(options.validity ?? validFor(3650)),
      ca: options.pathLength !== undefined ? { pathLength: options.pathLength } : {},
      keyUsage: ['keyCertSign', 'cRLSign'],
    });
    return new CertificateAuthority(cert, undefined);
  }

  /** A CA from an existing certificate and key (files written by `netlab pki init`). */
  static fromParts(cert: IssuedCertificate, parent?: CertificateAuthority): CertificateAuthority {
    return new CertificateAuthority(cert, parent);
  }

  get certPem(): string {
    return this.cert.pem;
  }

  get keyPem(): string {
    return privateKeyPem(this.cert.key);
  }

  get privateKey(): KeyObject {
    return this.cert.key.privateKey;
  }

  /** The root at the top of this CA's chain. */
  get root(): CertificateAuthority {
    let ca: CertificateAuthority = this;
    while (ca.parent !== undefined) ca = ca.parent;
    return ca;
  }

  /** This CA and its parents below the root (what follows a leaf in a chain). */
  get intermediates(): CertificateAuthority[] {
    const out: CertificateAuthority[] = [];
    for (let ca: CertificateAuthority | undefined = this; ca?.parent !== undefined; ca = ca.parent) out.push(ca);
    return out;
  }

  /** An intermediate CA signed by this one. */
  intermediate(options: CaOptions = {}): CertificateAuthority {
    const key = options.key ?? generateKeyPair(options.keyType ?? this.cert.key.type);
    const cert = buildCertificate({
      subject: nameOf(options, 'netlab Intermediate CA'),
      key,
      issuer: this.signer(),
      ...(options.validity ?? validFor(1825)),
      ca: { pathLength: options.pathLength ?? 0 },
      keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    });
    return new CertificateAuthority(cert, this);
  }

  /** A server certificate: extendedKeyUsage serverAuth, the given DNS names and IPs as SANs. */
  issueServer(options: LeafOptions): Leaf {
    if ((options.dns?.length ?? 0) + (options.ips?.length ?? 0) === 0)
      throw new NetlabError('ERR_ARGUMENT', 'a server certificate needs at least one DNS name or IP address');
    return this.issueLeaf(options, ['serverAuth'], 'server');
  }

  /** A client certificate for mTLS: extendedKeyUsage clientAuth, SANs as given (URI, DNS). */
  issueClient(options: LeafOptions): Leaf {
    if (options.commonName === undefined && (options.dns?.length ?? 0) + (options.uris?.length ?? 0) + (options.ips?.length ?? 0) === 0) {
      throw new NetlabError('ERR_ARGUMENT', 'a client certificate needs a common name or a subjectAltName');
    }
    return this.issueLeaf(options, ['clientAuth'], 'client');
  }

  /** A certificate usable on both ends (serverAuth and clientAuth). */
  issueServerClient(options: LeafOptions): Leaf {
    return this.issueLeaf(options, ['serverAuth', 'clientAuth'], 'server+client');
  }

  /** Marks a certificate this CA issued as revoked (it appears in the next crl()). */
  revoke(serial: string, date: Date = new Date()): void {
    const s = serial.replace(/[:\s]/g, '').toLowerCase();
    if (!this.revokedList.some((r) => r.serial === s)) this.revokedList.push({ serial: s, date: new Date(Math.floor(date.getTime() / 1000) * 1000) });
  }

  get revoked(): readonly RevokedEntry[] {
    return this.revokedList;
  }

  /**
   * A fresh CRL of this CA (valid from 5 minutes ago for `days` days, default 7). Its cRLNumber counts
   * up from 1, or from `number` when given (a CA kept in files numbers its CRLs across runs).
   */
  crl(days = 7, now: Date = new Date(), number?: number): Crl {
    const w = validFor(days, now);
    this.crlNumber = number ?? this.crlNumber + 1;
    return buildCrl({
      issuerName: this.cert.subjectName,
      issuerKey: this.cert.key,
      issuerKeyId: this.cert.keyId,
      revoked: this.revokedList,
      thisUpdate: w.notBefore,
      nextUpdate: w.notAfter,
      number: this.crlNumber,
    });
  }

  /**
   * CRLs of this CA and of every CA above it, PEM: Node checks the whole chain once a `crl` is given
   * (OpenSSL's CRL_CHECK_ALL), so each CA in the chain needs one.
   */
  crlChain(number?: number): string[] {
    const out: string[] = [];
    for (let ca: CertificateAuthority | undefined = this; ca !== undefined; ca = ca.parent) out.push(ca.crl(7, new Date(), number).pem);
    return out;
  }

  private signer(): { name: Buffer; key: KeyPair; keyId: Buffer } {
    return { name: this.cert.subjectName, key: this.cert.key, keyId: this.cert.keyId };
  }

  private issueLeaf(options: LeafOptions, eku: ExtKeyUsageName[], kind: Leaf['kind']): Leaf {
    const key = options.key ?? generateKeyPair(options.keyType ?? this.cert.key.type);
    const commonName = options.commonName ?? options.dns?.[0] ?? options.ips?.[0] ?? options.uris?.[0] ?? 'netlab';
    const what = options.commonName === undefined ? 'common name (CN, taken from the first subjectAltName; give one explicitly)' : 'common name (CN)';
    checkNameAttribute(what, commonName, NAME_BOUNDS.commonName);
    if (options.organization !== undefined) checkNameAttribute('organization (O)', options.organization, NAME_BOUNDS.organization);
    const cert = buildCertificate({
      subject: { commonName, ...(options.organization !== undefined ? { organization: options.organization } : {}) },
      key,
      issuer: this.signer(),
      ...(options.validity ?? validFor(90)),
      // RSA keys also encipher (TLS 1.2 RSA key exchange); EC keys only sign.
      keyUsage: key.type === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      extKeyUsage: eku,
      dns: options.dns,
      ips: options.ips,
      uris: options.uris,
    });
    const chainPem = [cert.pem, ...this.intermediates.map((ca) => ca.certPem)].join('');
    return { cert, serial: cert.serial, certPem: cert.pem, keyPem: privateKeyPem(key), chainPem, kind };
  }
}

/**
 * Upper bounds of X.509 name attributes, in characters (RFC 5280 Appendix A.1: ub-common-name 64,
 * ub-organization-name 64, ub-organizational-unit-name 64; a country is 2 letters).
 */
export const NAME_BOUNDS = { commonName: 64, organization: 64, organizationalUnit: 64 } as const;

/** Refuses an empty or over-long name attribute (what `what` names: "common name (CN)"). */
export function checkNameAttribute(what: string, value: string, max: number): string {
  const n = [...value].length;
  if (n === 0) throw new NetlabRangeError(`${what} is empty`);
  if (n > max) throw new NetlabRangeError(`${what} is ${n} characters; X.509 allows at most ${max} (RFC 5280, upper bounds)`);
  return value;
}

function checkName(spec: NameSpec): NameSpec {
  checkNameAttribute('common name (CN)', spec.commonName, NAME_BOUNDS.commonName);
  if (spec.organization !== undefined) checkNameAttribute('organization (O)', spec.organization, NAME_BOUNDS.organization);
  if (spec.organizationalUnit !== undefined) checkNameAttribute('organizational unit (OU)', spec.organizationalUnit, NAME_BOUNDS.organizationalUnit);
  if (spec.country !== undefined && !/^[A-Za-z]{2}$/.test(spec.country))
    throw new NetlabRangeError(`country (C) ${JSON.stringify(spec.country.slice(0, 20))} must be two letters`);
  return spec;
}

function nameOf(options: Partial<NameSpec>, defaultName: string): NameSpec {
  return checkName({
    commonName: options.commonName ?? defaultName,
    organization: options.organization ?? 'netlab',
    ...(options.organizationalUnit !== undefined ? { organizationalUnit: options.organizationalUnit } : {}),
    ...(options.country !== undefined ? { country: options.country } : {}),
  });
}
