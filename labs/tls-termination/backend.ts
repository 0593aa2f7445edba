// The tls-termination lab's backend: netlab's HttpServer, plain or HTTPS, answering every request with
// what it saw of it (JSON): whether its own connection was TLS, the peer it came from, the request line,
// and the fields a proxy writes (Host, X-Forwarded-*, Forwarded, Via, X-Request-Id).

import type { TLSSocket } from 'node:tls';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';
import type { TlsIdentity } from '../../src/tls/index.ts';

export interface Seen {
  /** The backend's own connection was TLS. */
  readonly tls: boolean;
  /** With TLS: the server name the proxy asked for (SNI). */
  readonly servername: string;
  /** The address the connection came from (the proxy's). */
  readonly peer: string;
  readonly requestLine: string;
  readonly host: string;
  readonly xForwardedFor: string;
  readonly xForwardedProto: string;
  readonly forwarded: string;
  readonly via: string;
  readonly requestId: string;
}

const field = (req: HttpServerRequest, name: string): string =>
  req.head.fields
    .filter((f) => f.name.toLowerCase() === name)
    .map((f) => f.value)
    .join(', ');

export class EchoBackend {
  readonly seen: Seen[] = [];
  /** Connections accepted. */
  accepted = 0;
  private constructor(
    private readonly server: HttpServer,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(options: { host: string; identity?: TlsIdentity; tap?: TapRecorder }): Promise<EchoBackend> {
    const holder: { b?: EchoBackend } = {};
    const server = new HttpServer({
      ...(options.identity === undefined ? {} : { tls: { key: options.identity.key, cert: options.identity.cert } }),
      handler: (req, res) => holder.b?.handle(req, res),
      onConnection: (conn) => {
        if (holder.b !== undefined) holder.b.accepted++;
        options.tap?.tcp(conn.socket);
      },
      idleTimeoutMs: 10_000,
    });
    const addr = await server.listen(0, options.host);
    const b = new EchoBackend(server, options.host, addr.port);
    holder.b = b;
    return b;
  }

  private handle(req: HttpServerRequest, res: HttpServerResponse): void {
    req.body.discard();
    const socket = req.connection.socket as Partial<TLSSocket>;
    const s: Seen = {
      tls: socket.encrypted === true,
      servername: typeof socket.servername === 'string' ? socket.servername : '',
      peer: req.connection.socket.remoteAddress ?? '',
      requestLine: `${req.head.method} ${req.head.target} HTTP/${req.head.version}`,
      host: field(req, 'host'),
      xForwardedFor: field(req, 'x-forwarded-for'),
      xForwardedProto: field(req, 'x-forwarded-proto'),
      forwarded: field(req, 'forwarded'),
      via: field(req, 'via'),
      requestId: field(req, 'x-request-id'),
    };
    this.seen.push(s);
    const body = Buffer.from(`${JSON.stringify(s)}\n`, 'utf8');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  }

  close(): Promise<void> {
    return this.server.close(200);
  }
}
