// A resolver transport that notes when each query left and when its answer came, on one monotonic
// clock shared with the lab, so that a resolution becomes a timeline (ms since the stub asked).

import type { QueryRequest, QueryResult, ResolverTransport } from './resolver-types.ts';

export interface TimedQuery {
  server: string;
  name: string;
  type: number;
  /** ms on performance.now(). */
  sent: number;
  done: number;
  result: QueryResult;
}

export class TimedTransport implements ResolverTransport {
  readonly log: TimedQuery[] = [];

  constructor(private readonly inner: ResolverTransport) {}

  async query(req: QueryRequest): Promise<QueryResult> {
    const sent = performance.now();
    const result = await this.inner.query(req);
    this.log.push({ server: req.server.address, name: req.question.name, type: req.question.type, sent, done: performance.now(), result });
    return result;
  }

  /** The queries logged from index `from` on. */
  since(from: number): TimedQuery[] {
    return this.log.slice(from);
  }
}
