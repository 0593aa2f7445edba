// `npm run bench [-- --frames N --dissect-frames N --markdown]`: netlab beside its peers, in one run.
// Wire layer (issue 3): header decode vs the `pcap` npm decoders, tshark and tcpdump on a generated
// capture of N mixed TCP/UDP/ARP frames (default 1,000,000), and the internet checksum vs a C loop.
// Prints a table, the ratios against the targets, and with --markdown the rows for BENCHMARKS.md.

import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { checksumBench } from './checksum-bench.ts';
import { decodeBench, type DecodeRow } from './decode-bench.ts';
import { benchCapture } from './gen-capture.ts';
import { commandVersion, hasCommand } from './peers.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    'dissect-frames': { type: 'string', default: '20000' },
    markdown: { type: 'boolean', default: false },
  },
});
const frames = Number(values.frames);
const dissectFrames = Number(values['dissect-frames']);
if (!Number.isInteger(frames) || frames < 1000) throw new Error(`--frames must be a whole number >= 1000, got ${values.frames}`);
if (!Number.isInteger(dissectFrames) || dissectFrames < 1) throw new Error(`--dissect-frames must be a whole number >= 1, got ${values['dissect-frames']}`);

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`machine: ${machine}`);
for (const [cmd, args] of [['tshark', ['--version']], ['tcpdump', ['--version']], ['gcc', ['--version']]] as const) {
  console.log(`${cmd}: ${hasCommand(cmd) ? commandVersion(cmd, [...args]) : 'not installed'}`);
}

const cap = await benchCapture(frames);
console.log(`capture: ${cap.path} (${cap.frames.toLocaleString('en')} frames, ${(cap.bytes / 1e6).toFixed(1)} MB)\n`);

const rows = await decodeBench(cap.path, cap.bytes, dissectFrames);
const rate = (r: DecodeRow): number => r.frames / r.seconds;
const fmt = (n: number, d = 0): string => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const table = rows.map((r) =>
  r.skipped
    ? [r.name, 'skipped', r.skipped, '', '', '']
    : [r.name, fmt(r.frames), fmt(r.seconds, 2), fmt(rate(r)), fmt(r.bytes / r.seconds / 1e6, 1), r.path],
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
if (netlabDecodeRow && pcapNpm) ratios.push(`full layer list (decode()) vs pcap npm decoders: ${(rate(netlabDecodeRow) / rate(pcapNpm)).toFixed(2)}x (for reference: every field, span and malformation)`);
if (netlabFile && tshark) ratios.push(`read + header decode vs tshark -e ip.src: ${(rate(netlabFile) / rate(tshark)).toFixed(2)}x (target >= 10x)`);
if (netlabFile && tcpdump) ratios.push(`read + header decode vs tcpdump -nn: ${(rate(netlabFile) / rate(tcpdump)).toFixed(2)}x (for reference)`);

const ck = checksumBench();
const ckLine = ck.cGBps !== undefined
  ? `internet checksum, ${ck.bytes}-byte buffers: netlab ${ck.netlabGBps.toFixed(2)} GB/s, C -O2 loop ${ck.cGBps.toFixed(2)} GB/s: C is ${(ck.cGBps / ck.netlabGBps).toFixed(2)}x (target <= 3x)`
  : `internet checksum: netlab ${ck.netlabGBps.toFixed(2)} GB/s; C loop skipped: ${ck.skipped}`;
console.log(`\n${ratios.join('\n')}\n${ckLine}`);

if (values.markdown) {
  console.log('\n| decoder | frames | seconds | frames/s | MB/s | what was timed |\n|---|---:|---:|---:|---:|---|');
  for (const row of table) console.log(`| ${row.join(' | ')} |`);
}
