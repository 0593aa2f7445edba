// A certificate as text, line for line the way `openssl x509 -text -noout` (OpenSSL 3.0) prints it,
// followed by the line `openssl x509 -noout -fingerprint -sha256` prints. Read from the DER with
// forge's ASN.1 parser, so any X.509 certificate shows (RSA, EC, Ed25519 keys), not only netlab's.

import { createHash } from 'node:crypto';
import { ASN1_TYPE as T, children, content, dateOf, fromDer, isContext, isUniversal, oidOf, type Asn1 } from './der.ts';

const NAME_SHORT: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

const CURVES: Readonly<Record<string, { name: string; nist?: string; bits: number }>> = {
  '1.2.840.10045.3.1.7': { name: 'prime256v1', nist: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'secp384r1', nist: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'secp521r1', nist: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
};

const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'TLS Web Server Authentication',
  '1.3.6.1.5.5.7.3.2': 'TLS Web Client Authentication',
  '1.3.6.1.5.5.7.3.3': 'Code Signing',
  '1.3.6.1.5.5.7.3.4': 'E-mail Protection',
  '1.3.6.1.5.5.7.3.8': 'Time Stamping',
  '1.3.6.1.5.5.7.3.9': 'OCSP Signing',
  '2.5.29.37.0': 'Any Extended Key Usage',
};

const KEY_USAGE_BITS = [
  'Digital Signature',
  'Non Repudiation',
  'Key Encipherment',
  'Data Encipherment',
  'Key Agreement',
  'Certificate Sign',
  'CRL Sign',
  'Encipher Only',
  'Decipher Only',
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

const hexColon = (b: Uint8Array, upper = false): string => {
  const parts = Array.from(b, (x) => x.toString(16).padStart(2, '0'));
  return (upper ? parts.map((p) => p.toUpperCase()) : parts).join(':');
};

/** openssl's hex blocks: `perLine` bytes a line, each line but the last ending with ':'. */
function hexBlock(b: Uint8Array, perLine: number, indent: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += perLine) {
    const chunk = hexColon(b.subarray(i, i + perLine));
    lines.push(' '.repeat(indent) + chunk + (i + perLine < b.length ? ':' : ''));
  }
  return lines;
}

/** ASN1_TIME_print: "Jan  1 00:00:00 2060 GMT". */
export function opensslTime(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

/** A string value's bytes as UTF-8, whatever its ASN.1 string type. */
function stringBytes(n: Asn1): Buffer {
  const raw = content(n);
  if (n.type === T.BMPSTRING) {
    const chars: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) chars.push(String.fromCharCode(raw.readUInt16BE(i)));
    return Buffer.from(chars.join(''), 'utf8');
  }
  if ((n.type as number) === 28) {
    // UniversalString (UTF-32BE)
    const chars: string[] = [];
    for (let i = 0; i + 3 < raw.length; i += 4) chars.push(String.fromCodePoint(raw.readUInt32BE(i)));
    return Buffer.from(chars.join(''), 'utf8');
  }
  if (n.type === T.UTF8) return raw;
  // PrintableString, IA5String, T61String, VisibleString: one byte a character (OpenSSL reads them
  // as Latin-1 and converts to UTF-8).
  return Buffer.from(raw.toString('latin1'), 'utf8');
}

/** One value escaped as OpenSSL's oneline format does (RFC 2253 specials quoted, bytes >= 0x80 and controls as \XX). */
function escapeValue(bytes: Buffer): string {
  let out = '';
  let quote = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    const ch = String.fromCharCode(c);
    const first = i === 0;
    const last = i === bytes.length - 1;
    if (c >= 0x80 || c < 0x20 || c === 0x7f) out += '\\' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (',+<>;'.includes(ch) || (first && (ch === '#' || ch === ' ')) || (last && ch === ' ')) {
      quote = true;
      out += ch;
    } else out += ch;
  }
  return quote ? `"${out}"` : out;
}

/** A Name as `C = ES, O = netlab, CN = x` (multi-valued RDNs joined with " + "). */
export function nameText(name: Asn1): string {
  return children(name)
    .map((rdn) =>
      children(rdn)
        .map((atv) => {
          const [type, value] = children(atv);
          const o = oidOf(type) ?? '?';
          return `${NAME_SHORT[o] ?? o} = ${value !== undefined ? escapeValue(stringBytes(value)) : ''}`;
        })
        .join(' + '),
    )
    .join(', ');
}

function ipText(b: Buffer): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16).toUpperCase());
    return groups.join(':');
  }
  return '<invalid>';
}

