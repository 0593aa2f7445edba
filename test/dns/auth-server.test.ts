import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthResponder } from '../../src/dns/auth-answer.ts';
import { AuthServer, type AuthQueryEvent } from '../../src/dns/auth-server.ts';
import { ZoneSet } from '../../src/dns/zone-set.ts';
import { Zone, ZoneError } from '../../src/dns/zone.ts';
import { parseZoneText } from '../../src/dns/zone-file.ts';
import { lookupInZone } from '../../src/dns/zone-lookup.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { recordText } from '../../src/wire/dns-text.ts';
import { DNS_RCODE, type DnsMessage, type DnsRecord } from '../../src/wire/dns-types.ts';
import { decoded, query, tcpExchange, udpExchange } from './dns-client.ts';
import { rng } from '../helpers/rng.ts';
import { EXAMPLE_ZONE, exampleZone } from './zones.ts';
import { ViewTable } from '../../src/dns/views.ts';

const ADDR = '127.0.0.1';
const lines = (rs: readonly DnsRecord[]): string[] => rs.map(recordText);
const addrs = (m: DnsMessage): string[] => m.answers.map((r) => (r.data.type === 'A' || r.data.type === 'AAAA' ? r.data.address : recordText(r)));

describe('zone checks', () => {
  const soa = '$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n';
  const bad: [string, RegExp][] = [
    ['$TTL 60\n@ NS ns\n', /has no SOA record/],
    [soa + 'www CNAME a\nwww A 127.0.0.2\n', /^z\.zone:6:1: zone z\.test: www\.z\.test has a CNAME and A data/],
    [soa + '@ CNAME a\n', /CNAME at the apex/],
    [soa + 'x.other. A 127.0.0.2\n', /^z\.zone:5:1: .*outside the zone/],
    [soa + 'sub NS ns.sub\nsub MX 1 a\n', /^z\.zone:6:1: .*sub\.z\.test MX is at or below the delegation/],
    ['$TTL 60\n@ SOA ns h 1 2 3 4 5\n', /no NS records at the apex/],
  ];
  for (const [text, reason] of bad) {
    it(`refuses: ${reason.source.slice(0, 40)}`, () => {
      expect(() => Zone.fromText('z.test', text, 'z.zone')).toThrow(ZoneError);
      expect(() => Zone.fromText('z.test', text, 'z.zone')).toThrow(reason);
    });
  }

  it('keeps an RRset once and gives it the lowest TTL', () => {
    const z = Zone.fromText('z.test', soa + 'a 100 A 127.0.0.2\na 50 A 127.0.0.3\na 70 A 127.0.0.2\n');
    expect(lines(z.rrset('a.z.test', 1)?.records ?? [])).toEqual(['a.z.test.\t50\tIN\tA\t127.0.0.2', 'a.z.test.\t50\tIN\tA\t127.0.0.3']);
  });

  it('looks up CNAME chains, wildcards, empty non-terminals and delegations', () => {
    const z = exampleZone();
    const kind = (n: string, t: number): string => {
      const r = lookupInZone(z, n, t);
      return `${r.kind}:${r.answer.map((s) => `${s.name}/${s.type}`).join(',')}`;
    };
    expect(kind('chain.example.test', 1)).toBe('answer:chain.example.test/5,alias.example.test/5,www.example.test/1');
    expect(kind('CHAIN.Example.TEST', 5)).toBe('answer:chain.example.test/5');
    expect(kind('dangling.example.test', 1)).toBe('nxdomain:dangling.example.test/5');
    expect(kind('away.example.test', 1)).toBe('cname:away.example.test/5');
    expect(kind('loop1.example.test', 1)).toBe('cname:loop1.example.test/5,loop2.example.test/5');
    expect(kind('a.b.wild.example.test', 16)).toBe('answer:a.b.wild.example.test/16');
    expect(kind('host.wild.example.test', 16)).toBe('nodata:'); // the name exists: no wildcard
    expect(kind('empty.example.test', 16)).toBe('nodata:'); // empty non-terminal
    expect(kind('nope.example.test', 1)).toBe('nxdomain:');
    expect(kind('x.sub.example.test', 1)).toBe('referral:');
    expect(kind('ns.sub.example.test', 1)).toBe('referral:'); // glue is not an answer
    expect(kind('www.example.test', 255)).toBe('answer:www.example.test/1'); // minimal ANY: one RRset
  });
});

