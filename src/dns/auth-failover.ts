// Failover records: an address RRset of a zone (www A 127.0.0.11, 127.0.0.12) whose addresses are
// health checked (TCP connect or HTTP GET on each address); an address leaves the answer while its
// check says unhealthy, and when every address is down the answer is the rule's fallback set (a
// "sorry server") with the same owner and TTL. One HealthChecker runs the checks of every rule; an
// address shared by two rules with the same check is checked once.

import { isIP } from 'node:net';
import { DNS_CLASS, DNS_TYPE, type DnsRecord } from '../wire/dns-types.ts';
import { HealthChecker, type HealthChange, type HealthCheckOptions, type HealthCheckSpec, type HealthTarget } from './health.ts';
import { nameKey, type RRset } from './zone.ts';
import { NetlabRangeError } from '../base/errors.ts';

export type FailoverCheck =
  | { kind: 'tcp'; port: number }
  | { kind: 'http'; port: number; path?: string; hostHeader?: string; acceptStatus?: (status: number) => boolean };

export interface FailoverRule {
  /** Owner name of an A or AAAA RRset in one of the server's zones. */
  name: string;
  type?: 'A' | 'AAAA';
  /** How each address of the RRset is checked (the host is the address itself). */
  check: FailoverCheck;
  /** Addresses answered when every checked address is down. */
  fallback: readonly string[];
}

function targetId(address: string, c: FailoverCheck): string {
  return c.kind === 'tcp' ? `tcp://${address}:${c.port}` : `http://${address}:${c.port}${c.path ?? '/'}`;
}

function specFor(address: string, c: FailoverCheck): HealthCheckSpec {
  if (c.kind === 'tcp') return { kind: 'tcp', host: address, port: c.port };
  const s: HealthCheckSpec = { kind: 'http', host: address, port: c.port };
  if (c.path !== undefined) s.path = c.path;
  if (c.hostHeader !== undefined) s.hostHeader = c.hostHeader;
  if (c.acceptStatus !== undefined) s.acceptStatus = c.acceptStatus;
  return s;
}

interface BoundRule {
  rule: FailoverRule;
  type: number;
  /** address -> health target id */
  ids: Map<string, string>;
}

export class Failover {
  readonly checker: HealthChecker;
  private readonly rules = new Map<string, BoundRule>();

  /**
   * `rrsetOf` gives the zone's RRset for a rule (the server looks it up in its zones); a rule whose
   * RRset does not exist is refused with its name.
   */
  constructor(rules: readonly FailoverRule[], health: HealthCheckOptions, rrsetOf: (name: string, type: number) => RRset | undefined) {
    const targets = new Map<string, HealthTarget>();
    for (const rule of rules) {
      const type = rule.type === 'AAAA' ? DNS_TYPE.AAAA : DNS_TYPE.A;
      const key = `${nameKey(rule.name)}|${type}`;
      if (this.rules.has(key)) throw new NetlabRangeError(`two failover rules for ${rule.name} ${rule.type ?? 'A'}`);
      const set = rrsetOf(rule.name, type);
      if (set === undefined) throw new NetlabRangeError(`failover rule for ${rule.name} ${rule.type ?? 'A'}: no such RRset in the server's zones`);
      if (rule.fallback.length === 0) throw new NetlabRangeError(`failover rule for ${rule.name}: the fallback set is empty`);
      const family = type === DNS_TYPE.A ? 4 : 6;
      const badFallback = rule.fallback.find((a) => isIP(a) !== family);
      if (badFallback !== undefined) throw new NetlabRangeError(`failover rule for ${rule.name}: fallback '${badFallback}' is not an IPv${family} address`);
      const ids = new Map<string, string>();
      for (const r of set.records) {
        if (r.data.type !== 'A' && r.data.type !== 'AAAA') continue;
        const id = targetId(r.data.address, rule.check);
        ids.set(r.data.address, id);
        if (!targets.has(id)) targets.set(id, { id, check: specFor(r.data.address, rule.check) });
      }
      this.rules.set(key, { rule, type, ids });
    }
    this.checker = new HealthChecker([...targets.values()], health);
  }

  start(): void {
    this.checker.start();
  }

  stop(): Promise<void> {
    return this.checker.stop();
  }

  onChange(fn: (c: HealthChange) => void): void {
    this.checker.on('change', fn);
  }

  /** True when a rule covers this name and type. */
  covers(name: string, type: number): boolean {
    return this.rules.has(`${nameKey(name)}|${type}`);
  }

  /** The RRset as the health checks leave it: healthy addresses, else the fallback set. */
  apply(set: RRset): RRset {
    if (set.type !== DNS_TYPE.A && set.type !== DNS_TYPE.AAAA) return set;
    const bound = this.rules.get(`${nameKey(set.name)}|${set.type}`);
    if (bound === undefined) return set;
    const healthy = set.records.filter((r) => {
      if (r.data.type !== 'A' && r.data.type !== 'AAAA') return true;
      const id = bound.ids.get(r.data.address);
      return id === undefined || this.checker.isHealthy(id);
    });
    if (healthy.length > 0) return healthy.length === set.records.length ? set : { ...set, records: healthy };
    const records: DnsRecord[] = bound.rule.fallback.map((address) => ({
      name: set.name,
      type: set.type,
      class: DNS_CLASS.IN,
      ttl: set.ttl,
      data: set.type === DNS_TYPE.A ? { type: 'A', address } : { type: 'AAAA', address },
    }));
    return { ...set, records };
  }
}
