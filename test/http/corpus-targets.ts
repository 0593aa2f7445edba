// Targets the strictness corpus runs against. A target is something listening on 127.0.0.1 that
// answers HTTP/1.1, plus a record of which requests got through to whatever sits behind it: netlab's
// server (its handler), nginx and HAProxy as reverse proxies (a raw TCP upstream that records what they
// forward). netlab's reverse proxy (src/proxy/) will be one more target of the same shape.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpServer } from '../../src/http/index.ts';
import { HttpParser, type HttpResponseHead } from '../../src/wire/http.ts';
import { findTool } from '../helpers/tools.ts';
import { CORPUS_LIMITS } from './corpus.ts';

/** A request that reached the application side (handler or upstream), complete. */
export interface Reached {
  readonly method: string;
  readonly target: string;
  readonly bodyLength: number;
}

export interface CorpusTarget {
  readonly name: string;
  readonly port: number;
  /** Requests that reached the back end complete, in arrival order. */
  readonly reached: readonly Reached[];
  /** True when any bytes holding `tag` reached the back end (even a request it could not parse). */
  sawTag(tag: string): boolean;
  stop(): Promise<void>;
}

export type TargetFactory = () => Promise<CorpusTarget>;

const LOOPBACK = '127.0.0.1';

/** netlab's own server (src/http) with a handler that records each request once its body is read. */
export async function startNetlabTarget(): Promise<CorpusTarget> {
  const reached: Reached[] = [];
  const server = new HttpServer({
    limits: CORPUS_LIMITS,
    headerTimeoutMs: 3000,
    idleTimeoutMs: 5000,
    handler: async (req, res) => {
      let body: Uint8Array;
      try {
        body = await req.body.bytes();
      } catch {
        return; // the body broke off: netlab answers, the handler records nothing
      }
      reached.push({
        method: req.head.method,
        target: req.head.target,
        bodyLength: body.length,
      });
      res.end('ok');
    },
  });
  const addr = await server.listen(0, LOOPBACK);
  return {
    name: 'netlab',
    port: addr.port,
    reached,
    sawTag: (tag) => reached.some((r) => r.target.includes(tag)),
    stop: () => server.close(1000),
  };
}

/**
 * A raw TCP upstream for the proxies: it reads what they forward with netlab's parser (lenient
 * enough: the proxies send normalised requests), records each complete request, answers 200 "ok".
 */
export async function startRecordingUpstream(): Promise<{
  port: number;
  reached: Reached[];
  raw: { seen: string }[];
  stop: () => Promise<void>;
}> {
  const reached: Reached[] = [];
  const raw: { seen: string }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    const parser = new HttpParser({
      role: 'request',
      limits: { maxBodyBytes: 64 * 1024 * 1024 },
    });
    let current: { method: string; target: string; n: number } | undefined;
    const conn = { seen: '' };
    raw.push(conn);
    s.on('data', (chunk: Buffer) => {
      conn.seen += chunk.toString('latin1');
      for (const ev of parser.push(chunk)) {
        if (ev.type === 'head' && ev.head.type === 'request') current = { method: ev.head.method, target: ev.head.target, n: 0 };
        else if (ev.type === 'data' && current !== undefined) current.n += ev.bytes.length;
        else if (ev.type === 'end' && current !== undefined) {
          reached.push({
            method: current.method,
            target: current.target,
            bodyLength: current.n,
          });
          current = undefined;
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        } else if (ev.type === 'error') {
          s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('upstream has no TCP address');
  return {
    port: a.port,
    reached,
    raw,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A free TCP port on 127.0.0.1: bind port 0, read it, close (nginx and HAProxy cannot listen on 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const a = s.address();
      const port = a !== null && typeof a !== 'string' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, LOOPBACK);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after 10 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startProxyTarget(name: string, configure: (dir: string, port: number, upstream: number) => string[]): Promise<CorpusTarget> {
  const tool = findTool(name);
  if (tool === undefined) throw new Error(`${name} not found`);
  const upstream = await startRecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), `netlab-corpus-${name}-`));
  const port = await freePort();
  const args = configure(dir, port, upstream.port);
  const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitListening(port, child, () => out);
  } catch (err) {
    child.kill('SIGKILL');
    await upstream.stop();
    throw err;
  }
  return {
    name,
    port,
    reached: upstream.reached,
    sawTag: (tag) => upstream.raw.some((c) => c.seen.includes(tag)),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await upstream.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx 1.x as a reverse proxy (single process, foreground, everything under a temp dir). */
export function startNginxTarget(): Promise<CorpusTarget> {
  return startProxyTarget('nginx', (dir, port, up) => {
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
    const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 1m;
  keepalive_timeout 5s;
  server {
    listen ${LOOPBACK}:${port};
    server_name _;
    location / {
      proxy_pass http://${LOOPBACK}:${up};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    return ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  });
}

/** HAProxy 2.x in HTTP mode in front of the same kind of upstream (foreground, no logs). */
export function startHaproxyTarget(): Promise<CorpusTarget> {
  return startProxyTarget('haproxy', (dir, port, up) => {
    const conf = `global
  maxconn 256
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 3s
frontend fe
  bind ${LOOPBACK}:${port}
  default_backend be
backend be
  server up ${LOOPBACK}:${up}
`;
    writeFileSync(join(dir, 'haproxy.cfg'), conf);
    return ['-f', join(dir, 'haproxy.cfg'), '-db'];
  });
}

/** What came back on one connection. */
export interface Exchange {
  readonly statuses: readonly number[];
  /** The connection was closed by the target (not by our timeout). */
  readonly closed: boolean;
  /** The responses could not be parsed (the reason), if so. */
  readonly garbled?: string;
}

/**
 * Sends `bytes` on a fresh connection and collects responses until `want` complete responses, the
 * target closes, or `timeoutMs` passes.
 */
export function exchange(port: number, bytes: Uint8Array, want: number, timeoutMs = 2000): Promise<Exchange> {
  return new Promise((resolve) => {
    const statuses: number[] = [];
    const parser = new HttpParser({ role: 'response' });
    parser.expectResponse('GET');
    parser.expectResponse('GET');
    let garbled: string | undefined;
    let done = false;
    const s = connect(port, LOOPBACK);
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(garbled === undefined ? { statuses, closed } : { statuses, closed, garbled });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (chunk: Buffer) => {
      for (const ev of parser.push(chunk)) {
        if (ev.type === 'head') {
          const h = ev.head as HttpResponseHead;
          if (h.status >= 200) statuses.push(h.status);
        } else if (ev.type === 'error') garbled = ev.verdict.code;
      }
      if (statuses.length >= want && parser.idle) finish(false);
    });
    s.on('end', () => {
      parser.finish();
      finish(true);
    });
    s.on('error', () => finish(true));
  });
}
