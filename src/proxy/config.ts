// Reading a proxy (L7) or balancer (L4) configuration file: YAML or JSON (one parser reads both),
// shape checked with zod (config-schema.ts), then the cross-references: routes naming clusters that
// exist, names used once, regexes that compile, options that belong to the policy chosen. Every
// problem is reported with its key path, what was expected and where in the file:
//
//   proxy.yaml: clusters[0].policy: expected one of round_robin, weighted_round_robin, ... at line 12 col 13
//
// The same file shape serves the L4 balancer: its listeners have `mode: tcp` or `mode: udp` and a
// cluster (or SNI routes) instead of HTTP routes.

import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { core as zcore } from 'zod';
import type { BalancerOptions } from '../balance/balancer.ts';
import type { HealthCheckOptions } from '../balance/health-check.ts';
import { isPrime } from '../balance/maglev.ts';
import type { OutlierOptions } from '../balance/outlier.ts';
import type { PolicyConfig } from '../balance/policies.ts';
import type { RetryPolicyOptions } from '../balance/retry.ts';
import type { StickyOptions } from '../balance/sticky.ts';
import { forwardListenerIssues } from './config-forward.ts';
import { ConfigError, describeValue, DocumentLocator, formatPath, type ConfigIssue, type ConfigPath } from './config-errors.ts';
import { configSchema, type ClusterConfig, type Config, type ListenerConfig } from './config-schema.ts';
import { isLoopbackUrl } from './features/jwt-auth.ts';

export * from './config-schema.ts';
export { ConfigError, formatIssue, type ConfigIssue } from './config-errors.ts';

/** proxy: http listeners and routes; l4: tcp/udp listeners; any: either, mixed. */
export type ConfigKind = 'proxy' | 'l4' | 'any';

export interface ParseOptions {
  /** The file name messages start with. */
  readonly source?: string;
  readonly kind?: ConfigKind;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** An IP address or a host name. */
export function isHostOrAddress(s: string): boolean {
  return isIP(s) !== 0 || HOSTNAME.test(s);
}

/** `*`, `*.example.test` or `api.example.test`. */
export function isHostPattern(s: string): boolean {
  if (s === '*') return true;
  if (s.startsWith('*.')) return HOSTNAME.test(s.slice(2)) && isIP(s.slice(2)) === 0;
  return HOSTNAME.test(s) || isIP(s) !== 0;
}

/** `10.0.0.0/8`, `::1/128` or a bare address. */
export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** The message of a regex that does not compile, or undefined. */
export function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

function bound(origin: string, limit: unknown, inclusive: boolean | undefined, small: boolean): string {
  const n = Number(limit);
  if (origin === 'array' || origin === 'set')
    return small ? `expected at least ${n} item${n === 1 ? '' : 's'}` : `expected at most ${n} item${n === 1 ? '' : 's'}`;
  if (origin === 'string') return small ? (n === 1 ? 'expected non-empty text' : `expected at least ${n} characters`) : `expected at most ${n} characters`;
  return `expected a number ${small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${n}`;
}

/** zod's generic messages start like this; a message set in the schema is used as written. */
const GENERIC = /^(Invalid|Too small|Too big|Unrecognized)/;

function fromZod(issue: zcore.$ZodIssue, loc: DocumentLocator, out: ConfigIssue[]): void {
  const path = issue.path as ConfigPath;
  const custom = GENERIC.test(issue.message) ? undefined : issue.message;
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const k of issue.keys) out.push(loc.issue([...path, k], 'unknown key', true));
      return;
    case 'invalid_value': {
      const got = loc.value(path);
      const values = issue.values.map((v) => String(v)).join(', ');
      out.push(loc.issue(path, `${custom ?? `expected ${issue.values.length === 1 ? values : `one of ${values}`}`}, got ${describeValue(got)}`));
      return;
    }
    case 'invalid_type': {
      const l = loc.locate(path);
      const got = loc.value(path);
      const want = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (l.depth < path.length && !l.throughScalar) out.push(loc.issue(path, `missing (expected ${want})`));
      else out.push(loc.issue(path, `expected ${want}, got ${describeValue(got)}`));
      return;
    }
    case 'too_small':
      out.push(loc.issue(path, `${custom ?? bound(issue.origin, issue.minimum, issue.inclusive, true)}, got ${describeLength(loc.value(path))}`));
      return;
    case 'too_big':
      out.push(loc.issue(path, `${custom ?? bound(issue.origin, issue.maximum, issue.inclusive, false)}, got ${describeLength(loc.value(path))}`));
      return;
    case 'invalid_format': {
      const got = describeValue(loc.value(path));
      if (custom !== undefined) out.push(loc.issue(path, `${custom}, got ${got}`));
      else if (issue.format === 'starts_with')
        out.push(loc.issue(path, `expected text starting with "${(issue as { prefix?: string }).prefix ?? ''}", got ${got}`));
      else out.push(loc.issue(path, `expected ${issue.format}, got ${got}`));
      return;
    }
    case 'invalid_union': {
      const first = issue.errors[0]?.[0];
      if (first !== undefined) fromZod({ ...first, path: [...path, ...first.path] } as zcore.$ZodIssue, loc, out);
      else out.push(loc.issue(path, custom ?? 'not any of the accepted forms'));
      return;
    }
    default:
      out.push(loc.issue(path, custom === undefined ? issue.message : `${custom}, got ${describeValue(loc.value(path))}`));
  }
}

