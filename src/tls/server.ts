// A TLS server for labs on Node's `tls`: TLS 1.3 (and 1.2), SNI choosing the certificate, ALPN, mTLS
// (client certificate required, verified against the CA and the CRLs, its subjectAltName checked),
// session resumption (tickets), key logs, certificate rotation without dropping open connections, and
// an optional socket tap that records the ciphertext (tap-transport.ts).
//
//   const srv = await TlsLabServer.start({ identity: { key, cert }, alpn: ['h2', 'http/1.1'],
//     onConnection: (socket, info) => { ... } });
//   srv.rotate(newIdentity);      // new handshakes get the new certificate, open ones keep theirs
//   await srv.close();
//
// A plain net.Server accepts and hands each connection to a tls.Server that never listens itself
// (`emit('connection')`, which Node documents for injecting connections): so the same TLS server
// takes a socket as it is (Node's fast path) or a tapped one over a relay.

import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, Server as TlsServer, type SecureContext, type SecureContextOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import type { TapRecorder } from '../capture/socket-tap.ts';
import { connectionInfo, type TlsConnectionInfo } from './info.ts';
import { keyLogFn, type KeyLogTarget } from './keylog.ts';
import { SocketRelay, tapTls } from './tap-transport.ts';
import { NetlabError } from '../base/errors.ts';

/** A certificate (PEM, the leaf followed by its intermediates) and its private key (PEM). */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

export interface ClientAuthOptions {
  /** The CA certificate(s) client certificates must chain to (PEM). */
  readonly ca: string | readonly string[];
  /** CRLs (PEM), one per CA of the chain: with them, a revoked client certificate is refused. */
  readonly crl?: readonly string[];
  /**
   * subjectAltName entries a client certificate must carry one of, written as Node and openssl show
   * them: 'URI:spiffe://netlab.test/alice', 'DNS:client.netlab.test', 'IP Address:127.0.0.1'.
   * Omitted: any certificate from the CA is accepted.
   */
  readonly allowedNames?: readonly string[];
}

export interface TlsServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (the kernel chooses; read `port`). */
  readonly port?: number;
  /** The certificate for clients that send no SNI or a name not in `sni`. */
  readonly identity: TlsIdentity;
  /** Certificates by server name: exact names or '*.example.test' wildcards. */
  readonly sni?: Readonly<Record<string, TlsIdentity>>;
  /** ALPN protocols in the server's order of preference (e.g. ['h2', 'http/1.1']). */
  readonly alpn?: readonly string[];
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** mTLS: require a client certificate. */
  readonly clientAuth?: ClientAuthOptions;
  /** Where the 'keylog' lines go (a KeyLog writes an SSLKEYLOGFILE and/or the capture's DSB). */
  readonly keyLog?: KeyLogTarget;
  /** Record every connection's TCP bytes (the ciphertext) in this capture. */
  readonly tap?: TapRecorder;
  /** A handshake not finished in this time is dropped (default 5000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** An idle connection is closed after this time (default 30000 ms). */
  readonly idleTimeoutMs?: number;
  /** Called for each connection that completed the handshake and passed the checks. */
  readonly onConnection?: (socket: TLSSocket, info: TlsConnectionInfo) => void;
}

/** Why the server refused a client. */
export interface Refusal {
  /**
   * 'handshake': TLS failed it (no common version, cipher or ALPN protocol; no client certificate;
   * a timeout), usually with an alert. 'client-certificate': the handshake finished but the client's
   * certificate did not pass (its chain, dates, revocation or names); the connection is then reset.
   */
  readonly stage: 'handshake' | 'client-certificate';
  readonly reason: string;
  /** Node's code: ERR_SSL_... for handshakes; CERT_HAS_EXPIRED, CERT_REVOKED, ..., CLIENT_NAME_NOT_ALLOWED. */
  readonly code?: string;
  readonly remote: string;
}

const CERT_REASONS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'the client certificate has expired',
  CERT_NOT_YET_VALID: 'the client certificate is not valid yet',
  CERT_REVOKED: "the client certificate is revoked (it is on its CA's CRL)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the client certificate was not issued by a CA this server trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'the client certificate was not issued by a CA this server trusts',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the client certificate was not issued by a CA this server trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'the client certificate chains to a root this server does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the client certificate is self-signed',
  UNABLE_TO_GET_CRL: "there is no CRL for a CA of the client certificate's chain",
  CRL_HAS_EXPIRED: 'the CRL has expired',
  CERT_SIGNATURE_FAILURE: "the client certificate's signature does not verify",
};

interface Events {
  secure: [info: TlsConnectionInfo, socket: TLSSocket];
  refused: [refusal: Refusal];
}

