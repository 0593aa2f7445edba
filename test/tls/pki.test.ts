// The PKI against OpenSSL: chains verify with `openssl verify`, CRLs parse and revoke with
// `openssl crl` / `verify -crl_check_all`, and `certificateText` prints exactly what
// `openssl x509 -text -noout` and `-fingerprint -sha256` print, for netlab's certificates (EC and RSA,
// every extension netlab writes, UTF-8 and quoted names, IPv6 SANs) and for one openssl made.

import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCertificate, checkDnsName, nameDer } from '../../src/tls/certificate.ts';
import { certificatesFromFile, certificateText, CertificateFormatError, opensslTime } from '../../src/tls/cert-text.ts';
import { generateKeyPair, keyIdentifier, keyPairFromPem } from '../../src/tls/keys.ts';
import { CertificateAuthority } from '../../src/tls/pki.ts';
import { expiredWindow, notYetValidWindow, validFor, validityState } from '../../src/tls/validity.ts';
import { requireTool } from '../helpers/tools.ts';
import { run, tempDir } from './helpers.ts';

const tmp = tempDir('netlab-pki-');
afterAll(() => tmp.remove());
const file = (name: string, text: string): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, text);
  return p;
};

describe('certificates', () => {
  const root = CertificateAuthority.root({ commonName: 'Root', keyType: 'ec' });
  const ca = root.intermediate({ commonName: 'Issuing' });
  const leaf = ca.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1', '::1'] });

  it('chains leaf -> intermediate -> root (Node checks the signatures and the issuer names)', () => {
    const x = new X509Certificate(leaf.certPem);
    expect(x.checkIssued(ca.cert.x509)).toBe(true);
    expect(x.verify(ca.cert.x509.publicKey)).toBe(true);
    expect(ca.cert.x509.verify(root.cert.x509.publicKey)).toBe(true);
    expect(x.subjectAltName).toBe('DNS:www.netlab.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x.ca).toBe(false);
    expect(ca.cert.x509.ca).toBe(true);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.checkHost('www.netlab.test')).toBe('www.netlab.test');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.chainPem).toBe(leaf.certPem + ca.certPem);
  });

  it('parses back with forge (RSA certificates: forge reads only RSA keys)', () => {
    const r = CertificateAuthority.root({ commonName: 'RSA Root', keyType: 'rsa' });
    const l = r.issueClient({ commonName: 'client', uris: ['spiffe://netlab.test/c'] });
    const parsed = forge.pki.certificateFromPem(l.certPem);
    expect(parsed.subject.getField('CN').value).toBe('client');
    expect(parsed.issuer.getField('CN').value).toBe('RSA Root');
    const caStore = forge.pki.createCaStore([r.certPem]);
    expect(forge.pki.verifyCertificateChain(caStore, [parsed])).toBe(true);
  });

  it('key identifiers: SHA-1 of the public key bits; serials are positive and 16 bytes', () => {
    const k = generateKeyPair('ec');
    const c = buildCertificate({ subject: { commonName: 'x' }, key: k, ...validFor(1), keyUsage: ['digitalSignature'] });
    expect(c.keyId).toEqual(keyIdentifier(k.spki));
    expect(c.serial).toMatch(/^(0[1-9a-f]|[1-7][0-9a-f])[0-9a-f]{30}$/);
    expect(BigInt('0x' + c.serial)).toBe(BigInt('0x' + c.x509.serialNumber));
    expect(keyPairFromPem(root.keyPem).spki).toEqual(root.cert.key.spki);
  });

  it('validity windows', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(validityState(expiredWindow(now), now)).toBe('expired');
    expect(validityState(notYetValidWindow(now), now)).toBe('not yet valid');
    expect(validityState(validFor(1, now), now)).toBe('valid');
    const old = ca.issueClient({ commonName: 'old', validity: expiredWindow() });
    expect(new Date(old.cert.x509.validTo).getTime()).toBeLessThan(Date.now());
    // Past 2049 the time is a GeneralizedTime (RFC 5280 4.1.2.5), and openssl reads it (below).
    const far = ca.issueServer({
      dns: ['far.netlab.test'],
      validity: { notBefore: new Date('2049-06-01T00:00:00Z'), notAfter: new Date('2051-01-01T00:00:00Z') },
    });
    expect(far.cert.x509.validTo).toBe('Jan  1 00:00:00 2051 GMT');
  });

  it('refuses bad input with a clear reason', () => {
    expect(() => checkDnsName('bad name')).toThrow(/not a DNS name/);
    expect(() => ca.issueServer({ ips: ['300.1.1.1'] })).toThrow(/"300.1.1.1" is not an IPv4 or IPv6 address/);
    expect(() => ca.issueServer({})).toThrow(/at least one DNS name or IP/);
    expect(() => nameDer({ commonName: 'x', country: 'Spain' })).toThrow(/two-letter/);
    const k = generateKeyPair('ec');
    expect(() => buildCertificate({ subject: { commonName: 'x' }, key: k, notBefore: new Date(2), notAfter: new Date(1), keyUsage: [] })).toThrow(
      /must come after/,
    );
    expect(() => keyPairFromPem('nope')).toThrow(/not a PEM private key/);
    expect(() => certificateText(Buffer.from('3003020101', 'hex'))).toThrow(CertificateFormatError);
    expect(() => certificatesFromFile(Buffer.from('hello'))).toThrow(/neither PEM nor DER/);
  });

  it('openssl time format', () => {
    expect(opensslTime(new Date('2026-01-05T03:04:05Z'))).toBe('Jan  5 03:04:05 2026 GMT');
    expect(opensslTime(new Date('2026-12-25T23:59:59Z'))).toBe('Dec 25 23:59:59 2026 GMT');
  });
});

