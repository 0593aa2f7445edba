// `npx tsx bench/dns-resolver.ts [--seconds N]`: the cache-hit path of netlab's recursive server beside
// unbound (one thread), both warmed on the same hierarchy, both loaded by dnsperf with the same
// queries in the same run. Prints queries/s, latency and the ratio (target: netlab >= 50% of unbound).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DnsCache } from '../src/dns/cache.ts';
import { RecursiveServer } from '../src/dns/recursive-server.ts';
import { Resolver } from '../src/dns/resolver.ts';
import { SocketTransport } from '../src/dns/transport.ts';
import { standardHierarchy } from '../test/resolver/fake-hierarchy.ts';
import { serveOnSockets } from '../test/resolver/socket-hierarchy.ts';
import { commandVersion, hasCommand } from './peers.ts';
import { dnsperf, freePort } from './dnsperf.ts';

const run = promisify(execFile);
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 120) throw new Error(`--seconds must be 1..120, got ${values.seconds}`);
for (const tool of ['dnsperf', 'unbound']) {
  if (!hasCommand(tool)) throw new Error(`${tool} is not installed (on Debian: apt-get install dnsperf unbound)`);
}

const NAMES = ['www.example.test A', 'ns1.example.test A', 'deep.sub.example.test A', 'www.glueless.test A', 'example.test SOA'];
const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-dns-'));
const queryFile = join(dir, 'queries.txt');
writeFileSync(queryFile, NAMES.join('\n') + '\n');

const served = await serveOnSockets(standardHierarchy('127.53.0'), ['127.53.0.1', '127.53.0.2', '127.53.0.3', '127.53.0.4', '127.53.0.5']);
const resolver = new Resolver({
  rootHints: [{ name: 'a.root-servers.test', address: '127.53.0.1', port: served.port }],
  port: served.port,
  transport: new SocketTransport(),
  cache: new DnsCache({ minTtl: 3600 }),
});
const netlab = new RecursiveServer({ resolver, address: '127.53.2.2' });
await netlab.start();

const unboundPort = await freePort('127.53.2.1');
writeFileSync(
  join(dir, 'unbound.conf'),
  [
    'server:',
    `  interface: 127.53.2.1`,
    `  port: ${unboundPort}`,
    '  do-ip6: no',
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  module-config: "iterator"',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${dir}/unbound.pid"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  cache-min-ttl: 3600',
    '  qname-minimisation: no',
    'stub-zone:',
    '  name: "test"',
    `  stub-addr: 127.53.0.2@${served.port}`,
  ].join('\n') + '\n',
);
const unbound: ChildProcess = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve) => setTimeout(resolve, 1500));

try {
  // Warm both caches with every name (each resolver walks the hierarchy once).
  for (const [address, port] of [
    ['127.53.2.2', netlab.port],
    ['127.53.2.1', unboundPort],
  ] as const) {
    for (const q of NAMES) {
      const [name, type] = q.split(' ');
      await run('dig', [`@${address}`, '-p', String(port), name, type, '+tries=2', '+time=2']);
    }
  }
  const ours = await dnsperf('127.53.2.2', netlab.port, queryFile, seconds);
  const theirs = await dnsperf('127.53.2.1', unboundPort, queryFile, seconds);
  console.log(`unbound: ${commandVersion('unbound', ['-V'])}; dnsperf: ${commandVersion('dnsperf', ['-h'])}`);
  console.log(`cache hits, ${NAMES.length} names, ${seconds} s each, 100 queries outstanding, one client thread:`);
  console.log('| server | queries/s | avg latency ms | max latency ms | lost |\n|---|---:|---:|---:|---:|');
  for (const [name, p] of [
    ['netlab recursive server (1 Node thread)', ours],
    ['unbound (num-threads: 1)', theirs],
  ] as const) {
    console.log(`| ${name} | ${p.qps.toFixed(0)} | ${p.avgMs.toFixed(3)} | ${p.maxMs.toFixed(3)} | ${p.lost} |`);
  }
  console.log(`\nnetlab / unbound: ${((100 * ours.qps) / theirs.qps).toFixed(1)}% (target >= 50%)`);
} finally {
  unbound.kill('SIGTERM');
  await netlab.close();
  await served.close();
  rmSync(dir, { recursive: true, force: true });
}
