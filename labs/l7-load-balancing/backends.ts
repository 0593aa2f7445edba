// The l7-load-balancing lab's backends: netlab HttpServers on their own loopback addresses
// (127.70.1.N, port 0), each answering with its name. A lab step turns their knobs between requests:
// a fixed service time, one request at a time (a server with one worker), every request failing with
// 500, and the health endpoint answering a study guide's {"status":"UP"} or {"status":"DOWN"}.

import { performance } from 'node:perf_hooks';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpServer, type HttpServerRequest, type HttpServerResponse } from '../../src/http/index.ts';

/** One request a backend served (health probes are counted apart). */
export interface Served {
  readonly path: string;
  readonly forwardedFor: string | undefined;
  readonly requestId: string | undefined;
}

export interface BackendOptions {
  readonly name: string;
  readonly address: string;
}

export class Backend {
  readonly name: string;
  readonly address: string;
  port = 0;
  /** Time each request takes (ms); 0 answers at once. */
  serviceMs = 0;
  /** CPU each request burns (ms of a busy loop on this process's one thread). */
  cpuMs = 0;
  /** One request at a time (the others wait their turn), like a server with one worker. */
  serial = false;
  /** Every request (not /health) is answered 500. */
  failing = false;
  /** /health answers 200 {"status":"UP"}, or 503 {"status":"DOWN"}. */
  healthUp = true;
  /** Socket tap for the connections the proxy opens to this backend (set by a step, cleared after). */
  tap: TapRecorder | undefined;
  readonly served: Served[] = [];
  probes = 0;
  private readonly server: HttpServer;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: BackendOptions) {
    this.name = options.name;
    this.address = options.address;
    this.server = new HttpServer({
      handler: (req, res) => this.handle(req, res),
      onConnection: (conn) => {
        this.tap?.tcp(conn.socket);
      },
      idleTimeoutMs: 10_000,
    });
  }

  async listen(): Promise<void> {
    this.port = (await this.server.listen(0, this.address)).port;
  }

  /** Forgets what was served (between the parts of a step). */
  reset(): void {
    this.served.length = 0;
    this.probes = 0;
    this.serviceMs = 0;
    this.cpuMs = 0;
    this.serial = false;
    this.failing = false;
    this.healthUp = true;
  }

  private async handle(req: HttpServerRequest, res: HttpServerResponse): Promise<void> {
    req.body.discard();
    const path = req.head.target.split('?')[0];
    if (path === '/health') {
      this.probes++;
      const body = this.healthUp ? '{"status":"UP"}' : '{"status":"DOWN"}';
      res.writeHead(this.healthUp ? 200 : 503, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    this.served.push({ path, forwardedFor: header(req.head.fields, 'x-forwarded-for'), requestId: header(req.head.fields, 'x-request-id') });
    const wait = Number(/[?&]ms=(\d+)/.exec(req.head.target)?.[1] ?? this.serviceMs);
    if (this.serial && wait > 0) {
      const turn = this.queue.then(() => sleep(wait));
      this.queue = turn;
      await turn;
    } else if (wait > 0) await sleep(wait);
    if (this.cpuMs > 0) {
      // The one thread is busy: nothing else in this process runs meanwhile (a CPU-bound server).
      const end = performance.now() + this.cpuMs;
      while (performance.now() < end);
    }
    const status = this.failing ? 500 : 200;
    const body = `${this.name}${this.failing ? ' failed' : ''}\n`;
    res.writeHead(status, { 'Content-Type': 'text/plain', 'X-Served-By': this.name, 'Content-Length': body.length });
    res.end(body);
  }

  close(): Promise<void> {
    return this.server.close(500);
  }
}

/** A header's first value (names compared without case). */
export function header(fields: readonly { name: string; value: string }[], name: string): string | undefined {
  const n = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === n)?.value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts backends server1..serverN on 127.70.1.1..N. */
export async function startBackends(n: number): Promise<Backend[]> {
  const out: Backend[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const b = new Backend({ name: `server${i}`, address: `127.70.1.${i}` });
      out.push(b);
      await b.listen();
    }
  } catch (err) {
    await Promise.all(out.map((b) => b.close()));
    throw err;
  }
  return out;
}
