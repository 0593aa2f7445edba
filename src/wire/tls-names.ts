// Names of TLS code points (IANA TLS registries, RFC 8446, RFC 5246), spelled as Wireshark 4.0 shows
// them, so that the codec can speak of cipher suites, groups and signature schemes by name and the
// dissector can print what tshark prints. Data only.

/** Record content types (RFC 8446 §5.1, RFC 6520 heartbeat, RFC 9146 tls12_cid). */
export const CONTENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  20: 'Change Cipher Spec',
  21: 'Alert',
  22: 'Handshake',
  23: 'Application Data',
  24: 'Heartbeat',
  25: 'Connection ID',
};

export const CONTENT_TYPE = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23, heartbeat: 24 } as const;

/** Handshake message types. */
export const HANDSHAKE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Hello Request',
  1: 'Client Hello',
  2: 'Server Hello',
  3: 'Hello Verify Request',
  4: 'New Session Ticket',
  5: 'End of Early Data',
  6: 'Hello Retry Request',
  8: 'Encrypted Extensions',
  11: 'Certificate',
  12: 'Server Key Exchange',
  13: 'Certificate Request',
  14: 'Server Hello Done',
  15: 'Certificate Verify',
  16: 'Client Key Exchange',
  17: 'Client Identity',
  20: 'Finished',
  21: 'Certificate URL',
  22: 'Certificate Status',
  23: 'Supplemental Data',
  24: 'Key Update',
  25: 'Compressed Certificate',
  67: 'Encrypted Extensions',
};

export const HANDSHAKE_TYPE = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

/** Protocol versions as the tree names them ("TLS 1.2"). */
export const VERSION_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'SSL 2.0',
  0x0300: 'SSL 3.0',
  0x0301: 'TLS 1.0',
  0x0302: 'TLS 1.1',
  0x0303: 'TLS 1.2',
  0x0304: 'TLS 1.3',
  0x0101: 'TLCP',
  0xfeff: 'DTLS 1.0',
  0xfefd: 'DTLS 1.2',
  0xfefc: 'DTLS 1.3',
  0x0100: 'DTLS 1.0 (OpenSSL pre 0.9.8f)',
};

/** Short version names, as the Protocol column and the record label use them ("TLSv1.2"). */
export const VERSION_SHORT_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'SSLv2',
  0x0300: 'SSLv3',
  0x0301: 'TLSv1',
  0x0302: 'TLSv1.1',
  0x0303: 'TLSv1.2',
  0x0304: 'TLSv1.3',
  0x0101: 'TLCP',
};

/** True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa). */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/** A version's name, with TLS 1.3 drafts (0x7fNN) and GREASE as Wireshark prints them. */
export function versionName(v: number): string {
  const known = VERSION_NAMES[v];
  if (known !== undefined) return known;
  if (isGrease(v)) return 'Reserved (GREASE)';
  if ((v & 0xff00) === 0x7f00) return `TLS 1.3 (draft ${v & 0xff})`;
  return 'Unknown';
}

