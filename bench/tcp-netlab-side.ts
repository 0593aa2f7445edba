// netlab's end of `npm run bench:tcp` (bench/tcp.ts), run inside the bench's "netlab" namespace:
// `ip netns exec NS node --import tsx bench/tcp-netlab-side.ts REMOTE1 REMOTE2`. One VTEP on UDP 4789,
// a learning switch with a VXLAN port to each kernel namespace (VNI 42 to REMOTE1, 43 to REMOTE2), and
// netlab host h1 (10.42.0.11/24, real clock) on a third port: the kernels' TCP and netlab's cross the
// same switch. JSON lines: {"ready":true}, then one answer per command on stdin:
//   sink PORT             h1 listens; each connection's {"bytes","ms"} is printed when it ends
//   send HOST PORT BYTES  h1 connects and sends BYTES; {"bytes","ms","retransmits"} once closed
//   stats                 the switch's counters per port (frames in and out, drops)
//   quit

import { createInterface } from 'node:readline';
import { seededRandom } from '../src/base/random.ts';
import { Host } from '../src/netsim/host.ts';
import { memoryLink } from '../src/netsim/port.ts';
import { Switch } from '../src/netsim/switch.ts';
import { Vtep, VXLAN_PORT } from '../src/netsim/vtep.ts';

export const NETLAB_H1 = { mac: '02:00:00:00:2a:0b', address: '10.42.0.11' } as const;
const CHUNK = 64 * 1024;
const say = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(remotes: readonly string[]): Promise<void> {
  const vtep = await Vtep.open({ address: '0.0.0.0', port: VXLAN_PORT });
  const sw = new Switch({ name: 'sw1' });
  remotes.forEach((address, i) => sw.addPort(vtep.port({ name: `sw1-vx${i + 1}`, vni: 42 + i, remote: { address, port: VXLAN_PORT, anySourcePort: true } })));
  const [hp, sp] = memoryLink('h1-eth0', 'sw1-p1');
  sw.addPort(sp);
  const host = new Host({ name: 'h1', random: seededRandom('bench-tcp'), tcp: { rto: { minMs: 200 }, mslMs: 100, maxConnections: 64 } });
  host.addInterface({ name: 'eth0', port: hp, mac: NETLAB_H1.mac, address: `${NETLAB_H1.address}/24` });
  const servers: { close(): void }[] = [];
  say({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    try {
      if (cmd === 'sink') {
        servers.push(
          host.tcp.listen(Number(args[0]), (s) => {
            let bytes = 0;
            let first = 0;
            s.on('data', (b) => {
              if (bytes === 0) first = performance.now();
              bytes += b.length;
            });
            s.on('end', () => {
              say({ bytes, ms: performance.now() - first });
              s.end();
            });
            s.on('error', (e) => say({ error: e.message }));
          }),
        );
        say({ ok: true });
      } else if (cmd === 'send') {
        const total = Number(args[2]);
        const chunk = Buffer.alloc(CHUNK, 0x61);
        const start = performance.now();
        const s = host.tcp.connect({ host: args[0] ?? '', port: Number(args[1]) });
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            const n = Math.min(CHUNK, total - sent);
            sent += n;
            if (!s.write(n === CHUNK ? chunk : chunk.subarray(0, n))) return;
          }
          s.end();
        };
        s.on('connect', pump);
        s.on('drain', pump);
        s.on('data', () => undefined);
        s.on('error', (e) => say({ error: e.message }));
        s.on('close', () => say({ bytes: sent, ms: performance.now() - start, retransmits: s.info().counters.retransmits }));
      } else if (cmd === 'stats') {
        say({ ports: sw.portNames.map((p) => ({ port: p, ...sw.counters(p) })) });
      } else if (cmd === 'quit') {
        break;
      } else say({ error: `unknown command ${line}` });
    } catch (e) {
      say({ error: e instanceof Error ? e.message : String(e) });
    }
  }
  for (const s of servers) s.close();
  await host.close();
  await sw.close();
  await vtep.close();
}

if (process.argv[1]?.endsWith('tcp-netlab-side.ts')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    say({ fatal: e instanceof Error ? e.message : String(e) });
    process.exitCode = 1;
  });
}
