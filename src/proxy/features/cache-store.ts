// The proxy's response store: bounded by bytes with least-recently-used eviction, keyed by method
// and URL (the primary key, RFC 9111 §2) plus the request values of the fields the response varies
// on (the secondary key, §4.1), with purges by key, by URL and by URL prefix. And collapsed
// forwarding: while one upstream fetch for a key is on its way, other callers for the same key wait
// for it instead of sending their own, and all of them get its answer or its error.

import { NetlabError, NetlabRangeError } from '../../base/errors.ts';
import { type Headers, type StoredResponse, varyFields, varyKey } from './cache-policy.ts';

const LAYER = { layer: 'proxy' } as const;

export interface CacheEntry {
  /** The full key: method, URL and the Vary secondary key. */
  readonly key: string;
  readonly method: string;
  readonly url: string;
  readonly response: StoredResponse;
  readonly body: Uint8Array;
  /** Bytes this entry counts against the bound (body, headers and key). */
  readonly bytes: number;
}

export interface CacheStoreOptions {
  /** Most bytes held in all (bodies, headers and keys). */
  readonly maxBytes: number;
  /** Largest single entry (default an eighth of maxBytes): one big body must not flush everything. */
  readonly maxEntryBytes?: number;
}

export type PutResult =
  | { readonly stored: true; readonly key: string; readonly evicted: readonly string[] }
  | { readonly stored: false; readonly reason: string };

export interface CacheStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

function headerBytes(h: Headers): number {
  let n = 0;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.join(', ');
    n += k.length + s.length + 4;
  }
  return n;
}

const ENTRY_OVERHEAD = 64;

export class CacheStore {
  private readonly entries = new Map<string, CacheEntry>();
  /** Primary key → the fields its stored responses vary on, and how many variants it holds. */
  private readonly varyIndex = new Map<string, { fields: readonly string[]; count: number }>();
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private used = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;

  constructor(o: CacheStoreOptions) {
    if (!(Number.isInteger(o.maxBytes) && o.maxBytes > 0))
      throw new NetlabRangeError(`cache maxBytes must be a whole number above 0, got ${o.maxBytes}`, LAYER);
    const me = o.maxEntryBytes ?? Math.floor(o.maxBytes / 8);
    if (!(Number.isInteger(me) && me > 0 && me <= o.maxBytes))
      throw new NetlabRangeError(`cache maxEntryBytes must be a whole number from 1 to maxBytes (${o.maxBytes}), got ${me}`, LAYER);
    this.maxBytes = o.maxBytes;
    this.maxEntryBytes = me;
  }

  /** The primary key: method (upper case) and URL. */
  static primaryKey(method: string, url: string): string {
    return `${method.toUpperCase()} ${url}`;
  }

  /** The full key a request would be stored or found under, given the fields to vary on. */
  static fullKey(method: string, url: string, fields: readonly string[], requestHeaders: Headers): string {
    return `${CacheStore.primaryKey(method, url)}\n${varyKey(fields, requestHeaders)}`;
  }

  /** The entry matching a request (it becomes the most recently used), or undefined. */
  get(method: string, url: string, requestHeaders: Headers): CacheEntry | undefined {
    const primary = CacheStore.primaryKey(method, url);
    const fields = this.varyIndex.get(primary)?.fields;
    const e = fields === undefined ? undefined : this.entries.get(CacheStore.fullKey(method, url, fields, requestHeaders));
    if (e === undefined) {
      this.missCount++;
      return undefined;
    }
    this.entries.delete(e.key);
    this.entries.set(e.key, e);
    this.hitCount++;
    return e;
  }

  /**
   * Stores a response for a request (replacing the variant with the same key), evicting the least
   * recently used entries to stay within maxBytes. Storability is the caller's decision
   * (cache-policy's isStorable); a response with Vary: * or above maxEntryBytes is refused here too.
   */
  put(method: string, url: string, requestHeaders: Headers, response: StoredResponse, body: Uint8Array): PutResult {
    const fields = varyFields(response.headers);
    if (fields === '*') return { stored: false, reason: 'Vary: * cannot be matched' };
    const primary = CacheStore.primaryKey(method, url);
    const key = CacheStore.fullKey(method, url, fields, requestHeaders);
    const bytes = body.byteLength + headerBytes(response.headers) + key.length + ENTRY_OVERHEAD;
    if (bytes > this.maxEntryBytes) return { stored: false, reason: `the entry takes ${bytes} bytes, above maxEntryBytes ${this.maxEntryBytes}` };
    const old = this.varyIndex.get(primary);
    // Variants stored under other Vary fields could no longer be found: drop them.
    if (old !== undefined && old.fields.join(',') !== fields.join(',')) this.removeWhere((e) => e.method === method.toUpperCase() && e.url === url);
    const previous = this.entries.get(key);
    if (previous !== undefined) this.remove(previous);
    const evicted: string[] = [];
    while (this.used + bytes > this.maxBytes) {
      const oldest = this.entries.values().next().value as CacheEntry;
      this.remove(oldest);
      this.evictionCount++;
      evicted.push(oldest.key);
    }
    const entry: CacheEntry = { key, method: method.toUpperCase(), url, response, body, bytes };
    this.entries.set(key, entry);
    this.used += bytes;
    const idx = this.varyIndex.get(primary);
    if (idx === undefined) this.varyIndex.set(primary, { fields, count: 1 });
    else idx.count++;
    return { stored: true, key, evicted };
  }