/** Cipher suites (IANA names; the TLS 1.3 ones, RFC 8446 §B.4). */
export const CIPHER_SUITE_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'TLS_NULL_WITH_NULL_NULL',
  0x0001: 'TLS_RSA_WITH_NULL_MD5',
  0x0002: 'TLS_RSA_WITH_NULL_SHA',
  0x0004: 'TLS_RSA_WITH_RC4_128_MD5',
  0x0005: 'TLS_RSA_WITH_RC4_128_SHA',
  0x000a: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  0x0013: 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA',
  0x0016: 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0032: 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA',
  0x0033: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  0x0038: 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA',
  0x0039: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
  0x003c: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  0x003d: 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  0x0040: 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256',
  0x0041: 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA',
  0x0045: 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA',
  0x0067: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  0x006a: 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256',
  0x006b: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  0x0084: 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA',
  0x0088: 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA',
  0x008c: 'TLS_PSK_WITH_AES_128_CBC_SHA',
  0x008d: 'TLS_PSK_WITH_AES_256_CBC_SHA',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0x009e: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  0x009f: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  0x00a2: 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256',
  0x00a3: 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384',
  0x00a8: 'TLS_PSK_WITH_AES_128_GCM_SHA256',
  0x00a9: 'TLS_PSK_WITH_AES_256_GCM_SHA384',
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0x1304: 'TLS_AES_128_CCM_SHA256',
  0x1305: 'TLS_AES_128_CCM_8_SHA256',
  0x5600: 'TLS_FALLBACK_SCSV',
  0xc009: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  0xc00a: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  0xc011: 'TLS_ECDHE_RSA_WITH_RC4_128_SHA',
  0xc012: 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA',
  0xc013: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  0xc014: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  0xc023: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  0xc024: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc028: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xc02d: 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02e: 'TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc031: 'TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256',
  0xc032: 'TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384',
  0xc050: 'TLS_RSA_WITH_ARIA_128_GCM_SHA256',
  0xc051: 'TLS_RSA_WITH_ARIA_256_GCM_SHA384',
  0xc052: 'TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256',
  0xc053: 'TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384',
  0xc054: 'TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256',
  0xc055: 'TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384',
  0xc056: 'TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256',
  0xc057: 'TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384',
  0xc058: 'TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256',
  0xc059: 'TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384',
  0xc05a: 'TLS_DH_anon_WITH_ARIA_128_GCM_SHA256',
  0xc05b: 'TLS_DH_anon_WITH_ARIA_256_GCM_SHA384',
  0xc05c: 'TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256',
  0xc05d: 'TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384',
  0xc05e: 'TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256',
  0xc05f: 'TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384',
  0xc060: 'TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256',
  0xc061: 'TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384',
  0xc0a2: 'TLS_DHE_RSA_WITH_AES_128_CCM_8',
  0xc0a3: 'TLS_DHE_RSA_WITH_AES_256_CCM_8',
  0xc09c: 'TLS_RSA_WITH_AES_128_CCM',
  0xc09d: 'TLS_RSA_WITH_AES_256_CCM',
  0xc09e: 'TLS_DHE_RSA_WITH_AES_128_CCM',
  0xc09f: 'TLS_DHE_RSA_WITH_AES_256_CCM',
  0xc0a0: 'TLS_RSA_WITH_AES_128_CCM_8',
  0xc0a1: 'TLS_RSA_WITH_AES_256_CCM_8',
  0xc0ac: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM',
  0xc0ad: 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM',
  0xc0ae: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8',
  0xc0af: 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0xccaa: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xccab: 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xccac: 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  0xccad: 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
};

/** A cipher suite's name, "Reserved (GREASE)" or "Unknown". */
export function cipherSuiteName(v: number): string {
  return CIPHER_SUITE_NAMES[v] ?? (isGrease(v) ? 'Reserved (GREASE)' : 'Unknown');
}

/** The number of a cipher suite given by IANA name, or undefined. */
export function cipherSuiteByName(name: string): number | undefined {
  for (const [k, v] of Object.entries(CIPHER_SUITE_NAMES)) if (v === name) return Number(k);
  return undefined;
}

/** How a suite exchanges keys, as far as the ServerKeyExchange layout depends on it. */
export type KeyExchange = 'ecdhe' | 'dhe' | 'rsa' | 'psk' | 'tls13' | 'unknown';

export function cipherSuiteKeyExchange(v: number): KeyExchange {
  const name = CIPHER_SUITE_NAMES[v];
  if (name === undefined) return 'unknown';
  if (v >= 0x1301 && v <= 0x1305) return 'tls13';
  if (name.startsWith('TLS_ECDHE_') && !name.includes('_PSK_')) return 'ecdhe';
  if (name.startsWith('TLS_DHE_') && !name.includes('_PSK_')) return 'dhe';
  if (name.startsWith('TLS_RSA_')) return 'rsa';
  if (name.includes('PSK')) return 'psk';
  return 'unknown';
}

