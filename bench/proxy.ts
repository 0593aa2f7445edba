// `npm run bench:proxy`: wrk (one thread, 50 keep-alive connections, 5 s) through reverse proxies in
// front of the same upstream, in one run: netlab's proxy (`netlab proxy run`, as a user runs it, its
// own process), nginx (one worker), HAProxy (one thread) and node-http-proxy (the npm package with a
// keep-alive agent), each keeping a pool of upstream connections; then netlab on both cores
// (`--workers 2`) beside nginx with two workers. Two responses: "ok" (requests/s, p50, p99) and
// 1 MiB (MB/s). The upstream is nginx answering from memory and from a 1 MiB file (two workers, its own
// process). Prints each figure and netlab's share of each peer's. Everything listens on 127.0.0.1;
// every process is stopped at the end. BENCH_SECONDS sets the seconds per run (default 5).

import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION, freePort, HOST, nginxConf, startProcess, stop, waitListening, type WrkResult, wrk } from './http-peers.ts';
import { hasCommand } from './peers.ts';

const ROOT = join(import.meta.dirname, '..');

interface Peer {
  readonly name: string;
  start(upPort: number): Promise<{ port: number; child: ChildProcess }>;
}

/** A proxy process started, checked listening, warmed up. */
async function startPeer(p: Peer, upPort: number): Promise<{ port: number; child: ChildProcess }> {
  const r = await p.start(upPort);
  await waitListening(r.port, r.child, p.name);
  await wrk('warm-up', r.port).catch(() => undefined);
  return r;
}

function peers(dir: string): Peer[] {
  const netlab = (workers: number): Peer => ({
    name: workers === 1 ? 'netlab' : `netlab --workers ${workers}`,
    async start(upPort) {
      const port = await freePort();
      const file = join(dir, `netlab-${workers}.yaml`);
      writeFileSync(
        file,
        `listeners:\n  - { name: web, address: ${HOST}, port: ${port} }\nroutes:\n  - { name: all, cluster: up }\nclusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${HOST}, port: ${upPort} }]\n`,
      );
      const args = [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '1000', '--workers', String(workers), file];
      return { port, child: startProcess(process.execPath, args, 'netlab proxy') };
    },
  });
  const nginx = (workers: number): Peer => ({
    name: `nginx, ${workers} worker${workers > 1 ? 's' : ''}`,
    async start(upPort) {
      const port = await freePort();
      const d = join(dir, `nginx-${workers}`);
      mkdirSync(d, { mode: 0o755 });
      writeFileSync(
        join(d, 'nginx.conf'),
        nginxConf(d, port, `upstream u { server ${HOST}:${upPort}; keepalive 64; }`, workers).replace(
          'LOCATION',
          'location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; }',
        ),
      );
      return { port, child: startProcess('nginx', ['-p', d, '-c', join(d, 'nginx.conf'), '-e', join(d, 'error.log')], 'nginx') };
    },
  });
  const haproxy: Peer = {
    name: 'HAProxy, 1 thread',
    async start(upPort) {
      const port = await freePort();
      const cfg = join(dir, 'haproxy.cfg');
      writeFileSync(
        cfg,
        `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend fe\n  bind ${HOST}:${port}\n  default_backend be\nbackend be\n  server up ${HOST}:${upPort}\n`,
      );
      return { port, child: startProcess('haproxy', ['-f', cfg, '-db'], 'haproxy') };
    },
  };
  const nodeHttpProxy: Peer = {
    name: 'node-http-proxy',
    async start(upPort) {
      const port = await freePort();
      return { port, child: startProcess(process.execPath, [join(ROOT, 'bench/node-http-proxy-peer.mjs'), String(port), String(upPort)], 'node-http-proxy') };
    },
  };
  return [netlab(1), nginx(1), ...(hasCommand('haproxy') ? [haproxy] : []), nodeHttpProxy, netlab(2), nginx(2)];
}

function table(title: string, rows: readonly WrkResult[], big: boolean): void {
  console.log(`\n${title}`);
  console.log(`${'proxy'.padEnd(22)} ${(big ? 'MB/s' : 'requests/s').padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  netlab/this  errors`);
  const figure = (r: WrkResult): number => (big ? r.bytesPerSec / 1e6 : r.rps);
  for (const r of rows) {
    const ours = rows.find((x) => x.name === (r.name.includes('2 workers') ? 'netlab --workers 2' : 'netlab'));
    const ratio = ours === undefined || r.name.startsWith('netlab') ? '' : `${((figure(ours) / figure(r)) * 100).toFixed(0)}%`;
    console.log(
      `${r.name.padEnd(22)} ${figure(r)
        .toFixed(big ? 1 : 0)
        .padStart(11)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)}  ${ratio.padStart(11)}  ${r.errors || '-'}`,
    );
  }
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (!hasCommand(tool)) {
      console.log(`bench:proxy skipped: ${tool} is not installed (apt-get install ${tool})`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-proxy-'));
  // nginx with a master process runs its workers as another user (nobody): they must reach the files.
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  try {
    // The upstream: nginx with two workers answering "ok" from memory and a 1 MiB file from the page cache.
    const upPort = await freePort();
    const upDir = join(dir, 'upstream');
    mkdirSync(upDir, { mode: 0o755 });
    writeFileSync(join(upDir, 'big.bin'), Buffer.alloc(1024 * 1024, 'x'));
    writeFileSync(
      join(upDir, 'nginx.conf'),
      nginxConf(upDir, upPort, '', 2).replace('LOCATION', `location = /big { alias ${upDir}/big.bin; } location / { return 200 "ok\\n"; }`),
    );
    const up = startProcess('nginx', ['-p', upDir, '-c', join(upDir, 'nginx.conf'), '-e', join(upDir, 'error.log')], 'upstream nginx');
    children.push(up);
    await waitListening(upPort, up, 'upstream nginx');

    const small: WrkResult[] = [];
    const big: WrkResult[] = [];
    for (const p of peers(dir)) {
      const { port, child } = await startPeer(p, upPort);
      children.push(child);
      small.push(await wrk(p.name, port));
      big.push(await wrk(p.name, port, '/big'));
      await stop(child);
    }
    console.log(`wrk -t1 -c50 -d${DURATION}s through each proxy to one nginx upstream (its own process), one run, ${new Date().toISOString()}`);
    table('small responses ("ok")', small, false);
    table('1 MiB responses', big, true);
  } finally {
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
