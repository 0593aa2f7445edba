// An in-memory DNS hierarchy for the resolver's unit tests: zones of records held by servers at
// addresses, answered the way an authoritative server answers (answers with AA, referrals with glue,
// NXDOMAIN/NODATA with the SOA), plus the faults a resolver must survive (silence, truncation, lame
// answers, forged glue). The real servers and the real transport are tested against dig and BIND.

import { isSubdomain, dnsNamesEqual } from '../../src/wire/dns-name.ts';
import { DNS_TYPE, dnsFlags, type DnsMessage, type DnsRecord } from '../../src/wire/dns-types.ts';
import type { QueryRequest, QueryResult, ResolverTransport } from '../../src/dns/resolver-types.ts';

export const rr = {
  a: (name: string, address: string, ttl = 3600): DnsRecord => ({ name, type: DNS_TYPE.A, class: 1, ttl, data: { type: 'A', address } }),
  ns: (name: string, target: string, ttl = 86400): DnsRecord => ({ name, type: DNS_TYPE.NS, class: 1, ttl, data: { type: 'NS', name: target } }),
  cname: (name: string, target: string, ttl = 3600): DnsRecord => ({ name, type: DNS_TYPE.CNAME, class: 1, ttl, data: { type: 'CNAME', name: target } }),
  soa: (zone: string, minimum = 300, ttl = 3600): DnsRecord => ({
    name: zone,
    type: DNS_TYPE.SOA,
    class: 1,
    ttl,
    data: { type: 'SOA', mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 900, expire: 1209600, minimum },
  }),
};

export interface Zone {
  origin: string;
  records: DnsRecord[];
}

export type Fault = 'silent' | 'truncate-udp' | 'servfail' | 'lame-upward';

export class FakeHierarchy implements ResolverTransport {
  /** address -> zones served there. */
  private readonly servers = new Map<string, Zone[]>();
  readonly faults = new Map<string, Fault>();
  /** Extra additional records a server adds to every referral (forged glue). */
  readonly forgedGlue = new Map<string, DnsRecord[]>();
  readonly log: { address: string; name: string; type: number; tcp: boolean }[] = [];

  serve(address: string, zone: Zone): this {
    this.servers.set(address, [...(this.servers.get(address) ?? []), zone]);
    return this;
  }

  async query(req: QueryRequest): Promise<QueryResult> {
    const { address } = req.server;
    const q = req.question;
    this.log.push({ address, name: q.name, type: q.type, tcp: req.tcp });
    const fault = this.faults.get(address);
    if (fault === 'silent' || !this.servers.has(address)) return { ok: false, reason: 'timeout after 1000 ms' };
    const m: DnsMessage = { id: 1, flags: dnsFlags({ qr: true }), questions: [q], answers: [], authorities: [], additionals: [] };
    if (fault === 'truncate-udp' && !req.tcp) {
      m.flags.tc = true;
      return { ok: true, message: m, rttMs: 1, tcp: false };
    }
    if (fault === 'servfail') {
      m.flags.rcode = 2;
      return { ok: true, message: m, rttMs: 1, tcp: req.tcp };
    }
    const zones = (this.servers.get(address) ?? []).filter((z) => isSubdomain(q.name, z.origin));
    zones.sort((x, y) => y.origin.length - x.origin.length);
    const zone = zones[0];
    if (zone === undefined || fault === 'lame-upward') {
      // A lame server: refers the resolver back up to the root.
      m.authorities.push(rr.ns('', 'a.root-servers.test'));
      return { ok: true, message: m, rttMs: 1, tcp: req.tcp };
    }
    // A delegation below the zone on the way to the name?
    const cuts = zone.records.filter((r) => r.type === DNS_TYPE.NS && !dnsNamesEqual(r.name, zone.origin) && isSubdomain(q.name, r.name));
    if (cuts.length > 0) {
      const cut = cuts[0].name;
      const ns = zone.records.filter((r) => r.type === DNS_TYPE.NS && dnsNamesEqual(r.name, cut));
      m.authorities.push(...ns);
      for (const n of ns) m.additionals.push(...zone.records.filter((r) => r.type === DNS_TYPE.A && dnsNamesEqual(r.name, (n.data as { name: string }).name)));
      m.additionals.push(...(this.forgedGlue.get(address) ?? []));
      return { ok: true, message: m, rttMs: 1, tcp: req.tcp };
    }
    m.flags.aa = true;
    const at = zone.records.filter((r) => dnsNamesEqual(r.name, q.name));
    const exact = at.filter((r) => r.type === q.type);
    const cname = at.filter((r) => r.type === DNS_TYPE.CNAME);
    if (exact.length > 0) m.answers.push(...exact);
    else if (cname.length > 0) {
      m.answers.push(...cname);
      const target = (cname[0].data as { name: string }).name;
      m.answers.push(...zone.records.filter((r) => dnsNamesEqual(r.name, target) && r.type === q.type));
    } else {
      const below = zone.records.some((r) => isSubdomain(r.name, q.name));
      if (at.length === 0 && !below) m.flags.rcode = 3;
      m.authorities.push(...zone.records.filter((r) => r.type === DNS_TYPE.SOA));
    }
    return { ok: true, message: m, rttMs: 1, tcp: req.tcp };
  }
}

/**
 * root (198.51.100.1) -> test. (198.51.100.2) -> example.test (198.51.100.3, 198.51.100.4); glueless.test
 * at 198.51.100.5. `net` replaces the 198.51.100 prefix (127.53.0 for servers on real sockets).
 */
export function standardHierarchy(net = '198.51.100'): FakeHierarchy {
  const h = new FakeHierarchy();
  h.serve(`${net}.1`, {
    origin: '',
    records: [rr.soa(''), rr.ns('', 'a.root-servers.test'), rr.ns('test', 'ns.nic.test'), rr.a('ns.nic.test', `${net}.2`)],
  });
  h.serve(`${net}.2`, {
    origin: 'test',
    records: [
      rr.soa('test'),
      rr.ns('test', 'ns.nic.test'),
      rr.ns('example.test', 'ns1.example.test'),
      rr.ns('example.test', 'ns2.example.test'),
      rr.a('ns1.example.test', `${net}.3`),
      rr.a('ns2.example.test', `${net}.4`),
      rr.ns('glueless.test', 'ns.example.test'),
    ],
  });
  const example: Zone = {
    origin: 'example.test',
    records: [
      rr.soa('example.test', 300),
      rr.ns('example.test', 'ns1.example.test'),
      rr.ns('example.test', 'ns2.example.test'),
      rr.a('ns1.example.test', `${net}.3`),
      rr.a('ns2.example.test', `${net}.4`),
      rr.a('ns.example.test', `${net}.5`),
      rr.a('www.example.test', '192.0.2.1', 300),
      rr.cname('alias.example.test', 'www.glueless.test'),
      rr.a('deep.sub.example.test', '192.0.2.7'),
    ],
  };
  h.serve(`${net}.3`, example).serve(`${net}.4`, example);
  h.serve(`${net}.5`, {
    origin: 'glueless.test',
    records: [rr.soa('glueless.test'), rr.ns('glueless.test', 'ns.example.test'), rr.a('www.glueless.test', '192.0.2.9')],
  });
  return h;
}

export const ROOT_HINTS = [{ name: 'a.root-servers.test', address: '198.51.100.1', port: 53 }];
