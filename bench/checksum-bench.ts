// Internet checksum (RFC 1071) throughput: netlab's internetChecksum beside the textbook C loop in
// checksum.c, compiled here with gcc -O2, both over the same 1500-byte buffer size.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { internetChecksum } from '../src/wire/checksum.ts';
import { hasCommand } from './peers.ts';

export interface ChecksumResult {
  bytes: number;
  netlabGBps: number;
  cGBps?: number;
  skipped?: string;
}

function netlabGBps(size: number, rounds: number): number {
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 131 + 7) & 0xff;
  let sink = 0;
  for (let r = 0; r < 20_000; r++) sink ^= internetChecksum(buf);
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    buf[r % size] ^= 1;
    sink ^= internetChecksum(buf);
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === -1) console.log('');
  return (size * rounds) / s / 1e9;
}

export function checksumBench(size = 1500, rounds = 2_000_000): ChecksumResult {
  const result: ChecksumResult = { bytes: size, netlabGBps: netlabGBps(size, rounds) };
  if (!hasCommand('gcc')) return { ...result, skipped: 'gcc not installed (apt-get install gcc)' };
  const out = join(import.meta.dirname, 'out');
  mkdirSync(out, { recursive: true });
  const bin = join(out, 'checksum-c');
  execFileSync('gcc', ['-O2', '-o', bin, join(import.meta.dirname, 'checksum.c')]);
  const line = execFileSync(bin, [String(size), String(rounds)], { encoding: 'utf8' }).trim();
  result.cGBps = Number(line.split(/\s+/)[1]);
  return result;
}
