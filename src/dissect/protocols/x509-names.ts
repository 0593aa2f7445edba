// Object identifiers as Wireshark 4.0 names them in X.509 trees, and which of its BER dissectors an
// OBJECT IDENTIFIER hands a value to (call_ber_oid_callback): that dissector's protocol joins
// frame.protocols (x509sat for directory attributes, x509ce for most extensions, pkix1implicit for
// authorityInfoAccess and user notices, pkix1explicit for CPS pointers, pkcs-1 for EC and RSASSA-PSS
// parameters, tls for signed certificate timestamps). Algorithms whose parameters are NULL are taken
// by a callback that consumes nothing, so they add no protocol.

export const OID_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'id-at-commonName',
  '2.5.4.4': 'id-at-surname',
  '2.5.4.5': 'id-at-serialNumber',
  '2.5.4.6': 'id-at-countryName',
  '2.5.4.7': 'id-at-localityName',
  '2.5.4.8': 'id-at-stateOrProvinceName',
  '2.5.4.9': 'id-at-streetAddress',
  '2.5.4.10': 'id-at-organizationName',
  '2.5.4.11': 'id-at-organizationalUnitName',
  '2.5.4.12': 'id-at-title',
  '2.5.4.13': 'id-at-description',
  '2.5.4.15': 'id-at-businessCategory',
  '2.5.4.17': 'id-at-postalCode',
  '2.5.4.41': 'id-at-name',
  '2.5.4.42': 'id-at-givenName',
  '2.5.4.43': 'id-at-initials',
  '2.5.4.44': 'id-at-generationQualifier',
  '2.5.4.46': 'id-at-dnQualifier',
  '2.5.4.65': 'id-at-pseudonym',
  '1.2.840.113549.1.9.1': 'pkcs-9-at-emailAddress',
  '0.9.2342.19200300.100.1.25': 'dc',
  '0.9.2342.19200300.100.1.1': 'id-userid',
  '1.3.6.1.4.1.311.20.2.3': 'id-ms-user-principal-name',
  '2.16.840.1.113730.1.1': 'ns-cert-exts.cert_type',
  '2.16.840.1.113730.1.13': 'ns-cert-exts.comment',
  '1.3.6.1.5.5.7.1.24': 'id-pe-tlsfeature',
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.8': 'id-mgf1',
  '1.2.840.113549.1.1.10': 'id-RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10045.3.1.7': 'secp256r1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
  '1.2.840.10040.4.1': 'id-dsa',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.5.29.14': 'id-ce-subjectKeyIdentifier',
  '2.5.29.15': 'id-ce-keyUsage',
  '2.5.29.16': 'id-ce-privateKeyUsagePeriod',
  '2.5.29.17': 'id-ce-subjectAltName',
  '2.5.29.18': 'id-ce-issuerAltName',
  '2.5.29.19': 'id-ce-basicConstraints',
  '2.5.29.30': 'id-ce-nameConstraints',
  '2.5.29.31': 'id-ce-cRLDistributionPoints',
  '2.5.29.32': 'id-ce-certificatePolicies',
  '2.5.29.33': 'id-ce-policyMappings',
  '2.5.29.35': 'id-ce-authorityKeyIdentifier',
  '2.5.29.36': 'id-ce-policyConstraints',
  '2.5.29.37': 'id-ce-extKeyUsage',
  '2.5.29.46': 'id-ce-freshestCRL',
  '2.5.29.54': 'id-ce-inhibitAnyPolicy',
  '2.5.29.32.0': 'anyPolicy',
  '1.3.6.1.5.5.7.1.1': 'id-pe-authorityInfoAccess',
  '1.3.6.1.5.5.7.1.11': 'id-pe-subjectInfoAccess',
  '1.3.6.1.5.5.7.2.1': 'id-qt-cps',
  '1.3.6.1.5.5.7.2.2': 'id-qt-unotice',
  '1.3.6.1.5.5.7.3.1': 'id-kp-serverAuth',
  '1.3.6.1.5.5.7.3.2': 'id-kp-clientAuth',
  '1.3.6.1.5.5.7.3.3': 'id-kp-codeSigning',
  '1.3.6.1.5.5.7.3.4': 'id-kp-emailProtection',
  '1.3.6.1.5.5.7.3.8': 'id-kp-timeStamping',
  '1.3.6.1.5.5.7.3.9': 'id-kp-OCSPSigning',
  '1.3.6.1.5.5.7.48.1': 'id-ad-ocsp',
  '1.3.6.1.5.5.7.48.2': 'id-ad-caIssuers',
  '1.3.6.1.4.1.11129.2.4.2': 'SignedCertificateTimestampList',
};

const FIRST_ARC = ['itu-t', 'iso', 'joint-iso-itu-t'];

/** An OID's name, or Wireshark's fallback: the first arc named, the rest in numbers. */
export function oidName(oid: string): string {
  const n = OID_NAMES[oid];
  if (n !== undefined) return n;
  const dot = oid.indexOf('.');
  const first = FIRST_ARC[Number(dot < 0 ? oid : oid.slice(0, dot))];
  return first === undefined ? oid : first + (dot < 0 ? '' : oid.slice(dot));
}

/** How x509sat shows an attribute type's value. */
export type AttributeSyntax = 'DirectoryString' | 'PrintableString' | 'IA5String' | 'CountryName';

