// What the lab tests share: temporary output folders removed after the file's tests, a --check run of
// one lab through the runner (its summary and printed text), the checkpoints that failed, and tshark's
// fields and frame counts for a filter.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect } from 'vitest';
import { runLabs, type RunSummary } from '../../src/lab/runner.ts';
import type { AnyLab } from '../../src/lab/types.ts';
import { Collect } from '../lab/tiny-lab.ts';

export interface LabRun {
  out: string;
  summary: RunSummary;
  text: string;
}

/** Call at the top of a test file: folders named `netlab-PREFIX-*`, removed after the file's tests. */
export function labHarness(prefix: string): { temp(): string; run(l: AnyLab, options?: { deterministic?: boolean; verbose?: boolean }): Promise<LabRun> } {
  const temps: string[] = [];
  afterAll(() => {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), `netlab-${prefix}-`));
    temps.push(d);
    return d;
  };
  const run = async (l: AnyLab, options: { deterministic?: boolean; verbose?: boolean } = {}): Promise<LabRun> => {
    const out = temp();
    const c = new Collect();
    const summary = await runLabs([l], { mode: 'check', pause: false, out, stdout: c, colour: false, ...options });
    return { out, summary, text: c.text };
  };
  return { temp, run };
}

/** The labels of the checkpoints that failed. */
export function failedLabels(s: RunSummary): string[] {
  return s.labs.flatMap((l) => l.results.filter((r) => !r.passed).map((r) => r.label));
}

/** How many frames of a capture a display filter selects in tshark (with -o preferences). */
export function tsharkCount(path: string, filter: string, prefs: readonly string[] = []): number {
  const args = ['-n', '-r', path, ...prefs.flatMap((p) => ['-o', p]), '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .filter((l) => l !== '').length;
}

/**
 * Frames each display filter selects, in one tshark pass (`-z io,stat,0,F1,F2,...`): one process per
 * capture instead of one per filter. A filter may not contain a comma.
 */
export function tsharkCounts(path: string, filters: readonly string[], prefs: readonly string[] = []): number[] {
  if (filters.length === 0) return [];
  for (const f of filters) if (f.includes(',')) throw new Error(`tsharkCounts: a filter with a comma cannot go in io,stat: ${f}`);
  const args = ['-n', '-q', '-r', path, ...prefs.flatMap((p) => ['-o', p]), '-z', `io,stat,0,${filters.join(',')}`];
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const row = out.split('\n').find((l) => /^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|/.test(l));
  if (row === undefined) throw new Error(`tsharkCounts: no io,stat row for ${path}:\n${out}`);
  const cells = row
    .split('|')
    .slice(2, -1)
    .map((c) => Number(c.trim()));
  return filters.map((_, i) => cells[i * 2]);
}

/** tshark's -T fields rows for the frames a display filter selects. */
export function tsharkRows(path: string, filter: string, fields: readonly string[]): string[][] {
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * `netlab lab run NAME --check --out OUT` as a user runs it (a child process: bin/netlab.js, the build
 * the test setup made of the current sources); its stdout. Not through tsx: transforming the CLI's
 * sources again in every child took 2.6 times the CPU, and a busy CI machine past the 60 s.
 */
export async function labCli(name: string, out: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/netlab.js'), 'lab', 'run', name, '--check', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    return stdout;
  } catch (err) {
    // A failed run says why: the lab's own output (which checkpoint failed) goes into the error.
    const e = err as { message?: string; stdout?: string; stderr?: string; code?: unknown; signal?: unknown };
    throw new Error(
      `netlab lab run ${name} --check failed (exit ${String(e.code)}, signal ${String(e.signal)})\n--- stdout ---\n${e.stdout ?? ''}\n--- stderr ---\n${e.stderr ?? ''}`,
    );
  }
}

/**
 * The DNS labs' captures: every frame is DNS on port 53 with a good UDP checksum, nothing malformed
 * or warned about, and each printed filter (that expects frames) selects some.
 */
export function expectCleanDnsCaptures(
  captures: readonly { path: string; absolutePath: string; filters: readonly { filter: string; frames?: unknown }[] }[],
): void {
  for (const c of captures) {
    const all = tsharkCount(c.absolutePath, 'frame');
    expect(all, c.path).toBeGreaterThan(0);
    expect(tsharkCount(c.absolutePath, 'dns && (udp.srcport == 53 || udp.dstport == 53)'), c.path).toBe(all);
    expect(tsharkCount(c.absolutePath, 'udp.checksum.status == "Good"', ['udp.check_checksum:TRUE']), c.path).toBe(all);
    expect(tsharkCount(c.absolutePath, '_ws.malformed || _ws.expert.severity >= "Warning"'), c.path).toBe(0);
    for (const f of c.filters) if (f.frames !== 0) expect(tsharkCount(c.absolutePath, f.filter), `${f.filter} on ${c.path}`).toBeGreaterThan(0);
  }
}

/**
 * tshark selects, with each display filter a lab printed (under its printed preferences), as many frames
 * of its capture as the lab says (`'some'`: at least one). `count`: how many filters the lab printed (a
 * number, or { atLeast }); `numbersOnly`: every filter must give an exact count.
 */
export function expectPrintedFilters(s: RunSummary, count: number | { atLeast: number }, options: { numbersOnly?: boolean } = {}): void {
  const filters = s.labs[0].captures.flatMap((c) => c.filters.map((f) => ({ path: c.absolutePath, ...f })));
  if (typeof count === 'number') expect(filters.length).toBe(count);
  else expect(filters.length).toBeGreaterThanOrEqual(count.atLeast);
  // One tshark pass per capture and preferences (tsharkCounts), one per filter only for a filter with a comma.
  const groups = new Map<string, typeof filters>();
  for (const f of filters) {
    if (options.numbersOnly === true) expect(typeof f.frames, f.filter).toBe('number');
    const key = JSON.stringify([f.path, f.prefs ?? []]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const plain = group.filter((f) => !f.filter.includes(','));
    const counts = new Map<(typeof filters)[number], number>();
    let n: number[] = [];
    try {
      n = tsharkCounts(
        group[0].path,
        plain.map((f) => f.filter),
        group[0].prefs ?? [],
      );
    } catch {
      // io,stat prints no row for a capture whose frames all have one timestamp: one pass per filter then.
    }
    plain.forEach((f, i) => {
      if (n[i] !== undefined) counts.set(f, n[i]);
    });
    for (const f of group) {
      const got = counts.get(f) ?? tsharkCount(f.path, f.filter, f.prefs ?? []);
      if (typeof f.frames === 'number') expect(got, `${f.path}: ${f.filter}`).toBe(f.frames);
      else expect(got, `${f.path}: ${f.filter}`).toBeGreaterThan(0);
    }
  }
}