/** Node's subjectAltName string ("DNS:a, URI:b") as entries. */
export function subjectAltNames(san: string | undefined): string[] {
  if (san === undefined || san === '') return [];
  // Node quotes an entry that contains ", " or a quote as JSON; such entries are kept whole.
  const out: string[] = [];
  const re = /\s*([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/g;
  for (let m = re.exec(san); m !== null && m[0] !== ''; m = re.exec(san)) {
    const value = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    out.push(`${m[1].trim()}:${value}`);
  }
  return out;
}

export class TlsLabServer extends EventEmitter<Events> {
  private readonly net: Server;
  private readonly tls: TlsServer;
  private readonly contexts = new Map<string, SecureContext>();
  /** The identity behind each SNI context (to rebuild them when the CRLs change). */
  private readonly sniIdentities = new Map<string, TlsIdentity>();
  private readonly sockets = new Set<TLSSocket>();
  /**
   * Accepted TCP connections by remote endpoint, each with a promise settled when it is gone: when its
   * net.Socket closes, or its TLS socket does (a net.Socket whose handle TLS took emits no 'close').
   */
  private readonly connections = new Map<string, { raw: Socket; gone: Promise<void>; settle: () => void }>();
  private identity: TlsIdentity;
  private clientAuth: ClientAuthOptions | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: TlsServerOptions) {
    super();
    this.identity = options.identity;
    this.clientAuth = options.clientAuth;
    for (const [name, id] of Object.entries(options.sni ?? {})) this.setSniContext(name.toLowerCase(), id);
    const tlsOptions = {
      ...this.contextOptions(this.identity),
      ALPNProtocols: options.alpn !== undefined ? [...options.alpn] : undefined,
      // Node checks a client certificate after the handshake and, with rejectUnauthorized, drops the
      // connection without telling why; netlab checks it itself (onSecure) to report the reason.
      requestCert: options.clientAuth !== undefined,
      rejectUnauthorized: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 5000,
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => cb(null, this.contextFor(servername)),
    };
    this.tls = new TlsServer(tlsOptions, (socket) => this.onSecure(socket));
    this.tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.emit('refused', { stage: 'handshake', reason: err.message, code: err.code, remote: remoteOf(socket) });
      this.settleOnClose(socket);
      socket.destroy(); // a 'tlsClientError' listener owns the socket (Node leaves e.g. a timed-out one open)
    });
    const keyLog = options.keyLog !== undefined ? keyLogFn(options.keyLog) : undefined;
    if (keyLog !== undefined) this.tls.on('keylog', (line: Buffer) => keyLog(line));
    this.net = createServer({ allowHalfOpen: false }, (raw) => this.accept(raw));
  }

  /** Starts listening; resolves once the port is known. */
  static async start(options: TlsServerOptions): Promise<TlsLabServer> {
    const server = new TlsLabServer(options);
    await new Promise<void>((resolve, reject) => {
      server.net.once('error', reject);
      server.net.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.net.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  get port(): number {
    return (this.net.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.net.address() as AddressInfo).address;
  }

  /** Connections open now (handshake done). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Swaps in a new certificate: for `servername` (an `sni` entry) or the default one. New handshakes
   * use it at once; connections already open keep the one they were made with.
   */
  rotate(identity: TlsIdentity, servername?: string): void {
    if (servername === undefined) {
      this.identity = identity;
      this.replaceDefaultContext();
      return;
    }
    const name = servername.toLowerCase();
    if (!this.contexts.has(name))
      throw new NetlabError(
        'ERR_NOT_FOUND',
        `rotate: no certificate for "${servername}" (the server has: ${[...this.contexts.keys()].join(', ') || 'only the default'})`,
      );
    this.setSniContext(name, identity);
  }

  private setSniContext(name: string, identity: TlsIdentity): void {
    this.sniIdentities.set(name, identity);
    this.contexts.set(name, createSecureContext(this.contextOptions(identity)));
  }

  /** A new default context; the session ticket keys carry over, so earlier sessions still resume. */
  private replaceDefaultContext(): void {
    const keys = this.tls.getTicketKeys();
    this.tls.setSecureContext(this.contextOptions(this.identity));
    this.tls.setTicketKeys(keys);
  }

  /** Replaces the CRLs client certificates are checked against (e.g. after a revocation). */
  updateCrl(crl: readonly string[]): void {
    if (this.clientAuth === undefined) throw new NetlabError('ERR_STATE', 'updateCrl: this server does not ask for client certificates');
    this.clientAuth = { ...this.clientAuth, crl };
    this.replaceDefaultContext();
    for (const [name, id] of this.sniIdentities) this.setSniContext(name, id);
  }

  /**
   * Stops accepting, ends open connections (close_notify and FIN) and destroys what is still open after
   * `graceMs` (default 1000).
   */
  close(graceMs = 1000): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
      const gone = [...this.connections.values()].map((c) => c.gone);
      for (const t of this.sockets) t.end(); // handshakes in progress end at the grace time
      const timer = setTimeout(() => {
        for (const t of this.sockets) t.destroy();
        for (const c of this.connections.values()) c.raw.destroy();
      }, graceMs);
      await Promise.all(gone);
      clearTimeout(timer);
      await closed;
    })();
    return this.closing;
  }

  /** A TLS socket over a raw net.Socket (Node's fast path): its close ends the connection's record. */
  private settleOnClose(socket: TLSSocket): void {
    if (socket.remoteAddress === undefined) return; // over a relay: the net.Socket's own 'close' settles it
    const c = this.connections.get(`${socket.remoteAddress}|${socket.remotePort}`);
    if (c === undefined) return;
    if (socket.destroyed) c.settle();
    else socket.once('close', c.settle);
  }

  /** Why this client must be refused, or undefined when it may stay. */
  private checkClient(socket: TLSSocket): { code: string; reason: string } | undefined {
    const auth = this.clientAuth;
    if (auth === undefined) return undefined;
    const cert = socket.getPeerX509Certificate();
    if (cert === undefined) return { code: 'NO_CLIENT_CERTIFICATE', reason: 'the client sent no certificate' };
    if (!socket.authorized) {
      const code = String(socket.authorizationError ?? 'UNAUTHORIZED');
      return { code, reason: CERT_REASONS[code] ?? `the client certificate does not verify (${code})` };
    }
    if (auth.allowedNames !== undefined) {
      const names = subjectAltNames(cert.subjectAltName);
      if (!names.some((n) => auth.allowedNames?.includes(n))) {
        return {
          code: 'CLIENT_NAME_NOT_ALLOWED',
          reason: `the client certificate names ${names.length > 0 ? names.join(', ') : '(none)'}; allowed: ${auth.allowedNames.join(', ')}`,
        };
      }
    }
    return undefined;
  }

  private contextOptions(id: TlsIdentity): SecureContextOptions {
    const o: SecureContextOptions = {
      key: id.key,
      cert: id.cert,
      minVersion: this.options.minVersion ?? 'TLSv1.2',
      maxVersion: this.options.maxVersion ?? 'TLSv1.3',
    };
    if (this.clientAuth !== undefined) {
      o.ca = typeof this.clientAuth.ca === 'string' ? this.clientAuth.ca : [...this.clientAuth.ca];
      if (this.clientAuth.crl !== undefined && this.clientAuth.crl.length > 0) o.crl = [...this.clientAuth.crl];
    }
    return o;
  }

  private contextFor(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    const exact = this.contexts.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.contexts.get('*' + name.slice(dot)) : undefined;
  }

  private accept(raw: Socket): void {
    if (this.closing !== undefined) {
      raw.destroy();
      return;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    let settle = (): void => undefined;
    const gone = new Promise<void>((resolve) => (settle = resolve));
    this.connections.set(key, { raw, gone, settle });
    void gone.then(() => this.connections.delete(key));
    raw.on('close', settle);
    raw.on('error', () => undefined); // reported through the TLS socket
    if (this.options.tap !== undefined) {
      tapTls(this.options.tap, raw, 'server', (transport) => {
        this.tls.emit('connection', transport);
      });
    } else if (this.clientAuth !== undefined) {
      // Over a relay, so that a refused client's TCP connection can be reset (see onSecure).
      this.tls.emit('connection', new SocketRelay(raw));
    } else {
      this.tls.emit('connection', raw);
    }
  }

  private onSecure(socket: TLSSocket): void {
    socket.on('error', () => undefined); // a peer's reset after the handshake: the 'close' below cleans up
    const info = connectionInfo(socket, 'server');
    const refusal = this.checkClient(socket);
    if (refusal !== undefined) {
      this.emit('refused', { stage: 'client-certificate', ...refusal, remote: remoteOf(socket) });
      // Node can send no alert once the handshake is done (and a TLS 1.3 client has finished its side
      // already), so the connection is reset: the client sees ECONNRESET.
      const raw = tcpSocketOf(socket);
      if (raw !== undefined && !raw.destroyed) raw.resetAndDestroy();
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.settleOnClose(socket);
    if (this.closing !== undefined) {
      socket.end(); // the handshake finished while the server was closing
      return;
    }
    socket.setTimeout(this.options.idleTimeoutMs ?? 30_000, () => socket.destroy());
    this.emit('secure', info, socket);
    this.options.onConnection?.(socket, info);
  }
}

/**
 * The TCP socket under a TLS socket that runs over a SocketRelay (tapped connections and mTLS
 * servers): the TLS handle's `_parentWrap` is Node's JSStreamSocket, whose `stream` is the relay.
 * Undefined otherwise (or if Node's internals ever change; the caller then only destroys the TLS
 * socket). Resetting the net.Socket whose handle a TLS socket took over crashes Node 20, so that
 * case is never returned.
 */
function tcpSocketOf(socket: TLSSocket): Socket | undefined {
  const internals = socket as unknown as { _handle?: { _parentWrap?: { stream?: unknown } } | null };
  const stream = internals._handle?._parentWrap?.stream;
  return stream instanceof SocketRelay ? stream.socket : undefined;
}

function remoteOf(socket: TLSSocket): string {
  const raw = socket.remoteAddress !== undefined ? socket : tcpSocketOf(socket);
  return raw?.remoteAddress !== undefined ? `${raw.remoteAddress}:${raw.remotePort}` : 'unknown';
}
