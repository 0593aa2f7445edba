// What the authoritative server answers, as a pure function of the query bytes, the client and the
// transport (no sockets: the server in auth-server.ts only moves bytes).
//
// Order of decisions: a message that does not decode gets FORMERR (when it has a header and is a
// query) or nothing; a response is never answered; opcode other than QUERY: NOTIMP; not exactly one
// question: FORMERR; a broken OPT (two of them, not owned by the root, a malformed cookie): FORMERR,
// EDNS version above 0: BADVERS (query-checks.ts); a bad client-subnet option: FORMERR (RFC 7871
// §7.1.1); then faults; class other than IN (or ANY): REFUSED; zone transfers: REFUSED, other meta
// types: FORMERR (query-checks.ts); a name in none of the zones: REFUSED; else the zone lookup (zone-lookup.ts), with each
// address RRset passed through the client's view, the failover health checks and round-robin
// rotation. Over UDP an answer larger than 512 bytes (without EDNS) or the size the client
// advertises (with it) loses its additional records first; when the answer or authority records do
// not fit (or the glue of a referral), the reply is TC=1 with empty sections (RFC 2181 §9, RFC 9471).
// Repeated queries are answered from encoded answers kept in auth-cache.ts.

import { decodeDnsMessage } from '../wire/dns-decode.ts';
import { encodeDnsMessage } from '../wire/dns-encode.ts';
import { nameKey, type RRset, type Zone } from './zone.ts';
import { DNS_CLASS, DNS_OPCODE, DNS_RCODE, DNS_TYPE, dnsFlags, type DnsMessage, type DnsRecord, type EdnsClientSubnet } from '../wire/dns-types.ts';
import { activeFault, cnameLoopRecords, pointerLoopResponse, type FaultKind, type FaultSpec } from './faults.ts';
import type { Failover } from './auth-failover.ts';
import type { ViewMatch, ViewTable } from './views.ts';
import { lookupInZone } from './zone-lookup.ts';
import type { ZoneSet } from './zone-set.ts';
import { addressBytes, prefixMatch } from './views.ts';
import { AnswerCache, answerCacheKey, type RotationUse } from './auth-cache.ts';
import { ednsProblem, metaTypeProblem } from './query-checks.ts';
import type { AnswerMeta } from './auth-meta.ts';
import { NetlabError } from '../base/errors.ts';

export type { AnswerMeta } from './auth-meta.ts';

/** The smallest UDP payload every DNS client takes (RFC 1035 §4.2.1). */
export const MIN_UDP_PAYLOAD = 512;

export interface AuthPolicy {
  zones: ZoneSet;
  views?: ViewTable;
  failover?: Failover;
  /** Rotate address (and other) RRsets one step per answer (round robin). */
  rotate: boolean;
  faults: readonly FaultSpec[];
  /** The UDP payload size this server advertises in its OPT record. */
  ednsUdpSize: number;
  /** Keep encoded answers for repeated queries (auth-cache.ts). Default true. */
  cacheAnswers?: boolean;
}

export interface AnswerResult {
  /** The reply; undefined when the server stays silent. */
  bytes?: Uint8Array;
  meta: AnswerMeta;
}

type Outcome = { kind: string; answers: DnsRecord[]; authorities: DnsRecord[]; additionals: DnsRecord[]; rcode: number; aa: boolean; requiredGlue: boolean };

const CACHED_OUTCOMES = new Set(['answer', 'cname', 'nodata', 'nxdomain', 'referral', 'refused']);

export class AuthResponder {
  private readonly rotation = new Map<string, number>();
  private readonly cache = new AnswerCache((key) => this.rotation.get(key) ?? 0);
  /** While answering: the rotations used (with their offsets) and whether failover shaped the answer. */
  private trace: (RotationUse & { offset: number })[] = [];
  private failoverTouched = false;

  constructor(readonly policy: AuthPolicy) {}

  /** Forgets every kept answer (after a change the cache cannot see, e.g. new faults). */
  clearCache(): void {
    this.cache.clear();
  }

