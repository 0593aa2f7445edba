// The realtime-patterns lab's runs: one backend behind netlab's proxy (127.186.x), the same six
// messages published on the same schedule, delivered by short polling, long polling, Server-Sent
// Events and WebSocket; each run counts the requests and connections it took, the bytes on the
// client's wire and each message's delay from publish to arrival. Also: thousands of long polls held
// at once by the backend's one event loop (directly, then through the proxy), measured.

import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection } from '../../src/http/index.ts';
import { startProxy, type ReverseProxy } from '../../src/proxy/index.ts';
import { RealtimeBackend } from './backend.ts';

/** The lab's addresses, inside its 127.186.0.0/16 range. */
export const ADDR = { proxy: '127.186.0.1', backend: '127.186.0.2', client: '127.186.0.10', many: '127.186.0.20' } as const;

/** When each message is published, in ms after the run starts (gaps of 50 to 120 ms). */
export const SCHEDULE = [30, 80, 140, 260, 330, 420] as const;
export const HOLD_MS = 2_000;

export interface Delivery {
  readonly id: number;
  readonly delayMs: number;
  /** performance.now() when it arrived. */
  readonly arrivedAt: number;
  /** Which request or connection brought it (1-based). */
  readonly via: number;
}

export interface PatternResult {
  readonly pattern: string;
  readonly requests: number;
  readonly connections: number;
  /** Bytes both ways on the client's connections to the proxy (TCP payload). */
  readonly bytes: number;
  readonly deliveries: Delivery[];
  /** Requests (short polling) that brought no message. */
  readonly wasted: number;
}

export interface Setup {
  readonly backend: RealtimeBackend;
  readonly proxy: ReverseProxy;
  readonly port: number;
  close(): Promise<void>;
}

