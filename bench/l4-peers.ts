// What the L4 benchmarks share (bench/l4.ts, bench/l4-cpu.ts): the peers started in front of an
// upstream (HAProxy `mode tcp` with nbthread 1, nginx `stream` with one process, bench/l4-child.ts for
// netlab's TcpBalancer and the plain Node socket pipe), an nginx HTTP upstream answering "ok", wrk with
// `Connection: close`, and the bookkeeping that stops every process started (also on error).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hasCommand } from './peers.ts';

export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const CHILD = join(import.meta.dirname, 'l4-child.ts');

/** A peer started in front of an upstream: its port, and its process when it has one of its own. */
export interface Started {
  readonly port: number;
  readonly child?: ChildProcess;
}
/** Starts a peer listening on `listenHost` that forwards to upHost:upPort. */
export type Starter = (listenHost: string, upHost: string, upPort: number) => Promise<Started>;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free port on `host` (bound and released; the peer binds it right after). */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** True when /proc/net/tcp shows a socket listening on host:port. */
export function listening(host: string, port: number): boolean {
  // /proc/net/tcp writes the IPv4 address as the hex of its 32-bit value in host (little-endian) order.
  const addr = host
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const want = `${addr}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === want && f[3] === '0A';
    });
}

/**
 * Resolves once host:port is listening (within `ms`). Read from /proc/net/tcp, not with a connect:
 * a proxy would pass a probe connection on to the upstream, and a one-test iperf3 server would take it
 * for its test.
 */
export async function waitListeningOn(host: string, port: number, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (listening(host, port)) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${host}:${port} within ${ms} ms`);
    await sleep(50);
  }
}

/** Runs a command; resolves with its stdout (rejects when it failed and printed nothing). */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null && stdout.trim() === '') reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}

export function nginxStreamProblem(): string | undefined {
  if (!hasCommand('nginx')) return 'nginx is not installed';
  if (!existsSync(NGINX_STREAM_MODULE)) return `nginx's stream module is missing (${NGINX_STREAM_MODULE}; Debian: apt-get install libnginx-mod-stream)`;
  return undefined;
}

/** wrk's report of one `Connection: close` run: a new TCP connection per request. */
export interface WrkClose {
  readonly requests: number;
  readonly perSecond: number;
  /** wrk's "Socket errors" line and non-2xx count, when any. */
  readonly errors?: string;
}

/** `wrk -t1 -cN -dS -H 'Connection: close'` on http://host:port/. */
export async function wrkShortConnections(host: string, port: number, seconds: number, connections: number): Promise<WrkClose> {
  const out = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-H', 'Connection: close', `http://${host}:${port}/`], (seconds + 30) * 1000);
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (!Number.isFinite(perSecond) || !Number.isFinite(requests)) throw new Error(`wrk printed no rate: ${out.slice(0, 300)}`);
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx or 3xx responses: \d+/.exec(out)?.[0]].filter((x) => x !== undefined).join('; ');
  return { requests, perSecond, ...(errors === '' ? {} : { errors }) };
}

/**
 * The processes of one benchmark run, kept in `dir` (configuration files, logs): every one started
 * through `track` is killed by `cleanup()`.
 */
export class L4Peers {
  readonly children: ChildProcess[] = [];
  private readonly stopping = new Set<ChildProcess>();

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Kills whatever is still running (SIGKILL). */
  cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  track(child: ChildProcess, what: string): ChildProcess {
    this.children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    child.on('exit', (code, signal) => {
      if (code !== 0 && !this.stopping.has(child) && err.trim() !== '') this.log(`${what} exited ${code ?? signal}: ${err.trim()}`);
    });
    return child;
  }

  /** SIGTERM, then SIGKILL after 2 s. */
  stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.stopping.add(child);
    return new Promise((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** A bench/l4-child.ts process; resolves with it and its port once it printed READY. */
  startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
    const child = this.track(
      spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
      `l4-child ${args[0]}`,
    );
    return new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`l4-child ${args.join(' ')} not ready within 20 s`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(t);
          resolve({ child, port: Number(m[1]) });
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`l4-child ${args.join(' ')} exited ${code} before it was ready`));
      });
    });
  }

  /** HAProxy `mode tcp`, nbthread 1, in the foreground (-db: one process, no master). */
  readonly haproxy: Starter = async (h, uh, up) => {
    const port = await freePortOn(h);
    const cfg = join(this.dir, `haproxy-${port}.cfg`);
    writeFileSync(
      cfg,
      `global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend bench
  bind ${h}:${port}
  default_backend upstream
backend upstream
  server u1 ${uh}:${up}
`,
    );
    const child = this.track(spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] }), 'haproxy');
    await waitListeningOn(h, port, 'haproxy');
    return { port, child };
  };

  /** nginx `stream`, master_process off: one process does all the work. */
  readonly nginxStream: Starter = async (h, uh, up) => {
    const port = await freePortOn(h);
    const cfg = join(this.dir, `nginx-${port}.conf`);
    writeFileSync(
      cfg,
      `load_module ${NGINX_STREAM_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${join(this.dir, `nginx-${port}.pid`)};
error_log ${join(this.dir, `nginx-${port}.log`)} warn;
events { worker_connections 8192; }
stream {
  server {
    listen ${h}:${port};
    proxy_pass ${uh}:${up};
  }
}
`,
    );
    const child = this.track(
      spawn('nginx', ['-c', cfg, '-p', this.dir, '-e', join(this.dir, `nginx-${port}.log`)], { stdio: ['ignore', 'ignore', 'pipe'] }),
      'nginx',
    );
    await waitListeningOn(h, port, 'nginx');
    return { port, child };
  };

  /** netlab's TcpBalancer or the plain Node pipe, in a bench/l4-child.ts process. */
  nodeChild(mode: 'netlab' | 'pipe'): Starter {
    return (h, uh, up) => this.startChild([mode, h, uh, String(up)]);
  }

  /** nginx answering "ok" over HTTP (one process): the upstream of the wrk short-connection tests. */
  async httpUpstream(h: string): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePortOn(h);
    const cfg = join(this.dir, `nginx-http-${port}.conf`);
    const tmp = (d: string): string => join(this.dir, `http-${port}-${d}`);
    writeFileSync(
      cfg,
      `daemon off;
master_process off;
worker_processes 1;
pid ${join(this.dir, `nginx-http-${port}.pid`)};
error_log ${join(this.dir, `nginx-http-${port}.log`)} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  server {
    listen ${h}:${port};
    location / { return 200 "ok\\n"; }
  }
}
`,
    );
    const child = this.track(
      spawn('nginx', ['-c', cfg, '-p', this.dir, '-e', join(this.dir, `nginx-http-${port}.log`)], { stdio: ['ignore', 'ignore', 'pipe'] }),
      'nginx http upstream',
    );
    await waitListeningOn(h, port, 'nginx http upstream');
    return { port, child };
  }
}
