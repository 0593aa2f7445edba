// X.509 in the TLS dissector beside tshark 4.0: every field netlab emits (x509af, x509if, x509sat,
// x509ce, pkix1implicit, pkix1explicit, pkcs-1, the signed certificate timestamps and their
// tls.handshake.sig_hash_*) and frame.protocols — with no allowance for it — must print what tshark
// prints, on the shared TLS captures and on captures this test writes: each test certificate in its
// own TLS 1.2 handshake, a chain of three in one message, a CertificateRequest naming two CAs, and
// broken certificates. Without tshark, the first block checks what netlab shows on its own.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { encodeHandshake, HANDSHAKE_TYPE } from '../../src/wire/tls.ts';
import { compareCapture, dissectAll, type FieldAgreement } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { cat, certificateMessage, pseudoBytes, tls12Handshake, u16, writeFrames } from './tls-capture.ts';
import { testCertificates } from './x509-certs.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-x509d-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHARED = SHARED_CAPTURES;

/** Fields that may differ: expert infos (tshark's BER says more, in other words). */
const EXPERT = /^_ws\.expert\./;

function disagreements(result: readonly FieldAgreement[]): string[] {
  return result
    .filter((a) => a.agree !== a.frames && !EXPERT.test(a.field))
    .map((a) => `${a.field} ${a.agree}/${a.frames} e.g. ${JSON.stringify(a.examples[0])}`);
}

/** A TLS 1.2 CertificateRequest naming the subjects of the given certificates' issuers. */
function certificateRequest(names: readonly Uint8Array[]): Uint8Array {
  const dns = cat(...names.map((n) => cat(u16(n.length), n)));
  const sigs = Uint8Array.of(0x04, 0x03, 0x08, 0x04);
  return encodeHandshake(HANDSHAKE_TYPE.certificateRequest, cat(Uint8Array.of(2, 1, 64), u16(sigs.length), sigs, u16(dns.length), dns));
}

/** The issuer Name's DER inside a certificate (its fourth tbsCertificate element, after version, serial, signature). */
function issuerName(der: Uint8Array): Uint8Array {
  let p = 0;
  const header = (at: number): [number, number] => {
    const n = der[at + 1];
    if (n < 0x80) return [2, n];
    let len = 0;
    for (let i = 0; i < (n & 0x7f); i++) len = len * 256 + der[at + 2 + i];
    return [2 + (n & 0x7f), len];
  };
  p += header(0)[0]; // Certificate
  p += header(p)[0]; // tbsCertificate
  for (let i = 0; i < 3; i++) {
    const [h, l] = header(p);
    p += h + l;
  }
  const [h, l] = header(p);
  return der.subarray(p, p + h + l);
}

async function craftedCapture(certs: Record<string, Uint8Array>): Promise<string> {
  const out: Uint8Array[] = [];
  let port = 50000;
  for (const der of Object.values(certs)) tls12Handshake(out, port++, [certificateMessage([der])]);
  const chain = [certs['pki-server'], certs['pki-intermediate'], certs['pki-root']];
  tls12Handshake(out, port++, [certificateMessage(chain), certificateRequest([issuerName(certs['pki-server']), issuerName(certs['crafted-v3'])])]);
  const path = join(dir, 'x509.pcapng');
  await writeFrames(path, out);
  return path;
}

/**
 * Certificates whose DER claims more than its message holds, or is garbage inside, followed by a
 * good one; with `flip`, also one with a corrupted byte. Wireshark's BER dissector carries on past a
 * wrong element where netlab's decoder stops at it, so only the first two are compared with tshark.
 */
async function brokenCapture(certs: Record<string, Uint8Array>, flip: boolean): Promise<string> {
  const good = certs['pki-server'];
  const cutShort = certs['crafted-v3'].subarray(0, 300); // its DER claims more than the message holds
  const garbage = Uint8Array.from([0x30, 0x82, 0x01, 0x9c, ...pseudoBytes(0x19c, 30)]);
  const flipped = Uint8Array.from(good);
  flipped[150] ^= 0xff;
  const out: Uint8Array[] = [];
  let port = 51000;
  for (const c of flip ? [cutShort, garbage, flipped] : [cutShort, garbage]) tls12Handshake(out, port++, [certificateMessage([c, good])]);
  const path = join(dir, `broken${flip ? '-flip' : ''}.pcapng`);
  await writeFrames(path, out);
  return path;
}

