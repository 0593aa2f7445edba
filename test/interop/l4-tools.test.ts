// Real tools through netlab's L4 balancer, all on 127.0.0.0/8 with ports picked at run time:
//  - iperf3 (bounded to -t 2) through the TCP balancer, started from a configuration text;
//  - dig through the UDP balancer (per-datagram and flow) to two of netlab's authoritative servers;
//  - HAProxy as a PROXY-protocol receiver (bind ... accept-proxy): its answer (%[src]:%[src_port]) names the original
//    client address that netlab's v1 or v2 header carried, fetched with curl through the balancer;
//  - openssl s_client -servername through TLS passthrough: the certificate seen is the one of the
//    backend the server name routes to (TLS ends at the backend, not at the balancer).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AuthServer } from '../../src/dns/auth-server.ts';
import { L4Service } from '../../src/l4/from-config.ts';
import { parseL4Config } from '../../src/proxy/config.ts';
import { exampleZone } from '../dns/zones.ts';
import { closedPort, until } from '../l4/helpers.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-l4-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function service(yaml: string): L4Service {
  const s = new L4Service(parseL4Config(yaml, 'test.yaml'));
  cleanups.push(() => s.close());
  return s;
}

function child(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        if (p.exitCode !== null || p.signalCode !== null) return r();
        p.once('exit', () => r());
        p.kill('SIGTERM');
      }),
  );
  return p;
}

async function waitPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() - t0 > 5000) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!requireTool('iperf3'))('iperf3 through the TCP balancer', () => {
  it('carries a 2-second bulk transfer', async () => {
    const port = await closedPort();
    child(findTool('iperf3') as string, ['-s', '-1', '-B', '127.0.0.1', '-p', String(port)]);
    await new Promise((r) => setTimeout(r, 300));
    const s = service(`
listeners: [{ name: bulk, address: 127.0.0.1, port: 0, mode: tcp, cluster: iperf }]
clusters: [{ name: iperf, endpoints: [{ address: 127.0.0.1, port: ${port} }] }]
`);
    const [l] = await s.start();
    const { stdout } = await run(findTool('iperf3') as string, ['-c', '127.0.0.1', '-p', String(l.port), '-t', '2', '-J'], { timeout: 20_000 });
    const j = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number; bytes: number } } };
    const gbps = j.end.sum_received.bits_per_second / 1e9;
    console.log(`iperf3 through netlab's TCP balancer: ${gbps.toFixed(2)} Gbit/s (${(j.end.sum_received.bytes / 1048576).toFixed(0)} MiB in 2 s)`);
    expect(j.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    await until(() => s.tcp[0].finished.length >= 2, 5000, 'iperf3 connections to end');
    const up = s.tcp[0].finished.reduce((n, f) => n + f.bytesUp, 0);
    expect(up).toBeGreaterThanOrEqual(j.end.sum_received.bytes);
  }, 30_000);
});

describe.skipIf(!requireTool('dig'))('dig through the UDP balancer to netlab DNS servers', () => {
  for (const mode of ['datagram', 'flow'] as const) {
    it(`answers in ${mode} mode, spread over both servers`, async () => {
      const servers = [new AuthServer({ address: '127.53.17.1', zones: [exampleZone()] }), new AuthServer({ address: '127.53.17.2', zones: [exampleZone()] })];
      for (const sv of servers) {
        await sv.start();
        cleanups.push(() => sv.close());
      }
      const s = service(`
listeners: [{ name: dns, address: 127.0.0.1, port: 0, mode: udp, udpMode: ${mode}, udpIdleMs: 2000, cluster: resolvers }]
clusters: [{ name: resolvers, endpoints: [{ address: 127.53.17.1, port: ${servers[0].port} }, { address: 127.53.17.2, port: ${servers[1].port} }] }]
`);
      const [l] = await s.start();
      for (let i = 0; i < 4; i++) {
        const { stdout } = await run(
          findTool('dig') as string,
          ['@127.0.0.1', '-p', String(l.port), '+norec', '+time=2', '+tries=1', 'www.example.test', 'A'],
          { timeout: 10_000 },
        );
        expect(stdout).toContain('status: NOERROR');
        expect(stdout).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+/);
        expect(stdout).toContain(`SERVER: 127.0.0.1#${l.port}`);
      }
      // dig uses a new source port per run, so both modes spread four runs over both servers.
      expect(servers.map((sv) => sv.stats.queries)).toEqual([2, 2]);
    });
  }
});

