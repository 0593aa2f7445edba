// The iterative resolver: from the root hints down the referrals to the authoritative answer, with a
// cache, CNAME chasing, glueless name servers, QNAME minimisation (RFC 9156) as an option, bailiwick
// checks on everything a server returns, retries on the other servers, TCP when an answer is
// truncated, and hard limits (referrals, queries, CNAMEs, nesting) so that a loop or a lame
// delegation ends in SERVFAIL. Every step is an event.

import { isSubdomain, dnsNamesEqual } from '../wire/dns-name.ts';
import { DNS_RCODE, DNS_TYPE, dnsTypeName, type DnsMessage, type DnsRecord } from '../wire/dns-types.ts';
import { DnsCache } from './cache.ts';
import type { NameServer, ResolveResult, ResolverEvent, ResolverTransport } from './resolver-types.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface ResolverOptions {
  /** Where resolution starts: the root servers' names and addresses. */
  rootHints: readonly NameServer[];
  transport: ResolverTransport;
  cache?: DnsCache;
  /** Port to send to for name servers learned from NS records (53; labs use their own). */
  port?: number;
  /** Ask each server only for as much of the name as it needs to see (RFC 9156). Default false. */
  qnameMinimisation?: boolean;
  maxReferrals?: number;
  maxQueries?: number;
  maxCnames?: number;
  /** How deep glueless name-server lookups may nest. */
  maxDepth?: number;
}

interface Run {
  events: ResolverEvent[];
  queries: number;
  depth: number;
}

type Outcome = { kind: 'answer'; records: DnsRecord[] } | { kind: 'negative'; rcode: number; soa?: DnsRecord } | { kind: 'servfail'; reason: string };

class Limit extends Error {}

const { A, AAAA, NS, CNAME, SOA } = DNS_TYPE;

function parentOf(name: string): string | undefined {
  if (name === '') return undefined;
  const i = name.search(/(?<!\\)\./);
  return i < 0 ? '' : name.slice(i + 1);
}

/** The name cut to one label more than `zone` (RFC 9156 step by step), or the name itself. */
function oneLabelBelow(name: string, zone: string): string {
  let n = name;
  for (let p = parentOf(n); p !== undefined && !dnsNamesEqual(p, zone); p = parentOf(p)) n = p;
  return n;
}

function describe(r: DnsRecord): string {
  const d = r.data;
  const v = 'address' in d ? d.address : 'name' in d ? d.name : d.type;
  return `${r.name} ${dnsTypeName(r.type)} ${String(v)}`;
}

export class Resolver {
  readonly cache: DnsCache;
  private readonly o: Required<Omit<ResolverOptions, 'cache'>>;

  constructor(options: ResolverOptions) {
    if (options.rootHints.length === 0) throw new NetlabRangeError('resolver option rootHints: give at least one root server');
    this.cache = options.cache ?? new DnsCache();
    this.o = {
      rootHints: options.rootHints,
      transport: options.transport,
      port: options.port ?? 53,
      qnameMinimisation: options.qnameMinimisation ?? false,
      maxReferrals: options.maxReferrals ?? 16,
      maxQueries: options.maxQueries ?? 64,
      maxCnames: options.maxCnames ?? 8,
      maxDepth: options.maxDepth ?? 4,
    };
  }

  /** Resolves name/type (class IN). Never throws for network trouble: that ends in SERVFAIL. */
  async resolve(name: string, type: number): Promise<ResolveResult> {
    const run: Run = { events: [], queries: 0, depth: 0 };
    let outcome: Outcome;
    const answers: DnsRecord[] = [];
    try {
      outcome = await this.chase(run, name, type, answers);
    } catch (err) {
      if (!(err instanceof Limit)) throw err;
      outcome = { kind: 'servfail', reason: err.message };
    }
    if (outcome.kind === 'servfail') {
      run.events.push({ kind: 'servfail', reason: outcome.reason });
      return { rcode: DNS_RCODE.SERVFAIL, answers: [], authority: [], events: run.events, queries: run.queries, fromCache: false };
    }
    const rcode = outcome.kind === 'negative' ? outcome.rcode : DNS_RCODE.NOERROR;
    const authority = outcome.kind === 'negative' && outcome.soa !== undefined ? [outcome.soa] : [];
    run.events.push({ kind: 'answer', rcode, records: answers.length });
    return { rcode, answers, authority, events: run.events, queries: run.queries, fromCache: run.queries === 0 };
  }

