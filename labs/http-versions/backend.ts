// The http-versions lab's backend: one netlab HttpServer on 127.182.1.1 (port 0) behind the proxy.
// GET /item/N answers after the service time, GET /slow?ms=N after N ms. It counts the TCP
// connections it accepted (the proxy's upstream connections) and notes when each request arrived and
// when its answer left, so a step can tell "the backend was done" from "the client got it".

import { performance } from 'node:perf_hooks';
import { HttpServer } from '../../src/http/index.ts';

export const BACKEND_ADDRESS = '127.182.1.1';

/** One request the backend served: its path and when (performance.now()) it came and was answered. */
export interface Handled {
  readonly path: string;
  readonly arrivedAt: number;
  readonly answeredAt: number;
}

export class Backend {
  port = 0;
  /** Time each /item request takes (ms). */
  serviceMs = 5;
  /** Connections accepted since the last reset. */
  connections = 0;
  readonly handled: Handled[] = [];
  private readonly server: HttpServer;

  constructor() {
    this.server = new HttpServer({
      idleTimeoutMs: 10_000,
      onConnection: () => {
        this.connections++;
      },
      handler: async (req, res) => {
        req.body.discard();
        const arrivedAt = performance.now();
        const target = req.head.target;
        const wait = Number(/[?&]ms=(\d+)/.exec(target)?.[1] ?? this.serviceMs);
        if (wait > 0) await sleep(wait);
        const body = `${target} served\n`;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
        res.end(body);
        this.handled.push({ path: target, arrivedAt, answeredAt: performance.now() });
      },
    });
  }

  async listen(): Promise<void> {
    this.port = (await this.server.listen(0, BACKEND_ADDRESS)).port;
  }

  reset(): void {
    this.connections = 0;
    this.handled.length = 0;
  }

  close(): Promise<void> {
    return this.server.close(500);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
