// Names for the TLS numbers the labs print (RFC 8446 and the IANA TLS registries).

export const CONTENT_TYPE: Readonly<Record<number, string>> = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };

export const HANDSHAKE_TYPE: Readonly<Record<number, string>> = {
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  13: 'CertificateRequest',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
};

export const CIPHER_SUITE: Readonly<Record<number, string>> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
};

export const GROUP: Readonly<Record<number, string>> = { 23: 'secp256r1', 24: 'secp384r1', 25: 'secp521r1', 29: 'x25519', 30: 'x448', 256: 'ffdhe2048' };

export const VERSION: Readonly<Record<number, string>> = { 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };

export const SIGNATURE_SCHEME: Readonly<Record<number, string>> = { 0x0403: 'ecdsa_secp256r1_sha256', 0x0804: 'rsa_pss_rsae_sha256', 0x0401: 'rsa_pkcs1_sha256' };

/** `NAME (n)`, or the number alone when it has no name here. */
export function named(table: Readonly<Record<number, string>>, n: number, hex = false): string {
  const num = hex ? `0x${n.toString(16).padStart(4, '0')}` : String(n);
  const name = table[n];
  return name === undefined ? num : `${name} (${num})`;
}
