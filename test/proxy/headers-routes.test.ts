// Pure parts of the proxy: trusted-proxy address sets, forwarding fields, hop-by-hop stripping,
// host/path matching, rewrites, redirects and access log lines.

import { describe, expect, it } from 'vitest';
import { combinedLine } from '../../src/proxy/access-log.ts';
import { AddressSet, allowedTrailers, applyForwarding, plainAddress, stripHopByHop } from '../../src/proxy/headers.ts';
import { compileRoutes, findRoute, hostMatches, hostOnly, redirectLocation, rewritePath } from '../../src/proxy/routes.ts';
import { splitTarget, toProxyConfig } from '../../src/proxy/proxy.ts';

describe('addresses', () => {
  it('CIDR sets for IPv4 and IPv6, IPv4-mapped IPv6 read as IPv4', () => {
    const s = new AddressSet(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1']);
    expect(s.contains('10.200.3.4')).toBe(true);
    expect(s.contains('11.0.0.1')).toBe(false);
    expect(s.contains('::ffff:10.1.2.3')).toBe(true);
    expect(s.contains('192.168.1.7')).toBe(true);
    expect(s.contains('192.168.1.8')).toBe(false);
    expect(s.contains('2001:db8:ffff::1')).toBe(true);
    expect(s.contains('2001:db9::1')).toBe(false);
    expect(s.contains('::1')).toBe(true);
    expect(s.contains('not-an-ip')).toBe(false);
    expect(new AddressSet(['0.0.0.0/0']).contains('8.8.8.8')).toBe(true);
    expect(plainAddress('fe80::1%eth0')).toBe('fe80::1');
  });

  it('Forwarded quotes an IPv6 node; a trusted chain whose every hop is trusted yields its leftmost address', () => {
    const r = applyForwarding([{ name: 'X-Forwarded-For', value: '10.0.0.9' }], {
      peer: '::1',
      proto: 'https',
      host: 'a.test',
      trusted: new AddressSet(['::1', '10.0.0.0/8']),
    });
    expect(r.clientAddress).toBe('10.0.0.9');
    expect(r.fields.find((f) => f.name === 'Forwarded')?.value).toBe('for="[::1]";host=a.test;proto=https');
    expect(r.fields.find((f) => f.name === 'X-Forwarded-For')?.value).toBe('10.0.0.9, ::1');
  });
});

describe('hop-by-hop', () => {
  it('drops the fixed list and whatever Connection names, case-insensitively; trailers lose forbidden fields', () => {
    const out = stripHopByHop([
      { name: 'connection', value: 'X-A, close' },
      { name: 'x-a', value: '1' },
      { name: 'Upgrade', value: 'websocket' },
      { name: 'Transfer-Encoding', value: 'chunked' },
      { name: 'X-B', value: '2' },
    ]);
    expect(out).toEqual([{ name: 'X-B', value: '2' }]);
    expect(
      allowedTrailers([
        { name: 'Content-Length', value: '1' },
        { name: 'Authorization', value: 'x' },
        { name: 'Server-Timing', value: 'db;dur=5' },
      ]),
    ).toEqual([{ name: 'Server-Timing', value: 'db;dur=5' }]);
  });
});

describe('routes', () => {
  const routes = compileRoutes(
    toProxyConfig({
      listeners: [{ name: 'l', address: '127.0.0.1', port: 0 }],
      routes: [
        { name: 'wild', match: { host: '*.example.test', path: { prefix: '/api/' } }, rewrite: { prefix: '/' }, cluster: 'c' },
        { name: 're', match: { path: { regex: '^/img/(.*)\\.png$' } }, rewrite: { regex: '^/img/(.*)\\.png$', replace: '/images/$1.webp' }, cluster: 'c' },
        { name: 'https', match: { host: 'plain.test' }, redirect: { scheme: 'https', status: 308 } },
      ],
      clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port: 1 }] }],
    }).routes,
  );
  const req = (host: string, target: string) => {
    const { path, query } = splitTarget(target, target.startsWith('http') ? 'absolute' : 'origin');
    return { method: 'GET', host, path, query, fields: [], listener: 'l' };
  };

  it('wildcard hosts match subdomains only; rewrites replace the prefix or the regex match', () => {
    expect(hostMatches('*.example.test', 'a.example.test')).toBe(true);
    expect(hostMatches('*.example.test', 'example.test')).toBe(false);
    expect(hostOnly('[::1]:8080')).toBe('::1');
    expect(hostOnly('Example.TEST.:80')).toBe('example.test');
    const w = findRoute(routes, req('x.example.test', '/api/v2/items'));
    expect(w?.name).toBe('wild');
    expect(rewritePath(w!, '/api/v2/items')).toBe('/v2/items');
    const r = findRoute(routes, req('other.test', '/img/cat.png'));
    expect(rewritePath(r!, '/img/cat.png')).toBe('/images/cat.webp');
    expect(findRoute(routes, req('other.test', '/nothing'))).toBeUndefined();
  });

  it('a scheme redirect keeps host, path and query; absolute-form targets are reduced to their path', () => {
    const route = findRoute(routes, req('plain.test', 'http://plain.test/a/b?x=1'));
    expect(route?.name).toBe('https');
    expect(redirectLocation(route!, { scheme: 'http', authority: 'plain.test', path: '/a/b', query: 'x=1' })).toBe('https://plain.test/a/b?x=1');
    expect(splitTarget('http://h.test?q=1', 'absolute')).toEqual({ path: '/', query: 'q=1' });
  });
});

describe('access log', () => {
  it('writes the combined format with escaped quotes', () => {
    const line = combinedLine({
      time: new Date(Date.UTC(2026, 11, 7, 9, 5, 3)),
      client: '127.0.0.1',
      method: 'GET',
      target: '/a?b=1',
      version: '1.1',
      status: 200,
      bytes: 12,
      referer: undefined,
      userAgent: 'say "hi"',
      host: 'h',
      route: 'r',
      cluster: 'c',
      endpoint: 'e',
      durationMs: 1,
      attempts: 1,
      requestId: 'id',
      listener: 'l',
    });
    expect(line).toBe('127.0.0.1 - - [07/Dec/2026:09:05:03 +0000] "GET /a?b=1 HTTP/1.1" 200 12 "-" "say \\"hi\\""');
  });
});
