// The http-versions lab's clients, each on a TCP connection from a chosen loopback address:
// HTTP/1.0 (one request, read until the server closes), HTTP/1.1 keep-alive on netlab's client
// connection (one request at a time), HTTP/1.1 pipelining (every request written at once, the
// responses read in order with netlab's parser), and HTTP/2 with node:http2 over a relay that lets the
// socket tap see the bytes (and keeps a copy of what the client sent, to count its frames).

import { performance } from 'node:perf_hooks';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as h2Connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { Duplex } from 'node:stream';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection } from '../../src/http/index.ts';
import { HttpParser, serializeRequestHead, type HttpField } from '../../src/wire/index.ts';

export const SITE = 'shop.netlab.test';

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** One answer: its path, status, body, and when (performance.now()) it was sent and complete. */
export interface Answer {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  readonly sentAt: number;
  readonly doneAt: number;
}

/** A connected socket from `from` to `to`, tapped when a tap is given. */
export async function open(from: string, to: Target, tap?: TapRecorder): Promise<Socket> {
  const socket = netConnect({ host: to.host, port: to.port, localAddress: from, noDelay: true });
  tap?.tcp(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** Ends a socket and waits for it to close (destroying it after 1 s). */
export function closeSocket(s: Socket): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('close', () => resolve());
    s.end();
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 1000).unref();
  });
}

/** The fields every HTTP/1 request of the lab carries (HPACK's step uses a browser's set instead). */
export const PLAIN_FIELDS: readonly HttpField[] = [
  { name: 'Host', value: SITE },
  { name: 'User-Agent', value: 'netlab-lab' },
];

/**
 * Writes request heads for `paths` (all at once: one write), reads the responses in order until each
 * path has one (or the server closes). `version` 1.0 asks for one exchange per connection.
 */
