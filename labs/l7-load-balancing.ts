// Lab: an L7 load balancer on real sockets. netlab's reverse proxy on 127.70.0.1 in front of five
// netlab HTTP servers on 127.70.1.1-5, clients on 127.70.2-4.x: a request and its upstream request
// on both sides of the proxy; every balancing policy on the same traffic; one slow backend and the
// policies that notice; active health checks (3 failures out, 2 passes back); passive ejection on
// 5xx; sticky sessions by cookie and by client address (and a NAT address that collapses them);
// draining; and one server's throughput against five, measured, with where that stops.

import { performance } from 'node:perf_hooks';
import { fnv1a32, POLICY_NAMES, type PolicyName } from '../src/balance/index.ts';
import { barFigure, defineLab, type StepContext } from '../src/lab/index.ts';
import { need } from './common/need.ts';
import { LAB_INFO } from './info.ts';
import { type Backend, sleep, startBackends } from './l7-load-balancing/backends.ts';
import { closedLoop, countBy, LabClient, percentile, type Reply } from './l7-load-balancing/clients.ts';
import { l7Exercises } from './l7-load-balancing/exercises.ts';
import type { L7State } from './l7-load-balancing/state.ts';
import { CLUSTER, PROXY_ADDRESS, startLabProxy, withProxy } from './l7-load-balancing/proxy.ts';
import { tlsOutput } from './tls/output.ts';

const NAMES = ['server1', 'server2', 'server3', 'server4', 'server5'];
const client = (net: number, host: number): string => `127.70.${net}.${host}`;
const ms = (v: number): string => v.toFixed(1);
const backendsOf = (ctx: StepContext<L7State>): Backend[] => need(ctx.state.backends, 'the backends');

function resetAll(backends: readonly Backend[]): void {
  for (const b of backends) {
    b.reset();
    b.tap = undefined;
  }
}

/** Sends `rounds` rounds of one request from each client in turn (one request in flight at a time). */
async function sequential(clients: readonly LabClient[], rounds: number, path = '/'): Promise<{ from: string; reply: Reply }[]> {
  const out: { from: string; reply: Reply }[] = [];
  for (let r = 0; r < rounds; r++) for (const c of clients) out.push({ from: c.from, reply: await c.get(path) });
  return out;
}