export async function startSetup(o: { tap?: TapRecorder; cluster?: Record<string, unknown>; retryMs?: number; holdMs?: number } = {}): Promise<Setup> {
  const backend = await RealtimeBackend.start({
    host: ADDR.backend,
    holdMs: o.holdMs ?? HOLD_MS,
    ...(o.tap === undefined ? {} : { tap: o.tap }),
    ...(o.retryMs === undefined ? {} : { retryMs: o.retryMs }),
  });
  let proxy: ReverseProxy;
  try {
    proxy = await startProxy({
      listeners: [{ name: 'front', address: ADDR.proxy, port: 0 }],
      routes: [{ name: 'all', cluster: 'app' }],
      clusters: [{ name: 'app', endpoints: [{ name: 'b1', address: ADDR.backend, port: backend.address.port }], maxPerEndpoint: 8192, ...(o.cluster ?? {}) }],
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
  return {
    backend,
    proxy,
    port: proxy.address().port,
    async close() {
      await proxy.close(100);
      await backend.close();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Publishes the six messages on SCHEDULE (from now); resolves after the last. */
async function publishAll(b: RealtimeBackend): Promise<void> {
  const t0 = performance.now();
  for (const [i, at] of SCHEDULE.entries()) {
    const wait = t0 + at - performance.now();
    if (wait > 0) await sleep(wait);
    b.publish(`message ${i + 1}`);
  }
}

/** HTTP/1.1 requests to the proxy from the lab's client address, over tapped keep-alive connections. */
class Client {
  private conn: HttpClientConnection | undefined;
  readonly sockets: Socket[] = [];
  requests = 0;

  constructor(
    private readonly port: number,
    private readonly tap: TapRecorder | undefined,
  ) {}

  async connection(): Promise<HttpClientConnection> {
    if (this.conn !== undefined && this.conn.state === 'idle') return this.conn;
    const s = connect({ host: ADDR.proxy, port: this.port, localAddress: ADDR.client });
    this.tap?.tcp(s, { role: 'client' });
    s.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    this.sockets.push(s);
    this.conn = new HttpClientConnection(s, { responseTimeoutMs: HOLD_MS * 2 });
    return this.conn;
  }

  async get(target: string, extra: { name: string; value: string }[] = []) {
    const conn = await this.connection();
    this.requests++;
    return conn.request({ method: 'GET', target, fields: [{ name: 'Host', value: 'realtime.netlab.test' }, ...extra] });
  }

  get bytes(): number {
    return this.sockets.reduce((n, s) => n + s.bytesRead + s.bytesWritten, 0);
  }

  close(): void {
    for (const s of this.sockets) s.end();
  }
}

const parseList = (text: string): { id: number; text: string }[] => (text === '' ? [] : (JSON.parse(text) as { id: number; text: string }[]));

function deliveryOf(b: RealtimeBackend, id: number, via: number): Delivery {
  const m = b.messages[id - 1];
  const now = performance.now();
  return { id, via, arrivedAt: now, delayMs: m === undefined ? Number.NaN : now - m.at };
}

/** Short polling: GET /short every `intervalMs` until all six messages came (or a deadline). */
export async function shortPolling(s: Setup, tap: TapRecorder | undefined, intervalMs: number): Promise<PatternResult> {
  const c = new Client(s.port, tap);
  const deliveries: Delivery[] = [];
  let since = 0;
  let wasted = 0;
  const publishing = publishAll(s.backend);
  const deadline = performance.now() + SCHEDULE[SCHEDULE.length - 1] + intervalMs * 3;
  try {
    while (deliveries.length < SCHEDULE.length && performance.now() < deadline) {
      const started = performance.now();
      const res = await c.get(`/short?since=${since}`);
      const list = parseList(await res.body.text());
      if (list.length === 0) wasted++;
      for (const m of list) deliveries.push(deliveryOf(s.backend, m.id, c.requests));
      since = list.at(-1)?.id ?? since;
      if (deliveries.length < SCHEDULE.length) await sleep(Math.max(0, started + intervalMs - performance.now()));
    }
  } finally {
    await publishing;
    c.close();
  }
  return { pattern: `short polling (${intervalMs} ms)`, requests: c.requests, connections: c.sockets.length, bytes: c.bytes, deliveries, wasted };
}

/** Long polling: GET /long?since=N again as soon as the last one was answered. */
export async function longPolling(s: Setup, tap: TapRecorder | undefined): Promise<PatternResult> {
  const c = new Client(s.port, tap);
  const deliveries: Delivery[] = [];
  let since = 0;
  let wasted = 0;
  const publishing = publishAll(s.backend);
  try {
    while (deliveries.length < SCHEDULE.length) {
      const res = await c.get(`/long?since=${since}`);
      const list = res.head.status === 204 ? [] : parseList(await res.body.text());
      if (list.length === 0) wasted++;
      for (const m of list) deliveries.push(deliveryOf(s.backend, m.id, c.requests));
      since = list.at(-1)?.id ?? since;
    }
  } finally {
    await publishing;
    c.close();
  }
  return { pattern: 'long polling', requests: c.requests, connections: c.sockets.length, bytes: c.bytes, deliveries, wasted };
}

export interface SseResult extends PatternResult {
  /** Content-Type of the proxy's answer. */
  readonly contentType: string;
  /** The ids each connection brought, in order. */
  readonly perConnection: number[][];
  /** performance.now() of each message's publish. */
  readonly publishedAt: number[];
  /** Milliseconds between dropping the first connection and the next one's first event. */
  readonly gapMs: number;
}

/**
 * Server-Sent Events: one GET /events whose answer stays open; each event is read as it comes. After
 * `dropAfter` events the client drops the connection, waits the `retry:` the server asked for, and
 * reconnects with Last-Event-ID (what an EventSource does); the backend replays what it missed.
 */
export async function serverSentEvents(s: Setup, tap: TapRecorder | undefined, dropAfter: number): Promise<SseResult> {
  const deliveries: Delivery[] = [];
  const perConnection: number[][] = [];
  const clients: Client[] = [];
  let contentType = '';
  let retryMs = 0;
  let lastId: string | undefined;
  let droppedAt = 0;
  let gapMs = Number.NaN;
  // Publishing starts once the stream is open: every event of the first connection is live, none replayed.
  let publishing: Promise<void> | undefined;
  try {
    for (let conn = 1; conn <= 3 && deliveries.length < SCHEDULE.length; conn++) {
      if (conn > 1) await sleep(retryMs);
      const c = new Client(s.port, tap);
      clients.push(c);
      const res = await c.get('/events', [
        { name: 'Accept', value: 'text/event-stream' },
        ...(lastId === undefined ? [] : [{ name: 'Last-Event-ID', value: lastId }]),
      ]);
      contentType = res.head.fields.find((f) => f.name.toLowerCase() === 'content-type')?.value ?? '';
      publishing ??= publishAll(s.backend);
      const ids: number[] = [];
      perConnection.push(ids);
      let buf = '';
      let dropped = false;
      try {
        for await (const chunk of res.body) {
          buf += Buffer.from(chunk).toString('utf8');
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const retry = /^retry: (\d+)$/m.exec(block);
            if (retry !== null) retryMs = Number(retry[1]);
            const id = /^id: (\d+)$/m.exec(block);
            if (id === null) continue;
            if (Number.isNaN(gapMs) && droppedAt > 0) gapMs = performance.now() - droppedAt;
            lastId = id[1];
            ids.push(Number(id[1]));
            deliveries.push(deliveryOf(s.backend, Number(id[1]), conn));
          }
          // All six here: the backend ends the stream and the client reads it to its end (a whole
          // response, which Wireshark then shows as one, on both sides of the proxy).
          if (deliveries.length >= SCHEDULE.length) s.backend.endStreams();
          if (conn === 1 && deliveries.length >= dropAfter) {
            dropped = true;
            break;
          }
        }
      } catch {
        // The stream was cut (the proxy's stream timeout): the client reconnects, as an EventSource does.
      }
      if (dropped) droppedAt = performance.now();
      for (const sock of c.sockets) sock.destroy();
    }
  } finally {
    await publishing;
  }
  return {
    pattern: 'Server-Sent Events',
    requests: clients.reduce((n, c) => n + c.requests, 0),
    connections: clients.reduce((n, c) => n + c.sockets.length, 0),
    bytes: clients.reduce((n, c) => n + c.bytes, 0),
    deliveries,
    wasted: 0,
    contentType,
    perConnection,
    gapMs,
    publishedAt: s.backend.messages.map((m) => m.at),
  };
}

/** RFC 6455 §4.2.2: base64(SHA-1(key + the protocol's GUID)). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

export interface WsResult extends PatternResult {
  readonly status: number;
  readonly key: string;
  readonly accept: string;
  readonly extensions: string;
  readonly pong: string;
  /** A repetitive 4000-byte message: its frame's bytes on the client's wire. */
  readonly bigFrameBytes: number;
  readonly bigPayload: number;
}

export const BIG_MESSAGE = 'tick tock '.repeat(400);

/** WebSocket through the proxy: the 101, a ping and its pong, the six messages, one big repetitive message. */
export async function webSocket(s: Setup, tap: TapRecorder | undefined, deflate: boolean, withSchedule: boolean): Promise<WsResult> {
  let sock: Socket | undefined;
  const ws = new WebSocket(`ws://realtime.netlab.test:${s.port}/ws`, {
    perMessageDeflate: deflate,
    createConnection: () => {
      const c = connect({ host: ADDR.proxy, port: s.port, localAddress: ADDR.client });
      tap?.tcp(c, { role: 'client' });
      sock = c;
      return c;
    },
  });
  ws.on('error', () => undefined);
  const deliveries: Delivery[] = [];
  const upgrade = new Promise<{ status: number; key: string; accept: string; extensions: string }>((resolve) =>
    ws.once('upgrade', (res) => {
      const h = (n: string): string => String(res.headers[n] ?? '');
      // The key as the backend received it (the proxy passes it on unchanged).
      const key = String(s.backend.upgrades.at(-1)?.headers['sec-websocket-key'] ?? '');
      resolve({ status: res.statusCode ?? 0, key, accept: h('sec-websocket-accept'), extensions: h('sec-websocket-extensions') });
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_r, res) => reject(new Error(`the proxy answered ${res.statusCode} to the upgrade`)));
    });
    const head = await upgrade;
    const pong = new Promise<string>((resolve) => ws.once('pong', (d) => resolve(d.toString('utf8'))));
    ws.ping(Buffer.from('are you there'));
    const pongText = await Promise.race([pong, sleep(1000).then(() => '')]);
    let bigFrameBytes = 0;
    if (withSchedule) {
      let onMessage: (data: WebSocket.RawData) => void = () => undefined;
      const all = new Promise<void>((resolve) => {
        onMessage = (data) => {
          const m = JSON.parse(String(data)) as { id: number };
          deliveries.push(deliveryOf(s.backend, m.id, 1));
          if (deliveries.length === SCHEDULE.length) resolve();
        };
        ws.on('message', onMessage);
      });
      await Promise.all([publishAll(s.backend), Promise.race([all, sleep(2000)])]);
      ws.off('message', onMessage);
    }
    // The big message: the backend sends it; the bytes the client's socket read for it are its frame.
    const before = sock?.bytesRead ?? 0;
    const got = new Promise<number>((resolve) => ws.once('message', (data) => resolve(String(data).length)));
    for (const peer of s.backend.wss.clients) peer.send(BIG_MESSAGE);
    const bigPayload = await Promise.race([got, sleep(1000).then(() => 0)]);
    bigFrameBytes = (sock?.bytesRead ?? 0) - before;
    const bytes = sock === undefined ? 0 : sock.bytesRead + sock.bytesWritten;
    return { pattern: 'WebSocket', requests: 1, connections: 1, bytes, deliveries, wasted: 0, ...head, pong: pongText, bigFrameBytes, bigPayload };
  } finally {
    await new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close(1000, 'done');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 300);
    });
  }
}