  /** The reply to one query. Never throws: an internal failure answers SERVFAIL. */
  respond(bytes: Uint8Array, client: string, tcp: boolean): AnswerResult {
    try {
      const useCache = this.policy.cacheAnswers !== false && this.policy.faults.length === 0;
      if (!useCache) return this.answer(bytes, client, tcp);
      const views = this.policy.views;
      const key = answerCacheKey(bytes, tcp, views !== undefined && views.size > 0 ? (views.matchAddress(client)?.view ?? '-') : undefined);
      if (key === undefined) return this.answer(bytes, client, tcp);
      const version = this.policy.zones.version;
      const hit = this.cache.get(key, (bytes[0] << 8) | bytes[1], version);
      if (hit !== undefined) {
        for (const r of hit.rotations) this.rotation.set(r.key, ((this.rotation.get(r.key) ?? 0) + 1) % r.size);
        return { bytes: hit.bytes, meta: hit.meta };
      }
      const result = this.answer(bytes, client, tcp);
      if (result.bytes !== undefined && !this.failoverTouched && result.meta.fault === undefined && CACHED_OUTCOMES.has(result.meta.outcome)) {
        const offsets = this.trace.map((t) => `${t.offset},`).join('');
        const rotations = this.trace.map(({ key: k, size }) => ({ key: k, size }));
        this.cache.put(key, offsets, rotations, result.bytes.slice(), result.meta, version);
      }
      return result;
    } catch (err) {
      const id = bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : 0;
      const meta: AnswerMeta = {
        id,
        rcode: DNS_RCODE.SERVFAIL,
        aa: false,
        tc: false,
        answers: 0,
        outcome: 'error',
        edns: false,
        reason: `internal error: ${(err as Error).message}`,
      };
      if (bytes.length < 12) return { meta: { ...meta, outcome: 'dropped' } };
      return {
        bytes: encodeDnsMessage({ id, flags: dnsFlags({ qr: true, rcode: DNS_RCODE.SERVFAIL }), questions: [], answers: [], authorities: [], additionals: [] }),
        meta,
      };
    }
  }

  private answer(bytes: Uint8Array, client: string, tcp: boolean): AnswerResult {
    this.trace = [];
    this.failoverTouched = false;
    const d = decodeDnsMessage(bytes);
    if (!d.ok) {
      const id = bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : 0;
      const meta: AnswerMeta = { id, rcode: DNS_RCODE.FORMERR, aa: false, tc: false, answers: 0, outcome: 'error', edns: false, reason: d.error.message };
      // Answer FORMERR only to something with a whole header that claims to be a query.
      if (bytes.length < 12 || (bytes[2] & 0x80) !== 0) return { meta: { ...meta, outcome: 'dropped' } };
      const flags = dnsFlags({ qr: true, opcode: (bytes[2] >> 3) & 0x0f, rd: (bytes[2] & 1) === 1, rcode: DNS_RCODE.FORMERR });
      return { bytes: encodeDnsMessage({ id, flags, questions: [], answers: [], authorities: [], additionals: [] }), meta };
    }
    const q = d.message;
    const question = q.questions[0];
    const meta: AnswerMeta = { id: q.id, rcode: 0, aa: false, tc: false, answers: 0, outcome: 'answer', edns: q.edns !== undefined };
    if (question !== undefined) {
      meta.name = question.name;
      meta.type = question.type;
    }
    if (q.flags.qr) return { meta: { ...meta, outcome: 'dropped', reason: 'a response, not a query' } };
    const reply: DnsMessage = {
      id: q.id,
      flags: dnsFlags({ qr: true, opcode: q.flags.opcode, rd: q.flags.rd, cd: q.flags.cd }),
      questions: question === undefined || q.questions.length > 1 ? [] : [question],
      answers: [],
      authorities: [],
      additionals: [],
    };
    if (q.edns !== undefined) reply.edns = { udpSize: this.policy.ednsUdpSize, version: 0, do: q.edns.do, options: [] };
    const fail = (rcode: number, outcome: string, reason: string): AnswerResult => {
      reply.flags.rcode = rcode;
      return this.finish(reply, { ...meta, rcode, outcome, reason }, q, tcp, false);
    };
    if (q.flags.opcode !== DNS_OPCODE.QUERY) return fail(DNS_RCODE.NOTIMP, 'error', `opcode ${q.flags.opcode} is not supported`);
    if (question === undefined || q.questions.length !== 1) return fail(DNS_RCODE.FORMERR, 'error', `${q.questions.length} questions (exactly one is allowed)`);
    const bad = ednsProblem(q);
    if (bad !== undefined) {
      // The reply carries an OPT (RFC 6891 §7: so the client tells a format error in EDNS from a
      // server without EDNS; BADVERS needs it for the upper RCODE bits).
      reply.edns ??= { udpSize: this.policy.ednsUdpSize, version: 0, do: false, options: [] };
      return fail(bad.rcode, 'error', bad.reason);
    }
    const ecs = q.edns?.options.find((o): o is EdnsClientSubnet => o.type === 'client-subnet');
    if (ecs !== undefined) {
      const bad = badSubnet(ecs);
      if (bad !== undefined) return fail(DNS_RCODE.FORMERR, 'error', bad);
      meta.subnet = `${ecs.address}/${ecs.sourcePrefixLength}`;
    }

    const fault = activeFault(this.policy.faults, question.name, tcp, q.edns !== undefined);
    if (fault !== undefined) {
      meta.fault = fault.kind;
      const r = this.faulty(fault.kind, reply, question.name, meta, q, tcp);
      if (r !== undefined) return r;
    }
    if (question.class !== DNS_CLASS.IN && question.class !== DNS_CLASS.ANY)
      return fail(DNS_RCODE.REFUSED, 'refused', `class ${question.class}: this server holds class IN only`);
    const metaType = metaTypeProblem(question.type);
    if (metaType !== undefined) return fail(metaType.rcode, metaType.rcode === DNS_RCODE.REFUSED ? 'refused' : 'error', metaType.reason);
    const zone = this.policy.zones.find(question.name);
    if (zone === undefined) return fail(DNS_RCODE.REFUSED, 'refused', `${question.name || '.'} is in none of this server's zones`);

    const view = this.viewOf(client, ecs);
    if (view !== undefined) meta.view = view.view;
    const o = this.lookup(zone, question.name, question.type, view?.view);
    reply.flags.aa = o.aa;
    reply.flags.rcode = o.rcode;
    reply.answers = o.answers;
    reply.authorities = o.authorities;
    reply.additionals = o.additionals;
    if (ecs !== undefined && reply.edns !== undefined) {
      const dependent = this.policy.views !== undefined && o.answers.some((r) => this.policy.views?.dependsOnView(r.name, r.type));
      const scope = !dependent ? 0 : view !== undefined ? view.prefix : ecs.sourcePrefixLength;
      reply.edns.options.push({ ...ecs, scopePrefixLength: scope });
    }
    return this.finish(reply, { ...meta, rcode: o.rcode, aa: o.aa, outcome: o.kind }, q, tcp, o.requiredGlue);
  }

