// `netlab l4 run FILE` as a user runs it: it prints where it listens, balances, logs one line per
// connection, and drains and exits 0 on SIGTERM; `netlab l4 check` names a mistake with its line.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend, dial, namedEcho, readAll, until } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');
const dir = mkdtempSync(join(tmpdir(), 'netlab-l4-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netlab l4', () => {
  it('run: listens, balances, logs, drains on SIGTERM', async () => {
    const a = await backend('a', namedEcho('a'));
    const file = join(dir, 'l4.yaml');
    writeFileSync(
      file,
      `listeners: [{ name: t1, address: 127.0.0.1, port: 0, mode: tcp, cluster: c }]\nclusters: [{ name: c, endpoints: [{ name: a, address: 127.0.0.1, port: ${a.port} }] }]\n`,
    );
    // From source: the built bundle (dist/) needs prom-client kept external in scripts/build.mjs.
    const p = spawn('node', [BIN, 'l4', 'run', file, '--drain-ms', '2000', '--metrics-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    p.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      await until(() => /listening t1: tcp 127\.0\.0\.1:\d+/.test(out) && out.includes('metrics:'), 20_000, 'the listening line');
      const port = Number(/listening t1: tcp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const s = await dial(port);
      const r = readAll(s);
      s.end('hi');
      expect((await r).data).toBe('a:hi');
      await until(() => /l4 t1 127\.0\.0\.1:\d+ -> c\/a attempts=1 end=closed up=2 down=4/.test(out), 5000, 'the log line');
      const mport = Number(/metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out)?.[1]);
      const metrics = await fetch(`http://127.0.0.1:${mport}/metrics`).then((x) => x.text());
      expect(metrics).toMatch(/netlab_l4_connections_total\{listener="t1",cluster="c",endpoint="a",end="closed"\} 1/);
      const code = new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
      p.kill('SIGTERM');
      expect(await code).toBe(0);
      expect(out).toContain('draining');
      expect(out).toContain('stopped');
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
      await a.close();
    }
  }, 40_000);

  it('check: a mistake is named with its key path and line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'listeners:\n  - { name: t, address: 127.0.0.1, port: 0, mode: tcp, cluster: nope }\nclusters: [{ name: c, endpoints: [{ address: 127.0.0.1, port: 1 }] }]\n',
    );
    const r = await new Promise<{ code: number; stderr: string }>((res) =>
      execFile('node', [BIN, 'l4', 'check', file], { env: { ...process.env } }, (err, _o, stderr) =>
        res({ code: err === null ? 0 : Number(err.code ?? 1), stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/listeners\[0\]\.cluster: unknown cluster "nope" \(clusters: c\) at line 2/);
    const ok = await new Promise<string>((res) =>
      execFile(
        'node',
        [BIN, 'l4', 'check', join(import.meta.dirname, '..', '..', 'examples', 'l4', 'tcp-and-dns.yaml')],
        { env: { ...process.env } },
        (_e, o) => res(o),
      ),
    );
    expect(ok).toContain('listener app: tcp on 127.0.0.1:0 -> app, PROXY protocol v2');
  }, 30_000);
});
