// A TLS client for labs on Node's `tls`: SNI, ALPN, a client certificate for mTLS, TLS 1.3 or 1.2,
// session resumption, key logs and an optional socket tap.
//
//   const c = await tlsConnect({ host: '127.0.0.1', port, servername: 'www.netlab.test', ca: root.certPem });
//   c.info.protocol;                       // 'TLSv1.3'
//   const ticket = await c.session();      // resume later with { session: ticket }
//   const reply = await c.exchange('GET / HTTP/1.1\r\n...');   // writes, ends, reads to the end
//
// Refusals come back as TlsRefusedError with Node's code (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ...). In TLS
// 1.3 the client finishes its handshake before the server has checked the client's certificate, so a
// server's refusal of it arrives as an alert on the first read: exchange() reports it.

import { X509Certificate } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnectRaw, type ConnectionOptions, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import type { TapRecorder } from '../capture/socket-tap.ts';
import { connectionInfo, type TlsConnectionInfo } from './info.ts';
import { keyLogFn, type KeyLogTarget } from './keylog.ts';
import type { TlsIdentity } from './server.ts';
import { tapTls } from './tap-transport.ts';

export interface TlsClientOptions {
  readonly host: string;
  readonly port: number;
  /** The local address to connect from (a lab's own 127.x address); default: the system's choice. */
  readonly localAddress?: string;
  /** SNI and the name the certificate must match; default: none (the certificate must match `host`). */
  readonly servername?: string;
  /** CA certificate(s) to trust (PEM). Default: Node's bundled roots. */
  readonly ca?: string | readonly string[];
  /** A client certificate for mTLS. */
  readonly identity?: TlsIdentity;
  readonly alpn?: readonly string[];
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** A session from an earlier connection's session() to resume. */
  readonly session?: Buffer;
  /** false: finish the handshake even with an untrusted certificate (info.authorized says so). Default true. */
  readonly verify?: boolean;
  readonly keyLog?: KeyLogTarget;
  readonly tap?: TapRecorder;
  /** Connect + handshake must finish within this time (default 5000 ms); also the idle limit of exchange(). */
  readonly timeoutMs?: number;
}

/** The server refused the connection, or the client refused the server. */
export class TlsRefusedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'TlsRefusedError';
  }
}

export interface TlsClient {
  readonly socket: TLSSocket;
  readonly info: TlsConnectionInfo;
  /** The session to resume with (TLS 1.3 sends its ticket after the handshake; this waits for it). */
  session(timeoutMs?: number): Promise<Buffer>;
  /** Writes `request`, ends the sending side, and reads until the server closes. */
  exchange(request: string | Uint8Array): Promise<Buffer>;
  /** Closes (close_notify, FIN) and waits for the socket to close. */
  close(): Promise<void>;
}

function toRefusal(err: unknown): TlsRefusedError {
  const e = err as NodeJS.ErrnoException;
  return e instanceof TlsRefusedError ? e : new TlsRefusedError(e.message, e.code);
}

export async function tlsConnect(options: TlsClientOptions): Promise<TlsClient> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const sessions: Buffer[] = [];
  const sessionWaiters: ((s: Buffer) => void)[] = [];
  const tlsOptions: ConnectionOptions = {
    servername: options.servername,
    ca: options.ca === undefined ? undefined : typeof options.ca === 'string' ? options.ca : [...options.ca],
    key: options.identity?.key,
    cert: options.identity?.cert,
    ALPNProtocols: options.alpn !== undefined ? [...options.alpn] : undefined,
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    session: options.session,
    rejectUnauthorized: options.verify !== false,
  };
  if (options.servername === undefined) {
    // No SNI (Node never sends an IP literal as SNI); the certificate is checked against the host.
    tlsOptions.checkServerIdentity = (_host: string, cert: PeerCertificate) => checkServerIdentity(options.host, cert);
  }
  let raw: Socket | undefined;
  let socket: TLSSocket;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TlsRefusedError(`no TLS handshake with ${options.host}:${options.port} within ${timeoutMs} ms`, 'ETIMEDOUT')),
      timeoutMs,
    );
  });
  deadline.catch(() => undefined); // handled where it is raced; never an unhandled rejection
  try {
    if (options.tap !== undefined) {
      const tap = options.tap;
      // Tapped once connected (the tap reads the socket's addresses then).
      const r = netConnect({ host: options.host, port: options.port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
      raw = r;
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          r.once('connect', () => resolve());
          r.once('error', reject);
        }),
        deadline,
      ]);
      socket = tapTls(tap, r, 'client', (transport) => tlsConnectRaw({ ...tlsOptions, socket: transport }));
    } else {
      socket = tlsConnectRaw({
        ...tlsOptions,
        host: options.host,
        port: options.port,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
    }
  } catch (e) {
    clearTimeout(timer);
    raw?.destroy();
    throw toRefusal(e);
  }
  if (options.keyLog !== undefined) {
    const log = keyLogFn(options.keyLog);
    socket.on('keylog', (line: Buffer) => log(line));
  }
  socket.on('session', (s: Buffer) => {
    sessions.push(s);
    for (const w of sessionWaiters.splice(0)) w(s);
  });
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => resolve());
        socket.once('error', reject);
      }),
      deadline,
    ]);
  } catch (e) {
    socket.destroy();
    raw?.destroy();
    throw toRefusal(e);
  } finally {
    clearTimeout(timer);
  }
  let failure: Error | undefined;
  socket.on('error', (e) => {
    failure ??= e;
  });
  // Node 20's getPeerX509Certificate() on a client socket hands the peer's certificate over to the
  // first caller and takes it out of OpenSSL's chain (X509Certificate::GetPeerCert), so a second call
  // returns undefined and getPeerCertificate() then finds nothing either. Read it once here, from
  // getPeerCertificate()'s DER (which takes nothing away), and answer every later call with it.
  const peerDer = socket.getPeerCertificate(true)?.raw;
  const peerX509 = peerDer !== undefined && peerDer.length > 0 ? new X509Certificate(peerDer) : undefined;
  Object.defineProperty(socket, 'getPeerX509Certificate', { value: (): X509Certificate | undefined => peerX509, configurable: true, writable: true });
  const info = connectionInfo(socket, 'client');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    info,
    session: (waitMs = timeoutMs) => {
      if (sessions.length > 0) return Promise.resolve(sessions[sessions.length - 1]);
      return new Promise<Buffer>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no session ticket within ${waitMs} ms`)), waitMs);
        sessionWaiters.push((s) => {
          clearTimeout(t);
          resolve(s);
        });
      });
    },
    exchange: (request) =>
      new Promise<Buffer>((resolve, reject) => {
        const parts: Buffer[] = [];
        socket.setTimeout(timeoutMs, () => socket.destroy(new TlsRefusedError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT')));
        socket.on('data', (d: Buffer) => parts.push(d));
        socket.once('close', () => {
          socket.setTimeout(0);
          if (failure !== undefined) reject(toRefusal(failure));
          else resolve(Buffer.concat(parts));
        });
        socket.end(request);
      }),
    close: async () => {
      socket.end();
      const t = setTimeout(() => socket.destroy(), timeoutMs);
      await closed;
      clearTimeout(t);
    },
  };
}
