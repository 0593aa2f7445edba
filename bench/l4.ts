// `npm run bench:l4 [-- --seconds N --parallel N --idle N]`: netlab's TCP balancer beside HAProxy
// `mode tcp` (nbthread 1), nginx `stream` (one process) and a plain Node socket pipe (the floor), plus
// the upstream reached directly (the ceiling), in one run, all on 127.88.17.0/24.
//
// - Bulk: iperf3 through each peer to one `iperf3 -s -1` upstream (a fresh one per test), `-t N -J`,
//   both directions (`-R` for the upstream sending); Gbit/s as the receiver counted it.
// - Connection rate: `--parallel` workers each loop for N seconds on short connections to an
//   echo-and-close upstream: connect, send 64 bytes, read the 64-byte echo (the latency), wait for
//   the close. Connections per second and p50/p99 of connect+echo, after 0.5 s of warm-up per peer.
// - Memory: `--idle` idle connections held open through netlab; its child's RSS and heap (after a
//   full GC) before and after, per connection.
// Targets (issue 17): netlab's bulk at least 50% of HAProxy's, its connections/s at least 80%.
// netlab and the pipe run in child processes (bench/l4-child.ts); every process started here is
// killed at the end, also on error, and a watchdog ends a run that hangs.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePortOn as freePort, L4Peers, nginxStreamProblem, run, sleep, type Starter, wrkShortConnections } from './l4-peers.ts';
import { commandVersion, hasCommand } from './peers.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    parallel: { type: 'string', default: '32' },
    idle: { type: 'string', default: '1000' },
  },
});
const SECONDS = Number(values.seconds);
const PARALLEL = Number(values.parallel);
const IDLE = Number(values.idle);
if (!(SECONDS >= 1 && SECONDS <= 30)) throw new Error(`--seconds must be 1..30, got ${values.seconds}`);
if (!(PARALLEL >= 1 && PARALLEL <= 256)) throw new Error(`--parallel must be 1..256, got ${values.parallel}`);
if (!(IDLE >= 10 && IDLE <= 5000)) throw new Error(`--idle must be 10..5000, got ${values.idle}`);

const NET = '127.88.17';
const UPSTREAM = `${NET}.1`;
const ECHO_BYTES = 64;
const WATCHDOG_MS = (SECONDS * 2 * 6 + SECONDS * 6 + 120) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-l4-'));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const peers = new L4Peers(dir, log);
const track = (child: ChildProcess, what: string): ChildProcess => peers.track(child, what);
const stop = (child: ChildProcess): Promise<void> => peers.stop(child);
const startChild = (args: string[]): Promise<{ child: ChildProcess; port: number }> => peers.startChild(args);

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

interface Mem {
  rss: number;
  heapUsed: number;
}
function childMemory(child: ChildProcess): Promise<Mem> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the netlab child did not report its memory within 5 s')), 5000);
    child.once('message', (m: unknown) => {
      clearTimeout(t);
      const mem = (m as { mem: NodeJS.MemoryUsage }).mem;
      resolve({ rss: mem.rss, heapUsed: mem.heapUsed });
    });
    child.send('mem');
  });
}

// ---------------------------------------------------------------------------------------------
// The peers.

const direct: Starter = async (_h, _uh, up) => ({ port: up });

interface PeerDef {
  readonly name: string;
  readonly host: string;
  readonly start?: Starter;
  readonly skip?: string;
}

const PEERS: PeerDef[] = [
  { name: 'direct (no proxy)', host: UPSTREAM, start: direct },
  { name: 'netlab TcpBalancer', host: `${NET}.2`, start: peers.nodeChild('netlab') },
  hasCommand('haproxy')
    ? { name: 'HAProxy mode tcp', host: `${NET}.3`, start: peers.haproxy }
    : { name: 'HAProxy mode tcp', host: `${NET}.3`, skip: 'haproxy is not installed' },
  ((): PeerDef => {
    const why = nginxStreamProblem();
    return why === undefined ? { name: 'nginx stream', host: `${NET}.4`, start: peers.nginxStream } : { name: 'nginx stream', host: `${NET}.4`, skip: why };
  })(),
  { name: 'Node socket pipe', host: `${NET}.5`, start: peers.nodeChild('pipe') },
];

// ---------------------------------------------------------------------------------------------
// Bulk: iperf3.