describe('AuthServer on loopback', () => {
  let server: AuthServer;
  let port: number;
  const events: AuthQueryEvent[] = [];
  beforeAll(async () => {
    server = new AuthServer({
      address: ADDR,
      zones: [exampleZone()],
      views: [
        { name: 'India', networks: ['127.1.0.0/16'], records: parseZoneText('geo 60 A 127.30.1.1', { origin: 'example.test' }).map((r) => r.record) },
        { name: 'US', networks: ['127.2.0.0/16'], records: parseZoneText('geo 60 A 127.30.2.1', { origin: 'example.test' }).map((r) => r.record) },
        { name: 'local', networks: ['127.0.0.0/8'], records: parseZoneText('geo 60 A 127.30.9.9', { origin: 'example.test' }).map((r) => r.record) },
      ],
    });
    server.on('query', (e) => events.push(e));
    await server.start();
    port = server.port;
  });
  afterAll(async () => {
    await server.close();
  });
  const ask = async (name: string, type: string, o: Parameters<typeof query>[2] = {}): Promise<DnsMessage> =>
    decoded(await udpExchange(ADDR, port, query(name, type, o)));

  it('answers with AA from the zone, over UDP and TCP, and puts MX targets in the additional section', async () => {
    const m = await ask('www.example.test', 'AAAA');
    expect(m.flags).toMatchObject({ qr: true, aa: true, tc: false, rcode: 0 });
    expect(lines(m.answers)).toEqual(['www.example.test.\t300\tIN\tAAAA\tfd00::1']);
    const mx = await ask('example.test', 'MX', { edns: 1232 });
    expect(lines(mx.answers)).toEqual(['example.test.\t300\tIN\tMX\t10 mail.example.test.']);
    expect(lines(mx.additionals)).toEqual(['mail.example.test.\t300\tIN\tA\t127.53.1.25']);
    expect(mx.edns).toMatchObject({ udpSize: 1232, version: 0 });
    const [t] = await tcpExchange(ADDR, port, [query('_sip._udp.example.test', 'SRV')]);
    expect(lines(decoded(t).answers)).toEqual(['_sip._udp.example.test.\t300\tIN\tSRV\t0 5 5060 mail.example.test.']);
  });

  it('rotates the address set one step per query (round robin)', async () => {
    const orders: string[] = [];
    for (let i = 0; i < 4; i++) orders.push(addrs(await ask('www.example.test', 'A')).join(' '));
    const first = orders[0].split(' ');
    expect(new Set(orders).size).toBe(3);
    expect(orders[3]).toBe(orders[0]);
    // Each answer is the previous one rotated by one.
    expect(orders[1]).toBe([...first.slice(1), first[0]].join(' '));
  });

  it('NXDOMAIN and NODATA carry the SOA in the authority section with the negative TTL (RFC 2308)', async () => {
    const nx = await ask('nope.example.test', 'A');
    expect(nx.flags).toMatchObject({ aa: true, rcode: DNS_RCODE.NXDOMAIN });
    expect(nx.answers).toEqual([]);
    expect(lines(nx.authorities)).toEqual(['example.test.\t60\tIN\tSOA\tns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 60']);
    const nodata = await ask('www.example.test', 'MX');
    expect(nodata.flags).toMatchObject({ aa: true, rcode: 0 });
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities.map((r) => r.type)).toEqual([6]);
    const chainNx = await ask('dangling.example.test', 'A');
    expect(chainNx.flags.rcode).toBe(DNS_RCODE.NXDOMAIN);
    expect(lines(chainNx.answers)).toEqual(['dangling.example.test.\t300\tIN\tCNAME\tgone.example.test.']);
  });

  it('refers a delegated name to its name servers with glue, without AA', async () => {
    const r = await ask('www.sub.example.test', 'A');
    expect(r.flags).toMatchObject({ aa: false, rcode: 0 });
    expect(r.answers).toEqual([]);
    expect(lines(r.authorities)).toEqual(['sub.example.test.\t300\tIN\tNS\tns.sub.example.test.']);
    expect(lines(r.additionals)).toEqual(['ns.sub.example.test.\t300\tIN\tA\t127.53.2.1']);
  });

  it('REFUSED outside its zones, NOTIMP for other opcodes, FORMERR for junk, nothing for a response', async () => {
    const r = await ask('www.other.test', 'A');
    expect(r.flags).toMatchObject({ aa: false, rcode: DNS_RCODE.REFUSED });
    const notify = query('example.test', 'SOA');
    notify[2] |= 4 << 3; // opcode NOTIFY
    expect(decoded(await udpExchange(ADDR, port, notify)).flags.rcode).toBe(DNS_RCODE.NOTIMP);
    const junk = Uint8Array.of(0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f);
    const fe = decoded(await udpExchange(ADDR, port, junk));
    expect([fe.id, fe.flags.qr, fe.flags.rcode]).toEqual([0xabcd, true, DNS_RCODE.FORMERR]);
    const resp = query('www.example.test', 'A');
    resp[2] |= 0x80;
    expect(await udpExchange(ADDR, port, resp, 200)).toBeUndefined();
    const axfr = await ask('example.test', 'AXFR');
    expect(axfr.flags.rcode).toBe(DNS_RCODE.REFUSED);
    const badvers = query('example.test', 'SOA', { edns: 1232 });
    badvers[badvers.length - 5] = 1; // OPT TTL byte 1: EDNS version 1
    const bv = decoded(await udpExchange(ADDR, port, badvers));
    expect(bv.flags.rcode).toBe(DNS_RCODE.BADVERS);
  });

  it('truncates over 512 bytes without EDNS, fits the advertised size with it, sends all over TCP', async () => {
    const plain = await udpExchange(ADDR, port, query('many.example.test', 'A'));
    const m = decoded(plain);
    expect(m.flags.tc).toBe(true);
    expect(m.answers).toEqual([]);
    expect(plain?.length).toBeLessThanOrEqual(512);
    const withEdns = decoded(await udpExchange(ADDR, port, query('many.example.test', 'A', { edns: 1232 })));
    expect([withEdns.flags.tc, withEdns.answers.length]).toEqual([false, 32]);
    const big = await udpExchange(ADDR, port, query('big.example.test', 'TXT', { edns: 1232 }));
    expect(decoded(big).flags.tc).toBe(true);
    expect(big?.length).toBeLessThanOrEqual(1232);
    const bigger = await udpExchange(ADDR, port, query('big.example.test', 'TXT', { edns: 4096 }));
    expect([decoded(bigger).flags.tc, decoded(bigger).answers.length]).toEqual([false, 1]);
    const [tcp] = await tcpExchange(ADDR, port, [query('big.example.test', 'TXT')]);
    const t = decoded(tcp);
    expect(t.flags.tc).toBe(false);
    expect(t.answers[0].data.type === 'TXT' && t.answers[0].data.strings.length).toBe(40);
  });

  it('answers ANY with one RRset (RFC 8482)', async () => {
    const m = await ask('www.example.test', 'ANY');
    expect(new Set(m.answers.map((r) => r.type))).toEqual(new Set([1]));
    expect(m.flags.aa).toBe(true);
  });

  it('answers several pipelined TCP queries on one connection, each with its own ID', async () => {
    const replies = await tcpExchange(ADDR, port, [
      query('www.example.test', 'AAAA', { id: 1 }),
      query('nope.example.test', 'A', { id: 2 }),
      query('mail.example.test', 'A', { id: 3 }),
    ]);
    expect(replies.map((r) => [decoded(r).id, decoded(r).flags.rcode])).toEqual([
      [1, 0],
      [2, 3],
      [3, 0],
    ]);
  });

  it('gives geo answers by source address and by client subnet, with the ECS scope', async () => {
    // The source is 127.0.0.1: the "local" view.
    expect(addrs(await ask('geo.example.test', 'A'))).toEqual(['127.30.9.9']);
    const india = await ask('geo.example.test', 'A', {
      edns: 1232,
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: '127.1.7.0' }],
    });
    expect(addrs(india)).toEqual(['127.30.1.1']);
    expect(india.edns?.options).toEqual([{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 16, address: '127.1.7.0' }]);
    const us = await ask('geo.example.test', 'A', {
      edns: 1232,
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: '127.2.0.0' }],
    });
    expect(addrs(us)).toEqual(['127.30.2.1']);
    const elsewhere = await ask('geo.example.test', 'A', {
      edns: 1232,
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: '10.9.8.0' }],
    });
    expect(addrs(elsewhere)).toEqual(['127.30.0.1']); // the zone's default
    expect(elsewhere.edns?.options[0]).toMatchObject({ scopePrefixLength: 24 });
    const notGeo = await ask('mail.example.test', 'A', {
      edns: 1232,
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: '127.1.7.0' }],
    });
    expect(notGeo.edns?.options[0]).toMatchObject({ scopePrefixLength: 0 });
    // The encoder masks the bits after the prefix, so set some by hand: /12 with 0x1f in byte two.
    const badQuery = query('geo.example.test', 'A', {
      edns: 1232,
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 12, scopePrefixLength: 0, address: '127.16.0.0' }],
    });
    badQuery[badQuery.length - 1] |= 0x0f;
    const bad = decoded(await udpExchange(ADDR, port, badQuery));
    expect(bad.flags.rcode).toBe(DNS_RCODE.FORMERR);
  });

  it('reports each query as an event and counts it', async () => {
    const before = server.stats.queries;
    events.length = 0;
    await ask('nope.example.test', 'A');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'nope.example.test', type: 1, rcode: 3, outcome: 'nxdomain', transport: 'udp', client: ADDR, aa: true });
    expect(server.stats.queries).toBe(before + 1);
    expect(server.stats.byRcode.NXDOMAIN).toBeGreaterThan(0);
    expect(server.stats.byView.local).toBeGreaterThan(0);
  });
});

