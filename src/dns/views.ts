// Geo answers by views: each view is a name ("India", "US") with the networks it serves
// (127.1.0.0/16) and the RRsets it answers differently from the zone. A query is placed in a view by
// the client subnet option when it carries one (RFC 7871: a resolver passes on its client's subnet),
// else by its source address; the longest matching network wins. A view may only override RRsets the
// zone has (so a name never exists in one view and not in another). The reply's client-subnet option
// carries the SCOPE prefix: the matched network's length, the query's own source prefix when no view
// matched, 0 when the answer does not depend on the view (RFC 7871 §7.2.1).

import { isIP } from 'node:net';
import { ipv4Bytes } from '../wire/ipv4.ts';
import { parseIpv6Address } from '../wire/ipv6.ts';
import type { DnsRecord, EdnsClientSubnet } from '../wire/dns-types.ts';
import { nameKey, type RRset } from './zone.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface ViewSpec {
  name: string;
  /** CIDR networks, e.g. "127.1.0.0/16", "fd00:1::/32". */
  networks: readonly string[];
  /** The RRsets this view answers with instead of the zone's (same name and type replace). */
  records: readonly DnsRecord[];
}

export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

/** Parses "a.b.c.d/n" or "x::/n" (a bare address is /32 or /128). Throws RangeError naming the text. */
export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.split('/');
  const family = isIP(addr);
  if (extra !== undefined || (family !== 4 && family !== 6)) throw new NetlabRangeError(`'${text}' is not a network (write it like 127.1.0.0/16 or fd00::/8)`);
  const max = family === 4 ? 32 : 128;
  const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= max)) throw new NetlabRangeError(`'${text}': the prefix length must be 0..${max}`);
  return { family, bytes: family === 4 ? ipv4Bytes(addr) : parseIpv6Address(addr), prefix, text };
}

/** True when the first `prefix` bits of `a` and `b` agree. */
export function prefixMatch(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

/** An address as bytes and family; IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function addressBytes(address: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const f = isIP(address);
  if (f === 4) return { family: 4, bytes: ipv4Bytes(address) };
  if (f !== 6) return undefined;
  const b = parseIpv6Address(address);
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? { family: 4, bytes: b.slice(12) } : { family: 6, bytes: b };
}

export interface ViewMatch {
  view: string;
  /** The matched network's prefix length (the ECS scope). */
  prefix: number;
}

export class ViewTable {
  private readonly networks: { view: string; cidr: Cidr }[] = [];
  /** view -> "name|type" -> RRset */
  private readonly overrides = new Map<string, Map<string, RRset>>();
  /** "name|type" keys some view overrides. */
  private readonly dependent = new Set<string>();

  constructor(views: readonly ViewSpec[]) {
    for (const v of views) {
      if (this.overrides.has(v.name)) throw new NetlabRangeError(`view '${v.name}' is defined twice`);
      if (v.networks.length === 0) throw new NetlabRangeError(`view '${v.name}' has no networks`);
      for (const n of v.networks) this.networks.push({ view: v.name, cidr: parseCidr(n) });
      const sets = new Map<string, RRset>();
      for (const r of v.records) {
        const key = `${nameKey(r.name)}|${r.type}`;
        const set = sets.get(key) ?? { name: r.name, type: r.type, ttl: r.ttl, records: [] };
        set.ttl = Math.min(set.ttl, r.ttl);
        set.records.push({ ...r }); // copies: the TTLs are evened out below
        for (const x of set.records) x.ttl = set.ttl;
        sets.set(key, set);
        this.dependent.add(key);
      }
      this.overrides.set(v.name, sets);
    }
    // Longest prefix first, so the first match is the best.
    this.networks.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  }

  get size(): number {
    return this.overrides.size;
  }

  /** The "name|type" keys any view overrides (each must exist in a zone: the server checks). */
  overriddenKeys(): string[] {
    return [...this.dependent];
  }

  /** The view of an address (the longest matching network), if any. */
  matchAddress(address: string): ViewMatch | undefined {
    const a = addressBytes(address);
    if (a === undefined) return undefined;
    return this.match(a.family, a.bytes, a.family === 4 ? 32 : 128);
  }

  /**
   * The view of a client subnet: a network matches when it is no longer than the subnet's source
   * prefix (a /16 view cannot be told from a /8 subnet).
   */
  matchSubnet(ecs: EdnsClientSubnet): ViewMatch | undefined {
    if (ecs.family !== 1 && ecs.family !== 2) return undefined;
    const a = addressBytes(ecs.address);
    if (a === undefined) return undefined;
    return this.match(ecs.family === 1 ? 4 : 6, a.bytes, ecs.sourcePrefixLength);
  }

  private match(family: 4 | 6, bytes: Uint8Array, maxPrefix: number): ViewMatch | undefined {
    for (const { view, cidr } of this.networks) {
      if (cidr.family !== family || cidr.prefix > maxPrefix) continue;
      if (prefixMatch(cidr.bytes, bytes, cidr.prefix)) return { view, prefix: cidr.prefix };
    }
    return undefined;
  }

  /** True when some view answers this name and type its own way. */
  dependsOnView(name: string, type: number): boolean {
    return this.dependent.size > 0 && this.dependent.has(`${nameKey(name)}|${type}`);
  }

  /** The view's RRset for a name and type, when it overrides the zone's. */
  override(view: string | undefined, name: string, type: number): RRset | undefined {
    if (view === undefined || this.dependent.size === 0) return undefined;
    const set = this.overrides.get(view)?.get(`${nameKey(name)}|${type}`);
    if (set === undefined) return undefined;
    return { ...set, name, records: set.records.map((r) => ({ ...r, name })) };
  }
}
