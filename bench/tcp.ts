// `npm run bench:tcp [-- --mb N --conns N --seconds N --markdown]`: netlab's userspace TCP in numbers.
//
// 1. Bulk throughput across a netlab switch, beside the Linux kernel's TCP over the same VXLAN segment
//    in the same run (needs root: it makes three network namespaces and deletes them after). Two
//    kernel namespaces, each with a vxlan device (VNI 42: 10.42.0.1, VNI 43: 10.42.0.2), reach a netlab
//    process in a third (bench/tcp-netlab-side.ts: one VTEP, a learning switch, host h1 10.42.0.11).
//    Every frame of every row crosses that switch once. Rows: kernel to kernel (both TCPs the
//    kernel's: what this segment carries at most), netlab h1 to a kernel sink, a kernel sender to a
//    netlab h1 sink. Node's net module is the kernel's end (bench/tcp-kernel-end.ts); the rate is
//    the sink's, from its first byte to the end of the stream.
// 2. In one process, no root: two netlab hosts across a netlab switch on in-memory links (the TCP
//    alone, no kernel), and across a netlab router: TCP segments the router forwards per second.
// 3. Memory per idle connection: N connections (default 10,000) between two netlab hosts, each end
//    ESTABLISHED and idle; the heap after a full GC, less the heap before, divided by N.
//
// Each figure is given in wall-clock time and per CPU second of the netlab process (for the kernel rows,
// the child's utime + stime from /proc): on a shared machine the wall clock includes the time the
// process waited for a core, the CPU time does not.
//
// Bounded: each transfer is --mb MB (default 20) and at most --seconds (default 60) of wall time; the
// idle connections open in batches of 500 within the same bound.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/base/random.ts';
import { Host } from '../src/netsim/host.ts';
import { memoryLink } from '../src/netsim/port.ts';
import { Router } from '../src/netsim/router.ts';
import { Switch } from '../src/netsim/switch.ts';
import type { VirtualTcpSocket } from '../src/netsim/tcp/index.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '20' },
    conns: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    markdown: { type: 'boolean', default: false },
    'no-kernel': { type: 'boolean', default: false },
  },
});
const MB = Number(values.mb);
const CONNS = Number(values.conns);
const SECONDS = Number(values.seconds);
if (!(MB >= 1 && MB <= 200)) throw new Error(`--mb must be 1..200, got ${values.mb}`);
if (!(Number.isInteger(CONNS) && CONNS >= 100 && CONNS <= 25_000)) throw new Error(`--conns must be an integer 100..25000, got ${values.conns}`);
if (!(SECONDS >= 5 && SECONDS <= 300)) throw new Error(`--seconds must be 5..300, got ${values.seconds}`);
const BYTES = MB * 1_000_000;
const ROOT = join(import.meta.dirname, '..');
const CHUNK = 64 * 1024;

interface Row {
  what: string;
  /** The figure in wall-clock time. */
  value: string;
  /** The same per CPU second of the netlab process (the machine is shared: wall time includes waiting for a core). */
  perCpu: string;
  note: string;
}
const rows: Row[] = [];
const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
const perCpuMb = (bytes: number, cpuS: number): string => `${(bytes / 1e6 / cpuS).toFixed(1)} MB`;

// ---------------------------------------------------------------------------------------------------
// In one process: netlab TCP across a switch and across a router.