describe('faults', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = new AuthServer({ address: ADDR, zones: [exampleZone()] });
    await server.start();
  });
  afterAll(() => server.close());
  const udp = (name: string, o: Parameters<typeof query>[2] = {}): Promise<Uint8Array | undefined> => udpExchange(ADDR, server.port, query(name, 'A', o), 300);

  it('forced TC over UDP only; TCP answers in full', async () => {
    server.setFaults([{ kind: 'tc' }]);
    const m = decoded(await udp('www.example.test'));
    expect([m.flags.tc, m.answers.length]).toEqual([true, 0]);
    const [t] = await tcpExchange(ADDR, server.port, [query('www.example.test', 'A')]);
    expect([decoded(t).flags.tc, decoded(t).answers.length]).toEqual([false, 3]);
  });

  it('lame: no AA, no answer, a referral to the zone itself', async () => {
    server.setFaults([{ kind: 'lame', names: ['example.test'] }]);
    const m = decoded(await udp('www.example.test'));
    expect(m.flags.aa).toBe(false);
    expect(m.answers).toEqual([]);
    expect(m.authorities.map((r) => `${r.name} ${r.type}`)).toEqual(['example.test 2', 'example.test 2']);
  });

  it('cname-loop: a chain that comes back to itself', async () => {
    server.setFaults([{ kind: 'cname-loop' }]);
    const m = decoded(await udp('www.example.test'));
    expect(lines(m.answers).map((l) => l.split('\t').slice(0, 1).concat(l.split('\t').slice(4)).join(' -> '))).toEqual([
      'www.example.test. -> loop-a.example.test.',
      'loop-a.example.test. -> loop-b.example.test.',
      'loop-b.example.test. -> loop-a.example.test.',
    ]);
  });

  it('pointer-loop: the decoder refuses the reply instead of looping', async () => {
    server.setFaults([{ kind: 'pointer-loop' }]);
    const bytes = await udp('www.example.test');
    const d = decodeDnsMessage(bytes as Uint8Array);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.reason).toMatch(/pointer/i);
  });

  it('formerr (to EDNS queries only) and silence; faults limited to names', async () => {
    server.setFaults([{ kind: 'formerr', ednsOnly: true }]);
    const e = decoded(await udp('www.example.test', { edns: 1232 }));
    expect([e.flags.rcode, e.edns]).toEqual([DNS_RCODE.FORMERR, undefined]);
    expect(decoded(await udp('www.example.test')).flags.rcode).toBe(0);
    server.setFaults([{ kind: 'silence', names: ['www.example.test'] }]);
    expect(await udp('www.example.test')).toBeUndefined();
    expect(decoded(await udp('mail.example.test')).answers).toHaveLength(1);
    expect(server.stats.byFault.silence).toBe(1);
    server.setFaults([]);
    expect(decoded(await udp('www.example.test')).answers).toHaveLength(3);
    expect(() => server.setFaults([{ kind: 'explode' as 'tc' }])).toThrow(/unknown fault 'explode'/);
  });
});