  private viewOf(client: string, ecs: EdnsClientSubnet | undefined): ViewMatch | undefined {
    const views = this.policy.views;
    if (views === undefined || views.size === 0) return undefined;
    if (ecs !== undefined && ecs.sourcePrefixLength > 0) return views.matchSubnet(ecs);
    return views.matchAddress(client);
  }

  /** An RRset as this client gets it: its view's version, health-filtered, rotated. */
  private present(set: RRset, view: string | undefined, rotate: boolean): DnsRecord[] {
    let s = this.policy.views?.override(view, set.name, set.type) ?? set;
    if (this.policy.failover?.covers(set.name, set.type)) {
      this.failoverTouched = true;
      s = this.policy.failover.apply(s);
    }
    const recs = s.records;
    if (!rotate || !this.policy.rotate || recs.length < 2) return recs.slice();
    const key = `${nameKey(set.name)}|${set.type}|${view ?? ''}`;
    const n = this.rotation.get(key) ?? 0;
    this.rotation.set(key, (n + 1) % recs.length);
    const k = n % recs.length;
    this.trace.push({ key, size: recs.length, offset: k });
    return [...recs.slice(k), ...recs.slice(0, k)];
  }

  private lookup(zone: Zone, qname: string, qtype: number, view: string | undefined): Outcome {
    const r = lookupInZone(zone, qname, qtype);
    const answers = r.answer.flatMap((s) => this.present(s, view, true));
    const out: Outcome = { kind: r.kind, answers, authorities: [], additionals: [], rcode: DNS_RCODE.NOERROR, aa: true, requiredGlue: false };
    switch (r.kind) {
      case 'nxdomain':
        out.rcode = DNS_RCODE.NXDOMAIN;
        out.authorities = [zone.negativeSoa()];
        break;
      case 'nodata':
        out.authorities = [zone.negativeSoa()];
        break;
      case 'referral':
        // AA stays only for the CNAME records that led here (RFC 1035 §4.1.1: AA names the answer's owner).
        out.aa = answers.length > 0;
        out.authorities = r.ns.records.slice();
        out.additionals = r.glue.flatMap((g) => this.present(g, view, false));
        out.requiredGlue = out.additionals.length > 0;
        break;
      case 'answer':
        out.additionals = this.additional(zone, answers, view);
        break;
      case 'cname':
        break;
    }
    return out;
  }

  /** Addresses of the in-zone names an MX, SRV or NS answer points at (RFC 1035 §3.3.9 etc.). */
  private additional(zone: Zone, answers: readonly DnsRecord[], view: string | undefined): DnsRecord[] {
    const out: DnsRecord[] = [];
    const done = new Set<string>();
    for (const a of answers) {
      const target = a.data.type === 'MX' ? a.data.exchange : a.data.type === 'SRV' ? a.data.target : a.data.type === 'NS' ? a.data.name : undefined;
      if (target === undefined) continue;
      let key: string;
      try {
        key = nameKey(target);
      } catch {
        continue;
      }
      if (done.has(key) || !zone.contains(key)) continue;
      done.add(key);
      for (const t of [DNS_TYPE.A, DNS_TYPE.AAAA]) {
        const set = zone.rrset(key, t);
        if (set !== undefined) out.push(...this.present(set, view, false));
      }
    }
    return out;
  }

