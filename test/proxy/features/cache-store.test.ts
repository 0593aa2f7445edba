// The byte-bounded LRU store (Vary variants, purges, eviction order) and collapsed forwarding (one
// fetch for many waiting callers, errors delivered to all).

import { describe, expect, it } from 'vitest';
import { errorCode } from '../../../src/base/errors.ts';
import type { StoredResponse } from '../../../src/proxy/features/cache-policy.ts';
import { CacheStore, CollapsedForwarding } from '../../../src/proxy/features/cache-store.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const resp = (headers: Record<string, string> = {}): StoredResponse => ({ status: 200, headers, requestTime: T0, responseTime: T0 });
const body = (n: number): Uint8Array => new Uint8Array(n);

describe('cache store', () => {
  it('keys by method and URL, and by the request values of the Vary fields', () => {
    const s = new CacheStore({ maxBytes: 100_000 });
    const r = resp({ vary: 'Accept-Encoding' });
    expect(s.put('GET', '/a', { 'accept-encoding': 'gzip' }, r, body(10))).toMatchObject({ stored: true, key: 'GET /a\naccept-encoding=gzip' });
    s.put('GET', '/a', { 'accept-encoding': 'br' }, r, body(20));
    expect(s.get('GET', '/a', { 'accept-encoding': 'gzip' })?.body.byteLength).toBe(10);
    expect(s.get('GET', '/a', { 'accept-encoding': 'br' })?.body.byteLength).toBe(20);
    expect(s.get('GET', '/a', {})).toBeUndefined();
    expect(s.get('HEAD', '/a', { 'accept-encoding': 'br' })).toBeUndefined();
    expect(s.stats).toMatchObject({ entries: 2, hits: 2, misses: 2 });
    // A new response varying on other fields replaces every old variant.
    s.put('GET', '/a', { origin: 'http://x' }, resp({ vary: 'Origin' }), body(5));
    expect(s.keys()).toEqual(['GET /a\norigin=http://x']);
    expect(s.put('GET', '/b', {}, resp({ vary: '*' }), body(1))).toEqual({ stored: false, reason: 'Vary: * cannot be matched' });
  });

  it('stays within maxBytes, evicting the least recently used', () => {
    const s = new CacheStore({ maxBytes: 4000, maxEntryBytes: 4000 });
    const put = (u: string) => s.put('GET', u, {}, resp(), body(900));
    put('/1');
    put('/2');
    put('/3');
    put('/4');
    expect(s.stats.bytes).toBeLessThanOrEqual(4000);
    expect(s.keys().length).toBe(4);
    s.get('GET', '/1', {}); // /1 is now the most recent
    expect(put('/5')).toMatchObject({ stored: true, evicted: ['GET /2\n'] });
    expect(s.keys()).toEqual(['GET /3\n', 'GET /4\n', 'GET /1\n', 'GET /5\n']);
    const each = s.get('GET', '/5', {})?.bytes ?? 0;
    expect(each).toBe(900 + 'GET /5\n'.length + 64);
    expect(s.stats.bytes).toBe(4 * each);
    expect(s.stats.evictions).toBe(1);
    for (let i = 0; i < 1000; i++) put(`/many/${i}`);
    expect(s.stats.bytes).toBeLessThanOrEqual(4000);
    expect(s.stats.entries).toBe(4);
  });

  it('refuses an entry above maxEntryBytes, leaving the rest alone', () => {
    const s = new CacheStore({ maxBytes: 8000 });
    s.put('GET', '/small', {}, resp(), body(10));
    expect(s.put('GET', '/big', {}, resp(), body(1000))).toEqual({ stored: false, reason: 'the entry takes 1073 bytes, above maxEntryBytes 1000' });
    expect(s.keys()).toEqual(['GET /small\n']);
  });

  it('replacing a variant keeps one copy and the byte count right', () => {
    const s = new CacheStore({ maxBytes: 10_000 });
    s.put('GET', '/a', {}, resp(), body(100));
    s.put('GET', '/a', {}, resp(), body(300));
    expect(s.stats.entries).toBe(1);
    expect(s.stats.bytes).toBe(300 + 'GET /a\n'.length + 64);
  });

  it('updates an entry after a 304 without its body', () => {
    const s = new CacheStore({ maxBytes: 10_000 });
    const put = s.put('GET', '/a', {}, resp({ etag: '"1"' }), body(100));
    if (!put.stored) throw new Error('not stored');
    expect(s.update(put.key, { ...resp({ etag: '"1"', 'cache-control': 'max-age=9' }), responseTime: T0 + 5000 })).toBe(true);
    const e = s.get('GET', '/a', {});
    expect(e?.response.headers['cache-control']).toBe('max-age=9');
    expect(e?.response.responseTime).toBe(T0 + 5000);
    expect(e?.body.byteLength).toBe(100);
    expect(s.update('GET /nope\n', resp())).toBe(false);
  });

  it('purges by key, by URL and by prefix', () => {
    const s = new CacheStore({ maxBytes: 100_000 });
    const r = resp({ vary: 'Accept-Encoding' });
    for (const u of ['/api/users/1', '/api/users/2', '/api/orders/1', '/static/app.js']) {
      s.put('GET', u, { 'accept-encoding': 'gzip' }, r, body(10));
      s.put('GET', u, { 'accept-encoding': 'br' }, r, body(10));
    }
    expect(s.purge('GET /api/users/1\naccept-encoding=br')).toBe(true);
    expect(s.purge('GET /api/users/1\naccept-encoding=br')).toBe(false);
    expect(s.purgeUrl('/api/users/1')).toBe(1);
    expect(s.purgePrefix('/api/users/')).toBe(2);
    expect(s.purgeUrl('/static/app.js', 'HEAD')).toBe(0);
    expect(s.keys().map((k) => k.split('\n')[0])).toEqual(['GET /api/orders/1', 'GET /api/orders/1', 'GET /static/app.js', 'GET /static/app.js']);
    expect(() => s.purgePrefix('')).toThrow(/non-empty prefix/);
    s.clear();
    expect(s.stats).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('refuses bad bounds', () => {
    expect(() => new CacheStore({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => new CacheStore({ maxBytes: 10, maxEntryBytes: 11 })).toThrow(/maxEntryBytes/);
  });
});

describe('collapsed forwarding', () => {
  it('one fetch for 100 waiting callers, all given its value', async () => {
    const c = new CollapsedForwarding<string>();
    let fetches = 0;
    let finish: (v: string) => void = () => {};
    const fetch = () => {
      fetches++;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    };
    const all = Array.from({ length: 100 }, () => c.run('GET /a', fetch));
    expect(c.waiting('GET /a')).toBe(100);
    expect(c.stats).toEqual({ fetches: 1, collapsed: 99, inFlight: 1 });
    finish('body');
    expect(await Promise.all(all)).toEqual(new Array(100).fill('body'));
    expect(fetches).toBe(1);
    expect(c.stats.inFlight).toBe(0);
    // Settled: the next caller fetches again.
    const again = c.run('GET /a', async () => 'fresh');
    expect(await again).toBe('fresh');
    expect(c.stats.fetches).toBe(2);
  });

  it('delivers an error to every waiter, then frees the key', async () => {
    const c = new CollapsedForwarding<string>();
    let fail: (e: Error) => void = () => {};
    const first = c.run(
      'k',
      () =>
        new Promise<string>((_r, reject) => {
          fail = reject;
        }),
    );
    const rest = [c.run('k', async () => 'never'), c.run('k', async () => 'never')];
    fail(new Error('upstream reset'));
    const results = await Promise.allSettled([first, ...rest]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['upstream reset', 'upstream reset', 'upstream reset']);
    expect(c.waiting('k')).toBe(0);
    // A fetch that throws at once reaches its caller as a rejection too.
    await expect(
      c.run('k', () => {
        throw new Error('bad url');
      }),
    ).rejects.toThrow('bad url');
  });

  it('different keys fetch separately; waiters beyond maxWaiters are refused with ERR_LIMIT', async () => {
    const c = new CollapsedForwarding<number>({ maxWaiters: 2 });
    let n = 0;
    const a = c.run('a', async () => ++n);
    const b = c.run('b', async () => ++n);
    const a2 = c.run('a', async () => 99);
    const refused = c.run('a', async () => 99).catch((e: unknown) => errorCode(e));
    expect(await Promise.all([a, b, a2, refused])).toEqual([1, 2, 1, 'ERR_LIMIT']);
  });
});