describe.skipIf(!requireTool('openssl'))('against openssl', () => {
  const openssl = async (...args: string[]): Promise<string> => {
    const r = await run('openssl', args);
    if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const opensslText = async (path: string): Promise<string> =>
    (await openssl('x509', '-in', path, '-noout', '-text')) + (await openssl('x509', '-in', path, '-noout', '-fingerprint', '-sha256'));

  for (const keyType of ['ec', 'rsa'] as const) {
    it(`${keyType}: openssl verify accepts the chain, and refuses it with the leaf's CRL entry`, async () => {
      const root = CertificateAuthority.root({ commonName: 'netlab Root', keyType });
      const ca = root.intermediate({ commonName: 'netlab Issuing' });
      const web = ca.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1'] });
      const rootPath = file(`root-${keyType}.pem`, root.certPem);
      const caPath = file(`ca-${keyType}.pem`, ca.certPem);
      const webPath = file(`web-${keyType}.pem`, web.certPem);
      expect(await openssl('verify', '-CAfile', rootPath, '-untrusted', caPath, '-purpose', 'sslserver', webPath)).toContain(': OK');
      const crlOk = file(`crl-ok-${keyType}.pem`, ca.crlChain().join(''));
      expect(await openssl('verify', '-crl_check_all', '-CAfile', rootPath, '-untrusted', caPath, '-CRLfile', crlOk, webPath)).toContain(': OK');
      ca.revoke(web.serial);
      const crlRevoked = file(`crl-rev-${keyType}.pem`, ca.crlChain().join(''));
      const r = await run('openssl', ['verify', '-crl_check_all', '-CAfile', rootPath, '-untrusted', caPath, '-CRLfile', crlRevoked, webPath]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/certificate revoked/);
      // The CRL's signature verifies with the issuing CA's key; it lists the serial; its number grows.
      const crl = await run('openssl', ['crl', '-in', file(`one-crl-${keyType}.pem`, ca.crl().pem), '-noout', '-text', '-CAfile', caPath]);
      expect(crl.stderr).toContain('verify OK');
      expect(crl.stdout).toContain(`Serial Number: ${web.serial.toUpperCase()}`);
      expect(crl.stdout).toMatch(/X509v3 CRL Number: \n\s+3\n/);
      // An expired leaf: openssl says so.
      const old = ca.issueServer({ dns: ['old.netlab.test'], validity: expiredWindow() });
      const oldR = await run('openssl', ['verify', '-CAfile', rootPath, '-untrusted', caPath, file(`old-${keyType}.pem`, old.certPem)]);
      expect(oldR.stdout + oldR.stderr).toMatch(/certificate has expired/);
    });

    it(`${keyType}: certificateText is openssl x509 -text, line for line`, async () => {
      const root = CertificateAuthority.root({ commonName: 'netlab Root CA', organization: 'netlab, inc', country: 'ES', keyType, pathLength: 1 });
      const ca = root.intermediate({ commonName: 'Ünïcode Issuing CA', organizationalUnit: '#labs ' });
      const leaf = ca.issueServerClient({
        dns: ['www.netlab.test', '*.netlab.test'],
        ips: ['127.0.0.1', 'fd00::ab:cd'],
        uris: ['spiffe://netlab.test/web'],
        validity: { notBefore: new Date('2049-06-01T00:00:00Z'), notAfter: new Date('2051-01-01T00:00:00Z') },
      });
      for (const [name, cert] of [
        ['root', root.cert],
        ['ca', ca.cert],
        ['leaf', leaf.cert],
      ] as const) {
        const path = file(`text-${keyType}-${name}.pem`, cert.pem);
        expect(certificateText(cert.der)).toBe(await opensslText(path));
      }
    });
  }

  it('certificateText of a certificate openssl made (multi-valued RDN, email SAN, 8-byte serial)', async () => {
    const key = file('o-key.pem', generateKeyPair('ec').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const certPath = join(tmp.dir, 'o-cert.pem');
    await openssl(
      'req',
      '-x509',
      '-key',
      key,
      '-out',
      certPath,
      '-days',
      '30',
      '-set_serial',
      '0x1234',
      '-subj',
      '/C=DE/O=Org/OU=a+OU=b/CN=host.example',
      '-addext',
      'subjectAltName=DNS:host.example,email:ops@example.test,IP:10.0.0.1',
      '-addext',
      'keyUsage=critical,digitalSignature,keyAgreement',
      '-addext',
      'extendedKeyUsage=serverAuth,codeSigning',
    );
    const { readFileSync } = await import('node:fs');
    const [der] = certificatesFromFile(readFileSync(certPath), certPath);
    expect(certificateText(der)).toBe(await opensslText(certPath));
  });
});
