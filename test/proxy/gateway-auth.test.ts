// API gateway routes: bearer tokens (real ES256 signatures, a JWKS file) checked by the proxy, scopes
// giving 401/403, the user id header injected from the verified claim and never taken from the
// client, the /v1 → /v2 rewrite, per-user and per-API-key rate limits, and curl as the client.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/http/index.ts';
import { describeConfig, loadConfigFile, parseConfig, type ReverseProxy } from '../../src/proxy/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { AUDIENCE, type Issuer, ISSUER, makeIssuer, unsignedToken } from './gateway-keys.ts';
import { field, LISTENER, proxyWith, send, startUpstream, type Upstream } from './helpers.ts';

const run = promisify(execFile);

let issuer: Issuer;
let users: Upstream;
let orders: Upstream;
let proxy: ReverseProxy;
let port = 0;

const jwt = () => ({ jwks: issuer.jwksFile, issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'], clockToleranceSec: 5 });

beforeAll(async () => {
  issuer = await makeIssuer();
  users = await startUpstream('users');
  orders = await startUpstream('orders');
  proxy = await proxyWith({
    listeners: [LISTENER],
    routes: [
      {
        name: 'users-v1',
        match: { path: { prefix: '/v1/users' } },
        rewrite: { prefix: '/v2/users-service' },
        cluster: 'users',
        auth: { jwt: jwt(), scopes: ['read:users'] },
      },
      {
        name: 'orders',
        match: { path: { prefix: '/orders' } },
        cluster: 'orders',
        auth: { jwt: jwt(), scopes: ['read:orders'], forwardAuthorization: true },
        rateLimit: { algorithm: 'fixed_window', limit: 3, windowMs: 60_000, key: 'jwt_subject' },
      },
      {
        name: 'public',
        match: { path: { prefix: '/public' } },
        cluster: 'orders',
        rateLimit: { algorithm: 'fixed_window', limit: 2, windowMs: 60_000, key: 'api_key', missingKey: 'reject' },
      },
    ],
    clusters: [
      { name: 'users', endpoints: [{ address: '127.0.0.1', port: users.port }] },
      { name: 'orders', endpoints: [{ address: '127.0.0.1', port: orders.port }] },
    ],
  });
  port = proxy.address().port;
});

afterAll(async () => {
  await proxy?.close();
  await users?.close();
  await orders?.close();
  issuer?.cleanup();
});

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('bearer tokens', () => {
  it('a valid token with the scope passes; the upstream sees the verified user, not the forged one', async () => {
    const t = await issuer.sign({ sub: 'alice', scope: 'read:users read:orders' });
    const before = users.seen.length;
    const r = await send(port, 'GET', '/v1/users/42?x=1', [
      { name: 'Authorization', value: `Bearer ${t}` },
      { name: 'X-User-Id', value: 'admin' },
      { name: 'x-user-id', value: 'root' },
    ]);
    expect(r.status).toBe(200);
    // The rewrite: /v1/users → /v2/users-service, the rest of the path and the query kept.
    expect(r.body).toBe('users GET /v2/users-service/42?x=1');
    const seen = users.seen[before];
    expect(seen.fields.filter((f) => f.name.toLowerCase() === 'x-user-id').map((f) => f.value)).toEqual(['alice']);
    // Authorization is stripped by default...
    expect(field(seen.fields, 'authorization')).toBeUndefined();
  });

  it('forwardAuthorization keeps the token for the upstream', async () => {
    const t = await issuer.sign({ sub: 'carol', scope: 'read:orders' });
    const before = orders.seen.length;
    const r = await send(port, 'GET', '/orders/7', bearer(t));
    expect(r.status).toBe(200);
    expect(field(orders.seen[before].fields, 'authorization')).toBe(`Bearer ${t}`);
    expect(field(orders.seen[before].fields, 'x-user-id')).toBe('carol');
  });

  it('no token: 401 with a bare Bearer challenge, nothing reaches the upstream', async () => {
    const before = users.seen.length;
    const r = await send(port, 'GET', '/v1/users/1', { 'X-User-Id': 'admin' });
    expect(r.status).toBe(401);
    expect(field(r.fields, 'www-authenticate')).toBe('Bearer realm="netlab"');
    expect(users.seen.length).toBe(before);
  });

  const refused: [string, () => Promise<string>, string][] = [
    ['expired', () => issuer.sign({ sub: 'alice', scope: 'read:users' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }), 'the token has expired'],
    ['wrong issuer', () => issuer.sign({ sub: 'alice', scope: 'read:users' }, { issuer: 'https://evil.test' }), 'unexpected issuer (iss)'],
    ['wrong audience', () => issuer.sign({ sub: 'alice', scope: 'read:users' }, { audience: 'other-api' }), 'unexpected audience (aud)'],
    ['signed by a key not in the set', () => issuer.sign({ sub: 'alice', scope: 'read:users' }, { key: 'stranger' }), 'the signature does not verify'],
    ['alg none', async () => unsignedToken({ sub: 'alice', scope: 'read:users' }), "the token's algorithm is not allowed"],
    ['not a JWT', async () => 'abc.def.ghi', 'the token is malformed'],
    ['without exp', () => issuer.sign({ sub: 'alice', scope: 'read:users' }, { expiresIn: 'none' }), 'the token has no exp claim'],
  ];
  for (const [what, make, why] of refused) {
    it(`${what}: 401 invalid_token naming why`, async () => {
      const before = users.seen.length;
      const r = await send(port, 'GET', '/v1/users/1', bearer(await make()));
      expect(r.status).toBe(401);
      expect(field(r.fields, 'www-authenticate')).toBe(`Bearer realm="netlab", error="invalid_token", error_description="${why}"`);
      expect(users.seen.length).toBe(before);
    });
  }

  it('a token signed with the published key but header alg HS256 (key confusion) is refused', async () => {
    const t = await issuer.sign({ sub: 'alice', scope: 'read:users' });
    const [, payload, sig] = t.split('.');
    const forged = `${Buffer.from('{"alg":"HS256","kid":"k1"}').toString('base64url')}.${payload}.${sig}`;
    const r = await send(port, 'GET', '/v1/users/1', bearer(forged));
    expect(r.status).toBe(401);
    expect(field(r.fields, 'www-authenticate')).toContain('error="invalid_token"');
  });

  it('a Basic Authorization header is an invalid_request', async () => {
    const r = await send(port, 'GET', '/v1/users/1', { Authorization: 'Basic YWxpY2U6cHc=' });
    expect(r.status).toBe(401);
    expect(field(r.fields, 'www-authenticate')).toContain('error="invalid_request"');
  });

  it('a valid token without the scope: 403 insufficient_scope naming the scope needed', async () => {
    const t = await issuer.sign({ sub: 'bob', scope: 'read:users' });
    const before = orders.seen.length;
    const r = await send(port, 'GET', '/orders/1', bearer(t));
    expect(r.status).toBe(403);
    expect(field(r.fields, 'www-authenticate')).toBe(
      'Bearer realm="netlab", error="insufficient_scope", error_description="the token lacks scope read:orders", scope="read:orders"',
    );
    expect(orders.seen.length).toBe(before);
  });

  it('scopes as an scp list count too', async () => {
    const t = await issuer.sign({ sub: 'dave', scp: ['read:orders'] });
    expect((await send(port, 'GET', '/orders/1', bearer(t))).status).toBe(200);
  });

  it('a token without the user claim is refused', async () => {
    const t = await issuer.sign({ scope: 'read:orders' });
    const r = await send(port, 'GET', '/orders/1', bearer(t));
    expect(r.status).toBe(401);
    expect(field(r.fields, 'www-authenticate')).toContain('no usable sub claim');
  });
});

describe('rate limits per user and per API key', () => {
  it('jwt_subject: each user has its own quota; the 4th request of one user gets 429 with Retry-After', async () => {
    const erin = await issuer.sign({ sub: 'erin', scope: 'read:orders' });
    const frank = await issuer.sign({ sub: 'frank', scope: 'read:orders' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await send(port, 'GET', '/orders/x', bearer(erin))).status);
    expect(codes).toEqual([200, 200, 200, 429]);
    const last = await send(port, 'GET', '/orders/x', bearer(erin));
    expect(Number(field(last.fields, 'retry-after'))).toBeGreaterThan(0);
    expect((await send(port, 'GET', '/orders/x', bearer(frank))).status).toBe(200);
  });

  it('api_key: the quota follows the X-API-Key header; a request without one is refused with 400', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await send(port, 'GET', '/public/a', { 'X-API-Key': 'key-one' })).status);
    expect(codes).toEqual([200, 200, 429]);
    expect((await send(port, 'GET', '/public/a', { 'X-API-Key': 'key-two' })).status).toBe(200);
    expect((await send(port, 'GET', '/public/a')).status).toBe(400);
  });
});

