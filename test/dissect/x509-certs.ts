// Certificates for the X.509 dissector tests, from three makers: openssl (RSA with most extensions,
// EC P-384, Ed25519, DSA, RSASSA-PSS, v1, odd attributes and extensions), netlab's own PKI (node-forge
// structures: root, intermediate, server and client leaves), and DER composed here for what neither
// writes (BMP/Teletex/Universal strings, GeneralizedTime with a fraction, unique identifiers, an
// explicit critical FALSE, user notices, every GeneralName choice, signed certificate timestamps).
// The crafted ones carry no valid signature: tshark does not check it and neither does the dissector.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { CertificateAuthority } from '../../src/tls/pki.ts';
import { bits, bool, explicit, nul, octets, oid, seq, set, smallInt, toDer, unsignedInt, type Asn1 } from '../../src/tls/der.ts';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;

const bin = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const str = (tag: number, bytes: Uint8Array): Asn1 => asn1.create(U, tag as forge.asn1.Type, false, bin(bytes));
const utf8 = (s: string): Asn1 => str(12, Buffer.from(s, 'utf8'));
const printable = (s: string): Asn1 => str(19, Buffer.from(s, 'latin1'));
const ia5 = (s: string): Asn1 => str(22, Buffer.from(s, 'latin1'));
// forge writes a BMPString's JS string as UTF-16 itself.
const bmp = (s: string): Asn1 => asn1.create(U, 30 as forge.asn1.Type, false, s);
const universal = (s: string): Asn1 => {
  const cps = [...s].map((c) => c.codePointAt(0) ?? 0);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => b.writeUInt32BE(cp, i * 4));
  return str(28, b);
};
const teletex = (s: string): Asn1 => str(20, Buffer.from(s, 'latin1'));
const ctx = (tag: number, constructed: boolean, value: Asn1[] | string): Asn1 => asn1.create(CTX, tag as forge.asn1.Type, constructed, value);
const attr = (type: string, value: Asn1): Asn1 => seq([oid(type), value]);
const rdn = (...atvs: Asn1[]): Asn1 => set(atvs);
const ext = (id: string, value: Uint8Array, critical?: boolean): Asn1 => seq([oid(id), ...(critical !== undefined ? [bool(critical)] : []), octets(value)]);
const der = (n: Asn1): Uint8Array => Uint8Array.from(toDer(n));
const utcTime = (s: string): Asn1 => asn1.create(U, 23 as forge.asn1.Type, false, s);
const genTime = (s: string): Asn1 => asn1.create(U, 24 as forge.asn1.Type, false, s);
const u16 = (n: number): number[] => [n >> 8, n & 0xff];

