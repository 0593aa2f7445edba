// netlab's TLS layer: a PKI made with node-forge (keys and signatures from Node's crypto), TLS/mTLS
// servers and clients on Node's `tls`, key logs, TLS over the socket tap, certificates as text.

export { buildCertificate, checkDnsName, checkIp, nameDer, randomSerial, serialHex } from './certificate.ts';
export type { CertificateSpec, ExtKeyUsageName, IssuedCertificate, KeyUsageName, NameSpec, Signer } from './certificate.ts';
export { certificatesFromFile, certificateText, CertificateFormatError, nameText, opensslTime } from './cert-text.ts';
export { buildCrl, serialBytes } from './crl.ts';
export type { Crl, CrlSpec, RevokedEntry } from './crl.ts';
export { generateKeyPair, keyIdentifier, keyPairFromPem, KEY_TYPES, privateKeyPem } from './keys.ts';
export type { KeyPair, KeyType } from './keys.ts';
export { KeyLog } from './keylog.ts';
export type { KeyLogOptions, KeyLogTarget } from './keylog.ts';
export { connectionInfo } from './info.ts';
export type { PeerCertificateInfo, TlsConnectionInfo } from './info.ts';
export { CertificateAuthority } from './pki.ts';
export type { CaOptions, Leaf, LeafOptions } from './pki.ts';
export { DEFAULT_PKI_DIR, initPki, loadPki, PKI_FILES, revokeInPki, saveLeaf } from './pki-store.ts';
export type { StoredPki } from './pki-store.ts';
export { subjectAltNames, TlsLabServer } from './server.ts';
export type { ClientAuthOptions, Refusal, TlsIdentity, TlsServerOptions } from './server.ts';
export { tlsConnect, TlsRefusedError } from './client.ts';
export type { TlsClient, TlsClientOptions } from './client.ts';
export { SocketRelay, tapTls } from './tap-transport.ts';
export { expiredWindow, notYetValidWindow, validFor, validityState } from './validity.ts';
export type { ValidityWindow } from './validity.ts';
