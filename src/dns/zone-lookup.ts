// The authoritative lookup of RFC 1034 §4.3.2 in one zone: delegations first (a name at or below a
// cut is answered with a referral: the cut's NS set and the glue the zone holds for it), then the
// name itself (its RRset, NODATA, or a CNAME followed inside the zone, at most MAX_CNAME_HOPS and never
// round a loop), then wildcards (RFC 4592: `*.` at the closest encloser, when the next name down does
// not exist), else NXDOMAIN. A CNAME chain ending in NXDOMAIN keeps the chain in the answer with the
// RCODE of the last name (RFC 6604). ANY is answered minimally (RFC 8482 §4.2): one RRset of the
// name, the one with the lowest type number.

import { DNS_TYPE } from '../wire/dns-types.ts';
import type { DnsRecord } from '../wire/dns-types.ts';
import { ancestorKeys, nameKey, type RRset, type Zone } from './zone.ts';

/** CNAMEs followed inside one zone before the chain is cut off. */
export const MAX_CNAME_HOPS = 16;

export type ZoneLookup =
  /** Data (possibly after CNAMEs): `answer` holds the chain and the RRset asked for. */
  | { kind: 'answer'; answer: RRset[]; wildcard: boolean }
  /** The chain left the zone, or looped: the chain as far as the zone knows it. */
  | { kind: 'cname'; answer: RRset[]; loop: boolean }
  | { kind: 'nodata'; answer: RRset[] }
  | { kind: 'nxdomain'; answer: RRset[] }
  | { kind: 'referral'; answer: RRset[]; cut: string; ns: RRset; glue: RRset[] };

/** An RRset with every record renamed (wildcard synthesis). */
function renamed(set: RRset, owner: string): RRset {
  return { ...set, name: owner, records: set.records.map((r) => ({ ...r, name: owner })) };
}

function glueFor(zone: Zone, ns: RRset): RRset[] {
  const out: RRset[] = [];
  for (const r of ns.records) {
    if (r.data.type !== 'NS') continue;
    const target = nameKey(r.data.name);
    if (!zone.contains(target)) continue;
    for (const t of [DNS_TYPE.A, DNS_TYPE.AAAA]) {
      const set = zone.rrset(target, t);
      if (set !== undefined) out.push(set);
    }
  }
  return out;
}

/** Looks `qname`/`qtype` up in `zone` (which must contain qname). */
export function lookupInZone(zone: Zone, qname: string, qtype: number): ZoneLookup {
  const answer: RRset[] = [];
  const seen = new Set<string>();
  let name = qname;
  for (let hop = 0; ; hop++) {
    const key = nameKey(name);
    seen.add(key);
    const cut = zone.cutAbove(key);
    if (cut !== undefined && !(cut === key && qtype === DNS_TYPE.DS)) {
      const ns = zone.rrset(cut, DNS_TYPE.NS) as RRset;
      return { kind: 'referral', answer, cut: ns.name, ns, glue: glueFor(zone, ns) };
    }
    let wildcard = false;
    let rrsets: (t: number) => RRset | undefined;
    let all: () => RRset[];
    if (zone.exists(key)) {
      rrsets = (t) => zone.rrset(key, t);
      all = () => zone.rrsets(key);
    } else {
      const source = wildcardSource(zone, key);
      if (source === undefined) return { kind: 'nxdomain', answer };
      wildcard = true;
      rrsets = (t) => {
        const s = zone.rrset(source, t);
        return s === undefined ? undefined : renamed(s, name);
      };
      all = () => zone.rrsets(source).map((s) => renamed(s, name));
    }
    const cname = rrsets(DNS_TYPE.CNAME);
    if (cname !== undefined && qtype !== DNS_TYPE.CNAME) {
      answer.push(cname);
      const target = (cname.records[0] as DnsRecord & { data: { type: 'CNAME'; name: string } }).data.name;
      const tkey = nameKey(target);
      if (!zone.contains(tkey)) return { kind: 'cname', answer, loop: false };
      if (seen.has(tkey) || hop + 1 >= MAX_CNAME_HOPS) return { kind: 'cname', answer, loop: true };
      name = target;
      continue;
    }
    if (qtype === DNS_TYPE.ANY) {
      const sets = all();
      if (sets.length === 0) return { kind: 'nodata', answer };
      answer.push(sets[0]);
      return { kind: 'answer', answer, wildcard };
    }
    const set = rrsets(qtype);
    if (set === undefined) return { kind: 'nodata', answer };
    answer.push(set);
    return { kind: 'answer', answer, wildcard };
  }
}

/**
 * The wildcard that may synthesise `key` (RFC 4592 §3.3.1): `*.` + the closest encloser, when it
 * exists with data; undefined when there is none (then the name does not exist).
 */
function wildcardSource(zone: Zone, key: string): string | undefined {
  const ancestors = ancestorKeys(key);
  for (let i = 1; i < ancestors.length; i++) {
    const encloser = ancestors[i];
    if (!zone.exists(encloser)) continue;
    const source = encloser === '' ? '*' : `*.${encloser}`;
    return zone.rrsets(source).length > 0 ? source : undefined;
  }
  return undefined;
}