/** GeneralNames as openssl prints them. */
function generalNamesText(names: Asn1[]): string {
  return names
    .map((g) => {
      if (g.tagClass !== 0x80) return '<unsupported>';
      switch (g.type) {
        case 1:
          return `email:${content(g).toString('latin1')}`;
        case 2:
          return `DNS:${content(g).toString('latin1')}`;
        case 4:
          return `DirName:${nameText(children(g)[0] ?? g)
            .replace(/ = /g, '=')
            .replace(/, /g, '/')}`;
        case 6:
          return `URI:${content(g).toString('latin1')}`;
        case 7:
          return `IP Address:${ipText(content(g))}`;
        case 8:
          return `Registered ID:${oidOf({ ...g, tagClass: 0, type: T.OID } as Asn1) ?? '?'}`;
        default:
          return '<unsupported>';
      }
    })
    .join(', ');
}

const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  '2.5.29.19': 'X509v3 Basic Constraints',
  '2.5.29.15': 'X509v3 Key Usage',
  '2.5.29.37': 'X509v3 Extended Key Usage',
  '2.5.29.17': 'X509v3 Subject Alternative Name',
  '2.5.29.18': 'X509v3 Issuer Alternative Name',
  '2.5.29.14': 'X509v3 Subject Key Identifier',
  '2.5.29.35': 'X509v3 Authority Key Identifier',
};

/** The value lines of one extension (without indentation), or undefined when netlab does not know it. */
function extensionLines(id: string, value: Asn1): string[] | undefined {
  switch (id) {
    case '2.5.29.19': {
      const items = children(value);
      const ca = items.find((n) => isUniversal(n, T.BOOLEAN));
      const path = items.find((n) => isUniversal(n, T.INTEGER));
      const isCa = ca !== undefined && content(ca)[0] !== 0;
      const pathText = path !== undefined ? `, pathlen:${BigInt('0x' + (content(path).toString('hex') || '0'))}` : '';
      return [`CA:${isCa ? 'TRUE' : 'FALSE'}${pathText}`];
    }
    case '2.5.29.15': {
      const b = content(value);
      const bitsSet: string[] = [];
      for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
        const byte = b[1 + (i >> 3)];
        if (byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0) bitsSet.push(KEY_USAGE_BITS[i]);
      }
      return [bitsSet.join(', ')];
    }
    case '2.5.29.37':
      return [
        children(value)
          .map((n) => {
            const o = oidOf(n) ?? '?';
            return EKU_NAMES[o] ?? o;
          })
          .join(', '),
      ];
    case '2.5.29.17':
    case '2.5.29.18':
      return [generalNamesText(children(value))];
    case '2.5.29.14':
      return [hexColon(content(value), true)];
    case '2.5.29.35': {
      const lines: string[] = [];
      for (const n of children(value)) {
        if (isContext(n, 0)) lines.push(hexColon(content(n), true));
        else if (isContext(n, 1)) lines.push(generalNamesText(children(n)));
        else if (isContext(n, 2)) lines.push(`serial:${hexColon(content(n), true)}`);
      }
      return lines;
    }
    default:
      return undefined;
  }
}

function publicKeyLines(spki: Asn1): string[] {
  const [alg, key] = children(spki);
  const [algOid, params] = children(alg);
  const o = oidOf(algOid) ?? '?';
  const keyBytes = content(key).subarray(1);
  const lines = [`            Public Key Algorithm: ${ALGORITHMS[o] ?? o}`];
  if (o === '1.2.840.113549.1.1.1') {
    let n: Buffer = Buffer.alloc(0);
    let e = 0n;
    try {
      const [mod, exp] = children(fromDer(keyBytes));
      n = content(mod);
      e = BigInt('0x' + (content(exp).toString('hex') || '0'));
    } catch {
      // a broken RSA key: shown as far as it goes
    }
    let i = 0;
    while (i < n.length - 1 && n[i] === 0) i++;
    const bitsLen = (n.length - i) * 8 - Math.clz32(n[i] ?? 0) + 24;
    lines.push(
      `                Public-Key: (${bitsLen} bit)`,
      '                Modulus:',
      ...hexBlock(n, 15, 20),
      `                Exponent: ${e} (0x${e.toString(16)})`,
    );
  } else if (o === '1.2.840.10045.2.1') {
    const curveOid = oidOf(params) ?? '?';
    const curve = CURVES[curveOid];
    lines.push(
      `                Public-Key: (${curve?.bits ?? (keyBytes.length - 1) * 4} bit)`,
      '                pub:',
      ...hexBlock(keyBytes, 15, 20),
      `                ASN1 OID: ${curve?.name ?? curveOid}`,
    );
    if (curve?.nist !== undefined) lines.push(`                NIST CURVE: ${curve.nist}`);
  } else if (o === '1.3.101.112' || o === '1.3.101.113') {
    lines.push(`                ${o === '1.3.101.112' ? 'ED25519' : 'ED448'} Public-Key:`, '                pub:', ...hexBlock(keyBytes, 15, 20));
  } else {
    lines.push(...hexBlock(keyBytes, 15, 16));
  }
  return lines;
}