/** Gbit/s through `peer` (started in front of a fresh one-test iperf3 server); `reverse` has the server send. */
async function bulk(def: PeerDef, reverse: boolean): Promise<number> {
  const up = await freePort(UPSTREAM);
  const server = track(spawn('iperf3', ['-s', '-B', UPSTREAM, '-p', String(up), '-1', '--forceflush'], { stdio: ['ignore', 'pipe', 'pipe'] }), 'iperf3 -s');
  let peer: { port: number; child?: ChildProcess } | undefined;
  try {
    // Not a connect probe: the one-test server would take it for its test.
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error('iperf3 -s did not say it listens within 5 s')), 5000);
      server.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Server listening')) {
          clearTimeout(t);
          resolve();
        }
      });
      server.once('exit', (code) => reject(new Error(`iperf3 -s exited ${code} before listening`)));
    });
    peer = await (def.start as Starter)(def.host, UPSTREAM, up);
    const out = await run(
      'iperf3',
      ['-c', def.host, '-p', String(peer.port), '-t', String(SECONDS), '-J', '--connect-timeout', '3000', ...(reverse ? ['-R'] : [])],
      (SECONDS + 15) * 1000,
    );
    const json = JSON.parse(out) as { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
    if (json.error !== undefined) throw new Error(`iperf3 through ${def.name}: ${json.error}`);
    const bps = json.end?.sum_received?.bits_per_second;
    if (typeof bps !== 'number') throw new Error(`iperf3 through ${def.name}: no end.sum_received.bits_per_second in its JSON`);
    return bps / 1e9;
  } finally {
    if (peer?.child !== undefined) await stop(peer.child);
    await stop(server);
  }
}

// ---------------------------------------------------------------------------------------------
// Connection rate.

interface Rate {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

/** One short connection: connect, 64 bytes, the echo (its latency in ms), then the server's close. */
function shortConnection(host: string, port: number, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let latency = -1;
    let got = 0;
    const s: Socket = connect({ host, port });
    s.setNoDelay(true);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('no echo and close within 5 s'));
    }, 5000);
    s.once('connect', () => s.write(payload));
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= ECHO_BYTES && latency < 0) latency = Number(process.hrtime.bigint() - start) / 1e6;
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(new Error(err.code ?? err.message));
    });
    s.once('close', (hadError) => {
      clearTimeout(t);
      if (hadError) return;
      if (latency < 0) reject(new Error(`closed after ${got} of ${ECHO_BYTES} echoed bytes`));
      else resolve(latency);
    });
  });
}

async function connectionRate(host: string, port: number, seconds = SECONDS): Promise<Rate> {
  const payload = Buffer.alloc(ECHO_BYTES, 0x61);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      try {
        latencies.push(await shortConnection(host, port, payload));
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        if (errors > 1000) return;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => (latencies.length === 0 ? Number.NaN : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]);
  return { perSecond: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors, ...(firstError === undefined ? {} : { firstError }) };
}

// ---------------------------------------------------------------------------------------------
// Memory per idle connection through netlab.

async function idleMemory(echoPort: number): Promise<{ rss: number; heap: number; open: number }> {
  const { child, port } = await startChild(['netlab', `${NET}.2`, UPSTREAM, String(echoPort)]);
  const sockets: Socket[] = [];
  try {
    // Warm up the code paths first so the "before" figure already holds them.
    await shortConnection(`${NET}.2`, port, Buffer.alloc(ECHO_BYTES, 0x62));
    await sleep(200);
    const before = await childMemory(child);
    for (let i = 0; i < IDLE; i += 100) {
      await Promise.all(
        Array.from(
          { length: Math.min(100, IDLE - i) },
          () =>
            new Promise<void>((resolve, reject) => {
              const s = connect({ host: `${NET}.2`, port });
              sockets.push(s);
              s.once('connect', () => resolve());
              s.once('error', reject);
            }),
        ),
      );
    }
    await sleep(500); // the balancer connects upstream after accepting
    const after = await childMemory(child);
    const open = sockets.filter((s) => !s.destroyed).length;
    return { rss: (after.rss - before.rss) / IDLE, heap: (after.heapUsed - before.heapUsed) / IDLE, open };
  } finally {
    for (const s of sockets) s.destroy();
    await stop(child);
  }
}

// ---------------------------------------------------------------------------------------------

interface Row {
  name: string;
  skip?: string;
  up?: number;
  down?: number;
  rate?: Rate;
  /** wrk with Connection: close through the peer to nginx: a new TCP connection per request. */
  wrkRate?: number;
  notes: string[];
}

