// What a finished handshake agreed, read from a TLSSocket (for labs, tests and the command line).

import type { TLSSocket } from 'node:tls';

export interface PeerCertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly subjectAltName: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
}

export interface TlsConnectionInfo {
  readonly side: 'client' | 'server';
  /** 'TLSv1.3', 'TLSv1.2'. */
  readonly protocol: string;
  /** The cipher suite's standard name (TLS_AES_256_GCM_SHA384, ECDHE-...). */
  readonly cipher: string;
  /** The ALPN protocol chosen, or undefined when none was. */
  readonly alpn: string | undefined;
  /** The server name the client asked for (SNI), when known on this side. */
  readonly servername: string | undefined;
  /** True when the session was resumed (a ticket/PSK, no certificate sent). */
  readonly resumed: boolean;
  /** The peer's certificate (undefined when it sent none, or on resumption). */
  readonly peer: PeerCertificateInfo | undefined;
  readonly authorized: boolean;
  readonly authorizationError: string | undefined;
}

export function connectionInfo(socket: TLSSocket, side: 'client' | 'server'): TlsConnectionInfo {
  const cert = socket.getPeerX509Certificate();
  const cipher = socket.getCipher();
  const servername = (socket as unknown as { servername?: unknown }).servername;
  const alpn = socket.alpnProtocol;
  const authError = socket.authorizationError as unknown;
  return {
    side,
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher.standardName ?? cipher.name,
    alpn: typeof alpn === 'string' ? alpn : undefined,
    servername: typeof servername === 'string' ? servername : undefined,
    resumed: socket.isSessionReused(),
    peer:
      cert === undefined
        ? undefined
        : {
            subject: cert.subject.replace(/\n/g, ', '),
            issuer: cert.issuer.replace(/\n/g, ', '),
            serial: cert.serialNumber.toLowerCase(),
            subjectAltName: cert.subjectAltName ?? '',
            validFrom: cert.validFrom,
            validTo: cert.validTo,
            fingerprint256: cert.fingerprint256,
          },
    authorized: socket.authorized,
    authorizationError: authError === null || authError === undefined ? undefined : String(authError),
  };
}
