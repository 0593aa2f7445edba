// A recursive server in a process of its own, started under a low descriptor limit (prlimit) by
// dns-tcp-resources.test.ts: prints {"port": N} once serving, then answers "stats" on stdin with its
// TCP counters as one JSON line, and "quit" by closing.

import { createInterface } from 'node:readline';
import { startRecursive } from './servers.ts';

const server = await startRecursive('127.0.0.1', { tcp: { backoffMs: 500 } });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stats') process.stdout.write(`${JSON.stringify({ ...server.tcpStats, open: server.tcpConnections })}\n`);
  if (line === 'quit') break;
}
await server.close();
process.exit(0);
