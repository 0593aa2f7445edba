// The `forward:` section of a listener with `mode: forward` (a forward proxy, the kind a client names
// with `curl -x`): which destinations it may reach (allow rules of hosts, ports and kinds of request;
// by default plain HTTP to port 80 and CONNECT only to 443), Basic proxy authentication, what it
// writes in X-Forwarded-For, and its timeouts. Checked here, compiled to a matcher for the proxy.

import { isIP } from 'node:net';
import { z } from 'zod';
import { AddressSet } from './headers.ts';

const ms = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600 * 1000);

/** The two kinds of forward-proxy request: an absolute-form request (`GET http://h:p/x`) or a CONNECT tunnel. */
export const FORWARD_KINDS = ['http', 'connect'] as const;
export type ForwardKind = (typeof FORWARD_KINDS)[number];

const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

const portSpec = z.union([
  z.number().int().min(1).max(65535),
  z.string().refine(
    (s) => {
      const m = PORT_RANGE.exec(s);
      if (m === null) return false;
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      return lo >= 1 && hi <= 65535 && lo <= hi;
    },
    { message: 'expected a port (443) or a range ("40000-65535")' },
  ),
]);

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `*`, `*.example.test`, `example.test`, an IP address, or a CIDR block (`127.0.0.0/8`, `::1/128`). */
export function isForwardHostPattern(s: string): boolean {
  if (s === '*') return true;
  if (s.startsWith('*.')) return HOST_NAME.test(s.slice(2)) && isIP(s.slice(2)) === 0;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const fam = isIP(s.slice(0, slash));
    const bits = s.slice(slash + 1);
    return fam !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (fam === 4 ? 32 : 128);
  }
  return isIP(s) !== 0 || HOST_NAME.test(s);
}

function oneOrMany(v: unknown): unknown {
  return typeof v === 'string' || typeof v === 'number' ? [v] : v;
}

const allowRuleSchema = z.strictObject({
  /** Destination hosts: names, `*.suffix`, `*`, IP addresses or CIDR blocks (matched against IP literals only). */
  hosts: z.preprocess(
    oneOrMany,
    z.array(z.string().refine(isForwardHostPattern, { message: 'expected a host name, *.domain, *, an IP address or a CIDR block' })).min(1),
  ),
  /** Destination ports: numbers or "low-high" ranges. */
  ports: z.preprocess(oneOrMany, z.array(portSpec).min(1)),
  /** Which requests the rule allows: absolute-form HTTP, CONNECT tunnels, or both (default). */
  kinds: z.preprocess(oneOrMany, z.array(z.enum(FORWARD_KINDS)).min(1)).default(['http', 'connect']),
});

export type ForwardAllowRule = z.output<typeof allowRuleSchema>;

/** With no `allow` list: plain HTTP to port 80 anywhere, CONNECT only to 443 (a common forward-proxy default). */
export const DEFAULT_FORWARD_ALLOW: readonly ForwardAllowRule[] = [
  { hosts: ['*'], ports: [80], kinds: ['http'] },
  { hosts: ['*'], ports: [443], kinds: ['connect'] },
];

const userSchema = z.strictObject({
  user: z
    .string()
    .min(1)
    .refine((s) => !s.includes(':'), { message: 'a Basic user name cannot hold ":"' }),
  password: z.string().min(1),
});