export function exchange(
  socket: Socket,
  paths: readonly string[],
  fields: readonly HttpField[],
  version: '1.0' | '1.1',
  timeoutMs = 10_000,
): Promise<Answer[]> {
  const parser = new HttpParser({ role: 'response' });
  for (let i = 0; i < paths.length; i++) parser.expectResponse('GET');
  const answers: Answer[] = [];
  return new Promise((resolve, reject) => {
    let status = 0;
    let body = '';
    let sentAt = 0;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(answers);
    };
    const handle = (events: ReturnType<HttpParser['push']>): void => {
      for (const ev of events) {
        if (ev.type === 'head' && 'status' in ev.head) status = ev.head.status;
        else if (ev.type === 'data') body += Buffer.from(ev.bytes).toString('latin1');
        else if (ev.type === 'end') {
          answers.push({ path: paths[answers.length] ?? '?', status, body, sentAt, doneAt: performance.now() });
          body = '';
          if (answers.length === paths.length) finish();
        } else if (ev.type === 'error') finish(new Error(`bad response: ${ev.verdict.code}: ${ev.verdict.message}`));
      }
    };
    const onData = (d: Buffer): void => handle(parser.push(d));
    const onClose = (): void => {
      handle(parser.finish());
      if (answers.length < paths.length) finish(new Error(`the connection closed after ${answers.length} of ${paths.length} answers`));
    };
    const timer = setTimeout(() => finish(new Error(`no ${paths.length} answers within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    sentAt = performance.now();
    socket.write(Buffer.concat(paths.map((p) => serializeRequestHead({ method: 'GET', target: p, version, fields }))));
  });
}

/** The bytes of one HTTP/1.1 request head for `path` with `fields` (what travels on the wire). */
export function requestHeadBytes(path: string, fields: readonly HttpField[]): number {
  return serializeRequestHead({ method: 'GET', target: path, fields }).length;
}

/** HTTP/1.0: each request on a new connection, which the server closes after its answer. */
export async function http10(from: string, to: Target, paths: readonly string[], tap?: TapRecorder): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const p of paths) {
    const s = await open(from, to, tap);
    const t0 = performance.now();
    const [a] = await exchange(s, [p], PLAIN_FIELDS, '1.0');
    await closeSocket(s);
    if (a !== undefined) out.push({ ...a, sentAt: t0 });
  }
  return out;
}

/** HTTP/1.1 keep-alive: one connection, each request sent once the previous answer is in. */
export async function keepAlive(from: string, to: Target, paths: readonly string[], tap?: TapRecorder): Promise<Answer[]> {
  const s = await open(from, to, tap);
  const conn = new HttpClientConnection(s, { responseTimeoutMs: 10_000 });
  const out: Answer[] = [];
  try {
    for (const p of paths) {
      const sentAt = performance.now();
      const res = await conn.request({ method: 'GET', target: p, fields: PLAIN_FIELDS });
      const body = await res.body.text();
      out.push({ path: p, status: res.head.status, body, sentAt, doneAt: performance.now() });
    }
  } finally {
    await closeSocket(s);
  }
  return out;
}

/** HTTP/1.1 pipelining: one connection, every request written at once, answers read in order. */
export async function pipelined(from: string, to: Target, paths: readonly string[], tap?: TapRecorder): Promise<Answer[]> {
  const s = await open(from, to, tap);
  try {
    return await exchange(s, paths, PLAIN_FIELDS, '1.1');
  } finally {
    await closeSocket(s);
  }
}

/**
 * A duplex in front of a net.Socket. node:http2 reads a plain net.Socket in C++ (no JS stream
 * calls, so the socket tap would see nothing); behind this relay it uses the JS stream calls the tap
 * hooks. `sent` keeps a copy of every byte the client wrote.
 */
class Relay extends Duplex {
  readonly sent: Buffer[] = [];

  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sent.push(Buffer.from(chunk));
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

/** An HTTP/2 client session (prior knowledge, h2c) on one connection from `from`. */
export class H2Client {
  private constructor(
    readonly session: ClientHttp2Session,
    private readonly relay: Relay,
    readonly socket: Socket,
  ) {}

  static async open(from: string, to: Target, tap?: TapRecorder): Promise<H2Client> {
    const socket = await open(from, to, tap);
    const relay = new Relay(socket);
    const session = h2Connect(`http://${SITE}`, { createConnection: () => relay });
    session.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    return new H2Client(session, relay, socket);
  }

  /** Everything the client has sent so far. */
  sentBytes(): Buffer {
    return Buffer.concat(this.relay.sent);
  }

  /** GET `path` on a new stream; resolves when the whole answer is in. */
  get(path: string, extra: OutgoingHttpHeaders = {}, timeoutMs = 10_000): Promise<Answer> {
    const sentAt = performance.now();
    return new Promise((resolve, reject) => {
      const req = this.session.request({ ':method': 'GET', ':path': path, ':authority': SITE, ':scheme': 'http', ...extra });
      const timer = setTimeout(() => {
        req.close();
        reject(new Error(`no HTTP/2 answer to ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      let status = 0;
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ path, status, body, sentAt, doneAt: performance.now() });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.session.close(() => resolve());
      setTimeout(() => {
        this.session.destroy();
        resolve();
      }, 1000).unref();
    });
    await closeSocket(this.socket);
  }
}

/** An HTTP/2 frame header as the client sent it. */
export interface H2Frame {
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
}

export const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** The frames in a client's byte stream (after the 24-byte preface); stops at a cut frame. */
export function h2Frames(bytes: Uint8Array): H2Frame[] {
  const out: H2Frame[] = [];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = b.subarray(0, 24).toString('latin1') === H2_PREFACE ? 24 : 0;
  while (at + 9 <= b.length) {
    const length = b.readUIntBE(at, 3);
    if (at + 9 + length > b.length) break;
    out.push({ length, type: b[at + 3] ?? 0, flags: b[at + 4] ?? 0, stream: b.readUInt32BE(at + 5) & 0x7fffffff });
    at += 9 + length;
  }
  return out;
}

/** The p-th percentile (0..100) of some numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}