  /** Replaces the stored response of an entry (after a 304) without touching its body. */
  update(key: string, response: StoredResponse): boolean {
    const e = this.entries.get(key);
    if (e === undefined) return false;
    const bytes = e.body.byteLength + headerBytes(response.headers) + key.length + ENTRY_OVERHEAD;
    const fields = varyFields(response.headers);
    const idx = this.varyIndex.get(CacheStore.primaryKey(e.method, e.url));
    this.remove(e);
    // Too big now, or varying on other fields (the key would no longer match): dropped, fetch again.
    if (bytes > this.maxEntryBytes || fields === '*' || idx === undefined || idx.fields.join(',') !== fields.join(',')) return false;
    while (this.used + bytes > this.maxBytes) {
      this.remove(this.entries.values().next().value as CacheEntry);
      this.evictionCount++;
    }
    this.entries.set(key, { ...e, response, bytes });
    this.used += bytes;
    const again = this.varyIndex.get(CacheStore.primaryKey(e.method, e.url));
    if (again === undefined) this.varyIndex.set(CacheStore.primaryKey(e.method, e.url), { fields, count: 1 });
    else again.count++;
    return true;
  }

  private remove(e: CacheEntry): void {
    this.entries.delete(e.key);
    this.used -= e.bytes;
    const primary = CacheStore.primaryKey(e.method, e.url);
    const idx = this.varyIndex.get(primary);
    if (idx !== undefined && --idx.count <= 0) this.varyIndex.delete(primary);
  }

  private removeWhere(pred: (e: CacheEntry) => boolean): number {
    const doomed = [...this.entries.values()].filter(pred);
    for (const e of doomed) this.remove(e);
    return doomed.length;
  }

  /** Removes one entry by its full key. */
  purge(key: string): boolean {
    const e = this.entries.get(key);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  /** Removes every variant stored for a URL (for one method, or all). Returns how many. */
  purgeUrl(url: string, method?: string): number {
    const m = method?.toUpperCase();
    return this.removeWhere((e) => e.url === url && (m === undefined || e.method === m));
  }

  /** Removes every entry whose URL starts with `prefix`. Returns how many. */
  purgePrefix(prefix: string): number {
    if (prefix === '') throw new NetlabError('ERR_ARGUMENT', 'purgePrefix needs a non-empty prefix (use clear() to empty the store)', LAYER);
    return this.removeWhere((e) => e.url.startsWith(prefix));
  }

  clear(): void {
    this.entries.clear();
    this.varyIndex.clear();
    this.used = 0;
  }

  /** Full keys, least recently used first. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get stats(): CacheStoreStats {
    return { entries: this.entries.size, bytes: this.used, hits: this.hitCount, misses: this.missCount, evictions: this.evictionCount };
  }
}

export interface CollapsedStats {
  /** Upstream fetches started. */
  readonly fetches: number;
  /** Callers that waited on another caller's fetch instead of starting one. */
  readonly collapsed: number;
  /** Fetches on their way now. */
  readonly inFlight: number;
}

/**
 * Collapsed forwarding: `run(key, fetch)` starts `fetch` for the first caller of a key; callers that
 * arrive while it is on its way get the same promise, so they all receive its value or its error.
 * The key is free again once the fetch settles. `maxWaiters` bounds the callers per key (ERR_LIMIT).
 */
export class CollapsedForwarding<T> {
  private readonly pending = new Map<string, { promise: Promise<T>; waiters: number }>();
  private readonly maxWaiters: number;
  private fetchCount = 0;
  private collapsedCount = 0;

  constructor(o: { readonly maxWaiters?: number } = {}) {
    const m = o.maxWaiters ?? 10_000;
    if (!(Number.isInteger(m) && m > 0)) throw new NetlabRangeError(`maxWaiters must be a whole number above 0, got ${m}`, LAYER);
    this.maxWaiters = m;
  }

  run(key: string, fetch: () => Promise<T>): Promise<T> {
    const p = this.pending.get(key);
    if (p !== undefined) {
      if (p.waiters >= this.maxWaiters) {
        return Promise.reject(
          new NetlabError('ERR_LIMIT', `${p.waiters} callers already wait on the fetch for ${JSON.stringify(key)} (maxWaiters ${this.maxWaiters})`, LAYER),
        );
      }
      p.waiters++;
      this.collapsedCount++;
      return p.promise;
    }
    this.fetchCount++;
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(fetch());
    } catch (e) {
      promise = Promise.reject(e);
    }
    const settled = promise.finally(() => {
      if (this.pending.get(key)?.promise === settled) this.pending.delete(key);
    });
    this.pending.set(key, { promise: settled, waiters: 1 });
    return settled;
  }

  /** Callers waiting on the fetch for a key (0 when none is on its way). */
  waiting(key: string): number {
    return this.pending.get(key)?.waiters ?? 0;
  }

  get stats(): CollapsedStats {
    return { fetches: this.fetchCount, collapsed: this.collapsedCount, inFlight: this.pending.size };
  }
}