  /** Follows CNAMEs (bounded), from the cache where it can. Appends the chain to `answers`. */
  private async chase(run: Run, name: string, type: number, answers: DnsRecord[]): Promise<Outcome> {
    let qname = name;
    for (let hops = 0; hops <= this.o.maxCnames; hops++) {
      const cached = this.fromCache(run, qname, type);
      const outcome = cached ?? (await this.iterate(run, qname, type));
      if (outcome.kind !== 'answer') return outcome;
      const cname = outcome.records.find((r) => r.type === CNAME && dnsNamesEqual(r.name, qname));
      const final = outcome.records.filter((r) => r.type === type);
      if (type === CNAME || cname === undefined || final.length > 0) {
        answers.push(...outcome.records);
        return outcome;
      }
      answers.push(...outcome.records);
      const target = (cname.data as { name: string }).name;
      run.events.push({ kind: 'cname', from: qname, to: target });
      if (answers.filter((r) => r.type === CNAME).length > this.o.maxCnames) break;
      qname = target;
    }
    return { kind: 'servfail', reason: `CNAME chain longer than ${this.o.maxCnames}` };
  }

  private fromCache(run: Run, name: string, type: number): Outcome | undefined {
    const hit = this.cache.get(name, type);
    if (hit !== undefined) {
      if (hit.kind === 'rrset') {
        run.events.push({ kind: 'cache-hit', name, type, what: 'rrset', ttl: hit.ttl });
        return { kind: 'answer', records: hit.records };
      }
      run.events.push({ kind: 'cache-hit', name, type, what: hit.negative, ttl: hit.ttl });
      return { kind: 'negative', rcode: hit.negative === 'NXDOMAIN' ? DNS_RCODE.NXDOMAIN : DNS_RCODE.NOERROR, soa: hit.soa };
    }
    if (type !== CNAME) {
      const c = this.cache.get(name, CNAME);
      if (c?.kind === 'rrset') {
        run.events.push({ kind: 'cache-hit', name, type: CNAME, what: 'rrset', ttl: c.ttl });
        return { kind: 'answer', records: c.records };
      }
    }
    return undefined;
  }

  /** The zones above `name` whose name servers the cache knows, deepest first, ending with the root. */
  private knownCuts(name: string): { zone: string; servers: string[] }[] {
    const out: { zone: string; servers: string[] }[] = [];
    for (let z: string | undefined = name; z !== undefined && z !== ''; z = parentOf(z)) {
      const hit = this.cache.get(z, NS);
      if (hit?.kind === 'rrset') out.push({ zone: z, servers: hit.records.map((r) => (r.data as { name: string }).name) });
    }
    out.push({ zone: '', servers: [] });
    return out;
  }

  /** Addresses for a zone's name servers: root hints, cached glue, or (glueless) a lookup of their own. */
  private async addresses(run: Run, zone: string, names: readonly string[]): Promise<NameServer[]> {
    if (zone === '' && names.length === 0) return [...this.o.rootHints];
    const out: NameServer[] = [];
    const missing: string[] = [];
    for (const ns of names) {
      const hit = this.cache.get(ns, A);
      if (hit?.kind === 'rrset') for (const r of hit.records) out.push({ name: ns, address: (r.data as { address: string }).address, port: this.o.port });
      else missing.push(ns);
    }
    if (out.length > 0) return out;
    for (const ns of missing) {
      if (run.depth >= this.o.maxDepth) throw new Limit(`glueless name servers nested deeper than ${this.o.maxDepth}`);
      if (isSubdomain(ns, zone)) continue; // in-zone without glue: cannot be found through this zone
      run.events.push({ kind: 'glueless', nameServer: ns });
      run.depth++;
      const sub: DnsRecord[] = [];
      const outcome = await this.chase(run, ns, A, sub);
      run.depth--;
      if (outcome.kind === 'answer') {
        for (const r of sub) if (r.type === A) out.push({ name: ns, address: (r.data as { address: string }).address, port: this.o.port });
        if (out.length > 0) return out;
      }
    }
    return out;
  }