export const forwardListenerSchema = z.strictObject({
  allow: z.array(allowRuleSchema).default(DEFAULT_FORWARD_ALLOW.map((r) => ({ ...r, hosts: [...r.hosts], ports: [...r.ports], kinds: [...r.kinds] }))),
  /** Basic proxy authentication: a client without good credentials gets 407. */
  auth: z
    .strictObject({
      realm: z
        .string()
        .min(1)
        .refine((s) => !/["\\\x00-\x1f\x7f]/.test(s), { message: 'a realm cannot hold quotes, backslashes or control characters' })
        .default('netlab'),
      users: z.array(userSchema).min(1, { message: 'expected at least one user' }),
    })
    .optional(),
  /**
   * X-Forwarded-For on requests to origins: `add` appends the client's address (what many forward
   * proxies do by default), `remove` drops it and any the client sent (an anonymizing proxy), `keep`
   * passes the client's own unchanged.
   */
  forwardedFor: z.enum(['add', 'remove', 'keep']).default('add'),
  timeouts: z
    .strictObject({
      connectMs: ms.default(5_000),
      /** Until the origin's response head is complete. */
      headerMs: ms.default(15_000),
      /** No byte from the origin for this long during a response body. */
      idleMs: ms.default(60_000),
      /** A CONNECT tunnel with no byte either way for this long is closed. */
      tunnelIdleMs: ms.default(300_000),
    })
    .default({ connectMs: 5_000, headerMs: 15_000, idleMs: 60_000, tunnelIdleMs: 300_000 }),
});

export type ForwardListenerConfig = z.output<typeof forwardListenerSchema>;

/** The defaults a `mode: forward` listener without a `forward:` section gets. */
export function defaultForwardConfig(): ForwardListenerConfig {
  return forwardListenerSchema.parse({});
}

/** Issues for a listener's forward settings (paths relative to the listener). */
export function forwardListenerIssues(l: {
  mode: string;
  forward?: unknown;
  cluster?: string;
  sni: readonly unknown[];
  proxyProtocol?: { send?: string };
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (l.mode !== 'forward') {
    if (l.forward !== undefined) out.push({ path: ['forward'], message: `forward settings belong to a listener with mode: forward (this one is ${l.mode})` });
    return out;
  }
  if (l.cluster !== undefined) out.push({ path: ['cluster'], message: 'a forward listener sends each request where its target names; it takes no cluster' });
  if (l.sni.length > 0) out.push({ path: ['sni'], message: 'SNI routes are for tcp listeners; a forward listener tunnels CONNECT to the host it names' });
  if (l.proxyProtocol?.send !== undefined) out.push({ path: ['proxyProtocol', 'send'], message: 'a forward listener does not send the PROXY protocol' });
  return out;
}

/** `*.suffix` or an exact name against a lower-case host (routes.ts has the same rule; importing it would make a cycle). */
function nameMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

// ---- the compiled allow-list ------------------------------------------------------------------------

interface CompiledRule {
  readonly names: readonly string[];
  readonly cidrs: AddressSet;
  readonly ports: readonly (readonly [number, number])[];
  readonly kinds: ReadonlySet<ForwardKind>;
}

export interface AllowVerdict {
  readonly allowed: boolean;
  /** Why not (for the 403 body and the access log). */
  readonly reason: string;
}

/** The allow rules of a forward listener, ready to answer for one destination. */
export class ForwardAllowList {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly ForwardAllowRule[]) {
    this.rules = rules.map((r) => ({
      names: r.hosts.filter((h) => !h.includes('/') && isIP(h) === 0).map((h) => h.toLowerCase().replace(/\.$/, '')),
      cidrs: new AddressSet(r.hosts.filter((h) => h.includes('/') || isIP(h) !== 0)),
      ports: r.ports.map((p): [number, number] => {
        if (typeof p === 'number') return [p, p];
        const m = PORT_RANGE.exec(p) as RegExpExecArray;
        return [Number(m[1]), Number(m[2] ?? m[1])];
      }),
      kinds: new Set(r.kinds),
    }));
  }

  /** May a request of `kind` go to host:port? Host is a name or an IP literal (no brackets). */
  check(kind: ForwardKind, host: string, port: number): AllowVerdict {
    const h = host.toLowerCase().replace(/\.$/, '');
    const literal = isIP(h) !== 0;
    let hostSeen = false;
    let portSeen = false;
    for (const r of this.rules) {
      const hostOk = r.names.some((n) => (n === '*' ? true : literal ? n === h : nameMatches(n, h))) || (literal && r.cidrs.contains(h));
      if (!hostOk) continue;
      hostSeen = true;
      if (!r.ports.some(([lo, hi]) => port >= lo && port <= hi)) continue;
      portSeen = true;
      if (r.kinds.has(kind)) return { allowed: true, reason: '' };
    }
    const what = kind === 'connect' ? 'CONNECT' : 'HTTP';
    if (!hostSeen) return { allowed: false, reason: `host ${host} is not on the allow list` };
    if (!portSeen) return { allowed: false, reason: `port ${port} of ${host} is not on the allow list` };
    return {
      allowed: false,
      reason: `${what} to ${host}:${port} is not allowed (the rule for it allows ${kind === 'connect' ? 'plain HTTP only' : 'CONNECT only'})`,
    };
  }
}
