// Field-by-field agreement between `netlab decode -T fields` and `tshark -T fields` on one capture.
// For every field netlab emits anywhere in the capture, both tools print every frame's value and the
// lines are compared frame by frame. Used by the interop test and by `npm run agreement`.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openCapture } from '../../src/capture/read.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect, type Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { walkFields } from '../../src/dissect/field.ts';
import { jsonDocument } from '../../src/dissect/json-output.ts';
import { textOutput } from '../../src/cli/decode.ts';

const run = promisify(execFile);

/** tshark options: checksum validation on, as the reference run. */
export const TSHARK_CHECKSUM_OPTS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

export interface FieldAgreement {
  field: string;
  /** Frames where both printed the same text (including both empty). */
  agree: number;
  frames: number;
  /** A few disagreements: frame number, ours, tshark's. */
  examples: { frame: number; ours: string; tshark: string }[];
}

export async function dissectAll(path: string): Promise<Dissection[]> {
  const cap = await openCapture(path);
  const state = new DissectState();
  const out: Dissection[] = [];
  try {
    for await (const p of cap.packets()) out.push(dissect(p, state));
  } finally {
    await cap.close();
  }
  return out;
}

/** Names of all fields netlab printed for any frame of the capture (skipping label-only fields). */
export function emittedFields(ds: readonly Dissection[]): string[] {
  const names = new Set<string>();
  for (const d of ds) {
    for (const p of d.protos) for (const f of walkFields(p.fields)) if (f.kind !== 'none') names.add(f.name);
  }
  return [...names].sort();
}

async function tsharkFields(path: string, fields: readonly string[]): Promise<string[][]> {
  const args = ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args, { maxBuffer: 1 << 28 });
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

/** Compares every emitted field on every frame. */
export async function compareCapture(path: string, only?: readonly string[]): Promise<FieldAgreement[]> {
  const ds = await dissectAll(path);
  const fields = only ?? emittedFields(ds);
  if (fields.length === 0 || ds.length === 0) return [];
  const theirs: string[][] = [];
  // tshark takes many -e at once; chunk to keep the command line modest.
  for (let i = 0; i < fields.length; i += 60) {
    const chunk = fields.slice(i, i + 60);
    const rows = await tsharkFields(path, chunk);
    rows.forEach((r, k) => {
      theirs[k] = [...(theirs[k] ?? []), ...chunk.map((_, j) => r[j] ?? '')];
    });
  }
  return fields.map((field, j) => {
    const a: FieldAgreement = { field, agree: 0, frames: ds.length, examples: [] };
    ds.forEach((d, k) => {
      const ours = fieldText(d, field);
      const t = theirs[k]?.[j] ?? '';
      if (ours === t) a.agree++;
      else if (a.examples.length < 3) a.examples.push({ frame: k + 1, ours, tshark: t });
    });
    return a;
  });
}

/** The frames whose `-V` text differs from tshark's (frame blocks as `netlab decode -V` prints them): the first differing line of each. */
export async function verboseDiffs(path: string): Promise<{ frame: number; line: number; ours?: string; tshark?: string }[]> {
  const ds = await dissectAll(path);
  const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-V'], { maxBuffer: 1 << 28 });
  // tshark ends each frame with a blank line, as netlab does; frames start at "Frame N:" (or comments).
  const theirs: string[][] = [];
  let prev = '';
  for (const line of stdout.split('\n')) {
    if (prev === '' && (/^Frame \d+: /.test(line) || line === 'Packet comments')) theirs.push([]);
    if (theirs.length > 0) theirs[theirs.length - 1].push(line);
    prev = line;
  }
  const out: { frame: number; line: number; ours?: string; tshark?: string }[] = [];
  ds.forEach((d, i) => {
    const ours = trimEnd(textOutput(d, { file: path, verbose: true }).split('\n'));
    const t = trimEnd(theirs[i] ?? []);
    // The first line that differs, with its number in the frame's block.
    const k = ours.findIndex((l, j) => l !== t[j]);
    const at = k >= 0 ? k : ours.length < t.length ? ours.length : -1;
    if (at >= 0) out.push({ frame: i + 1, line: at + 1, ours: ours[at], tshark: t[at] });
  });
  return out;
}

function trimEnd(lines: string[]): string[] {
  let n = lines.length;
  while (n > 0 && lines[n - 1] === '') n--;
  return lines.slice(0, n);
}

/** True when `netlab decode -T json` prints exactly what tshark prints for the capture. */
export async function jsonIdentical(path: string): Promise<{ same: boolean; firstDiff?: string }> {
  const ours = jsonDocument(await dissectAll(path));
  const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS, '-T', 'json'], { maxBuffer: 1 << 28 });
  if (ours === stdout) return { same: true };
  const a = ours.split('\n');
  const b = stdout.split('\n');
  const i = a.findIndex((l, k) => l !== b[k]);
  return { same: false, firstDiff: `line ${i + 1}: ours=${JSON.stringify(a[i])} tshark=${JSON.stringify(b[i])}` };
}
