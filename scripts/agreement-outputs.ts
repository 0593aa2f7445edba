// `npm run agreement:outputs [-- FILE...]`: on how many captures `netlab decode -V` and `-T json`
// print exactly what tshark prints (checksum validation on, as netlab always validates), over the
// shared captures (default) or the given files. For each capture that differs, the first differing
// line of each output is shown.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { textOutput } from '../src/cli/decode.ts';
import { jsonDocument } from '../src/dissect/json-output.ts';
import { dissectAll, TSHARK_CHECKSUM_OPTS } from '../test/interop/agreement.ts';

const run = promisify(execFile);
const dir = join(import.meta.dirname, '..', 'test', 'captures');
const args = process.argv.slice(2);
const files =
  args.length > 0
    ? args
    : readdirSync(dir)
        .filter((f) => /\.pcap(ng)?$/.test(f) && !/^malformed-(pcap-version|linktype|pcapng-shb)/.test(f))
        .sort()
        .map((f) => join(dir, f));

async function tshark(file: string, ...opts: string[]): Promise<string> {
  const { stdout } = await run('tshark', ['-r', file, ...TSHARK_CHECKSUM_OPTS, ...opts], { maxBuffer: 1 << 28 });
  return stdout;
}

/** The first line where the two texts differ, with its number, or undefined when they are equal. */
function firstDiff(ours: string, theirs: string): string | undefined {
  if (ours === theirs) return undefined;
  const a = ours.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: ours=${JSON.stringify(a[i])} tshark=${JSON.stringify(b[i])}`;
  }
  return 'differ';
}

let sameV = 0;
let sameJ = 0;
for (const file of files) {
  const name = file.split('/').pop();
  const ds = await dissectAll(file);
  const v = ds.map((d) => textOutput(d, { file, verbose: true })).join('');
  const j = jsonDocument(ds);
  const dv = firstDiff(v, await tshark(file, '-V'));
  const dj = firstDiff(j, await tshark(file, '-T', 'json'));
  if (dv === undefined) sameV++;
  if (dj === undefined) sameJ++;
  if (dv !== undefined || dj !== undefined) {
    console.log(`${name}`);
    if (dv !== undefined) console.log(`  -V ${dv}`);
    if (dj !== undefined) console.log(`  json ${dj}`);
  }
}
console.log(`\n-V identical on ${sameV} of ${files.length} captures; -T json identical on ${sameJ} of ${files.length}`);
