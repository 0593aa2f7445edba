// Response compression: Accept-Encoding negotiation (RFC 9110 §12.5.3, q-values §12.4.2), the rules
// for when a proxy may compress, the header changes compressing makes, and streaming compressors
// over node:zlib for the proxy to pipe bodies through.
//
// Rules (each decision names the one that applied):
// - a response without a body (HEAD, 1xx, 204, 304) or a partial one (206, Content-Range) is left alone;
// - Content-Encoding already present (other than identity): never compressed twice;
// - Cache-Control: no-transform (RFC 9111 §5.2.2.6, §5.2.1.6 on the request): a proxy must not alter it;
// - the Content-Type must be in the configured list (type/subtype, `text/*` wildcards, parameters ignored);
// - a known Content-Length below the minimum size is not worth the CPU and the header bytes;
// - then the client's Accept-Encoding picks gzip or br.
// Whenever the answer depended on Accept-Encoding (every eligible response, compressed or not),
// `Vary: Accept-Encoding` is added so caches keep the variants apart.

import type { Transform } from 'node:stream';
import { constants as z, createBrotliCompress, createBrotliDecompress, createGunzip, createGzip } from 'node:zlib';
import { NetlabError, NetlabRangeError } from '../../base/errors.ts';

const LAYER = { layer: 'proxy' } as const;

export type Coding = 'gzip' | 'br';
export const CODINGS: readonly Coding[] = ['br', 'gzip'];

/** One Accept-Encoding member: a coding (lower case; `*` and `identity` included) and its weight. */
export interface AcceptEntry {
  readonly coding: string;
  /** 0..1, three decimals at most. */
  readonly q: number;
}