function describeLength(v: unknown): string {
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? '' : 's'}`;
  return describeValue(v);
}

// ---- cross-checks -------------------------------------------------------------------------------

/** Which policies take which option. */
const POLICY_OPTIONS: Record<string, readonly string[]> = {
  hashOn: ['ip_hash', 'ring_hash', 'maglev'],
  virtualNodes: ['ring_hash'],
  tableSize: ['maglev'],
  hash: ['ring_hash', 'maglev'],
  choices: ['peak_ewma'],
  maxFails: ['weighted_round_robin'],
};

function checkDuplicates(items: readonly { name: string }[], at: (i: number) => ConfigPath, what: string, issue: (p: ConfigPath, m: string) => void): void {
  const seen = new Map<string, number>();
  items.forEach((x, i) => {
    const first = seen.get(x.name);
    if (first !== undefined) issue(at(i), `${what} name "${x.name}" is already used by ${formatPath(at(first).slice(0, -1))}`);
    else seen.set(x.name, i);
  });
}

function checkRegex(source: string | undefined, path: ConfigPath, issue: (p: ConfigPath, m: string) => void): void {
  if (source === undefined) return;
  const err = regexError(source);
  if (err !== undefined) issue(path, `invalid regex: ${err}`);
}

function exactlyOne(obj: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((k) => obj[k] !== undefined);
}

function crossCheck(c: Config, kind: ConfigKind, loc: DocumentLocator): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const issue = (p: ConfigPath, m: string): void => {
    out.push(loc.issue(p, m));
  };
  const clusters = new Map(c.clusters.map((x) => [x.name, x]));
  const clusterList = c.clusters.map((x) => x.name).join(', ');
  const needCluster = (name: string | undefined, p: ConfigPath): void => {
    if (name !== undefined && !clusters.has(name)) issue(p, `unknown cluster "${name}" (clusters: ${clusterList})`);
  };

  if (c.clusters.length === 0 && c.listeners.some((l) => l.mode !== 'forward')) issue(['clusters'], 'expected at least one cluster, got 0 items');
  checkDuplicates(c.listeners, (i) => ['listeners', i, 'name'], 'listener', issue);
  checkDuplicates(c.routes, (i) => ['routes', i, 'name'], 'route', issue);
  checkDuplicates(c.clusters, (i) => ['clusters', i, 'name'], 'cluster', issue);

  // Listeners.
  const bound = new Map<string, number>();
  c.listeners.forEach((l, i) => {
    if (l.rateLimit?.key === 'jwt_subject')
      issue(['listeners', i, 'rateLimit', 'key'], 'jwt_subject is known only after a route verifies a token: put this limit on a route with auth');
    const at = (...rest: (string | number)[]): ConfigPath => ['listeners', i, ...rest];
    if (!isHostOrAddress(l.address)) issue(at('address'), `expected an IP address or a host name, got ${describeValue(l.address)}`);
    if (l.port !== 0) {
      const key = `${l.mode === 'udp' ? 'udp' : 'tcp'} ${l.address}:${l.port}`;
      const first = bound.get(key);
      if (first !== undefined) issue(at('port'), `${key} is already used by listeners[${first}]`);
      else bound.set(key, i);
    }
    for (const f of forwardListenerIssues(l)) issue(at(...f.path), f.message);
    if (l.mode === 'forward') {
      l.protocols.forEach((p, j) => {
        if (p === 'h2' || p === 'h2c') issue(at('protocols', j), `a forward proxy speaks HTTP/1.x only, got ${p}`);
      });
      if (kind === 'l4') issue(at('mode'), 'expected tcp or udp in an L4 configuration, got forward (a forward proxy belongs to the proxy)');
      return;
    }
    for (const k of ['maxQueued', 'queueTimeoutMs'] as const) {
      if (l[k] === undefined) continue;
      if (l.mode !== 'http') issue(at(k), `the queue above maxConnections is for http listeners; a ${l.mode} listener refuses what is above it`);
      else if (l.maxConnections === undefined) issue(at(k), 'a queue needs maxConnections: connections wait only once that many are served');
    }
    if (kind === 'proxy' && l.mode !== 'http')
      issue(at('mode'), `expected http in a proxy configuration, got ${l.mode} (tcp and udp listeners belong to the L4 balancer)`);
    if (kind === 'l4' && l.mode === 'http') issue(at('mode'), 'expected tcp or udp in an L4 configuration, got http (write mode: tcp or mode: udp)');
    if (l.mode === 'http') {
      if (l.cluster !== undefined) issue(at('cluster'), 'an http listener sends requests by its routes; only tcp and udp listeners take a cluster');
      if (l.sni.length > 0) issue(at('sni'), 'SNI routes are for tcp listeners (TLS passthrough); an http listener with tls picks certificates with tls.sni');
      if (l.proxyProtocol?.send !== undefined)
        issue(at('proxyProtocol', 'send'), 'sending the PROXY protocol is for tcp listeners; an http listener adds X-Forwarded-For and Forwarded');
      const h2 = l.protocols.indexOf('h2');
      const h2c = l.protocols.indexOf('h2c');
      if (h2 >= 0 && l.tls === undefined)
        issue(at('protocols', h2), 'h2 is chosen by ALPN inside TLS: give this listener tls, or write h2c (HTTP/2 with prior knowledge on a plain listener)');
      if (h2c >= 0 && l.tls !== undefined) issue(at('protocols', h2c), 'h2c is HTTP/2 without TLS: on a tls listener write h2 (chosen by ALPN)');
    } else {
      if (l.tls !== undefined) issue(at('tls'), `a ${l.mode} listener does not terminate TLS (for TLS passthrough by server name, use sni)`);
      if (l.mode === 'udp' && l.sni.length > 0) issue(at('sni'), 'SNI routes need TCP (TLS); a udp listener takes one cluster');
      if (l.mode === 'udp' && l.proxyProtocol !== undefined) issue(at('proxyProtocol'), 'the PROXY protocol is for tcp listeners');
      if (l.cluster === undefined && (l.sni.length === 0 || l.noSni === 'default'))
        issue(
          at('cluster'),
          `missing (a ${l.mode} listener needs the cluster its ${l.sni.length > 0 ? 'connections without a matching server name go to' : 'traffic goes to'})`,
        );
      needCluster(l.cluster, at('cluster'));
    }
    l.sni.forEach((s, j) => {
      if (!isHostPattern(s.host)) issue(at('sni', j, 'host'), `expected a host name, *.domain or *, got ${describeValue(s.host)}`);
      needCluster(s.cluster, at('sni', j, 'cluster'));
    });
    l.tls?.sni.forEach((s, j) => {
      if (!isHostPattern(s.host)) issue(at('tls', 'sni', j, 'host'), `expected a host name, *.domain or *, got ${describeValue(s.host)}`);
    });
    l.proxyProtocol?.acceptFrom.forEach((a, j) => {
      if (!isCidr(a)) issue(at('proxyProtocol', 'acceptFrom', j), `expected an address or CIDR prefix (10.0.0.0/8, ::1/128), got ${describeValue(a)}`);
    });
  });
  const httpListeners = new Set(c.listeners.filter((l) => l.mode === 'http').map((l) => l.name));

  // Routes.
  if (kind === 'l4' && c.routes.length > 0) issue(['routes'], 'an L4 configuration has no HTTP routes (each tcp/udp listener names its cluster)');
  if (httpListeners.size > 0 && c.routes.length === 0) issue(['routes'], 'expected at least one route for the http listeners');
  c.routes.forEach((r, i) => {
    const at = (...rest: (string | number)[]): ConfigPath => ['routes', i, ...rest];
    const actions = exactlyOne(r, ['cluster', 'redirect', 'respond']);
    if (actions.length !== 1) issue(at(), `expected exactly one of cluster, redirect, respond; got ${actions.length === 0 ? 'none' : actions.join(' and ')}`);
    needCluster(r.cluster, at('cluster'));
    r.listeners?.forEach((n, j) => {
      if (!httpListeners.has(n)) issue(at('listeners', j), `unknown http listener "${n}" (http listeners: ${[...httpListeners].join(', ') || 'none'})`);
    });
    const m = r.match;
    m.host?.forEach((h, j) => {
      if (!isHostPattern(h)) issue(at('match', 'host', j), `expected a host name, *.domain or *, got ${describeValue(h)}`);
    });
    if (m.path !== undefined) {
      const kinds = exactlyOne(m.path, ['prefix', 'exact', 'regex']);
      if (kinds.length !== 1)
        issue(at('match', 'path'), `expected exactly one of prefix, exact, regex; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
      for (const k of ['prefix', 'exact'] as const) {
        const v = m.path[k];
        if (v !== undefined && !v.startsWith('/')) issue(at('match', 'path', k), `expected a path starting with "/", got ${describeValue(v)}`);
      }
      checkRegex(m.path.regex, at('match', 'path', 'regex'), issue);
    }
    m.headers.forEach((h, j) => {
      const kinds = exactlyOne(h, ['exact', 'prefix', 'regex', 'present']);
      if (kinds.length > 1) issue(at('match', 'headers', j), `expected at most one of exact, prefix, regex, present; got ${kinds.join(' and ')}`);
      checkRegex(h.regex, at('match', 'headers', j, 'regex'), issue);
    });
    m.query.forEach((q, j) => {
      const kinds = exactlyOne(q, ['exact', 'regex', 'present']);
      if (kinds.length > 1) issue(at('match', 'query', j), `expected at most one of exact, regex, present; got ${kinds.join(' and ')}`);
      checkRegex(q.regex, at('match', 'query', j, 'regex'), issue);
    });
    if (r.rewrite !== undefined) {
      if (r.cluster === undefined) issue(at('rewrite'), 'a rewrite applies to forwarded requests; this route does not name a cluster');
      if (r.rewrite.prefix !== undefined && m.path?.prefix === undefined)
        issue(at('rewrite', 'prefix'), 'rewriting the prefix needs match.path.prefix (the prefix to replace)');
      if (r.rewrite.prefix !== undefined && r.rewrite.regex !== undefined) issue(at('rewrite'), 'expected prefix or regex, not both');
      if ((r.rewrite.regex === undefined) !== (r.rewrite.replace === undefined))
        issue(at('rewrite', r.rewrite.regex === undefined ? 'replace' : 'regex'), 'regex and replace go together');
      checkRegex(r.rewrite.regex, at('rewrite', 'regex'), issue);
    }
    if (r.auth !== undefined) {
      if (r.cluster === undefined) issue(at('auth'), 'auth guards forwarded requests; this route does not name a cluster');
      const src = exactlyOne(r.auth.jwt, ['jwks', 'jwksUrl']);
      if (src.length !== 1) issue(at('auth', 'jwt'), `expected exactly one of jwks (a file), jwksUrl; got ${src.length === 0 ? 'none' : src.join(' and ')}`);
      if (r.auth.jwt.jwksUrl !== undefined && !isLoopbackUrl(r.auth.jwt.jwksUrl))
        issue(at('auth', 'jwt', 'jwksUrl'), `expected an http(s) URL on 127.0.0.0/8, [::1] or localhost, got ${describeValue(r.auth.jwt.jwksUrl)}`);
    }
    if (r.rateLimit?.key === 'jwt_subject' && r.auth === undefined) issue(at('rateLimit', 'key'), 'jwt_subject needs the route to verify a token (auth)');
    if (r.idempotency !== undefined && r.cluster === undefined)
      issue(at('idempotency'), 'idempotency keys apply to forwarded requests; this route does not name a cluster');
    if (r.redirect !== undefined && exactlyOne(r.redirect, ['scheme', 'host', 'port', 'path']).length === 0) {
      issue(at('redirect'), 'expected at least one of scheme, host, port, path (a redirect to the same URL would loop)');
    }
  });

  // Clusters.
  c.clusters.forEach((cl, i) => {
    const at = (...rest: (string | number)[]): ConfigPath => ['clusters', i, ...rest];
    const names = new Map<string, number>();
    cl.endpoints.forEach((e, j) => {
      if (!isHostOrAddress(e.address)) issue(at('endpoints', j, 'address'), `expected an IP address or a host name, got ${describeValue(e.address)}`);
      const n = endpointName(e);
      const first = names.get(n);
      if (first !== undefined)
        issue(
          at('endpoints', j, e.name === undefined ? 'address' : 'name'),
          `endpoint "${n}" appears twice in cluster ${cl.name} (first at endpoints[${first}])`,
        );
      else names.set(n, j);
    });
    if (cl.sourceAddress !== undefined) {
      const family = isIP(cl.sourceAddress);
      cl.endpoints.forEach((e, j) => {
        const ef = isIP(e.address);
        if (ef !== 0 && ef !== family)
          issue(
            at('sourceAddress'),
            `sourceAddress ${cl.sourceAddress} is IPv${family} but endpoints[${j}] (${e.address}) is IPv${ef}: a connection cannot go from one family to the other`,
          );
      });
    }
    const p = cl.policy;
    for (const [opt, allowed] of Object.entries(POLICY_OPTIONS)) {
      if ((p as Record<string, unknown>)[opt] !== undefined && !allowed.includes(p.name)) {
        issue(at('policy', opt), `${opt} is an option of ${allowed.join(', ')}, not of ${p.name}`);
      }
    }
    if (p.name === 'maglev' && p.tableSize !== undefined && !isPrime(p.tableSize))
      issue(at('policy', 'tableSize'), `expected a prime number (65537, 251, ...), got ${p.tableSize}`);
    const hc = cl.healthCheck;
    if (hc?.type === 'tcp' && hc.expectBody !== undefined) issue(at('healthCheck', 'expectBody'), 'a tcp health check reads no body; use type: http');
    const od = cl.outlierDetection;
    if (od !== undefined && od.maxEjectionMs < od.baseEjectionMs)
      issue(at('outlierDetection', 'maxEjectionMs'), `expected at least baseEjectionMs (${od.baseEjectionMs}), got ${od.maxEjectionMs}`);
    const st = cl.sticky;
    if (st !== undefined) {
      if ((st.mode === 'app_cookie' || st.mode === 'header') && st.name === undefined)
        issue(
          at('sticky', 'name'),
          `missing (sticky mode ${st.mode} needs the ${st.mode === 'header' ? 'header' : 'cookie'} name, e.g. ${st.mode === 'header' ? 'X-User' : 'PHPSESSID'})`,
        );
      if (st.mode === 'client_address' && st.name !== undefined) issue(at('sticky', 'name'), 'sticky mode client_address takes no name');
    }
    const rt = cl.retries;
    if (rt !== undefined && rt.backoff.maxMs < rt.backoff.baseMs)
      issue(at('retries', 'backoff', 'maxMs'), `expected at least baseMs (${rt.backoff.baseMs}), got ${rt.backoff.maxMs}`);
  });

  if (c.metrics?.listener !== undefined && !httpListeners.has(c.metrics.listener))
    issue(['metrics', 'listener'], `unknown http listener "${c.metrics.listener}"`);
  c.trustedProxies.forEach((t, i) => {
    if (!isCidr(t)) issue(['trustedProxies', i], `expected an address or CIDR prefix (10.0.0.0/8, ::1/128), got ${describeValue(t)}`);
  });
  return out;
}

