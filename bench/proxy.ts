// `npm run bench:proxy`: wrk (one thread, 50 keep-alive connections, 5 s) through three reverse
// proxies in front of the same upstream, in one run: netlab's proxy (`netlab proxy run`, its own
// process), nginx (one worker) and HAProxy (one thread), each keeping a pool of upstream
// connections. The upstream is nginx answering "ok" from memory (one worker, its own process).
// Prints requests/s, p50 and p99 latency, and netlab's requests/s as a share of each peer's.
// Everything listens on 127.0.0.1; every process is stopped at the end.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './peers.ts';

const HOST = '127.0.0.1';
const ROOT = join(import.meta.dirname, '..');
const DURATION = process.env.BENCH_SECONDS ?? '5';

interface WrkResult {
  readonly name: string;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: string;
}

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

async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
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

function startProcess(cmd: string, args: string[], what: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', () => undefined);
  child.on('error', (e) => console.error(`${what}: ${e.message}`));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

function nginxConf(dir: string, listen: number, body: string): string {
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  return `daemon off;
master_process off;
worker_processes 1;
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

function parseMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function wrk(name: string, port: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c50', `-d${DURATION}s`, '--latency', `http://${HOST}:${port}/`], { timeout: 120_000 }, (err, stdout) => {
      if (err !== null) return reject(err);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
      const p50 = parseMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
      const p99 = parseMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
      const errs = [/Socket errors:.*/.exec(stdout)?.[0], /Non-2xx or 3xx responses: \d+/.exec(stdout)?.[0]].filter((x) => x !== undefined).join('; ');
      resolve({ name, rps, p50Ms: p50, p99Ms: p99, errors: errs });
    });
  });
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (!hasCommand(tool)) {
      console.log(`bench:proxy skipped: ${tool} is not installed (apt-get install ${tool})`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-proxy-'));
  const children: ChildProcess[] = [];
  try {
    // The upstream: nginx answering from memory.
    const upPort = await freePort();
    const upDir = join(dir, 'upstream');
    mkdirSync(upDir);
    writeFileSync(join(upDir, 'nginx.conf'), nginxConf(upDir, upPort, '').replace('LOCATION', 'location / { return 200 "ok\\n"; }'));
    const up = startProcess('nginx', ['-p', upDir, '-c', join(upDir, 'nginx.conf'), '-e', join(upDir, 'error.log')], 'upstream nginx');
    children.push(up);
    await waitListening(upPort, up, 'upstream nginx');

    const results: WrkResult[] = [];

    // netlab's proxy, its own process.
    const nlPort = await freePort();
    const nlFile = join(dir, 'netlab.yaml');
    writeFileSync(
      nlFile,
      `listeners:\n  - { name: web, address: ${HOST}, port: ${nlPort} }\nroutes:\n  - { name: all, cluster: up }\nclusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${HOST}, port: ${upPort} }]\n`,
    );
    const nl = startProcess(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'proxy', 'run', '--no-watch', '--grace', '1000', nlFile],
      'netlab proxy',
    );
    children.push(nl);
    await waitListening(nlPort, nl, 'netlab proxy');
    await wrk('warm-up', nlPort).catch(() => undefined);
    results.push(await wrk('netlab', nlPort));
    await stop(nl);

    // nginx, one worker, keep-alive pool to the upstream.
    const ngPort = await freePort();
    const ngDir = join(dir, 'nginx');
    mkdirSync(ngDir);
    writeFileSync(
      join(ngDir, 'nginx.conf'),
      nginxConf(ngDir, ngPort, `upstream u { server ${HOST}:${upPort}; keepalive 64; }`).replace(
        'LOCATION',
        'location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }',
      ),
    );
    const ng = startProcess('nginx', ['-p', ngDir, '-c', join(ngDir, 'nginx.conf'), '-e', join(ngDir, 'error.log')], 'nginx');
    children.push(ng);
    await waitListening(ngPort, ng, 'nginx');
    results.push(await wrk('nginx (1 worker)', ngPort));
    await stop(ng);

    if (hasCommand('haproxy')) {
      const hpPort = await freePort();
      const cfg = join(dir, 'haproxy.cfg');
      writeFileSync(
        cfg,
        `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend fe\n  bind ${HOST}:${hpPort}\n  default_backend be\nbackend be\n  server up ${HOST}:${upPort}\n`,
      );
      const hp = startProcess('haproxy', ['-f', cfg, '-db'], 'haproxy');
      children.push(hp);
      await waitListening(hpPort, hp, 'haproxy');
      results.push(await wrk('HAProxy (1 thread)', hpPort));
      await stop(hp);
    } else console.log('HAProxy not installed: its row is skipped');

    const netlab = results[0];
    console.log(`wrk -t1 -c50 -d${DURATION}s through each proxy to one nginx upstream (answers "ok")\n`);
    console.log(`${'proxy'.padEnd(20)} ${'requests/s'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  netlab/this  errors`);
    for (const r of results) {
      const ratio = r === netlab ? '' : `${((netlab.rps / r.rps) * 100).toFixed(0)}%`;
      console.log(
        `${r.name.padEnd(20)} ${r.rps.toFixed(0).padStart(11)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)}  ${ratio.padStart(11)}  ${r.errors || '-'}`,
      );
    }
  } finally {
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
