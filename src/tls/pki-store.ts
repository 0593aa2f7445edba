// A PKI kept in a folder (what `netlab pki` reads and writes):
//
//   root-ca.pem, root-ca.key                   the root (self-signed)
//   intermediate-ca.pem, intermediate-ca.key   the issuing CA, signed by the root
//   ca-chain.pem                               intermediate + root (what a client or server trusts)
//   NAME.pem, NAME.key, NAME-chain.pem         each issued certificate (chain = leaf + intermediate)
//   revoked.json, crl.pem                      revocations and the CRLs (intermediate's, then root's)
//
// Keys are written with mode 0600.

import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { serialHex, type IssuedCertificate } from './certificate.ts';
import { certificatesFromFile } from './cert-text.ts';
import { children, content, fromDer, isContext, oidOf, toDer } from './der.ts';
import { keyIdentifier, keyPairFromPem } from './keys.ts';
import { CertificateAuthority, type Leaf } from './pki.ts';
import { NetlabError } from '../base/errors.ts';

export const DEFAULT_PKI_DIR = 'netlab-out/pki';

export const PKI_FILES = {
  rootCert: 'root-ca.pem',
  rootKey: 'root-ca.key',
  caCert: 'intermediate-ca.pem',
  caKey: 'intermediate-ca.key',
  chain: 'ca-chain.pem',
  revoked: 'revoked.json',
  crl: 'crl.pem',
} as const;

export interface StoredPki {
  readonly dir: string;
  readonly root: CertificateAuthority;
  readonly ca: CertificateAuthority;
}

/** Names a user may give an issued certificate (they become file names). */
export function checkLeafName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name.endsWith('-chain') || Object.values(PKI_FILES).some((f) => f.startsWith(name + '.'))) {
    throw new NetlabError(
      'ERR_ARGUMENT',
      `"${name}" cannot name a certificate: use letters, digits, ".", "_" and "-" (not root-ca, intermediate-ca, ca-chain, crl, revoked, or a name ending in -chain)`,
    );
  }
}

/** A certificate and its key read back from PEM (the certificate must be the key's). */
export function issuedFromPem(certPem: string, keyPem: string, what: string): IssuedCertificate {
  const [der] = certificatesFromFile(Buffer.from(certPem, 'latin1'), what);
  const key = keyPairFromPem(keyPem, `${what} key`);
  const x509 = new X509Certificate(der);
  if (!x509.checkPrivateKey(key.privateKey)) throw new NetlabError('ERR_ARGUMENT', `${what}: the key file does not belong to the certificate`);
  const tbs = children(children(fromDer(der))[0]);
  const offset = isContext(tbs[0], 0) ? 1 : 0;
  const subjectName = toDer(tbs[offset + 4]);
  // The subject key identifier as written in the certificate (what the AKI of issued ones must carry).
  let keyId = keyIdentifier(key.spki);
  const exts = tbs.find((n) => isContext(n, 3));
  for (const ext of children(children(exts)[0])) {
    const parts = children(ext);
    if (oidOf(parts[0]) === '2.5.29.14') keyId = content(fromDer(content(parts[parts.length - 1])));
  }
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { der, pem, serial: serialHex(der), key, subjectName, keyId, x509 };
}

function writeKey(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
}

/** Creates the root and the intermediate in `dir`. Refuses to overwrite unless `force`. */
export function initPki(dir: string, options: { keyType?: 'ec' | 'rsa'; organization?: string; force?: boolean } = {}): StoredPki {
  if (!options.force && existsSync(join(dir, PKI_FILES.rootKey)))
    throw new NetlabError('ERR_STATE', `${dir} already holds a PKI (${PKI_FILES.rootKey}); use --force to replace it`);
  makeFolder(dir);
  const org = options.organization ?? 'netlab';
  const root = CertificateAuthority.root({ commonName: `${org} Root CA`, organization: org, keyType: options.keyType });
  const ca = root.intermediate({ commonName: `${org} Intermediate CA`, organization: org });
  writeFileSync(join(dir, PKI_FILES.rootCert), root.certPem);
  writeKey(join(dir, PKI_FILES.rootKey), root.keyPem);
  writeFileSync(join(dir, PKI_FILES.caCert), ca.certPem);
  writeKey(join(dir, PKI_FILES.caKey), ca.keyPem);
  writeFileSync(join(dir, PKI_FILES.chain), ca.certPem + root.certPem);
  writeFileSync(join(dir, PKI_FILES.revoked), '[]\n');
  return { dir, root, ca };
}

/**
 * Creates `dir` and any missing parents one level at a time, so a path that cannot be a folder fails
 * at once with the reason (a parent that is a file, a read-only or virtual file system such as /proc,
 * no permission), never loops.
 */
