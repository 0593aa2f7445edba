// `netlab proxy check FILE`: a summary and exit 0 for a good file; every mistake with its key path,
// line and column, and exit 1, for a bad one.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'netlab-proxy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function netlab(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe('netlab proxy check', () => {
  it('prints the listeners, routes and clusters of a good file and exits 0', async () => {
    const r = await netlab('proxy', 'check', 'examples/proxy/l7-basic.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('examples/proxy/l7-basic.yaml: OK\n1 listener(s), 6 route(s), 2 cluster(s)\n');
    expect(r.stdout).toContain('  route api: host api.netlab.test|*.api.netlab.test, path /api/*, method GET|POST|PUT|DELETE -> app (rewritten)');
    expect(r.stdout).toContain('  cluster app: least_connections over server1, server2, server3 (w2); health http /health every 2000 ms (fall 3, rise 2)');
  }, 60_000);

  it('names each mistake with its key, line and column, and exits 1', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'listeners:\n  - { name: web, address: 127.0.0.1, port: 8080 }\nroutes:\n  - { name: r, cluster: api }\nclusters:\n  - name: app\n    policy: fastest\n    endpoints: [{ address: 127.0.0.1, port: 9001 }]\n');
    const r = await netlab('proxy', 'check', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`netlab: ${bad}: clusters[0].policy: expected one of round_robin, weighted_round_robin, least_connections, weighted_least_connections, ip_hash, least_time, ring_hash, maglev, power_of_two, peak_ewma, random, got "fastest" at line 7 col 13\n`);
    writeFileSync(bad, 'listeners:\n  - { name: web, address: 127.0.0.1, port: 8080 }\nroutes:\n  - { name: r, cluster: api }\nclusters:\n  - name: app\n    endpoints: [{ address: 127.0.0.1, port: 9001 }]\n');
    const r2 = await netlab('proxy', 'check', bad);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toBe(`netlab: ${bad}: routes[0].cluster: unknown cluster "api" (clusters: app) at line 4 col 25\n`);
  }, 60_000);

  it('checks an L4 file with --kind l4, and refuses it as a proxy file', async () => {
    const ok = await netlab('proxy', 'check', '--kind', 'l4', 'examples/proxy/l4-tcp-udp.yaml');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('listener dns: udp on 127.0.0.1:5300 -> resolvers (datagram)');
    const no = await netlab('proxy', 'check', 'examples/proxy/l4-tcp-udp.yaml');
    expect(no.code).toBe(1);
    expect(no.stderr).toContain('listeners[0].mode: expected http in a proxy configuration, got tcp');
  }, 60_000);

  it('a missing file is an error naming it', async () => {
    const r = await netlab('proxy', 'check', join(dir, 'absent.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/absent\.yaml: \(file\): cannot read it: ENOENT/);
  }, 60_000);
});
