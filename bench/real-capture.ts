// The capture `netlab decode` is benchmarked on: real traffic on loopback, written by tcpdump.
//
// nginx (one worker) serves HTTP and HTTPS (a self-made certificate) on one address and netlab's
// authoritative DNS server answers on port 53 of the next, the first free pair of a loopback network
// (NETLAB_BENCH_NET, default 127.77.0.0/16: bench/capture-net.ts). While tcpdump writes every frame to
// or from that network on `lo`, rounds of clients talk to them at once: wrk with keep-alive and with
// `Connection: close` over HTTP and over TLS, and dig reading a batch of queries. tcpdump stops by
// itself after the requested number of frames (`-c`); the file is cached under bench/out/ and reused
// while it exists with its `.done` marker.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthServer } from '../src/dns/auth-server.ts';
import { Zone } from '../src/dns/zone.ts';
import { captureNetFromEnv, pickCaptureAddresses } from './capture-net.ts';
import { freePort } from './dnsperf.ts';
import { hasCommand } from './peers.ts';

const run = promisify(execFile);

export const OUT_DIR = join(import.meta.dirname, 'out');
/** Rounds of client traffic stop after this long even if tcpdump has not seen enough frames. */
const MAX_SECONDS = 900;
/** Part of the cached file's name: raised whenever the traffic changes, so an old capture is not reused. */
const CAPTURE_VERSION = 2;

export interface RealCapture {
  path: string;
  frames: number;
  bytes: number;
  /** What tcpdump reported (frames captured / dropped by the kernel), from the run that wrote the file. */
  note: string;
}

const zone = (dnsAddress: string): string =>
  [
    '$TTL 600',
    '@ SOA ns1 hostmaster.ns1 1 1200 180 1209600 600',
    '@ NS ns1',
    `ns1 A ${dnsAddress}`,
    'www A 192.0.2.1',
    'api A 192.0.2.10',
    'api A 192.0.2.11',
    'api AAAA 2001:db8::10',
    'mail A 192.0.2.20',
    '@ MX 10 mail',
    '@ TXT "v=spf1 -all"',
  ].join('\n') + '\n';
const QUERIES = ['www A', 'api A', 'api AAAA', 'mail A', '@ MX', '@ TXT', 'nope A', 'www AAAA'];

/** Returns the cached capture of `frames` frames, making it first when missing. */
export async function realCapture(frames: number, log: (s: string) => void = console.log, net = captureNetFromEnv()): Promise<RealCapture> {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `real-v${CAPTURE_VERSION}-${frames}.pcap`);
  const done = `${path}.done`;
  if (existsSync(path) && existsSync(done)) {
    return { path, frames, bytes: statSync(path).size, note: readFileSync(done, 'utf8').trim() };
  }
  for (const tool of ['tcpdump', 'nginx', 'wrk', 'dig', 'openssl']) {
    if (!hasCommand(tool)) throw new Error(`${tool} is not installed (Debian: apt-get install tcpdump nginx wrk dnsutils openssl)`);
  }
  if (process.getuid?.() !== 0)
    throw new Error('making the real-traffic capture needs root (tcpdump on lo); run the bench as root or copy a capture to ' + path);
  // DNS on its own port, 53, of the bench's own address: both tools dissect UDP as DNS by that port
  // (on a random port netlab shows UDP data where tshark guesses DNS); the pair is one whose ports are free.
  const { http: httpAddr, dns: dnsAddr } = await pickCaptureAddresses(net);
  log(`making ${path}: ${frames.toLocaleString('en')} frames of real loopback traffic (nginx + wrk, TLS, DNS) on ${httpAddr} and ${dnsAddr}...`);
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-cap-'));
  const children: ChildProcess[] = [];
  const dns = new AuthServer({ address: dnsAddr, port: 53, zones: [Zone.fromText('bench.test', zone(dnsAddr), 'bench.test.zone')] });
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=bench.netlab.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const httpPort = await freePort(httpAddr);
    const httpsPort = await freePort(httpAddr);
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, httpAddr, httpPort, httpsPort));
    const nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    children.push(nginx);
    await dns.start();
    const dnsPort = dns.port;
    writeFileSync(
      join(dir, 'dig.txt'),
      Array.from({ length: 400 }, (_, i) => {
        const [name, type] = QUERIES[i % QUERIES.length].split(' ');
        return `${name === '@' ? '' : name + '.'}bench.test ${type}`;
      }).join('\n') + '\n',
    );
    await waitFor(
      async () => (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${httpAddr}:${httpPort}/`])).stdout === '200',
      'nginx to answer',
    );

    const tmpPath = `${path}.part`;
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-n', '-s', '0', '-B', '65536', '-U', '-c', String(frames), '-w', tmpPath, `net ${net.cidr}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(tcpdump);
    let tcpdumpErr = '';
    tcpdump.stderr!.on('data', (d: Buffer) => (tcpdumpErr += d.toString()));
    const exited = new Promise<number | null>((resolve) => tcpdump.on('close', (code) => resolve(code)));
    let finished = false;
    void exited.then(() => (finished = true));
    await waitFor(async () => tcpdumpErr.includes('listening on'), 'tcpdump to listen');

    const http = `http://${httpAddr}:${httpPort}/`;
    const https = `https://${httpAddr}:${httpsPort}/`;
    const started = Date.now();
    let rounds = 0;
    while (!finished && Date.now() - started < MAX_SECONDS * 1000) {
      rounds++;
      // One round: every kind of client at once for about two seconds.
      await Promise.all([
        quiet('wrk', ['-t1', '-c2', '-d2s', http]),
        quiet('wrk', ['-t1', '-c2', '-d2s', '-H', 'Connection: close', http]),
        quiet('wrk', ['-t1', '-c1', '-d2s', https]),
        quiet('wrk', ['-t1', '-c1', '-d2s', '-H', 'Connection: close', https]),
        quiet('dig', ['-p', String(dnsPort), `@${dnsAddr}`, '+tries=1', '+time=1', '-f', join(dir, 'dig.txt')]),
      ]);
      if (rounds % 5 === 0) log(`  ${rounds} rounds, ${Math.round((Date.now() - started) / 1000)} s`);
    }
    if (!finished) {
      tcpdump.kill('SIGINT');
      await exited;
      throw new Error(`tcpdump did not see ${frames} frames within ${MAX_SECONDS} s`);
    }
    const code = await exited;
    if (code !== 0) throw new Error(`tcpdump exited ${code}: ${tcpdumpErr.trim()}`);
    const note = tcpdumpErr
      .split('\n')
      .filter((l) => /packets (captured|received|dropped)/.test(l))
      .join('; ');
    rmSync(path, { force: true });
    await run('mv', [tmpPath, path]);
    writeFileSync(done, `${note}\n`);
    log(`  done: ${note}`);
    return { path, frames, bytes: statSync(path).size, note };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function nginxConf(dir: string, address: string, httpPort: number, httpsPort: number): string {
  const tmp = (n: string): string => join(dir, n);
  return `daemon off;
master_process off;
worker_processes 1;
pid ${tmp('nginx.pid')};
error_log ${tmp('error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  server {
    listen ${address}:${httpPort};
    listen ${address}:${httpsPort} ssl;
    ssl_certificate ${tmp('cert.pem')};
    ssl_certificate_key ${tmp('key.pem')};
    location / { default_type text/plain; return 200 "hello from nginx on the bench\\n"; }
  }
}
`;
}

/** Runs a client to its end, ignoring its output (a failed round is only fewer frames). */
function quiet(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('error', () => resolve());
    c.on('close', () => resolve());
  });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
