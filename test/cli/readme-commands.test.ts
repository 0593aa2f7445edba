// Every `npx netlab …` command in README.md, run exactly as written (through a shell, in an empty
// folder that holds the files the commands name: capture.pcapng, topologies/two-lans.json), with
// `netlab dns serve` running for the dig lines. `npx netlab` is the package's bin, bin/netlab.js; each
// command must exit 0 and print what the README says it prints. The two tour commands run until the
// first lab has started and are then stopped with Ctrl-C, which must print the command that resumes.
// `lab run all --check` here is what CI relies on for "every lab passes --check from the command line".

import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'netlab.js');

/** The README's `npx netlab` commands: shell code blocks (continuations joined, comments cut) and inline code. */
function readmeCommands(text: string): string[] {
  const out: string[] = [];
  const blocks = text.split(/^```/m).filter((_, i) => i % 2 === 1);
  for (const block of blocks) {
    if (!/^(sh|bash)\n/.test(block)) continue;
    const joined = block.replace(/^(sh|bash)\n/, '').replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const cmd = line.replace(/\s+#(?=[^"']*$).*$/, '').trim();
      if (cmd.startsWith('npx netlab ')) out.push(cmd);
    }
  }
  // Inline code such as `npx netlab …` (an ellipsis: any command) is prose, not a command.
  for (const m of text.matchAll(/`(npx netlab [^`]+)`/g)) if (!out.includes(m[1]) && !m[1].includes('…')) out.push(m[1]);
  return out;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const COMMANDS = readmeCommands(README);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir = '';
let env: NodeJS.ProcessEnv = {};
const children = new Set<ChildProcess>();

function start(cmd: string): { child: ChildProcess; done: Promise<Ran>; output(): string } {
  const shell = cmd.replace(/^npx netlab /, `exec node ${JSON.stringify(BIN)} `);
  const child = spawn('sh', ['-c', shell], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Ran>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done, output: () => stdout };
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

async function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, address, () => s.close(() => resolve(true)));
  });
}

