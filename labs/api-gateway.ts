// Lab: an API gateway on real sockets. netlab's reverse proxy on 127.183.0.1 in gateway mode in
// front of three services (users 127.183.1.1, orders on two backends 127.183.1.2-3, payments
// 127.183.1.4); clients on 127.183.2.x. Routes by path; bearer tokens (ES256 JWTs from a miniature
// identity provider) verified against a JWKS file, scopes giving 401/403; the X-User-Id the services
// read comes from the verified token, never from the client; /v1/users rewritten to
// /v2/users-service; a token bucket per API key (429 with Retry-After); idempotency keys so that a
// retried payment is charged once (400, 409, 422, replay); and a load balancer beside a gateway.

import { defineLab, type StepContext } from '../src/lab/index.ts';
import { startProxy } from '../src/proxy/index.ts';
import { gatewayExercises } from './api-gateway/exercises.ts';
import { header, Issuer, type Reply, request, Service, sleep } from './api-gateway/parts.ts';
import type { GatewayState, Lab } from './api-gateway/state.ts';
import { need } from './common/need.ts';
import { LAB_INFO } from './info.ts';
import { tlsOutput } from './tls/output.ts';

export const GATEWAY = '127.183.0.1';
export const USERS = '127.183.1.1';
export const ORDERS1 = '127.183.1.2';
export const ORDERS2 = '127.183.1.3';
export const PAYMENTS = '127.183.1.4';
const client = (n: number): string => `127.183.2.${n}`;

const labOf = (ctx: StepContext<GatewayState>): Lab => need(ctx.state.lab, 'the lab setup (step 1)');

/** The error="..." and error_description="..." of a WWW-Authenticate challenge. */
function challenge(r: Reply): { error: string; why: string } {
  const v = header(r.fields, 'www-authenticate') ?? '';
  return { error: /error="([^"]*)"/.exec(v)?.[1] ?? '-', why: /error_description="([^"]*)"/.exec(v)?.[1] ?? (v === '' ? '-' : 'no token sent') };
}

const served = (r: Reply): string => header(r.fields, 'x-served-by') ?? '(gateway)';

async function setup(ctx: StepContext<GatewayState>): Promise<Lab> {
  const out = tlsOutput(ctx);
  const users = new Service('users', USERS);
  const orders1 = new Service('orders1', ORDERS1);
  const orders2 = new Service('orders2', ORDERS2);
  const payments = new Service('payments', PAYMENTS);
  const services = [users, orders1, orders2, payments];
  await Promise.all(services.map((s) => s.listen()));
  const jwksFile = out.pathOf('jwks.json');
  const issuer = await Issuer.create(jwksFile);
  const auth = (scope: string) => ({
    jwt: { jwks: jwksFile, issuer: Issuer.ISS, audience: Issuer.AUD, algorithms: ['ES256'], clockToleranceSec: 30 },
    scopes: [scope],
  });
  const gateway = await startProxy(
    {
      listeners: [{ name: 'gw', address: GATEWAY, port: 0 }],
      routes: [
        { name: 'users-v1', match: { path: { prefix: '/v1/users' } }, rewrite: { prefix: '/v2/users-service' }, cluster: 'users', auth: auth('read:users') },
        { name: 'users', match: { path: { prefix: '/users' } }, cluster: 'users', auth: auth('read:users') },
        { name: 'orders', match: { path: { prefix: '/orders' } }, cluster: 'orders', auth: auth('read:orders') },
        {
          name: 'payments',
          match: { path: { prefix: '/payments' } },
          cluster: 'payments',
          auth: auth('write:payments'),
          ...(ctx.state.idempotency ? { idempotency: { methods: ['POST'], header: 'Idempotency-Key', ttlMs: 600_000, maxEntries: 1000 } } : {}),
        },
        {
          name: 'catalog',
          match: { path: { prefix: '/catalog' } },
          cluster: 'users',
          rateLimit: { algorithm: 'token_bucket', limit: 3, windowMs: 60_000, key: 'api_key', missingKey: 'reject', policy: 'partner' },
        },
      ],
      clusters: [
        { name: 'users', endpoints: [{ name: 'users', address: USERS, port: users.port }] },
        {
          name: 'orders',
          policy: 'round_robin',
          endpoints: [
            { name: 'orders1', address: ORDERS1, port: orders1.port },
            { name: 'orders2', address: ORDERS2, port: orders2.port },
          ],
        },
        { name: 'payments', endpoints: [{ name: 'payments', address: PAYMENTS, port: payments.port }] },
      ],
    },
    { graceMs: 200 },
  );
  ctx.onLabEnd(async () => {
    await gateway.close(200);
    await Promise.all(services.map((s) => s.close()));
  });
  return { users, orders1, orders2, payments, issuer, gateway, to: { host: GATEWAY, port: gateway.address('gw').port }, jwksFile };
}

