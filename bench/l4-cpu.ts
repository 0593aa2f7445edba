// `npm run bench:l4-cpu`: CPU time of the L4 balancer's process per short TCP connection, netlab
// (`bin/netlab.js l4 run FILE`, as a user runs it: one process, a log line per connection to stdout,
// here /dev/null) beside a plain Node socket pipe (the floor of Node's `net`: accept, connect, pipe
// both ways), HAProxy `mode tcp` (nbthread 1) and nginx `stream` (one process, master_process off).
// The flow: `wrk -t1 -c32 -dS -H 'Connection: close'` through each to an nginx upstream answering
// "ok" (one process): a new client connection and a new upstream connection per request. Connections
// per second swing by 2x on a loaded machine; CPU per connection (user+sys of the balancer's process
// from /proc/PID/stat, before and after the run, divided by the requests wrk completed) does not,
// so the ratios of those are the figures to compare.
//
// BENCH_SECONDS: seconds per run (default 5). BENCH_ROUNDS: alternating rounds (default 3; medians
// printed). BENCH_L4_BEFORE=/path/to/another/checkout adds that checkout's bin/netlab.js as a peer
// ("netlab before"), for a before/after in the same run. Everything listens on 127.204.17.0/24;
// every process started is stopped at the end, also on error.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortOn, L4Peers, nginxStreamProblem, type Started, type Starter, waitListeningOn, wrkShortConnections } from './l4-peers.ts';
import { commandVersion, hasCommand } from './peers.ts';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const BEFORE = process.env.BENCH_L4_BEFORE;
const CONNECTIONS = 32;
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const NET = '127.204.17';
const UPSTREAM = `${NET}.1`;
if (!(SECONDS >= 1 && SECONDS <= 60)) throw new Error(`BENCH_SECONDS must be 1..60, got ${process.env.BENCH_SECONDS}`);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) throw new Error(`BENCH_ROUNDS must be 1..20, got ${process.env.BENCH_ROUNDS}`);

/** [user, sys] CPU of a process in µs (fields 14 and 15 of /proc/PID/stat, in clock ticks). */
function cpuUs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * TICK_US, Number(f[12]) * TICK_US];
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The median over rounds of a[r] / b[r]: peers measured in the same minute are compared with each other. */
const pairedRatio = (a: number[], b: number[]): number => median(a.map((x, i) => x / b[i]));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-l4-cpu-'));
const peers = new L4Peers(dir, log);
function cleanup(): void {
  peers.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });

/** `node ROOT/bin/netlab.js l4 run FILE`: one tcp listener, one endpoint. */
function netlabRun(root: string, label: string): Starter {
  return async (h, uh, up) => {
    const port = await freePortOn(h);
    const file = join(dir, `l4-${label}-${port}.yaml`);
    writeFileSync(
      file,
      `listeners:\n  - { name: bench, address: ${h}, port: ${port}, mode: tcp, cluster: up }\nclusters:\n  - name: up\n    endpoints: [{ name: u1, address: ${uh}, port: ${up} }]\n`,
    );
    const child = peers.track(
      spawn(process.execPath, [join(root, 'bin/netlab.js'), 'l4', 'run', file, '--drain-ms', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] }),
      label,
    );
    await waitListeningOn(h, port, label, 20_000);
    return { port, child };
  };
}

interface Peer {
  readonly name: string;
  readonly host: string;
  readonly start: Starter;
  started?: Started;
  /** µs of CPU per connection, per round. */
  cpu: number[];
  /** The kernel's share of that CPU, per round. */
  sys: number[];
  /** Connections per second (wall clock), per round. */
  rate: number[];
  errors: string[];
}