/** The serial the way openssl prints it: decimal and hex on one line when it fits a long, else hex bytes. */
function serialLines(serial: Asn1): string[] {
  const b = content(serial);
  const negative = b.length > 0 && (b[0] & 0x80) !== 0;
  let mag = b;
  if (!negative) {
    let i = 0;
    while (i < mag.length - 1 && mag[i] === 0) i++;
    mag = mag.subarray(i);
  }
  if (!negative && mag.length <= 8 && (mag.length < 8 || (mag[0] & 0x80) === 0)) {
    const v = BigInt('0x' + (mag.toString('hex') || '0'));
    return [`        Serial Number: ${v} (0x${v.toString(16)})`];
  }
  return ['        Serial Number:', `            ${negative ? '(Negative)' : ''}${hexColon(mag)}`];
}

/** PEM (one or more certificates) or DER to the DER of each certificate. */
export function certificatesFromFile(bytes: Uint8Array, what = 'file'): Buffer[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const found = [...text.matchAll(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g)];
    if (found.length === 0) throw new CertificateFormatError(`${what}: PEM without a CERTIFICATE block (a key or a CRL?)`);
    return found.map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
  }
  if (bytes.length > 0 && bytes[0] === 0x30) return [Buffer.from(bytes)];
  throw new CertificateFormatError(`${what}: neither PEM nor DER`);
}

/** `openssl x509 -text -noout` + `-fingerprint -sha256` of one certificate (DER). */
export function certificateText(der: Uint8Array): string {
  let cert: Asn1;
  try {
    cert = fromDer(der);
  } catch (e) {
    throw new CertificateFormatError(`not a DER certificate: ${(e as Error).message}`);
  }
  const [tbs, sigAlg, sig] = children(cert);
  const fields = children(tbs);
  if (tbs === undefined || sigAlg === undefined || sig === undefined || fields.length < 6)
    throw new CertificateFormatError(
      'not an X.509 certificate (the structure is not Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature })',
    );
  let i = 0;
  let version = 0;
  if (isContext(fields[0], 0)) {
    version = Number(BigInt('0x' + (content(children(fields[0])[0]).toString('hex') || '0')));
    i = 1;
  }
  const [serial, , issuer, validity, subject, spki] = fields.slice(i, i + 6);
  const rest = fields.slice(i + 6);
  const [notBefore, notAfter] = children(validity).map((n) => dateOf(n));
  const sigName = ALGORITHMS[oidOf(children(sigAlg)[0]) ?? ''] ?? oidOf(children(sigAlg)[0]) ?? '?';
  const lines = [
    'Certificate:',
    '    Data:',
    `        Version: ${version + 1} (0x${version.toString(16)})`,
    ...serialLines(serial),
    `        Signature Algorithm: ${sigName}`,
    `        Issuer: ${nameText(issuer)}`,
    '        Validity',
    `            Not Before: ${notBefore !== undefined ? opensslTime(notBefore) : 'Bad time value'}`,
    `            Not After : ${notAfter !== undefined ? opensslTime(notAfter) : 'Bad time value'}`,
    `        Subject: ${nameText(subject)}`,
    '        Subject Public Key Info:',
    ...publicKeyLines(spki),
  ];
  const exts = rest.find((n) => isContext(n, 3));
  if (exts !== undefined) {
    lines.push('        X509v3 extensions:');
    for (const ext of children(children(exts)[0])) {
      const parts = children(ext);
      const id = oidOf(parts[0]) ?? '?';
      const critical = parts.length === 3 && isUniversal(parts[1], T.BOOLEAN) && content(parts[1])[0] !== 0;
      const octets = content(parts[parts.length - 1]);
      let value: Asn1 | undefined;
      try {
        value = fromDer(octets);
      } catch {
        value = undefined;
      }
      const known = value !== undefined ? extensionLines(id, value) : undefined;
      lines.push(`            ${EXTENSION_NAMES[id] ?? id}: ${critical ? 'critical' : ''}`);
      if (known !== undefined) lines.push(...known.map((l) => '                ' + l));
      else lines.push(...hexBlock(octets, 18, 16));
    }
  }
  lines.push(`    Signature Algorithm: ${sigName}`, '    Signature Value:', ...hexBlock(content(sig).subarray(1), 18, 8));
  const fp = createHash('sha256').update(der).digest();
  lines.push(`sha256 Fingerprint=${hexColon(fp, true)}`);
  return lines.join('\n') + '\n';
}
