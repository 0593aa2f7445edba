// An HTTP/1.1 server on netlab's own codec: a net.Server (or tls.Server) whose every connection is an
// HttpServerConnection. close() stops listening and drains: idle connections close now, the ones with
// requests in flight finish them first (or are destroyed after `graceMs`). With maxConnections, the
// connections above it wait in a bounded queue (accept-queue.ts) and get a 503 when it is full or
// their wait too long.

import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { NetlabError } from '../base/errors.ts';
import { AcceptQueue, type AcceptQueueEvent, type AcceptQueueStats } from './accept-queue.ts';
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
  /** Most connections served at once; more wait in a queue (HAProxy's maxconn), see `queue`. */
  readonly maxConnections?: number;
  /**
   * Above maxConnections: at most `maxQueued` connections wait (default 1024; 0 refuses at once), each
   * for at most `timeoutMs` (default 5000), then a 503 with Retry-After `retryAfterS` (default 1).
   */
  readonly queue?: { readonly maxQueued?: number | undefined; readonly timeoutMs?: number | undefined; readonly retryAfterS?: number | undefined };
  /** Told when a connection waits, is served after waiting, or is refused with a 503. */
  readonly onQueue?: (e: AcceptQueueEvent) => void;
}

export class HttpServer {
  readonly server: Server;
  private readonly conns = new Set<HttpServerConnection>();
  private readonly queue: AcceptQueue | undefined;

  constructor(options: HttpServerOptions) {
    const http1 = (socket: Socket): void => {
      const conn = new HttpServerConnection(socket, options);
      this.conns.add(conn);
      void conn.done.then(() => this.conns.delete(conn));
      options.onConnection?.(conn);
    };
    const divert = options.divert;
    const serve = divert === undefined ? http1 : (socket: Socket): void => divert(socket, http1);
    const max = options.maxConnections;
    this.queue =
      max === undefined
        ? undefined
        : new AcceptQueue(
            {
              maxConnections: max,
              ...(options.queue?.maxQueued === undefined ? {} : { maxQueued: options.queue.maxQueued }),
              ...(options.queue?.timeoutMs === undefined ? {} : { timeoutMs: options.queue.timeoutMs }),
              ...(options.queue?.retryAfterS === undefined ? {} : { retryAfterS: options.queue.retryAfterS }),
              ...(options.clock === undefined ? {} : { clock: options.clock }),
              ...(options.onQueue === undefined ? {} : { onEvent: options.onQueue }),
            },
            serve,
          );
    const queue = this.queue;
    const accept = queue === undefined ? serve : (socket: Socket): void => queue.accept(socket);
    this.server = options.tls === undefined ? createNetServer(accept) : createTlsServer(options.tls, accept);
  }

  /** The queue above maxConnections: its counters (undefined without maxConnections). */
  get queueStats(): Readonly<AcceptQueueStats> | undefined {
    return this.queue?.stats;
  }

  /** Connections waiting for a slot now. */
  get waiting(): number {
    return this.queue?.queueLength ?? 0;
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
    this.queue?.close();
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
    this.queue?.destroyLingering();
    await closed;
  }
}
