// The proxy's HTTP cache at run time (RFC 9111), for routes with `cache: true`: the decisions are
// features/cache-policy.ts, the bounded LRU store and collapsed forwarding features/cache-store.ts.
//
// A GET is looked up (method, URL, Vary secondary key):
//   fresh                   → served from the store, Age set, X-Cache: HIT;
//   stale-while-revalidate  → served stale now (X-Cache: STALE), revalidated in the background;
//   revalidate / not stored → one upstream fetch per key at a time (collapsed forwarding: callers that
//                             arrive meanwhile wait for it and are then served from the store); a
//                             revalidation sends If-None-Match / If-Modified-Since and a 304 refreshes
//                             the stored response (X-Cache: REVALIDATED); a new response is stored when
//                             storable (X-Cache: MISS).
// The cache's own fetch reads the body whole (up to maxEntryBytes); a larger one is streamed on to
// the client that fetched it (read once from the upstream); an unstorable one is handed to that
// client as it came, and the clients that waited on the fetch go upstream by the normal path.
// Server-Sent Events never go through it: a request with Accept: text/event-stream bypasses the
// cache, and an event-stream response to one without is dropped and fetched again the streaming way.
// PURGE from an allowed address removes a URL's variants.

import type { ClusterRuntime } from './cluster.ts';
import type { ResponseReshaper } from './compress.ts';
import type { CacheConfig } from './config-features.ts';
import { isEventStream } from './forward.ts';
import {
  type Headers,
  headersToStore,
  isStorable,
  lookupDecision,
  type MutableHeaders,
  type StoredResponse,
  updateFromNotModified,
} from './features/cache-policy.ts';
import { type CacheEntry, CacheStore, CollapsedForwarding } from './features/cache-store.ts';
import { AddressSet, stripHopByHop } from './headers.ts';
import type { HttpClientResponse, HttpServerResponse, PooledConnection } from '../http/index.ts';
import type { RequestContext } from '../balance/index.ts';
import type { HttpField } from '../wire/http.ts';

export type CacheResult = 'HIT' | 'MISS' | 'REVALIDATED' | 'STALE';

/** Fields that make a request conditional or ranged: the cache's own fetch leaves the client's out. */
const CLIENT_CONDITIONALS = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']);

export function headerRecord(fields: readonly HttpField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const n = f.name.toLowerCase();
    out[n] = out[n] === undefined ? f.value : `${out[n]}, ${f.value}`;
  }
  return out;
}

