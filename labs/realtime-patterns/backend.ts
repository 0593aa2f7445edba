// The realtime-patterns lab's backend: one node:http server (one event loop) that publishes numbered
// messages and hands them out four ways: GET /short?since=N answers at once (a JSON array, maybe
// empty), GET /long?since=N holds the request until a message after N exists (or holdMs pass: 204),
// GET /events is a text/event-stream (Last-Event-ID replays what the client missed), and a `ws`
// WebSocket server on the same port pushes each message as a text frame (permessage-deflate on).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TapRecorder } from '../../src/capture/index.ts';

export interface Message {
  readonly id: number;
  readonly text: string;
  /** performance.now() when it was published. */
  readonly at: number;
}

interface HeldPoll {
  readonly since: number;
  readonly res: ServerResponse;
  readonly timer: NodeJS.Timeout;
}

export class RealtimeBackend {
  readonly messages: Message[] = [];
  readonly held = new Set<HeldPoll>();
  readonly streams = new Set<ServerResponse>();
  /** The Last-Event-ID of each /events request (undefined when it had none), in arrival order. */
  readonly lastEventIds: (string | undefined)[] = [];
  /** Each WebSocket upgrade request as the backend received it. */
  readonly upgrades: IncomingMessage[] = [];
  readonly stats = { short: 0, long: 0, events: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly listener: NetServer,
    readonly wss: WebSocketServer,
    readonly address: { host: string; port: number },
    private readonly holdMs: number,
  ) {}

  static async start(o: { host: string; holdMs: number; tap?: TapRecorder; retryMs?: number }): Promise<RealtimeBackend> {
    const server = createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 256 } });
    // node:http's parser reads an accepted socket's handle directly, past the JS stream a tap watches;
    // so a plain net server accepts, taps the socket, marks its handle as already consumed (the parser
    // then reads through the stream, where the tap sees every byte) and hands it to the HTTP server.
    const listener = createNetServer((s: Socket) => {
      o.tap?.tcp(s);
      s.on('error', () => undefined);
      const handle = (s as unknown as { _handle?: { _consumed?: boolean } })._handle;
      if (handle !== undefined && o.tap !== undefined) handle._consumed = true;
      server.emit('connection', s);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, o.host, () => resolve());
    });
    const a = listener.address();
    if (a === null || typeof a === 'string') throw new Error('the backend has no address');
    const b = new RealtimeBackend(listener, wss, { host: o.host, port: a.port }, o.holdMs);
    server.on('connection', (s: Socket) => {
      b.sockets.add(s);
      s.once('close', () => b.sockets.delete(s));
    });
    server.on('request', (req, res) => b.handle(req, res, o.retryMs ?? 150));
    wss.on('connection', (ws: WebSocket, req) => {
      b.upgrades.push(req);
      ws.on('error', () => undefined);
    });
    return b;
  }

  private after(since: number): Message[] {
    return this.messages.filter((m) => m.id > since);
  }

  private handle(req: IncomingMessage, res: ServerResponse, retryMs: number): void {
    const url = new URL(req.url ?? '/', 'http://backend');
    const since = Number(url.searchParams.get('since') ?? '0') || 0;
    if (url.pathname === '/short') {
      this.stats.short++;
      this.json(res, this.after(since));
      return;
    }
    if (url.pathname === '/long') {
      this.stats.long++;
      const ready = this.after(since);
      if (ready.length > 0) {
        this.json(res, ready);
        return;
      }
      const poll: HeldPoll = {
        since,
        res,
        timer: setTimeout(() => {
          this.held.delete(poll);
          res.writeHead(204).end();
        }, this.holdMs),
      };
      this.held.add(poll);
      res.once('close', () => {
        clearTimeout(poll.timer);
        this.held.delete(poll);
      });
      return;
    }
    if (url.pathname === '/events') {
      this.stats.events++;
      const last = req.headers['last-event-id'];
      const lastId = typeof last === 'string' ? last : undefined;
      this.lastEventIds.push(lastId);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      // How long the client waits before reconnecting, then what it missed since its last id.
      res.write(`retry: ${retryMs}\n\n`);
      for (const m of this.after(Number(lastId ?? '0') || 0)) res.write(sseEvent(m));
      this.streams.add(res);
      res.once('close', () => this.streams.delete(res));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }

  private json(res: ServerResponse, list: readonly Message[]): void {
    const body = JSON.stringify(list.map((m) => ({ id: m.id, text: m.text })));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  }

  /** Publishes the next message: answers every held poll, writes it to every stream and socket. */
  publish(text: string): Message {
    const m: Message = { id: this.messages.length + 1, text, at: performance.now() };
    this.messages.push(m);
    for (const p of [...this.held]) {
      clearTimeout(p.timer);
      this.held.delete(p);
      this.json(p.res, this.after(p.since));
    }
    for (const s of this.streams) s.write(sseEvent(m));
    for (const ws of this.wss.clients) ws.send(JSON.stringify({ id: m.id, text: m.text }));
    return m;
  }

  /** Ends every open event stream (the last chunk: the response is complete). */
  endStreams(): void {
    for (const s of this.streams) s.end();
  }

  /** Ends the event streams (their last chunk sent), drops held polls, closes every socket. */
  async close(): Promise<void> {
    for (const s of this.streams) s.end();
    for (const p of this.held) {
      clearTimeout(p.timer);
      p.res.destroy();
    }
    this.held.clear();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.listener.close(() => resolve());
      // Give ended streams a moment to flush their last chunk before the sockets go.
      setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, 20);
    });
  }
}

export const sseEvent = (m: { id: number; text: string }): string => `id: ${m.id}\ndata: ${m.text}\n\n`;
