// RFC 9111 decisions with exact times: storability, the freshness lifetime order, the §4.2.3 age
// calculation, fresh / stale-while-revalidate / revalidate, conditional headers, 304 updates, Vary keys.

import { describe, expect, it } from 'vitest';
import {
  conditionalHeaders,
  currentAge,
  freshnessLifetime,
  headersToStore,
  isStorable,
  lookupDecision,
  parseCacheControl,
  type StoredResponse,
  updateFromNotModified,
  varyFields,
  varyKey,
} from '../../../src/proxy/features/cache-policy.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const http = (ms: number): string => new Date(ms).toUTCString();

describe('Cache-Control parsing', () => {
  it('reads tokens, values and quoted strings; the first duplicate wins; junk is skipped', () => {
    const cc = parseCacheControl('max-age=60, S-MAXAGE=120, no-cache="Set-Cookie, X-A", public, max-age=5, =bad, private');
    expect([...cc]).toEqual([
      ['max-age', '60'],
      ['s-maxage', '120'],
      ['no-cache', 'Set-Cookie, X-A'],
      ['public', true],
      ['private', true],
    ]);
    expect(parseCacheControl(undefined).size).toBe(0);
  });
});

describe('storable (§3, §3.5)', () => {
  const cases: [string, string, Record<string, string>, number, Record<string, string>, boolean, RegExp][] = [
    ['GET 200 max-age', 'GET', {}, 200, { 'cache-control': 'max-age=60' }, true, /max-age/],
    ['POST', 'POST', {}, 200, { 'cache-control': 'max-age=60' }, false, /method POST/],
    ['response no-store', 'GET', {}, 200, { 'cache-control': 'max-age=60, no-store' }, false, /no-store/],
    ['request no-store', 'GET', { 'cache-control': 'no-store' }, 200, { 'cache-control': 'max-age=60' }, false, /request says no-store/],
    ['private in a shared cache', 'GET', {}, 200, { 'cache-control': 'private, max-age=60' }, false, /private/],
    ['private with field names', 'GET', {}, 200, { 'cache-control': 'private="Set-Cookie", max-age=60' }, true, /max-age/],
    ['Authorization without permission', 'GET', { authorization: 'Bearer x' }, 200, { 'cache-control': 'max-age=60' }, false, /Authorization/],
    ['Authorization with s-maxage', 'GET', { authorization: 'Bearer x' }, 200, { 'cache-control': 's-maxage=60' }, true, /s-maxage/],
    ['Authorization with public', 'GET', { authorization: 'Bearer x' }, 200, { 'cache-control': 'public' }, true, /public/],
    ['200 with no freshness: heuristic', 'GET', {}, 200, {}, true, /heuristically/],
    ['302 with no freshness', 'GET', {}, 302, {}, false, /needs explicit freshness/],
    ['302 with Expires', 'GET', {}, 302, { expires: 'Mon, 07 Dec 2026 11:00:00 GMT' }, true, /Expires/],
    ['206', 'GET', {}, 206, { 'cache-control': 'max-age=60' }, false, /status 206/],
    ['Vary: *', 'GET', {}, 200, { 'cache-control': 'max-age=60', vary: 'Origin, *' }, false, /Vary/],
  ];
  it.each(cases)('%s', (_name, method, req, status, res, storable, reason) => {
    const v = isStorable(method, req, status, res);
    expect(v.storable).toBe(storable);
    expect(v.reason).toMatch(reason);
  });
  it('a private cache may store private and ignores s-maxage', () => {
    expect(isStorable('GET', {}, 200, { 'cache-control': 'private' }, { shared: false }).storable).toBe(true);
    expect(freshnessLifetime(200, { 'cache-control': 's-maxage=100, max-age=10' }, T0, { shared: false })).toEqual({ seconds: 10, source: 'max-age' });
  });
});

