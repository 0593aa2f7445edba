// HTTP/2 fields <-> netlab's HTTP message heads (RFC 9113 §8.2, §8.3). A request's header block
// becomes the same HttpRequestHead the HTTP/1.1 codec produces, so routing, balancing, features,
// forwarding headers and logs treat both alike; the checks an HTTP/2 intermediary owes are made here
// (nghttp2, under node:http2, already refuses most of them: these hold even where it does not).
// A response's fields become an HTTP/2 header block without the connection-specific fields.

import type { HttpField, HttpRequestHead } from '../wire/http.ts';

/** Fields that belong to one HTTP/1.x connection and never appear in HTTP/2 (RFC 9113 §8.2.2). */
export const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path']);
/** RFC 9110 §5.1 token, lower case only (RFC 9113 §8.2.1: upper case in a name is malformed). */
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A value with CR, LF or NUL (RFC 9113 §8.2.1), or leading/trailing space or tab. */
const BAD_VALUE = /[\r\n\0]|^[ \t]|[ \t]$/;

export type H2RequestMapping =
  | { readonly ok: true; readonly head: HttpRequestHead; readonly contentLength: number | undefined }
  | { readonly ok: false; readonly status: 400 | 431; readonly reason: string };

export interface H2RequestOptions {
  /** The HEADERS frame ended the stream: the request has no body. */
  readonly endStream: boolean;
  /** Bound on the header list (RFC 9113 §6.5.2: names + values + 32 per field). */
  readonly maxHeaderListBytes: number;
}

function refuse(reason: string, status: 400 | 431 = 400): H2RequestMapping {
  return { ok: false, status, reason };
}

/** A field value problem in words, or undefined when the value is acceptable. */
export function badFieldValue(name: string, value: string): string | undefined {
  if (!BAD_VALUE.test(value)) return undefined;
  const what = /[\r\n\0]/.test(value) ? 'CR, LF or NUL' : 'leading or trailing whitespace';
  return `field ${name} has ${what} in its value (RFC 9113 §8.2.1)`;
}

/**
 * Maps a request's header block (`raw`: name, value, name, value ... in arrival order) to a request
 * head, or says why the request is malformed.
 */
