// HTTP caching decisions for a shared cache (the proxy), per RFC 9111, with stale-while-revalidate
// from RFC 5861 §3. Pure functions over header records (names in lower case) and times in
// milliseconds since the Unix epoch (HTTP dates are wall-clock times: pass Date.now() or a test's
// fixed instant, not a NetClock's arbitrary origin).
//
// What is here: Cache-Control parsing (§5.2), storability (§3, §3.5), freshness lifetime (§4.2.1,
// heuristic §4.2.2), current age (§4.2.3), fresh / stale-while-revalidate / revalidate decisions
// (§4.2, §4.2.4, §5.2.1, §5.2.2), conditional request headers (§4.3.1), updating a stored response from
// a 304 (§4.3.4, §3.2), and the Vary secondary key (§4.1). What is not: storing POST responses, and
// partial content (206 / Range): such responses are not stored.

const DAY_MS = 86_400_000;

export type Headers = Readonly<Record<string, string | readonly string[] | number | undefined>>;
export type MutableHeaders = Record<string, string | readonly string[] | number>;

function one(v: string | readonly string[] | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? v : v.join(', ');
}

/** Cache-Control directives (names lower case; a directive without `=` has the value true). */
export type CacheControl = ReadonlyMap<string, string | true>;

/** Parses Cache-Control (RFC 9111 §5.2): `token [ "=" ( token / quoted-string ) ]`, comma-separated. */
export function parseCacheControl(value: string | readonly string[] | number | undefined): CacheControl {
  const out = new Map<string, string | true>();
  const text = one(value);
  if (text === undefined) return out;
  const re = /\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?\s*(?:,|$)/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null || m[0] === '') {
      // Skip to the next comma: a malformed directive is ignored, the rest still count.
      const c = text.indexOf(',', i);
      if (c < 0) break;
      i = c + 1;
      continue;
    }
    const name = m[1].toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    // §4.2.1: with duplicates, the first one counts (a conservative cache may treat it as stale).
    if (!out.has(name)) out.set(name, v === undefined ? true : v);
    i = re.lastIndex;
  }
  return out;
}

/** A delta-seconds directive's value (§1.2.2), or undefined when absent or not a number. */
export function deltaSeconds(cc: CacheControl, name: string): number | undefined {
  const v = cc.get(name);
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), 2 ** 31); // §1.2.2: values beyond 2^31 are taken as 2^31
}

/** An HTTP-date (RFC 9110 §5.6.7) as epoch ms, or undefined when it does not parse. */
export function parseHttpDate(v: string | readonly string[] | number | undefined): number | undefined {
  const s = one(v);
  if (s === undefined) return undefined;
  const t = Date.parse(s.trim());
  return Number.isFinite(t) ? t : undefined;
}

/** Statuses a cache may store with a heuristic lifetime (RFC 9110 §15.1). 206 is left out: no ranges here. */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses this cache stores at all (final, understood, and not partial or a bare validation answer). */
const UNDERSTOOD: ReadonlySet<number> = new Set([...HEURISTIC_STATUSES, 302, 303, 307, 400, 403, 500, 502, 503, 504]);

export interface StorableVerdict {
  readonly storable: boolean;
  /** Why not (or, when storable, what allowed it). */
  readonly reason: string;
}

export interface PolicyOptions {
  /** A shared cache (the proxy) by default; a private cache ignores s-maxage and may store `private`. */
  readonly shared?: boolean;
  /** Share of (Date - Last-Modified) used as a heuristic lifetime (default 0.1). */
  readonly heuristicFraction?: number;
  /** Cap on a heuristic lifetime in seconds (default one day). */
  readonly maxHeuristicSeconds?: number;
}

/** May this response to this request be stored (RFC 9111 §3, §3.5)? */
export function isStorable(method: string, requestHeaders: Headers, status: number, responseHeaders: Headers, o: PolicyOptions = {}): StorableVerdict {
  const shared = o.shared ?? true;
  if (method.toUpperCase() !== 'GET') return { storable: false, reason: `method ${method} is not cached (GET only)` };
  if (!UNDERSTOOD.has(status)) return { storable: false, reason: `status ${status} is not one this cache stores` };
  const req = parseCacheControl(requestHeaders['cache-control']);
  const res = parseCacheControl(responseHeaders['cache-control']);
  if (req.has('no-store')) return { storable: false, reason: 'the request says no-store (§5.2.1.5)' };
  if (res.has('no-store')) return { storable: false, reason: 'the response says no-store (§5.2.2.5)' };
  // §5.2.2.7: `private` with field names only restricts those fields; unqualified, a shared cache must not store.
  if (shared && res.get('private') === true) return { storable: false, reason: 'the response is private (§5.2.2.7)' };
  if (
    one(responseHeaders.vary)
      ?.split(',')
      .some((f) => f.trim() === '*')
  )
    return { storable: false, reason: 'Vary: * never matches a later request (§4.1)' };
  if (shared && requestHeaders.authorization !== undefined) {
    // §3.5: only with must-revalidate, public or s-maxage.
    if (!(res.has('must-revalidate') || res.has('public') || res.has('s-maxage'))) {
      return { storable: false, reason: 'the request carried Authorization and the response has none of public, must-revalidate, s-maxage (§3.5)' };
    }
  }
  if (res.has('public')) return { storable: true, reason: 'public' };
  if (shared && res.has('s-maxage')) return { storable: true, reason: 's-maxage' };
  if (res.has('max-age')) return { storable: true, reason: 'max-age' };
  if (responseHeaders.expires !== undefined) return { storable: true, reason: 'Expires' };
  if (!shared && res.has('private')) return { storable: true, reason: 'private (a private cache)' };
  if (HEURISTIC_STATUSES.has(status)) return { storable: true, reason: `status ${status} is heuristically cacheable` };
  return { storable: false, reason: `status ${status} needs explicit freshness (max-age, s-maxage, Expires or public)` };
}

