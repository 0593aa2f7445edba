// A zone: the records of one master file, checked and indexed by name and type. The checks are the
// ones a server must make before it serves (RFC 1034 §4.2.1, §3.6.2; RFC 2181 §5, §10.1): one SOA, at
// the apex; NS at the apex; every name inside the origin; a CNAME alone at its name and never at the
// apex; below a delegation only glue addresses. Identical records are kept once (RFC 2181 §5) and the
// records of one RRset share the lowest TTL given (RFC 2181 §5.2, as BIND does).

import { canonicalName, isSubdomain, labelsToName, nameToLabels } from '../wire/dns-name.ts';
import { rdataText } from '../wire/dns-text.ts';
import { DNS_CLASS, DNS_TYPE, dnsTypeName, type DnsRecord, type SoaData } from '../wire/dns-types.ts';
import { loadZoneFile, parseZoneText, ZoneFileError, type ZoneFileRecord } from './zone-file.ts';

/** Records of one name and type (one class: IN). */
export interface RRset {
  /** The owner as first written. */
  name: string;
  type: number;
  ttl: number;
  records: DnsRecord[];
}

/** A zone's data is inconsistent: the file and line of the record at fault, when known. */
export class ZoneError extends Error {
  override readonly name = 'ZoneError';
  constructor(
    readonly zone: string,
    readonly reason: string,
    readonly where?: { file: string; line: number; column: number },
  ) {
    super(`${where ? `${where.file}:${where.line}:${where.column}: ` : ''}zone ${zone || '.'}: ${reason}`);
  }
}

/** Host-name-like text: labels of letters, digits, '-', '_' and '*', no escapes, at most 253 characters. */
const PLAIN_NAME = /^[A-Za-z0-9_*-]{1,63}(?:\.[A-Za-z0-9_*-]{1,63})*$/;

/** Canonical key of a name (lower case, no trailing dot). Throws DnsEncodeError on a bad name. */
export function nameKey(name: string): string {
  // The common case (what the decoder hands over for ordinary names) without building labels.
  if (name.length <= 253 && PLAIN_NAME.test(name)) return name.toLowerCase();
  return canonicalName(name);
}

/** The names from `name` up to (and including) the root, as canonical keys: a.b.c, b.c, c, "". */
export function ancestorKeys(name: string): string[] {
  if (name.length <= 253 && PLAIN_NAME.test(name)) {
    const key = name.toLowerCase();
    const out = [key];
    for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) out.push(key.slice(i + 1));
    out.push('');
    return out;
  }
  const labels = nameToLabels(canonicalName(name));
  const out: string[] = [];
  for (let i = 0; i <= labels.length; i++) out.push(labelsToName(labels.slice(i)));
  return out;
}

export class Zone {
  /** The origin as written (no trailing dot). */
  readonly origin: string;
  readonly originKey: string;
  readonly soa: DnsRecord & { data: SoaData };
  /** name key -> type -> RRset */
  private readonly nodes = new Map<string, Map<number, RRset>>();
  /** Every name that exists: names with data and the empty non-terminals above them. */
  private readonly existing = new Set<string>();
  /** Names below the apex holding NS: the delegation points. */
  private readonly cuts = new Set<string>();

  private constructor(origin: string, soa: DnsRecord & { data: SoaData }) {
    this.origin = origin;
    this.originKey = nameKey(origin);
    this.soa = soa;
  }

  /** Builds and checks a zone. Records may carry where they were written (for errors). */
  static fromRecords(origin: string, input: readonly (DnsRecord | ZoneFileRecord)[]): Zone {
    let originKey: string;
    try {
      originKey = nameKey(origin);
    } catch (err) {
      throw new ZoneError(origin, `the origin is not a valid name: ${(err as Error).message}`);
    }
    const entries: ZoneFileRecord[] = input.map((r) => ('record' in r ? r : { record: r, file: '<records>', line: 0, column: 0 }));
    const where = (e: ZoneFileRecord): { file: string; line: number; column: number } | undefined =>
      e.line > 0 ? { file: e.file, line: e.line, column: e.column } : undefined;
    const soas = entries.filter((e) => e.record.type === DNS_TYPE.SOA);
    if (soas.length === 0) throw new ZoneError(origin, 'has no SOA record (the apex must hold exactly one)');
    const soa = soas[0];
    if (nameKey(soa.record.name) !== originKey) throw new ZoneError(origin, `the SOA is at ${soa.record.name}, not at the apex`, where(soa));
    if (soas.length > 1) throw new ZoneError(origin, 'has more than one SOA record', where(soas[1]));
    if (soa.record.data.type !== 'SOA') throw new ZoneError(origin, 'the SOA record has no SOA data', where(soa));
    const zone = new Zone(labelsToName(nameToLabels(origin)), { ...soa.record, data: soa.record.data });
    for (const e of entries) {
      const r = e.record;
      const key = nameKey(r.name);
      if (!isSubdomain(key, originKey)) throw new ZoneError(origin, `${r.name} is outside the zone (out-of-zone data)`, where(e));
      if (r.class !== DNS_CLASS.IN) throw new ZoneError(origin, `${r.name} has class ${r.class}: netlab serves class IN only`, where(e));
      zone.add(key, r);
    }
    zone.check(entries, where);
    return zone;
  }

