// The recursive server end to end on 127.53.0.x: dig (a stub client, RD=1) asks netlab's recursive
// server, which resolves root -> TLD -> authoritative over real sockets and answers with RA=1; the
// second ask comes from the cache with a lower TTL; netlab dig +trace shows each step.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigArgs, runDig } from '../../src/cli/dig.ts';
import { DnsCache } from '../../src/dns/cache.ts';
import { RecursiveServer } from '../../src/dns/recursive-server.ts';
import { Resolver } from '../../src/dns/resolver.ts';
import { SocketTransport } from '../../src/dns/transport.ts';
import { requireTool } from '../helpers/tools.ts';
import { standardHierarchy } from './fake-hierarchy.ts';
import { serveOnSockets, type Served } from './socket-hierarchy.ts';

const run = promisify(execFile);
let served: Served;
let server: RecursiveServer;
let clockMs = 0;
const log: string[] = [];

beforeAll(async () => {
  const h = standardHierarchy('127.53.0');
  served = await serveOnSockets(h, ['127.53.0.1', '127.53.0.2', '127.53.0.3', '127.53.0.4', '127.53.0.5']);
  const resolver = new Resolver({
    rootHints: [{ name: 'a.root-servers.test', address: '127.53.0.1', port: served.port }],
    port: served.port,
    transport: new SocketTransport({ timeoutMs: 1000 }),
    cache: new DnsCache({ clock: { now: () => clockMs } }),
  });
  server = new RecursiveServer({
    resolver,
    address: '127.53.0.53',
    onQuery: (q) => log.push(`${q.name} rd=${q.rd} rcode=${q.rcode} queries=${q.result?.queries ?? 0}`),
  });
  await server.start();
});
afterAll(async () => {
  await server.close();
  await served.close();
});