export function makeFolder(dir: string): void {
  const full = resolve(dir);
  const missing: string[] = [];
  let at = full;
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new NetlabError('ERR_IO', `cannot create the folder ${dir}: ${at}: ${(e as Error).message}`);
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw new NetlabError('ERR_IO', `cannot create the folder ${dir}: ${at} is a file, not a folder`);
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new NetlabError('ERR_IO', `cannot create the folder ${dir}: ${(e as Error).message}`);
    }
  }
}

interface RevokedFile {
  serial: string;
  date: string;
  name?: string;
}

/** Reads the PKI in `dir` (with its revocations). */
export function loadPki(dir: string): StoredPki {
  const read = (f: string): string => {
    const p = join(dir, f);
    if (!existsSync(p)) throw new NetlabError('ERR_NOT_FOUND', `${p} is missing: run "netlab pki init${dir === DEFAULT_PKI_DIR ? '' : ` --dir ${dir}`}" first`);
    return readFileSync(p, 'latin1');
  };
  const root = CertificateAuthority.fromParts(issuedFromPem(read(PKI_FILES.rootCert), read(PKI_FILES.rootKey), PKI_FILES.rootCert));
  const ca = CertificateAuthority.fromParts(issuedFromPem(read(PKI_FILES.caCert), read(PKI_FILES.caKey), PKI_FILES.caCert), root);
  if (!ca.cert.x509.checkIssued(root.cert.x509) || !ca.cert.x509.verify(root.cert.x509.publicKey))
    throw new NetlabError('ERR_ARGUMENT', `${PKI_FILES.caCert} is not signed by ${PKI_FILES.rootCert}`);
  for (const r of readRevoked(dir)) ca.revoke(r.serial, new Date(r.date));
  return { dir, root, ca };
}

function readRevoked(dir: string): RevokedFile[] {
  const p = join(dir, PKI_FILES.revoked);
  if (!existsSync(p)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new NetlabError(
      'ERR_MALFORMED',
      `${p}: the revocation list is not valid JSON (${e instanceof Error ? e.message : String(e)}); fix or delete the file`,
    );
  }
  if (!Array.isArray(parsed)) throw new NetlabError('ERR_MALFORMED', `${p}: expected a JSON list of revocations`);
  return parsed.filter(
    (r): r is RevokedFile =>
      typeof r === 'object' && r !== null && typeof (r as RevokedFile).serial === 'string' && typeof (r as RevokedFile).date === 'string',
  );
}

/** Writes an issued certificate as NAME.pem, NAME.key, NAME-chain.pem; returns the paths. */
export function saveLeaf(pki: StoredPki, name: string, leaf: Leaf, force = false): string[] {
  checkLeafName(name);
  const cert = join(pki.dir, `${name}.pem`);
  if (!force && existsSync(cert)) throw new NetlabError('ERR_ARGUMENT', `${cert} exists; use --force to replace it (or pick another name)`);
  const key = join(pki.dir, `${name}.key`);
  const chain = join(pki.dir, `${name}-chain.pem`);
  writeFileSync(cert, leaf.certPem);
  writeKey(key, leaf.keyPem);
  writeFileSync(chain, leaf.chainPem);
  return [cert, key, chain];
}

/** Revokes a certificate of `dir` (by NAME or serial) and writes crl.pem; returns the serial and the CRL path. */
export function revokeInPki(pki: StoredPki, nameOrSerial: string, date = new Date()): { serial: string; crl: string } {
  let serial = nameOrSerial.replace(/:/g, '').toLowerCase();
  let name: string | undefined;
  const certPath = join(pki.dir, `${nameOrSerial}.pem`);
  if (existsSync(certPath)) {
    const [der] = certificatesFromFile(readFileSync(certPath), certPath);
    serial = serialHex(der);
    name = nameOrSerial;
  } else if (!/^[0-9a-f]+$/.test(serial)) {
    throw new NetlabError('ERR_NOT_FOUND', `no certificate called "${nameOrSerial}" in ${pki.dir} (give a NAME from "netlab pki issue" or a serial in hex)`);
  }
  pki.ca.revoke(serial, date);
  const list = readRevoked(pki.dir);
  if (!list.some((r) => r.serial === serial)) list.push({ serial, date: date.toISOString(), ...(name !== undefined ? { name } : {}) });
  writeFileSync(join(pki.dir, PKI_FILES.revoked), JSON.stringify(list, null, 2) + '\n');
  const crl = join(pki.dir, PKI_FILES.crl);
  // cRLNumber: seconds since 1970, so CRLs written by later runs carry larger numbers.
  writeFileSync(crl, pki.ca.crlChain(Math.floor(date.getTime() / 1000)).join(''));
  return { serial, crl };
}
