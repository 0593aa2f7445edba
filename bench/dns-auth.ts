// `npm run bench:dns-auth [-- --seconds N]`: netlab's authoritative server beside dnsmasq (auth mode,
// one process, one thread) serving the same zone on loopback, loaded by dnsperf with the same queries
// in the same run. Two runs per server: throughput (100 queries outstanding, as fast as it answers) and
// latency at a fixed 5,000 queries/s (dnsperf -v, every reply's time, so percentiles can be computed).
// Target: netlab at least 50% of dnsmasq's queries/s.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { AuthServer } from '../src/dns/auth-server.ts';
import { Zone } from '../src/dns/zone.ts';
import { commandVersion, hasCommand } from './peers.ts';
import { dnsperf, freePort } from './dnsperf.ts';

const run = promisify(execFile);
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 120) throw new Error(`--seconds must be 1..120, got ${values.seconds}`);
for (const tool of ['dnsperf', 'dnsmasq', 'dig']) {
  if (!hasCommand(tool)) throw new Error(`${tool} is not installed (on Debian: apt-get install dnsperf dnsmasq-base dnsutils)`);
}

/** The zone both servers serve: the same names, addresses and TTLs. */
const RECORDS: readonly [string, string][] = [
  ['www', '192.0.2.1'],
  ['api', '192.0.2.10'],
  ['api', '192.0.2.11'],
  ['mail', '192.0.2.20'],
  ['ns1', '127.0.0.1'],
];
const ZONE_TEXT = ['$TTL 600', '@ SOA ns1 hostmaster.ns1 1 1200 180 1209600 600', '@ NS ns1', ...RECORDS.map(([n, a]) => `${n} A ${a}`)].join('\n') + '\n';
/** Answers, a round-robin set, and a name that does not exist (NXDOMAIN with the SOA). */
const QUERIES = ['www.example.test A', 'api.example.test A', 'mail.example.test A', 'nope.example.test A'];

const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-dnsauth-'));
const queryFile = join(dir, 'queries.txt');
writeFileSync(queryFile, QUERIES.join('\n') + '\n');

/** Latency percentiles (ms) at a fixed rate, from dnsperf -v's per-reply lines (`> NOERROR name A 0.000123`). */
async function latency(address: string, port: number): Promise<{ p50: number; p90: number; p99: number; max: number; n: number }> {
  const { stdout } = await run(
    'dnsperf',
    ['-s', address, '-p', String(port), '-d', queryFile, '-l', String(Math.min(seconds, 5)), '-c', '1', '-T', '1', '-Q', '5000', '-v'],
    { maxBuffer: 1 << 28 },
  );
  const times: number[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^> \S+ .* ([\d.]+)$/.exec(line);
    if (m !== null) times.push(Number(m[1]) * 1000);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: times[times.length - 1] ?? NaN, n: times.length };
}

const netlab = new AuthServer({ address: '127.53.3.1', zones: [Zone.fromText('example.test', ZONE_TEXT, 'example.test.zone')] });
await netlab.start();
// dnsmasq answers authoritatively only on an address of the auth-server interface: 127.0.0.1 (lo).
const dnsmasqPort = await freePort('127.0.0.1');
const dnsmasq: ChildProcess = spawn(
  'dnsmasq',
  [
    '-k',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${dnsmasqPort}`,
    '--auth-server=ns1.example.test,127.0.0.1',
    '--auth-zone=example.test',
    '--auth-ttl=600',
    '--local-ttl=600',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    '--user=nobody',
    '--cache-size=0',
    ...RECORDS.map(([n, a]) => `--host-record=${n}.example.test,${a}`),
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let dnsmasqErr = '';
dnsmasq.stderr?.on('data', (d: Buffer) => (dnsmasqErr += d.toString()));

try {
  await new Promise((resolve) => setTimeout(resolve, 800));
  // Both must give the same answers before they are compared.
  for (const q of QUERIES) {
    const [name, type] = q.split(' ');
    const dig = async (port: number, address: string): Promise<string> => {
      const { stdout } = await run('dig', [`@${address}`, '-p', String(port), name, type, '+norec', '+noall', '+answer', '+comments']);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? '?';
      const aa = / flags: [^;]*\baa\b/.test(stdout);
      const answers = stdout
        .split('\n')
        .filter((l) => /\sIN\s+A\s/.test(l))
        .map((l) => l.split(/\s+/).pop())
        .sort();
      return `${status} aa=${aa} ${answers.join(',')}`;
    };
    const ours = await dig(netlab.port, '127.53.3.1');
    const theirs = await dig(dnsmasqPort, '127.0.0.1');
    if (ours !== theirs) throw new Error(`${q}: netlab says ${ours}, dnsmasq says ${theirs}${dnsmasqErr === '' ? '' : `\n${dnsmasqErr}`}`);
  }
  const ours = await dnsperf('127.53.3.1', netlab.port, queryFile, seconds);
  const theirs = await dnsperf('127.0.0.1', dnsmasqPort, queryFile, seconds);
  const oursLat = await latency('127.53.3.1', netlab.port);
  const theirsLat = await latency('127.0.0.1', dnsmasqPort);
  console.log(`${commandVersion('dnsmasq', ['--version'])}; dnsperf: ${commandVersion('dnsperf', ['-h'])}; Node ${process.version}`);
  console.log(`authoritative answers, ${QUERIES.length} names (one NXDOMAIN), ${seconds} s each, 100 outstanding, one client thread:`);
  console.log('| server | queries/s | avg ms | lost | p50 ms | p90 ms | p99 ms | max ms (at 5,000 q/s) |\n|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, t, l] of [
    ['netlab AuthServer (1 Node thread)', ours, oursLat],
    ['dnsmasq --auth-zone (1 process)', theirs, theirsLat],
  ] as const) {
    console.log(
      `| ${name} | ${t.qps.toFixed(0)} | ${t.avgMs.toFixed(3)} | ${t.lost} | ${l.p50.toFixed(3)} | ${l.p90.toFixed(3)} | ${l.p99.toFixed(3)} | ${l.max.toFixed(3)} |`,
    );
  }
  console.log(`\nnetlab / dnsmasq: ${((100 * ours.qps) / theirs.qps).toFixed(1)}% (target >= 50%)`);
} finally {
  dnsmasq.kill('SIGTERM');
  await netlab.close();
  rmSync(dir, { recursive: true, force: true });
}
