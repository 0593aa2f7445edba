// Running the real `netlab` command as a child process for the hostile-input suite, a few at a time
// (the machine is shared), and the shape every refusal must have: one line on stderr starting
// "netlab: ", no JavaScript stack frame, a non-zero exit code.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');

export interface CliResult {
  args: readonly string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function netlab(args: readonly string[], cwd?: string): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', NETLAB_DEBUG: '' }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ args, code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs every command line, `width` at a time, keeping the order of the results. */
export async function netlabAll(lines: readonly (readonly string[])[], width = 4, cwd?: string): Promise<CliResult[]> {
  const out: CliResult[] = new Array(lines.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lines.length) {
      const i = next++;
      out[i] = await netlab(lines[i], cwd);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, lines.length) }, worker));
  return out;
}

/** A clean refusal: `code`, one stderr line "netlab: ..." matching `message`, no stack frames. */
export function expectRefusal(r: CliResult, code: number, message: RegExp): void {
  const what = `netlab ${r.args.map((a) => (a.length > 60 ? `${a.slice(0, 20)}...(${a.length})` : a)).join(' ')}`;
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  expect(r.stderr, what).not.toMatch(/node:internal|triggerUncaughtException/);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `${what}: stderr ${JSON.stringify(r.stderr.slice(0, 400))}`).toHaveLength(1);
  expect(lines[0], what).toMatch(/^netlab: /);
  expect(lines[0], what).toMatch(message);
  expect(r.code, `${what}: ${r.stderr}`).toBe(code);
}
