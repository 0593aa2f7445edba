// The netlab side of the TCP kernel interop test (tcp-kernel-interop.test.ts), run inside the test's
// "netlab" namespace: `ip netns exec NS node --import tsx tcp-kernel-peer-child.ts VTEP_ADDR KERNEL_ADDR`.
// A VTEP (VNI 42) to the kernel's vxlan device, a switch, and one host h1 (10.42.0.11) on the real
// clock, with seeded impairments that can be switched on for both directions (netlab's own, since the
// kernel may lack netem). JSON lines on stdin/stdout:
//   serve SIZE SEED   an HTTP server on h1:80 serving /file (SIZE bytes from the seeded generator)
//   fetch HOST PORT PATH   netlab's HTTP client: GET, answer status, length, sha256
//   impair on|off     loss 1%, duplication 1%, 0-3 ms jitter (reordering) on frames both ways
//   quit

import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { seededRandom } from '../../src/base/random.ts';
import { Host } from '../../src/netsim/host.ts';
import { impair } from '../../src/netsim/impairment.ts';
import { memoryLink, type FramePort } from '../../src/netsim/port.ts';
import { Switch } from '../../src/netsim/switch.ts';
import type { VirtualTcpServer, VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { Vtep, VXLAN_PORT } from '../../src/netsim/vtep.ts';

export const KERNEL_VNI = 42;
export const NETLAB_HOST = { name: 'h1', mac: '02:00:00:00:2a:0b', address: '10.42.0.11/24' } as const;
const IMPAIRMENT = { drop: 0.01, duplicate: 0.01, jitterMs: 3 };

/** A port whose sends go through `impaired` while `state.on`, else straight through. */
function switchable(plain: FramePort, state: { on: boolean }, seed: string): FramePort {
  const impaired = impair(plain, { ...IMPAIRMENT, seed });
  return {
    name: plain.name,
    send: (f) => (state.on ? impaired.send(f) : plain.send(f)),
    onFrame: (h) => plain.onFrame(h),
    close: () => impaired.close(),
  };
}

function serveHttp(socket: VirtualTcpSocket, body: Uint8Array): void {
  let req = '';
  const onData = (b: Buffer): void => {
    req += b.toString('latin1');
    if (!req.includes('\r\n\r\n')) return;
    socket.removeListener('data', onData);
    const ok = req.startsWith('GET /file ');
    const head = `HTTP/1.1 ${ok ? '200 OK' : '404 Not Found'}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${ok ? body.length : 0}\r\nConnection: close\r\n\r\n`;
    socket.write(head);
    if (!ok) {
      socket.end();
      return;
    }
    let off = 0;
    const pump = (): void => {
      while (off < body.length) {
        const more = socket.write(body.subarray(off, off + 65536));
        off += 65536;
        if (!more) return;
      }
      socket.removeListener('drain', pump);
      socket.end();
    };
    socket.on('drain', pump);
    pump();
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
}

function fetch(host: Host, address: string, port: number, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const start = performance.now();
    const s = host.tcp.connect({ host: address, port });
    const parts: Buffer[] = [];
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${address}:${port}\r\nUser-Agent: netlab\r\nConnection: close\r\n\r\n`));
    s.on('data', (b) => parts.push(b));
    s.on('error', (e) => resolve({ error: e.message }));
    s.on('end', () => {
      s.end();
      const all = Buffer.concat(parts);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const body = all.subarray(split + 4);
      resolve({
        status: head.split('\r\n')[0],
        length: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        ms: performance.now() - start,
        counters: s.info().counters,
      });
    });
  });
}

async function main(vtepAddress: string, kernelAddress: string): Promise<void> {
  const vtep = await Vtep.open({ address: vtepAddress, port: VXLAN_PORT });
  const sw = new Switch({ name: 'sw1' });
  const impaired = { on: false };
  sw.addPort(
    switchable(
      vtep.port({ name: 'sw1-vx', vni: KERNEL_VNI, remote: { address: kernelAddress, port: VXLAN_PORT, anySourcePort: true } }),
      impaired,
      'to-kernel',
    ),
  );
  const [hp, sp] = memoryLink('h1-eth0', 'sw1-p1');
  sw.addPort(switchable(sp, impaired, 'to-netlab'));
  const host = new Host({ name: NETLAB_HOST.name, random: seededRandom('kernel-tcp'), tcp: { rto: { minMs: 200 } } });
  host.addInterface({ name: 'eth0', port: hp, mac: NETLAB_HOST.mac, address: NETLAB_HOST.address });
  let server: VirtualTcpServer | undefined;
  const say = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    try {
      if (cmd === 'serve') {
        const body = seededRandom(args[1]).bytes(Number(args[0]));
        server?.close();
        server = host.tcp.listen(80, (s) => serveHttp(s, body));
        say({ ok: true, sha256: createHash('sha256').update(body).digest('hex') });
      } else if (cmd === 'fetch') {
        say(await fetch(host, args[0], Number(args[1]), args[2]));
      } else if (cmd === 'impair') {
        impaired.on = args[0] === 'on';
        say({ ok: true });
      } else if (cmd === 'stats') {
        say({ tcp: host.tcp.stats });
      } else if (cmd === 'quit') {
        break;
      } else say({ error: `unknown command ${line}` });
    } catch (e) {
      say({ error: e instanceof Error ? e.message : String(e) });
    }
  }
  server?.close();
  await host.close();
  await sw.close();
  await vtep.close();
}

if (process.argv[1]?.endsWith('tcp-kernel-peer-child.ts')) {
  const [vtepAddress, kernelAddress] = process.argv.slice(2);
  main(vtepAddress, kernelAddress).catch((e: unknown) => {
    process.stdout.write(`${JSON.stringify({ fatal: e instanceof Error ? e.message : String(e) })}\n`);
    process.exitCode = 1;
  });
}
