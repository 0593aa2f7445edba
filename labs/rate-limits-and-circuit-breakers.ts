// Lab: rate limits, load shedding and circuit breakers in netlab's reverse proxy, with real HTTP
// requests on loopback (127.185.0.0/16). A study guide's token bucket of 3 tokens a minute for a POST
// API (the 4th gets 429, Retry-After says when a token is back); the fixed window letting twice the
// limit through across a boundary, against a sliding log and a sliding window counter on the same
// timeline; per-client and per-API-key allowances; shedding 4000 of 5000 requests/s, scaled down to
// 400 of 500; a failing backend tripping an endpoint breaker (fast 503s, a half-open probe after the
// cool-down, recovery); and a cluster's connection and pending-request ceilings overflowing.

import { performance } from 'node:perf_hooks';
import { defineLab, type StepContext } from '../src/lab/index.ts';
import { need } from './common/need.ts';
import { LAB_INFO } from './info.ts';
import { rateExercises } from './rate-limits/exercises.ts';
import { header, KeepAliveClient, percentile, type Reply, send, type Target } from './rate-limits/parts.ts';
import { ALICE, BOB, LIMIT, LIVE, MAX_CONCURRENT, MAX_OPEN_MS, OPEN_MS, SERVICE_MS, setup, TIMED, TRIP, USERS } from './rate-limits/setup.ts';
import type { Lab, RateState, WindowRow } from './rate-limits/state.ts';
import { tlsOutput } from './tls/output.ts';

const labOf = (ctx: StepContext<RateState>): Lab => need(ctx.state.lab, 'the lab setup (step 1)');
const timedTarget = (lab: Lab): Target => ({ host: TIMED, port: lab.timed.address('api').port });
const liveTarget = (lab: Lab): Target => ({ host: LIVE, port: lab.live.address('edge').port });
/** Moves the manual clock to `ms` (never back). */
const advanceTo = (lab: Lab, ms: number): void => lab.clock.advance(Math.max(0, ms - lab.clock.now()));
const secs = (ms: number): string => `${Math.round(ms / 1000)}`;
const ms1 = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(1));

/** The window comparison's timeline: seconds after the start of a window; boundaries at 60 and 120. */
const INSTANTS = [58, 61, 90, 121];
/** The clock time (ms) the timeline's 0 stands for: a window boundary after step 1's 80 s. */
const WINDOW_BASE = 120_000;
const WINDOW_ROUTES = [
  { path: '/fixed', algorithm: 'fixed window' },
  { path: '/log', algorithm: 'sliding log' },
  { path: '/counter', algorithm: 'sliding counter' },
  { path: '/leaky', algorithm: 'leaky bucket' },
];

/** The most accepted requests within any `windowS` seconds, from the accepted requests' times. */
function most(times: readonly number[], windowS: number): number {
  let best = 0;
  for (const t of times) best = Math.max(best, times.filter((u) => u > t - windowS && u <= t).length);
  return best;
}