/** Extension types (IANA "TLS ExtensionType Values", Wireshark's spelling). */
export const EXTENSION_NAMES: Readonly<Record<number, string>> = {
  0: 'server_name',
  1: 'max_fragment_length',
  2: 'client_certificate_url',
  3: 'trusted_ca_keys',
  4: 'truncated_hmac',
  5: 'status_request',
  6: 'user_mapping',
  7: 'client_authz',
  8: 'server_authz',
  9: 'cert_type',
  10: 'supported_groups',
  11: 'ec_point_formats',
  12: 'srp',
  13: 'signature_algorithms',
  14: 'use_srtp',
  15: 'heartbeat',
  16: 'application_layer_protocol_negotiation',
  17: 'status_request_v2',
  18: 'signed_certificate_timestamp',
  19: 'client_certificate_type',
  20: 'server_certificate_type',
  21: 'padding',
  22: 'encrypt_then_mac',
  23: 'extended_master_secret',
  24: 'token_binding',
  25: 'cached_info',
  26: 'quic_transports_parameters',
  27: 'compress_certificate',
  28: 'record_size_limit',
  29: 'pwd_protect',
  30: 'pwd_clear',
  31: 'password_salt',
  32: 'ticket_pinning',
  33: 'tls_cert_with_extern_psk',
  34: 'delegated_credentials',
  35: 'session_ticket',
  36: 'TLMSP',
  37: 'TLMSP_proxying',
  38: 'TLMSP_delegate',
  39: 'supported_ekt_ciphers',
  41: 'pre_shared_key',
  42: 'early_data',
  43: 'supported_versions',
  44: 'cookie',
  45: 'psk_key_exchange_modes',
  47: 'certificate_authorities',
  48: 'oid_filters',
  49: 'post_handshake_auth',
  50: 'signature_algorithms_cert',
  51: 'key_share',
  52: 'transparency_info',
  53: 'connection_id_deprecated',
  54: 'connection_id',
  55: 'external_id_hash',
  56: 'external_session_id',
  57: 'quic_transport_parameters',
  58: 'ticket_request',
  59: 'dnssec_chain',
  13172: 'next_protocol_negotiation',
  17513: 'application_settings',
  65037: 'encrypted_client_hello',
  65281: 'renegotiation_info',
};

export const EXTENSION = {
  serverName: 0,
  statusRequest: 5,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  alpn: 16,
  statusRequestV2: 17,
  padding: 21,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  recordSizeLimit: 28,
  sessionTicket: 35,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  renegotiationInfo: 65281,
} as const;

export function extensionName(t: number): string {
  return EXTENSION_NAMES[t] ?? (isGrease(t) ? 'Reserved (GREASE)' : 'Unknown');
}

/** Named groups (supported_groups, key_share). */
export const GROUP_NAMES: Readonly<Record<number, string>> = {
  1: 'sect163k1',
  2: 'sect163r1',
  3: 'sect163r2',
  15: 'secp160k1',
  16: 'secp160r1',
  17: 'secp160r2',
  18: 'secp192k1',
  19: 'secp192r1',
  20: 'secp224k1',
  21: 'secp224r1',
  22: 'secp256k1',
  23: 'secp256r1',
  24: 'secp384r1',
  25: 'secp521r1',
  26: 'brainpoolP256r1',
  27: 'brainpoolP384r1',
  28: 'brainpoolP512r1',
  29: 'x25519',
  30: 'x448',
  31: 'brainpoolP256r1tls13',
  32: 'brainpoolP384r1tls13',
  33: 'brainpoolP512r1tls13',
  34: 'GC256A',
  35: 'GC256B',
  36: 'GC256C',
  37: 'GC256D',
  38: 'GC512A',
  39: 'GC512B',
  40: 'GC512C',
  41: 'curveSM2',
  256: 'ffdhe2048',
  257: 'ffdhe3072',
  258: 'ffdhe4096',
  259: 'ffdhe6144',
  260: 'ffdhe8192',
  0x6399: 'X25519Kyber768Draft00',
  0xfe30: 'X25519Kyber512Draft00',
  0xff01: 'arbitrary_explicit_prime_curves',
  0xff02: 'arbitrary_explicit_char2_curves',
};

export function groupName(g: number): string {
  return GROUP_NAMES[g] ?? (isGrease(g) ? 'Reserved (GREASE)' : 'Unknown');
}

/** The number of a named group by name ("x25519"), or undefined. */
export function groupByName(name: string): number | undefined {
  for (const [k, v] of Object.entries(GROUP_NAMES)) if (v === name) return Number(k);
  return undefined;
}

/** Signature schemes (RFC 8446 §4.2.3) and the TLS 1.2 hash/signature pairs Wireshark names. */
export const SIGNATURE_SCHEME_NAMES: Readonly<Record<number, string>> = {
  0x0201: 'rsa_pkcs1_sha1',
  0x0202: 'SHA1 DSA',
  0x0203: 'ecdsa_sha1',
  0x0301: 'SHA224 RSA',
  0x0302: 'SHA224 DSA',
  0x0303: 'SHA224 ECDSA',
  0x0401: 'rsa_pkcs1_sha256',
  0x0402: 'SHA256 DSA',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0420: 'rsa_pkcs1_sha256_legacy',
  0x0501: 'rsa_pkcs1_sha384',
  0x0502: 'SHA384 DSA',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0520: 'rsa_pkcs1_sha384_legacy',
  0x0601: 'rsa_pkcs1_sha512',
  0x0602: 'SHA512 DSA',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0620: 'rsa_pkcs1_sha512_legacy',
  0x0704: 'eccsi_sha256',
  0x0705: 'iso_ibs1',
  0x0706: 'iso_ibs2',
  0x0707: 'iso_chinese_ibs',
  0x0708: 'sm2sig_sm3',
  0x0709: 'gostr34102012_256a',
  0x070a: 'gostr34102012_256b',
  0x070b: 'gostr34102012_256c',
  0x070c: 'gostr34102012_256d',
  0x070d: 'gostr34102012_512a',
  0x070e: 'gostr34102012_512b',
  0x070f: 'gostr34102012_512c',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
  0x081a: 'ecdsa_brainpoolP256r1tls13_sha256',
  0x081b: 'ecdsa_brainpoolP384r1tls13_sha384',
  0x081c: 'ecdsa_brainpoolP512r1tls13_sha512',
};