async function main(): Promise<void> {
  for (const tool of ['iperf3']) if (!hasCommand(tool)) throw new Error(`${tool} is not installed (Debian: apt-get install ${tool})`);
  const watchdog = setTimeout(() => {
    log(`bench:l4: still running after ${WATCHDOG_MS / 1000} s, giving up`);
    cleanup();
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const rows: Row[] = [];
  for (const def of PEERS) {
    const row: Row = { name: def.name, notes: [] };
    rows.push(row);
    if (def.skip !== undefined) {
      row.skip = def.skip;
      log(`${def.name}: skipped (${def.skip})`);
      continue;
    }
    for (const reverse of [false, true]) {
      log(`${def.name}: iperf3 ${reverse ? '-R (upstream sends)' : '(client sends)'} for ${SECONDS} s...`);
      try {
        const g = await bulk(def, reverse);
        if (reverse) row.down = g;
        else row.up = g;
      } catch (err) {
        row.notes.push(`bulk${reverse ? ' -R' : ''}: ${(err as Error).message}`);
      }
    }
  }

  // Connection rate: one echo upstream, each peer in front of it in turn.
  let mem: { rss: number; heap: number; open: number };
  const echo = await startChild(['echo', UPSTREAM]);
  try {
    for (const [i, def] of PEERS.entries()) {
      const row = rows[i];
      if (def.skip !== undefined) continue;
      log(`${def.name}: short connections, ${PARALLEL} in parallel for ${SECONDS} s...`);
      const peer = await (def.start as Starter)(def.host, UPSTREAM, echo.port);
      try {
        // Warm up (JIT of the Node peers, the echo upstream, the client) for 0.5 s, not counted.
        await connectionRate(def.host, peer.port, 0.5);
        row.rate = await connectionRate(def.host, peer.port);
        if (row.rate.errors > 0) row.notes.push(`conn: ${row.rate.errors} failed (first: ${row.rate.firstError})`);
      } finally {
        if (peer.child !== undefined) await stop(peer.child);
      }
      await sleep(500);
    }
    log(`netlab TcpBalancer: ${IDLE} idle connections...`);
    mem = await idleMemory(echo.port);
  } finally {
    await stop(echo.child);
  }

  // Short connections again, with a C client (wrk, Connection: close) and a C upstream (nginx), so
  // that neither end of the test is a Node process: what remains is the balancer in the middle.
  if (hasCommand('wrk') && hasCommand('nginx')) {
    const http = await peers.httpUpstream(UPSTREAM);
    try {
      for (const [i, def] of PEERS.entries()) {
        const row = rows[i];
        if (def.skip !== undefined) continue;
        log(`${def.name}: wrk, Connection: close, ${PARALLEL} connections for ${SECONDS} s...`);
        const peer = await (def.start as Starter)(def.host, UPSTREAM, http.port);
        try {
          await wrkShortConnections(def.host, peer.port, 1, PARALLEL);
          row.wrkRate = (await wrkShortConnections(def.host, peer.port, SECONDS, PARALLEL)).perSecond;
        } catch (err) {
          row.notes.push(`wrk: ${(err as Error).message}`);
        } finally {
          if (peer.child !== undefined) await stop(peer.child);
        }
        await sleep(500);
      }
    } finally {
      await stop(http.child);
    }
  } else log('wrk or nginx missing: the wrk short-connection column is skipped');

  // The table.
  const f = (n: number | undefined, d = 2): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  const lines: string[] = [];
  lines.push(
    `bench:l4 — ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, Node ${process.version}, ${SECONDS} s per test, ${PARALLEL} parallel short connections`,
  );
  lines.push(`peers: ${commandVersion('haproxy', ['-v'])} | ${commandVersion('sh', ['-c', 'nginx -v 2>&1'])} | ${commandVersion('iperf3', ['--version'])}`);
  lines.push('');
  lines.push('| peer | bulk up Gbit/s | bulk down Gbit/s | conn/s (Node echo) | p50 ms | p99 ms | conn/s (wrk, nginx) |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    if (r.skip !== undefined) lines.push(`| ${r.name} | skipped: ${r.skip} | | | | | |`);
    else lines.push(`| ${r.name} | ${f(r.up)} | ${f(r.down)} | ${f(r.rate?.perSecond, 0)} | ${f(r.rate?.p50)} | ${f(r.rate?.p99)} | ${f(r.wrkRate, 0)} |`);
  }
  const netlab = rows.find((r) => r.name.startsWith('netlab'));
  const hap = rows.find((r) => r.name.startsWith('HAProxy'));
  lines.push('');
  if (netlab !== undefined && hap !== undefined && hap.skip === undefined) {
    const pct = (a: number | undefined, b: number | undefined): string =>
      a === undefined || b === undefined || b === 0 ? '-' : `${((a / b) * 100).toFixed(0)}%`;
    const ok = (a: number | undefined, b: number | undefined, target: number): string =>
      a === undefined || b === undefined ? '' : a / b >= target ? ' (target met)' : ' (target missed)';
    lines.push(
      `netlab / HAProxy: bulk up ${pct(netlab.up, hap.up)}${ok(netlab.up, hap.up, 0.5)}, bulk down ${pct(netlab.down, hap.down)}${ok(netlab.down, hap.down, 0.5)} (target ≥ 50%); conn/s ${pct(netlab.rate?.perSecond, hap.rate?.perSecond)}${ok(netlab.rate?.perSecond, hap.rate?.perSecond, 0.8)} with the Node echo test, ${pct(netlab.wrkRate, hap.wrkRate)}${ok(netlab.wrkRate, hap.wrkRate, 0.8)} with wrk and nginx (target ≥ 80%)`,
    );
  }
  lines.push(
    `netlab memory per idle connection (${IDLE} held, ${mem.open} still open at the reading): RSS ${(mem.rss / 1024).toFixed(1)} KiB, heap ${(mem.heap / 1024).toFixed(1)} KiB`,
  );
  for (const r of rows) for (const n of r.notes) lines.push(`note ${r.name}: ${n}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  clearTimeout(watchdog);
}

main()
  .catch((err: unknown) => {
    log(`bench:l4 failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
