// The resolver's cache: positive RRsets and negative answers (NXDOMAIN, NODATA; RFC 2308), each with
// a TTL that counts down on a clock, capped by a minimum and a maximum, in a bounded store that evicts
// the least recently used entry. What comes out carries the remaining TTL, as a resolver answers.

import type { DnsRecord } from '../wire/dns-types.ts';
import { NetlabRangeError } from '../base/errors.ts';

/** Milliseconds on some clock (tests and labs move it by hand). */
export interface CacheClock {
  now(): number;
}

export interface CacheOptions {
  /** Entries kept at most (RRsets and negative answers together). Default 10,000. */
  maxEntries?: number;
  /** TTLs below this are raised to it, in seconds. Default 0. */
  minTtl?: number;
  /** TTLs above this are cut to it, in seconds. Default 86,400 (one day). */
  maxTtl?: number;
  /** Negative answers are kept at most this long, in seconds (RFC 2308 §5 suggests 1 to 3 hours). Default 10,800. */
  maxNegativeTtl?: number;
  clock?: CacheClock;
}

export type NegativeKind = 'NXDOMAIN' | 'NODATA';

interface Entry {
  kind: 'rrset' | 'negative';
  name: string;
  type: number;
  expires: number;
  records: DnsRecord[];
  negative?: NegativeKind;
  /** The SOA that justified a negative answer (returned in the authority section). */
  soa?: DnsRecord;
}

export type CacheHit = { kind: 'rrset'; records: DnsRecord[]; ttl: number } | { kind: 'negative'; negative: NegativeKind; soa?: DnsRecord; ttl: number };

/** A row of the printable cache. */
export interface CacheRow {
  name: string;
  type: string;
  /** Seconds left. */
  ttl: number;
  /** The data, or NXDOMAIN / NODATA. */
  data: string;
}

const lower = (name: string): string => name.toLowerCase();
const key = (name: string, type: number): string => `${lower(name)}|${type}`;
/** NXDOMAIN applies to every type of a name: one key per name. */
const nxKey = (name: string): string => `${lower(name)}|NX`;

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly minTtl: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly clock: CacheClock;
  /** Entries dropped to keep within maxEntries. */
  evictions = 0;
  /** Goes up whenever an entry is stored or the cache is cleared (answers built from it may be stale). */
  version = 0;

  constructor(options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.minTtl = options.minTtl ?? 0;
    this.maxTtl = options.maxTtl ?? 86_400;
    this.maxNegativeTtl = options.maxNegativeTtl ?? 10_800;
    this.clock = options.clock ?? { now: () => Date.now() };
    for (const [name, v] of [
      ['maxEntries', this.maxEntries],
      ['minTtl', this.minTtl],
      ['maxTtl', this.maxTtl],
      ['maxNegativeTtl', this.maxNegativeTtl],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new NetlabRangeError(`cache option ${name} must be a whole number >= 0, got ${v}`);
    }
    if (this.maxEntries < 1) throw new NetlabRangeError('cache option maxEntries must be at least 1');
    if (this.minTtl > this.maxTtl) throw new NetlabRangeError(`cache option minTtl (${this.minTtl}) is above maxTtl (${this.maxTtl})`);
  }

  /** The cache's clock, in ms (answers built from the cache count their TTLs down on it). */
  now(): number {
    return this.clock.now();
  }

  get size(): number {
    return this.entries.size;
  }

  private capped(ttl: number, max = this.maxTtl): number {
    return Math.min(Math.max(ttl, this.minTtl), max);
  }

  private put(k: string, e: Entry): void {
    this.version++;
    this.entries.delete(k);
    this.entries.set(k, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evictions++;
    }
  }

  /** Stores an RRset (records of one name and type; the smallest TTL of the set counts). */
  putRrset(records: readonly DnsRecord[]): void {
    if (records.length === 0) return;
    const { name, type } = records[0];
    if (records.some((r) => lower(r.name) !== lower(name) || r.type !== type))
      throw new NetlabRangeError(`putRrset: records of more than one name and type (${name} ${type})`);
    const ttl = this.capped(Math.min(...records.map((r) => r.ttl)));
    if (ttl === 0) return;
    // A positive answer replaces a negative one for the same name.
    this.entries.delete(nxKey(name));
    this.put(key(name, type), { kind: 'rrset', name, type, expires: this.clock.now() + ttl * 1000, records: records.map((r) => ({ ...r })) });
  }

  /**
   * Stores a negative answer. Its TTL is the SOA's MINIMUM or the SOA record's own TTL, whichever is
   * smaller (RFC 2308 §5), capped by maxNegativeTtl; without an SOA nothing is cached (§5: "SHOULD NOT").
   */
  putNegative(name: string, type: number, negative: NegativeKind, soa: DnsRecord | undefined): void {
    if (soa === undefined || soa.data.type !== 'SOA') return;
    const ttl = this.capped(Math.min(soa.ttl, soa.data.minimum), this.maxNegativeTtl);
    if (ttl === 0) return;
    const e: Entry = { kind: 'negative', name, type, expires: this.clock.now() + ttl * 1000, records: [], negative, soa: { ...soa } };
    this.put(negative === 'NXDOMAIN' ? nxKey(name) : key(name, type), e);
  }

  /** What the cache knows of name/type now, with the TTL left; undefined when nothing (or expired). */
  get(name: string, type: number): CacheHit | undefined {
    const now = this.clock.now();
    for (const k of [nxKey(name), key(name, type)]) {
      const e = this.entries.get(k);
      if (e === undefined) continue;
      if (e.expires <= now) {
        this.entries.delete(k);
        continue;
      }
      // Touch: recently used entries are evicted last.
      this.entries.delete(k);
      this.entries.set(k, e);
      const ttl = Math.ceil((e.expires - now) / 1000);
      if (e.kind === 'negative') return { kind: 'negative', negative: e.negative as NegativeKind, soa: e.soa && { ...e.soa, ttl }, ttl };
      return { kind: 'rrset', records: e.records.map((r) => ({ ...r, ttl })), ttl };
    }
    return undefined;
  }

  /**
   * When what the cache knows of name/type runs out (clock ms, exact: get() rounds the TTL it hands
   * out up to whole seconds); undefined when nothing is cached. Does not count as a use.
   */
  expiresAt(name: string, type: number): number | undefined {
    const now = this.clock.now();
    for (const k of [nxKey(name), key(name, type)]) {
      const e = this.entries.get(k);
      if (e !== undefined && e.expires > now) return e.expires;
    }
    return undefined;
  }

  /** Drops expired entries (get() also drops what it meets). */
  prune(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
  }

  clear(): void {
    this.version++;
    this.entries.clear();
  }

  /** The live entries, for printing: name, type, seconds left, data. */
  rows(describe: (r: DnsRecord) => string, typeName: (t: number) => string): CacheRow[] {
    this.prune();
    const now = this.clock.now();
    const out: CacheRow[] = [];
    for (const e of this.entries.values()) {
      const ttl = Math.ceil((e.expires - now) / 1000);
      if (e.kind === 'negative') out.push({ name: e.name, type: e.negative === 'NXDOMAIN' ? '*' : typeName(e.type), ttl, data: e.negative as string });
      else for (const r of e.records) out.push({ name: r.name, type: typeName(r.type), ttl, data: describe(r) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  }
}