describe('X.509 certificates in the TLS dissector (netlab alone)', () => {
  it("shows each certificate's tree and the protocols Wireshark lists for it", async () => {
    const certs = testCertificates();
    const ds = await dissectAll(await craftedCapture(certs));
    const cert = ds.find((d) => fieldText(d, 'x509af.serialNumber') === '00800102');
    expect(cert).toBeDefined();
    const f = (name: string): string => fieldText(cert!, name);
    expect(f('frame.protocols')).toBe(
      'eth:ethertype:ip:tcp:tls:x509sat:x509sat:x509sat:x509sat:x509sat:x509sat:x509sat:x509sat:x509sat:pkcs-1:x509ce:x509ce:x509ce:x509ce:x509sat:x509ce:x509ce:pkix1explicit:pkix1implicit:pkix1implicit:x509ce:x509ce:pkix1implicit:x509ce:tls',
    );
    expect(f('x509af.generalizedTime')).toBe('Dec 31, 1949 23:59:59.250000000 UTC,Jan  1, 2050 00:00:00.000000000 UTC');
    expect(f('x509sat.bmpString')).toBe('Größe Org');
    expect(f('x509ce.IPAddress.ipv6')).toBe('2001:db8::9');
    expect(f('tls.sct.sct_timestamp')).toBe('Mar 22, 2021 16:19:38.165000000 UTC,Mar 22, 2021 16:19:38.166000000 UTC');
    expect(f('tls.handshake.sig_hash_alg')).toBe('0x0403,0x0403');
    const tree = treeLines(cert!);
    expect(
      tree.some((l) => /^\s+Certificate: 3082.*… \(id-at-dnQualifier=q1,id-at-serialNumber=A-123,id-at-commonName=crafted\.example\.test\)$/.test(l)),
    ).toBe(true);
    expect(tree).toContain('                        issuer: rdnSequence (0)');
    const chain = ds.find((d) => fieldText(d, 'tls.handshake.certificate_length').split(',').length === 3)!;
    expect(fieldText(chain, 'x509sat.uTF8String').split(',')).toContain('netlab Test Intermediate');
    expect(fieldText(chain, 'x509if.RDNSequence_item').split(',').length).toBeGreaterThan(6);
  });

  it('reports broken DER where it is and never throws', async () => {
    const certs = testCertificates();
    const ds = await dissectAll(await brokenCapture(certs, true));
    const lines = ds.map(summaryLine).filter((l) => / Certificate/.test(l));
    expect(lines).toHaveLength(3);
    // A DER longer than its message: Wireshark's BER dissector runs off its buffer and stops there.
    expect(lines[0]).toMatch(/ Server Hello, Certificate\[Malformed Packet\]$/);
    expect(lines[2]).toMatch(/ Server Hello, Certificate, Server Hello Done$/);
    const flipped = ds.find((d) => summaryLine(d) === lines[2])!;
    expect(treeLines(flipped).some((l) => l.includes('[Expert Info (Warning/Malformed): BER Error:'))).toBe(true);
    expect(fieldText(flipped, 'tls.handshake.certificate_length').split(',')).toHaveLength(2);
  });
});

describe.skipIf(!requireTool('tshark'))('X.509 certificates in the TLS dissector beside tshark', () => {
  it("the shared TLS captures: frame.protocols, the certificates and their SCTs' sig_hash fields", async () => {
    const result = await compareCapture(join(SHARED, 'tls12-handshake-sni-alpn-zeek.pcap'));
    const names = result.map((a) => a.field);
    expect(names).toEqual(
      expect.arrayContaining([
        'frame.protocols',
        'tls.handshake.sig_hash_alg',
        'x509af.version',
        'x509af.serialNumber',
        'x509af.algorithm.id',
        'x509sat.printableString',
        'x509sat.CountryName',
        'x509af.utcTime',
        'x509ce.dNSName',
        'x509ce.KeyUsage',
        'x509ce.KeyPurposeId',
        'x509ce.keyIdentifier',
        'x509ce.SubjectKeyIdentifier',
        'pkix1implicit.accessMethod',
        'pkix1explicit.DirectoryString',
        'tls.sct.sct_logid',
        'pkcs1.modulus',
      ]),
    );
    expect(disagreements(result)).toEqual([]);
    for (const f of [
      'tls12-clienthello-sni-alpn-pcapplusplus.pcap',
      'tls13-handshake-sni-alpn-zeek.pcap',
      'tls13-clienthello-serverhello-pcapplusplus.pcap',
      'tls12-serverhello-alpn-ipv6-pcapplusplus.pcap',
    ]) {
      expect([f, disagreements(await compareCapture(join(SHARED, f)))]).toEqual([f, []]);
    }
  });

  it('openssl, netlab PKI and crafted certificates, a chain and a CertificateRequest: every field and frame.protocols', async () => {
    const certs = testCertificates(requireTool('openssl') ? dir : undefined);
    const path = await craftedCapture(certs);
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'x509af.generalizedTime',
        'x509af.issuerUniqueIdentifier',
        'x509sat.bmpString',
        'x509sat.teletexString',
        'x509sat.universalString',
        'x509sat.IA5String',
        'x509sat.PrintableString',
        'x509ce.IPAddress.ipv4',
        'x509ce.IPAddress.ipv6',
        'x509ce.rfc822Name',
        'x509ce.uniformResourceIdentifier',
        'x509ce.registeredID',
        'x509ce.directoryName',
        'x509ce.base',
        'x509ce.authorityCertSerialNumber',
        'x509ce.fullName',
        'x509ce.cRLIssuer',
        'pkix1implicit.utf8String',
        'pkix1implicit.noticeNumbers_item',
        'pkcs1.saltLength',
        'pkcs1.namedCurve',
        'tls.sct.sct_signature',
        'tls.handshake.dname_len',
      ]),
    );
    expect(disagreements(result)).toEqual([]);
  });

  it('certificates that run past their message or are garbage inside: what tshark shows up to where its BER dissector stops', async () => {
    const result = await compareCapture(await brokenCapture(testCertificates(), false));
    expect(disagreements(result)).toEqual([]);
  });
});
