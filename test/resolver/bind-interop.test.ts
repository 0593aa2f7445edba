// netlab's resolver through a real BIND 9 hierarchy: three `named` processes on 127.53.1.1 (root),
// .2 (test.) and .3 (example.test.), one port, started by the test. The answers must be the zone's,
// and agree with `dig +trace` against the same servers.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DNS_TYPE } from '../../src/wire/dns-types.ts';
import { requireRoot, requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const SOA = (mname: string) => `@ IN SOA ${mname} hostmaster 1 7200 900 1209600 300`;
const ZONES: { address: string; zone: string; file: string; text: string }[] = [
  {
    address: '127.53.1.1',
    zone: '.',
    file: 'root.zone',
    text: [
      '$TTL 86400',
      SOA('a.root-servers.test.'),
      '@ IN NS a.root-servers.test.',
      'a.root-servers.test. IN A 127.53.1.1',
      'test. IN NS ns.nic.test.',
      'ns.nic.test. IN A 127.53.1.2',
    ].join('\n'),
  },
  {
    address: '127.53.1.2',
    zone: 'test',
    file: 'test.zone',
    text: [
      '$ORIGIN test.',
      '$TTL 86400',
      SOA('ns.nic'),
      '@ IN NS ns.nic',
      'ns.nic IN A 127.53.1.2',
      'a.root-servers IN A 127.53.1.1',
      'example IN NS ns1.example',
      'ns1.example IN A 127.53.1.3',
    ].join('\n'),
  },
  {
    address: '127.53.1.3',
    zone: 'example.test',
    file: 'example.zone',
    text: [
      '$ORIGIN example.test.',
      '$TTL 3600',
      SOA('ns1'),
      '@ IN NS ns1',
      'ns1 IN A 127.53.1.3',
      'www IN A 192.0.2.1',
      'www IN A 192.0.2.2',
      'alias IN CNAME www',
      '@ IN MX 10 mail',
      'mail IN A 192.0.2.25',
      'txt IN TXT "hello" "world"',
    ].join('\n'),
  },
];

const dir = mkdtempSync(join(tmpdir(), 'netlab-bind-'));
const NS = `netlab-bind-${process.pid}`;
const procs: ChildProcess[] = [];
const port = 5300 + (process.pid % 1000);

function ip(...args: string[]): Promise<unknown> {
  return run('ip', args);
}

async function startNamed(z: (typeof ZONES)[number]): Promise<void> {
  const d = join(dir, z.address);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, z.file), z.text + '\n');
  writeFileSync(
    join(d, 'named.conf'),
    `options { directory "${d}"; pid-file "${d}/named.pid"; listen-on port ${port} { ${z.address}; }; listen-on-v6 { none; };\n` +
      `  recursion no; dnssec-validation no; allow-query { any; }; notify no; };\n` +
      `controls { };\n` +
      `zone "${z.zone}" { type primary; file "${z.file}"; };\n`,
  );
  const p = spawn('ip', ['netns', 'exec', NS, 'named', '-g', '-c', join(d, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`named on ${z.address} did not start:\n${log.slice(-2000)}`)), 20_000);
    p.stderr?.on('data', (b: Buffer) => {
      log += b.toString();
      if (/running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`named on ${z.address} exited ${code}:\n${log.slice(-2000)}`));
    });
  });
}

interface ChildResult {
  rcode: number;
  answers: string[];
  authority: number[];
  servers: string[];
}

/** netlab's resolver, run inside the namespace (where the 127.53.1.x addresses exist). */
async function resolveInNs(...pairs: string[]): Promise<ChildResult[]> {
  const child = join(import.meta.dirname, 'bind-child.ts');
  const { stdout } = await run('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', child, String(port), ...pairs], {
    cwd: join(import.meta.dirname, '..', '..'),
  });
  return JSON.parse(stdout) as ChildResult[];
}

// BIND listens only on addresses an interface has: the test gives 127.53.1.1-3 to the loopback of a
// network namespace of its own (which needs root and iproute2; CI runs as root).
const haveTools = requireTool('named') && requireTool('dig') && requireTool('ip') && requireRoot('named on 127.53.1.x inside a test network namespace');

describe.skipIf(!haveTools)('netlab resolver through a BIND 9 hierarchy', () => {
  beforeAll(async () => {
    await ip('netns', 'add', NS);
    // dig +trace looks every name server up with the system resolver (it does not use glue): `ip netns exec` shows
    // /etc/netns/NS/hosts as /etc/hosts inside the namespace.
    mkdirSync(`/etc/netns/${NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${NS}/hosts`, '127.0.0.1 localhost\n127.53.1.1 a.root-servers.test\n127.53.1.2 ns.nic.test\n127.53.1.3 ns1.example.test\n');
    await ip('-n', NS, 'link', 'set', 'lo', 'up');
    for (const z of ZONES) await ip('-n', NS, 'addr', 'add', `${z.address}/32`, 'dev', 'lo');
    for (const z of ZONES) await startNamed(z);
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) {
      const exited = new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', () => resolve())));
      p.kill('SIGTERM');
      await exited;
    }
    await ip('netns', 'del', NS).catch(() => undefined);
    rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves from the root down (root, test., example.test.), follows a CNAME, reads MX and TXT, NXDOMAIN and NODATA', async () => {
    const [www, alias, mx, txt, nx, nodata] = await resolveInNs(
      'www.example.test',
      'A',
      'alias.example.test',
      'A',
      'example.test',
      'MX',
      'txt.example.test',
      'TXT',
      'nope.example.test',
      'A',
      'www.example.test',
      'AAAA',
    );
    expect(www.rcode).toBe(0);
    expect(www.answers.sort()).toEqual(['www.example.test.\t3600\tIN\tA\t192.0.2.1', 'www.example.test.\t3600\tIN\tA\t192.0.2.2']);
    expect(www.servers).toEqual(['127.53.1.1', '127.53.1.2', '127.53.1.3']);
    expect(alias.answers[0]).toBe('alias.example.test.\t3600\tIN\tCNAME\twww.example.test.');
    expect(alias.answers.length).toBe(3);
    expect(mx.answers).toEqual(['example.test.\t3600\tIN\tMX\t10 mail.example.test.']);
    expect(txt.answers).toEqual(['txt.example.test.\t3600\tIN\tTXT\t"hello" "world"']);
    expect([nx.rcode, nx.authority]).toEqual([3, [DNS_TYPE.SOA]]);
    expect([nodata.rcode, nodata.answers.length, nodata.authority]).toEqual([0, 0, [DNS_TYPE.SOA]]);
  }, 60_000);

  it('agrees with dig +trace against the same servers', async () => {
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      NS,
      'dig',
      '+trace',
      '+nodnssec',
      '@127.53.1.1',
      '-p',
      String(port),
      'www.example.test',
      'A',
      '+tries=1',
      '+time=3',
    ]).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`dig +trace failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    const digAnswers = stdout
      .split('\n')
      .filter((l) => /^www\.example\.test\.\s+\d+\s+IN\s+A\s/.test(l))
      .map((l) => l.split(/\s+/).pop())
      .sort();
    const [ours] = await resolveInNs('www.example.test', 'A');
    expect(digAnswers).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(ours.answers.map((l) => l.split('\t').pop()).sort()).toEqual(digAnswers);
    const digServers = [...stdout.matchAll(/from (127\.53\.1\.\d)#/g)].map((m) => m[1]);
    expect(digServers.slice(-3)).toEqual(ours.servers);
  }, 60_000);
});
