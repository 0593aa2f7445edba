// The Linux kernel as a peer on a netlab segment. The test makes two network namespaces of its own,
// joined by a veth pair (10.99.0.1 <-> 10.99.0.2): in one, a Linux `vxlan` device (VNI 42, port
// 4789) with 10.42.0.1/24; in the other, a netlab process (kernel-peer-child.ts) whose VTEP is the
// vxlan device's remote, with a switch and two hosts (10.42.0.11, 10.42.0.12). Two namespaces,
// because a Linux vxlan device binds 0.0.0.0:4789 in its namespace, which a netlab VTEP in the same
// namespace could not bind too. It shows: the kernel answers netlab's ARP (the MAC netlab learns is
// the vxlan device's), netlab hosts answer the kernel's ping (IPv4, and IPv6 link-local through
// neighbour discovery), `ip neigh` in the kernel's namespace lists the netlab hosts' MACs, and the
// VXLAN traffic on the veth decodes in tshark. The namespaces are deleted afterwards, pass or fail.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, requireTool } from '../helpers/tools.ts';
import { startTcpdump } from '../helpers/tcpdump.ts';
import { NETLAB_HOSTS } from './kernel-peer-child.ts';

const PREFIX = 'netlab-kt';
const NS_KERNEL = `${PREFIX}-k${process.pid}`;
const NS_NETLAB = `${PREFIX}-n${process.pid}`;
const KERNEL_UNDERLAY = '10.99.0.1';
const NETLAB_UNDERLAY = '10.99.0.2';
const KERNEL_IP = '10.42.0.1';
const ROOT = join(import.meta.dirname, '..', '..');

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inKernel = (cmd: string, ...args: string[]): string =>
  execFileSync('ip', ['netns', 'exec', NS_KERNEL, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });

function deleteNamespaces(all: boolean): void {
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name === '' || !name.startsWith(PREFIX)) continue;
    if (!all && name !== NS_KERNEL && name !== NS_NETLAB) continue;
    try {
      ip('netns', 'del', name);
    } catch {
      // gone already
    }
  }
}

const canRun =
  requireRoot('the kernel interop test (network namespaces)') && requireTool('ip') && requireTool('ping') && requireTool('tcpdump') && requireTool('tshark');