export interface HoldResult {
  readonly n: number;
  /** Polls the backend held at once. */
  readonly held: number;
  readonly openMs: number;
  /** heapUsed and rss growth per held poll (whole process: clients, proxy and backend are all here). */
  readonly heapPerPoll: number;
  readonly rssPerPoll: number;
  /** From one publish to the last of the n answers. */
  readonly deliverMs: number;
  readonly answered: number;
  /** Held polls and proxy requests left once every client has closed. */
  readonly leftHeld: number;
  readonly leftProxy: number;
}

/** n long polls at once to `port` (the backend or the proxy), held, then all answered by one publish. */
export async function holdMany(s: Setup, port: number, host: string, n: number): Promise<HoldResult> {
  const sockets: Socket[] = [];
  const answered = new Set<Socket>();
  let lastAt = 0;
  let resolveAll: () => void = () => undefined;
  const allAnswered = new Promise<void>((r) => {
    resolveAll = r;
  });
  const since = s.backend.messages.length;
  const request = `GET /long?since=${since} HTTP/1.1\r\nHost: realtime.netlab.test\r\n\r\n`;
  const before = process.memoryUsage();
  const t0 = performance.now();
  try {
    // In batches of 200 connects at a time (the listen backlog is 511 by default: never overflowed).
    for (let i = 0; i < n; i += 200) {
      const batch = Array.from({ length: Math.min(200, n - i) }, () => {
        const sock = connect({ host, port, localAddress: ADDR.many });
        sockets.push(sock);
        sock.on('error', () => undefined);
        sock.once('data', () => {
          answered.add(sock);
          lastAt = performance.now();
          if (answered.size === n) resolveAll();
        });
        return new Promise<void>((resolve) => {
          sock.once('connect', () => {
            sock.write(request);
            resolve();
          });
          sock.once('error', () => resolve());
        });
      });
      await Promise.all(batch);
    }
    // Bounded waits: they end early when everything arrived (on a quiet machine, well under a second).
    const deadline = performance.now() + 15_000;
    while (s.backend.held.size < n && performance.now() < deadline) await sleep(5);
    const openMs = performance.now() - t0;
    const held = s.backend.held.size;
    const after = process.memoryUsage();
    const published = s.backend.publish('to everyone').at;
    await Promise.race([allAnswered, sleep(8_000)]);
    const deliverMs = lastAt - published;
    const count = answered.size;
    for (const sock of sockets) sock.destroy();
    const settle = performance.now() + 4000;
    while ((s.backend.held.size > 0 || s.proxy.stats().inFlight > 0) && performance.now() < settle) await sleep(5);
    return {
      n,
      held,
      openMs,
      heapPerPoll: (after.heapUsed - before.heapUsed) / n,
      rssPerPoll: (after.rss - before.rss) / n,
      deliverMs,
      answered: count,
      leftHeld: s.backend.held.size,
      leftProxy: s.proxy.stats().inFlight,
    };
  } finally {
    for (const sock of sockets) sock.destroy();
  }
}

export const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
