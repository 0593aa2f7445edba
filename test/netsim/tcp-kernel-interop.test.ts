// netlab's TCP against the Linux kernel's, over VXLAN in namespaces the test makes (as
// kernel-interop.test.ts does): a Linux vxlan device (VNI 42) in one namespace with 10.42.0.1, a
// netlab process (tcp-kernel-peer-child.ts: VTEP, switch, host h1 10.42.0.11) in the other. It shows:
// curl in the kernel's namespace fetching from netlab's HTTP server, netlab's client fetching from
// `python3 -m http.server` there, both byte-identical (sha256), first on a clean link, then with
// netlab's seeded loss, duplication and reordering on every frame both ways; and tshark's TCP analysis
// of the VXLAN capture flags nothing but what those impairments explain. The namespaces are deleted
// afterwards, pass or fail.

import { execFileSync, spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/base/random.ts';
import { requireRoot, requireTool } from '../helpers/tools.ts';

const PREFIX = 'netlab-tk';
const NS_KERNEL = `${PREFIX}-k${process.pid}`;
const NS_NETLAB = `${PREFIX}-n${process.pid}`;
const KERNEL_UNDERLAY = '10.99.1.1';
const NETLAB_UNDERLAY = '10.99.1.2';
const KERNEL_IP = '10.42.0.1';
const NETLAB_IP = '10.42.0.11';
const ROOT = join(import.meta.dirname, '..', '..');
const MB = 1 << 20;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inKernel = (cmd: string, args: string[], timeout = 60_000): string =>
  execFileSync('ip', ['netns', 'exec', NS_KERNEL, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, maxBuffer: 1 << 20 });

function deleteNamespaces(all: boolean): void {
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name === '' || !name.startsWith(PREFIX)) continue;
    if (!all && name !== NS_KERNEL && name !== NS_NETLAB) continue;
    try {
      ip('netns', 'del', name);
    } catch {
      // gone already
    }
  }
}

