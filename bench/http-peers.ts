// What the HTTP benchmarks share (bench/proxy.ts, bench/cache.ts): free ports on 127.0.0.1, child
// processes started, awaited listening and stopped, an nginx configuration skeleton, and wrk run
// with fixed flags and its report parsed.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const HOST = '127.0.0.1';
export const DURATION = process.env.BENCH_SECONDS ?? '5';

export interface WrkResult {
  readonly name: string;
  readonly rps: number;
  /** Bytes/s read by wrk (headers and bodies). */
  readonly bytesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const a = s.address();
      const port = a !== null && typeof a !== 'string' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, HOST);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${port} after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function startProcess(cmd: string, args: string[], what: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', () => undefined);
  child.on('error', (e) => console.error(`${what}: ${e.message}`));
  return child;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export function nginxConf(dir: string, listen: number, body: string, workers = 1): string {
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  return `daemon off;
master_process ${workers > 1 ? 'on' : 'off'};
${workers > 1 ? `user ${userInfo().username};` : ''}
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  ${body}
  server {
    listen ${HOST}:${listen};
    LOCATION
  }
}
`;
}

export function parseMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseBytes(v: string): number {
  const m = /^([\d.]+)([KMG]?)B$/.exec(v);
  if (m === null) return Number.NaN;
  return Number(m[1]) * (m[2] === 'K' ? 1024 : m[2] === 'M' ? 1024 ** 2 : m[2] === 'G' ? 1024 ** 3 : 1);
}

/** wrk -t1 -c50 for `seconds` (default BENCH_SECONDS) on one URL. */
export function wrk(name: string, port: number, path = '/', seconds = DURATION): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', `http://${HOST}:${port}${path}`], { timeout: 120_000 }, (err, stdout) => {
      if (err !== null) return reject(err);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
      const bytesPerSec = parseBytes(/Transfer\/sec:\s+(\S+)/.exec(stdout)?.[1] ?? '');
      const p50 = parseMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
      const p99 = parseMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
      const errs = [/Socket errors:.*/.exec(stdout)?.[0], /Non-2xx or 3xx responses: \d+/.exec(stdout)?.[0]].filter((x) => x !== undefined).join('; ');
      resolve({ name, rps, bytesPerSec, p50Ms: p50, p99Ms: p99, errors: errs });
    });
  });
}
