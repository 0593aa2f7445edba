// Topology files that used to pass `topo check` and then fail (or silently misbehave) at run time:
// each is now refused, naming the key.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTopology, defaultMac, MAX_TIMER_MS } from '../../src/netsim/topology-spec.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');

/** Two hosts and a router on one switch; `edit` changes the JSON before the check. */
function lan(edit: (t: Record<string, any>) => void = () => undefined): Record<string, unknown> {
  const t: Record<string, any> = {
    name: 'lan',
    linkType: 'memory',
    links: [{ name: 'l1' }, { name: 'l2' }, { name: 'l3' }],
    switches: [{ name: 'sw', ports: [{ name: 'p1', link: 'l1' }, { name: 'p2', link: 'l2' }, { name: 'p3', link: 'l3' }] }],
    hosts: [
      { name: 'h1', gateway: '10.0.1.1', interfaces: [{ name: 'eth0', link: 'l1', address: '10.0.1.10/24', mac: '02:00:00:00:00:10' }] },
      { name: 'h2', gateway: '10.0.1.1', interfaces: [{ name: 'eth0', link: 'l2', address: '10.0.1.20/24', mac: '02:00:00:00:00:20' }] },
    ],
    routers: [{ name: 'r1', interfaces: [{ name: 'eth0', link: 'l3', address: '10.0.1.1/24' }] }],
  };
  edit(t);
  return t;
}

function refusal(t: unknown): string {
  try {
    checkTopology(t);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

describe('topo check refuses what would fail at run time', () => {
  it('accepts the good network', () => {
    expect(refusal(lan())).toBe('accepted');
  });

  const cases: [string, (t: Record<string, any>) => void, RegExp][] = [
    ['a duplicate IPv4 address', (t) => (t.hosts[1].interfaces[0].address = '10.0.1.10/24'), /^hosts\[1\]\.interfaces\[0\]\.address: 10\.0\.1\.10 is already the address of hosts\[0\]\.interfaces\[0\]/],
    ['a duplicate MAC', (t) => (t.hosts[1].interfaces[0].mac = '02:00:00:00:00:10'), /^hosts\[1\]\.interfaces\[0\]\.mac: 02:00:00:00:00:10 is already the MAC of hosts\[0\]/],
    ['a MAC equal to another node\'s default', (t) => (t.hosts[1].interfaces[0].mac = defaultMac(2, 0)), /^routers\[0\]\.interfaces\[0\]\.mac: .* default for its position/],
    ['an off-link gateway', (t) => (t.hosts[0].gateway = '10.0.2.1'), /^hosts\[0\]\.gateway: gateway 10\.0\.2\.1 is not on any network of h1 \(10\.0\.1\.0\/24\)/],
    ['a gateway that is the host itself', (t) => (t.hosts[0].gateway = '10.0.1.10'), /^hosts\[0\]\.gateway: gateway 10\.0\.1\.10 is h1's own address/],
    ['an off-link route next hop', (t) => (t.routers[0].routes = [{ to: '10.9.0.0/16', via: '192.0.2.1' }]), /^routers\[0\]\.routes\[0\]\.via: next hop 192\.0\.2\.1 is not on any network of r1/],
    ['the network address', (t) => (t.hosts[0].interfaces[0].address = '10.0.1.0/24'), /^hosts\[0\]\.interfaces\[0\]\.address: 10\.0\.1\.0 is the network address of 10\.0\.1\.0\/24/],
    ['the broadcast address', (t) => (t.hosts[0].interfaces[0].address = '10.0.1.255/24'), /^hosts\[0\]\.interfaces\[0\]\.address: 10\.0\.1\.255 is the broadcast address of 10\.0\.1\.0\/24/],
    ['a multicast address', (t) => (t.hosts[0].interfaces[0].address = '224.0.0.5/24'), /^hosts\[0\]\.interfaces\[0\]\.address: 224\.0\.0\.5 is a multicast address/],
    ['0.0.0.0', (t) => (t.hosts[0].interfaces[0].address = '0.0.0.0/0'), /^hosts\[0\]\.interfaces\[0\]\.address: 0\.0\.0\.0 means "this host"/],
    ['255.255.255.255', (t) => (t.hosts[0].interfaces[0].address = '255.255.255.255/32'), /limited broadcast/],
    ['a loopback address', (t) => (t.hosts[0].interfaces[0].address = '127.0.0.2/8'), /loopback/],
    ['a delay longer than a timer holds', (t) => (t.links[0].impair = { delayMs: MAX_TIMER_MS + 1 }), /^links\[0\]\.impair\.delayMs: 2147483648 ms is longer than a timer can wait/],
    ['delay + jitter longer than a timer holds', (t) => (t.links[0].impair = { delayMs: MAX_TIMER_MS - 10, jitterMs: 100 }), /^links\[0\]\.impair: delayMs \+ jitterMs/],
  ];
  for (const [what, edit, expected] of cases) {
    it(`refuses ${what}`, () => {
      expect(refusal(lan(edit))).toMatch(expected);
    });
  }

  it('keeps /31 point-to-point addresses (RFC 3021: no network or broadcast address)', () => {
    expect(
      refusal(
        lan((t) => {
          t.hosts[0].interfaces[0].address = '10.0.1.0/31';
          t.hosts[1].interfaces[0].address = '10.0.1.1/31';
          delete t.hosts[0].gateway;
          delete t.hosts[1].gateway;
          t.routers[0].interfaces[0].address = '10.0.2.1/24';
        }),
      ),
    ).toBe('accepted');
  });

  it('gives 2,000 hosts 2,000 distinct default MACs (they used to repeat every 255 nodes)', () => {
    const macs = new Set(Array.from({ length: 2000 }, (_, i) => defaultMac(i, 0)));
    expect(macs.size).toBe(2000);
    expect(defaultMac(0, 0)).toBe('02:00:00:01:00:01');
  });

  it('netlab topo check prints the key on one line and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-topo-check-'));
    const file = join(dir, 'dup.json');
    writeFileSync(file, JSON.stringify(lan((t) => (t.hosts[1].interfaces[0].address = '10.0.1.10/24'))));
    const r = await new Promise<{ code: number; stderr: string; stdout: string }>((resolve) =>
      execFile('node', [BIN, 'topo', 'check', file], (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr })),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('hosts[1].interfaces[0].address: 10.0.1.10 is already the address of hosts[0].interfaces[0]');
  });
});
