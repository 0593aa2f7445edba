// `npm run agreement [-- FILE...]`: per-field agreement between netlab decode and tshark, over the
// shared captures (default) or the given files, printed as a table.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareCapture } from '../test/interop/agreement.ts';

const dir = join(import.meta.dirname, '..', 'test', 'captures');
const args = process.argv.slice(2);
const files =
  args.length > 0
    ? args
    : readdirSync(dir)
        .filter((f) => /\.pcap(ng)?$/.test(f) && !f.startsWith('malformed-pcap') && !f.startsWith('malformed-linktype'))
        .map((f) => join(dir, f));

const totals = new Map<string, { agree: number; frames: number; files: number; bad: string[] }>();
for (const file of files) {
  try {
    for (const a of await compareCapture(file)) {
      const t = totals.get(a.field) ?? { agree: 0, frames: 0, files: 0, bad: [] };
      t.agree += a.agree;
      t.frames += a.frames;
      t.files++;
      if (a.agree !== a.frames && t.bad.length < 3)
        t.bad.push(
          `${file.split('/').pop()}#${a.examples[0]?.frame}: ours=${JSON.stringify(a.examples[0]?.ours)} tshark=${JSON.stringify(a.examples[0]?.tshark)}`,
        );
      totals.set(a.field, t);
    }
  } catch (err) {
    console.log(`# ${file}: ${(err as Error).message}`);
  }
}
let fieldsAll = 0;
let fieldsFull = 0;
let agreeAll = 0;
let framesAll = 0;
console.log('field\tagree/frames\tfiles\tpercent');
for (const [field, t] of [...totals].sort()) {
  fieldsAll++;
  if (t.agree === t.frames) fieldsFull++;
  agreeAll += t.agree;
  framesAll += t.frames;
  console.log(`${field}\t${t.agree}/${t.frames}\t${t.files}\t${((100 * t.agree) / t.frames).toFixed(2)}%${t.bad.length ? '\t' + t.bad.join(' | ') : ''}`);
}
console.log(
  `\n${fieldsFull}/${fieldsAll} fields agree on every frame; ${agreeAll}/${framesAll} field-frames agree (${((100 * agreeAll) / Math.max(1, framesAll)).toFixed(2)}%) over ${files.length} captures`,
);
// The protocol stack of each frame, on its own: it says which dissectors netlab still lacks.
const protos = totals.get('frame.protocols');
if (protos !== undefined) {
  console.log(
    `frame.protocols: ${protos.agree}/${protos.frames} frames agree (${((100 * protos.agree) / Math.max(1, protos.frames)).toFixed(2)}%)${protos.bad.length ? `; e.g. ${protos.bad.join(' | ')}` : ''}`,
  );
}