export default defineLab<RateState>({
  ...LAB_INFO['rate-limits-and-circuit-breakers'],
  state: () => ({ tokensPerMinute: 3 }),
  exercises: rateExercises,
  steps: [
    {
      title: 'POST /orders: a token bucket of 3 a minute',
      explain:
        'A study guide limits a POST API with a token bucket of 3 tokens a minute: each request takes a\n' +
        "token, a token comes back every 20 s, and an empty bucket means 429 Too Many Requests. netlab's\n" +
        `proxy on ${TIMED} has that limit on POST /orders (GETs of /orders are not limited), keyed by the\n` +
        'client address. The proxy runs on a ManualClock: time moves only when the lab advances it, so a\n' +
        'minute of refill costs nothing, while the requests, sockets and bytes are real. Alice\n' +
        `(${ALICE}) POSTs 4 times at t = 0 s, GETs once, POSTs twice at t = 20 s and 4 times at t = 80 s.\n` +
        'Each answer carries RateLimit-Policy ("orders";q=3;w=60) and RateLimit ("orders";r=remaining;\n' +
        't=seconds until full); a 429 adds Retry-After, the whole seconds until one token is back.',
      async run(ctx) {
        const lab = await setup(ctx);
        ctx.state.lab = lab;
        const to = timedTarget(lab);
        const tap = tlsOutput(ctx).tap('bucket', {
          filter: 'http.response.code == 429',
          frames: 3,
          about: 'the three POSTs that found the bucket empty',
          also: [
            { filter: 'http.request.method == "POST"', frames: 10, about: "Alice's ten POSTs" },
            { filter: 'frame contains "Retry-After: 20"', frames: 3, about: 'each 429 says: a token is back in 20 s' },
          ],
        });
        const rows: (string | number)[][] = [];
        const statuses: number[] = [];
        const retry: string[] = [];
        let policy: string | undefined;
        const go = async (method: string, n: number): Promise<void> => {
          for (let i = 0; i < n; i++) {
            const r = await send(ALICE, to, method, '/orders', {}, tap);
            policy ??= header(r.fields, 'ratelimit-policy');
            statuses.push(r.status);
            const ra = header(r.fields, 'retry-after');
            if (ra !== undefined) retry.push(ra);
            const rl = header(r.fields, 'ratelimit') ?? '-';
            rows.push([secs(lab.clock.now()), method, r.status, rl.replace('"orders";', ''), ra ?? '']);
          }
        };
        await go('POST', 4);
        await go('GET', 1);
        lab.clock.advance(20_000);
        await go('POST', 2);
        lab.clock.advance(60_000);
        await go('POST', 4);
        await tap.close();
        ctx.show.table(['t (s)', 'request', 'status', 'RateLimit', 'Retry-After'], rows);
        ctx.show.text(`Every POST answer also says RateLimit-Policy: ${policy ?? '-'}; r is what is left, t when full.`);
        const posts = rows.filter((r) => r[1] === 'POST');
        ctx.state.retryAfterS = Number(retry[0]);
        ctx.check.equal(
          'at t = 0: three POSTs pass, the 4th gets 429',
          posts.slice(0, 4).map((r) => r[2]),
          [200, 200, 200, 429],
        );
        ctx.check.equal('the 429 says Retry-After: 20 (60 s / 3 tokens)', retry[0], '20');
        ctx.check.equal('GET /orders is not limited (no RateLimit fields)', [rows[4]?.[2], rows[4]?.[3]], [200, '-']);
        ctx.check.equal('20 s later exactly one token is back: one 200, then 429', [posts[4]?.[2], posts[5]?.[2]], [200, 429]);
        ctx.check.equal(
          '60 s later the bucket is full, not fuller: 3 x 200, then 429',
          posts.slice(6).map((r) => r[2]),
          [200, 200, 200, 429],
        );
        ctx.check.equal('the 429s never reached the backend', lab.orders.hits, statuses.filter((s) => s === 200).length);
      },
    },
    {
      title: 'Fixed window, sliding log, sliding counter: one timeline',
      explain:
        'Three routes with the same limit, 3 a minute, each with another algorithm:\n' +
        '  fixed window     a counter per minute [0,60) [60,120) ..., reset at each boundary;\n' +
        '  sliding log      the time of each accepted request; at most 3 in the 60 s before now;\n' +
        '  sliding counter  this minute + the last minute x (share of it still in the 60 s window);\n' +
        '  leaky bucket     each request pours 1 in, 3 fit, it drains 1 every 20 s.\n' +
        `Alice sends 3 requests to each at t = ${INSTANTS.join(', ')} s (the clock runs from a boundary).\n` +
        'A study guide says a fixed window can let up to twice the limit through across a boundary: 3 at\n' +
        '58 s and 3 more at 61 s would be 6 within 3 seconds. A 429 from each says when to come back.',
      async run(ctx) {
        const lab = labOf(ctx);
        const to = timedTarget(lab);
        const tap = tlsOutput(ctx).tap('windows', {
          filter: 'http.response.code == 429',
          frames: 21,
          about: 'every refusal: 3 fixed window, 6 sliding log, 6 sliding counter, 6 leaky bucket',
          also: [
            { filter: 'http.response.code == 429 && frame contains "fixed_window"', frames: 3, about: "the fixed window's refusals (at 90 s)" },
            { filter: 'http.response.code == 429 && frame contains "sliding_log"', frames: 6, about: "the sliding log's refusals" },
          ],
        });
        const table: WindowRow[] = [];
        const firstRefusal: string[] = [];
        const accepted = WINDOW_ROUTES.map(() => INSTANTS.map(() => 0));
        const times: number[][] = WINDOW_ROUTES.map(() => []);
        const first: (string | undefined)[] = WINDOW_ROUTES.map(() => undefined);
        for (const [i, t] of INSTANTS.entries()) {
          advanceTo(lab, WINDOW_BASE + t * 1000);
          for (const [a, r] of WINDOW_ROUTES.entries()) {
            for (let k = 0; k < LIMIT; k++) {
              const reply = await send(ALICE, to, 'GET', r.path, {}, tap);
              if (reply.status === 200) {
                accepted[a][i]++;
                times[a].push(t);
              } else if (first[a] === undefined) first[a] = `${t} s, retry ${header(reply.fields, 'retry-after') ?? '?'} s`;
            }
          }
        }
        await tap.close();
        for (const [a, r] of WINDOW_ROUTES.entries()) {
          table.push({ algorithm: r.algorithm, accepted: accepted[a], most60: most(times[a], 60) });
          firstRefusal.push(first[a] ?? '-');
        }
        ctx.state.windows = table;
        ctx.show.table(
          ['algorithm', ...INSTANTS.map((t) => `${t} s`), 'most in 60 s', 'first 429'],
          table.map((w, a) => [w.algorithm, ...w.accepted, w.most60, firstRefusal[a]]),
        );
        const [fixed, log, counter, leaky] = table;
        ctx.check.equal('fixed window: 3 at 58 s and 3 more at 61 s', fixed.accepted, [3, 3, 0, 3]);
        ctx.check.equal("fixed window: twice the limit within 3 s (the study guide's claim holds)", fixed.accepted[0] + fixed.accepted[1], 2 * LIMIT);
        ctx.check.equal('sliding log: never more than 3 in any 60 s', [log.accepted, log.most60], [[3, 0, 0, 3], LIMIT]);
        ctx.check.equal('sliding log: the first 429 (61 s) says 57 s, when the 58 s requests leave', firstRefusal[1], '61 s, retry 57 s');
        ctx.check.equal('sliding counter: 3, 0, then 1 at 90 s (3 x 1/2 + 1 = 2.5) and 2 at 121 s', counter.accepted, [3, 0, 1, 2]);
        ctx.check.equal('sliding counter is an estimate: 4 in the 60 s ending at 90 s', counter.most60, 4);
        ctx.check.equal('leaky bucket: 1.4 of 3 left in it at 90 s (room for 1), 0.85 at 121 s (room for 2)', leaky.accepted, [3, 0, 1, 2]);
      },
    },
    {
      title: 'Whose allowance: per client address or per API key',
      explain:
        'The key decides whose requests share an allowance. Two routes, both a fixed window of 3 a\n' +
        'minute: /by-client counts per client address, /by-key per X-API-Key (and refuses a request\n' +
        `without one with 400). Alice (${ALICE}) and Bob (${BOB}) work for one team and share the key\n` +
        '"team-blue"; Alice also holds "team-green" for another project. Each sends 3 requests per line.\n' +
        'Per address, one NAT address shared by a whole office would be one allowance; per key, one\n' +
        'customer is one allowance wherever its requests come from.',
      async run(ctx) {
        const lab = labOf(ctx);
        const to = timedTarget(lab);
        const who = [
          { name: 'Alice', from: ALICE, key: 'team-blue' },
          { name: 'Bob', from: BOB, key: 'team-blue' },
          { name: 'Alice', from: ALICE, key: 'team-green' },
        ];
        const rows: (string | number)[][] = [];
        const byClient: number[] = [];
        const byKey: number[] = [];
        for (const w of who) {
          const ok = { client: 0, key: 0 };
          for (let i = 0; i < LIMIT; i++) {
            if ((await send(w.from, to, 'GET', '/by-client', { 'X-API-Key': w.key })).status === 200) ok.client++;
            if ((await send(w.from, to, 'GET', '/by-key', { 'X-API-Key': w.key })).status === 200) ok.key++;
          }
          byClient.push(ok.client);
          byKey.push(ok.key);
          rows.push([w.name, w.from, w.key, `${ok.client} of 3`, `${ok.key} of 3`]);
        }
        const noKey = await send(BOB, to, 'GET', '/by-key');
        ctx.show.table(['who', 'address', 'X-API-Key', 'per address', 'per key'], rows);
        ctx.show.text(`Without X-API-Key, /by-key answers ${noKey.status}: ${noKey.body.trim()}`);
        ctx.check.equal('per address: Alice and Bob each get 3; Alice with her second key gets none', byClient, [3, 3, 0]);
        ctx.check.equal('per key: Alice and Bob share 3; Alice with "team-green" gets 3 more', byKey, [3, 0, 3]);
        ctx.check.equal('a request without the key gets 400, not a free pass', noKey.status, 400);
      },
    },
    {
      title: 'Load shedding: 500 requests/s offered, room for 100',
      explain:
        'A study guide sheds 4000 of 5000 requests/s when a service can take 1000. Scaled down to\n' +
        `loopback by 10: the backend takes ${SERVICE_MS} ms per request and the proxy on ${LIVE} admits at\n` +
        `most ${MAX_CONCURRENT} requests in flight (loadShed.maxConcurrent): ${MAX_CONCURRENT} / ${SERVICE_MS / 1000} s = 100 requests/s.\n` +
        `${USERS} users (127.185.3.1-${USERS}, one keep-alive connection each) offer 500 requests: 10 bursts of\n` +
        `${USERS}, one every ${SERVICE_MS} ms (500 a second; a burst waits for the last one's answers, so a slow\n` +
        'machine stretches the second). The proxy answers the excess at once with 503 and Retry-After: 1\n' +
        'instead of queueing it, so the requests it admits are served in about the service time. (So that\n' +
        "a busy machine cannot blur the count, the backend also holds each answer until all of its burst's\n" +
        'requests are answered or admitted.) Client, proxy and backend share one Node event loop: a 503\n' +
        'waits its turn there, yet always comes back before the served answers of its burst.',
      timeoutMs: 30_000,
      async run(ctx) {
        const lab = labOf(ctx);
        const to = liveTarget(lab);
        const tap = tlsOutput(ctx).tap('shed', {
          filter: 'http.response.code == 503',
          frames: 400,
          about: 'the 400 requests shed',
          also: [
            { filter: 'http.response.code == 200', frames: 100, about: 'the 100 served' },
            { filter: 'frame contains "X-Netlab-Shed: concurrency"', frames: 400, about: 'why: too many in flight' },
          ],
        });
        lab.work.delayMs = SERVICE_MS;
        const users = Array.from({ length: USERS }, (_, i) => new KeepAliveClient(`127.185.3.${i + 1}`, to, tap));
        const before = lab.work.hits;
        const replies: Reply[] = [];
        const t0 = performance.now();
        try {
          for (let b = 0; b < 10; b++) {
            const wait = t0 + b * SERVICE_MS - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            const hits0 = lab.work.hits;
            let answered = 0;
            let open: () => void = () => undefined;
            lab.work.gate = new Promise<void>((r) => {
              open = r;
            });
            const settle = (): void => {
              if (answered + (lab.work.hits - hits0) >= USERS) open();
            };
            lab.work.onHit = settle;
            const burst = users.map(async (u) => {
              const r = await u.get('/work');
              if (r.status !== 200) answered++;
              settle();
              return r;
            });
            replies.push(...(await Promise.all(burst)));
          }
        } finally {
          lab.work.gate = undefined;
          lab.work.onHit = undefined;
          await Promise.all(users.map((u) => u.close()));
        }
        const spanMs = performance.now() - t0;
        await tap.close();
        const ok = replies.filter((r) => r.status === 200);
        const shed = replies.filter((r) => r.status === 503);
        ctx.state.offered = replies.length;
        ctx.state.shed = shed.length;
        const lat = (rs: readonly Reply[], q: number): number =>
          percentile(
            rs.map((r) => r.ms),
            q,
          );
        const share = (n: number): string => `${((100 * n) / replies.length).toFixed(0)}%`;
        ctx.show.table(
          ['', 'requests', 'share', 'p50 ms', 'p95 ms', 'max ms'],
          [
            ['offered', replies.length, '100%', '', '', ''],
            ['served (200)', ok.length, share(ok.length), ms1(lat(ok, 0.5)), ms1(lat(ok, 0.95)), ms1(lat(ok, 1))],
            ['shed (503)', shed.length, share(shed.length), ms1(lat(shed, 0.5)), ms1(lat(shed, 0.95)), ms1(lat(shed, 1))],
          ],
        );
        ctx.show.text(
          `Offered over ${(spanMs / 1000).toFixed(2)} s (${Math.round((1000 * replies.length) / spanMs)} requests/s). Scaled up x10: ${shed.length * 10} of ${replies.length * 10} shed. ` +
            'Without shedding the excess would queue: 400 extra requests at 100/s, the last waiting 4 s.',
        );
        ctx.check.equal('every answer is 200 or 503', ok.length + shed.length, replies.length);
        ctx.check.equal('400 of 500 shed (4000 of 5000 scaled down by 10)', shed.length, 400);
        ctx.check.equal('only the 100 admitted requests reached the backend', lab.work.hits - before, ok.length);
        ctx.check.ok(
          'a shed request carries Retry-After: 1',
          shed.length > 0 && shed.every((r) => header(r.fields, 'retry-after') === '1'),
          `${shed.filter((r) => header(r.fields, 'retry-after') === '1').length} of ${shed.length}`,
        );
        ctx.check.atLeast('the served ones took about the service time (100 ms): p50 >= 90 ms', Math.round(lat(ok, 0.5)), SERVICE_MS - 10, 'ms');
        ctx.check.ok(
          'a 503 comes back sooner than a served answer (p50)',
          lat(shed, 0.5) < lat(ok, 0.5),
          `${ms1(lat(shed, 0.5))} ms vs ${ms1(lat(ok, 0.5))} ms`,
          'less',
        );
      },
    },
    {
      title: 'A failing backend trips the breaker',
      explain:
        `Cluster "payments" has one endpoint, pay1, with a breaker: ${TRIP} failures in a row (a 5xx or no\n` +
        `answer) open it for ${OPEN_MS / 1000} s. While open the proxy answers 503 itself (X-Netlab-Overflow:\n` +
        'breaker-open) without touching pay1: the failing service gets time to recover and callers do not\n' +
        `wait on it. After the cool-down it is half-open: one probe goes through. A failed probe opens it\n` +
        `again for twice as long (up to ${MAX_OPEN_MS / 1000} s); a good one closes it. Back on the manual clock:\n` +
        'pay1 works for 2 requests, then fails until the lab mends it.',
      async run(ctx) {
        const lab = labOf(ctx);
        const to = timedTarget(lab);
        const tap = tlsOutput(ctx).tap('breaker', {
          filter: 'http.response.code == 503',
          frames: 6,
          about: 'the answers the proxy gave itself while the breaker was open',
          also: [
            { filter: 'http.response.code == 500', frames: 4, about: "pay1's own errors (3 that trip it, 1 failed probe)" },
            { filter: 'frame contains "X-Netlab-Overflow: breaker-open"', frames: 6, about: 'the 503s name the open breaker' },
          ],
        });
        const base = lab.clock.now();
        const rows: (string | number)[][] = [];
        const statuses: number[] = [];
        const states: string[] = [];
        const hitsAt: number[] = [];
        let n = 0;
        const go = async (count: number): Promise<void> => {
          for (let i = 0; i < count; i++) {
            const r = await send(ALICE, to, 'POST', '/pay', {}, tap);
            const state = lab.timed.breakerStates('payments').pay1 ?? 'closed';
            n++;
            statuses.push(r.status);
            states.push(state);
            hitsAt.push(lab.payments.hits);
            rows.push([n, secs(lab.clock.now() - base), lab.payments.mode === 'fail' ? 'failing' : 'well', r.status, state, lab.payments.hits, ms1(r.ms)]);
          }
        };
        await go(2);
        lab.payments.mode = 'fail';
        await go(8);
        const before = lab.timed.breakerStates('payments').pay1;
        advanceTo(lab, base + OPEN_MS);
        const halfOpen = lab.timed.breakerStates('payments').pay1;
        await go(1);
        advanceTo(lab, base + OPEN_MS + OPEN_MS);
        await go(1);
        lab.payments.mode = 'ok';
        advanceTo(lab, base + OPEN_MS + MAX_OPEN_MS);
        await go(3);
        await tap.close();
        ctx.show.table(['#', 't (s)', 'pay1', 'status', 'breaker after', 'pay1 hits', 'ms'], rows);
        const metrics = (await send(BOB, to, 'GET', '/metrics')).body;
        const transitions = metrics.split('\n').filter((l) => l.startsWith('netlab_proxy_breaker_transitions_total{'));
        ctx.show.text(
          'GET /metrics on the proxy, netlab_proxy_breaker_transitions_total{cluster="payments",endpoint="pay1",to=...}:\n  ' +
            transitions.map((l) => `${/to="([^"]+)"/.exec(l)?.[1] ?? '?'} ${l.split(' ').pop()}`).join(', '),
        );
        const moved = (to: string): number =>
          Number(
            transitions
              .find((l) => l.includes(`to="${to}"`))
              ?.split(' ')
              .pop() ?? 0,
          );
        ctx.check.equal('2 good, 3 failures reach pay1, then 5 fast 503s', statuses.slice(0, 10), [200, 200, 500, 500, 500, 503, 503, 503, 503, 503]);
        ctx.check.equal('the 3rd failure in a row opened the breaker', states[4], 'open');
        ctx.check.equal('while open, pay1 was not contacted (hits stay 5)', [hitsAt[4], hitsAt[9]], [5, 5]);
        ctx.check.equal(`open until ${OPEN_MS / 1000} s, then half-open`, [before, halfOpen], ['open', 'half-open']);
        ctx.check.equal('the probe at 10 s reached pay1, failed, and opened it again', [statuses[10], hitsAt[10], states[10]], [500, 6, 'open']);
        ctx.check.equal('10 s later it is still open: the cool-down doubled to 20 s', [statuses[11], hitsAt[11]], [503, 6]);
        ctx.check.equal('pay1 mended: the probe at 30 s succeeds and closes it', [statuses[12], states[12]], [200, 'closed']);
        ctx.check.equal('closed again: every request goes to pay1', statuses.slice(13), [200, 200]);
        ctx.check.equal('/metrics counts the moves: open 2, half-open 2, closed 1', [moved('open'), moved('half-open'), moved('closed')], [2, 2, 1]);
      },
    },
    {
      title: 'Cluster ceilings: connections and pending requests',
      explain:
        "A breaker also guards the proxy itself. A cluster's circuitBreakers set Envoy's ceilings:\n" +
        'maxConnections (connections to all its endpoints), maxPendingRequests (requests waiting for a\n' +
        'connection), maxRequests, maxRetries. A request over one gets 503 at once with\n' +
        'X-Netlab-Overflow naming it, so a slow cluster cannot pile up unbounded work. (Envoy queues a\n' +
        'request that finds every connection taken as pending and counts the overflow; netlab refuses it\n' +
        'at once.) Cluster "held"\n' +
        'allows 2 connections; its backend holds every answer until the lab releases them, and 5\n' +
        'requests arrive together. Cluster "hung" allows 1 pending request; its endpoint accepts TCP\n' +
        'but never answers the TLS ClientHello, so a request waits for its connection (connectMs 500).',
      async run(ctx) {
        const lab = labOf(ctx);
        const to = liveTarget(lab);
        lab.held.mode = 'hold';
        let answered = 0;
        const heldReplies = Array.from({ length: 5 }, () =>
          send(ALICE, to, 'GET', '/held').then((r) => {
            answered++;
            return r;
          }),
        );
        // Every request either held by the backend or answered by the proxy, before any is released.
        const t0 = performance.now();
        while (lab.held.holding + answered < 5 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
        const reached = lab.held.hits;
        lab.held.releaseAll();
        const held = await Promise.all(heldReplies);
        const hung = await Promise.all(Array.from({ length: 3 }, () => send(BOB, to, 'GET', '/hung')));
        const count = (rs: readonly Reply[], s: number): number => rs.filter((r) => r.status === s).length;
        const over = (rs: readonly Reply[]): string =>
          [...new Set(rs.map((r) => header(r.fields, 'x-netlab-overflow')).filter((x) => x !== undefined))].join(',');
        ctx.show.table(
          ['cluster', 'ceiling', 'sent', 'reached', '503', 'overflow', 'other'],
          [
            ['held', 'maxConnections 2', 5, reached, count(held, 503), over(held), `${count(held, 200)} x 200`],
            ['hung', 'maxPending 1', 3, lab.silent.accepted, count(hung, 503), over(hung), `${count(hung, 504)} x 504`],
          ],
        );
        ctx.check.equal('held: 2 requests reached the backend, 3 got 503 connections', [reached, count(held, 503), over(held)], [2, 3, 'connections']);
        ctx.check.equal('held: the 2 admitted were answered once released', count(held, 200), 2);
        ctx.check.equal('hung: 2 got 503 pending at once', [count(hung, 503), over(hung)], [2, 'pending']);
        ctx.check.equal('hung: the one waiting got 504 after connectMs', count(hung, 504), 1);
      },
    },
  ],
});