/** tshark's TCP analysis messages on a capture (window updates left out: they are no error). */
function tcpAnalysis(file: string): string[] {
  const out = execFileSync('tshark', ['-r', file, '-Y', 'tcp.analysis.flags && !tcp.analysis.window_update', '-T', 'fields', '-e', '_ws.expert.message'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return out.split('\n').filter((l) => l !== '');
}

/**
 * The flagged frames with the four before each, one line a frame (inner addresses, flags, seq, ack,
 * length, window, TSval, what tshark says): what a failure prints, so that a rare flag (a Duplicate
 * ACK under load) can be told apart, needless or answering something, from the report alone.
 */
function flaggedContext(file: string): string {
  const run = (filter: string, fields: string[]): string =>
    execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'occurrence=l', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
  const flagged = run('tcp.analysis.flags && !tcp.analysis.window_update', ['frame.number'])
    .split('\n')
    .filter((l) => l !== '')
    .map(Number)
    .slice(0, 5);
  const fields = [
    'frame.number',
    'ip.src',
    'tcp.flags.str',
    'tcp.seq',
    'tcp.ack',
    'tcp.len',
    'tcp.window_size_value',
    'tcp.options.timestamp.tsval',
    '_ws.expert.message',
  ];
  return flagged.map((n) => run(`frame.number >= ${Math.max(1, n - 4)} && frame.number <= ${n}`, fields).trimEnd()).join('\n--\n');
}

function malformed(file: string): number {
  return execFileSync(
    'tshark',
    ['-r', file, '-Y', '_ws.malformed || tcp.checksum.status == 0', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.number'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((l) => l !== '').length;
}

// What loss (netlab drops frames before they reach the captured veth), duplication and reordering
// explain in tshark's words, and its notes about the close.
const EXPLAINED = /retransmission|Duplicate ACK|out-of-order|Previous segment|ACKed segment that wasn't captured|D-SACK|connection clos|Connection finish/i;
// What a clean link explains: reordering none, but the notes about the close, and missing segments
// only when tcpdump itself dropped packets (it says so when it stops).
const CLEAN = /connection clos|Connection finish/i;
const MISSED = /Previous segment|ACKed segment that wasn't captured/i;

/** tcpdump in the kernel's namespace with a large buffer; stop() gives how many packets it dropped. */
async function startCapture(netns: string, iface: string, file: string): Promise<{ stop(): Promise<number> }> {
  const dump = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-i', iface, '-B', '32768', '-n', '-w', file, 'udp port 4789'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  dump.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => dump.once('exit', () => resolve()));
  for (let i = 0; i < 200 && !err.includes('listening on'); i++) {
    if (dump.exitCode !== null) throw new Error(`tcpdump exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!err.includes('listening on')) throw new Error(`tcpdump did not start: ${err}`);
  return {
    async stop() {
      dump.kill('SIGINT');
      await exited;
      const m = /(\d+) packets? dropped by kernel/.exec(err);
      return m === null ? 0 : Number(m[1]);
    },
  };
}

const canRun =
  requireRoot('the TCP kernel interop test (network namespaces)') &&
  requireTool('ip') &&
  requireTool('curl') &&
  requireTool('python3') &&
  requireTool('tcpdump') &&
  requireTool('tshark') &&
  requireTool('ethtool');

describe.skipIf(!canRun)("netlab TCP and the Linux kernel's TCP (vxlan in a namespace)", () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let pyServer: ChildProcess | undefined;
  let answers: AsyncIterator<string> | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-tcp-kernel-'));
  const files = new Map<string, string>();

  async function ask(line: string): Promise<Record<string, unknown>> {
    child?.stdin.write(`${line}\n`);
    const next = await answers?.next();
    if (next === undefined || next.done === true) throw new Error(`the netlab side ended before answering ${line}`);
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  /** A file of `size` seeded bytes in the directory python serves; returns its sha256. */
  function kernelFile(name: string, size: number): string {
    const body = seededRandom(name).bytes(size);
    writeFileSync(join(dir, name), body);
    const sha = createHash('sha256').update(body).digest('hex');
    files.set(name, sha);
    return sha;
  }

  beforeAll(async () => {
    deleteNamespaces(true);
    ip('netns', 'add', NS_KERNEL);
    ip('netns', 'add', NS_NETLAB);
    ip('link', 'add', 'vk', 'netns', NS_KERNEL, 'type', 'veth', 'peer', 'name', 'vn', 'netns', NS_NETLAB);
    for (const [ns, dev, addr] of [
      [NS_KERNEL, 'vk', KERNEL_UNDERLAY],
      [NS_NETLAB, 'vn', NETLAB_UNDERLAY],
    ]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // Room for a 1500-byte inner frame plus the 50 bytes of VXLAN encapsulation: no fragments.
      ip('-n', ns, 'link', 'set', dev, 'mtu', '1600');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    ip('-n', NS_KERNEL, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'local', KERNEL_UNDERLAY, 'remote', NETLAB_UNDERLAY, 'dstport', '4789', 'dev', 'vk');
    ip('-n', NS_KERNEL, 'link', 'set', 'vx0', 'mtu', '1500');
    ip('-n', NS_KERNEL, 'addr', 'add', `${KERNEL_IP}/24`, 'dev', 'vx0');
    ip('-n', NS_KERNEL, 'link', 'set', 'vx0', 'up');
    // The kernel leaves the inner TCP checksum to offload (CHECKSUM_PARTIAL) when it can; on a veth
    // the bytes then carry no valid checksum, which netlab (rightly) refuses. Checksums in software.
    for (const dev of ['vx0', 'vk']) inKernel('ethtool', ['-K', dev, 'tx', 'off']);
    kernelFile('small', 2 * MB);
    kernelFile('big', 10 * MB);
    pyServer = spawn('ip', ['netns', 'exec', NS_KERNEL, 'python3', '-m', 'http.server', '8000', '--bind', KERNEL_IP, '--directory', dir], { stdio: 'ignore' });
    child = spawn(
      'ip',
      ['netns', 'exec', NS_NETLAB, process.execPath, '--import', 'tsx', join(ROOT, 'test/netsim/tcp-kernel-peer-child.ts'), NETLAB_UNDERLAY, KERNEL_UNDERLAY],
      { cwd: ROOT },
    );
    child.stderr.on('data', (d: Buffer) => process.stderr.write(`[netlab side] ${d.toString()}`));
    answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await answers.next();
    const ready = JSON.parse(first.value ?? '{}') as { ready?: boolean };
    if (ready.ready !== true) throw new Error(`the netlab side did not start: ${first.value}`);
    // python's server is up once it answers in its own namespace.
    for (let i = 0; i < 50; i++) {
      try {
        inKernel('curl', ['-sf', '-o', '/dev/null', `http://${KERNEL_IP}:8000/`], 2000);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 60_000);

  afterAll(async () => {
    try {
      pyServer?.kill('SIGTERM');
      if (child !== undefined && child.exitCode === null) {
        child.stdin.write('quit\n');
        await Promise.race([new Promise((r) => child?.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
        child.kill('SIGKILL');
      }
    } finally {
      deleteNamespaces(false);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(ip('netns', 'list')).not.toContain(NS_KERNEL);
  }, 30_000);

  /** curl in the kernel's namespace from netlab's server; the capture's path. */
  async function curlFromNetlab(
    size: number,
    seed: string,
    name: string,
  ): Promise<{ sha: string; expected: string; capture: string; out: string; dropped: number }> {
    const served = (await ask(`serve ${size} ${seed}`)) as { sha256: string };
    const capture = join(dir, `${name}.pcap`);
    const dump = await startCapture(NS_KERNEL, 'vk', capture);
    let dropped = 0;
    const bodyFile = join(dir, `${name}.body`);
    let out = '';
    try {
      out = inKernel(
        'curl',
        ['-sS', '--max-time', '120', '-o', bodyFile, '-w', '%{http_code} %{size_download} bytes in %{time_total} s', `http://${NETLAB_IP}/file`],
        130_000,
      );
    } finally {
      await new Promise((r) => setTimeout(r, 300));
      dropped = await dump.stop();
    }
    const sha = execFileSync('sha256sum', [bodyFile], { encoding: 'utf8' }).split(' ')[0];
    return { sha, expected: served.sha256, capture, out, dropped };
  }

  it('curl (the kernel) fetches 2 MB from a netlab HTTP server; tshark flags nothing', async () => {
    const r = await curlFromNetlab(2 * MB, 'clean', 'curl-clean');
    console.log(`kernel$ curl http://${NETLAB_IP}/file -> ${r.out}`);
    expect(r.out).toMatch(/^200 2097152 bytes/);
    expect(r.sha).toBe(r.expected);
    expect(malformed(r.capture)).toBe(0);
    const kinds = [...new Set(tcpAnalysis(r.capture).flatMap((f) => f.split(',')))];
    console.log(`tshark TCP analysis (clean; tcpdump dropped ${r.dropped}):`, kinds);
    const allowed = r.dropped > 0 ? new RegExp(`${CLEAN.source}|${MISSED.source}`, 'i') : CLEAN;
    if (!kinds.every((k) => allowed.test(k))) console.log(`flagged frames and the four before each:\n${flaggedContext(r.capture)}`);
    for (const k of kinds) expect(k).toMatch(allowed);
  }, 150_000);

  it("netlab's client fetches 2 MB from python3 -m http.server in the kernel's namespace", async () => {
    const r = (await ask(`fetch ${KERNEL_IP} 8000 /small`)) as { status: string; length: number; sha256: string; ms: number; error?: string };
    expect(r.error).toBeUndefined();
    console.log(`netlab h1$ GET http://${KERNEL_IP}:8000/small -> ${r.status}, ${r.length} bytes in ${Math.round(r.ms)} ms`);
    expect(r.status).toMatch(/^HTTP\/1\.[01] 200/);
    expect(r.length).toBe(2 * MB);
    expect(r.sha256).toBe(files.get('small'));
  }, 150_000);

  it('10 MB each way with loss, duplication and reordering on the link: byte-identical, only explained flags', async () => {
    await ask('impair on');
    try {
      const r = await curlFromNetlab(10 * MB, 'impaired', 'curl-impaired');
      console.log(`kernel$ curl http://${NETLAB_IP}/file (impaired) -> ${r.out}`);
      expect(r.sha).toBe(r.expected);
      expect(malformed(r.capture)).toBe(0);
      const flags = tcpAnalysis(r.capture);
      const kinds = [...new Set(flags.flatMap((f) => f.split(',').map((k) => k.replace(/\(#\d+\)/, '(#n)'))))];
      console.log(`tshark TCP analysis (impaired): ${flags.length} flagged:`, kinds);
      expect(flags.length).toBeGreaterThan(0);
      for (const k of kinds) expect(k).toMatch(EXPLAINED);
      const f = (await ask(`fetch ${KERNEL_IP} 8000 /big`)) as { status: string; length: number; sha256: string; ms: number; counters: Record<string, number> };
      console.log(`netlab h1$ GET http://${KERNEL_IP}:8000/big (impaired) -> ${f.status}, ${f.length} bytes in ${Math.round(f.ms)} ms`, f.counters);
      expect(f.sha256).toBe(files.get('big'));
      expect(f.counters.duplicateSegments + f.counters.outOfOrderSegments).toBeGreaterThan(0);
    } finally {
      await ask('impair off');
    }
  }, 300_000);
});
