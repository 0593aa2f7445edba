// The netlab side of the kernel interop test (kernel-interop.test.ts), run inside the test's "netlab"
// network namespace with `ip netns exec NS node --import tsx kernel-peer-child.ts VTEP_ADDR KERNEL_ADDR`.
// It builds a VTEP on VTEP_ADDR:4789 whose one port (VNI 42) goes to the kernel's vxlan device at
// KERNEL_ADDR (from any source port: the kernel picks its source port by a flow hash), a switch, and
// two hosts with IPv4 and IPv6 link-local. It talks JSON lines: `{"ready":...}` once up; then for each
// line on stdin, `ping IP` / `ping6 ADDR` / `tables` / `quit`, one JSON answer.

import { createInterface } from 'node:readline';
import { Host } from '../../src/netsim/host.ts';
import { Switch } from '../../src/netsim/switch.ts';
import { Vtep, VXLAN_PORT } from '../../src/netsim/vtep.ts';
import { memoryLink } from '../../src/netsim/port.ts';
import { macText } from '../../src/netsim/host-addr.ts';

export const KERNEL_VNI = 42;
export const NETLAB_HOSTS = [
  { name: 'h1', mac: '02:00:00:00:2a:0b', address: '10.42.0.11/24' },
  { name: 'h2', mac: '02:00:00:00:2a:0c', address: '10.42.0.12/24' },
] as const;

async function main(vtepAddress: string, kernelAddress: string): Promise<void> {
  const vtep = await Vtep.open({ address: vtepAddress, port: VXLAN_PORT });
  const sw = new Switch({ name: 'sw1' });
  sw.addPort(vtep.port({ name: 'sw1-vx', vni: KERNEL_VNI, remote: { address: kernelAddress, port: VXLAN_PORT, anySourcePort: true } }));
  const hosts = NETLAB_HOSTS.map((h, i) => {
    const [hp, sp] = memoryLink(`${h.name}-eth0`, `sw1-p${i + 1}`);
    sw.addPort(sp);
    const host = new Host({ name: h.name });
    host.addInterface({ name: 'eth0', port: hp, mac: h.mac, address: h.address, ipv6: true });
    return host;
  });
  const say = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ ready: true, vtep: vtep.endpoint, hosts: hosts.map((h) => ({ name: h.name, ipv6: h.ipv6('eth0').addressText })) });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    try {
      if (cmd === 'ping') {
        const r = await hosts[0].ping(arg, { count: 3, intervalMs: 200, timeoutMs: 2000 });
        const mac = hosts[0].interface('eth0').cache.lookup(Number(arg.split('.').reduce((a, o) => a * 256 + Number(o), 0)));
        say({ text: r.text(), received: r.stats.received, arpMac: mac === undefined ? null : macText(mac) });
      } else if (cmd === 'ping6') {
        const r = await hosts[0].ping6(`${arg}%eth0`, { count: 3, intervalMs: 200, timeoutMs: 4000 });
        say({ text: r.text(), received: r.stats.received });
      } else if (cmd === 'tables') {
        say({ arp: hosts.map((h) => h.arpTable()), nd: hosts.map((h) => h.neighbourTable()), mac: sw.formatMacTable(), vtep: vtep.counters });
      } else if (cmd === 'quit') {
        break;
      } else {
        say({ error: `unknown command ${line}` });
      }
    } catch (e) {
      say({ error: e instanceof Error ? e.message : String(e) });
    }
  }
  await Promise.all([...hosts.map((h) => h.close()), sw.close()]);
  await vtep.close();
}

if (process.argv[1]?.endsWith('kernel-peer-child.ts')) {
  const [vtepAddress, kernelAddress] = process.argv.slice(2);
  main(vtepAddress, kernelAddress).catch((e: unknown) => {
    process.stdout.write(`${JSON.stringify({ fatal: e instanceof Error ? e.message : String(e) })}\n`);
    process.exitCode = 1;
  });
}
