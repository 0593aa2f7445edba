import { describe, expect, it } from 'vitest';
import { DnsCache } from '../../src/dns/cache.ts';
import { DNS_TYPE, type DnsRecord } from '../../src/wire/dns-types.ts';

function clock(start = 1_000_000): { now: () => number; advance: (s: number) => void } {
  let t = start;
  return { now: () => t, advance: (s) => (t += s * 1000) };
}
const a = (name: string, address: string, ttl = 3600): DnsRecord => ({ name, type: DNS_TYPE.A, class: 1, ttl, data: { type: 'A', address } });
const soa = (ttl: number, minimum: number): DnsRecord => ({
  name: 'example.com',
  type: DNS_TYPE.SOA,
  class: 1,
  ttl,
  data: { type: 'SOA', mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 7200, retry: 900, expire: 1209600, minimum },
});

describe('DnsCache', () => {
  it('counts TTLs down and forgets an RRset when its TTL runs out', () => {
    const c = clock();
    const cache = new DnsCache({ clock: c });
    cache.putRrset([a('www.example.com', '192.0.2.1'), a('www.example.com', '192.0.2.2', 300)]);
    let hit = cache.get('WWW.example.com', DNS_TYPE.A);
    expect(hit).toMatchObject({ kind: 'rrset', ttl: 300 });
    c.advance(100);
    hit = cache.get('www.example.com', DNS_TYPE.A);
    expect(hit?.kind === 'rrset' && hit.records.map((r) => r.ttl)).toEqual([200, 200]);
    c.advance(200);
    expect(cache.get('www.example.com', DNS_TYPE.A)).toBeUndefined();
  });

  it('caps TTLs at the minimum and maximum', () => {
    const c = clock();
    const cache = new DnsCache({ clock: c, minTtl: 60, maxTtl: 600 });
    cache.putRrset([a('short.example', '192.0.2.1', 5)]);
    cache.putRrset([a('long.example', '192.0.2.2', 86400)]);
    expect(cache.get('short.example', 1)?.ttl).toBe(60);
    expect(cache.get('long.example', 1)?.ttl).toBe(600);
  });

  it('keeps negative answers for the SOA minimum (RFC 2308), NXDOMAIN for every type of the name', () => {
    const c = clock();
    const cache = new DnsCache({ clock: c });
    cache.putNegative('nope.example.com', DNS_TYPE.A, 'NXDOMAIN', soa(3600, 300));
    expect(cache.get('nope.example.com', DNS_TYPE.AAAA)).toMatchObject({ kind: 'negative', negative: 'NXDOMAIN', ttl: 300 });
    cache.putNegative('www.example.com', DNS_TYPE.AAAA, 'NODATA', soa(60, 300));
    expect(cache.get('www.example.com', DNS_TYPE.AAAA)).toMatchObject({ kind: 'negative', negative: 'NODATA', ttl: 60 });
    expect(cache.get('www.example.com', DNS_TYPE.A)).toBeUndefined();
    c.advance(300);
    expect(cache.get('nope.example.com', DNS_TYPE.A)).toBeUndefined();
    cache.putNegative('x.example.com', 1, 'NXDOMAIN', undefined);
    expect(cache.get('x.example.com', 1)).toBeUndefined();
  });

  it('stays within its size bound, evicting the least recently used entry', () => {
    const cache = new DnsCache({ maxEntries: 3 });
    for (const n of ['a', 'b', 'c']) cache.putRrset([a(`${n}.example`, '192.0.2.1')]);
    cache.get('a.example', 1); // a is now the most recently used
    cache.putRrset([a('d.example', '192.0.2.4')]);
    expect(cache.size).toBe(3);
    expect(cache.evictions).toBe(1);
    expect(cache.get('b.example', 1)).toBeUndefined();
    expect(cache.get('a.example', 1)).toBeDefined();
    for (let i = 0; i < 1000; i++) cache.putRrset([a(`n${i}.example`, '192.0.2.9')]);
    expect(cache.size).toBe(3);
  });

  it('refuses bad options by name', () => {
    expect(() => new DnsCache({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new DnsCache({ minTtl: 700, maxTtl: 600 })).toThrow(/minTtl/);
  });

  it('prints its rows with the TTL left', () => {
    const c = clock();
    const cache = new DnsCache({ clock: c });
    cache.putRrset([a('www.example.com', '192.0.2.1', 3600)]);
    cache.putNegative('nope.example.com', 1, 'NXDOMAIN', soa(3600, 300));
    c.advance(10);
    expect(
      cache.rows(
        (r) => (r.data.type === 'A' ? r.data.address : '?'),
        (t) => (t === 1 ? 'A' : String(t)),
      ),
    ).toEqual([
      { name: 'nope.example.com', type: '*', ttl: 290, data: 'NXDOMAIN' },
      { name: 'www.example.com', type: 'A', ttl: 3590, data: '192.0.2.1' },
    ]);
  });
});
