// Shared by the HTTP/2 proxy tests: a node:http2 client request, and raw HTTP/2 frames (HPACK literals
// without Huffman coding) for the requests nghttp2 and Node refuse to send themselves.

import { type ClientHttp2Session, connect as h2connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';

export interface H2Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly trailers: IncomingHttpHeaders;
}

/** One request on an open session (the body, when given, is sent with END_STREAM after it). */
export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let got: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    stream.on('response', (h) => {
      got = h;
      status = Number(h[':status']);
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve({ status, headers: got, body: Buffer.concat(parts).toString('utf8'), trailers }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** A session to a plain (h2c, prior knowledge) or TLS (ALPN h2) listener; close it with closeSession. */
export async function h2session(url: string, ca?: string): Promise<ClientHttp2Session> {
  const s = h2connect(url, ca === undefined ? {} : { ca, servername: 'www.netlab.test' });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

export function closeSession(s: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (s.closed || s.destroyed) return resolve();
    s.close(() => resolve());
  });
}

// ---- raw frames ----------------------------------------------------------------------------------

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

function hpackInt(n: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (n < max) return Buffer.from([first | n]);
  const out = [first | max];
  let rest = n - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A header block of literal fields "without indexing, new name" (RFC 7541 §6.2.2), names as given. */
export function hpack(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0]), hpackInt(n.length, 7, 0), n, hpackInt(v.length, 7, 0), v);
  }
  return Buffer.concat(parts);
}

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** What a raw connection saw until `until` says stop (or the time ran out or the peer closed). */
export interface RawResult {
  readonly frames: readonly RawFrame[];
  /** RST_STREAM error code on the stream asked about, when one came. */
  readonly rstCode: number | undefined;
  /** GOAWAY error code, when one came. */
  readonly goawayCode: number | undefined;
  /** The :status of a response on stream 1 when its first field is an indexed static :status (RFC 7541 App. A). */
  readonly status: number | undefined;
}

const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

/** Sends the preface, an empty SETTINGS, then `frames`; collects what comes back for up to `ms` (results about stream `id`). */
export function rawExchange(port: number, frames: readonly Buffer[], ms = 1500, id = 1): Promise<RawResult> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const got: RawFrame[] = [];
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      const rst = got.find((f) => f.type === FRAME.RST_STREAM && f.stream === id);
      const ga = got.find((f) => f.type === FRAME.GOAWAY);
      const hdr = got.find((f) => f.type === FRAME.HEADERS && f.stream === id);
      const first = hdr?.payload[0];
      resolve({
        frames: got,
        rstCode: rst?.payload.readUInt32BE(0),
        goawayCode: ga?.payload.readUInt32BE(4),
        status: first !== undefined && first >= 0x80 ? STATIC_STATUS[first & 0x7f] : undefined,
      });
    };
    const timer = setTimeout(finish, ms);
    s.on('connect', () => {
      s.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0), ...frames]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const f = { type: buf[3], flags: buf[4], stream: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) };
        buf = buf.subarray(9 + len);
        got.push(f);
        if (f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0) s.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
        if ((f.type === FRAME.RST_STREAM && f.stream === id) || f.type === FRAME.GOAWAY) finish();
        if ((f.type === FRAME.HEADERS || f.type === FRAME.DATA) && f.stream === id && (f.flags & FLAG.END_STREAM) !== 0) finish();
      }
    });
    s.on('error', finish);
    s.on('close', finish);
  });
}

/** The pseudo-headers of a good GET on stream 1 (append regular fields after them). */
export function getHeaders(path = '/', authority = 'app.netlab.test'): [string, string][] {
  return [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', authority],
    [':path', path],
  ];
}
