// The X.509 decoder beside OpenSSL (through Node's crypto.X509Certificate) on certificates from
// netlab's PKI, openssl and the crafted set: serial, names, validity, subjectAltName, basic
// constraints, extended key usage and key type must read the same. Then every prefix and a sweep of
// byte flips of a real certificate: decoding never throws and says where it stopped.

import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCertificateDer, hexOf, type X509Certificate as Decoded } from '../../src/wire/x509.ts';
import { EXTENSION_OID, type X509ExtensionBody } from '../../src/wire/x509-extensions.ts';
import { formatIpv4 } from '../../src/dissect/field.ts';
import { requireTool } from '../helpers/tools.ts';
import { testCertificates } from '../dissect/x509-certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-x509-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = <K extends X509ExtensionBody['kind']>(c: Decoded, oid: string, kind: K): Extract<X509ExtensionBody, { kind: K }> | undefined => {
  const b = c.tbs?.extensions?.list.find((e) => e.id.oid === oid)?.body;
  return b?.kind === kind ? (b as Extract<X509ExtensionBody, { kind: K }>) : undefined;
};

/** An IPv6 address as OpenSSL prints it in subjectAltName: eight groups, upper case, uncompressed. */
const ipv6Groups = (b: Uint8Array, at: number): string =>
  Array.from({ length: 8 }, (_, i) => ((b[at + 2 * i] << 8) | b[at + 2 * i + 1]).toString(16).toUpperCase()).join(':');

/** Node's subjectAltName text for what the decoder read. */
function sanText(der: Uint8Array, c: Decoded): string | undefined {
  const g = body(c, EXTENSION_OID.subjectAltName, 'generalNames');
  if (g === undefined) return undefined;
  return g.names
    .map((n) => {
      if (n.choice === 2) return `DNS:${n.text}`;
      if (n.choice === 1) return `email:${n.text}`;
      if (n.choice === 6) return `URI:${n.text}`;
      if (n.choice === 7) return `IP Address:${n.tlv.length === 4 ? formatIpv4(der, n.tlv.contentOffset) : ipv6Groups(der, n.tlv.contentOffset)}`;
      if (n.choice === 8) return `Registered ID:${n.oid?.oid}`;
      if (n.choice === 4) return 'DirName:';
      return 'othername:';
    })
    .join(', ');
}

function compareWithNode(name: string, der: Uint8Array): void {
  const node = new X509Certificate(der);
  const c = decodeCertificateDer(der);
  expect([name, c.error]).toEqual([name, undefined]);
  const tbs = c.tbs!;
  // Serial: Node prints the INTEGER's hex without the sign octet.
  expect(
    hexOf(der, tbs.serialNumber!.contentOffset, tbs.serialNumber!.end)
      .replace(/^00(?=[89a-f])/, '')
      .toUpperCase(),
  ).toBe(node.serialNumber.toUpperCase());
  expect(tbs.validity!.notBefore!.seconds).toBe(Date.parse(node.validFrom) / 1000);
  expect(tbs.validity!.notAfter!.seconds).toBe(Date.parse(node.validTo) / 1000);
  const cn = (n: typeof tbs.subject) => n!.rdns.flatMap((r) => r.attributes).find((a) => a.type.oid === '2.5.4.3')?.text;
  expect(cn(tbs.subject)).toBe(/CN=([^\n]*)/.exec(node.subject)?.[1]);
  expect(cn(tbs.issuer)).toBe(/CN=([^\n]*)/.exec(node.issuer)?.[1]);
  const san = sanText(der, c);
  if (node.subjectAltName !== undefined)
    expect(san?.replace(/DirName:.*?(?=, |$)/, 'DirName:').replace(/othername:.*?(?=, |$)/, 'othername:')).toBe(
      node.subjectAltName.replace(/DirName:.*?(?=, [A-Z]|$)/, 'DirName:').replace(/othername:.*?(?=, |$)/, 'othername:'),
    );
  else expect(san).toBeUndefined();
  expect(body(c, EXTENSION_OID.basicConstraints, 'basicConstraints')?.cA?.value ?? false).toBe(node.ca);
  const eku = body(c, EXTENSION_OID.extKeyUsage, 'extKeyUsage')?.purposes.map((p) => p.oid);
  expect(eku ?? []).toEqual(node.keyUsage ?? []);
  const keyOid = tbs.subjectPublicKeyInfo!.algorithm.algorithm.oid;
  const types: Record<string, string> = { '1.2.840.113549.1.1.1': 'rsa', '1.2.840.10045.2.1': 'ec', '1.3.101.112': 'ed25519', '1.2.840.10040.4.1': 'dsa' };
  expect(types[keyOid]).toBe(node.publicKey.asymmetricKeyType);
  // The signature covers the bytes the decoder calls tbsCertificate.
  expect(c.signature!.bitsLength).toBeGreaterThan(0);
}

