// The resolver's cache as the labs print it: name, type, seconds left, data.

import type { DnsCache, CacheRow } from '../../src/dns/index.ts';
import { rdataText } from '../../src/wire/index.ts';
import { dnsTypeName } from '../../src/wire/index.ts';
import type { Cell } from '../../src/lab/index.ts';

export const CACHE_HEAD = ['name', 'type', 'TTL left (s)', 'data'] as const;

export function cacheRows(cache: DnsCache): CacheRow[] {
  return cache.rows((r) => rdataText(r.data), dnsTypeName);
}

export function cacheTable(cache: DnsCache): Cell[][] {
  return cacheRows(cache).map((r) => [r.name || '.', r.type, r.ttl, r.data]);
}

/** The row for name/type ('*' is a name's NXDOMAIN entry), or undefined. */
export function cacheRow(cache: DnsCache, name: string, type: string): CacheRow | undefined {
  return cacheRows(cache).find((r) => r.name.toLowerCase() === name.toLowerCase() && r.type === type);
}