export function signatureSchemeName(v: number): string {
  return SIGNATURE_SCHEME_NAMES[v] ?? (isGrease(v) ? 'Reserved (GREASE)' : 'Unknown');
}

export function signatureSchemeByName(name: string): number | undefined {
  for (const [k, v] of Object.entries(SIGNATURE_SCHEME_NAMES)) if (v === name) return Number(k);
  return undefined;
}

/** The TLS 1.2 HashAlgorithm names Wireshark applies to a scheme's high byte. */
export const HASH_ALGORITHM_NAMES: Readonly<Record<number, string>> = { 0: 'None', 1: 'MD5', 2: 'SHA1', 3: 'SHA224', 4: 'SHA256', 5: 'SHA384', 6: 'SHA512' };

/** The TLS 1.2 SignatureAlgorithm names Wireshark applies to a scheme's low byte. */
export const SIGNATURE_ALGORITHM_NAMES: Readonly<Record<number, string>> = { 0: 'Anonymous', 1: 'RSA', 2: 'DSA', 3: 'ECDSA', 4: 'SM2' };

/** Compression methods. */
export const COMPRESSION_NAMES: Readonly<Record<number, string>> = { 0: 'null', 1: 'DEFLATE', 64: 'LZS' };

/** EC point formats. */
export const EC_POINT_FORMAT_NAMES: Readonly<Record<number, string>> = { 0: 'uncompressed', 1: 'ansiX962_compressed_prime', 2: 'ansiX962_compressed_char2' };

/** psk_key_exchange_modes values. */
export const PSK_KE_MODE_NAMES: Readonly<Record<number, string>> = {
  0: 'PSK-only key establishment (psk_ke)',
  1: 'PSK with (EC)DHE key establishment (psk_dhe_ke)',
};

/** Alert levels and descriptions (RFC 8446 §6). */
export const ALERT_LEVEL_NAMES: Readonly<Record<number, string>> = { 1: 'Warning', 2: 'Fatal' };

export const ALERT_DESCRIPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'Close Notify',
  10: 'Unexpected Message',
  20: 'Bad Record MAC',
  21: 'Decryption Failed',
  22: 'Record Overflow',
  30: 'Decompression Failure',
  40: 'Handshake Failure',
  41: 'No Certificate',
  42: 'Bad Certificate',
  43: 'Unsupported Certificate',
  44: 'Certificate Revoked',
  45: 'Certificate Expired',
  46: 'Certificate Unknown',
  47: 'Illegal Parameter',
  48: 'Unknown CA',
  49: 'Access Denied',
  50: 'Decode Error',
  51: 'Decrypt Error',
  60: 'Export Restriction',
  70: 'Protocol Version',
  71: 'Insufficient Security',
  80: 'Internal Error',
  86: 'Inappropriate Fallback',
  90: 'User Canceled',
  100: 'No Renegotiation',
  109: 'Missing Extension',
  110: 'Unsupported Extension',
  111: 'Certificate Unobtainable',
  112: 'Unrecognized Name',
  113: 'Bad Certificate Status Response',
  114: 'Bad Certificate Hash Value',
  115: 'Unknown PSK Identity',
  116: 'Certificate Required',
  120: 'No application Protocol',
};

/** Certificate status types (status_request). */
export const CERT_STATUS_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'OCSP', 2: 'OCSP Multi' };

/** Server name types. */
export const SERVER_NAME_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'host_name' };

/** EC curve types of a ServerKeyExchange. */
export const EC_CURVE_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'explicit_prime', 2: 'explicit_char2', 3: 'named_curve' };

/**
 * The random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of "HelloRetryRequest". A ServerHello
 * with this random is a HelloRetryRequest.
 */
export const HELLO_RETRY_REQUEST_RANDOM: Readonly<Uint8Array> = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e,
  0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);