describe('X.509 decoder beside OpenSSL (node:crypto)', () => {
  it('reads netlab PKI certificates as OpenSSL does', () => {
    const certs = testCertificates();
    for (const [name, der] of Object.entries(certs)) if (name.startsWith('pki-')) compareWithNode(name, der);
  });

  it.skipIf(!requireTool('openssl'))('reads openssl certificates (RSA with most extensions, EC, Ed25519, DSA, PSS, odd attributes) as OpenSSL does', () => {
    const certs = testCertificates(dir);
    const names = Object.keys(certs).filter((n) => n.startsWith('openssl-'));
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const n of names) compareWithNode(n, certs[n]);
  });

  it("reads the crafted certificates' rarer parts", () => {
    const certs = testCertificates();
    const v3 = decodeCertificateDer(certs['crafted-v3']);
    expect(v3.error).toBeUndefined();
    const issuer = v3.tbs!.issuer!.rdns.flatMap((r) => r.attributes).map((a) => a.text);
    expect(issuer).toEqual(['DE', 'Größe Org', 'Unit é, ä Ł $^x\u0300', 'Universal CA ☃', 'ca@example.test', 'test']);
    expect(v3.tbs!.validity!.notBefore).toMatchObject({ kind: 'generalizedTime', seconds: Date.UTC(1949, 11, 31, 23, 59, 59) / 1000 + 0.25 });
    const sct = body(v3, EXTENSION_OID.signedCertificateTimestamps, 'signedCertificateTimestamps')!;
    expect(sct.scts.map((s) => [s.version, s.signatureScheme, s.extensionsLength, s.signatureLength])).toEqual([
      [0, 0x0403, 0, 8],
      [0, 0x0403, 3, 8],
    ]);
    const policies = body(v3, EXTENSION_OID.certificatePolicies, 'certificatePolicies')!;
    const un = policies.policies[0].qualifiers!.list[1].userNotice!;
    expect([un.noticeRef?.organization.text, un.noticeRef?.numbers.map((n) => n.value), un.explicitText?.text]).toEqual(['Example Org', [1n, 7n], 'Notice ñ']);
    const uids = decodeCertificateDer(certs['crafted-uids']);
    expect([uids.error, uids.tbs?.version?.value, uids.tbs?.issuerUniqueId?.unusedBits, uids.tbs?.subjectUniqueId?.bitsLength]).toEqual([undefined, 1, 3, 2]);
    const pss = decodeCertificateDer(certs['crafted-pss']);
    expect([pss.error, pss.tbs?.version, pss.tbs?.signature?.pss?.saltLength?.value, pss.tbs?.subjectPublicKeyInfo?.rsa?.exponentValue]).toEqual([
      undefined,
      undefined,
      64n,
      3n,
    ]);
  });
});

describe('X.509 decoder on broken DER', () => {
  const der = testCertificates()['crafted-v3'];

  it('decodes every prefix as far as it goes, without throwing', () => {
    for (let n = 0; n < der.length; n++) {
      const c = decodeCertificateDer(der.subarray(0, n));
      expect(c.error, `prefix ${n}`).toBeDefined();
      expect(c.error!.offset).toBeLessThanOrEqual(n);
    }
  });

  it('survives every single-byte corruption of a certificate', () => {
    let errors = 0;
    for (let i = 0; i < der.length; i++) {
      for (const x of [0x00, 0xff, der[i] ^ 0x80]) {
        const b = Uint8Array.from(der);
        b[i] = x;
        const c = decodeCertificateDer(b);
        if (c.error !== undefined) {
          errors++;
          expect(c.error.offset).toBeLessThanOrEqual(b.length);
        }
      }
    }
    // Most flips inside strings, keys and signatures leave valid DER; those in headers do not.
    expect(errors).toBeGreaterThan(200);
  });
});
