// The routing table: each request is matched against the routes in file order (the first match
// wins) on host (exact, `*.suffix` wildcard, `*`), path (prefix, exact, regex), method, headers and
// query parameters; the route then forwards to a cluster (with an optional rewrite), redirects, or
// answers with a fixed response.

import { fieldValues, type HttpField } from '../wire/http.ts';
import type { RouteConfig } from './config-schema.ts';

export interface RouteRequest {
  readonly method: string;
  /** Host without port, lower case. */
  readonly host: string;
  /** The path (before '?'), as sent. */
  readonly path: string;
  /** The query string without '?', or ''. */
  readonly query: string;
  readonly fields: readonly HttpField[];
  /** The listener the request came in on. */
  readonly listener: string;
}

export interface CompiledRoute {
  readonly config: RouteConfig;
  readonly name: string;
  readonly pathRegex: RegExp | undefined;
  readonly rewriteRegex: RegExp | undefined;
  readonly headerRegexes: readonly (RegExp | undefined)[];
  readonly queryRegexes: readonly (RegExp | undefined)[];
}

/** The host of an authority ("Example.test:8080" -> "example.test", "[::1]:80" -> "::1"). */
export function hostOnly(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return (end < 0 ? authority.slice(1) : authority.slice(1, end)).toLowerCase();
  }
  const colon = authority.lastIndexOf(':');
  return (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase().replace(/\.$/, '');
}

export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host;
}

/** Query parameters, decoded ('+' as space); a malformed escape is kept as written. */
export function parseQuery(q: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (q === '') return out;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {
      return s;
    }
  };
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : dec(part.slice(eq + 1));
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  }
  return out;
}

export function compileRoutes(routes: readonly RouteConfig[]): CompiledRoute[] {
  return routes.map((r) => ({
    config: r,
    name: r.name,
    pathRegex: r.match.path?.regex === undefined ? undefined : new RegExp(r.match.path.regex),
    rewriteRegex: r.rewrite?.regex === undefined ? undefined : new RegExp(r.rewrite.regex),
    headerRegexes: r.match.headers.map((h) => (h.regex === undefined ? undefined : new RegExp(h.regex))),
    queryRegexes: r.match.query.map((q) => (q.regex === undefined ? undefined : new RegExp(q.regex))),
  }));
}

function headerOk(route: CompiledRoute, i: number, fields: readonly HttpField[]): boolean {
  const h = route.config.match.headers[i];
  const values = fieldValues(fields, h.name);
  const joined = values.join(', ');
  let ok = true;
  if (h.present !== undefined) ok &&= h.present === values.length > 0;
  if (h.exact !== undefined) ok &&= values.length > 0 && joined === h.exact;
  if (h.prefix !== undefined) ok &&= values.length > 0 && joined.startsWith(h.prefix);
  const re = route.headerRegexes[i];
  if (re !== undefined) ok &&= values.length > 0 && re.test(joined);
  return h.invert ? !ok : ok;
}

function queryOk(route: CompiledRoute, i: number, params: Map<string, string[]>): boolean {
  const q = route.config.match.query[i];
  const values = params.get(q.name) ?? [];
  let ok = true;
  if (q.present !== undefined) ok &&= q.present === values.length > 0;
  if (q.exact !== undefined) ok &&= values.includes(q.exact);
  const re = route.queryRegexes[i];
  if (re !== undefined) ok &&= values.some((v) => re.test(v));
  return ok;
}

export function routeMatches(route: CompiledRoute, req: RouteRequest, params: Map<string, string[]>): boolean {
  const r = route.config;
  const m = r.match;
  if (r.listeners !== undefined && !r.listeners.includes(req.listener)) return false;
  if (m.host !== undefined && !m.host.some((p) => hostMatches(p, req.host))) return false;
  if (m.method !== undefined && !m.method.includes(req.method)) return false;
  if (m.path !== undefined) {
    if (m.path.exact !== undefined && req.path !== m.path.exact) return false;
    if (m.path.prefix !== undefined && !req.path.startsWith(m.path.prefix)) return false;
    if (route.pathRegex !== undefined && !route.pathRegex.test(req.path)) return false;
  }
  for (let i = 0; i < m.headers.length; i++) if (!headerOk(route, i, req.fields)) return false;
  for (let i = 0; i < m.query.length; i++) if (!queryOk(route, i, params)) return false;
  return true;
}

/** The first route that matches, or undefined (the proxy answers 404). */
export function findRoute(routes: readonly CompiledRoute[], req: RouteRequest): CompiledRoute | undefined {
  const params = parseQuery(req.query);
  return routes.find((r) => routeMatches(r, req, params));
}

/** The path after the route's rewrite (prefix replaced, or regex replaced), query kept. */
export function rewritePath(route: CompiledRoute, path: string): string {
  const rw = route.config.rewrite;
  if (rw === undefined) return path;
  let p = path;
  if (rw.prefix !== undefined) {
    const matched = route.config.match.path?.prefix ?? '/';
    if (p.startsWith(matched)) p = rw.prefix + p.slice(matched.length);
  }
  if (route.rewriteRegex !== undefined) p = p.replace(route.rewriteRegex, rw.replace ?? '');
  if (!p.startsWith('/')) p = `/${p}`;
  return p;
}

/**
 * The Location of a redirect route. Unset parts come from the request: scheme from the listener, host
 * from the request, path from the request (a route matched on a path prefix has that prefix replaced
 * by `path`; otherwise `path` replaces the whole path), the query unless stripQuery.
 */
export function redirectLocation(route: CompiledRoute, req: { scheme: 'http' | 'https'; authority: string; path: string; query: string }): string {
  const rd = route.config.redirect;
  if (rd === undefined) return '/';
  const scheme = rd.scheme ?? req.scheme;
  const host = rd.host ?? hostOnly(req.authority);
  const hostText = host.includes(':') ? `[${host}]` : host;
  let port = '';
  if (rd.port !== undefined) port = (scheme === 'http' && rd.port === 80) || (scheme === 'https' && rd.port === 443) ? '' : `:${rd.port}`;
  else if (rd.host === undefined && rd.scheme === undefined) {
    const colon = req.authority.lastIndexOf(':');
    if (colon > req.authority.lastIndexOf(']')) port = req.authority.slice(colon);
  }
  let path = req.path;
  if (rd.path !== undefined) {
    const prefix = route.config.match.path?.prefix;
    path = prefix !== undefined && req.path.startsWith(prefix) ? rd.path + req.path.slice(prefix.length) : rd.path;
  }
  const query = rd.stripQuery || req.query === '' ? '' : `?${req.query}`;
  return `${scheme}://${hostText}${port}${path}${query}`;
}