async function closeAll(clients: readonly LabClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

/** Waits (polling every 5 ms, at most `limitMs`) until `ok()`; returns whether it became true. */
async function until(ok: () => boolean, limitMs: number): Promise<boolean> {
  const end = performance.now() + limitMs;
  while (!ok()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

const POLICY_NOTES: Record<PolicyName, string> = {
  round_robin: 'in turn, weights ignored',
  weighted_round_robin: 'nginx smooth WRR: 3:1:1:1:1',
  least_connections: 'all idle: ties go in turn',
  weighted_least_connections: 'active/weight, all 0: in turn',
  ip_hash: 'fnv1a32(client) % 5',
  least_time: '(active+1) x TTFB EWMA: noise',
  ring_hash: 'client on a ring, 160 vnodes each',
  maglev: 'client in a 65537-slot table',
  power_of_two: 'best of 2 random (all idle)',
  peak_ewma: 'p2c on latency x (active+1)',
  random: 'weighted random: ~3/7 to s1',
};
/** The scaling step's service time: a backend with one worker waits this long per request. */
const WAIT_MS = 30;
const HASHING: readonly PolicyName[] = ['ip_hash', 'ring_hash', 'maglev'];

/** One health probe of a backend, as the proxy reported it. */
interface Probe {
  readonly ok: boolean;
  readonly detail: string;
  readonly change: 'up' | 'down' | undefined;
  readonly at: number;
}

export default defineLab<L7State>({
  ...LAB_INFO['l7-load-balancing'],
  state: () => ({ healthFall: 3 }),
  exercises: l7Exercises,
  steps: [
    {
      title: 'Five backends and a proxy on loopback',
      explain:
        "Five HTTP servers (netlab's own, on its strict HTTP/1.1 codec), server1..server5 on 127.70.1.1..5,\n" +
        `each answering with its name and a health endpoint GET /health that says {"status":"UP"}, as a\n` +
        `study guide writes it. In front of them, netlab's reverse proxy listens on ${PROXY_ADDRESS}: one\n` +
        `listener, one route, one cluster "${CLUSTER}" whose endpoints are the five servers. Clients connect\n` +
        'from addresses of their own (127.70.2.x and up), so the proxy and the hashing policies can tell them\n' +
        'apart. Everything is one Node process on this machine: the numbers later say what that means.',
      async run(ctx) {
        const backends = await startBackends(5);
        ctx.onLabEnd(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
        ctx.state.backends = backends;
        const rows: (string | number)[][] = [];
        const health: string[] = [];
        for (const b of backends) {
          const c = new LabClient(client(2, 1), { host: b.address, port: b.port });
          const h = await c.get('/health');
          const r = await c.get('/');
          await c.close();
          health.push(h.body);
          rows.push([b.name, `${b.address}:${b.port}`, `${h.status} ${h.body}`, r.body.trim()]);
        }
        ctx.show.table(['backend', 'address:port', 'GET /health', 'GET / answers'], rows);
        ctx.check.equal(
          'every backend says {"status":"UP"} on /health',
          health,
          backends.map(() => '{"status":"UP"}'),
        );
        ctx.check.equal(
          'every backend answers with its own name',
          rows.map((r) => r[3]),
          NAMES,
        );
      },
    },
    {
      title: 'Both sides of the proxy: a request and its upstream request',
      explain:
        'Three clients (127.70.2.1, .2, .3) send one request each. For each, the proxy opens or reuses a\n' +
        'connection to a backend and sends a new request: hop-by-hop headers dropped, Via added, the\n' +
        "client's address in X-Forwarded-For (and Forwarded), and an X-Request-Id it invents and also puts\n" +
        'in its answer to the client. The capture holds both sides: client <-> proxy and proxy <-> backend.\n' +
        'Two ways to pair a client request with its upstream request: the client address (the source of\n' +
        'the first, X-Forwarded-For of the second) or the request id (in the upstream request and in the\n' +
        "proxy's response to the client).",
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const out = tlsOutput(ctx);
        const three = client(2, 3);
        const tap = out.tap('both-sides', {
          filter: `http.request && (ip.src == ${three} || http.x_forwarded_for == "${three}")`,
          frames: 2,
          about: `the request of client ${three} and the proxy's upstream request for it`,
          also: [
            { filter: 'http.request', frames: 6, about: 'three client requests, three upstream requests' },
            { filter: 'http.x_forwarded_for', frames: 3, about: 'the upstream requests (the proxy wrote X-Forwarded-For)' },
            { filter: `ip.dst == ${PROXY_ADDRESS} && tcp.flags.syn == 1 && tcp.flags.ack == 0`, frames: 3, about: 'three client connections' },
          ],
        });
        for (const b of backends) b.tap = tap;
        const rows: string[][] = [];
        const seen: { from: string; id: string | undefined; server: string; xff: string | undefined; upstreamId: string | undefined }[] = [];
        await withProxy(backends, { policy: 'round_robin' }, ctx.random, async (p) => {
          const cs = [1, 2, 3].map((h) => new LabClient(client(2, h), p.to, tap));
          for (const [i, c] of cs.entries()) {
            const r = await c.get(`/cart?item=${i + 1}`);
            const b = backends.find((x) => x.name === r.server);
            const up = b?.served[b.served.length - 1];
            seen.push({ from: c.from, id: r.requestId, server: r.server, xff: up?.forwardedFor, upstreamId: up?.requestId });
            rows.push([c.from, `/cart?item=${i + 1}`, r.server, up?.forwardedFor ?? '-', (r.requestId ?? '-').slice(0, 13)]);
          }
          await closeAll(cs);
        });
        for (const b of backends) b.tap = undefined;
        await tap.close();
        ctx.show.table(['client', 'request', 'answered by', 'X-Forwarded-For', 'X-Request-Id (start)'], rows);
        const third = seen[2];
        if (third?.id !== undefined) {
          ctx.state.paired = { client: three, requestId: third.id, server: third.server };
          const f = `frame contains "${third.id}"`;
          tap.filter({ filter: f, frames: 2, about: `pairs by request id: the upstream request and the response to ${three}` });
        }
        ctx.check.equal(
          'each backend saw the client it served in X-Forwarded-For',
          seen.map((s) => s.xff),
          seen.map((s) => s.from),
        );
        ctx.check.equal(
          'each backend got the request id the client got back',
          seen.map((s) => s.upstreamId),
          seen.map((s) => s.id),
        );
        ctx.check.equal(
          'round robin sent the three requests to server1, server2, server3',
          seen.map((s) => s.server),
          ['server1', 'server2', 'server3'],
        );
        ctx.check.equal('the capture holds 6 connections: 3 client <-> proxy, 3 proxy <-> backend', tap.flowInfo.length, 6);
      },
    },
    {
      title: 'Every policy on the same traffic',
      explain:
        'The same 35 requests under each of the 11 policies: 7 clients (127.70.2.1..7), 5 rounds, one\n' +
        'request at a time. server1 has weight 3, the others 1 (only the weighted policies read it).\n' +
        'With one request in flight, every server has 0 active requests at each pick: the policies that\n' +
        'count connections fall back to their tie rule, and least response time chases noise among five\n' +
        'equal servers. The hashing policies put each client on one server, whatever the round.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const rows: (string | number)[][] = [];
        const by: Partial<Record<PolicyName, { counts: number[]; perClient: Map<string, Set<string>> }>> = {};
        const weights = { server1: 3 };
        for (const policy of POLICY_NAMES) {
          await withProxy(
            backends,
            { policy },
            ctx.random,
            async (p) => {
              const clients = [1, 2, 3, 4, 5, 6, 7].map((h) => new LabClient(client(2, h), p.to));
              const got = await sequential(clients, 5);
              await closeAll(clients);
              const perClient = new Map<string, Set<string>>();
              for (const g of got) perClient.set(g.from, (perClient.get(g.from) ?? new Set()).add(g.reply.server));
              const counts = countBy(
                got.map((g) => g.reply),
                NAMES,
              );
              by[policy] = { counts, perClient };
              rows.push([policy, ...counts, POLICY_NOTES[policy]]);
              if (policy === 'ip_hash') {
                const probe = new LabClient(client(2, 9), p.to);
                const r = await probe.get('/');
                await probe.close();
                ctx.state.hashProbe = { client: client(2, 9), hash: fnv1a32(client(2, 9)), server: r.server };
              }
            },
            weights,
          );
        }
        ctx.show.table(['policy', 's1 (w3)', 's2', 's3', 's4', 's5', 'why'], rows);
        const counts = (p: PolicyName): number[] => by[p]?.counts ?? [];
        // The same counts as bars in the lab page (the table above is the terminal's form).
        ctx.show.figure(
          barFigure(
            'Requests per server, by policy (35 requests, one at a time)',
            ['s1 (w3)', 's2', 's3', 's4', 's5'],
            POLICY_NAMES.filter((p) => counts(p).length === NAMES.length).map((p) => ({ name: p, values: counts(p) })),
            'requests',
            '',
          ),
        );
        ctx.check.equal('round robin: 7 each', counts('round_robin'), [7, 7, 7, 7, 7]);
        ctx.check.equal('smooth weighted round robin: 15, 5, 5, 5, 5 (weights 3:1:1:1:1)', counts('weighted_round_robin'), [15, 5, 5, 5, 5]);
        ctx.check.equal(
          'least connections and weighted least connections, all idle: 7 each',
          [counts('least_connections'), counts('weighted_least_connections')],
          [
            [7, 7, 7, 7, 7],
            [7, 7, 7, 7, 7],
          ],
        );
        for (const p of HASHING) {
          const pc = by[p]?.perClient ?? new Map<string, Set<string>>();
          ctx.check.equal(
            `${p}: each of the 7 clients stays on one server`,
            [...pc.values()].map((s) => s.size),
            [1, 1, 1, 1, 1, 1, 1],
          );
        }
        const ipHash = by.ip_hash?.perClient ?? new Map<string, Set<string>>();
        ctx.check.equal(
          'ip_hash: each client is on NAMES[fnv1a32(address) % 5]',
          [...ipHash.entries()].map(([c, s]) => `${c} ${[...s][0]}`),
          [...ipHash.keys()].map((c) => `${c} ${NAMES[fnv1a32(c) % 5]}`),
        );
        ctx.check.equal(
          'every policy answered all 35 requests',
          POLICY_NAMES.map((p) => counts(p).reduce((a, b) => a + b, 0)),
          POLICY_NAMES.map(() => 35),
        );
      },
    },
    {
      title: 'One slow backend: who notices?',
      explain:
        'Now server3 takes 30 ms per request, the others 2 ms. Ten clients keep one request each in flight\n' +
        '(150 requests in all). Round robin sends server3 its fifth whatever happens. Least connections\n' +
        'sees requests pile up on server3 (they stay active longer) and sends elsewhere; least response time\n' +
        'multiplies (active + 1) by the measured time to first byte; peak EWMA compares two random servers\n' +
        'by latency estimate x (active + 1), and a slow answer counts at once. The share sent to server3\n' +
        'is the point; the latencies also carry the load of the machine the lab runs on.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        for (const b of backends) b.serviceMs = b.name === 'server3' ? 30 : 2;
        const policies: PolicyName[] = ['round_robin', 'least_connections', 'least_time', 'peak_ewma'];
        const res: Record<string, { share: number; slow: number; mean: number }> = {};
        const rows: (string | number)[][] = [];
        for (const policy of policies) {
          await withProxy(backends, { policy }, ctx.random, async (p) => {
            const addrs = Array.from({ length: 10 }, (_, i) => client(2, i + 1));
            const r = await closedLoop(p.to, addrs, 10, 150);
            const times = r.replies.map((x) => x.ms);
            const slow = r.replies.filter((x) => x.server === 'server3').length;
            const mean = times.reduce((a, b) => a + b, 0) / times.length;
            res[policy] = { share: slow / r.replies.length, slow, mean };
            rows.push([policy, slow, `${Math.round((100 * slow) / r.replies.length)}%`, ms(mean), ms(percentile(times, 50)), ms(percentile(times, 99))]);
          });
        }
        for (const b of backends) b.serviceMs = 0;
        ctx.show.table(['policy', 'to server3', 'share', 'mean ms', 'p50 ms', 'p99 ms'], rows);
        ctx.check.equal('round robin gives the slow server its fifth: 30 of 150', res.round_robin?.slow, 30);
        for (const p of ['least_connections', 'least_time', 'peak_ewma'] as const) {
          ctx.check.ok(`${p} sends the slow server less than round robin does`, (res[p]?.slow ?? 99) < 30, `${res[p]?.slow} of 150`);
        }
      },
    },
    {
      title: 'Health checks: out after 3 failures, back after 2 passes',
      explain: (s) =>
        `The proxy asks every backend GET /health every 40 ms (a study guide's setting is every 5 s; the\n` +
        `lab is in a hurry) and wants 200 with "status":"UP" in the body. server2's health endpoint now\n` +
        `answers 503 {"status":"DOWN"}: after ${s.healthFall} failed probes in a row the proxy takes it out;\n` +
        'when it says UP again, 2 passes in a row bring it back. Requests keep flowing meanwhile.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const fall = ctx.state.healthFall;
        const hc = { path: '/health', expectBody: '"status":"UP"', intervalMs: 40, timeoutMs: 250, fall, rise: 2 };
        const p = await startLabProxy(backends, { policy: 'round_robin', healthCheck: hc }, ctx.random);
        ctx.onStepEnd(() => p.close());
        const s2 = need(
          backends.find((b) => b.name === 'server2'),
          'server2',
        );
        const probes = (): Probe[] =>
          p.events.flatMap((e) => (e.type === 'health' && e.endpoint === 'server2' ? [{ ok: e.ok, detail: e.detail, change: e.change, at: e.at }] : []));
        await until(() => probes().length >= 2, 2000);
        const c = new LabClient(client(2, 1), p.to);
        ctx.onStepEnd(() => c.close());
        const t0 = performance.now();
        const before = probes().length;
        s2.healthUp = false;
        const changed = (change: 'down' | 'up', since: number) => (e: Probe) => e.change === change && e.at >= since;
        const wentDown = await until(() => probes().some(changed('down', t0)), 3000);
        const whileDown = await sequential([c], 8);
        s2.healthUp = true;
        const t1 = performance.now();
        const cameBack = await until(() => probes().some(changed('up', t1)), 3000);
        const after = await sequential([c], 5);
        const all = probes();
        const downIdx = all.findIndex(changed('down', t0));
        const upIdx = all.findIndex(changed('up', t1));
        ctx.show.table(
          ['ms', 'probe of server2', 'change'],
          all.slice(before).map((e) => [ms(e.at - t0), e.detail, e.change ?? '']),
        );
        ctx.show.text(
          `Taken out ${ms((all[downIdx]?.at ?? Number.NaN) - t0)} ms after it started failing; back ${ms((all[upIdx]?.at ?? Number.NaN) - t1)} ms ` +
            'after it recovered. With a 5 s interval the same rules take 10 to 15 s to notice a dead server, and every request sent there meanwhile fails.',
        );
        // Probes in a row with one verdict, ending with the one that changed the state.
        const inARow = (idx: number): number => {
          let n = 0;
          for (let i = idx; i >= 0 && all[i].ok === all[idx].ok; i--) n++;
          return n;
        };
        const failed = inARow(downIdx);
        const passed = inARow(upIdx);
        ctx.check.ok('server2 was taken out', wentDown, wentDown ? 'down' : 'still in after 3 s');
        ctx.check.equal('... after exactly 3 failed probes in a row', failed, 3);
        ctx.check.equal('while it was out, the 8 requests went to the other four', whileDown.filter((g) => g.reply.server === 'server2').length, 0);
        ctx.check.ok('server2 came back', cameBack, cameBack ? 'up' : 'still out after 3 s');
        ctx.check.equal('... and back after exactly 2 passing probes', passed, 2);
        ctx.check.ok(
          'and takes requests again',
          after.some((g) => g.reply.server === 'server2'),
          after.map((g) => g.reply.server).join(' '),
        );
      },
    },
    {
      title: 'Passive ejection: 5xx answers take a backend out',
      explain:
        "server4's health endpoint still says UP, but every real request it gets now fails with 500: active\n" +
        'checks alone would keep it in for ever. Outlier detection watches the answers instead: after 3\n' +
        '5xx in a row the endpoint is ejected for 400 ms (the base time; each new ejection lasts longer),\n' +
        'and at most half the cluster may be out at once. One client sends 25 requests, round robin.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const s4 = need(
          backends.find((b) => b.name === 'server4'),
          'server4',
        );
        s4.failing = true;
        const od = { consecutive5xx: 3, baseEjectionMs: 400, maxEjectionPercent: 50 };
        const p = await startLabProxy(backends, { policy: 'round_robin', outlierDetection: od }, ctx.random);
        ctx.onStepEnd(() => p.close());
        const c = new LabClient(client(2, 1), p.to);
        ctx.onStepEnd(() => c.close());
        const got = await sequential([c], 25);
        const ejectedAt = got.findIndex((_, i) => i > 0 && got.slice(0, i + 1).filter((g) => g.reply.status === 500).length === 3);
        const line = got.map((g, i) => `${i + 1}:${g.reply.server.replace('server', 's')}${g.reply.status === 500 ? '!' : ''}`).join(' ');
        ctx.show.text(`request:server (! = 500)\n${line}`);
        const ejected = p.events.filter((e) => e.type === 'balancer' && e.event === 'ejected');
        const stats = p.proxy.stats().clusters[CLUSTER]?.find((e) => e.name === 'server4');
        ctx.show.text(`server4 now: ${stats?.state}, back in ${Math.round(stats?.ejectedForMs ?? 0)} ms`);
        ctx.check.equal(
          'clients saw exactly 3 answers 500, all from server4',
          got.filter((g) => g.reply.status === 500).map((g) => g.reply.server),
          ['server4', 'server4', 'server4'],
        );
        ctx.check.equal('after the third, no request reached server4', got.slice(ejectedAt + 1).filter((g) => g.reply.server === 'server4').length, 0);
        ctx.check.equal(
          'the proxy reported one ejection, of server4',
          ejected.map((e) => (e.type === 'balancer' ? e.endpoint : '')),
          ['server4'],
        );
        await sleep(Math.ceil(stats?.ejectedForMs ?? 0) + 20);
        const later = await sequential([c], 5);
        ctx.check.equal(
          'after 400 ms it takes traffic again (and fails again: the next ejection lasts 800 ms)',
          later.filter((g) => g.reply.server === 'server4').map((g) => g.reply.status),
          [500],
        );
      },
    },
    {
      title: 'Sticky sessions: a balancer cookie, the client address, one NAT address',
      explain:
        'Cookie: the proxy answers the first request with Set-Cookie LBSESSIONID=<server> (a study guide\n' +
        'writes LBSESSIONID=server2) and sends every request carrying it to that server. When that server\n' +
        'is draining, it picks another and sets the cookie anew. Client address: the proxy remembers which\n' +
        'server each source address got. Ten clients on ten addresses spread out; ten clients behind one\n' +
        'NAT (all from 127.70.4.1) are one address to the proxy, so all of them land on one server.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        // The balancer cookie.
        const cookie = await withProxy(backends, { policy: 'round_robin', sticky: { mode: 'cookie' } }, ctx.random, async (p) => {
          const a = new LabClient(client(2, 1), p.to);
          const first = await a.get('/');
          const value = /LBSESSIONID=([^;]+)/.exec(first.setCookie ?? '')?.[1] ?? '';
          const again: string[] = [];
          for (let i = 0; i < 6; i++) again.push((await a.get('/', { Cookie: `LBSESSIONID=${value}` })).server);
          const b = new LabClient(client(2, 2), p.to);
          const guide = await b.get('/', { Cookie: 'LBSESSIONID=server2' });
          await p.proxy.drainEndpoint(CLUSTER, 'server2');
          const moved = await b.get('/', { Cookie: 'LBSESSIONID=server2' });
          p.proxy.undrainEndpoint(CLUSTER, 'server2');
          await closeAll([a, b]);
          return { first, value, again, guide, moved };
        });
        ctx.show.table(
          ['request', 'answered by', 'Set-Cookie'],
          [
            ['first, no cookie', cookie.first.server, cookie.first.setCookie ?? '-'],
            [`6 more with LBSESSIONID=${cookie.value}`, [...new Set(cookie.again)].join(', '), '-'],
            ['LBSESSIONID=server2', cookie.guide.server, cookie.guide.setCookie ?? '-'],
            ['same, server2 draining', cookie.moved.server, cookie.moved.setCookie ?? '-'],
          ],
        );
        ctx.check.equal('the first answer sets LBSESSIONID to the server that answered', cookie.value, cookie.first.server);
        ctx.check.equal(
          'the 6 requests with the cookie all went there',
          cookie.again,
          cookie.again.map(() => cookie.first.server),
        );
        ctx.check.equal('LBSESSIONID=server2 goes to server2, and no new cookie is set', [cookie.guide.server, cookie.guide.setCookie], ['server2', undefined]);
        ctx.check.ok(
          'with server2 draining, another server answers and the cookie is set anew',
          cookie.moved.server !== 'server2' && cookie.moved.setCookie?.startsWith(`LBSESSIONID=${cookie.moved.server};`) === true,
          `${cookie.moved.server}, ${cookie.moved.setCookie}`,
        );
        // The client address, then one NAT address for everybody.
        const spread = async (addresses: string[]): Promise<{ counts: number[]; per: Map<number, Set<string>> }> =>
          withProxy(backends, { policy: 'round_robin', sticky: { mode: 'client_address' } }, ctx.random, async (p) => {
            const clients = addresses.map((a) => new LabClient(a, p.to));
            const per = new Map<number, Set<string>>();
            const replies: Reply[] = [];
            for (let r = 0; r < 3; r++)
              for (const [i, c] of clients.entries()) {
                const x = await c.get('/');
                replies.push(x);
                per.set(i, (per.get(i) ?? new Set()).add(x.server));
              }
            await closeAll(clients);
            return { counts: countBy(replies, NAMES), per };
          });
        const own = await spread(Array.from({ length: 10 }, (_, i) => client(3, i + 1)));
        const nat = await spread(Array.from({ length: 10 }, () => client(4, 1)));
        ctx.show.table(
          ['30 requests from 10 clients', 's1', 's2', 's3', 's4', 's5'],
          [
            ['each client its own address', ...own.counts],
            ['all behind one NAT address', ...nat.counts],
          ],
        );
        ctx.check.equal(
          'own addresses: each client stays on one server',
          [...own.per.values()].map((s) => s.size),
          own.counts.length === 5 ? Array.from({ length: 10 }, () => 1) : [],
        );
        ctx.check.equal('own addresses: spread over all five (6 each)', own.counts, [6, 6, 6, 6, 6]);
        ctx.check.equal(
          'one NAT address: all 30 requests on one server',
          nat.counts.filter((n) => n > 0),
          [30],
        );
      },
    },
    {
      title: 'Draining an endpoint: requests in flight finish',
      explain:
        'Ten clients each start a request that takes 300 ms (GET /slow?ms=300); round robin puts two on\n' +
        'each server. Once all ten are there, the proxy is told to drain server1: no new request goes there, the two it\n' +
        'holds finish normally, and only then does the drain complete (and its idle connections close).\n' +
        'Meanwhile another client sends ten quick requests.',
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const p = await startLabProxy(backends, { policy: 'round_robin' }, ctx.random);
        ctx.onStepEnd(() => p.close());
        const slowClients = Array.from({ length: 10 }, (_, i) => new LabClient(client(2, i + 1), p.to));
        ctx.onStepEnd(() => closeAll(slowClients));
        const t0 = performance.now();
        const slow = Promise.all(slowClients.map((c) => c.get('/slow?ms=300').then((r) => ({ r, at: performance.now() - t0 }))));
        const arrived = await until(() => backends.reduce((n, b) => n + b.served.length, 0) === 10, 5000);
        const drainStart = performance.now() - t0;
        const drained = p.proxy.drainEndpoint(CLUSTER, 'server1').then(() => performance.now() - t0);
        const stateNow = p.proxy.stats().clusters[CLUSTER]?.find((e) => e.name === 'server1');
        const quick = new LabClient(client(2, 11), p.to);
        ctx.onStepEnd(() => quick.close());
        const fast = await sequential([quick], 10);
        const [done, drainedAt] = await Promise.all([slow, drained]);
        const onS1 = done.filter((d) => d.r.server === 'server1');
        ctx.show.table(
          ['event', 'ms'],
          [
            ['10 slow requests start', 0],
            ['drain server1 begins (2 in flight on it)', ms(drainStart)],
            ["server1's two answers reach their clients", onS1.map((d) => ms(d.at)).join(', ')],
            ['drain complete', ms(drainedAt)],
          ],
        );
        ctx.check.ok('the 10 slow requests reached the backends', arrived, arrived ? 'all 10' : 'not within 5 s');
        ctx.check.equal('server1 was draining, with 2 requests in flight', [stateNow?.state, stateNow?.active], ['draining', 2]);
        ctx.check.equal(
          "server1's two requests finished with 200 and its answer",
          onS1.map((d) => `${d.r.status} ${d.r.body.trim()}`),
          ['200 server1', '200 server1'],
        );
        ctx.check.equal('none of the 10 quick requests went to server1', fast.filter((g) => g.reply.server === 'server1').length, 0);
        ctx.check.ok('the drain completed only once they were done (300 ms after they started, at the earliest)', drainedAt >= 300, `${ms(drainedAt)} ms`);
        ctx.check.equal(
          'all 10 slow requests got 200',
          done.map((d) => d.r.status),
          done.map(() => 200),
        );
      },
    },
    {
      title: 'One server at N requests/s, five at about 5N, and where that stops',
      explain:
        'A common claim: one server does N requests/s, five behind a balancer do about 5N. Measured with\n' +
        `20 clients in a closed loop. First each backend has one worker that waits ${WAIT_MS} ms per request (a\n` +
        `database, a disk): one server tops out near 1000/${WAIT_MS} = ${Math.floor(1000 / WAIT_MS)}/s, the backends are the limit, and five\n` +
        'do about five times as much. Then each request costs 2 ms of CPU instead. This lab runs clients,\n' +
        "proxy and backends in one Node process, on one thread: one core of this machine's 2. Five\n" +
        'backends share that core, so they add nothing. Backends on machines of their own would scale until\n' +
        "the proxy's own CPU is the limit (npm run bench:proxy measures it).",
      async run(ctx) {
        const backends = backendsOf(ctx);
        resetAll(backends);
        const addrs = Array.from({ length: 20 }, (_, i) => client(2, i + 1));
        const runs: { label: string; servers: number; rate: number; p50: number; cpu: number; n: number }[] = [];
        const measure = async (kind: 'wait' | 'cpu', servers: number, total: number): Promise<void> => {
          const set = backends.slice(0, servers);
          await withProxy(set, { policy: 'round_robin' }, ctx.random, async (p) => {
            await closedLoop(p.to, addrs, 20, 20); // opens the proxy's connections to the backends
            for (const b of set) {
              b.serial = true;
              if (kind === 'wait') b.serviceMs = WAIT_MS;
              else b.cpuMs = 2;
            }
            const r = await closedLoop(p.to, addrs, 20, total);
            runs.push({
              label: kind === 'wait' ? `${WAIT_MS} ms waiting` : '2 ms of CPU',
              servers,
              rate: (r.replies.length * 1000) / r.elapsedMs,
              p50: percentile(
                r.replies.map((x) => x.ms),
                50,
              ),
              cpu: (100 * r.cpuMs) / r.elapsedMs,
              n: r.replies.length,
            });
          });
          for (const b of set) b.reset();
        };
        await measure('wait', 1, 25);
        await measure('wait', 5, 125);
        await measure('cpu', 1, 100);
        await measure('cpu', 5, 100);
        ctx.show.table(
          ['each request', 'servers', 'requests', 'req/s', 'p50 ms', 'CPU %'],
          runs.map((r) => [r.label, r.servers, r.n, Math.round(r.rate), ms(r.p50), Math.round(r.cpu)]),
        );
        const [a, b, c, d] = runs.map((r) => r.rate);
        ctx.show.text(
          `Waiting ${WAIT_MS} ms, five servers did ${(b / a).toFixed(1)}x one server; burning 2 ms of CPU, ${(d / c).toFixed(1)}x. ` +
            'CPU % is this process (100% is one core); where it stays well below 100%, other programs on the machine had the core.',
        );
        ctx.check.ok(
          `waiting ${WAIT_MS} ms: one server stays under its ceiling of ${Math.floor(1000 / WAIT_MS)} requests/s`,
          a <= 1000 / WAIT_MS + 1,
          `${Math.round(a)}/s`,
        );
        ctx.check.ok(`waiting ${WAIT_MS} ms: five servers do at least 3.5 times as much`, b >= 3.5 * a, `${(b / a).toFixed(2)}x`);
        ctx.check.ok('2 ms of CPU: five servers do not do even 1.5 times as much as one', d < 1.5 * c, `${(d / c).toFixed(2)}x`);
        ctx.check.ok('2 ms of CPU: one server stays under its ceiling of 500 requests/s', c <= 501, `${Math.round(c)}/s`);
      },
    },
  ],
});
