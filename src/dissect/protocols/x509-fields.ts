// X.509 certificates as Wireshark 4.0 dissects them inside TLS (x509af, x509if, x509sat, x509ce,
// pkix1implicit, pkix1explicit, pkcs-1, and the signed certificate timestamps of tls): the fields in
// tree order with tshark's names and -T fields text, and the protocols Wireshark's BER dissector adds
// to frame.protocols for each object identifier it hands on (`layers`). A certificate whose DER does
// not parse shows what was read and a BER error expert item at the place it failed.

import { decodeCertificateDer, type X509Algorithm, type X509Certificate, type X509Name } from '../../wire/x509.ts';
import type { X509Extension, X509GeneralName, X509UserNotice } from '../../wire/x509-extensions.ts';
import { decodeString, DER_TAG, type DerError, type DerTlv, isDerError } from '../../wire/der.ts';
import { decodeName } from '../../wire/x509-name.ts';
import { expertField } from '../expert.ts';
import { type Field, formatBytesHex, formatIpv4, formatIpv6, rawField, stringField, uintDec } from '../field.ts';
import { registerFields } from '../known-fields.ts';
import { bitPattern, bytesForText, noneField } from './link-fields.ts';
import {
  ALGORITHM_PARAMS_PROTOCOL,
  ATTRIBUTE_SYNTAX,
  DIRECTORY_STRING_CHOICE,
  DISPLAY_TEXT_CHOICE,
  EXTENSION_PROTOCOL,
  GENERAL_NAME_NAMES,
  oidName,
  OTHER_NAME_SYNTAX,
  QUALIFIER_PROTOCOL,
  USERID_OID,
} from './x509-names.ts';
import { sigHashField } from './tls-sig-hash.ts';