/** Sends BYTES from a to b's listener on port 5001; resolves with the sink's {bytes, ms}. */
function bulk(a: Host, b: Host, bAddr: string): Promise<{ bytes: number; ms: number; retransmits: number; duplicates: number }> {
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`bulk transfer not done in ${SECONDS} s`)), SECONDS * 1000);
    const server = b.tcp.listen(5001, (s) => {
      let bytes = 0;
      let first = 0;
      s.on('data', (d) => {
        if (bytes === 0) first = performance.now();
        bytes += d.length;
      });
      s.on('end', () => {
        s.end();
        clearTimeout(limit);
        server.close();
        resolve({ bytes, ms: performance.now() - first, retransmits: c.info().counters.retransmits, duplicates: s.info().counters.duplicateSegments });
      });
    });
    const chunk = Buffer.alloc(CHUNK, 0x61);
    const c = a.tcp.connect({ host: bAddr, port: 5001 });
    let sent = 0;
    const pump = (): void => {
      while (sent < BYTES) {
        const n = Math.min(CHUNK, BYTES - sent);
        sent += n;
        if (!c.write(n === CHUNK ? chunk : chunk.subarray(0, n))) return;
      }
      c.end();
    };
    c.on('connect', pump);
    c.on('drain', pump);
    c.on('error', (e) => reject(e));
  });
}

/** Linux's RTO floor; TIME-WAIT 200 ms so that the run does not wait a minute for it at the end. */
const TCP = { rto: { minMs: 200 }, mslMs: 100 };

function switchDrops(sw: Switch): number {
  return sw.portNames.reduce((n, p) => n + Object.values(sw.counters(p).drops).reduce((x, y) => x + y, 0), 0);
}

