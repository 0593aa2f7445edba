// `npm run bench:h2`: h2load (nghttp2's HTTP/2 load generator) through two HTTP/2 fronts over TLS
// (ALPN h2), one after the other, both proxying to the same upstream: netlab's proxy
// (`netlab proxy run`, its own process, a listener with `protocols: [h2, http/1.1]`) and nginx with
// `listen ... ssl http2` (one worker). The upstream is nginx speaking HTTP/1.1 on 127.0.0.1 and
// answering "ok" from memory (two workers, its own process). Same h2load flags for both: one thread,
// 10 connections, 10 streams each at a time, for BENCH_SECONDS (default 10) after a short warm-up.
// Prints requests/s of each, the failed count and netlab's share of nginx's. Everything listens on
// 127.0.0.1 (ports 0 read back, or free high ports); every process is stopped at the end.

import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, HOST, startProcess, stop, waitListening } from './http-peers.ts';
import { hasCommand } from './peers.ts';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? '10');
const FLAGS = ['-c', '10', '-m', '10', '-t', '1'];

interface Result {
  readonly name: string;
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly protocol: string;
}

function nginxConf(dir: string, server: string, http: string, workers: number): string {
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
  http2_max_requests 1000000;
  ${http}
  server {
    ${server}
  }
}
`;
}

/** h2load for `seconds` (or `-n` for a warm-up); its summary lines parsed. */
function h2load(name: string, port: number, bound: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile('h2load', [...bound, ...FLAGS, `https://${HOST}:${port}/`], { timeout: (SECONDS + 60) * 1000 }, (err, stdout) => {
      if (err !== null && stdout === '') return reject(err);
      const rps = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(stdout)?.[1]);
      const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(stdout);
      const protocol = /Application protocol: (\S+)/.exec(stdout)?.[1] ?? '?';
      resolve({ name, rps, succeeded: Number(m?.[1]), failed: Number(m?.[2]), protocol });
    });
  });
}

async function main(): Promise<void> {
  for (const tool of ['h2load', 'nginx', 'openssl']) {
    if (!hasCommand(tool)) {
      console.log(`bench:h2 skipped: ${tool} is not installed (apt-get install nghttp2-client nginx openssl)`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-h2-'));
  // nginx with a master process runs its workers as another user: they must reach the files.
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  try {
    const key = join(dir, 'key.pem');
    const crt = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      {
        stdio: 'ignore',
      },
    );
    chmodSync(key, 0o644);
    const upPort = await freePort();
    const upDir = join(dir, 'upstream');
    mkdirSync(upDir, { mode: 0o755 });
    writeFileSync(join(upDir, 'nginx.conf'), nginxConf(upDir, `listen ${HOST}:${upPort}; location / { return 200 "ok\\n"; }`, '', 2));
    const up = startProcess('nginx', ['-p', upDir, '-c', join(upDir, 'nginx.conf'), '-e', join(upDir, 'error.log')], 'upstream nginx');
    children.push(up);
    await waitListening(upPort, up, 'upstream nginx');

    const peers: { name: string; start(): Promise<{ port: number; child: ChildProcess }> }[] = [
      {
        name: 'netlab (h2 front)',
        async start() {
          const port = await freePort();
          const file = join(dir, 'netlab.yaml');
          writeFileSync(
            file,
            `listeners:\n  - name: web\n    address: ${HOST}\n    port: ${port}\n    protocols: [h2, http/1.1]\n    tls: { cert: ${crt}, key: ${key} }\nroutes:\n  - { name: all, cluster: up }\nclusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${HOST}, port: ${upPort} }]\n`,
          );
          const args = [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '1000', file];
          return { port, child: startProcess(process.execPath, args, 'netlab proxy') };
        },
      },
      {
        name: 'nginx, 1 worker (ssl http2)',
        async start() {
          const port = await freePort();
          const d = join(dir, 'nginx');
          mkdirSync(d, { mode: 0o755 });
          writeFileSync(
            join(d, 'nginx.conf'),
            nginxConf(
              d,
              `listen ${HOST}:${port} ssl http2; ssl_certificate ${crt}; ssl_certificate_key ${key}; location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
              `upstream u { server ${HOST}:${upPort}; keepalive 64; }`,
              1,
            ),
          );
          return { port, child: startProcess('nginx', ['-p', d, '-c', join(d, 'nginx.conf'), '-e', join(d, 'error.log')], 'nginx') };
        },
      },
    ];
    const results: Result[] = [];
    for (const p of peers) {
      const { port, child } = await p.start();
      children.push(child);
      await waitListening(port, child, p.name);
      await h2load('warm-up', port, ['-n', '500']).catch(() => undefined);
      results.push(await h2load(p.name, port, ['-D', String(SECONDS)]));
      await stop(child);
    }
    const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
    console.log(
      `h2load -D ${SECONDS} ${FLAGS.join(' ')} over TLS (ALPN h2) to each front, nginx HTTP/1.1 upstream, ${new Date().toISOString()}, load average ${load}`,
    );
    console.log(`${'front'.padEnd(30)} ${'protocol'.padEnd(8)} ${'requests/s'.padStart(11)} ${'succeeded'.padStart(10)} ${'failed'.padStart(7)}`);
    for (const r of results)
      console.log(
        `${r.name.padEnd(30)} ${r.protocol.padEnd(8)} ${r.rps.toFixed(0).padStart(11)} ${String(r.succeeded).padStart(10)} ${String(r.failed).padStart(7)}`,
      );
    const [ours, nginx] = results;
    console.log(`netlab / nginx: ${((100 * ours.rps) / nginx.rps).toFixed(0)}%`);
  } finally {
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
