// An HTTP/1.1 server on netlab's own codec: a net.Server (or tls.Server) whose every connection is an
// HttpServerConnection. close() stops listening and drains: idle connections close now, the ones with
// requests in flight finish them first (or are destroyed after `graceMs`).

import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { NetlabError } from '../base/errors.ts';
import { HttpServerConnection, type HttpServerConnectionOptions } from './server-connection.ts';

export interface HttpServerOptions extends HttpServerConnectionOptions {
  /** Serve HTTPS with these options (key, cert, SNICallback...). */
  readonly tls?: TlsOptions;
  /** Told of each new connection. */
  readonly onConnection?: (conn: HttpServerConnection) => void;
  /**
   * Sees each accepted socket first (TLS: after the handshake) and either keeps it (another protocol:
   * HTTP/2 by ALPN or by its preface) or passes it to `http1`, which reads it as HTTP/1.x.
   */
  readonly divert?: (socket: Socket, http1: (socket: Socket) => void) => void;
  /** Most connections open at once (net.Server maxConnections: more are closed as they arrive). */
  readonly maxConnections?: number;
}

export class HttpServer {
  readonly server: Server;
  private readonly conns = new Set<HttpServerConnection>();

  constructor(options: HttpServerOptions) {
    const http1 = (socket: Socket): void => {
      const conn = new HttpServerConnection(socket, options);
      this.conns.add(conn);
      void conn.done.then(() => this.conns.delete(conn));
      options.onConnection?.(conn);
    };
    const divert = options.divert;
    const accept = divert === undefined ? http1 : (socket: Socket): void => divert(socket, http1);
    this.server = options.tls === undefined ? createNetServer(accept) : createTlsServer(options.tls, accept);
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
  }

  /** Open connections. */
  get connections(): ReadonlySet<HttpServerConnection> {
    return this.conns;
  }

  /** Listens (port 0 picks a free one) and resolves with the address bound. */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new NetlabError('ERR_IO', `listen on ${host}:${port}: ${err.message}`, { layer: 'http', cause: err }));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.address());
      });
    });
  }

  address(): AddressInfo {
    const a = this.server.address();
    if (a === null || typeof a === 'string')
      throw new NetlabError('ERR_STATE', 'the server is not listening on TCP', {
        layer: 'http',
      });
    return a;
  }

  /** Stops listening, drains every connection, destroys what is still open after graceMs. */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) c.drain();
    const all = Promise.all([...this.conns].map((c) => c.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of this.conns) c.destroy();
        resolve();
      }, graceMs);
    });
    await Promise.race([all, late]);
    clearTimeout(timer);
    await closed;
  }
}
