// `npm run bench:h2-latency`: per-request latency through HTTP/2 fronts, in isolation. Upstreams in
// this process on 127.191.0.1 (node:http HTTP/1.1 and node:http2 h2c), answering at once or after
// ?d=MS; netlab's proxy in its own process (`netlab proxy run`, a listener with h2c and http/1.1,
// /h2/ routed to the h2 upstream); nginx (`listen ... http2`, h2c, one worker, keepalive pool) in
// front of the same HTTP/1.1 upstream when nginx is installed. For each path: 20 sequential requests
// on one connection (p50 and max), then 10 concurrent streams (when the last one finished, and how far
// apart their arrivals at the upstream were: a front that serialised streams spreads them by the
// service time). Everything listens on 127.191.0.1 (ports 0 read back); every process is stopped.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get as h1get, createServer as h1Server } from 'node:http';
import { type ClientHttp2Session, createServer as h2cServer, connect as h2connect } from 'node:http2';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './peers.ts';

const HOST = '127.191.0.1';
const ROOT = join(import.meta.dirname, '..');

function freePort(): Promise<number> {
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

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, HOST);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${HOST}:${port} after 30 s`);
}

const delayOf = (url: string | undefined): number => Number(/d=(\d+)/.exec(url ?? '')?.[1] ?? '0');
const arrivals: number[] = [];
const up1 = h1Server((req, res) => {
  arrivals.push(performance.now());
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  }, delayOf(req.url));
});
const up2 = h2cServer();
up2.on('stream', (stream, h) => {
  arrivals.push(performance.now());
  stream.resume();
  setTimeout(
    () => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('ok\n');
    },
    delayOf(String(h[':path'])),
  );
});

function h2get(s: ClientHttp2Session, path: string): Promise<number> {
  const a = performance.now();
  return new Promise((resolve, reject) => {
    const st = s.request({ ':path': path, ':authority': 'bench.netlab.test' });
    st.on('data', () => undefined);
    st.on('end', () => resolve(performance.now() - a));
    st.on('error', reject);
  });
}

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f1 = (x: number): string => x.toFixed(1).padStart(7);

async function measure(label: string, get: (path: string) => Promise<number>, prefix: string): Promise<void> {
  for (const d of [0, 30]) {
    for (let i = 0; i < 10; i++) await get(`${prefix}warm?d=0`);
    await Promise.all(Array.from({ length: 10 }, () => get(`${prefix}warm?d=${d}`)));
    const seq: number[] = [];
    for (let i = 0; i < 20; i++) seq.push(await get(`${prefix}s${i}?d=${d}`));
    arrivals.length = 0;
    const conc = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`${prefix}c${i}?d=${d}`)));
    const spread = arrivals.length > 0 ? Math.max(...arrivals) - Math.min(...arrivals) : Number.NaN;
    console.log(`${label.padEnd(34)} ${String(d).padStart(4)} ${f1(p50(seq))} ${f1(Math.max(...seq))} ${f1(Math.max(...conc))} ${f1(spread)}`);
  }
}

async function main(): Promise<void> {
  await new Promise<void>((r) => up1.listen(0, HOST, r));
  await new Promise<void>((r) => up2.listen(0, HOST, r));
  const p1 = (up1.address() as { port: number }).port;
  const p2 = (up2.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-h2lat-'));
  const children: ChildProcess[] = [];
  try {
    const port = await freePort();
    const file = join(dir, 'netlab.yaml');
    writeFileSync(
      file,
      `listeners:\n  - name: web\n    address: ${HOST}\n    port: ${port}\n    protocols: [h2c, http/1.1]\nroutes:\n  - { name: two, match: { path: { prefix: /h2/ } }, cluster: up2 }\n  - { name: all, cluster: up1 }\nclusters:\n  - name: up1\n    endpoints: [{ name: u1, address: ${HOST}, port: ${p1} }]\n  - name: up2\n    protocol: h2\n    endpoints: [{ name: u2, address: ${HOST}, port: ${p2} }]\n`,
    );
    const proxy = spawn(process.execPath, [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '500', file], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(proxy);
    await waitListening(port);
    let nginxPort: number | undefined;
    if (hasCommand('nginx')) {
      nginxPort = await freePort();
      const d = join(dir, 'nginx');
      for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(d, sub), { recursive: true });
      const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((t, i) => `${t}_temp_path ${d}/${['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'][i]};`)
        .join(' ');
      writeFileSync(
        join(d, 'nginx.conf'),
        `daemon off; master_process off; worker_processes 1; pid ${d}/nginx.pid; error_log ${d}/error.log error;\nevents { worker_connections 1024; }\nhttp { access_log off; ${temps} keepalive_requests 1000000;\n upstream u { server ${HOST}:${p1}; keepalive 64; }\n server { listen ${HOST}:${nginxPort} http2; location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; } } }\n`,
      );
      const ng = spawn('nginx', ['-p', d, '-c', join(d, 'nginx.conf'), '-e', join(d, 'error.log')], { stdio: ['ignore', 'ignore', 'ignore'] });
      children.push(ng);
      await waitListening(nginxPort);
    }
    const load = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`${new Date().toISOString()}, load average ${load}; times in ms`);
    console.log(
      `${'front -> upstream'.padEnd(34)} ${'d ms'.padStart(4)} ${'seq p50'.padStart(7)} ${'seq max'.padStart(7)} ${'10 conc'.padStart(7)} ${'spread'.padStart(7)}`,
    );
    const s = h2connect(`http://${HOST}:${port}`);
    await new Promise((r) => s.once('connect', r));
    await measure('netlab h2c -> HTTP/1.1', (p) => h2get(s, p), '/');
    await measure('netlab h2c -> h2c', (p) => h2get(s, p), '/h2/');
    s.close();
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    const get1 = (path: string): Promise<number> => {
      const a = performance.now();
      return new Promise((resolve, reject) => {
        const r = h1get({ host: HOST, port, path, agent, headers: { host: 'bench.netlab.test' } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(performance.now() - a));
        });
        r.on('error', reject);
      });
    };
    await measure('netlab HTTP/1.1 (10 conns) -> 1.1', get1, '/');
    agent.destroy();
    if (nginxPort !== undefined) {
      const n = h2connect(`http://${HOST}:${nginxPort}`);
      await new Promise((r) => n.once('connect', r));
      await measure('nginx h2c -> HTTP/1.1', (p) => h2get(n, p), '/');
      n.close();
    }
  } finally {
    for (const c of children.reverse()) {
      if (c.exitCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    up1.close();
    up2.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
