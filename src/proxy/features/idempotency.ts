// Idempotency keys (draft-ietf-httpapi-idempotency-key-header), free of sockets: a table of keys
// seen, each either in progress or finished with its stored response. The first request with a key
// goes to the upstream; a copy while it runs gets 409; a copy after it gets the stored response; the
// same key on a different request (method, path or body differ) gets 422. Memory is bounded: at most
// maxEntries keys (least recently used forgotten first) and a finished answer is kept ttlMs.

import { createHash } from 'node:crypto';
import { NetlabRangeError } from '../../base/errors.ts';
import type { NetClock } from '../../base/timer-clock.ts';
import type { HttpField } from '../../wire/http.ts';

export interface StoredResponse {
  readonly status: number;
  readonly fields: readonly HttpField[];
  readonly body: Uint8Array;
}

type Entry =
  | { readonly state: 'pending'; readonly fingerprint: string; readonly token: number }
  | { readonly state: 'done'; readonly fingerprint: string; readonly response: StoredResponse; readonly expiresAt: number };

export type IdempotencyDecision =
  /** First time: forward it, then complete() or release() with this token. */
  | { readonly kind: 'new'; readonly token: number }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

/** What identifies "the same request" under one key: method, target and body, hashed. */
export function requestFingerprint(method: string, target: string, body: Uint8Array): string {
  const h = createHash('sha256');
  h.update(`${method}\n${target}\n`);
  h.update(body);
  return h.digest('base64url');
}

/** A valid key: 1 to 255 visible ASCII characters (a Structured Field String's content, unquoted or quoted). */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  return /^[\x21-\x7e]{1,255}$/.test(v) ? v : undefined;
}

export class IdempotencyStore {
  private readonly table = new Map<string, Entry>();
  private readonly clock: NetClock;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private nextToken = 1;

  constructor(opts: { clock: NetClock; ttlMs: number; maxEntries: number }) {
    if (!(Number.isInteger(opts.maxEntries) && opts.maxEntries > 0))
      throw new NetlabRangeError(`maxEntries must be a whole number above 0, got ${opts.maxEntries}`, { layer: 'proxy' });
    if (!(opts.ttlMs > 0)) throw new NetlabRangeError(`ttlMs must be above 0, got ${opts.ttlMs}`, { layer: 'proxy' });
    this.clock = opts.clock;
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries;
  }

  /** Keys held now (never more than maxEntries). */
  get size(): number {
    return this.table.size;
  }

  begin(key: string, fingerprint: string): IdempotencyDecision {
    const now = this.clock.now();
    const e = this.table.get(key);
    if (e !== undefined && e.state === 'done' && e.expiresAt <= now) this.table.delete(key);
    else if (e !== undefined) {
      this.table.delete(key);
      this.table.set(key, e);
      if (e.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return e.state === 'pending' ? { kind: 'in-progress' } : { kind: 'replay', response: e.response };
    }
    const token = this.nextToken++;
    this.table.set(key, { state: 'pending', fingerprint, token });
    this.evict();
    return { kind: 'new', token };
  }

  /** Stores the answer of the request that holds `token` (nothing if the key was forgotten meanwhile). */
  complete(key: string, token: number, response: StoredResponse): void {
    const e = this.table.get(key);
    if (e === undefined || e.state !== 'pending' || e.token !== token) return;
    this.table.set(key, { state: 'done', fingerprint: e.fingerprint, response, expiresAt: this.clock.now() + this.ttlMs });
  }

  /** Forgets a key whose request got no answer worth keeping, so a retry runs again. */
  release(key: string, token: number): void {
    const e = this.table.get(key);
    if (e !== undefined && e.state === 'pending' && e.token === token) this.table.delete(key);
  }

  private evict(): void {
    const now = this.clock.now();
    for (const [k, e] of this.table) {
      if (this.table.size <= this.maxEntries) break;
      if (e.state === 'done' && e.expiresAt <= now) this.table.delete(k);
    }
    while (this.table.size > this.maxEntries) {
      const oldest = this.table.keys().next().value as string;
      this.table.delete(oldest);
    }
  }
}