async function measure(p: Peer): Promise<void> {
  const started = p.started as Started;
  const pid = started.child?.pid as number;
  const [u0, s0] = cpuUs(pid);
  const r = await wrkShortConnections(p.host, started.port, SECONDS, CONNECTIONS);
  const [u1, s1] = cpuUs(pid);
  if (r.errors !== undefined) p.errors.push(r.errors);
  p.cpu.push((u1 - u0 + s1 - s0) / r.requests);
  p.sys.push((s1 - s0) / Math.max(1, u1 - u0 + s1 - s0));
  p.rate.push(r.perSecond);
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (!hasCommand(tool)) {
      console.log(`bench:l4-cpu skipped: ${tool} is not installed (apt-get install ${tool})`);
      return;
    }
  }
  const list: Peer[] = [];
  const add = (name: string, host: string, start: Starter): void => void list.push({ name, host, start, cpu: [], sys: [], rate: [], errors: [] });
  add('netlab l4 run', `${NET}.2`, netlabRun(ROOT, 'netlab'));
  if (BEFORE !== undefined) add('netlab before', `${NET}.6`, netlabRun(BEFORE, 'netlab-before'));
  add('Node socket pipe', `${NET}.3`, peers.nodeChild('pipe'));
  if (hasCommand('haproxy')) add('HAProxy mode tcp', `${NET}.4`, peers.haproxy);
  else log('HAProxy skipped: haproxy is not installed');
  const why = nginxStreamProblem();
  if (why === undefined) add('nginx stream', `${NET}.5`, peers.nginxStream);
  else log(`nginx stream skipped: ${why}`);

  const upstream = await peers.httpUpstream(UPSTREAM);
  const loads = [loadAverage()];
  try {
    for (const p of list) {
      p.started = await p.start(p.host, UPSTREAM, upstream.port);
      log(`${p.name}: warming up (2 s of wrk)`);
      await wrkShortConnections(p.host, p.started.port, 2, CONNECTIONS); // JIT, pools
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of list) {
        log(`round ${r + 1}/${ROUNDS}: ${p.name}`);
        await measure(p);
      }
      loads.push(loadAverage());
    }
  } finally {
    for (const p of list) if (p.started?.child !== undefined) await peers.stop(p.started.child as ChildProcess);
    await peers.stop(upstream.child);
  }

  const lines: string[] = [];
  lines.push(
    `bench:l4-cpu — wrk -t1 -c${CONNECTIONS} -d${SECONDS}s -H 'Connection: close' to an nginx "ok" upstream, ${ROUNDS} alternating rounds, ${new Date().toISOString()}`,
  );
  lines.push(`load average (1/5/15 min) at the start and after each round: ${loads.join(' | ')}`);
  lines.push(`Node ${process.version} | ${commandVersion('haproxy', ['-v'])} | ${commandVersion('sh', ['-c', 'nginx -v 2>&1'])}`);
  lines.push('');
  lines.push('| balancer (one process) | µs CPU/connection | kernel share | conn/s (wall) | rounds, µs |');
  lines.push('|---|---:|---:|---:|---|');
  for (const p of list) {
    lines.push(
      `| ${p.name} | ${median(p.cpu).toFixed(0)} | ${(median(p.sys) * 100).toFixed(0)}% | ${median(p.rate).toFixed(0)} | ${p.cpu.map((c) => c.toFixed(0)).join(' / ')} |`,
    );
  }
  lines.push('');
  const by = (prefix: string): Peer | undefined => list.find((p) => p.name.startsWith(prefix));
  const nl = by('netlab l4');
  const hap = by('HAProxy');
  const pipe = by('Node socket');
  const before = by('netlab before');
  if (nl !== undefined && hap !== undefined) {
    const pct = (a: Peer, b: Peer): string => `${((median(b.cpu) / median(a.cpu)) * 100).toFixed(0)}%`;
    const paired = (a: Peer, b: Peer): string => `${(pairedRatio(b.cpu, a.cpu) * 100).toFixed(0)}%`;
    lines.push(`connections per CPU second, as a share of HAProxy's (HAProxy µs / peer µs; target ≥ 80%):`);
    for (const p of list) if (p !== hap) lines.push(`  ${p.name}: ${pct(p, hap)} of the medians, ${paired(p, hap)} as the median of the rounds' ratios`);
  }
  if (nl !== undefined && pipe !== undefined) {
    const above = median(nl.cpu) - median(pipe.cpu);
    lines.push(
      `netlab above the Node pipe: ${above.toFixed(0)} µs per connection, ${((above / median(nl.cpu)) * 100).toFixed(0)}% of netlab's CPU per connection`,
    );
  }
  if (nl !== undefined && before !== undefined)
    lines.push(
      `netlab now / before: ${((median(nl.cpu) / median(before.cpu)) * 100).toFixed(0)}% of the CPU per connection (medians), ${(pairedRatio(nl.cpu, before.cpu) * 100).toFixed(0)}% (median of the rounds' ratios)`,
    );
  for (const p of list) for (const e of new Set(p.errors)) lines.push(`note ${p.name}: wrk reported ${e}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main()
  .catch((err: unknown) => {
    log(`bench:l4-cpu failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
