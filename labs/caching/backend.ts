// The caching-and-compression lab's backend: netlab's HttpServer that counts every request it gets
// (per path, and whether it was conditional), writes Date from the lab's wall clock (which the lab
// moves forward instead of waiting), answers If-None-Match with 304, and serves the lab's pages:
// cacheable, private, no-store, varying, slow, stale-while-revalidate, the three bodies of the
// compression table, one already gzipped, one no-transform, and the account page that reflects a
// search next to a secret token.

import { gzipSync } from 'node:zlib';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';
import { BODIES } from './bodies.ts';
import { accountPage } from './breach.ts';

export interface BackendRequest {
  readonly target: string;
  readonly ifNoneMatch: string;
}

const field = (req: HttpServerRequest, name: string): string =>
  req.head.fields
    .filter((f) => f.name.toLowerCase() === name)
    .map((f) => f.value)
    .join(', ');

/** The ETag of the article: its version. */
export const ARTICLE_ETAG = '"article-v1"';

export class CountingBackend {
  readonly seen: BackendRequest[] = [];
  /** How long /slow takes to answer. */
  slowMs = 150;
  /** The secret token the account page holds. */
  secret = '';
  /** The account page masks its token per response (a BREACH defence), when true. */
  maskToken = false;
  private swrVersion = 0;
  private constructor(
    private readonly server: HttpServer,
    readonly host: string,
    readonly port: number,
    private readonly now: () => number,
  ) {}

  static async start(options: { host: string; now: () => number; tap?: TapRecorder }): Promise<CountingBackend> {
    const holder: { b?: CountingBackend } = {};
    const server = new HttpServer({
      handler: (req, res) => holder.b?.handle(req, res),
      onConnection: (conn) => options.tap?.tcp(conn.socket),
      idleTimeoutMs: 10_000,
    });
    const addr = await server.listen(0, options.host);
    const b = new CountingBackend(server, options.host, addr.port, options.now);
    holder.b = b;
    return b;
  }

  /** Requests received for a path (the query left out). */
  count(path: string): number {
    return this.seen.filter((s) => s.target.split('?')[0] === path).length;
  }

  private async handle(req: HttpServerRequest, res: HttpServerResponse): Promise<void> {
    req.body.discard();
    const target = req.head.target;
    const inm = field(req, 'if-none-match');
    this.seen.push({ target, ifNoneMatch: inm });
    const path = target.split('?')[0] ?? target;
    const date = new Date(this.now()).toUTCString();
    const send = (status: number, headers: Record<string, string>, body: string | Buffer): void => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(status, { Date: date, ...headers, 'Content-Length': String(bytes.length) });
      res.end(bytes);
    };
    switch (path) {
      case '/article':
        if (inm === ARTICLE_ETAG) {
          res.writeHead(304, { Date: date, ETag: ARTICLE_ETAG, 'Cache-Control': 'max-age=10' });
          res.end();
          return;
        }
        return send(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=10', ETag: ARTICLE_ETAG }, BODIES.json.slice(0, 2048));
      case '/greeting': {
        const lang = field(req, 'accept-language');
        const text = lang.startsWith('fr') ? 'Bonjour' : lang.startsWith('de') ? 'Guten Tag' : 'Hello';
        return send(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' }, `${text} (#${this.seen.length})\n`);
      }
      case '/account':
        return send(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'private, max-age=60' }, `your account (#${this.seen.length})\n`);
      case '/basket':
        return send(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }, `your basket (#${this.seen.length})\n`);
      case '/slow':
        await new Promise((r) => setTimeout(r, this.slowMs));
        return send(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' }, `slow answer #${this.count('/slow')}\n`);
      case '/scores':
        this.swrVersion++;
        return send(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=2, stale-while-revalidate=30' }, `scores version ${this.swrVersion}\n`);
      case '/page.html':
        return send(200, { 'Content-Type': 'text/html; charset=utf-8' }, BODIES.html);
      case '/data.json':
        return send(200, { 'Content-Type': 'application/json' }, BODIES.json);
      case '/notes.txt':
        return send(200, { 'Content-Type': 'text/plain; charset=utf-8' }, BODIES.text);
      case '/already.json':
        return send(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, gzipSync(BODIES.json, { level: 6 }));
      case '/no-transform.json':
        return send(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-transform' }, BODIES.json);
      case '/search': {
        const q = new URLSearchParams(target.slice(target.indexOf('?') + 1)).get('q') ?? '';
        return send(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, accountPage(this.secret, q, this.maskToken));
      }
      default:
        return send(404, { 'Content-Type': 'text/plain' }, `no page ${path}\n`);
    }
  }

  close(): Promise<void> {
    return this.server.close(200);
  }
}