const DIRECTORY_STRING_ATTRS = [
  '2.5.4.2',
  '2.5.4.3',
  '2.5.4.4',
  '2.5.4.7',
  '2.5.4.7.1',
  '2.5.4.8',
  '2.5.4.8.1',
  '2.5.4.9',
  '2.5.4.9.1',
  '2.5.4.10',
  '2.5.4.10.1',
  '2.5.4.11',
  '2.5.4.11.1',
  '2.5.4.12',
  '2.5.4.13',
  '2.5.4.15',
  '2.5.4.17',
  '2.5.4.17.1',
  '2.5.4.18',
  '2.5.4.18.1',
  '2.5.4.19',
  '2.5.4.19.1',
  '2.5.4.41',
  '2.5.4.42',
  '2.5.4.43',
  '2.5.4.44',
  '2.5.4.51',
  '2.5.4.54',
  '2.5.4.65',
  '1.2.840.113549.1.9.7',
  '1.2.840.113549.1.9.8',
  '1.2.840.113549.1.9.13',
  '1.3.6.1.5.5.7.9.2',
];

/** Attribute types x509sat dissects, with the syntax it reads them as. */
export const ATTRIBUTE_SYNTAX: ReadonlyMap<string, AttributeSyntax> = new Map<string, AttributeSyntax>([
  ...DIRECTORY_STRING_ATTRS.map((o): [string, AttributeSyntax] => [o, 'DirectoryString']),
  ['2.5.4.6', 'CountryName'],
  ['2.5.4.5', 'PrintableString'],
  ['2.5.4.46', 'PrintableString'],
  ['1.3.6.1.5.5.7.9.3', 'PrintableString'],
  ['1.3.6.1.5.5.7.9.4', 'PrintableString'],
  ['1.3.6.1.5.5.7.9.5', 'PrintableString'],
  ['1.2.840.113549.1.9.1', 'IA5String'],
  ['0.9.2342.19200300.100.1.25', 'IA5String'],
]);

/** DirectoryString's choices, by universal tag: the choice index and the field's name. */
export const DIRECTORY_STRING_CHOICE: ReadonlyMap<number, { index: number; name: string }> = new Map([
  [20, { index: 0, name: 'teletexString' }],
  [19, { index: 1, name: 'printableString' }],
  [28, { index: 2, name: 'universalString' }],
  [30, { index: 3, name: 'bmpString' }],
  [12, { index: 4, name: 'uTF8String' }],
]);

/** Extensions and the protocol whose dissector reads them. */
export const EXTENSION_PROTOCOL: ReadonlyMap<string, string> = new Map([
  ...[
    '2.5.29.3',
    '2.5.29.9',
    '2.5.29.14',
    '2.5.29.15',
    '2.5.29.16',
    '2.5.29.17',
    '2.5.29.18',
    '2.5.29.19',
    '2.5.29.20',
    '2.5.29.21',
    '2.5.29.23',
    '2.5.29.27',
    '2.5.29.28',
    '2.5.29.29',
    '2.5.29.30',
    '2.5.29.31',
    '2.5.29.32',
    '2.5.29.33',
    '2.5.29.35',
    '2.5.29.36',
    '2.5.29.37',
    '2.5.29.40',
    '2.5.29.44',
    '2.5.29.45',
    '2.5.29.46',
    '2.5.29.47',
    '2.5.29.53',
    '2.5.29.54',
    '1.3.6.1.4.1.311.21.7',
    '1.3.6.1.4.1.311.21.10',
  ].map((o): [string, string] => [o, 'x509ce']),
  ['1.3.6.1.5.5.7.1.1', 'pkix1implicit'],
  ['1.3.6.1.5.5.7.1.11', 'pkix1implicit'],
  ['1.3.6.1.5.5.7.1.24', 'pkix1explicit'],
  ...['1', '2', '3', '4', '7', '8', '12', '13'].map((n): [string, string] => [`2.16.840.1.113730.1.${n}`, 'ns_cert_exts']),
  ['1.3.6.1.4.1.11129.2.4.2', 'tls'],
]);

/** The userid attribute type: x509af reads it as a string. */
export const USERID_OID = '0.9.2342.19200300.100.1.1';

/** otherName types a registered dissector reads (the user principal name is a UTF8String to x509sat). */
export const OTHER_NAME_SYNTAX: ReadonlyMap<string, { proto: string; field: string; tag: number }> = new Map([
  ['1.3.6.1.4.1.311.20.2.3', { proto: 'x509sat', field: 'x509sat.UTF8String', tag: 12 }],
]);

/** Algorithms whose (non-NULL) parameters a registered dissector reads, and its protocol. */
export const ALGORITHM_PARAMS_PROTOCOL: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10045.2.1', 'pkcs-1'],
  ['1.2.840.113549.1.1.10', 'pkcs-1'],
  ['1.2.840.113549.1.1.8', 'pkcs-1'],
  ['1.2.840.10040.4.1', 'x509af'],
]);

/** Policy qualifiers and the protocol that reads them. */
export const QUALIFIER_PROTOCOL: ReadonlyMap<string, string> = new Map([
  ['1.3.6.1.5.5.7.2.1', 'pkix1explicit'],
  ['1.3.6.1.5.5.7.2.2', 'pkix1implicit'],
]);

/** GeneralName choice names. */
export const GENERAL_NAME_NAMES = [
  'otherName',
  'rfc822Name',
  'dNSName',
  'x400Address',
  'directoryName',
  'ediPartyName',
  'uniformResourceIdentifier',
  'iPAddress',
  'registeredID',
];

/** DisplayText choices (RFC 5280 §4.2.1.4) by universal tag. */
export const DISPLAY_TEXT_CHOICE: ReadonlyMap<number, { index: number; name: string }> = new Map([
  [22, { index: 0, name: 'ia5String' }],
  [26, { index: 1, name: 'visibleString' }],
  [30, { index: 2, name: 'bmpString' }],
  [12, { index: 3, name: 'utf8String' }],
]);