// ---- entry points -------------------------------------------------------------------------------

interface Analysis {
  readonly config: Config | undefined;
  readonly issues: ConfigIssue[];
  readonly locator: DocumentLocator | undefined;
}

function analyse(text: string, kind: ConfigKind): Analysis {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const p = lines.linePos(e.pos[0]);
      return { path: '(syntax)', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), line: p.line, col: p.col };
    });
    return { config: undefined, issues, locator: undefined };
  }
  const locator = new DocumentLocator(doc, lines);
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || data === undefined)
    return { config: undefined, issues: [{ path: '(top level)', message: 'the file is empty (expected listeners, routes and clusters)' }], locator };
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issues: ConfigIssue[] = [];
    for (const i of parsed.error.issues) fromZod(i, locator, issues);
    return { config: undefined, issues: sortIssues(issues), locator };
  }
  return { config: parsed.data, issues: sortIssues(crossCheck(parsed.data, kind, locator)), locator };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Parses and checks a configuration text; throws ConfigError naming every problem. */
export function parseConfig(text: string, options: ParseOptions = {}): Config {
  const a = analyse(text, options.kind ?? 'any');
  if (a.issues.length > 0 || a.config === undefined) throw new ConfigError(a.issues, options.source);
  return a.config;
}

/** A reverse proxy configuration: http listeners and routes. */
export function parseProxyConfig(text: string, source?: string): Config {
  return parseConfig(text, { source, kind: 'proxy' });
}

