// The view's routes for following a stream and for the sequence diagram (the server's route table
// hands them these paths):
//
//   GET /api/follow?stream=N | ?frame=N [&kind=tcp|tls]   FollowJson, or 400/404
//   GET /api/sequence?offset=&limit=&filter=&by=hosts|endpoints   SequenceJson, or 400 (bad filter)

import { SECRETS_TYPE } from '../capture/pcapng-blocks.ts';
import { parseKeyLog, type TlsKeyLog, TlsStreamDecryptor } from '../dissect/tls-decrypt.ts';
import type { CaptureModel } from './capture-model.ts';
import { MAX_PAGE, ViewFilterError } from './capture-model.ts';
import { SequenceModel } from './sequence.ts';
import { FlowIndex, type FollowedStream, followTcp } from './streams.ts';
import type { FollowChunkJson, FollowJson, RequestErrorJson } from './types.ts';

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

/** What the key log makes of a followed stream: its TLS records, decrypted where it can. */
export interface DecryptedStream {
  /** The application data, decrypted, per record. */
  chunks: FollowChunkJson[];
  bytes: [number, number];
  /** Records decrypted, and encrypted ones left as they were. */
  decrypted: number;
  failed: number;
  version: number;
  suite: string | undefined;
  failure: string | undefined;
}

/** Runs a followed stream's bytes through a TLS decryptor (undefined when the stream is not TLS). */
export function decryptStream(s: FollowedStream, keyLog: TlsKeyLog): DecryptedStream | undefined {
  const tls = new TlsStreamDecryptor(keyLog);
  const out: DecryptedStream = { chunks: [], bytes: [0, 0], decrypted: 0, failed: 0, version: 0, suite: undefined, failure: undefined };
  for (const c of s.chunks) {
    for (const r of tls.push(c.dir, c.frame, c.data)) {
      if (r.decrypted) out.decrypted++;
      if (r.problem !== undefined) out.failed++;
      if (r.decrypted && r.type === 23 && r.data.length > 0) {
        out.chunks.push({ dir: r.dir, frame: r.frame, hex: hex(r.data), tls: true });
        out.bytes[r.dir] += r.data.length;
      }
    }
  }
  if (tls.version === 0 && out.decrypted === 0) return undefined;
  out.version = tls.version;
  out.suite = tls.suiteName;
  out.failure = tls.failure;
  return out;
}

/** The most bytes of a stream one answer carries (the page shows them all at once). */
export const MAX_FOLLOW_BYTES = 4 << 20;

/** Cuts a followed stream to MAX_FOLLOW_BYTES, saying so in its notes. */
export function trimFollow(body: FollowJson, max = MAX_FOLLOW_BYTES): void {
  let left = max;
  const kept: FollowChunkJson[] = [];
  for (const c of body.chunks) {
    if (left <= 0) break;
    const n = c.hex.length / 2;
    kept.push(n <= left ? c : { ...c, hex: c.hex.slice(0, left * 2) });
    left -= n;
  }
  if (kept.length === body.chunks.length && left >= 0) return;
  body.chunks = kept;
  body.notes.push(`the stream holds ${body.bytes[0] + body.bytes[1]} bytes: the first ${max} are shown`);
}

/** The stream and sequence models of one capture (made on first use). */
export class CaptureRoutes {
  readonly flows = new FlowIndex();
  private readonly sequence: SequenceModel;

  private keyLogCache: { secrets: number; log: TlsKeyLog } | undefined;

  constructor(
    private readonly model: CaptureModel,
    /** Key log text given with --keylog. */
    private readonly keyLogText = '',
  ) {
    this.sequence = new SequenceModel(model, this.flows);
  }

  /** The capture's TLS key logs (Decryption Secrets Blocks) and --keylog's, merged. */
  get keyLog(): TlsKeyLog {
    const secrets = this.model.secrets;
    if (this.keyLogCache?.secrets !== secrets.length) {
      const log = parseKeyLog(this.keyLogText);
      for (const s of secrets) if (s.type === SECRETS_TYPE.TLS_KEY_LOG) parseKeyLog(Buffer.from(s.data).toString('latin1'), log);
      this.keyLogCache = { secrets: secrets.length, log };
    }
    return this.keyLogCache.log;
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
    const body = followJson(s);
    const log = this.keyLog;
    const tls = log.sessions.size > 0 ? decryptStream(s, log) : undefined;
    if (tls !== undefined && tls.decrypted > 0) body.tlsAvailable = true;
    if (kind === 'tls') {
      if (tls === undefined) return bad(404, `tcp.stream ${stream} carries no TLS${log.sessions.size === 0 ? ' (and no key log was given)' : ''}`);
      body.kind = 'tls';
      body.chunks = tls.chunks;
      body.bytes = tls.bytes;
      const version = tls.version === 0x0304 ? 'TLS 1.3' : tls.version === 0x0303 ? 'TLS 1.2' : 'TLS';
      body.notes = [`${version}, ${tls.suite ?? 'cipher suite unknown'}: ${tls.decrypted} record(s) decrypted, ${tls.failed} not`];
      if (tls.failure !== undefined) body.notes.push(tls.failure);
    } else if (tls !== undefined && tls.decrypted === 0 && tls.failure !== undefined) {
      body.notes.push(`TLS not decrypted: ${tls.failure}`);
    }
    trimFollow(body);
    return { status: 200, body };
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
