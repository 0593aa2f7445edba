// `npm run bench [-- --frames N | --quick] [--small N] [--outputs 1,2,..] [--no-library] [--markdown]`
//
// 1. `netlab decode` beside `tshark` (issue 19): both commands, the same output from the same file, on
//    a capture of real loopback traffic (bench/real-capture.ts: nginx + wrk with keep-alive and short
//    connections, TLS, DNS; default 1,000,000 frames, --quick 100,000), and again on a smaller one
//    (--small, default a tenth) so the peak memory of both can be read at two sizes. Every output is
//    checked to be byte-identical first (bench/decode-cli.ts), then timed.
// 2. Library level (issue 3): header decode vs the `pcap` npm decoders, tshark and tcpdump on a
//    generated capture, and the internet checksum vs a C loop. These do not time `netlab decode`.
// Prints tables, the ratios against the targets, and with --markdown the rows for BENCHMARKS.md.

import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { checksumBench } from './checksum-bench.ts';
import { compareOutputs, netlabArgs, OUTPUT_KINDS, type OutputKind, protocolsToDisable, timed, type Timing, tsharkArgs } from './decode-cli.ts';
import { decodeBench, type DecodeRow } from './decode-bench.ts';
import { benchCapture } from './gen-capture.ts';
import { netlabCommand } from './netlab-command.ts';
import { commandVersion, hasCommand } from './peers.ts';
import { realCapture } from './real-capture.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string' },
    quick: { type: 'boolean', default: false },
    small: { type: 'string' },
    outputs: { type: 'string' },
    'gen-frames': { type: 'string' },
    'dissect-frames': { type: 'string', default: '20000' },
    library: { type: 'boolean', default: true },
    'no-library': { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
  },
});
const whole = (v: string | undefined, dflt: number, name: string, min: number): number => {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got ${v}`);
  return n;
};
const frames = whole(values.frames, values.quick ? 100_000 : 1_000_000, 'frames', 1000);
const smallFrames = whole(values.small, Math.max(1000, Math.round(frames / 10)), 'small', 1000);
const genFrames = whole(values['gen-frames'], frames, 'gen-frames', 1000);
const dissectFrames = whole(values['dissect-frames'], 20000, 'dissect-frames', 1);
const kinds: OutputKind[] =
  values.outputs === undefined
    ? [...OUTPUT_KINDS]
    : values.outputs.split(',').map((x) => {
        const k = OUTPUT_KINDS[Number(x) - 1];
        if (k === undefined)
          throw new Error(`--outputs takes numbers 1..${OUTPUT_KINDS.length}: ${OUTPUT_KINDS.map((o, i) => `${i + 1} ${o.name}`).join(', ')}`);
        return k;
      });

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);
for (const [cmd, args] of [
  ['tshark', ['--version']],
  ['tcpdump', ['--version']],
  ['gcc', ['--version']],
] as const) {
  console.log(`${cmd}: ${hasCommand(cmd) ? commandVersion(cmd, [...args]) : 'not installed'}`);
}
const fmt = (n: number, d = 0): string => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---- 1. netlab decode vs tshark, same output, same file ----------------------------------------
if (!hasCommand('tshark')) throw new Error('tshark is not installed (apt-get install tshark): the decode comparison needs it');
console.log(`netlab command: ${netlabCommand().text} decode ...`);
interface CliRow {
  kind: string;
  frames: number;
  netlab: Timing;
  tshark: Timing;
  verdict: string;
}
const cliRows: CliRow[] = [];
let failed = 0;
for (const size of [...new Set([frames, smallFrames])]) {
  const cap = await realCapture(size);
  const disabled = await protocolsToDisable(cap.path);
  console.log(`\ncapture: ${cap.path} (${fmt(cap.frames)} frames, ${(cap.bytes / 1e6).toFixed(1)} MB; tcpdump: ${cap.note})`);
  console.log(`tshark options: ${tsharkArgs(cap.path, disabled, { name: '', args: [] }).slice(2).join(' ')}`);
  for (const kind of kinds) {
    const nl = netlabArgs(cap.path, kind);
    const ts = { cmd: 'tshark', args: tsharkArgs(cap.path, disabled, kind) };
    const v = await compareOutputs(nl, ts);
    const verdict = v.same ? `same (${fmt(v.lines)} lines, ${(v.bytes / 1e6).toFixed(1)} MB)` : `DIFFERENT at line ${v.lines + 1}`;
    if (!v.same) {
      failed++;
      console.log(`  ${kind.name}: outputs differ at line ${v.lines + 1}:\n    netlab: ${v.ours}\n    tshark: ${v.theirs}`);
    }
    const netlab = await timed(nl.cmd, nl.args);
    const tshark = await timed(ts.cmd, ts.args);
    const row = { kind: kind.name, frames: cap.frames, netlab, tshark, verdict };
    cliRows.push(row);
    console.log(
      `  ${kind.name.padEnd(20)} netlab ${netlab.wall.toFixed(2)} s (cpu ${netlab.cpu.toFixed(2)}, ${netlab.rssMB.toFixed(0)} MB)  tshark ${tshark.wall.toFixed(2)} s (cpu ${tshark.cpu.toFixed(2)}, ${tshark.rssMB.toFixed(0)} MB)  tshark/netlab ${(tshark.wall / netlab.wall).toFixed(2)}x wall, ${(tshark.cpu / netlab.cpu).toFixed(2)}x cpu  ${verdict}`,
    );
  }
}
{
  // The extra row: the generated capture of the library-level rows (TCP sequence numbers that jump
  // within each flow, which sends tshark's TCP analysis into its slowest path). Labelled for what it is.
  const gen = await benchCapture(genFrames);
  const kind = { name: '-T fields, 1 field (GENERATED capture)', args: ['-T', 'fields', '-e', 'ip.src'] };
  const nl = netlabArgs(gen.path, kind);
  const ts = { cmd: 'tshark', args: tsharkArgs(gen.path, [], kind) };
  const v = await compareOutputs(nl, ts);
  const netlab = await timed(nl.cmd, nl.args);
  const tshark = await timed(ts.cmd, ts.args);
  cliRows.push({ kind: kind.name, frames: gen.frames, netlab, tshark, verdict: v.same ? `same (${fmt(v.lines)} lines)` : `DIFFERENT at line ${v.lines + 1}` });
  console.log(
    `  ${kind.name}: netlab ${netlab.wall.toFixed(2)} s, tshark ${tshark.wall.toFixed(2)} s, ${(tshark.wall / netlab.wall).toFixed(2)}x; ${v.same ? 'same output' : `differs: ${v.ours} | ${v.theirs}`}`,
  );
}
const cliTable = (): string[] => {
  const out = [
    '| output | frames | netlab s | tshark s | tshark/netlab | netlab CPU s | tshark CPU s | CPU ratio | peak RSS netlab | peak RSS tshark | same output |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of cliRows) {
    out.push(
      `| ${r.kind} | ${fmt(r.frames)} | ${r.netlab.wall.toFixed(2)} | ${r.tshark.wall.toFixed(2)} | ${(r.tshark.wall / r.netlab.wall).toFixed(2)}x | ${r.netlab.cpu.toFixed(2)} | ${r.tshark.cpu.toFixed(2)} | ${(r.tshark.cpu / r.netlab.cpu).toFixed(2)}x | ${r.netlab.rssMB.toFixed(0)} MB | ${r.tshark.rssMB.toFixed(0)} MB | ${r.verdict} |`,
    );
  }
  return out;
};
if (values.markdown) console.log(`\n${cliTable().join('\n')}`);
if (failed > 0) console.log(`\n${failed} output(s) differ: those timings do not compare the same work.`);
if (values['no-library'] || !values.library) process.exit(failed > 0 ? 1 : 0);

// ---- 2. Library level, on a generated capture -----------------------------------------------------
console.log('\nLibrary level (not `netlab decode`): a GENERATED capture of mixed TCP/UDP/ARP frames');
const cap = await benchCapture(genFrames);
console.log(`capture: ${cap.path} (${cap.frames.toLocaleString('en')} frames, ${(cap.bytes / 1e6).toFixed(1)} MB)\n`);

const rows = await decodeBench(cap.path, cap.bytes, dissectFrames);
const rate = (r: DecodeRow): number => r.frames / r.seconds;
const table = rows.map((r) =>
  r.skipped ? [r.name, 'skipped', r.skipped, '', '', ''] : [r.name, fmt(r.frames), fmt(r.seconds, 2), fmt(rate(r)), fmt(r.bytes / r.seconds / 1e6, 1), r.path],
);
const head = ['decoder', 'frames', 'seconds', 'frames/s', 'MB/s', 'what was timed'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
console.log(head.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));

const byName = (prefix: string): DecodeRow | undefined => rows.find((r) => r.name.startsWith(prefix) && !r.skipped);
const exact = (name: string): DecodeRow | undefined => rows.find((r) => r.name === name && !r.skipped);
const netlab = exact('netlab HeaderIndex');
const netlabText = exact('netlab HeaderIndex + text');
const netlabDecodeRow = exact('netlab decode()');
const netlabFile = exact('netlab read + HeaderIndex');
const pcapNpm = exact('pcap npm 3.1.0 decoders');
const pcapNpmText = exact('pcap npm 3.1.0 decoders + text');
const tshark = byName('tshark');
const tcpdump = byName('tcpdump');
const ratios: string[] = [];
if (netlab && pcapNpm) ratios.push(`header decode (HeaderIndex) vs pcap npm decoders: ${(rate(netlab) / rate(pcapNpm)).toFixed(2)}x (target >= 3x)`);
if (netlabText && pcapNpmText) ratios.push(`header decode + ip.src text vs pcap npm + saddr.toString(): ${(rate(netlabText) / rate(pcapNpmText)).toFixed(2)}x`);
if (netlabDecodeRow && pcapNpm)
  ratios.push(
    `full layer list (decode()) vs pcap npm decoders: ${(rate(netlabDecodeRow) / rate(pcapNpm)).toFixed(2)}x (for reference: every field, span and malformation)`,
  );
if (netlabFile && tshark) ratios.push(`read + header decode vs tshark -e ip.src: ${(rate(netlabFile) / rate(tshark)).toFixed(2)}x (target >= 10x)`);
if (netlabFile && tcpdump) ratios.push(`read + header decode vs tcpdump -nn: ${(rate(netlabFile) / rate(tcpdump)).toFixed(2)}x (for reference)`);

const ck = checksumBench();
const ckLine =
  ck.cGBps !== undefined
    ? `internet checksum, ${ck.bytes}-byte buffers: netlab ${ck.netlabGBps.toFixed(2)} GB/s, C -O2 loop ${ck.cGBps.toFixed(2)} GB/s: C is ${(ck.cGBps / ck.netlabGBps).toFixed(2)}x (target <= 3x)`
    : `internet checksum: netlab ${ck.netlabGBps.toFixed(2)} GB/s; C loop skipped: ${ck.skipped}`;
console.log(`\n${ratios.join('\n')}\n${ckLine}`);

if (values.markdown) {
  console.log('\n| decoder | frames | seconds | frames/s | MB/s | what was timed |\n|---|---:|---:|---:|---:|---|');
  for (const row of table) console.log(`| ${row.join(' | ')} |`);
}