/** CPU seconds a process has used so far (utime + stime from /proc, 100 ticks a second). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function acrossSwitch(): Promise<void> {
  const sw = new Switch({ name: 'sw1' });
  const [h1p, s1] = memoryLink('h1-eth0', 'sw1-p1');
  const [h2p, s2] = memoryLink('h2-eth0', 'sw1-p2');
  sw.addPort(s1);
  sw.addPort(s2);
  const h1 = new Host({ name: 'h1', random: seededRandom('bench-h1'), tcp: TCP });
  const h2 = new Host({ name: 'h2', random: seededRandom('bench-h2'), tcp: TCP });
  h1.addInterface({ name: 'eth0', port: h1p, mac: '02:00:00:00:00:01', address: '10.0.0.1/24' });
  h2.addInterface({ name: 'eth0', port: h2p, mac: '02:00:00:00:00:02', address: '10.0.0.2/24' });
  const cpu0 = process.cpuUsage();
  const r = await bulk(h1, h2, '10.0.0.2');
  const cpu = process.cpuUsage(cpu0);
  rows.push({
    what: 'netlab h1 -> netlab h2, across a netlab switch, one process (memory links)',
    value: mbps(r.bytes, r.ms),
    perCpu: perCpuMb(r.bytes, (cpu.user + cpu.system) / 1e6),
    note:
      `${MB} MB in ${(r.ms / 1000).toFixed(2)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s of CPU (both TCPs and the switch); ` +
      `${r.retransmits} retransmits, ${r.duplicates} arriving as duplicates (spurious), ${switchDrops(sw)} frames dropped by the switch`,
  });
  await Promise.all([h1.close(), h2.close(), sw.close()]);
}

async function acrossRouter(): Promise<void> {
  const r1 = new Router({ name: 'r1', random: seededRandom('bench-r1') });
  const [h1p, r1a] = memoryLink('h1-eth0', 'r1-eth0');
  const [h2p, r1b] = memoryLink('h2-eth0', 'r1-eth1');
  r1.addInterface({ name: 'eth0', port: r1a, mac: '02:00:00:00:01:fe', address: '10.0.1.254/24' });
  r1.addInterface({ name: 'eth1', port: r1b, mac: '02:00:00:00:02:fe', address: '10.0.2.254/24' });
  const h1 = new Host({ name: 'h1', random: seededRandom('bench-h1'), tcp: TCP });
  const h2 = new Host({ name: 'h2', random: seededRandom('bench-h2'), tcp: TCP });
  h1.addInterface({ name: 'eth0', port: h1p, mac: '02:00:00:00:01:01', address: '10.0.1.1/24' });
  h2.addInterface({ name: 'eth0', port: h2p, mac: '02:00:00:00:02:02', address: '10.0.2.2/24' });
  h1.setGateway('10.0.1.254');
  h2.setGateway('10.0.2.254');
  const before = r1.stats.ipForwarded;
  const cpu0 = process.cpuUsage();
  const r = await bulk(h1, h2, '10.0.2.2');
  const cpu = process.cpuUsage(cpu0);
  const segs = r1.stats.ipForwarded - before;
  rows.push({
    what: 'TCP segments forwarded by a netlab router (data and ACKs, one process)',
    value: `${Math.round(segs / (r.ms / 1000)).toLocaleString('en-US')} segments/s`,
    perCpu: `${Math.round(segs / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en-US')} segments`,
    note: `${segs.toLocaleString('en-US')} segments in ${(r.ms / 1000).toFixed(2)} s (${mbps(r.bytes, r.ms)} of data), ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s of CPU (both TCPs and the router); ${r.retransmits} retransmits`,
  });
  await Promise.all([h1.close(), h2.close(), r1.close()]);
}

// ---------------------------------------------------------------------------------------------------
// Memory per idle connection.

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc (npm run bench:tcp does)');
  g();
  g();
}

async function idleMemory(): Promise<void> {
  const settings = { maxConnections: CONNS + 10, maxHalfOpen: CONNS + 10, backlog: 65535 };
  const [ap, bp] = memoryLink('a-eth0', 'b-eth0');
  const a = new Host({ name: 'a', random: seededRandom('idle-a'), tcp: settings });
  const b = new Host({ name: 'b', random: seededRandom('idle-b'), tcp: settings });
  a.addInterface({ name: 'eth0', port: ap, mac: '02:00:00:00:0a:01', address: '10.9.0.1/16' });
  b.addInterface({ name: 'eth0', port: bp, mac: '02:00:00:00:0a:02', address: '10.9.0.2/16' });
  const accepted: VirtualTcpSocket[] = [];
  const server = b.tcp.listen(5001, (s) => accepted.push(s));
  // ARP and one warm-up connection before the first measurement.
  const warm = a.tcp.connect({ host: '10.9.0.2', port: 5001 });
  await new Promise<void>((r) => warm.once('connect', () => r()));
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const clients: VirtualTcpSocket[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  for (let i = 0; i < CONNS; i += 500) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(CONNS, i + 500); j++) {
      const c = a.tcp.connect({ host: '10.9.0.2', port: 5001 });
      clients.push(c);
      batch.push(new Promise((r) => c.once('connect', () => r())));
    }
    await Promise.all(batch);
    if (performance.now() > deadline) throw new Error(`${clients.length} idle connections took more than ${SECONDS} s`);
  }
  while (accepted.length < CONNS + 1) await new Promise((r) => setImmediate(r));
  const openMs = performance.now() - t0;
  // Let delayed ACKs and any timers settle, then measure.
  await new Promise((r) => setTimeout(r, 500));
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const established = clients.filter((c) => c.state === 'ESTABLISHED').length + accepted.filter((s) => s.state === 'ESTABLISHED').length;
  const per = (heap1 - heap0) / CONNS;
  rows.push({
    what: `heap per idle netlab TCP connection (${CONNS.toLocaleString('en-US')} connections, both ends)`,
    value: `${(per / 1024).toFixed(1)} KB`,
    perCpu: '',
    note: `${(per / 2048).toFixed(1)} KB per end; heap +${((heap1 - heap0) / 1e6).toFixed(1)} MB; ${established - 1} ends ESTABLISHED of ${2 * CONNS}; opened in ${(openMs / 1000).toFixed(1)} s`,
  });
  for (const c of clients) c.destroy();
  warm.destroy();
  server.close();
  await Promise.all([a.close(), b.close()]);
}

// ---------------------------------------------------------------------------------------------------
// The kernel beside netlab on one VXLAN segment (root).

const PREFIX = 'netlab-bt';
const NS = { k1: `${PREFIX}-k1-${process.pid}`, k2: `${PREFIX}-k2-${process.pid}`, n: `${PREFIX}-n-${process.pid}` };
const K1 = '10.42.0.1';
const K2 = '10.42.0.2';
const H1 = '10.42.0.11';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function kernelSkipReason(): string | undefined {
  if (values['no-kernel']) return 'asked with --no-kernel';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  for (const t of ['ip', 'ethtool']) if (!has(t)) return `${t} is not installed`;
  return undefined;
}

function deleteNamespaces(): void {
  for (const ns of Object.values(NS)) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there
    }
  }
}

function makeNamespaces(): void {
  for (const ns of Object.values(NS)) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  const legs: [string, string, string, string, number, string][] = [
    [NS.k1, 'vk1', 'vn1', '10.99.1', 42, K1],
    [NS.k2, 'vk2', 'vn2', '10.99.2', 43, K2],
  ];
  for (const [ns, kdev, ndev, net, vni, addr] of legs) {
    ip('link', 'add', kdev, 'netns', ns, 'type', 'veth', 'peer', 'name', ndev, 'netns', NS.n);
    for (const [n, dev, host] of [
      [ns, kdev, `${net}.1`],
      [NS.n, ndev, `${net}.2`],
    ]) {
      // Room for a 1500-byte inner frame and 50 bytes of VXLAN: no fragments.
      ip('-n', n, 'link', 'set', dev, 'mtu', '1600');
      ip('-n', n, 'addr', 'add', `${host}/24`, 'dev', dev);
      ip('-n', n, 'link', 'set', dev, 'up');
    }
    ip('-n', ns, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', String(vni), 'local', `${net}.1`, 'remote', `${net}.2`, 'dstport', '4789', 'dev', kdev);
    ip('-n', ns, 'link', 'set', 'vx0', 'mtu', '1500');
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'vx0');
    ip('-n', ns, 'link', 'set', 'vx0', 'up');
    // Checksums in software: offloaded ones would cross the veth unfilled, and netlab drops those.
    for (const dev of ['vx0', kdev]) execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off'], { stdio: 'ignore' });
  }
}

/** A process in a namespace speaking JSON lines. */
interface Peer {
  readonly child: ChildProcessWithoutNullStreams;
  next(what: string): Promise<Record<string, unknown>>;
  send(line: string): void;
}

