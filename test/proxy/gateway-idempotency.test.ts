// Idempotency keys through the proxy against a real upstream that counts charges: missing key 400,
// a copy while the first runs 409, a copy after it the stored answer (marked Idempotent-Replayed),
// the same key on another body 422, keys scoped per verified user; and the store's own bounds (TTL,
// LRU by maxEntries) on a ManualClock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { IdempotencyStore, parseIdempotencyKey, requestFingerprint } from '../../src/proxy/features/idempotency.ts';
import type { ReverseProxy } from '../../src/proxy/index.ts';
import { AUDIENCE, type Issuer, ISSUER, makeIssuer } from './gateway-keys.ts';
import { field, LISTENER, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

let issuer: Issuer;
let payments: Upstream;
let proxy: ReverseProxy;
let port = 0;
let charges = 0;
let gate: Promise<void> | undefined;
let failNext = false;

beforeAll(async () => {
  issuer = await makeIssuer();
  payments = await startUpstream('payments');
  payments.handler = async (req, res, body) => {
    if (gate !== undefined) await gate;
    if (failNext) {
      failNext = false;
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('try later');
      return;
    }
    charges++;
    const text = JSON.stringify({ charge: charges, user: req.head.fields.find((f) => f.name.toLowerCase() === 'x-user-id')?.value ?? null, body });
    res.writeHead(201, { 'Content-Type': 'application/json', Location: `/payments/${charges}` });
    res.end(text);
  };
  proxy = await proxyWith(config(60_000));
  port = proxy.address().port;
});

const config = (ttlMs: number) => ({
  listeners: [LISTENER],
  routes: [
    {
      name: 'payments',
      match: { path: { prefix: '/payments' } },
      cluster: 'payments',
      idempotency: { methods: ['POST'], ttlMs, maxEntries: 100 },
    },
    {
      name: 'my-payments',
      match: { path: { prefix: '/me/payments' } },
      cluster: 'payments',
      auth: { jwt: { jwks: issuer.jwksFile, issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] }, scopes: ['write:payments'] },
      idempotency: {},
    },
  ],
  clusters: [{ name: 'payments', endpoints: [{ address: '127.0.0.1', port: payments.port }] }],
});

afterAll(async () => {
  await proxy?.close();
  await payments?.close();
  issuer?.cleanup();
});

