// netlab's resolver through a hierarchy of netlab authoritative servers (root 127.53.0.1, TLD "test"
// 127.53.0.2, example.test 127.53.1.1, one port), and what it makes of each injected fault.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServer } from '../../src/dns/auth-server.ts';
import { Resolver } from '../../src/dns/resolver.ts';
import type { ResolveResult } from '../../src/dns/resolver-types.ts';
import { SocketTransport } from '../../src/dns/transport.ts';
import { Zone } from '../../src/dns/zone.ts';
import { DNS_RCODE, DNS_TYPE } from '../../src/wire/dns-types.ts';
import { exampleZone } from './zones.ts';

const ROOT = Zone.fromText(
  '',
  '$TTL 3600\n. SOA a.root. h.root. 1 2 3 4 60\n. NS a.root.\na.root. A 127.53.0.1\ntest. NS ns.test.\nns.test. A 127.53.0.2\n',
  'root.zone',
);
const TLD = Zone.fromText(
  'test',
  '$TTL 3600\n@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A 127.53.0.2\nexample NS ns1.example\nexample NS ns2.example\nns1.example A 127.53.1.1\nns2.example A 127.53.1.2\n',
  'test.zone',
);

describe('the resolver through netlab authoritative servers', () => {
  const servers: AuthServer[] = [];
  let auth: AuthServer;
  let port = 0;
  beforeAll(async () => {
    const root = new AuthServer({ address: '127.53.0.1', zones: [ROOT] });
    await root.start();
    port = root.port;
    servers.push(root);
    const tld = new AuthServer({ address: '127.53.0.2', port, zones: [TLD] });
    await tld.start();
    servers.push(tld);
    auth = new AuthServer({ address: '127.53.1.1', port, zones: [exampleZone()] });
    await auth.start();
    servers.push(auth);
    // ns2.example.test (127.53.1.2) is deliberately not running: the resolver must do with ns1.
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  const resolve = (name: string, type: number): Promise<ResolveResult> => {
    const r = new Resolver({ rootHints: [{ name: 'a.root', address: '127.53.0.1', port }], port, transport: new SocketTransport({ timeoutMs: 150 }) });
    return r.resolve(name, type);
  };
  const kinds = (r: ResolveResult): string[] => r.events.map((e) => e.kind);

  it('follows root -> test -> example.test to the answer', async () => {
    auth.setFaults([]);
    const r = await resolve('chain.example.test', DNS_TYPE.A);
    expect(r.rcode).toBe(DNS_RCODE.NOERROR);
    expect(r.answers.map((a) => a.type)).toEqual([5, 5, 1, 1, 1]);
    expect(r.events.filter((e) => e.kind === 'referral').map((e) => (e.kind === 'referral' ? e.to : ''))).toEqual(['test', 'example.test']);
    const nx = await resolve('nope.example.test', DNS_TYPE.A);
    expect([nx.rcode, nx.authority.map((a) => a.type)]).toEqual([DNS_RCODE.NXDOMAIN, [6]]);
  });

  it('forced TC: the resolver retries over TCP and gets the answer', async () => {
    auth.setFaults([{ kind: 'tc' }]);
    const r = await resolve('www.example.test', DNS_TYPE.A);
    expect(r.rcode).toBe(DNS_RCODE.NOERROR);
    expect(r.answers).toHaveLength(3);
    expect(kinds(r)).toContain('tcp-fallback');
  });

  for (const [kind, event] of [
    ['lame', 'lame'],
    ['formerr', 'lame'],
    ['silence', 'no-response'],
    ['pointer-loop', 'no-response'],
  ] as const) {
    it(`${kind}: SERVFAIL, with the resolver saying why (${event})`, async () => {
      auth.setFaults([{ kind }]);
      const r = await resolve('www.example.test', DNS_TYPE.A);
      expect(r.rcode).toBe(DNS_RCODE.SERVFAIL);
      expect(kinds(r)).toContain(event);
    });
  }

  it('cname-loop: the chain is cut and the answer is SERVFAIL', async () => {
    auth.setFaults([{ kind: 'cname-loop' }]);
    const r = await resolve('www.example.test', DNS_TYPE.A);
    expect(r.rcode).toBe(DNS_RCODE.SERVFAIL);
    expect(r.answers.filter((a) => a.type === DNS_TYPE.A)).toEqual([]);
  });
});