  /** A zone from master-file text. */
  static fromText(origin: string, text: string, file = `${origin || 'root'}.zone`): Zone {
    return Zone.fromRecords(origin, parseZoneText(text, { origin, file }));
  }

  /** A zone from a master file on disk. */
  static load(origin: string, path: string): Zone {
    return Zone.fromRecords(origin, loadZoneFile(path, { origin }));
  }

  private add(key: string, r: DnsRecord): void {
    let node = this.nodes.get(key);
    if (node === undefined) {
      node = new Map();
      this.nodes.set(key, node);
    }
    let set = node.get(r.type);
    if (set === undefined) {
      set = { name: r.name, type: r.type, ttl: r.ttl, records: [] };
      node.set(r.type, set);
    }
    const text = rdataText(r.data);
    if (set.records.some((x) => rdataText(x.data) === text)) return; // RFC 2181 §5: a set holds no duplicates
    set.ttl = Math.min(set.ttl, r.ttl);
    set.records.push({ ...r, name: set.name });
    for (const x of set.records) x.ttl = set.ttl;
    // The name and every ancestor up to the apex exist (empty non-terminals included).
    for (const a of ancestorKeys(key)) {
      this.existing.add(a);
      if (a === this.originKey) break;
    }
  }

  private check(entries: readonly ZoneFileRecord[], where: (e: ZoneFileRecord) => { file: string; line: number; column: number } | undefined): void {
    const at = (key: string, type?: number): ZoneFileRecord | undefined =>
      entries.find((e) => nameKey(e.record.name) === key && (type === undefined || e.record.type === type));
    if (this.nodes.get(this.originKey)?.get(DNS_TYPE.NS) === undefined) throw new ZoneError(this.origin, 'has no NS records at the apex', where(entries[0]));
    for (const [key, node] of this.nodes) {
      if (key !== this.originKey && node.has(DNS_TYPE.NS)) this.cuts.add(key);
      const cname = node.get(DNS_TYPE.CNAME);
      if (cname === undefined) continue;
      if (key === this.originKey)
        throw new ZoneError(this.origin, 'a CNAME at the apex (the apex holds SOA and NS)', where(at(key, DNS_TYPE.CNAME) ?? entries[0]));
      if (cname.records.length > 1)
        throw new ZoneError(
          this.origin,
          `${cname.name} has ${cname.records.length} CNAME records (at most one, RFC 1034 §3.6.2)`,
          where(entries.filter((e) => nameKey(e.record.name) === key && e.record.type === DNS_TYPE.CNAME)[1]),
        );
      const other = [...node.keys()].find((t) => t !== DNS_TYPE.CNAME);
      if (other !== undefined)
        throw new ZoneError(
          this.origin,
          `${cname.name} has a CNAME and ${dnsTypeName(other)} data (a CNAME must be alone at its name)`,
          where(at(key, other) ?? entries[0]),
        );
    }
    for (const [key, node] of this.nodes) {
      const cut = this.cutAbove(key);
      if (cut === undefined) continue;
      const bad = [...node.keys()].find((t) => t !== DNS_TYPE.A && t !== DNS_TYPE.AAAA && !(key === cut && (t === DNS_TYPE.NS || t === DNS_TYPE.DS)));
      if (bad !== undefined)
        throw new ZoneError(
          this.origin,
          `${node.get(bad)?.name} ${dnsTypeName(bad)} is at or below the delegation to ${cut}: only NS, DS and glue addresses may be there`,
          where(at(key, bad) ?? entries[0]),
        );
    }
  }

  /** The delegation point at or above `key` (strictly below the apex), if any. */
  cutAbove(key: string, includeSelf = true): string | undefined {
    let found: string | undefined;
    for (const a of ancestorKeys(key)) {
      if (a === this.originKey) break;
      if (!includeSelf && a === key) continue;
      if (this.cuts.has(a)) found = a; // keep going up: the highest cut wins
    }
    return found;
  }

  /** True when the name exists in the zone (with data, or as an empty non-terminal). */
  exists(key: string): boolean {
    return this.existing.has(key);
  }

  /** The RRset of a name key and type. */
  rrset(key: string, type: number): RRset | undefined {
    return this.nodes.get(key)?.get(type);
  }

  /** The RRsets at a name key, in type order. */
  rrsets(key: string): RRset[] {
    const node = this.nodes.get(key);
    return node === undefined ? [] : [...node.values()].sort((a, b) => a.type - b.type);
  }

  /** Every RRset (for listings and checks), names in insertion order. */
  allRRsets(): RRset[] {
    return [...this.nodes.values()].flatMap((n) => [...n.values()]);
  }

  /** The SOA as the authority record of a negative answer: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  negativeSoa(): DnsRecord {
    return { ...this.soa, ttl: Math.min(this.soa.ttl, this.soa.data.minimum) };
  }

  /** True when `name` is this zone's apex or below it. */
  contains(name: string): boolean {
    return isSubdomain(name, this.originKey);
  }
}

export { ZoneFileError };
