// The long-polling lab's chat: backends on netlab's HttpServer that hold each inbox's long poll in
// memory, and clients that talk to them through netlab's reverse proxy on one keep-alive connection
// each (netlab's HttpClientConnection), with a cookie jar for the balancer's cookie.
//
//   GET  /hello                    200, names the backend (a client picks up its sticky cookie here)
//   GET  /poll?inbox=alice         held until a message for alice arrives (200 + JSON) or holdMs
//                                  passes (204); a poll whose connection closes is given up
//   POST /send?inbox=alice&id=m3   the body is the text; 202 names the backend that took it

import { connect, type Socket } from 'node:net';
import { HttpClientConnection, HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';
import type { TapRecorder } from '../../src/capture/index.ts';
import type { Channel, ChatMessage } from './channel.ts';

export interface BackendOptions {
  readonly name: string;
  readonly host: string;
  readonly channel: Channel;
  /** How long a poll is held before 204 (ms). */
  readonly holdMs: number;
  /** Tap the connections the backend accepts (the proxy's upstream side). */
  readonly tap?: TapRecorder;
}

export interface BackendStats {
  polls: number;
  /** Polls answered 204 after holdMs. */
  emptyPolls: number;
  /** Polls whose connection closed before an answer (the proxy gave up). */
  abandoned: number;
  posts: number;
}

export class ChatBackend {
  readonly name: string;
  readonly stats: BackendStats = { polls: 0, emptyPolls: 0, abandoned: 0, posts: 0 };
  /** Inboxes with a poll held here now. */
  readonly holding = new Set<string>();
  private readonly server: HttpServer;
  private readonly opts: BackendOptions;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  port = 0;

  private constructor(options: BackendOptions) {
    this.opts = options;
    this.name = options.name;
    this.server = new HttpServer({
      handler: (req, res) => this.handle(req, res),
      onConnection: (conn) => options.tap?.tcp(conn.socket),
      idleTimeoutMs: 10_000,
    });
  }

  static async start(options: BackendOptions): Promise<ChatBackend> {
    const b = new ChatBackend(options);
    b.port = (await b.server.listen(0, options.host)).port;
    return b;
  }

  get host(): string {
    return this.opts.host;
  }

  private json(res: HttpServerResponse, status: number, v: object): void {
    if (res.finished || res.aborted) return;
    const body = Buffer.from(`${JSON.stringify(v)}\n`, 'utf8');
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Backend': this.name });
    res.end(body);
  }

  private async handle(req: HttpServerRequest, res: HttpServerResponse): Promise<void> {
    const url = new URL(req.head.target, 'http://chat.netlab.test');
    const inbox = url.searchParams.get('inbox') ?? '';
    if (req.head.method === 'GET' && url.pathname === '/hello') {
      req.body.discard();
      this.json(res, 200, { backend: this.name });
      return;
    }
    if (req.head.method === 'POST' && url.pathname === '/send' && inbox !== '') {
      const text = await req.body.text();
      this.stats.posts++;
      const msg: ChatMessage = { id: url.searchParams.get('id') ?? `m${this.stats.posts}`, text, postedTo: this.name };
      this.opts.channel.publish(inbox, msg);
      this.json(res, 202, { backend: this.name, id: msg.id });
      return;
    }
    if (req.head.method === 'GET' && url.pathname === '/poll' && inbox !== '') {
      req.body.discard();
      this.stats.polls++;
      await new Promise<void>((resolve) => {
        let over = false;
        const finish = (): void => {
          over = true;
          this.holding.delete(inbox);
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          if (over) return;
          this.opts.channel.unsubscribe(inbox);
          this.stats.emptyPolls++;
          finish();
          if (!res.finished && !res.aborted) {
            res.writeHead(204, { 'X-Backend': this.name });
            res.end();
          }
        }, this.opts.holdMs);
        this.timers.add(timer);
        void req.connection.done.then(() => {
          if (over) return;
          this.opts.channel.unsubscribe(inbox);
          this.stats.abandoned++;
          finish();
        });
        this.holding.add(inbox);
        this.opts.channel.subscribe(inbox, (msgs) => {
          if (over) {
            // Crossed with the end of the poll: back to the channel for the next poll.
            for (const m of msgs) this.opts.channel.publish(inbox, m);
            return;
          }
          finish();
          this.json(res, 200, { backend: this.name, messages: msgs });
        });
      });
      return;
    }
    req.body.discard();
    this.json(res, 404, { error: `no ${req.head.method} ${url.pathname}` });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.server.close(200);
  }
}

/** One client of the chat through the proxy: a keep-alive connection, a cookie jar, a source address. */
export class ChatClient {
  readonly cookies = new Map<string, string>();
  private conn: HttpClientConnection | undefined;
  private socket: Socket | undefined;

  constructor(
    readonly name: string,
    private readonly proxy: { host: string; port: number },
    private readonly localAddress: string,
    private readonly tap: TapRecorder | undefined,
    private readonly responseTimeoutMs = 10_000,
  ) {}

  private async connection(): Promise<HttpClientConnection> {
    if (this.conn !== undefined && this.conn.state === 'idle') return this.conn;
    this.socket?.destroy();
    const s = connect({ host: this.proxy.host, port: this.proxy.port, localAddress: this.localAddress });
    this.tap?.tcp(s, { role: 'client' });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    this.socket = s;
    this.conn = new HttpClientConnection(s, { responseTimeoutMs: this.responseTimeoutMs });
    return this.conn;
  }

  /** One request; the status, the response's fields and its body as text. */
  async request(method: string, target: string, body?: string): Promise<{ status: number; fields: Map<string, string>; text: string }> {
    const conn = await this.connection();
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await conn.request({
      method,
      target,
      fields: [
        { name: 'Host', value: 'chat.netlab.test' },
        { name: 'User-Agent', value: `netlab-chat/${this.name}` },
        ...(cookie === '' ? [] : [{ name: 'Cookie', value: cookie }]),
        ...(body === undefined ? [] : [{ name: 'Content-Type', value: 'text/plain; charset=utf-8' }]),
      ],
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.body.text();
    const fields = new Map<string, string>();
    for (const f of res.head.fields) {
      const n = f.name.toLowerCase();
      if (n === 'set-cookie') {
        const first = f.value.split(';')[0];
        const eq = first.indexOf('=');
        if (eq > 0) this.cookies.set(first.slice(0, eq).trim(), first.slice(eq + 1).trim());
      }
      fields.set(n, f.value);
    }
    return { status: res.head.status, fields, text };
  }

  close(): void {
    this.conn?.close();
    this.socket?.end();
  }
}