describe('freshness lifetime (§4.2.1, §4.2.2)', () => {
  const date = http(T0);
  it.each([
    [{ 'cache-control': 's-maxage=300, max-age=60', expires: http(T0 + 900_000), date }, 300, 's-maxage'],
    [{ 'cache-control': 'max-age=60', expires: http(T0 + 900_000), date }, 60, 'max-age'],
    [{ expires: http(T0 + 900_000), date }, 900, 'expires'],
    [{ expires: '0', date }, 0, 'expires'],
    [{ expires: http(T0 - 5000), date }, 0, 'expires'],
    [{ 'last-modified': http(T0 - 10 * 3600_000), date }, 3600, 'heuristic'],
    [{ 'last-modified': http(T0 - 100 * 86_400_000), date }, 86_400, 'heuristic'],
    [{ date }, 0, 'none'],
  ] as const)('%j → %i s from %s', (h, seconds, source) => {
    expect(freshnessLifetime(200, h, T0)).toEqual({ seconds, source });
  });
  it('a status that is not heuristically cacheable gets no heuristic lifetime unless public', () => {
    const h = { 'last-modified': http(T0 - 10 * 3600_000), date: http(T0) };
    expect(freshnessLifetime(302, h, T0).source).toBe('none');
    expect(freshnessLifetime(302, { ...h, 'cache-control': 'public' }, T0)).toEqual({ seconds: 3600, source: 'heuristic' });
  });
  it('Expires without Date counts from the response time', () => {
    expect(freshnessLifetime(200, { expires: http(T0 + 120_000) }, T0)).toEqual({ seconds: 120, source: 'expires' });
  });
});

describe('current age (§4.2.3)', () => {
  it('takes the larger of the apparent age and Age plus the response delay, then adds resident time', () => {
    // Sent at T0, answered at T0+2 s, Date says T0-3 s (clock skew or a slow origin), Age: 10.
    const r: StoredResponse = { status: 200, headers: { date: http(T0 - 3000), age: '10' }, requestTime: T0, responseTime: T0 + 2000 };
    // apparent 5, corrected 10 + 2 = 12 → 12, plus 30 s resident = 42
    expect(currentAge(r, T0 + 32_000)).toBe(42);
    // Without Age the apparent age (5 s) wins over the delay (2 s).
    expect(currentAge({ ...r, headers: { date: http(T0 - 3000) } }, T0 + 2000)).toBe(5);
    // A Date in the future gives no negative apparent age.
    expect(currentAge({ ...r, headers: { date: http(T0 + 60_000) } }, T0 + 2000)).toBe(2);
    // A malformed Age is ignored.
    expect(currentAge({ ...r, headers: { date: http(T0 + 2000), age: 'ten' } }, T0 + 2000)).toBe(2);
  });
});

describe('lookup decisions', () => {
  const stored = (cc: string, extra: Record<string, string> = {}): StoredResponse => ({
    status: 200,
    headers: { date: http(T0), 'cache-control': cc, etag: '"v1"', 'last-modified': http(T0 - 86_400_000), ...extra },
    requestTime: T0,
    responseTime: T0,
  });
  it('fresh until the age reaches the lifetime, then revalidate with both validators', () => {
    const r = stored('max-age=60');
    expect(lookupDecision({}, r, T0 + 59_000)).toEqual({ kind: 'fresh', age: 59, lifetime: 60 });
    expect(lookupDecision({}, r, T0 + 60_000)).toEqual({
      kind: 'revalidate',
      age: 60,
      lifetime: 60,
      reason: 'stale',
      conditional: { 'if-none-match': '"v1"', 'if-modified-since': http(T0 - 86_400_000) },
    });
  });
  it('no-cache on the response or the request (or Pragma) means revalidate even when fresh', () => {
    expect(lookupDecision({}, stored('max-age=60, no-cache'), T0 + 1000)).toMatchObject({ kind: 'revalidate', reason: /response says no-cache/ });
    expect(lookupDecision({ 'cache-control': 'no-cache' }, stored('max-age=60'), T0 + 1000)).toMatchObject({
      kind: 'revalidate',
      reason: /request says no-cache/,
    });
    expect(lookupDecision({ pragma: 'no-cache' }, stored('max-age=60'), T0 + 1000)).toMatchObject({ kind: 'revalidate' });
  });
  it("the request's max-age and min-fresh narrow freshness", () => {
    expect(lookupDecision({ 'cache-control': 'max-age=10' }, stored('max-age=60'), T0 + 11_000)).toMatchObject({ kind: 'revalidate', reason: /max-age=10/ });
    expect(lookupDecision({ 'cache-control': 'max-age=10' }, stored('max-age=60'), T0 + 10_000)).toMatchObject({ kind: 'fresh', age: 10 });
    expect(lookupDecision({ 'cache-control': 'min-fresh=20' }, stored('max-age=60'), T0 + 40_000)).toMatchObject({
      kind: 'revalidate',
      reason: /min-fresh=20/,
    });
    expect(lookupDecision({ 'cache-control': 'min-fresh=20' }, stored('max-age=60'), T0 + 39_000)).toMatchObject({ kind: 'fresh' });
  });
  it('stale-while-revalidate: served stale inside the window, revalidated after it', () => {
    const r = stored('max-age=60, stale-while-revalidate=30');
    expect(lookupDecision({}, r, T0 + 60_000)).toMatchObject({ kind: 'stale-while-revalidate', age: 60 });
    expect(lookupDecision({}, r, T0 + 89_000)).toMatchObject({ kind: 'stale-while-revalidate', age: 89 });
    expect(lookupDecision({}, r, T0 + 90_000)).toMatchObject({ kind: 'revalidate', age: 90, reason: 'stale' });
  });
  it('must-revalidate, proxy-revalidate and s-maxage forbid serving stale', () => {
    for (const cc of [
      'max-age=60, stale-while-revalidate=30, must-revalidate',
      'max-age=60, stale-while-revalidate=30, proxy-revalidate',
      's-maxage=60, stale-while-revalidate=30',
    ]) {
      expect(lookupDecision({}, stored(cc), T0 + 61_000)).toMatchObject({ kind: 'revalidate', reason: /forbids serving it stale/ });
    }
  });
});

