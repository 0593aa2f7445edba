// `npm run bench:cache`: cache hits through a reverse proxy, netlab's proxy with its cache on
// (`netlab proxy run`, its own process) beside nginx with `proxy_cache` (one worker), both in front of
// the same upstream, for the same cached object at two sizes (2 KiB and 100 KiB, Cache-Control:
// max-age=3600). Each proxy is warmed (a miss, then a hit it reports: X-Cache: HIT for netlab,
// X-Cache-Status: HIT for nginx, then one second of wrk), then wrk runs with the same flags (one thread, 50 keep-alive
// connections, BENCH_SECONDS, default 5 s). The upstream counts its requests: the count must not move
// during a run, or the figure is not of cache hits and the row says so. Prints requests/s, MB/s and
// netlab's share of nginx's. The two proxies run side by side and take turns, BENCH_ROUNDS rounds
// (default 3), and the median of each counts. Everything listens on 127.0.0.1; every process is stopped at the end.

import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION, freePort, HOST, nginxConf, startProcess, stop, waitListening, type WrkResult, wrk } from './http-peers.ts';
import { hasCommand } from './peers.ts';

const ROOT = join(import.meta.dirname, '..');
const OBJECTS: readonly { readonly path: string; readonly bytes: number }[] = [
  { path: '/obj-2k', bytes: 2 * 1024 },
  { path: '/obj-100k', bytes: 100 * 1024 },
];

/** The upstream: node:http answering the objects with a long max-age and an ETag, counting requests. */
async function startUpstream(): Promise<{ server: Server; port: number; count: () => number }> {
  let n = 0;
  const bodies = new Map(OBJECTS.map((o) => [o.path, Buffer.alloc(o.bytes, 'netlab cache bench ')]));
  const server = createServer((req, res) => {
    n++;
    const body = bodies.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'max-age=3600',
      ETag: `"${body.length}"`,
    });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const a = server.address();
  return { server, port: a !== null && typeof a !== 'string' ? a.port : 0, count: () => n };
}

/** One GET: status and the proxy's cache header. */
function get(port: number, path: string): Promise<{ status: number; cache: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cache: String(res.headers['x-cache'] ?? res.headers['x-cache-status'] ?? '') }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} on ${port}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface Peer {
  readonly name: string;
  start(dir: string, upPort: number): Promise<{ port: number; child: ChildProcess }>;
}

const netlab: Peer = {
  name: 'netlab (cache)',
  async start(dir, upPort) {
    const port = await freePort();
    const file = join(dir, 'netlab.yaml');
    writeFileSync(
      file,
      `listeners:\n  - { name: web, address: ${HOST}, port: ${port} }\nroutes:\n  - { name: all, cluster: up, cache: true }\n` +
        `clusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${HOST}, port: ${upPort} }]\n` +
        'cache:\n  maxBytes: 67108864\n  maxEntryBytes: 1048576\n',
    );
    const args = [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '1000', file];
    return { port, child: startProcess(process.execPath, args, 'netlab proxy') };
  },
};

const nginx: Peer = {
  name: 'nginx proxy_cache, 1 worker',
  async start(dir, upPort) {
    const port = await freePort();
    const d = join(dir, 'nginx');
    mkdirSync(join(d, 'cache'), { recursive: true, mode: 0o755 });
    writeFileSync(
      join(d, 'nginx.conf'),
      nginxConf(d, port, `upstream u { server ${HOST}:${upPort}; keepalive 64; }\n  proxy_cache_path ${d}/cache keys_zone=bench:10m max_size=64m;`, 1).replace(
        'LOCATION',
        'location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_cache bench; ' +
          'add_header X-Cache-Status $upstream_cache_status; }',
      ),
    );
    return { port, child: startProcess('nginx', ['-p', d, '-c', join(d, 'nginx.conf'), '-e', join(d, 'error.log')], 'nginx') };
  },
};

interface Row {
  readonly peer: string;
  readonly object: string;
  /** Each round's wrk result. */
  readonly runs: WrkResult[];
  /** Upstream requests during the measured wrk runs (0 when every answer came from the cache). */
  upstreamDuring: number;
  readonly warm: string;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (!hasCommand(tool)) {
      console.log(`bench:cache skipped: ${tool} is not installed (apt-get install ${tool})`);
      return;
    }
  }
  if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 9)) throw new Error(`BENCH_ROUNDS must be 1..9, got ${process.env.BENCH_ROUNDS}`);
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-cache-'));
  chmodSync(dir, 0o755);
  const up = await startUpstream();
  const children: ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    // Both proxies run side by side and take turns (netlab, nginx, netlab, ...): on a shared machine
    // the load drifts, and alternating rounds give each the same share of the drift.
    const started: { peer: Peer; port: number }[] = [];
    for (const peer of [netlab, nginx]) {
      const { port, child } = await peer.start(dir, up.port);
      children.push(child);
      await waitListening(port, child, peer.name);
      started.push({ peer, port });
    }
    for (const o of OBJECTS) {
      const these: Row[] = [];
      for (const { peer, port } of started) {
        const first = await get(port, o.path);
        const second = await get(port, o.path);
        if (first.status !== 200 || second.status !== 200) throw new Error(`${peer.name} ${o.path}: status ${first.status} then ${second.status}`);
        await wrk('warm-up', port, o.path, '1'); // the JIT warms, as in bench:proxy
        these.push({ peer: peer.name, object: `${o.bytes / 1024} KiB`, runs: [], upstreamDuring: 0, warm: `${first.cache} then ${second.cache}` });
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, { peer, port }] of started.entries()) {
          const row = these[i] as Row;
          const before = up.count();
          row.runs.push(await wrk(peer.name, port, o.path));
          row.upstreamDuring += up.count() - before;
        }
      }
      rows.push(...these);
    }
  } finally {
    for (const c of children.reverse()) await stop(c);
    await new Promise<void>((resolve) => up.server.close(() => resolve()));
    up.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `wrk -t1 -c50 -d${DURATION}s, cache hits through each proxy, one upstream (node:http, counted), ${ROUNDS} alternating rounds, median; ${new Date().toISOString()}`,
  );
  console.log(
    `${'proxy'.padEnd(30)} ${'object'.padStart(7)} ${'req/s'.padStart(9)} ${'MB/s'.padStart(8)}  ${'rounds req/s'.padEnd(20)} upstream  warm-up        netlab/nginx`,
  );
  const rps = (r: Row): number => median(r.runs.map((x) => x.rps));
  for (const r of rows) {
    const ours = rows.find((x) => x.peer === netlab.name && x.object === r.object);
    const share = ours === undefined || r.peer === netlab.name ? '' : `${((rps(ours) / rps(r)) * 100).toFixed(0)}%`;
    const upstream = r.upstreamDuring === 0 ? '0' : `${r.upstreamDuring} (NOT all hits)`;
    const errors = r.runs.map((x) => x.errors).filter((e) => e !== '');
    console.log(
      `${r.peer.padEnd(30)} ${r.object.padStart(7)} ${rps(r).toFixed(0).padStart(9)} ${(median(r.runs.map((x) => x.bytesPerSec)) / 1e6).toFixed(1).padStart(8)}  ` +
        `${r.runs
          .map((x) => x.rps.toFixed(0))
          .join(' ')
          .padEnd(20)} ${upstream.padStart(8)}  ${r.warm.padEnd(13)}  ${share.padStart(11)}${errors.length === 0 ? '' : `  ${errors.join('; ')}`}`,
    );
  }
}

await main();