  /** One resolution down the delegations, without CNAME chasing. */
  private async iterate(run: Run, qname: string, type: number): Promise<Outcome> {
    // Start at the deepest cut whose servers can be reached (their glue may have expired before them).
    const cuts = this.knownCuts(qname);
    let zone = '';
    let nsNames: string[] = [];
    let servers: NameServer[] = [];
    for (const cut of cuts) {
      servers = await this.addresses(run, cut.zone, cut.servers);
      zone = cut.zone;
      nsNames = cut.servers;
      if (servers.length > 0) break;
    }
    for (let referrals = 0; referrals <= this.o.maxReferrals; referrals++) {
      if (referrals > 0) servers = await this.addresses(run, zone, nsNames);
      if (servers.length === 0) return { kind: 'servfail', reason: `no address for any name server of "${zone || '.'}"` };
      let sent = this.o.qnameMinimisation ? oneLabelBelow(qname, zone) : qname;
      let next: { zone: string; ns: string[] } | undefined;
      let tried = 0;
      for (let i = 0; i < servers.length && next === undefined; i++) {
        const server = servers[i];
        const full = dnsNamesEqual(sent, qname);
        const qtype = full ? type : A;
        if (!full) run.events.push({ kind: 'minimised', sent, full: qname });
        const message = await this.ask(run, server, zone, sent, qtype);
        tried++;
        if (message === undefined) continue;
        const r = this.classify(run, server, zone, sent, qtype, message);
        if (r.kind === 'lame') continue;
        if (r.kind === 'referral') {
          next = r.next;
          break;
        }
        if (!full) {
          // No cut at this label: show the server one more label, and ask the same server again.
          if (r.kind === 'negative' && r.rcode === DNS_RCODE.NXDOMAIN) return r; // RFC 8020: nothing below it either
          sent = oneLabelBelow(qname, sent);
          i--;
          continue;
        }
        return r;
      }
      if (next === undefined) return { kind: 'servfail', reason: `all ${tried} name servers of "${zone || '.'}" failed` };
      zone = next.zone;
      nsNames = next.ns;
    }
    return { kind: 'servfail', reason: `more than ${this.o.maxReferrals} referrals` };
  }

  /**
   * One question to one server: UDP with EDNS, then TCP when the answer is truncated, and once more
   * without EDNS when the server answers FORMERR to EDNS (RFC 6891 §6.2.2: a server from before
   * EDNS). Undefined when no usable answer came (the event says why: timeout, malformed reply ...).
   */
  private async ask(run: Run, server: NameServer, zone: string, name: string, type: number): Promise<DnsMessage | undefined> {
    let tcp = false;
    let edns = true;
    for (;;) {
      if (run.queries >= this.o.maxQueries) throw new Limit(`more than ${this.o.maxQueries} queries for one resolution`);
      const why = this.because(run);
      run.queries++;
      run.events.push({ kind: 'query', server, zone, name, type, tcp });
      const how = [tcp ? 'over TCP after a truncated answer' : '', edns ? '' : 'without EDNS after FORMERR'].filter((x) => x !== '').join(', ');
      const note = `resolver step ${run.queries}: ${name || '.'} ${dnsTypeName(type)} to ${server.name} (${server.address}) for zone ${zone || '.'}${how === '' ? '' : `, ${how}`}${why}`;
      const res = await this.o.transport.query({ server, question: { name, type, class: 1 }, rd: false, tcp, edns, note });
      if (!res.ok) {
        run.events.push(
          res.malformed === true ? { kind: 'no-response', server, reason: res.reason, malformed: true } : { kind: 'no-response', server, reason: res.reason },
        );
        return undefined;
      }
      const m = res.message;
      run.events.push({
        kind: 'response',
        server,
        rcode: m.flags.rcode,
        aa: m.flags.aa,
        tc: m.flags.tc,
        answers: m.answers.length,
        authority: m.authorities.length,
        additional: m.additionals.length,
        rttMs: res.rttMs,
      });
      if (m.flags.rcode === DNS_RCODE.FORMERR && edns && m.edns === undefined) {
        run.events.push({ kind: 'edns-fallback', server });
        edns = false;
        continue;
      }
      if (!m.flags.tc || tcp) return m;
      run.events.push({ kind: 'tcp-fallback', server });
      tcp = true;
    }
  }

  /** What led to the next query, from the events since the last one: written into its capture comment. */
  private because(run: Run): string {
    let from = run.events.length;
    while (from > 0 && run.events[from - 1].kind !== 'query') from--;
    const referrals: string[] = [];
    const parts: string[] = [];
    for (const e of run.events.slice(from)) {
      if (e.kind === 'referral') referrals.push(`referral ${e.from} -> ${e.to || '.'}`);
      else if (e.kind === 'glue') parts.push(`glue ${e.name} ${e.address} ${e.accepted ? 'used' : 'refused'}`);
      else if (e.kind === 'cname') parts.push(`CNAME ${e.from} -> ${e.to}`);
      else if (e.kind === 'no-response') parts.push(`no answer from ${e.server.address}: ${e.reason}`);
      else if (e.kind === 'lame') parts.push(`lame ${e.server.address}: ${e.reason}`);
      else if (e.kind === 'out-of-bailiwick') parts.push(`dropped ${e.record} (out of bailiwick of ${e.zone})`);
    }
    parts.unshift(...referrals);
    return parts.length === 0 ? '' : ` (after: ${parts.join('; ')})`;
  }