/** A P-256 SubjectPublicKeyInfo (the point's bytes need not be on the curve for a dissector). */
function ecSpki(): Asn1 {
  const point = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : (i * 37) & 0xff));
  return seq([seq([oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')]), bits(point)]);
}

/** An RFC 6962 SignedCertificateTimestampList with two SCTs, the second with extensions. */
function sctList(): Uint8Array {
  const sct = (seed: number, exts: number[]): number[] => {
    const body = [
      0,
      ...Array.from({ length: 32 }, (_, i) => (i * 7 + seed) & 0xff),
      0,
      0,
      0x01,
      0x78,
      0x5a,
      0xbc,
      0x12,
      0x34 + seed,
      ...u16(exts.length),
      ...exts,
      4,
      3,
      ...u16(8),
      ...Array.from({ length: 8 }, (_, i) => i + seed),
    ];
    return [...u16(body.length), ...body];
  };
  const list = [...sct(1, []), ...sct(2, [9, 8, 7])];
  return der(octets(Uint8Array.from([...u16(list.length), ...list])));
}

function crafted(): Record<string, Uint8Array> {
  const sigAlg = seq([oid('1.2.840.10045.4.3.2')]);
  const issuer = seq([
    rdn(attr('2.5.4.6', printable('DE'))),
    rdn(attr('2.5.4.10', bmp('Größe Org')), attr('2.5.4.11', teletex('Unit \xc2e, \xc8a \xe8 \xa4\xc3 x\xc1'))),
    rdn(attr('2.5.4.3', universal('Universal CA ☃'))),
    rdn(attr('1.2.840.113549.1.9.1', ia5('ca@example.test'))),
    rdn(attr('0.9.2342.19200300.100.1.25', ia5('test'))),
  ]);
  const subject = seq([rdn(attr('2.5.4.3', utf8('crafted.example.test'))), rdn(attr('2.5.4.5', printable('A-123'))), rdn(attr('2.5.4.46', printable('q1')))]);
  const names = der(
    seq([
      ctx(1, false, 'user@example.test'),
      ctx(2, false, 'crafted.example.test'),
      ctx(6, false, 'https://crafted.example.test/'),
      ctx(7, false, bin(Uint8Array.of(192, 0, 2, 7))),
      ctx(7, false, bin(Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 9))),
      ctx(4, true, [seq([rdn(attr('2.5.4.3', printable('Dir Name')))])]),
      ctx(8, false, asn1.oidToDer('1.2.3.4.5').getBytes()),
    ]),
  );
  const policies = der(
    seq([
      seq([
        oid('2.5.29.32.0'),
        seq([
          seq([oid('1.3.6.1.5.5.7.2.1'), ia5('https://cps.example.test/')]),
          seq([oid('1.3.6.1.5.5.7.2.2'), seq([seq([ia5('Example Org'), seq([smallInt(1), smallInt(7)])]), utf8('Notice ñ')])]),
          seq([oid('1.3.6.1.5.5.7.2.2'), seq([asn1.create(U, 26 as forge.asn1.Type, false, 'Visible only')])]),
        ]),
      ]),
      seq([oid('2.23.140.1.2.2')]),
    ]),
  );
  const aki = der(
    seq([ctx(0, false, bin(Uint8Array.of(1, 2, 3, 4))), ctx(1, true, [ctx(2, false, 'issuer.example.test')]), ctx(2, false, bin(Uint8Array.of(0, 0x99)))]),
  );
  const crl = der(
    seq([
      seq([ctx(0, true, [ctx(0, true, [ctx(6, false, 'http://crl.example.test/a.crl'), ctx(6, false, 'ldap://crl.example.test/')])])]),
      seq([ctx(2, true, [ctx(2, false, 'crl-issuer.example.test')])]),
    ]),
  );
  const aia = der(
    seq([seq([oid('1.3.6.1.5.5.7.48.1'), ctx(6, false, 'http://ocsp.example.test')]), seq([oid('1.3.6.1.5.5.7.48.2'), ctx(2, false, 'ca.example.test')])]),
  );
  const nc = der(
    seq([
      ctx(0, true, [seq([ctx(2, false, '.example.test')]), seq([ctx(1, false, 'example.test')])]),
      ctx(1, true, [seq([ctx(7, false, bin(Uint8Array.of(10, 0, 0, 0, 255, 0, 0, 0)))])]),
    ]),
  );
  const exts = seq([
    ext('2.5.29.19', der(seq([bool(false)])), false),
    ext('2.5.29.15', der(bits(Uint8Array.of(0x80))), true),
    ext('2.5.29.37', der(seq([oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.4.1.311.10.3.3')]))),
    ext('2.5.29.17', names),
    ext('2.5.29.18', der(seq([ctx(2, false, 'issuer.example.test')]))),
    ext('2.5.29.32', policies),
    ext('2.5.29.35', aki),
    ext('2.5.29.31', crl),
    ext('1.3.6.1.5.5.7.1.1', aia),
    ext('2.5.29.30', nc, true),
    ext('1.3.6.1.4.1.11129.2.4.2', sctList()),
    ext('1.2.3.4.99', der(utf8('private extension'))),
  ]);
  const tbs = (version: Asn1[], validity: Asn1, extra: Asn1[]): Asn1 =>
    seq([...version, unsignedInt(Uint8Array.of(0x80, 1, 2)), sigAlg, issuer, validity, subject, ecSpki(), ...extra]);
  const sig = bits(Uint8Array.from({ length: 70 }, (_, i) => i));
  const v3 = seq([tbs([explicit(0, smallInt(2))], seq([genTime('19491231235959.25Z'), genTime('20500101000000Z')]), [explicit(3, exts)]), sigAlg, sig]);
  const uids = seq([
    tbs([explicit(0, smallInt(1))], seq([utcTime('490101000000Z'), utcTime('500101000000Z')]), [
      ctx(1, false, bin(Uint8Array.of(3, 0xab, 0xc8))),
      // forge strips a leading zero from anything of tag number 2 (it takes it for an INTEGER).
      ctx(2, false, bin(Uint8Array.of(4, 0x12, 0x30))),
    ]),
    sigAlg,
    sig,
  ]);
  const rsaNullPss = seq([
    seq([
      unsignedInt(Uint8Array.of(7)),
      seq([oid('1.2.840.113549.1.1.10'), seq([explicit(0, seq([oid('2.16.840.1.101.3.4.2.3')])), explicit(2, smallInt(64)), explicit(3, smallInt(1))])]),
      issuer,
      seq([utcTime('240101000000Z'), utcTime('340101000000Z')]),
      subject,
      seq([seq([oid('1.2.840.113549.1.1.1'), nul()]), bits(der(seq([unsignedInt(Uint8Array.of(0xc3, 5, 7)), smallInt(3)])))]),
    ]),
    seq([oid('1.2.840.113549.1.1.11'), nul()]),
    sig,
  ]);
  return { 'crafted-v3': der(v3), 'crafted-uids': der(uids), 'crafted-pss': der(rsaNullPss) };
}

/** Certificates from netlab's PKI: EC and RSA roots, an intermediate, server and client leaves. */
function pki(): Record<string, Uint8Array> {
  const root = CertificateAuthority.root({ commonName: 'netlab Test Root', organization: 'netlab', country: 'ES' });
  const inter = root.intermediate({ commonName: 'netlab Test Intermediate', organizationalUnit: 'Labs' });
  const server = inter.issueServer({ dns: ['www.netlab.test', '*.api.netlab.test'], ips: ['127.0.0.1', '::1'], organization: 'netlab' });
  const client = inter.issueClient({ commonName: 'alice', uris: ['spiffe://netlab.test/alice'] });
  const rsaRoot = CertificateAuthority.root({ commonName: 'netlab RSA Root', keyType: 'rsa', pathLength: 1 });
  const rsaLeaf = rsaRoot.issueServer({ dns: ['rsa.netlab.test'], keyType: 'rsa' });
  const d = (c: { der: Buffer }): Uint8Array => Uint8Array.from(c.der);
  return {
    'pki-root': d(root.cert),
    'pki-intermediate': d(inter.cert),
    'pki-server': d(server.cert),
    'pki-client': d(client.cert),
    'pki-rsa-root': d(rsaRoot.cert),
    'pki-rsa-leaf': d(rsaLeaf.cert),
  };
}

const OPENSSL_EXT = `[req]
distinguished_name=dn
[dn]
[rich]
basicConstraints=critical,CA:TRUE,pathlen:2
keyUsage=critical,digitalSignature,keyCertSign,cRLSign,keyAgreement,decipherOnly
extendedKeyUsage=serverAuth,clientAuth,codeSigning,emailProtection,timeStamping,OCSPSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName=DNS:a.example.test,DNS:*.b.example.test,IP:127.0.0.1,IP:::1,IP:2001:db8::5,email:me@example.test,URI:https://example.test/x,dirName:dirsect,RID:1.2.3.4
crlDistributionPoints=URI:http://crl.example.test/ca.crl
authorityInfoAccess=OCSP;URI:http://ocsp.example.test,caIssuers;URI:http://ca.example.test/ca.crt
certificatePolicies=2.23.140.1.2.1,@pol
nameConstraints=permitted;DNS:example.test,excluded;IP:10.0.0.0/255.0.0.0
issuerAltName=DNS:issuer.example.test
[odd]
basicConstraints=CA:FALSE
nsComment="hello"
tlsfeature=status_request
1.2.3.4.5=ASN1:UTF8String:custom
policyConstraints=requireExplicitPolicy:3
inhibitAnyPolicy=2
subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.test
[pol]
policyIdentifier=1.3.6.1.4.1.99999.1
CPS.1=http://cps.example.test
userNotice.1=@notice
[notice]
explicitText="Hola notice"
organization="Org"
noticeNumbers=1,2
[dirsect]
C=DE
O=Dir Org
`;

/** Certificates openssl makes (needs openssl on PATH). */
function openssl(dir: string): Record<string, Uint8Array> {
  const cnf = join(dir, 'x509.cnf');
  writeFileSync(cnf, OPENSSL_EXT);
  const make = (name: string, args: string[]): Uint8Array => {
    const pem = join(dir, `${name}.pem`);
    execFileSync('openssl', ['req', '-x509', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', pem, '-days', '30', '-config', cnf, ...args], {
      stdio: 'ignore',
    });
    const text = readFileSync(pem, 'utf8');
    return Uint8Array.from(Buffer.from(text.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64'));
  };
  const dsaParams = join(dir, 'dsa-params.pem');
  execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', dsaParams], { stdio: 'ignore' });
  return {
    'openssl-rsa-rich': make('rsa', [
      '-newkey',
      'rsa:2048',
      '-days',
      '11000',
      '-utf8',
      '-subj',
      '/C=ES/ST=Madrid/L=Madrid/O=Net Lab ñ/OU=Unit 1/OU=Unit 2/CN=Ñandú Root/emailAddress=root@example.test/serialNumber=1234/DC=example/DC=test',
      '-extensions',
      'rich',
      '-set_serial',
      '0x00ffeeddccbbaa',
    ]),
    'openssl-ec384': make('ec', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-subj',
      '/CN=ec.example.test',
      '-addext',
      'subjectAltName=DNS:ec.example.test',
    ]),
    'openssl-ed25519': make('ed', ['-newkey', 'ed25519', '-subj', '/CN=ed.example.test/O=Ed', '-addext', 'keyUsage=digitalSignature']),
    'openssl-dsa': make('dsa', ['-newkey', `dsa:${dsaParams}`, '-subj', '/CN=dsa.example.test']),
    'openssl-pss': make('pss', ['-newkey', 'rsa:1024', '-subj', '/CN=pss', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha256']),
    'openssl-odd': make('odd', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-subj',
      '/CN=odd/title=Dr/givenName=Ann/street=Main/postalCode=28001/UID=ann',
      '-extensions',
      'odd',
    ]),
  };
}

/** Every test certificate by name; openssl's only when `dir` is given. */
export function testCertificates(dir?: string): Record<string, Uint8Array> {
  return { ...crafted(), ...pki(), ...(dir !== undefined ? openssl(dir) : {}) };
}
