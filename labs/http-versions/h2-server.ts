// An HTTP/2 server (node:http2, cleartext with prior knowledge: h2c) on 127.182.3.1, port 0, for the
// steps that need an HTTP/2 peer of their own: it answers like the lab's backend (GET /item/N after
// the service time, /slow?ms=N after N ms) and counts the connections (sessions) it accepted.

import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type Handled, sleep } from './backend.ts';

export const H2_ADDRESS = '127.182.3.1';

export class H2Server {
  port = 0;
  serviceMs = 5;
  connections = 0;
  readonly handled: Handled[] = [];
  private readonly server: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor() {
    this.server = createServer();
    this.server.on('connection', (s: Socket) => s.setNoDelay(true));
    this.server.on('session', (s) => {
      this.connections++;
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', () => undefined);
    });
    this.server.on('stream', (stream, headers) => {
      const arrivedAt = performance.now();
      const path = String(headers[':path'] ?? '/');
      const wait = Number(/[?&]ms=(\d+)/.exec(path)?.[1] ?? this.serviceMs);
      stream.on('error', () => undefined);
      void sleep(wait).then(() => {
        if (stream.destroyed) return;
        const body = `${path} served\n`;
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': body.length });
        stream.end(body);
        this.handled.push({ path, arrivedAt, answeredAt: performance.now() });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, H2_ADDRESS, () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  reset(): void {
    this.connections = 0;
    this.handled.length = 0;
  }

  close(): Promise<void> {
    for (const s of this.sessions) s.close();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        for (const s of this.sessions) s.destroy();
      }, 500);
      this.server.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
