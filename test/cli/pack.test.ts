// `npm pack` makes a package that installs and runs: the tarball holds the built dist/ (no
// TypeScript, no tsx at run time), and the installed `netlab` answers --help, lists the labs and
// decodes a capture exactly as the checkout does.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturePath } from '../helpers/captures.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'netlab-pack-'));
let bin = '';

describe('npm pack', () => {
  beforeAll(async () => {
    await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, timeout: 120_000 });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack wrote no tarball');
    const app = join(work, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'netlab-pack-check', version: '1.0.0', private: true }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: app, timeout: 180_000 });
    bin = join(app, 'node_modules', '.bin', 'netlab');
  }, 300_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds dist/ and the bin, not the TypeScript sources', async () => {
    const { stdout } = await run('tar', ['-tzf', join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? '')]);
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/netlab.js');
    expect(files).toContain('package/bin/netlab.js');
    expect(files).toContain('package/dist/view/page.js');
    expect(files).toContain('package/dist/view/page.css');
    expect(files.some((f) => f.startsWith('package/src/'))).toBe(false);
    expect(files.some((f) => f.startsWith('package/test/'))).toBe(false);
  });

  it('runs netlab --help, lab list and decode from the installed package', async () => {
    const env = { ...process.env, NO_COLOR: '1', NETLAB_FROM_SOURCE: '' };
    const help = await run(bin, ['--help'], { env });
    expect(help.stdout).toMatch(/netlab decode\s+Decode a capture/);
    const list = await run(bin, ['lab', 'list'], { env });
    expect(list.stdout).toMatch(/^\s*1\.\s+encapsulation\s/m);
    const decoded = await run(bin, ['decode', '-r', capturePath('icmp-echo-zeek.pcap'), '-c', '2'], { env });
    const here = await run(process.execPath, [join(ROOT, 'bin', 'netlab.js'), 'decode', '-r', capturePath('icmp-echo-zeek.pcap'), '-c', '2'], { env });
    expect(decoded.stdout).toBe(here.stdout);
    expect(decoded.stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it("serves netlab view's page from the installed package", async () => {
    const env = { ...process.env, NETLAB_FROM_SOURCE: '' };
    const child = spawn(bin, ['view', capturePath('icmp-echo-zeek.pcap'), '--no-open', '--for', '20'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (b: Buffer) => {
          text += b.toString();
          const m = / on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m) resolve(m[1]);
        });
        child.once('exit', () => reject(new Error(`netlab view exited: ${text}`)));
      });
      const js = await fetch(new URL('/page.js', url));
      expect(js.status).toBe(200);
      expect((await js.text()).length).toBeGreaterThan(1000);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });
});