describe('config checks', () => {
  const base = (route: Record<string, unknown>) =>
    JSON.stringify({
      listeners: [{ name: 'web', address: '127.0.0.1', port: 0 }],
      routes: [{ name: 'r', cluster: 'c', ...route }],
      clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port: 9 }] }],
    });
  const err = (route: Record<string, unknown>): string => {
    try {
      parseConfig(base(route));
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  it('names the key that is wrong', () => {
    expect(err({ auth: { jwt: { issuer: 'i', audience: 'a' } } })).toContain('routes[0].auth.jwt: expected exactly one of jwks (a file), jwksUrl; got none');
    expect(err({ auth: { jwt: { jwksUrl: 'https://auth.example.com/jwks', issuer: 'i', audience: 'a' } } })).toContain(
      'routes[0].auth.jwt.jwksUrl: expected an http(s) URL on 127.0.0.0/8',
    );
    expect(err({ auth: { jwt: { jwks: 'k.json', issuer: 'i', audience: 'a', algorithms: ['none'] } } })).toContain('routes[0].auth.jwt.algorithms[0]');
    expect(err({ auth: { jwt: { jwks: 'k.json', issuer: 'i', audience: 'a' }, scope: ['x'] } })).toContain('routes[0].auth');
    expect(err({ rateLimit: { algorithm: 'fixed_window', limit: 1, windowMs: 1000, key: 'jwt_subject' } })).toContain(
      'routes[0].rateLimit.key: jwt_subject needs the route to verify a token (auth)',
    );
    expect(err({ idempotency: { methods: ['POST'], ttlMs: 0 } })).toContain('routes[0].idempotency.ttlMs');
  });
});