function peer(ns: string, script: string, args: string[]): Peer {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(`[${script}] ${d.toString()}`));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    send: (line) => void child.stdin.write(`${line}\n`),
    async next(what) {
      const limit = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${script}: no answer for ${what} in ${SECONDS} s`)), SECONDS * 1000).unref(),
      );
      const n = await Promise.race([lines.next(), limit]);
      if (n.done === true) throw new Error(`${script} ended before ${what}`);
      const o = JSON.parse(n.value) as Record<string, unknown>;
      if (o.error !== undefined || o.fatal !== undefined) throw new Error(`${script}: ${String(o.error ?? o.fatal)} (${what})`);
      return o;
    },
  };
}

async function stop(p: Peer | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null) return;
  p.child.stdin.end();
  await Promise.race([new Promise((r) => p.child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

async function kernelBeside(): Promise<void> {
  deleteNamespaces();
  makeNamespaces();
  let netlab: Peer | undefined;
  let sink1: Peer | undefined;
  try {
    netlab = peer(NS.n, 'tcp-netlab-side.ts', ['10.99.1.1', '10.99.2.1']);
    await netlab.next('start');
    sink1 = peer(NS.k1, 'tcp-kernel-end.ts', ['sink', K1, '5001']);
    await sink1.next('sink start');
    netlab.send('sink 5002');
    await netlab.next('netlab sink');
    // ARP across the switch before timing (one ping each way from the kernels).
    for (const [ns, to] of [
      [NS.k2, K1],
      [NS.k1, H1],
      [NS.k2, H1],
    ])
      execFileSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', to], { stdio: 'ignore' });

    const kernelSend = async (to: string, port: number): Promise<Record<string, unknown>> => {
      const s = peer(NS.k2, 'tcp-kernel-end.ts', ['send', to, String(port), String(BYTES)]);
      const r = await s.next('kernel send');
      await stop(s);
      return r;
    };
    const pid = netlab.child.pid;
    const cpu = (c0: number): string => `${(cpuSeconds(pid) - c0).toFixed(2)} s of CPU in the netlab process`;
    const per = (bytes: unknown, c0: number): string => perCpuMb(Number(bytes), cpuSeconds(pid) - c0);
    let c0 = cpuSeconds(pid);
    await kernelSend(K1, 5001);
    const kk = await sink1.next('kernel to kernel');
    rows.push({
      what: 'kernel (10.42.0.2) -> kernel (10.42.0.1), both over VXLAN through the netlab switch',
      value: mbps(Number(kk.bytes), Number(kk.ms)),
      perCpu: per(kk.bytes, c0),
      note: `${MB} MB in ${(Number(kk.ms) / 1000).toFixed(2)} s, ${cpu(c0)} (the switch alone): the most this segment carries`,
    });
    c0 = cpuSeconds(pid);
    netlab.send(`send ${K1} 5001 ${BYTES}`);
    const nk = await sink1.next('netlab to kernel');
    const nkSend = await netlab.next('netlab send done');
    rows.push({
      what: 'netlab h1 -> kernel (10.42.0.1), same switch',
      value: mbps(Number(nk.bytes), Number(nk.ms)),
      perCpu: per(nk.bytes, c0),
      note: `${MB} MB in ${(Number(nk.ms) / 1000).toFixed(2)} s, ${cpu(c0)} (switch and h1's TCP), ${String(nkSend.retransmits)} retransmits`,
    });
    c0 = cpuSeconds(pid);
    await kernelSend(H1, 5002);
    const kn = await netlab.next('kernel to netlab');
    rows.push({
      what: 'kernel (10.42.0.2) -> netlab h1, same switch',
      value: mbps(Number(kn.bytes), Number(kn.ms)),
      perCpu: per(kn.bytes, c0),
      note: `${MB} MB in ${(Number(kn.ms) / 1000).toFixed(2)} s, ${cpu(c0)} (switch and h1's TCP)`,
    });
    netlab.send('stats');
    const st = (await netlab.next('stats')) as { ports: { port: string; drops: Record<string, number> }[] };
    const drops = st.ports.reduce((n, p) => n + Object.values(p.drops).reduce((x, y) => x + y, 0), 0);
    rows.push({
      what: 'frames the netlab switch dropped in those three transfers',
      value: String(drops),
      perCpu: '',
      note: 'queue-full and other drop reasons, all ports',
    });
  } finally {
    await stop(sink1);
    await stop(netlab);
    deleteNamespaces();
  }
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const load0 = loadavg()[0] ?? 0;
  const skip = kernelSkipReason();
  if (skip === undefined) await kernelBeside();
  else rows.push({ what: 'kernel beside netlab on one VXLAN segment', value: 'skipped', perCpu: '', note: skip });
  await acrossSwitch();
  await acrossRouter();
  await idleMemory();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load0.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
  if (values.markdown) {
    console.log(`Machine: ${machine}. Command: npm run bench:tcp -- --mb ${MB} --conns ${CONNS}\n`);
    console.log('| what | figure (wall clock) | per CPU second of netlab | note |\n|---|---:|---:|---|');
    for (const r of rows) console.log(`| ${r.what} | ${r.value} | ${r.perCpu} | ${r.note} |`);
  } else {
    console.log(`machine: ${machine}`);
    for (const r of rows) console.log(`${r.what}\n  ${r.value}${r.perCpu === '' ? '' : `, ${r.perCpu} per CPU second`}  (${r.note})`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