export interface AcceptEncoding {
  readonly entries: readonly AcceptEntry[];
  /** Members that do not follow the grammar; they are left out of `entries`. */
  readonly problems: readonly string[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses an Accept-Encoding value (RFC 9110 §12.5.3): `#( codings [ weight ] )`. `x-gzip` is read as
 * gzip (§8.4.1.3). Several field lines are joined with commas first.
 */
export function parseAcceptEncoding(value: string | readonly string[]): AcceptEncoding {
  const text = typeof value === 'string' ? value : value.join(',');
  const entries: AcceptEntry[] = [];
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const member = raw.trim();
    if (member === '') continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    const [name, ...params] = member.split(';').map((s) => s.trim());
    if (!TOKEN.test(name)) {
      problems.push(`${JSON.stringify(member)}: ${JSON.stringify(name)} is not a coding name`);
      continue;
    }
    let q = 1;
    let bad: string | undefined;
    for (const p of params) {
      const m = /^q\s*=\s*(.*)$/i.exec(p);
      if (m === null) {
        bad = `${JSON.stringify(member)}: parameter ${JSON.stringify(p)} is not a weight (q=)`;
        break;
      }
      if (!QVALUE.test(m[1])) {
        bad = `${JSON.stringify(member)}: q=${m[1]} is not a qvalue (0 to 1, three decimals at most)`;
        break;
      }
      q = Number(m[1]);
    }
    if (bad !== undefined) {
      problems.push(bad);
      continue;
    }
    const coding = name.toLowerCase() === 'x-gzip' ? 'gzip' : name.toLowerCase();
    entries.push({ coding, q });
  }
  return { entries, problems };
}

/** The weight the client gives a coding: its own entry, else `*`'s, else 0 (identity: 1 unless excluded). */
export function codingWeight(accept: AcceptEncoding, coding: string): number {
  const c = coding.toLowerCase();
  let own: number | undefined;
  let star: number | undefined;
  for (const e of accept.entries) {
    if (e.coding === c) own = own === undefined ? e.q : Math.max(own, e.q);
    else if (e.coding === '*') star = star === undefined ? e.q : Math.max(star, e.q);
  }
  if (own !== undefined) return own;
  if (star !== undefined) return star;
  return c === 'identity' ? 1 : 0;
}

export interface Negotiated {
  /** The coding to use, or undefined for none. */
  readonly coding: Coding | undefined;
  /** False when the client ruled out identity too (`identity;q=0`, or `*;q=0` without identity). */
  readonly identityAcceptable: boolean;
}

/**
 * Picks the coding from what the client accepts: the highest q above 0 among `offer` (in the server's
 * order of preference for ties). No Accept-Encoding at all means no compression: RFC 9110 allows any
 * coding then, but old clients send none, so proxies do not compress. An empty value means identity only.
 */
export function negotiateEncoding(acceptEncoding: string | readonly string[] | undefined, offer: readonly Coding[] = CODINGS): Negotiated {
  if (acceptEncoding === undefined) return { coding: undefined, identityAcceptable: true };
  const a = parseAcceptEncoding(acceptEncoding);
  let best: Coding | undefined;
  let bestQ = 0;
  for (const c of offer) {
    const q = codingWeight(a, c);
    if (q > bestQ) {
      best = c;
      bestQ = q;
    }
  }
  return { coding: best, identityAcceptable: codingWeight(a, 'identity') > 0 };
}

export interface CompressionOptions {
  /** Smallest known body to compress, in bytes (default 1024). */
  readonly minSize?: number;
  /** Media types to compress: `type/subtype` or `type/*` (default: text, JSON, JavaScript, XML, SVG). */
  readonly types?: readonly string[];
  /** Codings offered, in preference order (default br, gzip). */
  readonly codings?: readonly Coding[];
}

export const DEFAULT_TYPES: readonly string[] = [
  'text/*',
  'application/json',
  'application/javascript',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/manifest+json',
  'application/ld+json',
  'image/svg+xml',
];

export type Headers = Readonly<Record<string, string | readonly string[] | number | undefined>>;

export interface CompressionInput {
  readonly method: string;
  readonly status: number;
  /** Request headers, names in lower case. */
  readonly requestHeaders: Headers;
  /** Response headers, names in lower case. */
  readonly responseHeaders: Headers;
}

export type SkipReason = 'no-body' | 'partial-content' | 'already-encoded' | 'no-transform' | 'type-not-listed' | 'too-small' | 'not-accepted';

export type CompressionDecision =
  | { readonly compress: true; readonly coding: Coding; readonly vary: true }
  | {
      readonly compress: false;
      readonly reason: SkipReason;
      /** True when Vary: Accept-Encoding belongs on the response all the same. */
      readonly vary: boolean;
    };

function one(v: string | readonly string[] | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? v : v.join(', ');
}

function listHas(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((part) => part.trim().split('=')[0].trim().toLowerCase() === token);
}

function typeListed(contentType: string | undefined, types: readonly string[]): boolean {
  if (contentType === undefined) return false;
  const mt = contentType.split(';')[0].trim().toLowerCase();
  const slash = mt.indexOf('/');
  if (slash <= 0) return false;
  return types.some((t) => {
    const p = t.toLowerCase();
    return p === mt || (p.endsWith('/*') && p.slice(0, -1) === mt.slice(0, slash + 1));
  });
}

function checkOptions(o: CompressionOptions): { minSize: number; types: readonly string[]; codings: readonly Coding[] } {
  const minSize = o.minSize ?? 1024;
  if (!(Number.isInteger(minSize) && minSize >= 0)) throw new NetlabRangeError(`compression minSize must be a whole number of bytes, got ${minSize}`, LAYER);
  const codings = o.codings ?? CODINGS;
  for (const c of codings)
    if (!CODINGS.includes(c)) throw new NetlabError('ERR_ARGUMENT', `unknown coding ${JSON.stringify(c)}; netlab compresses with ${CODINGS.join(', ')}`, LAYER);
  const types = o.types ?? DEFAULT_TYPES;
  for (const t of types)
    if (!/^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/i.test(t))
      throw new NetlabError('ERR_ARGUMENT', `compression type ${JSON.stringify(t)} is not type/subtype or type/*`, LAYER);
  return { minSize, types, codings };
}

/** Decides whether the proxy compresses this response, and with what. */
export function compressionDecision(input: CompressionInput, options: CompressionOptions = {}): CompressionDecision {
  const o = checkOptions(options);
  const res = input.responseHeaders;
  const s = input.status;
  if (input.method.toUpperCase() === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { compress: false, reason: 'no-body', vary: false };
  if (s === 206 || res['content-range'] !== undefined) return { compress: false, reason: 'partial-content', vary: false };
  const ce = one(res['content-encoding']);
  if (ce?.split(',').some((c) => c.trim() !== '' && c.trim().toLowerCase() !== 'identity')) return { compress: false, reason: 'already-encoded', vary: false };
  if (listHas(one(res['cache-control']), 'no-transform') || listHas(one(input.requestHeaders['cache-control']), 'no-transform')) {
    return { compress: false, reason: 'no-transform', vary: false };
  }
  if (!typeListed(one(res['content-type']), o.types)) return { compress: false, reason: 'type-not-listed', vary: false };
  const len = one(res['content-length']);
  if (len !== undefined && /^\d+$/.test(len.trim()) && Number(len) < o.minSize) return { compress: false, reason: 'too-small', vary: false };
  const n = negotiateEncoding(one(input.requestHeaders['accept-encoding']), o.codings);
  if (n.coding === undefined) return { compress: false, reason: 'not-accepted', vary: true };
  return { compress: true, coding: n.coding, vary: true };
}

/** `Vary` with Accept-Encoding added once (kept as is when it is `*` or already lists it). */
export function addVary(vary: string | readonly string[] | undefined, field = 'Accept-Encoding'): string {
  const current = vary === undefined ? '' : typeof vary === 'string' ? vary : vary.join(', ');
  const parts = current
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.some((p) => p === '*' || p.toLowerCase() === field.toLowerCase())) return parts.join(', ');
  return [...parts, field].join(', ');
}

/**
 * The response headers after the decision: with compression, Content-Encoding set, Content-Length
 * removed (the length changes; the body goes chunked or by close) and a strong ETag made weak (the
 * bytes differ from the uncompressed variant's); Vary added where the decision says.
 */
export function compressedHeaders(headers: Headers, d: CompressionDecision): Record<string, string | readonly string[] | number> {
  const out: Record<string, string | readonly string[] | number> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  if (d.vary) out.vary = addVary(one(headers.vary));
  if (d.compress) {
    out['content-encoding'] = d.coding;
    delete out['content-length'];
    const etag = one(headers.etag);
    if (etag?.startsWith('"')) out.etag = `W/${etag}`;
  }
  return out;
}

export interface CompressorOptions {
  /** gzip level 1..9 (default 6) or brotli quality 0..11 (default 4: fast enough to stream). */
  readonly level?: number;
  /** The body size when known: brotli tunes itself with it. */
  readonly sizeHint?: number;
}

/** A streaming compressor for the proxy to pipe a body through. */
export function createCompressor(coding: Coding, o: CompressorOptions = {}): Transform {
  if (coding === 'gzip') {
    const level = o.level ?? 6;
    if (!(Number.isInteger(level) && level >= 1 && level <= 9)) throw new NetlabRangeError(`gzip level must be 1..9, got ${level}`, LAYER);
    return createGzip({ level });
  }
  if (coding === 'br') {
    const quality = o.level ?? 4;
    if (!(Number.isInteger(quality) && quality >= 0 && quality <= 11)) throw new NetlabRangeError(`brotli quality must be 0..11, got ${quality}`, LAYER);
    const params: Record<number, number> = { [z.BROTLI_PARAM_QUALITY]: quality, [z.BROTLI_PARAM_MODE]: z.BROTLI_MODE_TEXT };
    if (o.sizeHint !== undefined && Number.isInteger(o.sizeHint) && o.sizeHint >= 0) params[z.BROTLI_PARAM_SIZE_HINT] = o.sizeHint;
    return createBrotliCompress({ params });
  }
  throw new NetlabError('ERR_ARGUMENT', `unknown coding ${JSON.stringify(coding)}; expected gzip or br`, LAYER);
}

/** The matching decompressor (for tests, and for a proxy that must read an encoded body). */
export function createDecompressor(coding: Coding): Transform {
  if (coding === 'gzip') return createGunzip();
  if (coding === 'br') return createBrotliDecompress();
  throw new NetlabError('ERR_ARGUMENT', `unknown coding ${JSON.stringify(coding)}; expected gzip or br`, LAYER);
}
