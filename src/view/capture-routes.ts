// The view's routes for following a stream and for the sequence diagram (the server's route table
// hands them these paths):
//
//   GET /api/follow?stream=N | ?frame=N [&kind=tcp|tls]   FollowJson, or 400/404
//   GET /api/sequence?offset=&limit=&filter=&by=hosts|endpoints   SequenceJson, or 400 (bad filter)

import type { CaptureModel } from './capture-model.ts';
import { MAX_PAGE, ViewFilterError } from './capture-model.ts';
import { SequenceModel } from './sequence.ts';
import { FlowIndex, type FollowedStream, followTcp } from './streams.ts';
import type { FollowJson, RequestErrorJson } from './types.ts';

export interface RouteAnswer {
  status: number;
  body: unknown;
}

const bad = (status: number, message: string): RouteAnswer => ({ status, body: { error: 'request', message } satisfies RequestErrorJson });

function wholeNumber(params: URLSearchParams, name: string, fallback: number | undefined): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The JSON of a followed TCP stream. */
export function followJson(s: FollowedStream): FollowJson {
  const notes: string[] = [];
  if (s.retransmitted > 0) notes.push(`${s.retransmitted} segment(s) carried bytes already seen (retransmissions) and are not repeated`);
  if (s.unfilled > 0) notes.push(`${s.unfilled} segment(s) came after a hole that was never filled (lost bytes) and are not shown`);
  return {
    stream: s.stream,
    client: s.client,
    server: s.server,
    kind: 'tcp',
    chunks: s.chunks.map((c) => ({ dir: c.dir, frame: c.frame, hex: hex(c.data) })),
    bytes: s.bytes,
    frames: s.frames,
    notes,
  };
}

/** The stream and sequence models of one capture (made on first use). */
export class CaptureRoutes {
  readonly flows = new FlowIndex();
  private readonly sequence: SequenceModel;

  constructor(private readonly model: CaptureModel) {
    this.sequence = new SequenceModel(model, this.flows);
  }

  /** Answers a follow or sequence request, or undefined when the path is not one of them. */
  answer(path: string, q: URLSearchParams): RouteAnswer | undefined {
    if (path === '/api/follow') return this.follow(q);
    if (path === '/api/sequence') return this.seq(q);
    return undefined;
  }

  private follow(q: URLSearchParams): RouteAnswer {
    this.flows.update(this.model.packetsRead);
    let stream = wholeNumber(q, 'stream', undefined);
    if (q.has('stream') && stream === undefined) return bad(400, `stream=${q.get('stream')}: expected a whole number`);
    if (stream === undefined) {
      const no = wholeNumber(q, 'frame', undefined);
      if (no === undefined || no === 0) return bad(400, 'follow: give stream=N (a tcp.stream number) or frame=N (a frame of the stream)');
      const f = this.flows.frame(no);
      if (f === undefined) return bad(404, `frame ${no}: the capture has ${this.model.frames} frames`);
      if (f.stream < 0) return bad(404, `frame ${no} carries no TCP segment: there is no stream to follow`);
      stream = f.stream;
    }
    const kind = q.get('kind') ?? 'tcp';
    if (kind !== 'tcp' && kind !== 'tls') return bad(400, `kind=${kind}: expected tcp or tls`);
    const s = followTcp(this.flows, this.model.packetsRead, stream);
    if (s === undefined) return bad(404, `tcp.stream ${stream}: the capture has ${this.flows.streamCount} TCP streams (0 to ${this.flows.streamCount - 1})`);
    return { status: 200, body: followJson(s) };
  }

  private seq(q: URLSearchParams): RouteAnswer {
    const offset = wholeNumber(q, 'offset', 0);
    const limit = wholeNumber(q, 'limit', 200);
    if (offset === undefined) return bad(400, `offset=${q.get('offset')}: expected a whole number`);
    if (limit === undefined || limit > MAX_PAGE) return bad(400, `limit=${q.get('limit')}: expected a whole number up to ${MAX_PAGE}`);
    const by = q.get('by') ?? 'hosts';
    if (by !== 'hosts' && by !== 'endpoints') return bad(400, `by=${by}: expected hosts or endpoints`);
    try {
      return { status: 200, body: this.sequence.window(offset, limit, q.get('filter') ?? '', by) };
    } catch (err) {
      if (err instanceof ViewFilterError) return { status: 400, body: err.json };
      throw err;
    }
  }
}