export type LifetimeSource = 's-maxage' | 'max-age' | 'expires' | 'heuristic' | 'none';

/**
 * The freshness lifetime in seconds (§4.2.1): s-maxage (shared only) > max-age > Expires - Date
 * (an invalid Expires means already expired) > heuristic (§4.2.2): a fraction of the time since
 * Last-Modified, for heuristically cacheable statuses or `public` responses.
 */
export function freshnessLifetime(status: number, h: Headers, responseTimeMs: number, o: PolicyOptions = {}): { seconds: number; source: LifetimeSource } {
  const shared = o.shared ?? true;
  const cc = parseCacheControl(h['cache-control']);
  if (shared) {
    const s = deltaSeconds(cc, 's-maxage');
    if (s !== undefined) return { seconds: s, source: 's-maxage' };
  }
  const m = deltaSeconds(cc, 'max-age');
  if (m !== undefined) return { seconds: m, source: 'max-age' };
  const date = parseHttpDate(h.date) ?? responseTimeMs;
  if (h.expires !== undefined) {
    const e = parseHttpDate(h.expires);
    return { seconds: e === undefined ? 0 : Math.max(0, Math.floor((e - date) / 1000)), source: 'expires' };
  }
  const lm = parseHttpDate(h['last-modified']);
  if (lm !== undefined && (HEURISTIC_STATUSES.has(status) || cc.has('public'))) {
    const fraction = o.heuristicFraction ?? 0.1;
    const cap = o.maxHeuristicSeconds ?? DAY_MS / 1000;
    return { seconds: Math.min(cap, Math.max(0, Math.floor(((date - lm) / 1000) * fraction))), source: 'heuristic' };
  }
  return { seconds: 0, source: 'none' };
}

/** A stored response with the times the age calculation needs. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Headers;
  /** When the request that fetched it was sent (epoch ms). */
  readonly requestTime: number;
  /** When the response arrived (epoch ms). */
  readonly responseTime: number;
}

/**
 * The current age in seconds (RFC 9111 §4.2.3):
 *   apparent_age = max(0, response_time - date_value)
 *   corrected_age_value = age_value + (response_time - request_time)
 *   corrected_initial_age = max(apparent_age, corrected_age_value)
 *   current_age = corrected_initial_age + (now - response_time)
 */
export function currentAge(r: StoredResponse, nowMs: number): number {
  const ageValue = /^\s*\d+\s*$/.test(one(r.headers.age) ?? '') ? Number(one(r.headers.age)) : 0;
  const dateValue = parseHttpDate(r.headers.date) ?? r.responseTime;
  const apparent = Math.max(0, (r.responseTime - dateValue) / 1000);
  const corrected = ageValue + (r.responseTime - r.requestTime) / 1000;
  const initial = Math.max(apparent, corrected);
  return Math.floor(initial + (nowMs - r.responseTime) / 1000);
}

/** The headers of a conditional request revalidating `r` (§4.3.1): If-None-Match and If-Modified-Since. */
export function conditionalHeaders(r: StoredResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const etag = one(r.headers.etag);
  if (etag !== undefined) out['if-none-match'] = etag;
  const lm = one(r.headers['last-modified']);
  if (lm !== undefined) out['if-modified-since'] = lm;
  return out;
}

export type LookupDecision =
  /** Serve it as is, with an Age header of `age`. */
  | { readonly kind: 'fresh'; readonly age: number; readonly lifetime: number }
  /** Serve it stale now and revalidate in the background (RFC 5861 §3). */
  | { readonly kind: 'stale-while-revalidate'; readonly age: number; readonly lifetime: number; readonly conditional: Record<string, string> }
  /** Ask the origin first with these conditional headers; a 304 makes the stored response usable. */
  | { readonly kind: 'revalidate'; readonly age: number; readonly lifetime: number; readonly reason: string; readonly conditional: Record<string, string> };

/**
 * What to do with a stored response for a new request (§4, §4.2.4, §5.2): fresh → serve; response
 * or request no-cache → revalidate; request max-age / min-fresh narrow freshness; when stale, serve
 * within the stale-while-revalidate window unless must-revalidate / proxy-revalidate (or s-maxage,
 * §5.2.2.10) forbid stale use; otherwise revalidate. (max-stale from clients is not honoured by
 * this shared cache: serving stale is its own decision.)
 */
