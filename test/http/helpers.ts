// Raw-socket helpers for the HTTP connection tests: write exact bytes, read what comes back.

import { connect, type Socket } from 'node:net';
import { HttpServer, type HttpServerOptions } from '../../src/http/index.ts';

export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far, latin1. */
  text(): string;
  /** Resolves once the received text matches (or rejects after ms). */
  waitFor(pred: (text: string) => boolean, ms?: number): Promise<string>;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  write(s: string | Uint8Array): void;
  destroy(): void;
}

export function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const waiters: (() => void)[] = [];
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      for (const w of waiters.splice(0)) w();
    });
    socket.on('close', () => {
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        text: () => got,
        closed,
        write: (s) => socket.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s),
        destroy: () => socket.destroy(),
        waitFor(pred, ms = 3000) {
          return new Promise((res, rej) => {
            const deadline = setTimeout(() => rej(new Error(`timed out waiting; received so far: ${JSON.stringify(got.slice(0, 500))}`)), ms);
            const check = (): void => {
              if (pred(got)) {
                clearTimeout(deadline);
                res(got);
              } else if (socket.destroyed) {
                clearTimeout(deadline);
                rej(new Error(`closed before the condition; received: ${JSON.stringify(got.slice(0, 500))}`));
              } else waiters.push(check);
            };
            check();
          });
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** Starts an HttpServer on 127.0.0.1:0; returns it with its port. */
export async function startServer(options: HttpServerOptions): Promise<{ server: HttpServer; port: number }> {
  const server = new HttpServer(options);
  const a = await server.listen(0, '127.0.0.1');
  return { server, port: a.port };
}

/** Counts occurrences of `needle`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