describe.skipIf(!requireTool('curl'))('curl as the client', () => {
  it('curl -H "Authorization: Bearer ..." gets 200, 403 and 401 as the token says', async () => {
    const curl = async (token: string | undefined, path: string) => {
      const args = ['-sS', '--noproxy', '*', '-o', '/dev/null', '-D', '-', ...(token === undefined ? [] : ['-H', `Authorization: Bearer ${token}`])];
      const { stdout } = await run('curl', [...args, `http://127.0.0.1:${port}${path}`]);
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(stdout)?.[1]), head: stdout };
    };
    const good = await issuer.sign({ sub: 'gina', scope: 'read:users' });
    expect((await curl(good, '/v1/users/9')).status).toBe(200);
    const r403 = await curl(good, '/orders/9');
    expect(r403.status).toBe(403);
    expect(r403.head).toMatch(/WWW-Authenticate: Bearer realm="netlab", error="insufficient_scope"/i);
    expect((await curl(undefined, '/v1/users/9')).status).toBe(401);
  });
});

describe('key sets from a file on disk and from a loopback URL', () => {
  it('a config file names its JWKS relative to itself; a missing one is an error naming the key', () => {
    const yaml = (jwks: string) =>
      [
        'listeners: [{ name: web, address: 127.0.0.1, port: 0 }]',
        'routes:',
        '  - name: orders',
        '    match: { path: { prefix: /orders } }',
        '    cluster: c',
        `    auth: { jwt: { jwks: ${jwks}, issuer: i, audience: a }, scopes: [read:orders] }`,
        '    idempotency: { methods: [POST] }',
        'clusters: [{ name: c, endpoints: [{ address: 127.0.0.1, port: 9 }] }]',
      ].join('\n');
    const file = join(issuer.dir, 'gw.yaml');
    writeFileSync(file, yaml('jwks.json'));
    const loaded = loadConfigFile(file, 'proxy');
    expect(loaded.config.routes[0].auth?.jwt.jwks).toBe(issuer.jwksFile);
    expect(describeConfig(loaded.config)).toContain('route orders: path /orders* -> c; bearer JWT with read:orders -> X-User-Id; Idempotency-Key on POST');
    writeFileSync(file, yaml('nowhere.json'));
    expect(() => loadConfigFile(file, 'proxy')).toThrow(/routes\[0\]\.auth\.jwt\.jwks: file not found: .*nowhere\.json at line 6/);
  });

  it('the example gateway config checks', () => {
    const c = loadConfigFile(join(import.meta.dirname, '..', '..', 'examples', 'proxy', 'api-gateway.yaml'), 'proxy').config;
    expect(describeConfig(c)).toContain('route payments: path /payments* -> payments; bearer JWT with write:payments -> X-User-Id; Idempotency-Key on POST');
    expect(c.routes[1].rateLimit?.key).toBe('jwt_subject');
  });

  it('jwksUrl on 127.0.0.1: the proxy fetches the key set and verifies with it', async () => {
    const jwksText = readFileSync(issuer.jwksFile);
    let fetched = 0;
    const idp = new HttpServer({
      handler: (req, res) => {
        req.body.discard();
        fetched++;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': jwksText.length });
        res.end(jwksText);
      },
    });
    const at = await idp.listen(0, '127.0.0.1');
    const p2 = await proxyWith({
      listeners: [LISTENER],
      routes: [
        {
          name: 'orders',
          cluster: 'orders',
          auth: {
            jwt: { jwksUrl: `http://127.0.0.1:${at.port}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] },
            scopes: ['read:orders'],
          },
        },
      ],
      clusters: [{ name: 'orders', endpoints: [{ address: '127.0.0.1', port: orders.port }] }],
    });
    try {
      const port2 = p2.address().port;
      const good = await issuer.sign({ sub: 'hal', scope: 'read:orders' });
      expect((await send(port2, 'GET', '/orders/1', bearer(good))).status).toBe(200);
      expect((await send(port2, 'GET', '/orders/2', bearer(good))).status).toBe(200);
      expect(fetched).toBe(1);
      expect((await send(port2, 'GET', '/orders/3', bearer(await issuer.sign({ sub: 'hal', scope: 'read:orders' }, { key: 'stranger' })))).status).toBe(401);
      // The key set's server gone: a token it does not know the kid of cannot be checked, and that
      // is the gateway's trouble (503), not a bad token (401).
      await idp.close(200);
      const other = await new SignJWT({ sub: 'hal', scope: 'read:orders' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k2' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign((await generateKeyPair('ES256')).privateKey);
      await new Promise((r) => setTimeout(r, 1100)); // jose's cooldown between two fetches
      const down = await send(port2, 'GET', '/orders/4', bearer(other));
      expect(down.status).toBe(503);
      expect(down.body).toContain('the key set is unavailable');
    } finally {
      await p2.close();
      await idp.close(200);
    }
  });
});