const pay = (key: string | undefined, body = '{"amount":100}', path = '/payments') =>
  send(port, 'POST', path, { 'Content-Type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) }, body);

describe('idempotency keys through the proxy', () => {
  it('a POST without a key is refused with 400 before the upstream; a GET needs none', async () => {
    const before = charges;
    const r = await pay(undefined);
    expect(r.status).toBe(400);
    expect(r.body).toContain('needs an Idempotency-Key header');
    expect(charges).toBe(before);
    expect((await send(port, 'GET', '/payments/1')).status).toBe(201);
  });

  it('a new key goes through (201); the retry gets the stored answer, charged once', async () => {
    const before = charges;
    const first = await pay('k-retry');
    expect(first.status).toBe(201);
    expect(field(first.fields, 'idempotent-replayed')).toBeUndefined();
    const again = await pay('k-retry');
    expect(again.status).toBe(201);
    expect(again.body).toBe(first.body);
    expect(field(again.fields, 'location')).toBe(field(first.fields, 'location'));
    expect(field(again.fields, 'idempotent-replayed')).toBe('true');
    expect(field(again.fields, 'x-request-id')).not.toBe(field(first.fields, 'x-request-id'));
    expect(charges).toBe(before + 1);
    const m = await proxy.metricsText();
    expect(m).toMatch(/netlab_proxy_gateway_total\{route="payments",outcome="replayed"\} [1-9]/);
    expect(m).toMatch(/netlab_proxy_gateway_total\{route="payments",outcome="key_missing"\} 1/);
  });

  it('the same key with another body or path: 422', async () => {
    await pay('k-reuse');
    expect((await pay('k-reuse', '{"amount":999}')).status).toBe(422);
    expect((await pay('k-reuse', '{"amount":100}', '/payments/other')).status).toBe(422);
  });

  it('concurrent requests with one key: one reaches the upstream, the others get 409', async () => {
    const before = charges;
    let open: () => void = () => undefined;
    gate = new Promise((r) => {
      open = r;
    });
    const first = pay('k-race');
    // Wait until the first is at the upstream (it holds the key), then send copies.
    while (payments.seen.filter((s) => field(s.fields, 'idempotency-key') === 'k-race').length === 0) await new Promise((r) => setTimeout(r, 5));
    const copies = await Promise.all([pay('k-race'), pay('k-race'), pay('k-race')]);
    expect(copies.map((c) => c.status)).toEqual([409, 409, 409]);
    expect(field(copies[0].fields, 'retry-after')).toBe('1');
    gate = undefined;
    open();
    expect((await first).status).toBe(201);
    expect(charges).toBe(before + 1);
    expect((await pay('k-race')).status).toBe(201);
    expect(charges).toBe(before + 1);
  });

  it('a 5xx is not stored: the retry runs again', async () => {
    const before = charges;
    failNext = true;
    expect((await pay('k-5xx')).status).toBe(503);
    const r = await pay('k-5xx');
    expect(r.status).toBe(201);
    expect(field(r.fields, 'idempotent-replayed')).toBeUndefined();
    expect(charges).toBe(before + 1);
  });

  it('a reload with the same idempotency config keeps the stored answers; a changed one starts afresh', async () => {
    const before = charges;
    expect((await pay('k-reload')).status).toBe(201);
    await proxy.reload(config(60_000));
    const kept = await pay('k-reload');
    expect(field(kept.fields, 'idempotent-replayed')).toBe('true');
    await proxy.reload(config(30_000));
    const fresh = await pay('k-reload');
    expect(field(fresh.fields, 'idempotent-replayed')).toBeUndefined();
    expect(charges).toBe(before + 2);
  });

  it('keys are scoped per verified user: the same key from two users charges twice', async () => {
    const ann = await issuer.sign({ sub: 'ann', scope: 'write:payments' });
    const ben = await issuer.sign({ sub: 'ben', scope: 'write:payments' });
    const before = charges;
    const post = (t: string) =>
      send(port, 'POST', '/me/payments', { Authorization: `Bearer ${t}`, 'Idempotency-Key': 'shared-key', 'X-User-Id': 'mallory' }, '{"amount":5}');
    const a1 = await post(ann);
    const b1 = await post(ben);
    const a2 = await post(ann);
    expect([a1.status, b1.status, a2.status]).toEqual([201, 201, 201]);
    expect(JSON.parse(a1.body).user).toBe('ann');
    expect(JSON.parse(b1.body).user).toBe('ben');
    expect(a2.body).toBe(a1.body);
    expect(field(a2.fields, 'idempotent-replayed')).toBe('true');
    expect(charges).toBe(before + 2);
  });
});

describe('IdempotencyStore', () => {
  const fp = requestFingerprint('POST', '/p', new Uint8Array([1]));
  const stored = { status: 201, fields: [], body: new Uint8Array(0) };

  it('keeps a finished answer ttlMs, then forgets it', () => {
    const clock = new ManualClock();
    const s = new IdempotencyStore({ clock, ttlMs: 1000, maxEntries: 10 });
    const d = s.begin('a', fp);
    expect(d.kind).toBe('new');
    expect(s.begin('a', fp).kind).toBe('in-progress');
    if (d.kind === 'new') s.complete('a', d.token, stored);
    expect(s.begin('a', fp).kind).toBe('replay');
    clock.advance(1000);
    expect(s.begin('a', fp).kind).toBe('new');
  });

  it('holds at most maxEntries keys, the least recently used forgotten first', () => {
    const s = new IdempotencyStore({ clock: new ManualClock(), ttlMs: 1000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) {
      const d = s.begin(k, fp);
      if (d.kind === 'new') s.complete(k, d.token, stored);
    }
    expect(s.begin('a', fp).kind).toBe('replay'); // a is now the most recent
    s.begin('d', fp);
    expect(s.size).toBe(3);
    expect(s.begin('b', fp).kind).toBe('new'); // b was the least recent: gone
  });

  it('a release lets the key run again; a stale token changes nothing', () => {
    const s = new IdempotencyStore({ clock: new ManualClock(), ttlMs: 1000, maxEntries: 10 });
    const d = s.begin('a', fp);
    if (d.kind !== 'new') throw new Error('expected new');
    s.release('a', d.token + 1);
    expect(s.begin('a', fp).kind).toBe('in-progress');
    s.release('a', d.token);
    expect(s.begin('a', fp).kind).toBe('new');
  });

  it('parses keys as the draft writes them (a quoted String) and refuses bad ones', () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('abc')).toBe('abc');
    expect(parseIdempotencyKey('')).toBeUndefined();
    expect(parseIdempotencyKey('has space')).toBeUndefined();
    expect(parseIdempotencyKey('x'.repeat(256))).toBeUndefined();
  });
});