export function lookupDecision(requestHeaders: Headers, r: StoredResponse, nowMs: number, o: PolicyOptions = {}): LookupDecision {
  const shared = o.shared ?? true;
  const age = currentAge(r, nowMs);
  const lifetime = freshnessLifetime(r.status, r.headers, r.responseTime, o).seconds;
  const conditional = conditionalHeaders(r);
  const req = parseCacheControl(requestHeaders['cache-control']);
  const res = parseCacheControl(r.headers['cache-control']);
  const pragmaNoCache = requestHeaders['cache-control'] === undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(one(requestHeaders.pragma) ?? '');
  if (res.has('no-cache')) return { kind: 'revalidate', age, lifetime, reason: 'the response says no-cache (§5.2.2.4)', conditional };
  if (req.has('no-cache') || pragmaNoCache) return { kind: 'revalidate', age, lifetime, reason: 'the request says no-cache (§5.2.1.4)', conditional };
  const reqMaxAge = deltaSeconds(req, 'max-age');
  if (reqMaxAge !== undefined && age > reqMaxAge)
    return { kind: 'revalidate', age, lifetime, reason: `older than the request's max-age=${reqMaxAge} (§5.2.1.1)`, conditional };
  const minFresh = deltaSeconds(req, 'min-fresh') ?? 0;
  if (lifetime > age + minFresh) return { kind: 'fresh', age, lifetime };
  if (lifetime > age) return { kind: 'revalidate', age, lifetime, reason: `fresh for less than the request's min-fresh=${minFresh} (§5.2.1.3)`, conditional };
  const noStale = res.has('must-revalidate') || (shared && (res.has('proxy-revalidate') || res.has('s-maxage')));
  const swr = deltaSeconds(res, 'stale-while-revalidate');
  if (!noStale && swr !== undefined && age < lifetime + swr) return { kind: 'stale-while-revalidate', age, lifetime, conditional };
  return { kind: 'revalidate', age, lifetime, reason: noStale ? 'stale, and the response forbids serving it stale (§4.2.4)' : 'stale', conditional };
}

/** Hop-by-hop fields and others a cache does not store or update (§3.1, RFC 9110 §7.6.1). */
const NOT_STORED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'trailer',
]);

/** The headers a cache stores from a response (§3.1): hop-by-hop and Connection-listed fields dropped. */
export function headersToStore(h: Headers): MutableHeaders {
  const listed = new Set(
    (one(h.connection) ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
  const out: MutableHeaders = {};
  for (const [k, v] of Object.entries(h)) {
    const name = k.toLowerCase();
    if (v === undefined || NOT_STORED.has(name) || listed.has(name)) continue;
    out[name] = v;
  }
  return out;
}

/** Does a 304 select this stored response (§4.3.4)? By strong ETag, else Last-Modified, else when neither is given. */
export function notModifiedMatches(stored: Headers, notModified: Headers): boolean {
  const et = one(notModified.etag);
  if (et !== undefined) {
    const s = one(stored.etag);
    return s !== undefined && !et.startsWith('W/') && s === et;
  }
  const lm = one(notModified['last-modified']);
  if (lm !== undefined) return one(stored['last-modified']) === lm;
  return true;
}

/**
 * The stored response after a 304 (§4.3.4, §3.2): every field of the 304 replaces the stored one,
 * except hop-by-hop ones and Content-Length; the age clock restarts with the revalidation's times.
 * Returns undefined when the 304 does not select this response (a different ETag): then the cache
 * must fetch in full.
 */
export function updateFromNotModified(
  stored: StoredResponse,
  notModifiedHeaders: Headers,
  requestTime: number,
  responseTime: number,
): StoredResponse | undefined {
  if (!notModifiedMatches(stored.headers, notModifiedHeaders)) return undefined;
  const headers: MutableHeaders = { ...headersToStore(stored.headers) };
  for (const [k, v] of Object.entries(headersToStore(notModifiedHeaders))) {
    if (k === 'content-length') continue;
    headers[k] = v;
  }
  return { status: stored.status, headers, requestTime, responseTime };
}

/** The field names a response varies on (lower case, in order), or '*' for Vary: *. */
export function varyFields(responseHeaders: Headers): string[] | '*' {
  const fields = (one(responseHeaders.vary) ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return fields.includes('*') ? '*' : [...new Set(fields)];
}

/**
 * The secondary key (§4.1): for each field the stored response varies on, the request's value
 * normalised (field lines joined, whitespace around commas collapsed; absent differs from empty).
 * Fields are taken sorted, so `Vary: a, b` and `Vary: b, a` give the same key.
 */
export function varyKey(fields: readonly string[], requestHeaders: Headers): string {
  return [...fields]
    .map((f) => f.toLowerCase())
    .sort()
    .map((f) => {
      const v = one(requestHeaders[f]);
      return v === undefined
        ? `${f}\u0000`
        : `${f}=${v
            .split(',')
            .map((p) => p.trim())
            .join(',')}`;
    })
    .join('\n');
}