  /** The reply a fault gives, or undefined when the fault leaves this query alone. */
  private faulty(kind: FaultKind, reply: DnsMessage, qname: string, meta: AnswerMeta, q: DnsMessage, tcp: boolean): AnswerResult | undefined {
    const zone = this.policy.zones.find(qname);
    switch (kind) {
      case 'silence':
        return { meta: { ...meta, outcome: 'dropped', reason: 'fault: silence' } };
      case 'formerr':
        reply.flags.rcode = DNS_RCODE.FORMERR;
        delete reply.edns; // a server from before EDNS knows no OPT record
        return this.finish(reply, { ...meta, rcode: DNS_RCODE.FORMERR, outcome: 'fault' }, q, tcp, false);
      case 'tc':
        reply.flags.aa = zone !== undefined;
        reply.flags.tc = true;
        return this.finish(reply, { ...meta, aa: reply.flags.aa, tc: true, outcome: 'fault' }, q, tcp, false);
      case 'lame': {
        if (zone === undefined) return undefined;
        const ns = zone.rrset(zone.originKey, DNS_TYPE.NS);
        reply.authorities = ns?.records.slice() ?? [];
        return this.finish(reply, { ...meta, outcome: 'fault' }, q, tcp, false);
      }
      case 'cname-loop': {
        reply.flags.aa = true;
        reply.answers = cnameLoopRecords(qname, zone?.origin ?? '', 60);
        return this.finish(reply, { ...meta, aa: true, outcome: 'fault' }, q, tcp, false);
      }
      case 'pointer-loop': {
        const question = q.questions[0];
        const flags = dnsFlags({ qr: true, aa: true, rd: q.flags.rd });
        return { bytes: pointerLoopResponse(q.id, flags, question), meta: { ...meta, aa: true, answers: 1, outcome: 'fault' } };
      }
    }
  }

  /** Encodes the reply, fitting it to the UDP size the client takes. */
  private finish(reply: DnsMessage, meta: AnswerMeta, q: DnsMessage, tcp: boolean, requiredGlue: boolean): AnswerResult {
    let out = encodeDnsMessage(reply);
    if (tcp && out.length > 0xffff) throw new NetlabError('ERR_LIMIT', `the answer is ${out.length} bytes, over the 65535 a TCP message can hold`);
    if (!tcp) {
      const limit = q.edns !== undefined ? Math.max(MIN_UDP_PAYLOAD, q.edns.udpSize) : MIN_UDP_PAYLOAD;
      if (out.length > limit) {
        const withoutExtra: DnsMessage = { ...reply, additionals: [] };
        const smaller = encodeDnsMessage(withoutExtra);
        if (smaller.length <= limit && !requiredGlue) out = smaller;
        else {
          const empty: DnsMessage = { ...reply, flags: { ...reply.flags, tc: true }, answers: [], authorities: [], additionals: [] };
          out = encodeDnsMessage(empty);
          return { bytes: out, meta: { ...meta, tc: true, answers: 0 } };
        }
        return { bytes: out, meta: { ...meta, answers: reply.answers.length } };
      }
    }
    return { bytes: out, meta: { ...meta, tc: reply.flags.tc, answers: reply.answers.length } };
  }
}

/** Why a client-subnet option is malformed (RFC 7871 §7.1.1), or undefined. */
function badSubnet(ecs: EdnsClientSubnet): string | undefined {
  if (ecs.family !== 1 && ecs.family !== 2) return undefined; // unknown family: ignored
  const max = ecs.family === 1 ? 32 : 128;
  if (ecs.sourcePrefixLength > max) return `client subnet source prefix /${ecs.sourcePrefixLength} is longer than ${max} bits`;
  if (ecs.scopePrefixLength !== 0) return `client subnet scope prefix /${ecs.scopePrefixLength} in a query (must be 0)`;
  const a = addressBytes(ecs.address);
  if (a === undefined) return `client subnet address ${ecs.address} is not an address`;
  // Bits after the source prefix must be zero: compare the address with itself masked.
  const masked = a.bytes.map((b, i) => {
    const bits = ecs.sourcePrefixLength - i * 8;
    return bits >= 8 ? b : bits <= 0 ? 0 : b & ((0xff << (8 - bits)) & 0xff);
  });
  if (!prefixMatch(masked, a.bytes, a.bytes.length * 8)) return `client subnet ${ecs.address}/${ecs.sourcePrefixLength} has address bits set after the prefix`;
  return undefined;
}