function fieldsOf(h: Headers): HttpField[] {
  const out: HttpField[] = [];
  for (const [name, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out.push({ name, value: typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.join(', ') });
  }
  return out;
}

/** What one cache fetch left behind for the callers collapsed onto it. */
interface FetchOutcome {
  readonly stored: boolean;
  /** The response read whole (not a 304), for the caller that fetched it when it was not stored. */
  readonly response?: { readonly status: number; readonly fields: readonly HttpField[]; readonly body: Uint8Array };
  /**
   * A response too big to store: what was read so far and the rest as it comes, for the caller that
   * fetched it to stream (one upstream fetch, not a second one by the normal path). Whoever does not
   * stream it must discard it, or the upstream connection stays busy.
   */
  readonly passthrough?: Passthrough;
}

interface Passthrough {
  readonly status: number;
  readonly fields: readonly HttpField[];
  readonly body: AsyncIterable<Uint8Array>;
  discard(): void;
}

export interface CacheRequest {
  readonly url: string;
  readonly fields: readonly HttpField[];
  readonly upstreamFields: readonly HttpField[];
  readonly target: string;
  readonly cluster: ClusterRuntime;
  readonly ctx: RequestContext;
  readonly res: HttpServerResponse;
  readonly responseFields: readonly HttpField[];
  /** The route's compression hook: applied to what the cache sends too. */
  readonly reshape?: ResponseReshaper;
}

/** Writes a whole body, through the route's compression hook when there is one. */
async function writeWhole(r: CacheRequest, status: number, fields: HttpField[], body: Uint8Array): Promise<number> {
  const withLength = [...fields, { name: 'Content-Length', value: String(body.byteLength) }];
  const shaped = r.reshape?.(status, withLength);
  if (shaped === undefined) {
    r.res.writeHead(status, withLength);
    r.res.end(body);
    return r.res.request.method === 'HEAD' ? 0 : body.byteLength;
  }
  r.res.writeHead(status, shaped.fields);
  let n = 0;
  const once = (async function* () {
    yield body;
  })();
  for await (const chunk of shaped.body(once)) {
    n += chunk.length;
    if (!r.res.write(chunk)) await r.res.drained();
    if (r.res.aborted) return n;
  }
  r.res.end();
  return n;
}

/** Streams a response too big to store, through the route's compression hook when there is one. */
async function writeStream(r: CacheRequest, p: Passthrough, fields: HttpField[]): Promise<number> {
  const shaped = r.reshape?.(p.status, fields);
  r.res.writeHead(p.status, shaped?.fields ?? fields);
  let n = 0;
  try {
    for await (const chunk of shaped === undefined ? p.body : shaped.body(p.body)) {
      n += chunk.length;
      if (!r.res.write(chunk)) await r.res.drained();
      if (r.res.aborted) {
        p.discard();
        return n;
      }
    }
  } catch {
    p.discard();
    r.res.abortCut();
    return n;
  }
  r.res.end();
  return n;
}

export class ProxyCache {
  readonly config: CacheConfig;
  readonly store: CacheStore;
  private readonly collapse = new CollapsedForwarding<FetchOutcome>();
  private readonly purgers: AddressSet;
  /** Wall-clock time for HTTP dates and ages. */
  private readonly now: () => number;

  constructor(config: CacheConfig, now: () => number = Date.now) {
    this.config = config;
    this.store = new CacheStore({ maxBytes: config.maxBytes, ...(config.maxEntryBytes === undefined ? {} : { maxEntryBytes: config.maxEntryBytes }) });
    this.purgers = new AddressSet(config.purgeFrom);
    this.now = now;
  }

  get fetchStats(): { fetches: number; collapsed: number } {
    return this.collapse.stats;
  }

  /** PURGE: the status and text to answer (200 with the count, or 403 for an address not allowed). */
  purge(url: string, client: string): { status: 200 | 403; text: string } {
    if (!this.purgers.contains(client)) return { status: 403, text: `netlab proxy: ${client} may not purge the cache\n` };
    const n = this.store.purgeUrl(url);
    return { status: 200, text: `purged ${n} response${n === 1 ? '' : 's'} for ${url}\n` };
  }

  /**
   * Serves a GET from the cache when it can. Returns what was sent ({ result, status, bytes }), or
   * undefined when the request must go upstream by the normal path (forward), uncached.
   */
  async serve(r: CacheRequest): Promise<{ result: CacheResult; status: number; bytes: number } | undefined> {
    const reqHeaders = headerRecord(r.fields);
    const primary = CacheStore.primaryKey('GET', r.url);
    const entry = this.store.get('GET', r.url, reqHeaders);
    if (entry !== undefined) {
      const d = lookupDecision(reqHeaders, entry.response, this.now());
      if (d.kind === 'fresh') return this.send(r, entry, d.age, 'HIT', reqHeaders);
      if (d.kind === 'stale-while-revalidate') {
        void this.collapse
          .run(primary, () => this.fetch(r, reqHeaders, entry))
          .then((o) => o.passthrough?.discard())
          .catch(() => undefined);
        return this.send(r, entry, d.age, 'STALE', reqHeaders);
      }
    }
    const leader = this.collapse.waiting(primary) === 0;
    let outcome: FetchOutcome;
    try {
      outcome = await this.collapse.run(primary, () => this.fetch(r, reqHeaders, entry));
    } catch {
      return undefined;
    }
    if (!outcome.stored) {
      const pass = outcome.passthrough;
      if (pass !== undefined) {
        if (!leader) return undefined; // the leader streams it; the others go upstream themselves
        const fields = [...pass.fields, { name: 'X-Cache', value: 'MISS' }, ...r.responseFields];
        return { result: 'MISS', status: pass.status, bytes: await writeStream(r, pass, fields) };
      }
      const got = outcome.response;
      if (!leader || got === undefined) return undefined;
      // Not storable: the caller that fetched it gets it as it came (the others go upstream themselves).
      const fields = [...got.fields, { name: 'X-Cache', value: 'MISS' }, ...r.responseFields];
      if (got.status === 204) {
        r.res.writeHead(204, fields);
        r.res.end();
        return { result: 'MISS', status: 204, bytes: 0 };
      }
      return { result: 'MISS', status: got.status, bytes: await writeWhole(r, got.status, fields, got.body) };
    }
    const fresh = this.store.get('GET', r.url, reqHeaders);
    if (fresh === undefined) return undefined;
    const result: CacheResult = !leader ? 'HIT' : entry !== undefined && fresh.body === entry.body ? 'REVALIDATED' : 'MISS';
    return this.send(r, fresh, lookupDecision(reqHeaders, fresh.response, this.now()).age, result, reqHeaders);
  }

  /** One upstream fetch for the cache (conditional when `stale` is given); stores what it may. */
  private async fetch(r: CacheRequest, reqHeaders: Record<string, string>, stale: CacheEntry | undefined): Promise<FetchOutcome> {
    const picked = r.cluster.balancer.pick(r.ctx);
    if (picked.endpoint === undefined) return { stored: false };
    const ep = picked.endpoint;
    const conditional = stale === undefined ? {} : lookupConditional(stale);
    const fields = [
      ...r.upstreamFields.filter((f) => !CLIENT_CONDITIONALS.has(f.name.toLowerCase())),
      ...Object.entries(conditional).map(([name, value]) => ({ name, value })),
    ];
    const attempt = r.cluster.balancer.begin(ep);
    const requestTime = this.now();
    let res: HttpClientResponse;
    let lease: PooledConnection;
    try {
      lease = await r.cluster.pool.acquire(r.cluster.upstream(ep));
    } catch {
      attempt.finish({ error: 'connect' });
      return { stored: false };
    }
    try {
      res = await lease.connection.request({ method: 'GET', target: r.target, fields });
    } catch {
      r.cluster.pool.release(lease);
      attempt.finish({ error: 'connect' });
      return { stored: false };
    }
    attempt.firstByte();
    const status = res.head.status;
    if (isEventStream(res.head.fields)) {
      // An event stream never ends on its own: reading it whole would hold it forever. This one is
      // dropped and the request goes the streaming way (forward.ts). Requests that say
      // Accept: text/event-stream (every EventSource) never come here (proxy.ts).
      lease.connection.destroy();
      attempt.finish({ status });
      return { stored: false };
    }
    const resHeaders = headerRecord(res.head.fields);
    const limit = this.config.maxEntryBytes ?? Math.floor(this.config.maxBytes / 8);
    const parts: Buffer[] = [];
    let n = 0;
    let over = false;
    try {
      for await (const c of res.body) {
        n += c.length;
        parts.push(Buffer.from(c));
        if (n > limit) {
          over = true;
          break; // the rest stays queued in res.body for the passthrough
        }
      }
    } catch {
      attempt.finish({ error: 'reset' });
      return { stored: false };
    }
    if (over) {
      let finished = false;
      const finish = (o: Parameters<typeof attempt.finish>[0]): void => {
        if (!finished) attempt.finish(o);
        finished = true;
      };
      const upstreamBody = res.body;
      const body = (async function* () {
        try {
          for (const p of parts) yield p;
          for await (const c of upstreamBody) yield c;
        } catch (err) {
          finish({ error: 'reset' });
          throw err;
        }
        finish({ status });
      })();
      const discard = (): void => {
        upstreamBody.discard();
        finish({ status });
      };
      return { stored: false, passthrough: { status, fields: stripHopByHop(res.head.fields), body, discard } };
    }
    attempt.finish({ status });
    const responseTime = this.now();
    if (status === 304 && stale !== undefined) {
      // A Set-Cookie on the 304 answers the request that revalidated (another client's session): it
      // must not join the stored headers, or every later hit would hand that cookie to everyone.
      const { 'set-cookie': _cookie, ...shared } = resHeaders;
      const updated = updateFromNotModified(stale.response, shared, requestTime, responseTime);
      if (updated === undefined) return { stored: false };
      return { stored: this.store.update(stale.key, updated) };
    }
    const body = Buffer.concat(parts, n);
    const whole = { status, fields: stripHopByHop(res.head.fields, new Set(['content-length'])), body };
    if (status === 304 || status < 200) return { stored: false };
    if (resHeaders['set-cookie'] !== undefined) return { stored: false, response: whole };
    if (!isStorable('GET', reqHeaders, status, resHeaders).storable) return { stored: false, response: whole };
    const stored: StoredResponse = { status, headers: headersToStore(resHeaders) as MutableHeaders, requestTime, responseTime };
    return { stored: this.store.put('GET', r.url, reqHeaders, stored, body).stored, response: whole };
  }

  /** Writes a stored response (or a 304 for a client whose validator matches). */
  private async send(
    r: CacheRequest,
    e: CacheEntry,
    age: number,
    result: CacheResult,
    reqHeaders: Record<string, string>,
  ): Promise<{ result: CacheResult; status: number; bytes: number }> {
    const stored = e.response.headers;
    const fields = fieldsOf(stored).filter((f) => !['age', 'content-length', 'x-cache'].includes(f.name));
    fields.push({ name: 'Age', value: String(age) }, { name: 'X-Cache', value: result }, ...r.responseFields);
    const etag = typeof stored.etag === 'string' ? stored.etag : undefined;
    const inm = reqHeaders['if-none-match'];
    if (etag !== undefined && inm !== undefined && e.response.status === 200) {
      const weak = (s: string): string => s.trim().replace(/^W\//, '');
      if (inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag))) {
        // RFC 9110 §15.4.5: the 304 carries the ETag and Vary the 200 would have carried, and with
        // compression on the route those are the compressed variant's (a weak ETag, Vary:
        // Accept-Encoding). The body-less 304 gets them from the hook's answer for that 200 (which the
        // compression counter then counts too).
        const as200 = r.reshape?.(200, [...fields, { name: 'Content-Length', value: String(e.body.byteLength) }]);
        const notModified = as200 === undefined ? fields : as200.fields.filter((f) => !['content-length', 'content-encoding'].includes(f.name.toLowerCase()));
        r.res.writeHead(304, notModified);
        r.res.end();
        return { result, status: 304, bytes: 0 };
      }
    }
    const status = e.response.status;
    if (status === 204) {
      r.res.writeHead(204, fields);
      r.res.end();
      return { result, status, bytes: 0 };
    }
    return { result, status, bytes: await writeWhole(r, status, fields, e.body) };
  }
}

function lookupConditional(e: CacheEntry): Record<string, string> {
  const out: Record<string, string> = {};
  const h = e.response.headers;
  if (typeof h.etag === 'string') out['If-None-Match'] = h.etag;
  if (typeof h['last-modified'] === 'string') out['If-Modified-Since'] = h['last-modified'];
  return out;
}