/** What a command must print beyond exiting 0 (a pattern on stdout). */
function expectation(cmd: string): RegExp {
  if (cmd.includes(' dig ') && cmd.includes('+trace')) return /referral: com -> example\.com/;
  if (cmd.includes(' dig ') && cmd.includes('AAAA')) return /status: NOERROR.*\n.*flags: qr aa/;
  if (cmd.includes(' dig ')) return /example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/;
  if (cmd.includes('--check')) return /^\d+ passed, 0 failed$/m;
  if (cmd.includes(' lab run ')) return /passed, 0 failed/;
  if (cmd.includes(' lab list')) return /checksums/;
  if (cmd.includes(' -T json')) return /"_source"/;
  if (cmd.includes(' -T fields')) return /^\S+\t\S+/m;
  if (cmd.includes(' -V ')) return /Internet Protocol Version 4/;
  if (cmd.includes(' -x ')) return /^0000 {2}/m;
  if (cmd.includes(' decode ')) return /^\s*1 /;
  if (cmd.includes(' craft ')) return /wrote/i;
  if (cmd.includes(' pki show ')) return /Subject Alternative Name/;
  if (cmd.includes(' pki ')) return /\S/;
  if (cmd.includes(' topo check ')) return /^topology two-lans: 3 host\(s\)/m;
  if (cmd.includes(' topo run ')) return /ttl|time=|hops?/i;
  return /\S/;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netlab-readme-'));
  copyFileSync(join(ROOT, 'test', 'captures', 'tls12-handshake-sni-alpn-zeek.pcap'), join(dir, 'capture.pcapng'));
  // `view https.pcap --keylog keys.log`: a TLS capture and a key log in SSLKEYLOGFILE form (its one
  // secret belongs to no session of this capture: the command must still serve, naming none decrypted).
  copyFileSync(join(ROOT, 'test', 'captures', 'tls13-handshake-sni-alpn-zeek.pcap'), join(dir, 'https.pcap'));
  writeFileSync(join(dir, 'keys.log'), `# SSL/TLS secrets log file\nCLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}\n`);
  mkdirSync(join(dir, 'topologies'));
  copyFileSync(join(ROOT, 'topologies', 'two-lans.json'), join(dir, 'topologies', 'two-lans.json'));
  env = { ...process.env, HOME: dir, XDG_STATE_HOME: join(dir, 'state'), NO_COLOR: '1', CI: process.env.CI ?? '' };
  delete env.NETLAB_STATE_DIR;
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('README.md', () => {
  it('names the commands this test runs', () => {
    expect(COMMANDS.length).toBeGreaterThan(20);
    expect(COMMANDS).toContain('npx netlab dns serve');
    expect(COMMANDS.filter((c) => c.startsWith('npx netlab dig '))).toHaveLength(3);
  });
});

describe('every README command, as written', () => {
  const serve = COMMANDS.filter((c) => c.startsWith('npx netlab dns serve'));
  const dig = COMMANDS.filter((c) => c.startsWith('npx netlab dig '));
  const tours = COMMANDS.filter((c) => c.startsWith('npx netlab lab tour'));
  const views = COMMANDS.filter((c) => c.startsWith('npx netlab view '));
  const webs = COMMANDS.filter((c) => c.startsWith('npx netlab lab run ') && c.includes(' --web'));
  const rest = COMMANDS.filter((c) => !serve.includes(c) && !dig.includes(c) && !tours.includes(c) && !views.includes(c) && !webs.includes(c));

  it.each(webs)(
    '%s serves the lab page on 127.0.0.1 while the lab runs',
    async (cmd) => {
      // --no-open added: a test never opens a browser on the desktop it runs on.
      const w = start(`${cmd} --no-open`);
      const up = await until(() => /The lab page: http:\/\/127\.0\.0\.1:\d+\//.test(w.output()), 60_000);
      expect(up, w.output()).toBe(true);
      const url = /The lab page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(w.output())?.[1] ?? '';
      expect((await fetch(`${url}lab.js`)).status).toBe(200);
      const run = (await (await fetch(`${url}api/lab/run`)).json()) as { labs: { name: string }[] };
      expect(run.labs[0]?.name).toBe(/lab run (\S+)/.exec(cmd)?.[1]);
      w.child.kill('SIGINT');
      await w.done;
    },
    90_000,
  );
  // pki show/issue need pki init first; craft writes before decode reads: README order is kept.

  it.each(rest)(
    '%s',
    async (cmd) => {
      const r = await start(cmd).done;
      expect(r.code, `${cmd}\n${r.stderr}${r.stdout.slice(-2000)}`).toBe(0);
      expect(r.stdout).toMatch(expectation(cmd));
      if (cmd.includes(' extcap install'))
        expect(existsSync(join(dir, '.config', 'wireshark', 'extcap')) || existsSync(join(dir, '.local', 'lib', 'wireshark', 'extcap'))).toBe(true);
    },
    300_000,
  );

  describe('netlab dns serve, asked by the dig lines', () => {
    let server: ReturnType<typeof start> | undefined;
    let port = 5300;

    beforeAll(async () => {
      // The README's port; when something else holds it on this machine, a free one (said in the title below).
      const free = (await portFree('127.53.0.53', 5300)) && (await portFree('127.53.0.1', 5300)) && (await portFree('127.53.0.3', 5300));
      server = start(free ? serve[0] : `${serve[0]} -p 0`);
      const up = await until(() => /port (\d+) \(UDP and TCP\)/.test(server?.output() ?? ''), 30_000);
      if (!up) throw new Error(`netlab dns serve did not start: ${server.output()}`);
      port = Number(/port (\d+) \(UDP and TCP\)/.exec(server.output())?.[1]);
    }, 40_000);

    afterAll(async () => {
      if (server === undefined) return;
      server.child.kill('SIGINT');
      const r = await server.done;
      expect(r.stdout).toMatch(/stopped\n$/);
    });

    const realDig = /^dig @127\.53\.0\.53 -p 5300 \S+/m.exec(README)?.[0] ?? 'dig (no such line in README.md)';
    it.skipIf(!requireTool('dig'))(
      `${realDig} (Debian's dig)`,
      async () => {
        const r = await start(port === 5300 ? realDig : realDig.replace('-p 5300', `-p ${port}`)).done;
        expect(r.code, r.stderr + r.stdout).toBe(0);
        expect(r.stdout).toMatch(/status: NOERROR/);
        expect(r.stdout).toMatch(/example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
      },
      30_000,
    );

    it.each(dig)(
      '%s',
      async (cmd) => {
        const r = await start(port === 5300 ? cmd : cmd.replace('-p 5300', `-p ${port}`)).done;
        expect(r.code, r.stderr + r.stdout).toBe(0);
        expect(r.stdout).toMatch(expectation(cmd));
      },
      30_000,
    );
  });

  it.each(views)(
    '%s serves the capture on 127.0.0.1 until Ctrl-C',
    async (cmd) => {
      // --no-open added: a test never opens a browser on the desktop it runs on.
      const v = start(`${cmd} --no-open`);
      const up = await until(() => / on http:\/\/127\.0\.0\.1:\d+\//.test(v.output()), 60_000);
      expect(up, v.output()).toBe(true);
      const url = / on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(v.output())?.[1] ?? '';
      const info = (await (await fetch(new URL('/api/info', url))).json()) as { frames: number };
      expect(info.frames).toBeGreaterThan(0);
      v.child.kill('SIGINT');
      const r = await v.done;
      expect(r.stdout).toMatch(/stopped\n$/);
    },
    90_000,
  );

  it.each(tours)(
    '%s starts the tour and, stopped with Ctrl-C, prints the command that resumes',
    async (cmd) => {
      const t = start(cmd);
      const started = await until(() => /^ Lab \S+: /m.test(t.output()), 60_000);
      expect(started, t.output()).toBe(true);
      t.child.kill('SIGINT');
      const r = await t.done;
      expect(r.stdout + r.stderr).toMatch(/netlab lab (run|tour) \S+/);
    },
    90_000,
  );
});