describe.skipIf(!requireTool('haproxy') || !requireTool('curl'))('HAProxy receives netlab PROXY headers (curl through the TCP balancer)', () => {
  for (const version of ['v1', 'v2'] as const) {
    it(`HAProxy sees the original client address from ${version}`, async () => {
      const hport = await closedPort();
      const cfg = join(dir, `haproxy-${version}.cfg`);
      writeFileSync(
        cfg,
        [
          'defaults',
          '  mode http',
          '  timeout connect 2s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${hport} accept-proxy`,
          '  http-request return status 200 content-type text/plain lf-string "client=%[src]:%[src_port]\\n"',
          '',
        ].join('\n'),
      );
      child(findTool('haproxy') as string, ['-db', '-f', cfg]);
      await waitPort(hport);
      const s = service(`
listeners: [{ name: pp, address: 127.0.0.1, port: 0, mode: tcp, cluster: hap, proxyProtocol: { send: ${version} } }]
clusters: [{ name: hap, endpoints: [{ address: 127.0.0.1, port: ${hport} }] }]
`);
      const [l] = await s.start();
      const { stdout } = await run(
        findTool('curl') as string,
        ['-sS', '--interface', '127.0.0.77', '-w', ' local=%{local_ip}:%{local_port}', `http://127.0.0.1:${l.port}/`],
        { timeout: 10_000 },
      );
      const local = /local=([\d.]+):(\d+)/.exec(stdout);
      expect(local?.[1]).toBe('127.0.0.77');
      expect(stdout).toContain(`client=127.0.0.77:${local?.[2]}`);
    });
  }
});

describe.skipIf(!requireTool('openssl'))('openssl s_client -servername through TLS passthrough', () => {
  const cert = (cn: string): { key: string; cert: string } => ({ key: join(dir, `${cn}.key`), cert: join(dir, `${cn}.crt`) });

  it('the certificate seen is the one of the backend the name routes to', async () => {
    const names = ['a.example.test', 'b.example.test'];
    const servers: { name: string; port: number }[] = [];
    for (const n of names) {
      const c = cert(n);
      await run(
        findTool('openssl') as string,
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${n}`, '-keyout', c.key, '-out', c.cert],
        { timeout: 20_000 },
      );
      const srv: TlsServer = createTlsServer({ key: readFileSync(c.key), cert: readFileSync(c.cert) }, (sock) => {
        sock.on('error', () => undefined);
        sock.end(`hello from ${n}\n`);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
      servers.push({ name: n, port: (srv.address() as { port: number }).port });
    }
    const s = service(`
listeners:
  - name: tls
    address: 127.0.0.1
    port: 0
    mode: tcp
    cluster: b
    sni: [{ host: a.example.test, cluster: a }]
clusters:
  - { name: a, endpoints: [{ address: 127.0.0.1, port: ${servers[0].port} }] }
  - { name: b, endpoints: [{ address: 127.0.0.1, port: ${servers[1].port} }] }
`);
    const [l] = await s.start();
    const sClient = async (sni: string): Promise<string> => {
      const r = await run(findTool('openssl') as string, ['s_client', '-connect', `127.0.0.1:${l.port}`, '-servername', sni, '-ign_eof'], {
        timeout: 10_000,
      }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      return r.stdout;
    };
    const a = await sClient('a.example.test');
    expect(a).toMatch(/subject=CN ?= ?a\.example\.test/);
    expect(a).toContain('hello from a.example.test');
    const other = await sClient('zzz.example.test');
    expect(other).toMatch(/subject=CN ?= ?b\.example\.test/);
    await until(() => s.tcp[0].finished.length === 2);
    expect(s.tcp[0].finished.map((f) => [f.serverName, f.cluster])).toEqual([
      ['a.example.test', 'a'],
      ['zzz.example.test', 'b'],
    ]);
  }, 60_000);
});
