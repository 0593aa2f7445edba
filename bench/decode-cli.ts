// `netlab decode` beside `tshark`, both as the command a user runs, producing the same output from the
// same file. Each output kind is first checked byte for byte (both outputs streamed and compared,
// the first difference reported), then timed with stdout to /dev/null under /usr/bin/time (wall,
// CPU and peak RSS of the process).
//
// tshark runs with the options that make it print what netlab prints:
// - checksum validation on for IPv4, TCP and UDP (netlab always validates, so `[TCP CHECKSUM
//   INCORRECT]` appears on loopback frames whose checksum the kernel left to the NIC);
// - `--disable-protocol` for the protocols tshark finds in the capture that netlab does not dissect
//   (HTTP, and protocols tshark guesses from a client's ephemeral port such as PMPROXY), so both show
//   those payloads as TCP data. The list is computed from the capture (`tshark -z io,phs`) and printed.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/dissect/dissect.ts';
import { isProtocolName } from '../src/dissect/known-fields.ts';
import { netlabCommand } from './netlab-command.ts';

export interface OutputKind {
  name: string;
  args: string[];
}

/** The outputs compared, with the flags both tools take for them. */
export const OUTPUT_KINDS: readonly OutputKind[] = [
  { name: 'summary lines', args: [] },
  { name: '-T fields, 1 field', args: ['-T', 'fields', '-e', 'ip.src'] },
  { name: '-T fields, 5 fields', args: ['-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'frame.len'] },
  { name: '-Y filter (summary)', args: ['-Y', 'tcp.flags.syn == 1 || dns'] },
  { name: '-T json', args: ['-T', 'json'] },
  { name: '-V', args: ['-V'] },
];

export const TSHARK_CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

/** Protocols in the capture (tshark's protocol hierarchy) that netlab does not dissect; cached beside it. */
export async function protocolsToDisable(path: string): Promise<string[]> {
  const cache = `${path}.phs`;
  let phs: string;
  if (existsSync(cache)) phs = readFileSync(cache, 'utf8');
  else {
    phs = (await collect('tshark', ['-r', path, ...TSHARK_CHECKSUMS, '-q', '-z', 'io,phs'])).stdout;
    writeFileSync(cache, phs);
  }
  const names = new Set<string>();
  for (const line of phs.split('\n')) {
    const m = /^\s+([a-z0-9_.-]+)\s+frames:\d+/.exec(line);
    if (m !== null) names.add(m[1]);
  }
  return [...names].filter((n) => !isProtocolName(n)).sort();
}

export function tsharkArgs(path: string, disabled: readonly string[], kind: OutputKind): string[] {
  const off = disabled.flatMap((d) => ['--disable-protocol', d]);
  return ['-r', path, ...TSHARK_CHECKSUMS, ...off, ...kind.args];
}

export function netlabArgs(path: string, kind: OutputKind): { cmd: string; args: string[] } {
  const n = netlabCommand();
  return { cmd: n.cmd, args: [...n.args, 'decode', '-r', path, ...kind.args] };
}

export interface Verdict {
  same: boolean;
  bytes: number;
  lines: number;
  /** The first differing line of each, when not the same. */
  ours?: string;
  theirs?: string;
}

/**
 * Runs both commands at once and compares their stdout as it streams (memory stays small however
 * long the outputs are); stops both at the first difference.
 */
export function compareOutputs(a: { cmd: string; args: string[] }, b: { cmd: string; args: string[] }): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const pa = spawn(a.cmd, a.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const pb = spawn(b.cmd, b.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bufA: Buffer = Buffer.alloc(0);
    let bufB: Buffer = Buffer.alloc(0);
    let endA = false;
    let endB = false;
    let bytes = 0;
    let lines = 0;
    let lineStart: Buffer = Buffer.alloc(0);
    let done = false;
    let errA = '';
    pa.stderr.on('data', (d: Buffer) => {
      if (errA.length < 4000) errA += d.toString();
    });
    pb.stderr.resume();
    const finish = (v: Verdict): void => {
      if (done) return;
      done = true;
      pa.kill();
      pb.kill();
      resolve(v);
    };
    const restOfLine = (start: Buffer, rest: Buffer): string => {
      const nl = rest.indexOf(10);
      return Buffer.concat([start, nl < 0 ? rest.subarray(0, 300) : rest.subarray(0, nl)])
        .toString('utf8')
        .slice(0, 400);
    };
    /** Takes the first n bytes (equal in both) as seen: counts lines, keeps the current line's start. */
    const consume = (n: number): void => {
      const seen = bufA.subarray(0, n);
      for (let k = seen.indexOf(10); k >= 0; k = seen.indexOf(10, k + 1)) lines++;
      const nl = seen.lastIndexOf(10);
      lineStart = nl >= 0 ? Buffer.from(seen.subarray(nl + 1)) : Buffer.concat([lineStart, seen]).subarray(-2000);
      bytes += n;
      bufA = bufA.subarray(n);
      bufB = bufB.subarray(n);
    };
    const differ = (): void => {
      const show = (buf: Buffer, ended: boolean): string => (ended && buf.length === 0 ? '(end of output)' : JSON.stringify(restOfLine(lineStart, buf)));
      finish({ same: false, bytes, lines, ours: show(bufA, endA), theirs: show(bufB, endB) });
    };
    const step = (): void => {
      if (done) return;
      const n = Math.min(bufA.length, bufB.length);
      let i = n;
      if (!bufA.subarray(0, n).equals(bufB.subarray(0, n))) for (i = 0; bufA[i] === bufB[i]; i++);
      consume(i);
      if (i < n) return differ();
      if (endA && endB) {
        if (bufA.length === 0 && bufB.length === 0) finish({ same: true, bytes, lines });
        else differ();
      } else if ((endA && bufB.length > 0) || (endB && bufA.length > 0)) differ();
    };
    pa.stdout.on('data', (d: Buffer) => {
      bufA = bufA.length === 0 ? d : Buffer.concat([bufA, d]);
      step();
      if (bufA.length > 1 << 24) pa.stdout.pause();
      if (bufB.length <= 1 << 24) pb.stdout.resume();
    });
    pb.stdout.on('data', (d: Buffer) => {
      bufB = bufB.length === 0 ? d : Buffer.concat([bufB, d]);
      step();
      if (bufB.length > 1 << 24) pb.stdout.pause();
      if (bufA.length <= 1 << 24) pa.stdout.resume();
    });
    pa.stdout.on('end', () => {
      endA = true;
      step();
    });
    pb.stdout.on('end', () => {
      endB = true;
      step();
    });
    pa.on('error', reject);
    pb.on('error', reject);
    pa.on('close', (code) => {
      if (!done && code !== 0 && code !== null) reject(new Error(`${a.cmd} ${a.args.join(' ')} exited ${code}: ${errA.trim()}`));
    });
  });
}

export interface Timing {
  wall: number;
  cpu: number;
  /** Peak resident set size, MB. */
  rssMB: number;
}

/** Runs a command under /usr/bin/time with stdout to /dev/null. */
export async function timed(cmd: string, args: string[]): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-time-'));
  const file = join(dir, 'time.txt');
  try {
    const r = await collect('/usr/bin/time', ['-o', file, '-f', '%e %U %S %M', cmd, ...args], true);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const [wall, user, sys, rss] = readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wall, cpu: user + sys, rssMB: rss / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function collect(cmd: string, args: string[], discardStdout = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 8000) stderr += d.toString();
    });
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
