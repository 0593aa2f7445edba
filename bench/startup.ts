// `npm run bench:start`: how long a netlab command takes from exec to exit, beside tshark on the same
// one-frame file (issue: every command must start in at most 0.3 s, median of 10 runs). Runs the
// built dist/ through bin/netlab.js, as a user's `netlab` does (build first: `npm run build`).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'netlab.js');
const ONE_FRAME = join(ROOT, 'test', 'captures', 'arp-request-pcapplusplus.pcap');
const RUNS = Number(process.env.RUNS ?? 10);

interface Row {
  label: string;
  cmd: string;
  args: string[];
}

const rows: Row[] = [
  { label: 'node -e 0 (the floor)', cmd: process.execPath, args: ['-e', '0'] },
  { label: 'netlab --help', cmd: process.execPath, args: [BIN, '--help'] },
  { label: 'netlab lab list', cmd: process.execPath, args: [BIN, 'lab', 'list'] },
  { label: 'netlab decode -r ONE_FRAME', cmd: process.execPath, args: [BIN, 'decode', '-r', ONE_FRAME] },
  { label: 'tshark -r ONE_FRAME', cmd: 'tshark', args: ['-r', ONE_FRAME] },
  { label: 'tshark --help', cmd: 'tshark', args: ['--help'] },
];

function once(r: Row): number {
  const t0 = process.hrtime.bigint();
  const out = spawnSync(r.cmd, r.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NETLAB_FROM_SOURCE: '' } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (out.error !== undefined) throw new Error(`${r.label}: ${out.error.message}`);
  if (out.status !== 0) throw new Error(`${r.label}: exit ${out.status}: ${out.stderr.toString().slice(0, 200)}`);
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

process.stdout.write(`start-up, median of ${RUNS} runs (1 warm-up each); ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}\n`);
process.stdout.write(`${'command'.padEnd(30)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}\n`);
let tshark = NaN;
for (const r of rows) {
  once(r);
  const times = Array.from({ length: RUNS }, () => once(r));
  const m = median(times);
  if (r.label === 'tshark -r ONE_FRAME') tshark = m;
  const verdict = r.label.startsWith('netlab') ? (m <= 300 ? '  (target 300 ms: met)' : '  (target 300 ms: MISSED)') : '';
  process.stdout.write(
    `${r.label.padEnd(30)} ${m.toFixed(0).padStart(7)}ms ${Math.min(...times)
      .toFixed(0)
      .padStart(7)}ms ${Math.max(...times)
      .toFixed(0)
      .padStart(7)}ms${verdict}\n`,
  );
}
if (Number.isFinite(tshark)) process.stdout.write(`tshark -r ONE_FRAME: ${tshark.toFixed(0)} ms\n`);
