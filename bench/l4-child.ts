// A process of `npm run bench:l4`, started by bench/l4.ts so the bench's own client does not share an
// event loop with what it measures. Modes:
//   echo HOST                   the upstream of the connection-rate test: echoes what it reads; after
//                               64 bytes it ends the connection (the server closes first, so the
//                               TIME_WAIT stays on the server side and no ephemeral port runs out)
//   netlab HOST UPHOST UPPORT   netlab's TcpBalancer (round robin over one endpoint)
//   pipe HOST UPHOST UPPORT     a plain Node socket pipe both ways (the floor)
// Each prints `READY <port>` on stdout once listening. Over IPC, `mem` answers with process.memoryUsage()
// after a full GC (the child runs with --expose-gc); `close` closes and exits.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Balancer } from '../src/balance/balancer.ts';
import { seededRandom } from '../src/base/random.ts';
import { realClock } from '../src/base/timer-clock.ts';
import { TcpBalancer } from '../src/l4/tcp-balancer.ts';

const ECHO_BYTES = 64;
const [mode, host, upHost, upPortText] = process.argv.slice(2);
if (host === undefined || !host.startsWith('127.')) throw new Error(`l4-child: a 127.x address is needed, got ${host}`);

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function echoServer(): Server {
  return createServer((s: Socket) => {
    let seen = 0;
    s.on('error', () => s.destroy());
    s.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= ECHO_BYTES) s.end(chunk);
      else s.write(chunk);
    });
  });
}

function pipeServer(upstreamHost: string, upstreamPort: number): Server {
  return createServer({ allowHalfOpen: true }, (c: Socket) => {
    const u = connect({ host: upstreamHost, port: upstreamPort, allowHalfOpen: true });
    u.setNoDelay(true);
    c.setNoDelay(true);
    const fail = (): void => {
      if (!c.destroyed) c.resetAndDestroy();
      if (!u.destroyed) u.resetAndDestroy();
    };
    c.on('error', fail);
    u.on('error', fail);
    c.pipe(u);
    u.pipe(c);
  });
}

async function main(): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  if (mode === 'echo') {
    const server = echoServer();
    port = await listen(server);
    close = () => new Promise((r) => server.close(() => r()));
  } else if (mode === 'pipe' || mode === 'netlab') {
    const upPort = Number(upPortText);
    if (upHost === undefined || !upHost.startsWith('127.') || !(upPort > 0 && upPort < 65536))
      throw new Error(`l4-child ${mode}: upstream must be a 127.x address and a port, got ${upHost} ${upPortText}`);
    if (mode === 'pipe') {
      const server = pipeServer(upHost, upPort);
      port = await listen(server);
      close = () => new Promise((r) => server.close(() => r()));
    } else {
      const clock = realClock();
      const tcp = new TcpBalancer({
        name: 'bench',
        host,
        port: 0,
        cluster: {
          name: 'upstream',
          balancer: new Balancer({
            endpoints: [{ name: 'u1', address: upHost, port: upPort }],
            policy: 'round_robin',
            clock,
            random: seededRandom('bench-l4'),
          }),
        },
        clock,
      });
      port = (await tcp.listen()).port;
      close = () => tcp.close();
    }
  } else throw new Error(`l4-child: unknown mode ${mode} (echo, netlab, pipe)`);

  process.on('message', (m: unknown) => {
    if (m === 'mem') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      process.send?.({ mem: process.memoryUsage(), gc: gc !== undefined });
    } else if (m === 'close') {
      void close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`l4-child ${mode}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