describe('304 handling (§4.3.4)', () => {
  const r: StoredResponse = {
    status: 200,
    headers: { date: http(T0), 'cache-control': 'max-age=60', etag: '"v1"', 'content-length': '5000', 'x-old': 'kept' },
    requestTime: T0,
    responseTime: T0,
  };
  it('updates the stored headers (not Content-Length, not hop-by-hop) and restarts the age clock', () => {
    const u = updateFromNotModified(
      r,
      { date: http(T0 + 120_000), 'cache-control': 'max-age=300', etag: '"v1"', 'content-length': '0', connection: 'keep-alive', 'keep-alive': 'timeout=5' },
      T0 + 119_000,
      T0 + 120_000,
    );
    expect(u?.headers).toEqual({ date: http(T0 + 120_000), 'cache-control': 'max-age=300', etag: '"v1"', 'content-length': '5000', 'x-old': 'kept' });
    if (u === undefined) throw new Error('no update');
    expect(currentAge(u, T0 + 130_000)).toBe(11); // 1 s delay + 10 s resident
    expect(lookupDecision({}, u, T0 + 130_000)).toMatchObject({ kind: 'fresh', lifetime: 300 });
  });
  it('a 304 naming another ETag does not select the stored response', () => {
    expect(updateFromNotModified(r, { etag: '"v2"' }, T0, T0)).toBeUndefined();
    expect(updateFromNotModified(r, { etag: 'W/"v1"' }, T0, T0)).toBeUndefined();
  });
  it('conditional headers use what the response has', () => {
    expect(conditionalHeaders(r)).toEqual({ 'if-none-match': '"v1"' });
    expect(conditionalHeaders({ ...r, headers: {} })).toEqual({});
  });
  it('hop-by-hop fields and those Connection names are not stored', () => {
    expect(headersToStore({ connection: 'close, x-hop', 'x-hop': '1', 'transfer-encoding': 'chunked', 'content-type': 'text/plain' })).toEqual({
      'content-type': 'text/plain',
    });
  });
});

describe('Vary (§4.1)', () => {
  it('builds the same key for equal normalised values, different keys otherwise', () => {
    expect(varyFields({ vary: 'Accept-Encoding, origin, accept-encoding' })).toEqual(['accept-encoding', 'origin']);
    expect(varyFields({ vary: 'Origin, *' })).toBe('*');
    const f = ['accept-encoding', 'origin'];
    const a = varyKey(f, { 'accept-encoding': 'gzip,  br', origin: 'http://a' });
    expect(varyKey(['origin', 'accept-encoding'], { 'accept-encoding': 'gzip, br', origin: 'http://a' })).toBe(a);
    expect(varyKey(f, { 'accept-encoding': ['gzip', 'br'], origin: 'http://a' })).toBe(a);
    expect(varyKey(f, { 'accept-encoding': 'br', origin: 'http://a' })).not.toBe(a);
    expect(varyKey(f, { 'accept-encoding': '', origin: 'http://a' })).not.toBe(varyKey(f, { origin: 'http://a' }));
    expect(varyKey([], { origin: 'x' })).toBe('');
  });
});
