import { describe, expect, it } from 'vitest';
import { DnsCache } from '../../src/dns/cache.ts';
import { Resolver } from '../../src/dns/resolver.ts';
import type { ResolverEvent } from '../../src/dns/resolver-types.ts';
import { DNS_TYPE } from '../../src/wire/dns-types.ts';
import { FakeHierarchy, ROOT_HINTS, rr, standardHierarchy } from './fake-hierarchy.ts';

function clock(): { now: () => number; advance: (s: number) => void } {
  let t = 0;
  return { now: () => t, advance: (s) => (t += s * 1000) };
}
const kinds = (events: ResolverEvent[]): string[] => events.map((e) => e.kind);
const queried = (events: ResolverEvent[]): string[] =>
  events.flatMap((e) => (e.kind === 'query' ? [`${e.server.address} ${e.name}${e.tcp ? ' tcp' : ''}`] : []));

describe('Resolver', () => {
  it('walks root -> TLD -> authoritative, then answers from the cache with a lower TTL', async () => {
    const c = clock();
    const h = standardHierarchy();
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: h, cache: new DnsCache({ clock: c }) });
    const first = await r.resolve('www.example.test', DNS_TYPE.A);
    expect(first.rcode).toBe(0);
    expect(first.answers.map((a) => (a.data as { address: string }).address)).toEqual(['192.0.2.1']);
    expect(queried(first.events)).toEqual(['198.51.100.1 www.example.test', '198.51.100.2 www.example.test', '198.51.100.3 www.example.test']);
    expect(first.events.filter((e) => e.kind === 'referral').map((e) => (e.kind === 'referral' ? `${e.from} -> ${e.to}` : ''))).toEqual([
      '. -> test',
      'test -> example.test',
    ]);
    c.advance(100);
    const again = await r.resolve('www.example.test', DNS_TYPE.A);
    expect(again.fromCache).toBe(true);
    expect(again.answers[0].ttl).toBe(200);
    c.advance(200);
    const expired = await r.resolve('www.example.test', DNS_TYPE.A);
    // The TTL ran out: asked again, starting from the cached delegation of example.test and its glue.
    expect(queried(expired.events)).toEqual(['198.51.100.3 www.example.test']);
  });

  it('caches NXDOMAIN for the SOA minimum', async () => {
    const c = clock();
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: standardHierarchy(), cache: new DnsCache({ clock: c }) });
    const nx = await r.resolve('nope.example.test', DNS_TYPE.A);
    expect(nx.rcode).toBe(3);
    expect(nx.authority[0]?.type).toBe(DNS_TYPE.SOA);
    const again = await r.resolve('nope.example.test', DNS_TYPE.AAAA);
    expect(again.rcode).toBe(3);
    expect(again.fromCache).toBe(true);
    c.advance(300);
    expect((await r.resolve('nope.example.test', DNS_TYPE.A)).fromCache).toBe(false);
  });

  it('returns NODATA for an empty non-terminal and for a missing type', async () => {
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: standardHierarchy() });
    const ent = await r.resolve('sub.example.test', DNS_TYPE.A);
    expect([ent.rcode, ent.answers.length]).toEqual([0, 0]);
    const aaaa = await r.resolve('www.example.test', DNS_TYPE.AAAA);
    expect([aaaa.rcode, aaaa.answers.length, aaaa.authority[0]?.type]).toEqual([0, 0, DNS_TYPE.SOA]);
  });

  it('chases a CNAME into another zone whose name server has no glue', async () => {
    const h = standardHierarchy();
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: h });
    const res = await r.resolve('alias.example.test', DNS_TYPE.A);
    expect(res.rcode).toBe(0);
    expect(res.answers.map((a) => a.type)).toEqual([DNS_TYPE.CNAME, DNS_TYPE.A]);
    expect(kinds(res.events)).toContain('cname');
    expect(res.events.some((e) => e.kind === 'glueless' && e.nameServer === 'ns.example.test')).toBe(true);
    expect(h.log.at(-1)?.address).toBe('198.51.100.5');
  });

  it('retries the other name server when one is silent, and falls back to TCP on truncation', async () => {
    const h = standardHierarchy();
    h.faults.set('198.51.100.3', 'silent');
    h.faults.set('198.51.100.4', 'truncate-udp');
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: h });
    const res = await r.resolve('www.example.test', DNS_TYPE.A);
    expect(res.rcode).toBe(0);
    expect(queried(res.events).slice(-3)).toEqual(['198.51.100.3 www.example.test', '198.51.100.4 www.example.test', '198.51.100.4 www.example.test tcp']);
    expect(kinds(res.events)).toEqual(expect.arrayContaining(['no-response', 'tcp-fallback']));
  });

  it('drops glue outside the bailiwick of the server that sent it', async () => {
    const h = standardHierarchy();
    h.forgedGlue.set('198.51.100.2', [rr.a('ns1.example.test', '203.0.113.66'), rr.a('www.victim.other', '203.0.113.66')]);
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: h });
    const events = (await r.resolve('www.example.test', DNS_TYPE.A)).events;
    const rejected = events.filter((e) => e.kind === 'glue' && !e.accepted).map((e) => (e.kind === 'glue' ? e.name : ''));
    expect(rejected).toContain('www.victim.other');
    expect(r.cache.get('www.victim.other', DNS_TYPE.A)).toBeUndefined();
    // The forged address for an in-bailiwick name server is glue from the server for "test": accepted
    // as glue (that is what bailiwick allows), but the answer still comes from a real server.
  });

  it('ends a lame delegation in SERVFAIL, with the reason', async () => {
    const h = standardHierarchy();
    h.faults.set('198.51.100.3', 'lame-upward');
    h.faults.set('198.51.100.4', 'servfail');
    const res = await new Resolver({ rootHints: ROOT_HINTS, transport: h }).resolve('www.example.test', DNS_TYPE.A);
    expect(res.rcode).toBe(2);
    expect(res.events.filter((e) => e.kind === 'lame')).toHaveLength(2);
    expect(res.events.at(-1)).toMatchObject({ kind: 'servfail', reason: expect.stringContaining('failed') });
  });

  it('stops a CNAME loop and a query storm with SERVFAIL', async () => {
    const h = new FakeHierarchy();
    h.serve('198.51.100.1', { origin: '', records: [rr.soa(''), rr.cname('a.loop', 'b.loop'), rr.cname('b.loop', 'a.loop')] });
    const r = new Resolver({ rootHints: ROOT_HINTS, transport: h, maxCnames: 8 });
    const loop = await r.resolve('a.loop', DNS_TYPE.A);
    expect(loop.rcode).toBe(2);
    expect(loop.queries).toBeLessThanOrEqual(10);
    const silent = new FakeHierarchy();
    const storm = await new Resolver({
      rootHints: Array.from({ length: 100 }, (_, i) => ({ name: `r${i}`, address: `198.51.100.${i}`, port: 53 })),
      transport: silent,
      maxQueries: 20,
    }).resolve('x.test', DNS_TYPE.A);
    expect(storm.rcode).toBe(2);
    expect(storm.queries).toBe(20);
  });

  it('shows each server only the labels it needs with QNAME minimisation (RFC 9156)', async () => {
    const h = standardHierarchy();
    const res = await new Resolver({ rootHints: ROOT_HINTS, transport: h, qnameMinimisation: true }).resolve('deep.sub.example.test', DNS_TYPE.A);
    expect(res.rcode).toBe(0);
    expect(queried(res.events)).toEqual([
      '198.51.100.1 test',
      '198.51.100.2 example.test',
      '198.51.100.3 sub.example.test',
      '198.51.100.3 deep.sub.example.test',
    ]);
  });
});
