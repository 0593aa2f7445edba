// `npm run bench:proxy-cpu`: CPU time of the proxy process per request, netlab's reverse proxy beside
// nginx (one worker, no master) on the same flow: `wrk -t1 -c50` keep-alive GETs of a small "ok" served
// by an nginx upstream (two workers, its own process). Requests/s swings by 2x on a loaded machine;
// CPU per request (user+sys of the proxy's process from /proc/PID/stat, before and after the run,
// divided by the requests wrk counted) does not, so the ratio of the two is the figure to compare.
// BENCH_SECONDS sets the seconds per run (default 5); BENCH_ROUNDS the alternating rounds (default 3,
// the median is printed). BENCH_BEFORE=DIR adds a third process alternating with the two: netlab as
// built in another checkout DIR (its dist/, from `node scripts/build.mjs` there), so a change's before
// and after are measured in the same minutes. Everything listens on 127.0.0.1; every process is stopped
// at the end.

import { type ChildProcess, execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION, freePort, HOST, nginxConf, startProcess, stop, waitListening } from './http-peers.ts';
import { hasCommand } from './peers.ts';

const ROOT = join(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const BEFORE = process.env.BENCH_BEFORE;
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** [user, sys] CPU of a process in µs (fields 14 and 15 of /proc/PID/stat, in clock ticks). */
function cpuUs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * TICK_US, Number(f[12]) * TICK_US];
}

/** wrk's request count for one run. */
function wrkRequests(port: number, seconds: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c50', `-d${seconds}s`, `http://${HOST}:${port}/`], { timeout: 120_000 }, (err, stdout) => {
      if (err !== null) return reject(err);
      const n = Number(/(\d+) requests in/.exec(stdout)?.[1]);
      // Timeouts (wrk's 2 s, on a loaded machine) are tolerated; refused, reset or non-2xx answers are not.
      if (/Non-2xx|Socket errors: connect [1-9]|read [1-9]|write [1-9]/.test(stdout)) return reject(new Error(`wrk reported errors:\n${stdout}`));
      resolve(n);
    });
  });
}

interface Peer {
  readonly name: string;
  port: number;
  child: ChildProcess;
  samples: number[];
  /** The share of system (kernel) time in each round. */
  sysShare: number[];
}

async function measure(p: Peer): Promise<void> {
  const pid = p.child.pid as number;
  const [u0, s0] = cpuUs(pid);
  const n = await wrkRequests(p.port, DURATION);
  const [u1, s1] = cpuUs(pid);
  p.samples.push((u1 - u0 + s1 - s0) / n);
  p.sysShare.push((s1 - s0) / (u1 - u0 + s1 - s0));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (!hasCommand(tool)) {
      console.log(`bench:proxy-cpu skipped: ${tool} is not installed (apt-get install ${tool})`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-proxy-cpu-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  try {
    const upPort = await freePort();
    const upDir = join(dir, 'upstream');
    mkdirSync(upDir, { mode: 0o755 });
    writeFileSync(join(upDir, 'nginx.conf'), nginxConf(upDir, upPort, '', 2).replace('LOCATION', 'location / { return 200 "ok\\n"; }'));
    const up = startProcess('nginx', ['-p', upDir, '-c', join(upDir, 'nginx.conf'), '-e', join(upDir, 'error.log')], 'upstream nginx');
    children.push(up);
    await waitListening(upPort, up, 'upstream nginx');

    const nlPort = await freePort();
    const file = join(dir, 'netlab.yaml');
    writeFileSync(
      file,
      `listeners:\n  - { name: web, address: ${HOST}, port: ${nlPort} }\nroutes:\n  - { name: all, cluster: up }\nclusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${HOST}, port: ${upPort} }]\n`,
    );
    const nl = startProcess(process.execPath, [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '1000', file], 'netlab proxy');
    children.push(nl);
    let before: Peer | undefined;
    if (BEFORE !== undefined) {
      if (!existsSync(join(BEFORE, 'dist/netlab.js'))) throw new Error(`BENCH_BEFORE=${BEFORE} has no dist/netlab.js: run "node scripts/build.mjs" there`);
      const port = await freePort();
      const bfile = join(dir, 'netlab-before.yaml');
      writeFileSync(bfile, readFileSync(file, 'utf8').replace(`port: ${nlPort} }`, `port: ${port} }`));
      const child = startProcess(
        process.execPath,
        [join(BEFORE, 'bin/netlab.js'), 'proxy', 'run', '--no-watch', '--grace', '1000', bfile],
        'netlab proxy (before)',
      );
      children.push(child);
      before = { name: 'netlab before', port, child, samples: [], sysShare: [] };
    }

    const ngPort = await freePort();
    const ngDir = join(dir, 'nginx');
    mkdirSync(ngDir, { mode: 0o755 });
    writeFileSync(
      join(ngDir, 'nginx.conf'),
      nginxConf(ngDir, ngPort, `upstream u { server ${HOST}:${upPort}; keepalive 64; }`, 1).replace(
        'LOCATION',
        'location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; }',
      ),
    );
    // master_process off: the one process is the worker, so its CPU is the worker's.
    const ng = startProcess('nginx', ['-p', ngDir, '-c', join(ngDir, 'nginx.conf'), '-e', join(ngDir, 'error.log')], 'nginx');
    children.push(ng);

    const peers: Peer[] = [
      { name: 'netlab', port: nlPort, child: nl, samples: [], sysShare: [] },
      { name: 'nginx, 1 worker', port: ngPort, child: ng, samples: [], sysShare: [] },
      ...(before === undefined ? [] : [before]),
    ];
    for (const p of peers) {
      await waitListening(p.port, p.child, p.name);
      await wrkRequests(p.port, '5'); // warm-up (JIT, pools)
    }
    for (let r = 0; r < ROUNDS; r++) for (const p of peers) await measure(p);

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`wrk -t1 -c50 -d${DURATION}s, ${ROUNDS} alternating rounds, load average ${load}, ${new Date().toISOString()}`);
    console.log(`${'proxy'.padEnd(18)} ${'µs CPU/request'.padStart(15)} ${'kernel'.padStart(7)}  rounds`);
    for (const p of peers) {
      const sys = `${(median(p.sysShare) * 100).toFixed(0)}%`;
      console.log(`${p.name.padEnd(18)} ${median(p.samples).toFixed(1).padStart(15)} ${sys.padStart(7)}  ${p.samples.map((s) => s.toFixed(1)).join(' ')}`);
    }
    const ratio = median(peers[1].samples) / median(peers[0].samples);
    console.log(`netlab's speed at equal CPU: ${(ratio * 100).toFixed(0)}% of nginx's (nginx µs / netlab µs)`);
    if (before !== undefined) {
      const r0 = median(peers[1].samples) / median(before.samples);
      console.log(
        `netlab before (${BEFORE}): ${(r0 * 100).toFixed(0)}% of nginx's; after / before CPU: ${((median(peers[0].samples) / median(before.samples)) * 100).toFixed(0)}%`,
      );
    }
  } finally {
    for (const c of children.reverse()) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
