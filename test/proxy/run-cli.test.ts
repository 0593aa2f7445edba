// `netlab proxy run FILE` as a process: prints its listeners, proxies, reloads on SIGHUP (a slow
// request in flight across the reload finishes), and drains and exits 0 on SIGTERM.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { send, sleep, startUpstream } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'netlab-proxy-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function yaml(port: number, body: string): string {
  return `listeners:\n  - { name: web, address: 127.0.0.1, port: 0 }\nroutes:\n  - { name: hello, match: { path: { exact: /hello } }, respond: { status: 200, body: '${body}' } }\n  - { name: all, cluster: app }\nclusters:\n  - name: app\n    endpoints: [{ name: u1, address: 127.0.0.1, port: ${port} }]\n`;
}

/** `netlab proxy run` as a child process: its output so far, its exit, and the port its first listener took. */
function runProxy(args: string[]): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null>; port(): Promise<number> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/netlab.js'), 'proxy', 'run', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = async (): Promise<number> => {
    const t0 = Date.now();
    while (!/listening: web http:\/\/127\.0\.0\.1:\d+/.test(out.stdout)) {
      if (Date.now() - t0 > 30_000) throw new Error(`no listener line: ${out.stdout} ${out.stderr}`);
      await sleep(50);
    }
    return Number(/listening: web http:\/\/127\.0\.0\.1:(\d+)/.exec(out.stdout)?.[1]);
  };
  return { child, out, exited, port };
}

describe('netlab proxy run', () => {
  it('serves, reloads on SIGHUP without dropping a request in flight, drains on SIGTERM', async () => {
    const up = await startUpstream('u1');
    up.handler = async (req, res) => {
      if (req.head.target === '/slow') await sleep(600);
      res.end(`u1 ${req.head.target}`);
    };
    const file = join(dir, 'p.yaml');
    writeFileSync(file, yaml(up.port, 'one'));
    const { child, out, exited, port: listening } = runProxy(['--no-watch', '--grace', '2000', file]);
    try {
      const port = await listening();
      expect((await send(port, 'GET', '/hello')).body).toBe('one');
      const slow = send(port, 'GET', '/slow');
      await sleep(100);
      writeFileSync(file, yaml(up.port, 'two'));
      child.kill('SIGHUP');
      const t1 = Date.now();
      while (!out.stderr.includes('reloaded:')) {
        if (Date.now() - t1 > 10_000) throw new Error(`no reload: ${out.stderr}`);
        await sleep(20);
      }
      expect((await send(port, 'GET', '/hello')).body).toBe('two');
      expect((await slow).body).toBe('u1 /slow');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.stderr).toContain('SIGTERM: draining');
    } finally {
      child.kill('SIGKILL');
      await up.close();
    }
  }, 60_000);
});

describe('netlab proxy run: exits by itself once stopped', () => {
  it('watching its file, with a keep-alive client idle and a reload that moves the listener just before SIGTERM: exit 0, promptly', async () => {
    const up = await startUpstream('u1');
    const file = join(dir, 'x.yaml');
    writeFileSync(file, yaml(up.port, 'one'));
    const { child, out, exited, port: listening } = runProxy(['--grace', '1000', file]);
    const { connect } = await import('node:net');
    let client: import('node:net').Socket | undefined;
    try {
      const port = await listening();
      // An idle keep-alive connection held open by a client that never closes it.
      client = connect({ host: '127.0.0.1', port });
      client.on('error', () => undefined);
      await new Promise<void>((resolve) => client?.once('connect', () => resolve()));
      client.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise<void>((resolve) => client?.once('data', () => resolve()));
      // The watcher reloads a listener on a new address (it binds anew); SIGTERM follows at once.
      writeFileSync(file, yaml(up.port, 'two').replace('address: 127.0.0.1, port: 0', 'address: 127.0.0.2, port: 0'));
      child.kill('SIGHUP');
      await sleep(5);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(8000).then(() => 'still running')]);
      expect(code, out.stderr).toBe(0);
      // The grace (1 s) bounds the drain; the rest is the process winding down.
      expect(Date.now() - t0).toBeLessThan(6000);
      expect(out.stderr).toMatch(/SIGTERM: draining[\s\S]*closed/);
    } finally {
      client?.destroy();
      child.kill('SIGKILL');
      await up.close();
    }
  }, 60_000);
});

describe('netlab proxy run --workers 2', () => {
  it('runs two worker processes on one listener, reloads both on SIGHUP, and stops them all on SIGTERM', async () => {
    const up = await startUpstream('u1');
    const file = join(dir, 'w.yaml');
    writeFileSync(file, yaml(up.port, 'one'));
    const { child, out, exited, port: listening } = runProxy(['--no-watch', '--grace', '1000', '--workers', '2', file]);
    try {
      const port = await listening();
      expect(out.stdout.match(/listening:/g)).toHaveLength(1);
      expect(out.stderr).toContain('2 workers');
      // Both workers up (each takes connections once it listens): every request answered.
      await sleep(1500);
      for (let i = 0; i < 8; i++) expect((await send(port, 'GET', '/hello')).body).toBe('one');
      writeFileSync(file, yaml(up.port, 'two'));
      child.kill('SIGHUP');
      const t1 = Date.now();
      while ((out.stderr.match(/reloaded:/g) ?? []).length < 2) {
        if (Date.now() - t1 > 15_000) throw new Error(`not both reloaded: ${out.stderr}`);
        await sleep(20);
      }
      // Fresh connections land on either worker: all of them answer from the new file.
      for (let i = 0; i < 8; i++) expect((await send(port, 'GET', '/hello')).body).toBe('two');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.stderr.match(/^closed$/gm)).toHaveLength(3);
    } finally {
      child.kill('SIGKILL');
      await up.close();
    }
  }, 60_000);
});
