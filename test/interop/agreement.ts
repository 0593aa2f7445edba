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
