// What the DNS benchmarks share: a free port for a peer server, and dnsperf run against a server with
// its summary read back (queries/s, latency, losses).

import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A port the kernel had free on `address` (for peers that cannot be told to bind port 0). */
export async function freePort(address: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, address, () => resolve()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

export interface DnsperfResult {
  qps: number;
  avgMs: number;
  maxMs: number;
  lost: number;
}

/** `dnsperf` for `seconds` with 100 queries outstanding from one client thread. */
export async function dnsperf(address: string, port: number, queryFile: string, seconds: number): Promise<DnsperfResult> {
  const { stdout } = await run('dnsperf', ['-s', address, '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', '1', '-T', '1', '-q', '100'], {
    maxBuffer: 1 << 24,
  });
  const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxMs: num(/Average Latency \(s\):.*max ([\d.]+)\)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
  };
}