describe('failover records', () => {
  it('drops an address whose health check fails and answers the fallback set when all are down', async () => {
    // Two "backends" on 127.40.0.1 and 127.40.0.2, a TCP listener each on the same port.
    const backends: Server[] = [];
    const first = createServer((s) => s.destroy());
    await new Promise<void>((r) => first.listen(0, '127.40.0.1', () => r()));
    const port = (first.address() as AddressInfo).port;
    backends.push(first);
    const second = createServer((s) => s.destroy());
    await new Promise<void>((r) => second.listen(port, '127.40.0.2', () => r()));
    backends.push(second);
    const server = new AuthServer({
      address: ADDR,
      zones: [exampleZone()],
      rotate: false,
      failover: {
        rules: [{ name: 'app.example.test', check: { kind: 'tcp', port }, fallback: ['127.40.9.9'] }],
        health: { intervalMs: 10_000, timeoutMs: 500, rise: 1, fall: 1 },
      },
    });
    const changes: string[] = [];
    server.on('health', (c) => changes.push(`${c.id} ${c.healthy ? 'up' : 'down'}`));
    await server.start();
    try {
      const ask = async (): Promise<string[]> => addrs(decoded(await udpExchange(ADDR, server.port, query('app.example.test', 'A'))));
      const health = server.health;
      if (health === undefined) throw new Error('no failover');
      await health.checker.checkNow();
      expect(await ask()).toEqual(['127.40.0.1', '127.40.0.2']);
      await new Promise<void>((r) => second.close(() => r()));
      await health.checker.checkNow();
      expect(changes).toEqual([`tcp://127.40.0.2:${port} down`]);
      expect(await ask()).toEqual(['127.40.0.1']);
      await new Promise<void>((r) => first.close(() => r()));
      await health.checker.checkNow();
      expect(await ask()).toEqual(['127.40.9.9']);
      const back = createServer((s) => s.destroy());
      await new Promise<void>((r) => back.listen(port, '127.40.0.2', () => r()));
      backends.splice(0, 2, back);
      await health.checker.checkNow();
      expect(await ask()).toEqual(['127.40.0.2']);
      expect(changes.at(-1)).toBe(`tcp://127.40.0.2:${port} up`);
    } finally {
      await server.close();
      for (const b of backends) if (b.listening) await new Promise<void>((r) => b.close(() => r()));
    }
  });

  it('refuses rules and views that name RRsets the zones do not have', () => {
    expect(
      () =>
        new AuthServer({
          address: ADDR,
          zones: [exampleZone()],
          failover: {
            rules: [{ name: 'nothere.example.test', check: { kind: 'tcp', port: 1 }, fallback: ['127.0.0.9'] }],
            health: { intervalMs: 1000, timeoutMs: 100, rise: 1, fall: 1 },
          },
        }),
    ).toThrow(/no such RRset/);
    expect(
      () =>
        new AuthServer({
          address: ADDR,
          zones: [exampleZone()],
          failover: {
            rules: [{ name: 'app.example.test', check: { kind: 'tcp', port: 1 }, fallback: ['fd00::1'] }],
            health: { intervalMs: 1000, timeoutMs: 100, rise: 1, fall: 1 },
          },
        }),
    ).toThrow(/not an IPv4 address/);
    expect(
      () =>
        new AuthServer({
          address: ADDR,
          zones: [exampleZone()],
          views: [{ name: 'X', networks: ['127.9.0.0/16'], records: parseZoneText('newname 60 A 127.0.0.1', { origin: 'example.test' }).map((r) => r.record) }],
        }),
    ).toThrow(/no zone of this server has that RRset/);
    expect(() => new AuthServer({ address: ADDR, zones: [exampleZone()], views: [{ name: 'X', networks: ['127.9.0.0/33'], records: [] }] })).toThrow(
      /prefix length must be 0\.\.32/,
    );
    expect(() => new AuthServer({ address: 'localhost', zones: [exampleZone()] })).toThrow(/must be an IP address/);
  });
});

