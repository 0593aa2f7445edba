// A routing table with longest-prefix match. Routes are kept in one map per prefix length, keyed by
// the masked network, so a lookup tries at most 33 map probes, longest prefix first; a default route
// is the /0 entry. Connected routes come from interface addresses; static routes name a gateway
// (next hop) that must lie on a connected network, and take that network's interface.

import { inPrefix, ipv4Number, ipv4Text, parsePrefix, prefixMask } from './host-addr.ts';
import { NetlabRangeError } from '../base/errors.ts';

export type RouteKind = 'connected' | 'static';

export interface Route {
  /** The network, already masked. */
  network: number;
  prefixLen: number;
  /** Next hop, or undefined for a connected network (deliver to the destination itself). */
  gateway: number | undefined;
  /** Name of the interface the route leaves by. */
  iface: string;
  kind: RouteKind;
  metric: number;
}

/** A route as given by a caller: `{ prefix: '10.0.3.0/24', via: '10.0.2.2' }` or 'default'. */
export interface RouteSpec {
  /** 'a.b.c.d/len', or 'default' for 0.0.0.0/0. */
  prefix: string;
  /** The next hop; it must be on a connected network. */
  via: string | number;
  metric?: number;
}

export class RoutingTable {
  /** byLength[len] maps masked network -> route. */
  private readonly byLength: Map<number, Route>[] = Array.from({ length: 33 }, () => new Map<number, Route>());
  private count = 0;

  constructor(private readonly owner = 'node') {}

  /** Number of routes. */
  get size(): number {
    return this.count;
  }

  /** Adds the connected route of an interface address (`10.0.1.10/24` gives 10.0.1.0/24 on it). */
  addConnected(address: number, prefixLen: number, iface: string): Route {
    return this.put({ network: (address & prefixMask(prefixLen)) >>> 0, prefixLen, gateway: undefined, iface, kind: 'connected', metric: 0 });
  }

  /** Removes every connected route of an interface (when its address changes). */
  removeConnected(iface: string): void {
    for (const m of this.byLength) {
      for (const [k, r] of m) {
        if (r.kind === 'connected' && r.iface === iface) {
          m.delete(k);
          this.count--;
        }
      }
    }
  }

  /**
   * Adds a static route through a gateway. The gateway must lie on a connected network; its interface
   * becomes the route's. Replaces a route to the same prefix.
   */
  add(spec: RouteSpec): Route {
    const { address, prefixLen } = spec.prefix.trim() === 'default' ? { address: 0, prefixLen: 0 } : parsePrefix(spec.prefix);
    const gateway = ipv4Number(spec.via);
    const link = this.lookup(gateway);
    if (link === undefined || link.kind !== 'connected') {
      throw new NetlabRangeError(
        `${this.owner}: next hop ${ipv4Text(gateway)} for ${spec.prefix} is not on a connected network (add the interface first, or pick a gateway inside one)`,
      );
    }
    const metric = spec.metric ?? 0;
    if (!Number.isInteger(metric) || metric < 0) throw new NetlabRangeError(`${this.owner}: route metric must be a whole number >= 0, got ${spec.metric}`);
    return this.put({ network: (address & prefixMask(prefixLen)) >>> 0, prefixLen, gateway, iface: link.iface, kind: 'static', metric });
  }

  /** Removes the route to a prefix ('a.b.c.d/len' or 'default'); true when there was one. */
  remove(prefix: string): boolean {
    const { address, prefixLen } = prefix.trim() === 'default' ? { address: 0, prefixLen: 0 } : parsePrefix(prefix);
    const removed = this.byLength[prefixLen].delete((address & prefixMask(prefixLen)) >>> 0);
    if (removed) this.count--;
    return removed;
  }

  private put(r: Route): Route {
    const m = this.byLength[r.prefixLen];
    if (!m.has(r.network)) this.count++;
    m.set(r.network, r);
    return r;
  }

  /** The route with the longest prefix that holds `dst`, or undefined (no route, not even a default). */
  lookup(dst: number): Route | undefined {
    for (let len = 32; len >= 0; len--) {
      const m = this.byLength[len];
      if (m.size === 0) continue;
      const r = m.get((dst & prefixMask(len)) >>> 0);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** Every route, longest prefix first, then by network. */
  routes(): Route[] {
    const out: Route[] = [];
    for (let len = 32; len >= 0; len--) {
      out.push(...[...this.byLength[len].values()].sort((a, b) => a.network - b.network));
    }
    return out;
  }

  /** True when `dst` is on one of the connected networks. */
  isConnected(dst: number): boolean {
    const r = this.lookup(dst);
    return r !== undefined && r.kind === 'connected' && inPrefix(dst, r.network, r.prefixLen);
  }

  /**
   * The table as `route -n` prints it (Destination, Gateway, Genmask, Flags, Metric, Iface):
   * U = up, G = through a gateway, H = a host route (/32).
   */
  format(): string {
    return formatColumns(this.rows());
  }

  /** The same table as rows, the head first. */
  rows(): string[][] {
    const rows = [['Destination', 'Gateway', 'Genmask', 'Flags', 'Metric', 'Iface']];
    for (const r of this.routes()) {
      const flags = 'U' + (r.gateway !== undefined ? 'G' : '') + (r.prefixLen === 32 ? 'H' : '');
      rows.push([
        ipv4Text(r.network),
        r.gateway === undefined ? '0.0.0.0' : ipv4Text(r.gateway),
        ipv4Text(prefixMask(r.prefixLen)),
        flags,
        String(r.metric),
        r.iface,
      ]);
    }
    return rows;
  }
}

/** Left-aligned columns, two spaces apart, no trailing spaces. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