registerFields({
  x509af: 'FT_PROTOCOL',
  x509if: 'FT_PROTOCOL',
  x509sat: 'FT_PROTOCOL',
  x509ce: 'FT_PROTOCOL',
  pkix1implicit: 'FT_PROTOCOL',
  pkix1explicit: 'FT_PROTOCOL',
  'pkcs-1': 'FT_PROTOCOL',
  'x509af.signedCertificate_element': 'FT_NONE',
  'x509af.version': 'FT_INT32',
  'x509af.serialNumber': 'FT_BYTES',
  'x509af.signature_element': 'FT_NONE',
  'x509af.algorithm.id': 'FT_OID',
  'x509af.issuer': 'FT_UINT32',
  'x509af.subject': 'FT_UINT32',
  'x509af.rdnSequence': 'FT_UINT32',
  'x509af.validity_element': 'FT_NONE',
  'x509af.notBefore': 'FT_UINT32',
  'x509af.notAfter': 'FT_UINT32',
  'x509af.utcTime': 'FT_STRING',
  'x509af.generalizedTime': 'FT_ABSOLUTE_TIME',
  'x509af.subjectPublicKeyInfo_element': 'FT_NONE',
  'x509af.algorithm_element': 'FT_NONE',
  'x509af.subjectPublicKey': 'FT_BYTES',
  'x509af.issuerUniqueIdentifier': 'FT_BYTES',
  'x509af.subjectUniqueIdentifier': 'FT_BYTES',
  'x509af.extensions': 'FT_UINT32',
  'x509af.Extension_element': 'FT_NONE',
  'x509af.extension.id': 'FT_OID',
  'x509af.critical': 'FT_BOOLEAN',
  'x509af.algorithmIdentifier_element': 'FT_NONE',
  'x509af.encrypted': 'FT_BYTES',
  'ber.bitstring.padding': 'FT_UINT8',
  'x509if.rdnSequence': 'FT_UINT32',
  'x509if.RDNSequence_item': 'FT_UINT32',
  'x509if.RelativeDistinguishedName_item_element': 'FT_NONE',
  'x509if.oid': 'FT_OID',
  'x509sat.CountryName': 'FT_STRING',
  'x509sat.DirectoryString': 'FT_UINT32',
  'x509sat.teletexString': 'FT_STRING',
  'x509sat.printableString': 'FT_STRING',
  'x509sat.universalString': 'FT_STRING',
  'x509sat.bmpString': 'FT_STRING',
  'x509sat.uTF8String': 'FT_STRING',
  'x509sat.PrintableString': 'FT_STRING',
  'x509sat.IA5String': 'FT_STRING',
  'pkcs1.modulus': 'FT_BYTES',
  'pkcs1.publicExponent': 'FT_INT32',
  'pkcs1.ECParameters': 'FT_UINT32',
  'pkcs1.namedCurve': 'FT_OID',
  'pkcs1.RSASSA_PSS_params_element': 'FT_NONE',
  'pkcs1.hashAlgorithm_element': 'FT_NONE',
  'pkcs1.maskGenAlgorithm_element': 'FT_NONE',
  'pkcs1.HashAlgorithm_element': 'FT_NONE',
  'pkcs1.saltLength': 'FT_INT32',
  'pkcs1.trailerField': 'FT_INT32',
  'x509ce.SubjectKeyIdentifier': 'FT_BYTES',
  'x509ce.KeyUsage': 'FT_BYTES',
  'x509ce.KeyUsage.digitalSignature': 'FT_BOOLEAN',
  'x509ce.KeyUsage.contentCommitment': 'FT_BOOLEAN',
  'x509ce.KeyUsage.keyEncipherment': 'FT_BOOLEAN',
  'x509ce.KeyUsage.dataEncipherment': 'FT_BOOLEAN',
  'x509ce.KeyUsage.keyAgreement': 'FT_BOOLEAN',
  'x509ce.KeyUsage.keyCertSign': 'FT_BOOLEAN',
  'x509ce.KeyUsage.cRLSign': 'FT_BOOLEAN',
  'x509ce.KeyUsage.encipherOnly': 'FT_BOOLEAN',
  'x509ce.KeyUsage.decipherOnly': 'FT_BOOLEAN',
  'x509ce.GeneralNames': 'FT_UINT32',
  'x509ce.GeneralName': 'FT_UINT32',
  'x509ce.dNSName': 'FT_STRING',
  'x509ce.rfc822Name': 'FT_STRING',
  'x509ce.uniformResourceIdentifier': 'FT_STRING',
  'x509ce.IPAddress.ipv4': 'FT_IPv4',
  'x509ce.IPAddress.ipv6': 'FT_IPv6',
  'x509ce.directoryName': 'FT_UINT32',
  'x509ce.registeredID': 'FT_OID',
  'x509ce.BasicConstraintsSyntax_element': 'FT_NONE',
  'x509ce.cA': 'FT_BOOLEAN',
  'x509ce.pathLenConstraint': 'FT_INT32',
  'x509ce.KeyPurposeIDs': 'FT_UINT32',
  'x509ce.KeyPurposeId': 'FT_OID',
  'x509ce.AuthorityKeyIdentifier_element': 'FT_NONE',
  'x509ce.keyIdentifier': 'FT_BYTES',
  'x509ce.authorityCertIssuer': 'FT_UINT32',
  'x509ce.authorityCertSerialNumber': 'FT_BYTES',
  'x509ce.CRLDistPointsSyntax': 'FT_UINT32',
  'x509ce.DistributionPoint_element': 'FT_NONE',
  'x509ce.distributionPoint': 'FT_UINT32',
  'x509ce.fullName': 'FT_UINT32',
  'x509ce.cRLIssuer': 'FT_UINT32',
  'x509ce.CertificatePoliciesSyntax': 'FT_UINT32',
  'x509ce.PolicyInformation_element': 'FT_NONE',
  'x509ce.policyIdentifier': 'FT_OID',
  'x509ce.policyQualifiers': 'FT_UINT32',
  'x509ce.PolicyQualifierInfo_element': 'FT_NONE',
  'x509ce.id': 'FT_OID',
  'x509ce.NameConstraintsSyntax_element': 'FT_NONE',
  'x509ce.permittedSubtrees': 'FT_UINT32',
  'x509ce.excludedSubtrees': 'FT_UINT32',
  'x509ce.GeneralSubtree_element': 'FT_NONE',
  'x509ce.base': 'FT_UINT32',
  'x509ce.otherName_element': 'FT_NONE',
  'x509ce.type_id': 'FT_OID',
  'x509sat.UTF8String': 'FT_STRING',
  'x509af.Userid': 'FT_STRING',
  ns_cert_exts: 'FT_PROTOCOL',
  'pkix1explicit.DirectoryString': 'FT_STRING',
  'pkix1implicit.AuthorityInfoAccessSyntax': 'FT_UINT32',
  'pkix1implicit.AccessDescription_element': 'FT_NONE',
  'pkix1implicit.accessMethod': 'FT_OID',
  'pkix1implicit.accessLocation': 'FT_UINT32',
  'pkix1implicit.UserNotice_element': 'FT_NONE',
  'pkix1implicit.noticeRef_element': 'FT_NONE',
  'pkix1implicit.organization': 'FT_UINT32',
  'pkix1implicit.noticeNumbers': 'FT_UINT32',
  'pkix1implicit.noticeNumbers_item': 'FT_INT32',
  'pkix1implicit.explicitText': 'FT_UINT32',
  'pkix1implicit.ia5String': 'FT_STRING',
  'pkix1implicit.visibleString': 'FT_STRING',
  'pkix1implicit.bmpString': 'FT_STRING',
  'pkix1implicit.utf8String': 'FT_STRING',
  'tls.sct.scts_length': 'FT_UINT16',
  'tls.sct': 'FT_NONE',
  'tls.sct.sct_length': 'FT_UINT16',
  'tls.sct.sct_version': 'FT_UINT8',
  'tls.sct.sct_logid': 'FT_BYTES',
  'tls.sct.sct_timestamp': 'FT_ABSOLUTE_TIME',
  'tls.sct.sct_extensions_length': 'FT_UINT16',
  'tls.sct.sct_extensions': 'FT_NONE',
  'tls.sct.sct_signature_length': 'FT_UINT16',
  'tls.sct.sct_signature': 'FT_BYTES',
  'ber.error': 'FT_NONE',
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** FT_ABSOLUTE_TIME in UTC as tshark prints it: `Jan  4, 2057 06:20:52.000000000 UTC`. */
export function absoluteUtc(wholeSeconds: number, nanos = 0): string {
  const d = new Date(wholeSeconds * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(nanos).padStart(9, '0')} UTC`;
}

const plural = (n: number): string => `${n} item${n === 1 ? '' : 's'}`;

/** Wireshark's note for a value whose object identifier no dissector registered. */
function notImplemented(offset: number, length: number): Field {
  return expertField(
    'ber.error.oid_not_implemented',
    'BER: Dissector for OID not implemented. Contact Wireshark developers if you want this supported',
    'Warning',
    'Undecoded',
    offset,
    length,
  );
}

/** What dissecting certificates produced beside the fields. */
export interface X509Output {
  /** Protocols for frame.protocols, in the order Wireshark's BER dissector reached them. */
  layers: string[];
  /**
   * Set when a certificate's DER claims more bytes than its data source holds: Wireshark's BER
   * dissector then hits the end of the buffer (an exception), and nothing after it is dissected.
   */
  exception?: { offset: number; reason: string };
}

/** Builds the fields of one DER value tree, collecting protocols on the way. */
class X509Mapper {
  constructor(
    private readonly b: Uint8Array,
    private readonly out: X509Output,
  ) {}

  private oidField(name: string, label: string, oid: string, t: DerTlv, children?: Field[]): Field {
    return rawField(name, label, 'string', oid, oid, t.contentOffset, t.length, {
      text: `${label}: ${oid} (${oidName(oid)})`,
      ...(children ? { children } : {}),
    });
  }

  private bytes(name: string, label: string, start: number, end: number, o: { text?: string; children?: Field[] } = {}): Field {
    const v = this.b.slice(start, end);
    return rawField(name, label, 'bytes', v, formatBytesHex(v), start, end - start, {
      text: o.text ?? `${label}: ${bytesForText(v)}`,
      ...(o.children ? { children: o.children } : {}),
    });
  }

  private str(name: string, label: string, value: string, t: DerTlv): Field {
    return stringField(name, label, value, t.contentOffset, t.length, { text: `${label}: ${value}` });
  }

  private choice(name: string, label: string, index: number, choiceName: string, t: DerTlv, children: Field[]): Field {
    return uintDec(name, label, index, t.offset, t.end - t.offset, { text: `${label}: ${choiceName} (${index})`, children });
  }

  private padding(unusedBits: number, at: number): Field {
    return uintDec('ber.bitstring.padding', 'Padding', unusedBits, at, 1);
  }

  private error(e: DerError): Field {
    return expertField('ber.error', `BER Error: ${e.reason}`, 'Warning', 'Malformed', e.offset, 0);
  }

  /** A Certificate's fields (the children of tls.handshake.certificate). */
  certificate(c: X509Certificate): Field[] {
    const out: Field[] = [];
    const tbs = c.tbs;
    if (tbs !== undefined) {
      const k: Field[] = [];
      if (tbs.version !== undefined) {
        const v = tbs.version;
        k.push(
          rawField('x509af.version', 'version', 'int', v.value, String(v.value), v.tlv.contentOffset, v.tlv.length, {
            text: `version: ${['v1', 'v2', 'v3'][v.value] ?? 'Unknown'} (${v.value})`,
          }),
        );
      }
      if (tbs.serialNumber !== undefined) {
        const s = tbs.serialNumber;
        k.push(
          this.bytes('x509af.serialNumber', 'serialNumber', s.contentOffset, s.end, {
            text: `serialNumber: 0x${formatBytesHex(this.b.subarray(s.contentOffset, s.end))}`,
          }),
        );
      }
      if (tbs.signature !== undefined) k.push(this.algorithm('x509af.signature_element', 'signature', tbs.signature));
      if (tbs.issuer !== undefined) k.push(this.name('x509af.issuer', 'issuer', 'x509if.rdnSequence', tbs.issuer));
      if (tbs.validity !== undefined) {
        const v = tbs.validity;
        const kids: Field[] = [];
        for (const [nm, t] of [
          ['notBefore', v.notBefore],
          ['notAfter', v.notAfter],
        ] as const) {
          if (t === undefined) continue;
          const idx = t.kind === 'utcTime' ? 0 : 1;
          const inner: Field[] = [];
          const utc = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(t.text);
          if (t.kind === 'utcTime' && utc !== null) {
            const text = `${Number(utc[1]) < 50 ? '20' : '19'}${utc[1]}-${utc[2]}-${utc[3]} ${utc[4]}:${utc[5]}:${utc[6]} (UTC)`;
            inner.push(this.str('x509af.utcTime', 'utcTime', text, t.tlv));
          } else if (t.kind === 'generalizedTime' && t.seconds !== undefined) {
            const frac = /\.(\d{1,9})/.exec(t.text)?.[1] ?? '';
            const text = absoluteUtc(Math.floor(t.seconds), Number(frac.padEnd(9, '0')));
            inner.push(
              rawField('x509af.generalizedTime', 'generalizedTime', 'time', t.seconds, text, t.tlv.contentOffset, t.tlv.length, {
                text: `generalizedTime: ${text}`,
              }),
            );
          } else {
            inner.push(this.error({ offset: t.tlv.offset, reason: `invalid ${t.kind} ${JSON.stringify(t.text)}` }));
          }
          kids.push(this.choice(`x509af.${nm}`, nm, idx, t.kind, t.tlv, inner));
        }
        k.push(noneField('x509af.validity_element', 'validity', v.tlv.offset, v.tlv.end - v.tlv.offset, { text: 'validity', children: kids }));
      }
      if (tbs.subject !== undefined) k.push(this.name('x509af.subject', 'subject', 'x509af.rdnSequence', tbs.subject));
      const spki = tbs.subjectPublicKeyInfo;
      if (spki !== undefined) {
        const kids: Field[] = [this.algorithm('x509af.algorithm_element', 'algorithm', spki.algorithm)];
        const key = spki.key;
        if (key !== undefined) {
          const rsa = spki.rsa;
          if (rsa === undefined) kids.push(this.padding(key.unusedBits, key.tlv.contentOffset));
          const keyKids: Field[] = [];
          if (rsa !== undefined) {
            keyKids.push(
              this.bytes('pkcs1.modulus', 'modulus', rsa.modulus.contentOffset, rsa.modulus.end, {
                text: `modulus: 0x${bytesForText(this.b.subarray(rsa.modulus.contentOffset, rsa.modulus.end))}`,
              }),
            );
            const e = rsa.exponentValue;
            keyKids.push(
              rawField(
                'pkcs1.publicExponent',
                'publicExponent',
                'int',
                e <= 0x7fffffffn && e >= -0x80000000n ? Number(e) : e,
                String(e),
                rsa.exponent.contentOffset,
                rsa.exponent.length,
              ),
            );
          }
          kids.push(
            this.bytes(
              'x509af.subjectPublicKey',
              'subjectPublicKey',
              key.bitsOffset,
              key.bitsOffset + key.bitsLength,
              keyKids.length > 0 ? { children: keyKids } : {},
            ),
          );
        }
        k.push(
          noneField('x509af.subjectPublicKeyInfo_element', 'subjectPublicKeyInfo', spki.tlv.offset, spki.tlv.end - spki.tlv.offset, {
            text: 'subjectPublicKeyInfo',
            children: kids,
          }),
        );
      }
      for (const [nm, u] of [
        ['issuerUniqueIdentifier', tbs.issuerUniqueId],
        ['subjectUniqueIdentifier', tbs.subjectUniqueId],
      ] as const) {
        if (u === undefined) continue;
        k.push(this.padding(u.unusedBits, u.tlv.contentOffset));
        k.push(this.bytes(`x509af.${nm}`, nm, u.bitsOffset, u.bitsOffset + u.bitsLength));
      }
      if (tbs.extensions !== undefined) {
        const x = tbs.extensions;
        const kids = x.list.map((e) => this.extension(e));
        k.push(
          uintDec('x509af.extensions', 'extensions', x.list.length, x.tlv.offset, x.tlv.end - x.tlv.offset, {
            text: `extensions: ${plural(x.list.length)}`,
            children: kids,
          }),
        );
      }
      out.push(
        noneField('x509af.signedCertificate_element', 'signedCertificate', tbs.tlv.offset, tbs.tlv.end - tbs.tlv.offset, {
          text: 'signedCertificate',
          children: k,
        }),
      );
    }
    if (c.signatureAlgorithm !== undefined) out.push(this.algorithm('x509af.algorithmIdentifier_element', 'algorithmIdentifier', c.signatureAlgorithm));
    if (c.signature !== undefined) {
      const s = c.signature;
      out.push(this.padding(s.unusedBits, s.tlv.contentOffset));
      out.push(this.bytes('x509af.encrypted', 'encrypted', s.bitsOffset, s.bitsOffset + s.bitsLength));
    }
    if (c.error !== undefined) out.push(this.error(c.error));
    return out;
  }

  /** An AlgorithmIdentifier and what its parameters' dissector shows. */
  private algorithm(name: string, label: string, a: X509Algorithm): Field {
    const oid = a.algorithm.oid;
    const kids: Field[] = [this.oidField('x509af.algorithm.id', 'Algorithm Id', oid, a.algorithm.tlv)];
    const p = a.parameters;
    const proto = ALGORITHM_PARAMS_PROTOCOL.get(oid);
    if (p !== undefined && proto !== undefined && !(p.tag === DER_TAG.null && p.cls === 0)) {
      this.out.layers.push(proto);
      if (a.ecParameters !== undefined) {
        const ec = a.ecParameters;
        const inner: Field[] = [];
        if (ec.namedCurve !== undefined) inner.push(this.oidField('pkcs1.namedCurve', 'namedCurve', ec.namedCurve.oid, ec.namedCurve.tlv));
        if (ec.choice >= 0)
          kids.push(this.choice('pkcs1.ECParameters', 'ECParameters', ec.choice, ['specifiedCurve', 'namedCurve', 'implicitlyCA'][ec.choice], ec.tlv, inner));
      } else if (a.pss !== undefined) {
        const s = a.pss;
        const inner: Field[] = [];
        if (s.hashAlgorithm !== undefined) inner.push(this.algorithm('pkcs1.hashAlgorithm_element', 'hashAlgorithm', s.hashAlgorithm));
        if (s.maskGenAlgorithm !== undefined) {
          const m = s.maskGenAlgorithm;
          const mf = this.algorithm('pkcs1.maskGenAlgorithm_element', 'maskGenAlgorithm', { ...m, parameters: undefined });
          if (m.parameters !== undefined && m.hash !== undefined) {
            this.out.layers.push('pkcs-1');
            mf.children?.push(this.algorithm('pkcs1.HashAlgorithm_element', 'HashAlgorithm', m.hash));
          }
          inner.push(mf);
        }
        if (s.saltLength !== undefined)
          inner.push(
            rawField(
              'pkcs1.saltLength',
              'saltLength',
              'int',
              Number(s.saltLength.value),
              String(s.saltLength.value),
              s.saltLength.tlv.contentOffset,
              s.saltLength.tlv.length,
            ),
          );
        if (s.trailerField !== undefined)
          inner.push(
            rawField(
              'pkcs1.trailerField',
              'trailerField',
              'int',
              Number(s.trailerField.value),
              String(s.trailerField.value),
              s.trailerField.tlv.contentOffset,
              s.trailerField.tlv.length,
            ),
          );
        kids.push(
          noneField('pkcs1.RSASSA_PSS_params_element', 'RSASSA-PSS-params', s.tlv.offset, s.tlv.end - s.tlv.offset, {
            text: 'RSASSA-PSS-params',
            children: inner,
          }),
        );
      }
    }
    if (a.error !== undefined) kids.push(this.error(a.error));
    return noneField(name, label, a.tlv.offset, a.tlv.end - a.tlv.offset, { text: `${label} (${oidName(oid)})`, children: kids });
  }

  /** `id-at-commonName=R3,id-at-organizationName=Let's Encrypt`: the RDNs last first, as x509if shows a DN. */
  private dnText(n: X509Name): string {
    return [...n.rdns]
      .reverse()
      .map((r) => r.attributes.map((a) => `${oidName(a.type.oid)}=${a.text ?? ''}`).join('+'))
      .join(',');
  }

  /** issuer / subject / directoryName: the Name choice and its RDN sequence. */
  private name(name: string, label: string, seqName: string, n: X509Name): Field {
    const dn = this.dnText(n);
    const items: Field[] = n.rdns.map((r) => {
      const rdnText = r.attributes.map((a) => `${oidName(a.type.oid)}=${a.text ?? ''}`).join('+');
      const atvs = r.attributes.map((a) => {
        const kids: Field[] = [this.oidField('x509if.oid', 'Object Id', a.type.oid, a.type.tlv)];
        const syntax = ATTRIBUTE_SYNTAX.get(a.type.oid);
        const v = a.value;
        if (syntax !== undefined && v !== undefined) {
          this.out.layers.push('x509sat');
          kids.push(...this.attributeValue(syntax, v));
        } else if (a.type.oid === USERID_OID && v !== undefined) {
          this.out.layers.push('x509af');
          kids.push(this.str('x509af.Userid', 'Userid', a.text ?? '', v));
        }
        return noneField('x509if.RelativeDistinguishedName_item_element', 'RelativeDistinguishedName item', a.tlv.offset, a.tlv.end - a.tlv.offset, {
          text: `RelativeDistinguishedName item (${oidName(a.type.oid)}=${a.text ?? ''})`,
          children: kids,
        });
      });
      return uintDec('x509if.RDNSequence_item', 'RDNSequence item', r.attributes.length, r.tlv.offset, r.tlv.end - r.tlv.offset, {
        text: `RDNSequence item: ${plural(r.attributes.length)} (${rdnText})`,
        children: atvs,
      });
    });
    const seq = uintDec(seqName, 'rdnSequence', n.rdns.length, n.tlv.offset, n.tlv.end - n.tlv.offset, {
      text: `rdnSequence: ${plural(n.rdns.length)} (${dn})`,
      children: items,
    });
    return uintDec(name, label, 0, n.tlv.offset, n.tlv.end - n.tlv.offset, { text: `${label}: rdnSequence (0)`, children: [seq] });
  }

  private attributeValue(syntax: string, v: DerTlv): Field[] {
    const text = decodeString(this.b, v.cls === 0 ? v.tag : DER_TAG.ia5String, v.contentOffset, v.end);
    if (syntax === 'DirectoryString') {
      const c = v.cls === 0 && !v.constructed ? DIRECTORY_STRING_CHOICE.get(v.tag) : undefined;
      if (c === undefined) return [this.error({ offset: v.offset, reason: 'DirectoryString: unknown choice' })];
      return [this.choice('x509sat.DirectoryString', 'DirectoryString', c.index, c.name, v, [this.str(`x509sat.${c.name}`, c.name, text, v)])];
    }
    const want = syntax === 'IA5String' ? DER_TAG.ia5String : DER_TAG.printableString;
    if (v.cls !== 0 || v.tag !== want || v.constructed) return [this.error({ offset: v.offset, reason: `${syntax}: wrong type` })];
    return [this.str(`x509sat.${syntax}`, syntax, text, v)];
  }

  private generalName(fieldName: string, label: string, g: X509GeneralName): Field {
    const choiceName = GENERAL_NAME_NAMES[g.choice] ?? 'unknown';
    const inner: Field[] = [];
    const t = g.tlv;
    switch (g.choice) {
      case 1:
      case 2:
      case 6:
        inner.push(this.str(`x509ce.${choiceName}`, choiceName, g.text ?? '', t));
        break;
      case 4:
        if (g.name !== undefined) inner.push(this.name('x509ce.directoryName', 'directoryName', 'x509if.rdnSequence', g.name));
        return this.choice(fieldName, label, g.choice, choiceName, t, inner);
      case 7:
        if (t.length === 4)
          inner.push(
            rawField(
              'x509ce.IPAddress.ipv4',
              'iPAddress',
              'ipv4',
              this.b.slice(t.contentOffset, t.end),
              formatIpv4(this.b, t.contentOffset),
              t.contentOffset,
              4,
            ),
          );
        else if (t.length === 16)
          inner.push(
            rawField(
              'x509ce.IPAddress.ipv6',
              'iPAddress',
              'ipv6',
              this.b.slice(t.contentOffset, t.end),
              formatIpv6(this.b, t.contentOffset),
              t.contentOffset,
              16,
            ),
          );
        break;
      case 8:
        if (g.oid !== undefined) inner.push(this.oidField('x509ce.registeredID', 'registeredID', g.oid.oid, t));
        break;
      case 0: {
        if (g.oid === undefined) break;
        const on: Field[] = [this.oidField('x509ce.type_id', 'type-id', g.oid.oid, g.oid.tlv)];
        const syn = OTHER_NAME_SYNTAX.get(g.oid.oid);
        const v = g.value;
        if (syn !== undefined && v !== undefined) {
          this.out.layers.push(syn.proto);
          if (v.cls === 0 && v.tag === syn.tag && !v.constructed)
            on.push(this.str(syn.field, syn.field.slice(syn.field.indexOf('.') + 1), decodeString(this.b, v.tag, v.contentOffset, v.end), v));
        }
        inner.push(noneField('x509ce.otherName_element', 'otherName', t.offset, t.end - t.offset, { text: 'otherName', children: on }));
        break;
      }
      default:
        break;
    }
    return this.choice(fieldName, label, g.choice, choiceName, t, inner);
  }

  private generalNames(name: string, label: string, t: DerTlv, names: readonly X509GeneralName[]): Field {
    return uintDec(name, label, names.length, t.offset, t.end - t.offset, {
      text: `${label}: ${plural(names.length)}`,
      children: names.map((g) => this.generalName('x509ce.GeneralName', 'GeneralName', g)),
    });
  }

  private extension(e: X509Extension): Field {
    const oid = e.id.oid;
    const kids: Field[] = [this.oidField('x509af.extension.id', 'Extension Id', oid, e.id.tlv)];
    if (e.critical !== undefined) {
      const c = e.critical;
      kids.push(
        rawField('x509af.critical', 'critical', 'bool', c.value, c.value ? '1' : '0', c.tlv.contentOffset, 1, {
          text: `critical: ${c.value ? 'True' : 'False'}`,
        }),
      );
    }
    const proto = EXTENSION_PROTOCOL.get(oid);
    if (proto !== undefined) this.out.layers.push(proto);
    else kids.push(notImplemented(e.value.contentOffset, e.value.length));
    kids.push(...this.extensionBody(e));
    if (e.error !== undefined) kids.push(this.error(e.error));
    return noneField('x509af.Extension_element', 'Extension', e.tlv.offset, e.tlv.end - e.tlv.offset, { text: `Extension (${oidName(oid)})`, children: kids });
  }

  private extensionBody(e: X509Extension): Field[] {
    const body = e.body;
    const b = this.b;
    switch (body.kind) {
      case 'subjectKeyIdentifier':
        return [this.bytes('x509ce.SubjectKeyIdentifier', 'SubjectKeyIdentifier', body.keyIdentifier.contentOffset, body.keyIdentifier.end)];
      case 'keyUsage': {
        const k = body.bits;
        const byte0 = k.bitsLength > 0 ? b[k.bitsOffset] : 0;
        const byte1 = k.bitsLength > 1 ? b[k.bitsOffset + 1] : 0;
        const names = [
          'digitalSignature',
          'contentCommitment',
          'keyEncipherment',
          'dataEncipherment',
          'keyAgreement',
          'keyCertSign',
          'cRLSign',
          'encipherOnly',
          'decipherOnly',
        ];
        const bits = names.map((n, i) => {
          const set = i < 8 ? (byte0 & (0x80 >> i)) !== 0 : (byte1 & 0x80) !== 0;
          const pattern = i < 8 ? bitPattern(byte0, 0x80 >> i, 8) : bitPattern(byte1, 0x80, 8);
          return rawField(`x509ce.KeyUsage.${n}`, n, 'bool', set, set ? '1' : '0', k.bitsOffset + (i < 8 ? 0 : 1), 1, {
            text: `${pattern} = ${n}: ${set ? 'True' : 'False'}`,
          });
        });
        return [
          this.padding(k.unusedBits, k.tlv.contentOffset),
          this.bytes('x509ce.KeyUsage', 'KeyUsage', k.bitsOffset, k.bitsOffset + k.bitsLength, {
            text: `KeyUsage: ${formatBytesHex(b.subarray(k.bitsOffset, k.bitsOffset + k.bitsLength))}`,
            children: bits,
          }),
        ];
      }
      case 'generalNames':
        return [this.generalNames('x509ce.GeneralNames', 'GeneralNames', body.tlv, body.names)];
      case 'basicConstraints': {
        const kids: Field[] = [];
        if (body.cA !== undefined)
          kids.push(
            rawField('x509ce.cA', 'cA', 'bool', body.cA.value, body.cA.value ? '1' : '0', body.cA.tlv.contentOffset, 1, {
              text: `cA: ${body.cA.value ? 'True' : 'False'}`,
            }),
          );
        if (body.pathLenConstraint !== undefined) {
          const v = body.pathLenConstraint;
          kids.push(rawField('x509ce.pathLenConstraint', 'pathLenConstraint', 'int', Number(v.value), String(v.value), v.tlv.contentOffset, v.tlv.length));
        }
        const empty = body.tlv.length === 0 ? ' [0 length]' : '';
        return [
          noneField('x509ce.BasicConstraintsSyntax_element', 'BasicConstraintsSyntax', body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: `BasicConstraintsSyntax${empty}`,
            children: kids,
          }),
        ];
      }
      case 'nameConstraints': {
        const kids: Field[] = [];
        for (const [nm, s] of [
          ['permittedSubtrees', body.permitted],
          ['excludedSubtrees', body.excluded],
        ] as const) {
          if (s === undefined) continue;
          const subs = s.list.map((g) =>
            noneField('x509ce.GeneralSubtree_element', 'GeneralSubtree', g.tlv.offset, g.tlv.end - g.tlv.offset, {
              text: 'GeneralSubtree',
              children: [this.generalName('x509ce.base', 'base', g.base)],
            }),
          );
          kids.push(
            uintDec(`x509ce.${nm}`, nm, s.list.length, s.tlv.offset, s.tlv.end - s.tlv.offset, { text: `${nm}: ${plural(s.list.length)}`, children: subs }),
          );
        }
        return [
          noneField('x509ce.NameConstraintsSyntax_element', 'NameConstraintsSyntax', body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: 'NameConstraintsSyntax',
            children: kids,
          }),
        ];
      }
      case 'cRLDistributionPoints': {
        const points = body.points.map((p) => {
          const kids: Field[] = [];
          const dp = p.distributionPoint;
          if (dp !== undefined) {
            const inner: Field[] = dp.fullName !== undefined ? [this.generalNames('x509ce.fullName', 'fullName', dp.tlv, dp.fullName)] : [];
            kids.push(
              this.choice('x509ce.distributionPoint', 'distributionPoint', dp.choice, dp.choice === 0 ? 'fullName' : 'nameRelativeToCRLIssuer', dp.tlv, inner),
            );
          }
          if (p.cRLIssuer !== undefined) kids.push(this.generalNames('x509ce.cRLIssuer', 'cRLIssuer', p.tlv, p.cRLIssuer));
          return noneField('x509ce.DistributionPoint_element', 'DistributionPoint', p.tlv.offset, p.tlv.end - p.tlv.offset, {
            text: 'DistributionPoint',
            children: kids,
          });
        });
        return [
          uintDec('x509ce.CRLDistPointsSyntax', 'CRLDistPointsSyntax', body.points.length, body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: `CRLDistPointsSyntax: ${plural(body.points.length)}`,
            children: points,
          }),
        ];
      }
      case 'certificatePolicies': {
        const pols = body.policies.map((p) => {
          const kids: Field[] = [this.oidField('x509ce.policyIdentifier', 'policyIdentifier', p.id.oid, p.id.tlv)];
          if (p.qualifiers !== undefined) {
            const qs = p.qualifiers.list.map((q) => {
              const qk: Field[] = [this.oidField('x509ce.id', 'Id', q.id.oid, q.id.tlv)];
              const proto = QUALIFIER_PROTOCOL.get(q.id.oid);
              if (proto !== undefined && q.qualifier !== undefined) this.out.layers.push(proto);
              if (q.cps !== undefined) qk.push(this.str('pkix1explicit.DirectoryString', 'DirectoryString', q.cps.text, q.cps.tlv));
              if (q.userNotice !== undefined) qk.push(this.userNotice(q.userNotice));
              return noneField('x509ce.PolicyQualifierInfo_element', 'PolicyQualifierInfo', q.tlv.offset, q.tlv.end - q.tlv.offset, {
                text: 'PolicyQualifierInfo',
                children: qk,
              });
            });
            const t = p.qualifiers.tlv;
            kids.push(
              uintDec('x509ce.policyQualifiers', 'policyQualifiers', qs.length, t.offset, t.end - t.offset, {
                text: `policyQualifiers: ${plural(qs.length)}`,
                children: qs,
              }),
            );
          }
          return noneField('x509ce.PolicyInformation_element', 'PolicyInformation', p.tlv.offset, p.tlv.end - p.tlv.offset, {
            text: 'PolicyInformation',
            children: kids,
          });
        });
        return [
          uintDec('x509ce.CertificatePoliciesSyntax', 'CertificatePoliciesSyntax', pols.length, body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: `CertificatePoliciesSyntax: ${plural(pols.length)}`,
            children: pols,
          }),
        ];
      }
      case 'authorityKeyIdentifier': {
        const kids: Field[] = [];
        if (body.keyIdentifier !== undefined)
          kids.push(this.bytes('x509ce.keyIdentifier', 'keyIdentifier', body.keyIdentifier.contentOffset, body.keyIdentifier.end));
        if (body.authorityCertIssuer !== undefined)
          kids.push(this.generalNames('x509ce.authorityCertIssuer', 'authorityCertIssuer', body.authorityCertIssuer.tlv, body.authorityCertIssuer.names));
        if (body.authorityCertSerialNumber !== undefined) {
          const s = body.authorityCertSerialNumber;
          kids.push(
            this.bytes('x509ce.authorityCertSerialNumber', 'authorityCertSerialNumber', s.contentOffset, s.end, {
              text: `authorityCertSerialNumber: 0x${formatBytesHex(b.subarray(s.contentOffset, s.end))}`,
            }),
          );
        }
        return [
          noneField('x509ce.AuthorityKeyIdentifier_element', 'AuthorityKeyIdentifier', body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: 'AuthorityKeyIdentifier',
            children: kids,
          }),
        ];
      }
      case 'extKeyUsage': {
        const kids = body.purposes.map((p) => this.oidField('x509ce.KeyPurposeId', 'KeyPurposeId', p.oid, p.tlv));
        return [
          uintDec('x509ce.KeyPurposeIDs', 'KeyPurposeIDs', kids.length, body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: `KeyPurposeIDs: ${plural(kids.length)}`,
            children: kids,
          }),
        ];
      }
      case 'authorityInfoAccess': {
        const kids = body.descriptions.map((d) => {
          const loc = this.generalName('pkix1implicit.accessLocation', 'accessLocation', d.location);
          loc.text = `accessLocation: ${d.location.choice}`;
          return noneField('pkix1implicit.AccessDescription_element', 'AccessDescription', d.tlv.offset, d.tlv.end - d.tlv.offset, {
            text: 'AccessDescription',
            children: [this.oidField('pkix1implicit.accessMethod', 'accessMethod', d.method.oid, d.method.tlv), loc],
          });
        });
        return [
          uintDec('pkix1implicit.AuthorityInfoAccessSyntax', 'AuthorityInfoAccessSyntax', kids.length, body.tlv.offset, body.tlv.end - body.tlv.offset, {
            text: `AuthorityInfoAccessSyntax: ${plural(kids.length)}`,
            children: kids,
          }),
        ];
      }
      case 'signedCertificateTimestamps': {
        const out: Field[] = [uintDec('tls.sct.scts_length', 'Serialized SCT List Length', body.listLength, body.listOffset, 2)];
        for (const s of body.scts) {
          const at = s.offset + 2;
          const ms = Number(s.timestamp);
          const ts = absoluteUtc(Math.floor(ms / 1000), (ms % 1000) * 1e6);
          const kids: Field[] = [
            uintDec('tls.sct.sct_length', 'Serialized SCT Length', s.length, s.offset, 2),
            uintDec('tls.sct.sct_version', 'SCT Version', s.version, at, 1),
            rawField('tls.sct.sct_logid', 'Log ID', 'bytes', s.logId, formatBytesHex(s.logId), at + 1, 32, { text: `Log ID: ${formatBytesHex(s.logId)}` }),
            rawField('tls.sct.sct_timestamp', 'Timestamp', 'time', ms / 1000, ts, at + 33, 8, { text: `Timestamp: ${ts}` }),
            uintDec('tls.sct.sct_extensions_length', 'Extensions length', s.extensionsLength, at + 41, 2),
          ];
          if (s.extensionsLength > 0) kids.push(noneField('tls.sct.sct_extensions', 'Extensions', at + 43, s.extensionsLength, { text: 'Extensions' }));
          const sig = at + 43 + s.extensionsLength;
          kids.push(sigHashField(s.signatureScheme, sig));
          kids.push(uintDec('tls.sct.sct_signature_length', 'Signature Length', s.signatureLength, sig + 2, 2));
          kids.push(
            rawField('tls.sct.sct_signature', 'Signature', 'bytes', s.signature, formatBytesHex(s.signature), sig + 4, s.signatureLength, {
              text: `Signature: ${bytesForText(s.signature)}`,
            }),
          );
          out.push(noneField('tls.sct', 'Signed Certificate Timestamp', s.offset, 2 + s.length, { text: 'Signed Certificate Timestamp', children: kids }));
        }
        return out;
      }
      case 'raw':
        return [];
    }
  }

  private userNotice(u: X509UserNotice): Field {
    const kids: Field[] = [];
    const display = (name: string, label: string, d: { tlv: DerTlv; text: string }): Field => {
      const c = DISPLAY_TEXT_CHOICE.get(d.tlv.tag) ?? { index: -1, name: 'unknown' };
      return this.choice(name, label, c.index, c.name, d.tlv, [this.str(`pkix1implicit.${c.name}`, c.name, d.text, d.tlv)]);
    };
    if (u.noticeRef !== undefined) {
      const r = u.noticeRef;
      const nums = r.numbers.map((n) =>
        rawField('pkix1implicit.noticeNumbers_item', 'noticeNumbers item', 'int', Number(n.value), String(n.value), n.tlv.contentOffset, n.tlv.length),
      );
      kids.push(
        noneField('pkix1implicit.noticeRef_element', 'noticeRef', r.tlv.offset, r.tlv.end - r.tlv.offset, {
          text: 'noticeRef',
          children: [
            display('pkix1implicit.organization', 'organization', r.organization),
            uintDec('pkix1implicit.noticeNumbers', 'noticeNumbers', nums.length, r.tlv.offset, 0, {
              text: `noticeNumbers: ${plural(nums.length)}`,
              children: nums,
            }),
          ],
        }),
      );
    }
    if (u.explicitText !== undefined) kids.push(display('pkix1implicit.explicitText', 'explicitText', u.explicitText));
    return noneField('pkix1implicit.UserNotice_element', 'UserNotice', u.tlv.offset, u.tlv.end - u.tlv.offset, { text: 'UserNotice', children: kids });
  }

  /** A DistinguishedName on its own (TLS names its SEQUENCE OF itself): its RDN items. */
  dn(start: number, end: number): Field[] {
    const n = decodeName(this.b, start, end, 'DistinguishedName');
    if (isDerError(n)) return [this.error(n)];
    const seq = this.name('', '', 'x509if.rdnSequence', n.name).children?.[0]?.children ?? [];
    return n.error !== undefined ? [...seq, this.error(n.error)] : seq;
  }

  /** The subject's DN text for the certificate's label. */
  subjectText(c: X509Certificate): string {
    return c.tbs?.subject !== undefined ? this.dnText(c.tbs.subject) : '';
  }
}

/**
 * The fields under one certificate of a TLS Certificate message: `der` lies at [start, end) of `b`
 * (the data source the TLS dissector reads). Adds the protocols reached to `out.layers`.
 */
export function certificateTree(b: Uint8Array, start: number, end: number, out: X509Output, bound = end): { fields: Field[]; subject: string } {
  const cert = decodeCertificateDer(b, start, end);
  const m = new X509Mapper(b, out);
  const fields = m.certificate(cert);
  // A length inside that runs past the whole buffer is where Wireshark's BER dissector throws.
  if (cert.error?.claimedEnd !== undefined && cert.error.claimedEnd > bound) out.exception = { offset: cert.error.offset, reason: cert.error.reason };
  return { fields, subject: m.subjectText(cert) };
}

/** The fields of a DistinguishedName (a TLS CertificateRequest's certificate_authorities entry). */
export function distinguishedNameTree(b: Uint8Array, start: number, end: number, out: X509Output): Field[] {
  const m = new X509Mapper(b, out);
  return m.dn(start, end);
}