describe.skipIf(!canRun)('the Linux kernel on a netlab segment (vxlan in a namespace)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let answers: AsyncIterator<string> | undefined;
  let kernelMac = '';
  let kernelLinkLocal = '';
  const dir = mkdtempSync(join(tmpdir(), 'netlab-kernel-'));

  async function ask(line: string): Promise<Record<string, unknown>> {
    child?.stdin.write(`${line}\n`);
    const next = await answers?.next();
    if (next === undefined || next.done === true) throw new Error(`the netlab side ended before answering ${line}`);
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  beforeAll(async () => {
    deleteNamespaces(true); // left by an earlier run that crashed
    ip('netns', 'add', NS_KERNEL);
    ip('netns', 'add', NS_NETLAB);
    ip('link', 'add', 'vk', 'netns', NS_KERNEL, 'type', 'veth', 'peer', 'name', 'vn', 'netns', NS_NETLAB);
    for (const [ns, dev, addr] of [
      [NS_KERNEL, 'vk', KERNEL_UNDERLAY],
      [NS_NETLAB, 'vn', NETLAB_UNDERLAY],
    ]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    ip('-n', NS_KERNEL, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'local', KERNEL_UNDERLAY, 'remote', NETLAB_UNDERLAY, 'dstport', '4789', 'dev', 'vk');
    ip('-n', NS_KERNEL, 'addr', 'add', `${KERNEL_IP}/24`, 'dev', 'vx0');
    ip('-n', NS_KERNEL, 'link', 'set', 'vx0', 'up');
    const link = JSON.parse(ip('-n', NS_KERNEL, '-j', 'addr', 'show', 'dev', 'vx0')) as {
      address: string;
      addr_info: { family: string; local: string; scope: string }[];
    }[];
    kernelMac = link[0].address;
    kernelLinkLocal = link[0].addr_info.find((a) => a.family === 'inet6' && a.scope === 'link')?.local ?? '';
    child = spawn(
      'ip',
      ['netns', 'exec', NS_NETLAB, process.execPath, '--import', 'tsx', join(ROOT, 'test/netsim/kernel-peer-child.ts'), NETLAB_UNDERLAY, KERNEL_UNDERLAY],
      { cwd: ROOT },
    );
    child.stderr.on('data', (d: Buffer) => process.stderr.write(`[netlab side] ${d.toString()}`));
    answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await answers.next();
    const ready = JSON.parse(first.value ?? '{}') as { ready?: boolean; fatal?: string };
    if (ready.ready !== true) throw new Error(`the netlab side did not start: ${first.value}`);
  }, 60_000);

  afterAll(async () => {
    try {
      if (child !== undefined && child.exitCode === null) {
        child.stdin.write('quit\n');
        await Promise.race([new Promise((r) => child?.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
        child.kill('SIGKILL');
      }
    } finally {
      deleteNamespaces(false);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(ip('netns', 'list')).not.toContain(NS_KERNEL);
  }, 30_000);

  it("the kernel answers netlab's ARP, and netlab's ping", async () => {
    const r = (await ask(`ping ${KERNEL_IP}`)) as { text: string; received: number; arpMac: string | null };
    console.log(`netlab h1$ ping -c 3 ${KERNEL_IP}\n${r.text}`);
    expect(r.received).toBe(3);
    expect(r.arpMac).toBe(kernelMac);
  });

  it("netlab hosts answer the kernel's ping, and ip neigh lists their MACs", () => {
    for (const h of NETLAB_HOSTS) {
      const addr = h.address.split('/')[0];
      const out = inKernel('ping', '-c', '3', '-i', '0.2', '-W', '2', addr);
      console.log(`kernel$ ping -c 3 ${addr}\n${out}`);
      expect(out).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    }
    const neigh = inKernel('ip', 'neigh', 'show', 'dev', 'vx0');
    console.log(`kernel$ ip neigh show dev vx0\n${neigh}`);
    for (const h of NETLAB_HOSTS) expect(neigh).toMatch(new RegExp(`^${h.address.split('/')[0].replace(/\./g, '\\.')} lladdr ${h.mac} `, 'm'));
  });

  it('IPv6 link-local both ways: neighbour discovery between the kernel and netlab', async () => {
    expect(kernelLinkLocal).toMatch(/^fe80::/);
    // The kernel uses its link-local address only once Duplicate Address Detection has passed (about 1-2 s
    // after the device came up); until then the address is "tentative".
    for (let i = 0; i < 50 && inKernel('ip', '-6', 'addr', 'show', 'dev', 'vx0', 'tentative').trim() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
    const tables = (await ask('tables')) as { nd: string[] };
    const h2 = '02:00:00:00:2a:0c';
    const h2LinkLocal = 'fe80::ff:fe00:2a0c';
    const out = inKernel('ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', `${h2LinkLocal}%vx0`);
    console.log(`kernel$ ping -6 -c 2 ${h2LinkLocal}%vx0\n${out}`);
    expect(out).toMatch(/2 packets transmitted, 2 received, 0% packet loss/);
    expect(inKernel('ip', '-6', 'neigh', 'show', 'dev', 'vx0')).toMatch(new RegExp(`^${h2LinkLocal} lladdr ${h2} `, 'm'));
    const r = (await ask(`ping6 ${kernelLinkLocal}`)) as { text: string; received: number };
    console.log(`netlab h1$ ping -6 -c 3 ${kernelLinkLocal}%eth0\n${r.text}\n${tables.nd.join('\n')}`);
    expect(r.received).toBe(3);
  });

  it('the VXLAN on the veth decodes in tshark: inner ARP and ICMP, no malformed packet', async () => {
    const file = join(dir, 'veth.pcap');
    const dump = await startTcpdump({ iface: 'vk', file, filter: 'udp port 4789', netns: NS_KERNEL });
    inKernel('ip', 'neigh', 'flush', 'dev', 'vx0');
    inKernel('ping', '-c', '2', '-i', '0.2', '-W', '2', '10.42.0.11');
    await new Promise((r) => setTimeout(r, 300));
    await dump.stop();
    const rows = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.protocols', '-e', 'vxlan.vni', '-e', '_ws.malformed'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    console.log(`tshark -r veth.pcap: ${rows.length} frames\n${rows.join('\n')}`);
    expect(rows.some((r) => r.startsWith('eth:ethertype:ip:udp:vxlan:eth:ethertype:arp|42'))).toBe(true);
    expect(rows.filter((r) => r.startsWith('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp')).length).toBeGreaterThanOrEqual(4);
    for (const r of rows) expect(r.split('|')[2] ?? '', r).toBe('');
  });
});