export function h2RequestHead(raw: readonly string[], opts: H2RequestOptions): H2RequestMapping {
  const pseudo = new Map<string, string>();
  const fields: HttpField[] = [];
  const cookies: string[] = [];
  let size = 0;
  let regularSeen = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    size += name.length + value.length + 32;
    if (name.startsWith(':')) {
      if (regularSeen) return refuse(`pseudo-header ${name} after a regular field (RFC 9113 §8.3)`);
      if (!REQUEST_PSEUDO.has(name)) return refuse(`unknown pseudo-header ${name} (RFC 9113 §8.3)`);
      if (pseudo.has(name)) return refuse(`pseudo-header ${name} given twice (RFC 9113 §8.3)`);
      pseudo.set(name, value);
      continue;
    }
    regularSeen = true;
    if (!NAME.test(name)) return refuse(`field name ${JSON.stringify(name)} is not a lower-case token (RFC 9113 §8.2.1)`);
    const bad = badFieldValue(name, value);
    if (bad !== undefined) return refuse(bad);
    if (CONNECTION_SPECIFIC.has(name)) return refuse(`connection-specific field ${name} in an HTTP/2 request (RFC 9113 §8.2.2)`);
    if (name === 'te' && value.toLowerCase() !== 'trailers') return refuse(`TE: ${value} (only "trailers" is allowed in HTTP/2, RFC 9113 §8.2.2)`);
    if (name === 'cookie') cookies.push(value);
    else fields.push({ name, value });
  }
  if (size > opts.maxHeaderListBytes) return refuse(`header list of ${size} bytes is over ${opts.maxHeaderListBytes}`, 431);
  const method = pseudo.get(':method');
  if (method === undefined || method === '') return refuse('no :method (RFC 9113 §8.3.1)');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) return refuse(`:method ${JSON.stringify(method)} is not a token`);
  for (const [n, v] of pseudo) {
    const bad = badFieldValue(n, v);
    if (bad !== undefined) return refuse(bad);
  }
  const authority = pseudo.get(':authority');
  const hosts = fields.filter((f) => f.name === 'host');
  if (hosts.length > 1) return refuse('more than one Host field');
  if (authority?.includes('@')) return refuse(':authority with userinfo (RFC 9113 §8.3.1)');
  if (authority !== undefined && hosts.length === 1 && hosts[0].value.toLowerCase() !== authority.toLowerCase())
    return refuse(`:authority ${authority} and Host ${hosts[0].value} differ (RFC 9113 §8.3.1)`);
  const host = authority ?? hosts[0]?.value ?? '';
  let target: string;
  let targetForm: HttpRequestHead['targetForm'];
  if (method === 'CONNECT') {
    if (pseudo.has(':scheme') || pseudo.has(':path')) return refuse('CONNECT with :scheme or :path (RFC 9113 §8.5)');
    if (authority === undefined || authority === '') return refuse('CONNECT without :authority (RFC 9113 §8.5)');
    target = authority;
    targetForm = 'authority';
  } else {
    const scheme = pseudo.get(':scheme');
    const path = pseudo.get(':path');
    if (scheme === undefined) return refuse('no :scheme (RFC 9113 §8.3.1)');
    if (scheme !== 'http' && scheme !== 'https') return refuse(`:scheme ${JSON.stringify(scheme)} is not http or https`);
    if (path === undefined || path === '') return refuse('no :path, or an empty one (RFC 9113 §8.3.1)');
    if (path === '*') {
      if (method !== 'OPTIONS') return refuse(':path "*" is only for OPTIONS (RFC 9113 §8.3.1)');
      targetForm = 'asterisk';
    } else if (path.startsWith('/')) targetForm = 'origin';
    else return refuse(`:path ${JSON.stringify(path)} is not origin-form (RFC 9113 §8.3.1)`);
    if (/[\s#]/.test(path)) return refuse(`:path ${JSON.stringify(path)} has whitespace or a fragment`);
    target = path;
  }
  const lengths = fields.filter((f) => f.name === 'content-length').map((f) => f.value);
  let contentLength: number | undefined;
  for (const v of lengths) {
    if (!/^[0-9]{1,15}$/.test(v)) return refuse(`Content-Length ${JSON.stringify(v)} is not a number`);
    if (contentLength !== undefined && Number(v) !== contentLength) return refuse('Content-Length given twice with different values');
    contentLength = Number(v);
  }
  if (opts.endStream && contentLength !== undefined && contentLength > 0)
    return refuse(`Content-Length ${contentLength} on a request with no DATA (END_STREAM on HEADERS, RFC 9113 §8.1.1)`);
  // RFC 9113 §8.2.3: cookie-pairs split over fields are joined with "; " for HTTP/1.1.
  const out = fields.filter((f) => f.name !== 'host' && f.name !== 'content-length');
  if (cookies.length > 0) out.push({ name: 'cookie', value: cookies.join('; ') });
  if (contentLength !== undefined) out.push({ name: 'content-length', value: String(contentLength) });
  const framing: HttpRequestHead['framing'] = opts.endStream
    ? { kind: 'none' }
    : contentLength !== undefined
      ? contentLength === 0
        ? { kind: 'none' }
        : { kind: 'length', length: contentLength }
      : { kind: 'chunked' };
  return {
    ok: true,
    contentLength,
    head: {
      type: 'request',
      method,
      target,
      targetForm,
      version: '2',
      rawVersion: 'HTTP/2',
      fields: out,
      authority: host,
      expectContinue: false,
      unsupportedExpectation: undefined,
      framing,
      keepAlive: true,
      connectionOptions: [],
      upgrade: [],
    },
  };
}

/** The fields of the trailer section a client sent (pseudo-headers and connection-specific fields refused). */
export function h2Trailers(raw: readonly string[]): { ok: true; fields: HttpField[] } | { ok: false; reason: string } {
  const fields: HttpField[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.startsWith(':')) return { ok: false, reason: `pseudo-header ${name} in trailers (RFC 9113 §8.1)` };
    if (!NAME.test(name)) return { ok: false, reason: `trailer name ${JSON.stringify(name)} is not a lower-case token` };
    const bad = badFieldValue(name, value);
    if (bad !== undefined) return { ok: false, reason: bad };
    if (CONNECTION_SPECIFIC.has(name) || name === 'te') return { ok: false, reason: `connection-specific field ${name} in trailers` };
    fields.push({ name, value });
  }
  return { ok: true, fields };
}

/**
 * Response (or trailer) fields as an HTTP/2 header block: names lower-cased, connection-specific
 * fields and TE dropped, repeated names kept as lists (Set-Cookie stays several fields).
 */
export function h2ResponseHeaders(status: number | undefined, fields: readonly HttpField[]): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = {};
  if (status !== undefined) out[':status'] = status;
  for (const f of fields) {
    const n = f.name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(n) || n === 'te' || n.startsWith(':')) continue;
    const prev = out[n];
    if (prev === undefined) out[n] = f.value;
    else if (Array.isArray(prev)) prev.push(f.value);
    else out[n] = [String(prev), f.value];
  }
  return out;
}