/** An L4 balancer configuration: tcp and udp listeners. */
export function parseL4Config(text: string, source?: string): Config {
  return parseConfig(text, { source, kind: 'l4' });
}

export interface LoadedConfig {
  readonly config: Config;
  /** The file, as given. */
  readonly file: string;
  /** Paths in the config are relative to this folder. */
  readonly baseDir: string;
}

/** Every file a configuration refers to, with its key path. */
export function fileReferences(c: Config): { path: ConfigPath; file: string }[] {
  const out: { path: ConfigPath; file: string }[] = [];
  c.listeners.forEach((l, i) => {
    if (l.tls === undefined) return;
    out.push({ path: ['listeners', i, 'tls', 'cert'], file: l.tls.cert }, { path: ['listeners', i, 'tls', 'key'], file: l.tls.key });
    if (l.tls.clientCa !== undefined) out.push({ path: ['listeners', i, 'tls', 'clientCa'], file: l.tls.clientCa });
    for (const [j, s] of l.tls.sni.entries())
      out.push({ path: ['listeners', i, 'tls', 'sni', j, 'cert'], file: s.cert }, { path: ['listeners', i, 'tls', 'sni', j, 'key'], file: s.key });
  });
  c.routes.forEach((r, i) => {
    if (r.auth?.jwt.jwks !== undefined) out.push({ path: ['routes', i, 'auth', 'jwt', 'jwks'], file: r.auth.jwt.jwks });
  });
  c.clusters.forEach((cl, i) => {
    if (cl.tls?.ca !== undefined) out.push({ path: ['clusters', i, 'tls', 'ca'], file: cl.tls.ca });
    if (cl.tls?.client !== undefined)
      out.push(
        { path: ['clusters', i, 'tls', 'client', 'cert'], file: cl.tls.client.cert },
        { path: ['clusters', i, 'tls', 'client', 'key'], file: cl.tls.client.key },
      );
  });
  return out;
}

