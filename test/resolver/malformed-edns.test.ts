// Two answers a resolver meets from broken servers, on real sockets (netlab authoritative servers on
// 127.53.2.x with injected faults): a reply whose owner name is a compression pointer to itself ends
// the query at once as malformed (an event, and the next server is asked) instead of waiting for the
// timeout; FORMERR to a query with EDNS is asked again once without EDNS (RFC 6891 §6.2.2). And the
// transport's lab-only weak mode: a fixed source port and sequential IDs.

import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServer } from '../../src/dns/auth-server.ts';
import { pointerLoopResponse } from '../../src/dns/faults.ts';
import { Resolver } from '../../src/dns/resolver.ts';
import type { ResolverEvent } from '../../src/dns/resolver-types.ts';
import { SocketTransport } from '../../src/dns/transport.ts';
import { Zone } from '../../src/dns/zone.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { DNS_RCODE, DNS_TYPE, dnsFlags } from '../../src/wire/dns-types.ts';

const ROOT = Zone.fromText(
  '',
  '$TTL 3600\n. SOA a.root. h.root. 1 2 3 4 60\n. NS a.root.\na.root. A 127.53.2.1\ntest. NS ns.test.\nns.test. A 127.53.2.2\n',
  'root.zone',
);
const TLD = Zone.fromText(
  'test',
  '$TTL 3600\n@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A 127.53.2.2\nbroken NS ns1.broken\nbroken NS ns2.broken\nns1.broken A 127.53.2.3\nns2.broken A 127.53.2.4\n',
  'test.zone',
);
const BROKEN = Zone.fromText(
  'broken.test',
  '$TTL 300\n@ SOA ns1 h 1 2 3 4 60\n@ NS ns1\n@ NS ns2\nns1 A 127.53.2.3\nns2 A 127.53.2.4\nwww A 192.0.2.80\n',
  'broken.zone',
);
/** Far longer than a test waits: a resolver that waited for it would fail the timing checks. */
const TIMEOUT_MS = 3000;

const servers: AuthServer[] = [];
let port = 0;
let ns1: AuthServer;
let ns2: AuthServer;