function tapAll(lab: Lab, tap: Parameters<typeof request>[6]): () => void {
  const services = [lab.users, lab.orders1, lab.orders2, lab.payments];
  for (const s of services) s.tap = tap;
  return () => {
    for (const s of services) s.tap = undefined;
  };
}

const bearer = (t: string): Record<string, string> => ({ Authorization: `Bearer ${t}` });

export default defineLab<GatewayState>({
  ...LAB_INFO['api-gateway'],
  state: () => ({ idempotency: true }),
  exercises: gatewayExercises,
  steps: [
    {
      title: 'Three services behind one gateway',
      explain:
        "A study guide says an API gateway routes /users, /orders and /payments to services. Here netlab's\n" +
        'reverse proxy on 127.183.0.1 is that gateway: one route per path prefix, each naming a cluster\n' +
        '(users on 127.183.1.1, orders on two backends 127.183.1.2 and .3, payments on 127.183.1.4), and\n' +
        'each asking for a bearer token with one scope. A miniature identity provider signs tokens (ES256)\n' +
        'with a key pair made for this run; the gateway holds only the public half, in a JWKS file.\n' +
        'Alice (127.183.2.1) has a token with all three scopes and asks each service once.',
      async run(ctx) {
        const lab = await setup(ctx);
        ctx.state.lab = lab;
        const alice = await lab.issuer.sign('alice', ['read:users', 'read:orders', 'write:payments']);
        const asks: [string, string, string][] = [
          ['/users/alice', 'users', 'read:users'],
          ['/orders/1001', 'orders', 'read:orders'],
          ['/payments/recent', 'payments', 'write:payments'],
        ];
        const rows: string[][] = [];
        const by: string[] = [];
        for (const [path, route, scope] of asks) {
          const r = await request(client(1), lab.to, 'GET', path, bearer(alice));
          by.push(served(r).replace(/[12]$/, ''));
          rows.push([`GET ${path}`, route, scope, String(r.status), served(r)]);
        }
        ctx.show.table(['request', 'route', 'scope needed', 'status', 'answered by'], rows);
        ctx.show.text(`The key set the gateway verifies against: ${lab.jwksFile}`);
        ctx.check.equal('each path reached its own service', by, ['users', 'orders', 'payments']);
        ctx.check.equal(
          'a token with every scope gets 200 everywhere',
          rows.map((r) => r[3]),
          ['200', '200', '200'],
        );
      },
    },
    {
      title: 'Bearer tokens: 401, 403, 200',
      explain:
        'A study guide says a scope such as read:orders gives 401 or 403. The two are not the same refusal\n' +
        '(RFC 6750 §3.1): 401 means "who are you?": no token, or a token that does not verify (expired, signed by a key\n' +
        'outside the key set, alg "none", wrong issuer or audience); the answer carries\n' +
        'WWW-Authenticate: Bearer error="invalid_token" (no error code at all when no token was sent). 403\n' +
        'means "I know who you are, and you may not": a valid token without the scope, with\n' +
        'error="insufficient_scope" and the scope needed. Six tokens ask for GET /orders/1001; only the\n' +
        'last reaches a service.',
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('tokens', {
          filter: 'http.response.code == 401',
          frames: 4,
          about: 'no token, expired, forged signature, alg none',
          also: [
            { filter: 'http.response.code == 403', frames: 1, about: 'a valid token without read:orders' },
            { filter: 'http.www_authenticate contains "insufficient_scope"', frames: 1, about: 'the 403 names the scope it needed' },
            { filter: 'http.x_forwarded_for', frames: 1, about: 'the one request the gateway sent to a service' },
          ],
        });
        const untap = tapAll(lab, tap);
        const tokens: [string, string | undefined][] = [
          ['none', undefined],
          ['expired', await lab.issuer.sign('bob', ['read:orders'], { expired: true })],
          ['forged signature', await lab.issuer.sign('bob', ['read:orders'], { forged: true })],
          ['alg none', Issuer.unsigned('bob', ['read:orders'])],
          ['read:users only', await lab.issuer.sign('bob', ['read:users'])],
          ['read:orders', await lab.issuer.sign('bob', ['read:orders'])],
        ];
        const before = lab.orders1.seen.length + lab.orders2.seen.length;
        const rows: string[][] = [];
        const table: { token: string; status: number }[] = [];
        for (const [name, t] of tokens) {
          const r = await request(client(2), lab.to, 'GET', '/orders/1001', t === undefined ? {} : bearer(t), undefined, tap);
          const c = challenge(r);
          rows.push([name, String(r.status), r.status === 200 ? served(r) : c.error, r.status === 200 ? '' : c.why.replace(/^the token('s)? /, '')]);
          table.push({ token: name, status: r.status });
        }
        untap();
        await tap.close();
        ctx.state.authTable = table;
        ctx.show.table(['token', 'status', 'error=', 'why'], rows);
        const reached = lab.orders1.seen.length + lab.orders2.seen.length - before;
        ctx.check.equal(
          'no token and the three bad tokens get 401, the scope-less one 403, read:orders 200',
          table.map((t) => t.status),
          [401, 401, 401, 401, 403, 200],
        );
        ctx.check.equal('no token: a bare challenge, no error code', rows[0][2], '-');
        ctx.check.equal('the bad tokens: error="invalid_token"', [rows[1][2], rows[2][2], rows[3][2]], ['invalid_token', 'invalid_token', 'invalid_token']);
        ctx.check.equal('the 403: error="insufficient_scope"', rows[4][2], 'insufficient_scope');
        ctx.check.equal('only the good token reached an orders backend', reached, 1);
      },
    },
    {
      title: 'X-User-Id comes from the token, never from the client',
      explain:
        'A study guide says the gateway injects X-User-Id. A service that trusts that header must never get\n' +
        "a client's own copy: Mallory (127.183.2.3) sends a valid token for herself plus\n" +
        '"X-User-Id: admin". The gateway removes every X-User-Id the client sent and writes the verified\n' +
        "token's sub. Without a token the request stops at the gateway (401) and the forged header goes\n" +
        'nowhere. The Authorization header is stripped too (forwardAuthorization: false, the default):\n' +
        'services get the user, not a token they could replay elsewhere.',
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('user-id', {
          filter: 'http.request.line contains "X-User-Id: admin"',
          frames: 2,
          about: 'the forged header in both client requests, and never towards the service',
          also: [
            { filter: 'http.request.line contains "X-User-Id: mallory"', frames: 1, about: "the gateway's header, on the service side" },
            { filter: 'http.request.line contains "Authorization" && http.x_forwarded_for', frames: 0, about: 'no token reaches the service' },
          ],
        });
        const untap = tapAll(lab, tap);
        const mallory = await lab.issuer.sign('mallory', ['read:users']);
        const before = lab.users.seen.length;
        const r = await request(client(3), lab.to, 'GET', '/users/me', { ...bearer(mallory), 'X-User-Id': 'admin' }, undefined, tap);
        const seen = lab.users.seen[lab.users.seen.length - 1];
        const noToken = await request(client(3), lab.to, 'GET', '/users/me', { 'X-User-Id': 'admin' }, undefined, tap);
        const after = lab.users.seen.length;
        untap();
        await tap.close();
        ctx.show.table(
          ['request', 'status', 'service saw X-User-Id', 'token?'],
          [
            ['token (sub mallory) + admin', String(r.status), seen?.userId ?? '(none)', seen?.authorization === true ? 'yes' : 'no'],
            ['no token + admin', String(noToken.status), after - before === 1 ? '(never reached it)' : 'REACHED IT', '-'],
          ],
        );
        ctx.check.equal('the service saw the verified user, once', seen?.userId, 'mallory');
        ctx.check.equal('the Authorization header did not reach the service', seen?.authorization, false);
        ctx.check.equal('without a token: 401 and nothing reached the service', [noToken.status, after - before], [401, 1]);
      },
    },
    {
      title: 'Rewriting /v1/users to /v2/users-service',
      explain:
        'A study guide rewrites /v1/users to /v2/users-service: clients keep the old public path while the\n' +
        'service behind it moved. The route matches the prefix /v1/users and replaces it\n' +
        '(rewrite: { prefix: /v2/users-service }); the rest of the path and the query go on unchanged.',
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('rewrite', {
          filter: 'http.request.uri == "/v1/users/42?fields=name"',
          frames: 1,
          about: 'what the client asked for',
          also: [{ filter: 'http.request.uri == "/v2/users-service/42?fields=name"', frames: 1, about: 'what the users service got' }],
        });
        const untap = tapAll(lab, tap);
        const t = await lab.issuer.sign('alice', ['read:users']);
        const r = await request(client(1), lab.to, 'GET', '/v1/users/42?fields=name', bearer(t), undefined, tap);
        untap();
        await tap.close();
        const seen = lab.users.seen[lab.users.seen.length - 1];
        ctx.show.table(
          ['side', 'request target'],
          [
            ['client -> gateway', '/v1/users/42?fields=name'],
            ['gateway -> users', seen?.target ?? '?'],
          ],
        );
        ctx.check.equal('the client got 200 from users', [r.status, served(r)], [200, 'users']);
        ctx.check.equal('the service got the rewritten path, query kept', seen?.target, '/v2/users-service/42?fields=name');
      },
    },
    {
      title: 'Per-key limits: a token bucket per API key',
      explain:
        'A study guide gives a POST API a token bucket of 3 tokens a minute, 429 when empty. The public\n' +
        'catalog route limits each partner by its X-API-Key (key: api_key): 3 requests at once, then one\n' +
        'more every 20 s. partner-a sends 4 requests at once: the 4th gets 429 with Retry-After (the seconds\n' +
        "until a token is back) and the RateLimit fields. partner-b's bucket is its own and full. A request\n" +
        'without a key is refused with 400 (missingKey: reject). Routes with auth can count per user\n' +
        'instead (key: jwt_subject: the verified sub).',
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('limits', {
          filter: 'http.response.code == 429',
          frames: 1,
          about: "partner-a's 4th request",
          also: [{ filter: 'http.response.line contains "Retry-After"', frames: 1, about: 'the 429 says when to come back' }],
        });
        const untap = tapAll(lab, tap);
        const rows: string[][] = [];
        const statuses: number[] = [];
        let retryAfter: string | undefined;
        const sends: [string, string | undefined][] = [
          ['partner-a', 'partner-a'],
          ['partner-a', 'partner-a'],
          ['partner-a', 'partner-a'],
          ['partner-a', 'partner-a'],
          ['partner-b', 'partner-b'],
          ['(no key)', undefined],
        ];
        for (const [i, [label, key]] of sends.entries()) {
          const r = await request(client(4), lab.to, 'GET', `/catalog/item/${i + 1}`, key === undefined ? {} : { 'X-API-Key': key }, undefined, tap);
          statuses.push(r.status);
          if (r.status === 429) retryAfter = header(r.fields, 'retry-after');
          rows.push([label, String(r.status), header(r.fields, 'retry-after') ?? '-', header(r.fields, 'ratelimit') ?? '-']);
        }
        untap();
        await tap.close();
        ctx.state.retryAfter = retryAfter;
        ctx.show.table(['X-API-Key', 'status', 'Retry-After', 'RateLimit'], rows);
        ctx.check.equal('partner-a: 3 allowed, the 4th 429; partner-b 200; no key 400', statuses, [200, 200, 200, 429, 200, 400]);
        ctx.check.between('Retry-After: about the 20 s a token takes to come back', Number(retryAfter), 19, 20, 's');
      },
    },
    {
      title: 'Idempotency keys: a retried payment is charged once',
      explain:
        'A client that gets no answer to POST /payments cannot know whether the charge happened; if it\n' +
        'retries, the customer may pay twice. With an Idempotency-Key (an IETF draft) the client names\n' +
        'the attempt and the gateway keeps the answer per key (and per user): the first request with a\n' +
        'key goes to the service (201 Created); the same request again gets the stored answer, marked\n' +
        'Idempotent-Replayed: true, and the service is not asked; the same key while the first is still\n' +
        'running gets 409; the same key on a different request (another amount) 422; a POST without a\n' +
        'key 400. The payments service counts its charges.',
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('idempotency', {
          filter: 'http.request.line contains "Idempotency-Key"',
          frames: ctx.state.idempotency ? 7 : 10,
          about: '5 requests with a key from the client, 2 of them passed to payments',
          also: [
            { filter: 'http.response.line contains "Idempotent-Replayed"', frames: ctx.state.idempotency ? 1 : 0, about: 'the stored answer, replayed' },
            { filter: 'http.response.code == 409', frames: ctx.state.idempotency ? 1 : 0, about: 'the copy sent while the first was running' },
          ],
        });
        const untap = tapAll(lab, tap);
        const carol = await lab.issuer.sign('carol', ['write:payments']);
        const json = { ...bearer(carol), 'Content-Type': 'application/json' };
        const pay = (key: string | undefined, amount: number) =>
          request(client(5), lab.to, 'POST', '/payments', { ...json, ...(key === undefined ? {} : { 'Idempotency-Key': key }) }, `{"amount":${amount}}`, tap);
        const before = lab.payments.charges;
        const rows: string[][] = [];
        const row = (what: string, r: Reply): number => {
          const body = /"charge":(\d+)/.exec(r.body)?.[1];
          rows.push([what, String(r.status), header(r.fields, 'idempotent-replayed') ?? '-', body === undefined ? '-' : `#${body}`]);
          return r.status;
        };
        const statuses: number[] = [];
        statuses.push(row('no key', await pay(undefined, 100)));
        const first = await pay('pay-7f3a', 100);
        statuses.push(row('pay-7f3a, 100', first));
        const retry = await pay('pay-7f3a', 100);
        statuses.push(row('pay-7f3a, 100 again', retry));
        statuses.push(row('pay-7f3a, 250', await pay('pay-7f3a', 250)));
        // A slow charge: the copy arrives while the first is still at the service.
        lab.payments.delayMs = 150;
        const seenBefore = lab.payments.seen.length;
        const slow = pay('pay-91c2', 40);
        for (let i = 0; i < 100 && lab.payments.seen.length === seenBefore; i++) await sleep(5);
        const copy = await pay('pay-91c2', 40);
        const slowR = await slow;
        lab.payments.delayMs = 0;
        statuses.push(row('pay-91c2 (slow), 40', slowR));
        statuses.push(row('pay-91c2 copy meanwhile', copy));
        untap();
        await tap.close();
        const charges = lab.payments.charges - before;
        ctx.state.charges = charges;
        ctx.show.table(['request', 'status', 'Replayed', 'charge'], rows);
        ctx.show.text(`Charges made at the payments service: ${charges} (for 6 requests).`);
        ctx.check.equal('a POST without a key: 400', statuses[0], 400);
        ctx.check.equal('the retry got the first answer back, byte for byte', [retry.status, retry.body], [first.status, first.body]);
        ctx.check.equal('the retry is marked Idempotent-Replayed', header(retry.fields, 'idempotent-replayed'), 'true');
        ctx.check.equal('the same key with another amount: 422', statuses[3], 422);
        ctx.check.equal('the copy sent while the first was running: 409', [copy.status, slowR.status], [409, 201]);
        ctx.check.equal('the payments service charged once per key: 2 charges', charges, 2);
      },
    },
    {
      title: 'A load balancer beside a gateway',
      explain:
        'A common claim sets load balancers, reverse proxies and gateways apart as different boxes, the\n' +
        'gateway somewhere behind the servers. A load balancer is usually a reverse proxy, and an API\n' +
        'gateway stands in front of the servers: here one netlab proxy is both. The orders route (the\n' +
        "gateway's job: which service, who is asking, may they) names a cluster of two backends, and the\n" +
        "cluster's round robin (the balancer's job: which copy of the service) spreads the requests.",
      async run(ctx) {
        const lab = labOf(ctx);
        const tap = tlsOutput(ctx).tap('beside', {
          filter: `http.request && ip.dst == ${ORDERS1}`,
          frames: 2,
          about: 'two requests to orders1',
          also: [
            { filter: `http.request && ip.dst == ${ORDERS2}`, frames: 2, about: 'two to orders2' },
            { filter: `ip.addr == ${client(6)} && (ip.addr == ${ORDERS1} || ip.addr == ${ORDERS2})`, frames: 0, about: 'the client never talks to a backend' },
          ],
        });
        const untap = tapAll(lab, tap);
        const t = await lab.issuer.sign('dave', ['read:orders']);
        const by: string[] = [];
        for (let i = 1; i <= 4; i++) by.push(served(await request(client(6), lab.to, 'GET', `/orders/${2000 + i}`, bearer(t), undefined, tap)));
        untap();
        await tap.close();
        ctx.show.table(
          ['', 'load balancer', 'API gateway'],
          [
            ['chooses', 'a copy of one service', 'the service (route)'],
            ['decides by', 'policy, health, load', 'path, token, scopes'],
            ['knows the user', 'no', 'yes (verified sub)'],
            ['refuses with', '503 (no backend up)', '401 403 429 400 409'],
            ['here', 'cluster orders', 'routes'],
          ],
        );
        ctx.show.text(`GET /orders/2001..2004 answered by: ${by.join(', ')}`);
        ctx.check.equal('round robin spread 4 requests 2 and 2', [by.filter((b) => b === 'orders1').length, by.filter((b) => b === 'orders2').length], [2, 2]);
        ctx.check.ok(
          'consecutive requests went to different backends',
          by.every((b, i) => i === 0 || b !== by[i - 1]),
          by.join(', '),
        );
      },
    },
  ],
});