/**
 * Reads, parses and checks a configuration file; certificate, key and CA paths are resolved against
 * the file's folder and must exist; the access log's folder must exist.
 */
export function loadConfigFile(file: string, kind: ConfigKind = 'any'): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path: '(file)', message: `cannot read it: ${e instanceof Error ? e.message : String(e)}` }], file);
  }
  const a = analyse(text, kind);
  if (a.issues.length > 0 || a.config === undefined || a.locator === undefined) throw new ConfigError(a.issues, file);
  const baseDir = dirname(resolve(file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const issues: ConfigIssue[] = [];
  for (const ref of fileReferences(a.config)) {
    if (!existsSync(abs(ref.file))) issues.push(a.locator.issue(ref.path, `file not found: ${abs(ref.file)}`));
  }
  const log = a.config.accessLog?.path;
  if (log !== undefined && log !== 'stdout' && !existsSync(dirname(abs(log))))
    issues.push(a.locator.issue(['accessLog', 'path'], `folder not found: ${dirname(abs(log))}`));
  if (issues.length > 0) throw new ConfigError(sortIssues(issues), file);
  return { config: resolvePaths(a.config, abs), file, baseDir };
}

function resolvePaths(c: Config, abs: (p: string) => string): Config {
  return {
    ...c,
    listeners: c.listeners.map((l) =>
      l.tls === undefined
        ? l
        : {
            ...l,
            tls: {
              ...l.tls,
              cert: abs(l.tls.cert),
              key: abs(l.tls.key),
              ...(l.tls.clientCa === undefined ? {} : { clientCa: abs(l.tls.clientCa) }),
              sni: l.tls.sni.map((s) => ({ ...s, cert: abs(s.cert), key: abs(s.key) })),
            },
          },
    ),
    routes: c.routes.map((r) => (r.auth?.jwt.jwks === undefined ? r : { ...r, auth: { ...r.auth, jwt: { ...r.auth.jwt, jwks: abs(r.auth.jwt.jwks) } } })),
    clusters: c.clusters.map((cl) =>
      cl.tls === undefined
        ? cl
        : {
            ...cl,
            tls: {
              ...cl.tls,
              ...(cl.tls.ca === undefined ? {} : { ca: abs(cl.tls.ca) }),
              ...(cl.tls.client === undefined ? {} : { client: { cert: abs(cl.tls.client.cert), key: abs(cl.tls.client.key) } }),
            },
          },
    ),
    ...(c.accessLog === undefined || c.accessLog.path === 'stdout' ? {} : { accessLog: { ...c.accessLog, path: abs(c.accessLog.path) } }),
  };
}

// ---- from the file to the balancing layer -------------------------------------------------------

/** An endpoint's name: as given, or ADDRESS:PORT. */
export function endpointName(e: { name?: string; address: string; port: number }): string {
  return e.name ?? `${e.address}:${e.port}`;
}

/** The cluster's endpoints as the Balancer takes them. */
export function clusterEndpoints(c: ClusterConfig): { name: string; address: string; port: number; weight: number }[] {
  return c.endpoints.map((e) => ({ name: endpointName(e), address: e.address, port: e.port, weight: e.weight }));
}

/** The cluster's policy as createPolicy takes it. */
export function clusterPolicy(c: ClusterConfig): PolicyConfig {
  const p = c.policy;
  switch (p.name) {
    case 'weighted_round_robin':
      return { name: p.name, ...(p.maxFails === undefined ? {} : { maxFails: p.maxFails }) };
    case 'ring_hash':
      return { name: p.name, ...(p.virtualNodes === undefined ? {} : { virtualNodes: p.virtualNodes }), ...(p.hash === undefined ? {} : { hash: p.hash }) };
    case 'maglev':
      return { name: p.name, ...(p.tableSize === undefined ? {} : { tableSize: p.tableSize }), ...(p.hash === undefined ? {} : { hash: p.hash }) };
    case 'peak_ewma':
      return { name: p.name, ...(p.choices === undefined ? {} : { choices: p.choices }) };
    default:
      return { name: p.name } as PolicyConfig;
  }
}

/** Everything a Balancer takes from the cluster; add the clock and the random source. */
export function clusterBalancerOptions(c: ClusterConfig): Omit<BalancerOptions, 'clock' | 'random'> {
  return {
    endpoints: clusterEndpoints(c),
    policy: clusterPolicy(c),
    failOpen: c.failOpen,
    ...(c.outlierDetection === undefined ? {} : { outlier: c.outlierDetection }),
    ...(c.maxPerEndpoint === undefined ? {} : { maxActivePerEndpoint: c.maxPerEndpoint }),
  };
}

/** Outlier detection options, or undefined when the cluster has none. */
export function clusterOutlier(c: ClusterConfig): OutlierOptions | undefined {
  return c.outlierDetection;
}

/** Active health check timing for HealthChecker (the probe itself is built by the proxy or L4 layer). */
export function clusterHealthCheck(c: ClusterConfig): HealthCheckOptions | undefined {
  const h = c.healthCheck;
  if (h === undefined) return undefined;
  return {
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    fall: h.fall,
    rise: h.rise,
    ...(h.unhealthyIntervalMs === undefined ? {} : { unhealthyIntervalMs: h.unhealthyIntervalMs }),
  };
}

/** Where a hashing policy takes its key: `policy.hashOn` read apart (default: the client address). */
export type HashKeySource =
  | { readonly from: 'client_address' }
  | { readonly from: 'path' }
  | { readonly from: 'header' | 'cookie' | 'query'; readonly name: string };

export function clusterHashKey(c: ClusterConfig): HashKeySource {
  const spec = c.policy.hashOn ?? 'client_address';
  if (spec === 'client_address' || spec === 'path') return { from: spec };
  const colon = spec.indexOf(':');
  return { from: spec.slice(0, colon) as 'header' | 'cookie' | 'query', name: spec.slice(colon + 1) };
}

/** Retry options for RetryPolicy (its budget: new RetryBudget({ percent: budgetPercent, minConcurrent })), or undefined. */
export function clusterRetries(c: ClusterConfig): (RetryPolicyOptions & { budgetPercent: number; minConcurrent: number }) | undefined {
  const r = c.retries;
  if (r === undefined) return undefined;
  return {
    attempts: r.attempts,
    retryOn: r.retryOn,
    nonIdempotent: r.nonIdempotent,
    backoff: r.backoff,
    budgetPercent: r.budgetPercent,
    minConcurrent: r.minConcurrent,
  };
}

/** Sticky session options for StickySessions, with the cookie or header name (cookie mode: LBSESSIONID by default). */
export function clusterSticky(c: ClusterConfig): (StickyOptions & { name: string | undefined }) | undefined {
  const s = c.sticky;
  if (s === undefined) return undefined;
  return {
    mode: s.mode,
    name: s.name ?? (s.mode === 'cookie' ? 'LBSESSIONID' : undefined),
    maxEntries: s.maxEntries,
    idleMs: s.idleMs,
    drainingKeepsSticky: s.drainingKeepsSticky,
  };
}

function listenerLine(l: ListenerConfig): string {
  const where = `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
  if (l.mode === 'http') {
    const tls = l.tls === undefined ? '' : `, TLS (${1 + l.tls.sni.length} certificate${l.tls.sni.length === 0 ? '' : 's'})`;
    const h2 = l.protocols.some((p) => p === 'h2' || p === 'h2c') ? ` (HTTP/2: ${l.http2.maxConcurrentStreams} streams per connection)` : '';
    return `  listener ${l.name}: http on ${where}${tls}, ${l.protocols.join(' ')}${h2}`;
  }
  if (l.mode === 'forward') {
    const auth = l.forward?.auth === undefined ? 'no auth' : `Basic auth (${l.forward.auth.users.length} user(s))`;
    return `  listener ${l.name}: forward proxy on ${where}, ${l.forward === undefined ? 'default allow-list (HTTP to 80, CONNECT to 443)' : `${l.forward.allow.length} allow rule(s)`}, ${auth}`;
  }
  const sni = l.sni.length === 0 ? '' : `, SNI ${l.sni.map((s) => `${s.host} -> ${s.cluster}`).join(', ')}`;
  const pp = l.proxyProtocol?.send === undefined ? '' : `, PROXY protocol ${l.proxyProtocol.send}`;
  return `  listener ${l.name}: ${l.mode} on ${where}${l.cluster === undefined ? '' : ` -> ${l.cluster}`}${sni}${pp}${l.mode === 'udp' ? ` (${l.udpMode})` : ''}`;
}

/** A few lines on what the configuration holds (`netlab proxy check`). */
export function describeConfig(c: Config): string {
  const lines = [`${c.listeners.length} listener(s), ${c.routes.length} route(s), ${c.clusters.length} cluster(s)`];
  for (const l of c.listeners) lines.push(listenerLine(l));
  for (const r of c.routes) {
    const m = r.match;
    const conds: string[] = [];
    if (m.host !== undefined) conds.push(`host ${m.host.join('|')}`);
    if (m.path?.prefix !== undefined) conds.push(`path ${m.path.prefix}*`);
    if (m.path?.exact !== undefined) conds.push(`path = ${m.path.exact}`);
    if (m.path?.regex !== undefined) conds.push(`path ~ ${m.path.regex}`);
    if (m.method !== undefined) conds.push(`method ${m.method.join('|')}`);
    if (m.headers.length > 0) conds.push(`${m.headers.length} header match(es)`);
    if (m.query.length > 0) conds.push(`${m.query.length} query match(es)`);
    const action =
      r.cluster !== undefined
        ? `-> ${r.cluster}${r.rewrite === undefined ? '' : ' (rewritten)'}`
        : r.redirect !== undefined
          ? `redirect ${r.redirect.status}`
          : `respond ${r.respond?.status}`;
    const gw: string[] = [];
    if (r.auth !== undefined) gw.push(`bearer JWT${r.auth.scopes.length === 0 ? '' : ` with ${r.auth.scopes.join(' ')}`} -> ${r.auth.userIdHeader}`);
    if (r.idempotency !== undefined) gw.push(`${r.idempotency.header} on ${r.idempotency.methods.join('|')}`);
    lines.push(`  route ${r.name}: ${conds.length === 0 ? 'any request' : conds.join(', ')} ${action}${gw.length === 0 ? '' : `; ${gw.join('; ')}`}`);
  }
  for (const cl of c.clusters) {
    const extras: string[] = [];
    if (cl.healthCheck !== undefined)
      extras.push(
        `health ${cl.healthCheck.type}${cl.healthCheck.type === 'http' ? ` ${cl.healthCheck.path}` : ''} every ${cl.healthCheck.intervalMs} ms (fall ${cl.healthCheck.fall}, rise ${cl.healthCheck.rise})`,
      );
    if (cl.outlierDetection !== undefined) extras.push(`outlier detection (${cl.outlierDetection.consecutive5xx} x 5xx)`);
    if (cl.sticky !== undefined)
      extras.push(
        `sticky by ${cl.sticky.mode}${cl.sticky.mode === 'cookie' ? ` ${cl.sticky.name ?? 'LBSESSIONID'}` : cl.sticky.name === undefined ? '' : ` ${cl.sticky.name}`}`,
      );
    if (cl.retries !== undefined) extras.push(`${cl.retries.attempts} retr${cl.retries.attempts === 1 ? 'y' : 'ies'} on ${cl.retries.retryOn.join(',')}`);
    if (cl.tls !== undefined) extras.push(`TLS to upstream${cl.tls.verify ? '' : ' (not verified)'}`);
    if (cl.failOpen) extras.push('fail-open');
    const eps = cl.endpoints.map((e) => `${endpointName(e)}${e.weight === 1 ? '' : ` (w${e.weight})`}`).join(', ');
    lines.push(`  cluster ${cl.name}: ${cl.policy.name} over ${eps}${extras.length === 0 ? '' : `; ${extras.join('; ')}`}`);
  }
  return lines.join('\n');
}
