// `netlab topo check|run`: a topology file checked with its mistakes named, and run over VXLAN on
// loopback with pings, a traceroute, the tables and a tap that tshark reads.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'netlab-topo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = promisify(execFile);

function netlab(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
}

describe('netlab topo', () => {
  it('check lists the nodes and links of a file', async () => {
    const { stdout } = await netlab('topo', 'check', 'topologies/two-lans.json');
    expect(stdout).toContain('topology two-lans: 3 host(s), 1 router(s), 1 switch(es), 4 link(s) (vxlan)');
    expect(stdout).toContain('  router r1: eth0 10.0.1.1/24 on sw1-r1, eth1 10.0.2.1/24 on r1-h3');
  }, 60_000);

  it('check names the key that is wrong, and exits 1', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ name: 'bad', links: [{ name: 'l1' }], hosts: [{ name: 'h', interfaces: [{ name: 'eth0', link: 'l1', address: '10.0.0.1/33' }] }] }),
    );
    const err = await netlab('topo', 'check', bad).catch((e: { code: number; stderr: string }) => e);
    expect('code' in err ? err.code : 0).toBe(1);
    expect('stderr' in err ? err.stderr : '').toMatch(/bad\.json: hosts\[0\]\.interfaces\[0\]\.address: .*33/);
  }, 60_000);

  it.skipIf(!requireTool('tshark'))(
    'run starts the file over VXLAN, pings, traces and taps every link',
    async () => {
      const tap = join(dir, 'two-lans.pcapng');
      const { stdout } = await netlab(
        'topo',
        'run',
        'topologies/two-lans.json',
        '--ping',
        'h1:10.0.1.20',
        '--ping',
        'h2:fe80::ff:fe00:110%eth0',
        '--traceroute',
        'h1:10.0.2.30',
        '--tap',
        tap,
      );
      expect(stdout).toMatch(/VTEPs \(on lo.*\): h1 127\.77\.\d+\.\d+:4789, sw1 127\.77\.\d+\.\d+:4789/);
      expect(stdout).toContain('h1$ ping -c 3 10.0.1.20\nPING 10.0.1.20 (10.0.1.20) 56(84) bytes of data.');
      expect(stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
      expect(stdout).toContain('h2$ ping -6 -c 3 fe80::ff:fe00:110%eth0');
      expect(stdout).toMatch(/traceroute to 10\.0\.2\.30 \(10\.0\.2\.30\), 30 hops max, 60 byte packets\n 1 {2}10\.0\.1\.1 /);
      expect(stdout).toMatch(/sw1: MAC table\n\s+Vlan\s+Mac Address/);
      expect(stdout).toMatch(/h1: IPv6 neighbours\n/);
      const names = execFileSync('tshark', ['-r', tap, '-T', 'fields', '-e', 'frame.interface_name', '-e', '_ws.malformed'], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(new Set(names.map((l) => l.split('\t')[0]))).toEqual(new Set(['h1-sw1', 'h2-sw1', 'sw1-r1', 'r1-h3']));
      expect(names.every((l) => (l.split('\t')[1] ?? '') === '')).toBe(true);
    },
    60_000,
  );

  it('refuses a probe it cannot read', async () => {
    const err = await netlab('topo', 'run', 'topologies/two-lans.json', '--links', 'memory', '--ping', 'h1-10.0.1.20').catch((e: { stderr: string }) => e);
    expect('stderr' in err ? err.stderr : '').toContain('--ping h1-10.0.1.20: write HOST:ADDRESS, e.g. h1:10.0.2.30 or h1:fe80::ff:fe00:120%eth0');
  }, 60_000);
});