beforeAll(async () => {
  for (let attempt = 0; ; attempt++) {
    const root = new AuthServer({ address: '127.53.2.1', zones: [ROOT] });
    await root.start();
    port = root.port;
    try {
      const tld = new AuthServer({ address: '127.53.2.2', port, zones: [TLD] });
      await tld.start();
      ns1 = new AuthServer({ address: '127.53.2.3', port, zones: [BROKEN] });
      await ns1.start();
      ns2 = new AuthServer({ address: '127.53.2.4', port, zones: [BROKEN] });
      await ns2.start();
      servers.push(root, tld, ns1, ns2);
      return;
    } catch (err) {
      await root.close();
      for (const s of [ns1, ns2]) await s?.close();
      if (attempt > 5) throw err;
    }
  }
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

function resolver(): Resolver {
  return new Resolver({ rootHints: [{ name: 'a.root', address: '127.53.2.1', port }], port, transport: new SocketTransport({ timeoutMs: TIMEOUT_MS }) });
}
const queries = (events: ResolverEvent[]): string[] => events.flatMap((e) => (e.kind === 'query' ? [e.server.address] : []));

describe('a reply with a compression pointer loop', () => {
  it('is reported as malformed at once, and the next name server answers', async () => {
    ns1.setFaults([{ kind: 'pointer-loop' }]);
    ns2.setFaults([]);
    const started = performance.now();
    const r = await resolver().resolve('www.broken.test', DNS_TYPE.A);
    const ms = performance.now() - started;
    expect(r.rcode).toBe(DNS_RCODE.NOERROR);
    expect(r.answers.map((a) => a.data)).toEqual([{ type: 'A', address: '192.0.2.80' }]);
    const bad = r.events.find((e) => e.kind === 'no-response');
    expect(bad).toMatchObject({ kind: 'no-response', malformed: true, server: { address: '127.53.2.3' } });
    expect(bad?.kind === 'no-response' && bad.reason).toMatch(/^malformed response: answer record 1 of 1: compression pointer to itself/);
    expect(queries(r.events)).toEqual(['127.53.2.1', '127.53.2.2', '127.53.2.3', '127.53.2.4']);
    expect(ms).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('with every server broken: SERVFAIL, well before one timeout', async () => {
    ns1.setFaults([{ kind: 'pointer-loop' }]);
    ns2.setFaults([{ kind: 'pointer-loop' }]);
    const started = performance.now();
    const r = await resolver().resolve('www.broken.test', DNS_TYPE.A);
    expect(r.rcode).toBe(DNS_RCODE.SERVFAIL);
    expect(r.events.filter((e) => e.kind === 'no-response' && e.malformed === true)).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('a looping datagram with another ID is only turned away: the real answer is still awaited', async () => {
    const rejected: string[] = [];
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      const q = decodeDnsMessage(msg);
      if (!q.ok) return;
      const question = q.message.questions[0];
      s.send(pointerLoopResponse((q.message.id + 1) & 0xffff, dnsFlags({ qr: true, aa: true }), question), rinfo.port, rinfo.address);
      const real = {
        id: q.message.id,
        flags: dnsFlags({ qr: true, aa: true }),
        questions: [question],
        answers: [{ name: question.name, type: 1, class: 1, ttl: 5, data: { type: 'A' as const, address: '192.0.2.81' } }],
        authorities: [],
        additionals: [],
      };
      setTimeout(() => s.send(encodeDnsMessage(real), rinfo.port, rinfo.address), 30);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.53.2.9', () => resolve()));
    try {
      const t = new SocketTransport({ timeoutMs: TIMEOUT_MS, onRejected: (why) => rejected.push(why) });
      const r = await t.query({
        server: { address: '127.53.2.9', port: s.address().port },
        question: { name: 'x.test', type: 1, class: 1 },
        rd: false,
        tcp: false,
        edns: false,
      });
      expect(r.ok && r.message.answers[0].data).toEqual({ type: 'A', address: '192.0.2.81' });
      expect(rejected).toEqual([expect.stringMatching(/^malformed: answer record 1 of 1: compression pointer to itself/)]);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});

describe('FORMERR to a query with EDNS', () => {
  it('is asked again once without EDNS, and that answer is taken (RFC 6891 §6.2.2)', async () => {
    ns1.setFaults([{ kind: 'formerr', ednsOnly: true }]);
    ns2.setFaults([{ kind: 'silence' }]);
    const seen: boolean[] = [];
    const watch = (e: { edns: boolean; client: string }): void => void seen.push(e.edns);
    ns1.on('query', watch);
    try {
      const r = await resolver().resolve('www.broken.test', DNS_TYPE.A);
      expect(r.rcode).toBe(DNS_RCODE.NOERROR);
      expect(r.answers.map((a) => a.data)).toEqual([{ type: 'A', address: '192.0.2.80' }]);
      expect(seen).toEqual([true, false]);
      const kinds = r.events.map((e) => e.kind);
      expect(kinds.slice(kinds.indexOf('edns-fallback') - 2, kinds.indexOf('edns-fallback') + 3)).toEqual([
        'query',
        'response',
        'edns-fallback',
        'query',
        'response',
      ]);
      expect(queries(r.events).slice(2)).toEqual(['127.53.2.3', '127.53.2.3']);
    } finally {
      ns1.off('query', watch);
    }
  });

  it('only once: a server that says FORMERR to everything is lame, and the next server is asked', async () => {
    ns1.setFaults([{ kind: 'formerr' }]);
    ns2.setFaults([]);
    const r = await resolver().resolve('www.broken.test', DNS_TYPE.A);
    expect(r.rcode).toBe(DNS_RCODE.NOERROR);
    expect(queries(r.events).slice(2)).toEqual(['127.53.2.3', '127.53.2.3', '127.53.2.4']);
    expect(r.events.filter((e) => e.kind === 'edns-fallback')).toHaveLength(1);
    expect(r.events.find((e) => e.kind === 'lame')).toMatchObject({ server: { address: '127.53.2.3' }, reason: 'answered with RCODE 1' });
  });
});

describe('SocketTransport weak mode (lab only)', () => {
  it('sends every query from the fixed port with IDs counting up', async () => {
    const seen: { id: number; port: number }[] = [];
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      const q = decodeDnsMessage(msg);
      if (!q.ok) return;
      seen.push({ id: q.message.id, port: rinfo.port });
      s.send(encodeDnsMessage({ ...q.message, flags: dnsFlags({ qr: true }) }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.53.2.9', () => resolve()));
    // A free port to fix: bind one, read it, let it go.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const fixedPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    try {
      const t = new SocketTransport({ timeoutMs: TIMEOUT_MS, weak: { fixedPort, sequentialIds: true, firstId: 0xfffe } });
      for (let i = 0; i < 3; i++) {
        const r = await t.query({
          server: { address: '127.53.2.9', port: s.address().port },
          question: { name: 'x.test', type: 1, class: 1 },
          rd: false,
          tcp: false,
          edns: false,
        });
        expect(r.ok).toBe(true);
      }
      expect(seen).toEqual([
        { id: 0xfffe, port: fixedPort },
        { id: 0xffff, port: fixedPort },
        { id: 0, port: fixedPort },
      ]);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('refuses a port out of range and a busy fixed port fails the query instead of moving', async () => {
    expect(() => new SocketTransport({ weak: { fixedPort: 70000 } })).toThrow(/weak.fixedPort must be a port 1\.\.65535, got 70000/);
    expect(() => new SocketTransport({ weak: { sequentialIds: true, firstId: -1 } })).toThrow(/weak.firstId must be 0\.\.65535/);
    const busy = createSocket('udp4');
    await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', () => resolve()));
    try {
      const t = new SocketTransport({ timeoutMs: 500, weak: { fixedPort: busy.address().port } });
      const r = await t.query({
        server: { address: '127.53.2.9', port: 9 },
        question: { name: 'x.test', type: 1, class: 1 },
        rd: false,
        tcp: false,
        edns: false,
      });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(new RegExp(`fixed source port ${busy.address().port} \\(weak mode\\) is busy`));
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