describe('several zones and the same port on several addresses', () => {
  it('answers from the deepest zone and can share a port across addresses', async () => {
    const parent = Zone.fromText('test', '$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 127.53.0.1\nexample NS ns1.example\nns1.example A 127.53.1.1\n');
    const a = new AuthServer({ address: '127.53.0.1', zones: [parent, exampleZone()] });
    await a.start();
    const b = new AuthServer({ address: '127.53.0.2', port: a.port, zones: [exampleZone()] });
    await b.start();
    try {
      const m = decoded(await udpExchange('127.53.0.1', a.port, query('www.example.test', 'A')));
      expect([m.flags.aa, m.answers.length]).toEqual([true, 3]);
      const p = decoded(await udpExchange('127.53.0.1', a.port, query('other.test', 'A')));
      expect([p.flags.rcode, p.authorities[0]?.name]).toEqual([DNS_RCODE.NXDOMAIN, 'test']);
      expect(b.port).toBe(a.port);
      expect(decoded(await udpExchange('127.53.0.2', b.port, query('www.example.test', 'AAAA'))).answers).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
      await a.close(); // twice is fine
    }
  });
});

describe('hostile queries', () => {
  it('never throws on random or mutated bytes, and every reply decodes and keeps the ID', () => {
    // The server's UDP handler is exactly this call.
    const responder = new AuthResponder({ zones: new ZoneSet([exampleZone()]), rotate: true, faults: [], ednsUdpSize: 1232 });
    const respond = (b: Uint8Array): Uint8Array | undefined => responder.respond(b, ADDR, false).bytes;
    const next = rng(0x5eed);
    const seeds = [query('www.example.test', 'A', { edns: 1232 }), query('chain.example.test', 'A'), query('x.sub.example.test', 'NS')];
    let replies = 0;
    for (let i = 0; i < 3000; i++) {
      let b: Uint8Array;
      if (i % 3 === 0) b = Uint8Array.from({ length: Math.floor(next() * 80) }, () => Math.floor(next() * 256));
      else {
        b = seeds[i % seeds.length].slice();
        for (let k = 0; k < 1 + Math.floor(next() * 4); k++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
      }
      const out = respond(b);
      if (out === undefined) continue;
      replies++;
      const d = decodeDnsMessage(out);
      expect(d.ok, `reply to ${Buffer.from(b).toString('hex')}`).toBe(true);
      if (d.ok) expect(d.message.id).toBe((b[0] << 8) | b[1]);
      expect(out.length).toBeLessThanOrEqual(512 + 4096);
    }
    expect(replies).toBeGreaterThan(1000);
  });
});

describe('server lifecycle', () => {
  it('closes an idle TCP connection after tcpIdleMs, refuses connections over the limit, and close() frees a held one', async () => {
    const { connect } = await import('node:net');
    const server = new AuthServer({ address: ADDR, zones: [exampleZone()], tcpIdleMs: 100, maxTcpConnections: 1 });
    await server.start();
    const open = (): Promise<{ closed: Promise<number> }> =>
      new Promise((resolve) => {
        const s = connect({ host: ADDR, port: server.port });
        const t0 = Date.now();
        const closed = new Promise<number>((r) => s.on('close', () => r(Date.now() - t0)));
        s.on('error', () => undefined);
        s.on('connect', () => resolve({ closed }));
      });
    const idle = await open();
    const extra = await open();
    expect(await extra.closed).toBeLessThan(100); // over the limit: closed at once
    expect(await idle.closed).toBeGreaterThanOrEqual(90); // idle timeout
    const held = await open();
    await server.close();
    expect(await held.closed).toBeGreaterThanOrEqual(0);
    await expect(udpExchange(ADDR, server.port, query('www.example.test', 'A'), 100)).resolves.toBeUndefined();
  });
});

describe('IPv6', () => {
  it('serves on ::1 over UDP and TCP', async () => {
    const server = new AuthServer({ address: '::1', zones: [exampleZone()] });
    await server.start();
    try {
      expect(decoded(await udpExchange('::1', server.port, query('www.example.test', 'AAAA'))).answers).toHaveLength(1);
      const [t] = await tcpExchange('::1', server.port, [query('www.example.test', 'AAAA')]);
      expect(lines(decoded(t).answers)).toEqual(['www.example.test.\t300\tIN\tAAAA\tfd00::1']);
    } finally {
      await server.close();
    }
  });
});

describe('answer cache', () => {
  it('gives byte for byte what the uncached responder gives, rotation and views included', () => {
    const views = () =>
      new ViewTable([
        {
          name: 'India',
          networks: ['127.1.0.0/16'],
          records: parseZoneText('geo 60 A 127.30.1.1\ngeo 60 A 127.30.1.2', { origin: 'example.test' }).map((r) => r.record),
        },
      ]);
    const cached = new AuthResponder({ zones: new ZoneSet([exampleZone()]), views: views(), rotate: true, faults: [], ednsUdpSize: 1232 });
    const plain = new AuthResponder({ zones: new ZoneSet([exampleZone()]), views: views(), rotate: true, faults: [], ednsUdpSize: 1232, cacheAnswers: false });
    const next = rng(7);
    const names = [
      'www.example.test',
      'chain.example.test',
      'geo.example.test',
      'many.example.test',
      'nope.example.test',
      'x.sub.example.test',
      'example.test',
      'other.test',
    ];
    const types = ['A', 'AAAA', 'MX', 'TXT', 'ANY'];
    const clients = ['127.0.0.1', '127.1.2.3'];
    for (let i = 0; i < 2000; i++) {
      const q = query(names[Math.floor(next() * names.length)], types[Math.floor(next() * types.length)], { id: i, edns: next() < 0.5 ? 1232 : false });
      const client = clients[Math.floor(next() * clients.length)];
      const tcp = next() < 0.2;
      const a = cached.respond(q, client, tcp);
      const b = plain.respond(q, client, tcp);
      expect(Buffer.from(a.bytes ?? []).toString('hex'), `query ${i}`).toBe(Buffer.from(b.bytes ?? []).toString('hex'));
      expect(a.meta).toEqual(b.meta);
    }
  });

  it('forgets answers when a zone is replaced', () => {
    const zones = new ZoneSet([exampleZone()]);
    const r = new AuthResponder({ zones, rotate: true, faults: [], ednsUdpSize: 1232 });
    const ask = () => decoded(r.respond(query('mail.example.test', 'A'), ADDR, false).bytes);
    expect(addrs(ask())).toEqual(['127.53.1.25']);
    expect(addrs(ask())).toEqual(['127.53.1.25']);
    zones.replace(Zone.fromText('example.test', EXAMPLE_ZONE.replace('127.53.1.25', '127.53.1.26')));
    expect(addrs(ask())).toEqual(['127.53.1.26']);
  });
});