  /** What a response means, after the bailiwick checks; caches what it may. */
  private classify(
    run: Run,
    server: NameServer,
    zone: string,
    qname: string,
    type: number,
    m: DnsMessage,
  ): Outcome | { kind: 'lame' } | { kind: 'referral'; next: { zone: string; ns: string[] } } {
    const lame = (reason: string): { kind: 'lame' } => {
      run.events.push({ kind: 'lame', server, zone: zone || '.', reason });
      return { kind: 'lame' };
    };
    const inZone = (r: DnsRecord): boolean => {
      if (isSubdomain(r.name, zone)) return true;
      run.events.push({ kind: 'out-of-bailiwick', record: describe(r), zone: zone || '.' });
      return false;
    };
    const rcode = m.flags.rcode;
    if (rcode !== DNS_RCODE.NOERROR && rcode !== DNS_RCODE.NXDOMAIN) return lame(`answered with RCODE ${rcode}`);
    const soa = m.authorities.find((r) => r.type === SOA && isSubdomain(qname, r.name) && isSubdomain(r.name, zone));
    if (rcode === DNS_RCODE.NXDOMAIN) {
      this.cache.putNegative(qname, type, 'NXDOMAIN', soa);
      return { kind: 'negative', rcode, soa };
    }
    const answers = m.answers.filter(inZone);
    // The chain for qname: CNAMEs from qname on, and the records of the type asked at its end.
    const chain: DnsRecord[] = [];
    let at = qname;
    for (let i = 0; i <= this.o.maxCnames; i++) {
      const c = answers.filter((r) => r.type === CNAME && dnsNamesEqual(r.name, at));
      const final = answers.filter((r) => r.type === type && dnsNamesEqual(r.name, at));
      if (final.length > 0 || type === CNAME) {
        chain.push(...final);
        break;
      }
      if (c.length === 0) break;
      chain.push(c[0]);
      at = (c[0].data as { name: string }).name;
      if (!isSubdomain(at, zone)) break; // the rest is another zone's to answer
    }
    if (chain.length > 0) {
      this.cacheAll(chain);
      return { kind: 'answer', records: chain };
    }
    const nsRecords = m.authorities.filter((r) => r.type === NS);
    if (nsRecords.length === 0 || m.flags.aa) {
      this.cache.putNegative(qname, type, 'NODATA', soa);
      return { kind: 'negative', rcode: DNS_RCODE.NOERROR, soa };
    }
    const cut = nsRecords[0].name;
    if (!isSubdomain(qname, cut)) return lame(`referral to "${cut}", which is not above "${qname}"`);
    if (!isSubdomain(cut, zone) || dnsNamesEqual(cut, zone)) return lame(`referral to "${cut || '.'}" does not go down from "${zone || '.'}"`);
    const ns = nsRecords.filter((r) => dnsNamesEqual(r.name, cut));
    const nsNames = ns.map((r) => (r.data as { name: string }).name);
    this.cache.putRrset(ns);
    const accepted: DnsRecord[] = [];
    for (const g of m.additionals.filter((r) => r.type === A || r.type === AAAA)) {
      const address = (g.data as { address: string }).address;
      if (!nsNames.some((n) => dnsNamesEqual(n, g.name))) {
        run.events.push({ kind: 'glue', name: g.name, address, accepted: false, reason: 'not one of the name servers of the referral' });
      } else if (!isSubdomain(g.name, zone)) {
        run.events.push({
          kind: 'glue',
          name: g.name,
          address,
          accepted: false,
          reason: `out of bailiwick: not under "${zone || '.'}", which the server answers for`,
        });
      } else {
        run.events.push({ kind: 'glue', name: g.name, address, accepted: true, reason: `in bailiwick of "${zone || '.'}"` });
        if (g.type === A) accepted.push(g);
      }
    }
    this.cacheAll(accepted);
    run.events.push({ kind: 'referral', from: zone || '.', to: cut, nameServers: nsNames });
    return { kind: 'referral', next: { zone: cut, ns: nsNames } };
  }

  private cacheAll(records: readonly DnsRecord[]): void {
    const sets = new Map<string, DnsRecord[]>();
    for (const r of records) {
      const k = `${r.name.toLowerCase()}|${r.type}`;
      sets.set(k, [...(sets.get(k) ?? []), r]);
    }
    for (const set of sets.values()) this.cache.putRrset(set);
  }
}
