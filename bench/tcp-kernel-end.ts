// The Linux kernel's end of `npm run bench:tcp` (bench/tcp.ts), run inside a namespace the bench made:
// `ip netns exec NS node --import tsx bench/tcp-kernel-end.ts sink ADDR PORT` or
// `... send HOST PORT BYTES`. Node's net module, so the TCP is the kernel's. One JSON line per event:
//   sink: {"ready":true} once listening, then {"bytes":N,"ms":T} per connection, timed at this end
//         from its first byte to its end (the same clock the netlab sink uses);
//   send: {"bytes":N,"ms":T} when the connection has closed.

import { createConnection, createServer } from 'node:net';

const CHUNK = 64 * 1024;
const say = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

function sink(address: string, port: number): void {
  const server = createServer((s) => {
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
  });
  server.listen(port, address, () => say({ ready: true }));
  process.stdin.resume();
  process.stdin.on('end', () => server.close());
}

function send(host: string, port: number, total: number): void {
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const start = performance.now();
  const s = createConnection({ host, port });
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
  s.on('close', () => say({ bytes: sent, ms: performance.now() - start }));
  s.on('error', (e) => say({ error: e.message }));
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'sink' && a !== undefined && b !== undefined) sink(a, Number(b));
else if (mode === 'send' && a !== undefined && b !== undefined && c !== undefined) send(a, Number(b), Number(c));
else {
  process.stderr.write('usage: tcp-kernel-end.ts sink ADDR PORT | send HOST PORT BYTES\n');
  process.exitCode = 2;
}