describe('recursive server', () => {
  it('answers a stub resolver (RD=1) with RA=1, then from the cache', async () => {
    const first = await runDig(parseDigArgs(['www.example.test', 'A', '@127.53.0.53'], server.port, 3000), 'www.example.test');
    expect(first.text).toMatch(/flags: qr rd ra;/);
    expect(first.text).toMatch(/www\.example\.test\.\t300\tIN\tA\t192\.0\.2\.1/);
    clockMs += 100_000;
    const second = await runDig(parseDigArgs(['www.example.test', 'A', '@127.53.0.53'], server.port, 3000), 'www.example.test');
    expect(second.text).toMatch(/www\.example\.test\.\t200\tIN\tA\t192\.0\.2\.1/);
    expect(log.slice(-2)).toEqual(['www.example.test rd=true rcode=0 queries=3', 'www.example.test rd=true rcode=0 queries=0']);
    // The third time the encoded answer is reused: a new ID, the TTL counted down on the same clock.
    clockMs += 50_000;
    const third = await runDig(parseDigArgs(['www.example.test', 'A', '@127.53.0.53'], server.port, 3000), 'www.example.test');
    expect(third.text).toMatch(/www\.example\.test\.\t150\tIN\tA\t192\.0\.2\.1/);
    const ids = [second.text, third.text].map((t) => /id: (\d+)/.exec(t)?.[1]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('a reused answer dies with its cache entry, though the TTLs it carries were rounded up', async () => {
    const ask = async (): Promise<string> => (await runDig(parseDigArgs(['ttl.example.test', 'MX', '@127.53.0.53'], server.port, 3000), '')).text;
    // Nothing at ttl.example.test MX: a negative entry of 300 s (the SOA's minimum) starts now.
    const t0 = clockMs;
    expect(await ask()).toMatch(/status: NXDOMAIN/);
    clockMs = t0 + 299_500; // 0.5 s left: the cache hit says 1 (rounded up), and keeps the answer's bytes
    expect(await ask()).toMatch(/AUTHORITY SECTION:\nexample\.test\.\t1\tIN\tSOA/);
    clockMs = t0 + 300_200; // the entry is gone; the bytes kept must not answer for 0.8 s more
    await ask();
    expect(log.slice(-3).map((l) => l.replace(/queries=\d+/, (q) => (q === 'queries=0' ? 'cached' : 'asked')))).toEqual([
      'ttl.example.test rd=true rcode=3 asked',
      'ttl.example.test rd=true rcode=3 cached',
      'ttl.example.test rd=true rcode=3 asked',
    ]);
  });

  it('answers NXDOMAIN with the SOA, and refuses a non-recursive query for what it has not cached', async () => {
    const nx = await runDig(parseDigArgs(['nope.example.test', 'A', '@127.53.0.53'], server.port, 3000), '');
    expect(nx.text).toMatch(/status: NXDOMAIN/);
    expect(nx.text).toMatch(/AUTHORITY SECTION:\nexample\.test\.\t\d+\tIN\tSOA/);
    const norec = await runDig(parseDigArgs(['other.example.test', 'A', '@127.53.0.53', '+norec'], server.port, 3000), '');
    expect(norec.text).toMatch(/status: REFUSED/);
  });

  it('+trace walks the hierarchy step by step', async () => {
    const t = await runDig(parseDigArgs(['alias.example.test', 'A', '@127.53.0.1', '+trace'], served.port, 3000), '');
    expect(t.text).toMatch(/referral: \. -> test/);
    expect(t.text).toMatch(/referral: test -> example\.test/);
    expect(t.text).toMatch(/CNAME alias\.example\.test -> www\.glueless\.test/);
    expect(t.text).toMatch(/no glue for ns\.example\.test/);
    expect(t.text).toMatch(/www\.glueless\.test\.\t3600\tIN\tA\t192\.0\.2\.9/);
  });

  describe.skipIf(!requireTool('dig'))('with dig as the stub client', () => {
    it('dig gets the answer with RA set, over UDP and TCP', async () => {
      for (const extra of [[], ['+tcp']]) {
        const { stdout } = await run('dig', ['@127.53.0.53', '-p', String(server.port), 'www.example.test', 'A', '+tries=1', '+time=3', ...extra]);
        expect(stdout).toMatch(/status: NOERROR/);
        expect(stdout).toMatch(/flags: qr rd ra/);
        expect(stdout).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
      }
    });
  });
});

describe('a tapped resolution', () => {
  it('writes every query and answer to a capture, each query commented with its step', async () => {
    const { TapRecorder } = await import('../../src/capture/socket-tap.ts');
    const { parseCapture } = await import('../../src/capture/read.ts');
    const { decode } = await import('../../src/wire/index.ts');
    const tap = new TapRecorder();
    const resolver = new Resolver({
      rootHints: [{ name: 'a.root-servers.test', address: '127.53.0.1', port: served.port }],
      port: served.port,
      transport: new SocketTransport({ timeoutMs: 1000, tap }),
    });
    const r = await resolver.resolve('www.example.test', 1);
    expect(r.rcode).toBe(0);
    await tap.close();
    const packets = parseCapture(tap.toBytes()).packets;
    const notes = packets.flatMap((p) => p.comments);
    // Each query says why it is sent (the referral and glue that led to it); each answer, why it was taken.
    expect(notes.filter((n) => n.startsWith('resolver step'))).toEqual([
      'resolver step 1: www.example.test A to a.root-servers.test (127.53.0.1) for zone .',
      'resolver step 2: www.example.test A to ns.nic.test (127.53.0.2) for zone test (after: referral . -> test; glue ns.nic.test 127.53.0.2 used)',
      'resolver step 3: www.example.test A to ns1.example.test (127.53.0.3) for zone example.test (after: referral test -> example.test; glue ns1.example.test 127.53.0.3 used; glue ns2.example.test 127.53.0.4 used)',
    ]);
    expect(packets.map((p) => p.comments.length)).toEqual([1, 1, 1, 1, 1, 1]);
    for (const i of [1, 3, 5])
      expect(packets[i].comments[0]).toMatch(
        /^taken as the answer to www\.example\.test \(ID \d+, port \d+\): from the server asked, same ID and question, [\d.]+ ms$/,
      );
    // Three queries and three answers, between the resolver and the three servers.
    const dsts = packets.map((p) => decode(p.data, 1).layers.find((l) => l.kind === 'ipv4')?.value as { dst: Uint8Array });
    expect(dsts.map((d) => [...d.dst].join('.'))).toEqual(['127.53.0.1', '127.0.0.1', '127.53.0.2', '127.0.0.1', '127.53.0.3', '127.0.0.1']);
  });
});
