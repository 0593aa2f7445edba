// The stub resolver of the labs (what an OS or a browser runs): one RD=1 question to the recursive
// resolver over UDP from its own address, answered or not, timed.

import type { QueryResult } from './resolver-types.ts';
import { SocketTransport, type TransportOptions } from './transport.ts';

export interface StubAnswer {
  result: QueryResult;
  ms: number;
}

export class Stub {
  private readonly transport: SocketTransport;

  constructor(
    readonly address: string,
    private readonly resolver: () => { address: string; port: number },
    tap: TransportOptions['tap'],
  ) {
    this.transport = new SocketTransport({ localAddress: address, timeoutMs: 3000, tap });
  }

  async ask(name: string, type: number, note?: string): Promise<StubAnswer> {
    const started = performance.now();
    const result = await this.transport.query({
      server: this.resolver(),
      question: { name, type, class: 1 },
      rd: true,
      tcp: false,
      edns: true,
      ad: true,
      note: note ?? `stub ${this.address}: ${name} to the recursive resolver (RD=1)`,
    });
    return { result, ms: performance.now() - started };
  }
}

/** A promise that resolves after ms, or rejects when the step is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('step aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('step aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
