// Lab: a chat that long-polls, behind netlab's reverse proxy. Each backend holds its pending polls in
// memory; round robin sends a message to a backend that does not hold the recipient's poll (measured:
// how long each of N messages waited, how many never arrived). Then what stickiness does and does not
// fix (a balancer cookie; hashing on the inbox), a shared channel (one broker on loopback that every
// backend subscribes to), and the proxy timeouts a long poll needs (the 504 that cuts a poll).

import { defineLab, type StepContext } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { longPollExercises, type LongPollExerciseState } from './long-polling/exercises.ts';
import { ADDR, BACKEND_NAMES, latencyText, runScenario, startChat, until, type ScenarioResult, type ScenarioSpec } from './long-polling/scenario.ts';
import { ChatClient } from './long-polling/chat.ts';
import { tlsOutput } from './tls/output.ts';

type State = LongPollExerciseState;

const HOLD_MS = 400;
const GAP_MS = 60;
const MESSAGES = 8;
const BACKENDS = BACKEND_NAMES.map((n, i) => `${n} ${ADDR.backends[i]}`).join(', ');

/** At once: brought by the poll that was waiting when it was posted; waited: by a later poll. */
function waited(r: ScenarioResult): { atOnce: number; waited: number; lost: number; maxMs: number } {
  let maxMs = 0;
  for (const d of r.deliveries) if (d.gotAt !== undefined) maxMs = Math.max(maxMs, d.gotAt - d.sentAt);
  return { atOnce: r.prompt, waited: r.late, lost: r.lost, maxMs: Math.round(maxMs) };
}

function deliveryTable(ctx: StepContext<State>, r: ScenarioResult): void {
  ctx.show.table(
    ['message', 'from', 'POST went to', 'posted in poll', 'came in poll', 'on', 'after'],
    r.deliveries.map((d) => [d.id, d.sender, d.postedTo, d.sentDuringPoll, d.deliveredInPoll ?? '-', d.deliveredBy ?? '-', latencyText(d)]),
  );
  const w = waited(r);
  ctx.show.text(
    `${r.deliveries.length} messages: ${w.atOnce} came in the poll that was waiting when they were posted, ${w.waited} waited for a later poll, ${w.lost} never arrived. ` +
      `Alice's polls: ${r.polls.map((p) => `${p.backend}:${p.status}`).join(' ')}.`,
  );
}

const scenario = (spec: Omit<ScenarioSpec, 'holdMs' | 'gapMs' | 'messages'> & { messages?: number }): Promise<ScenarioResult> =>
  runScenario({ holdMs: HOLD_MS, gapMs: GAP_MS, messages: MESSAGES, ...spec });

export default defineLab<State>({
  ...LAB_INFO['long-polling-behind-a-balancer'],
  state: () => ({}),
  exercises: longPollExercises,
  steps: [
    {
      title: 'The trap: round robin sends the message to a backend without the poll',
      explain:
        `A chat with three backends (${BACKENDS}) behind netlab's proxy on ${ADDR.proxy}. Alice long-polls: ` +
        `GET /poll?inbox=alice is held by the backend until a message for her arrives, or ${HOLD_MS} ms pass (204, ` +
        'and she polls again). Each backend keeps the polls it holds, and the messages nobody was waiting for, in ' +
        `its own memory. Bob posts ${MESSAGES} messages to her inbox, one every ${GAP_MS} ms. The proxy balances ` +
        'requests, not connections: round robin sends each POST to the next backend, whatever Alice is waiting on. ' +
        'A study guide warns of exactly this: behind a round-robin balancer, a message for a long-polling client can ' +
        'land on a server that does not hold its request. Here it is, measured: a message reaches Alice only when one of ' +
        'her polls happens to land where it was posted.',
      async run(ctx) {
        const out = tlsOutput(ctx);
        const tap = out.tap('round-robin', {
          filter: 'http.request.uri contains "id=m1"',
          frames: 2,
          about: "m1 twice: bob's POST to the proxy, and the proxy's request to the backend round robin chose",
          also: [
            {
              filter: 'http.request.method == "POST" && http.request.line contains "Via:"',
              frames: MESSAGES,
              about: 'the POSTs as the backends received them',
            },
            { filter: 'http.response.code == 204', frames: 'some', about: "polls that ended empty after the hold (the proxy's and the backend's copy)" },
          ],
        });
        const r = await scenario({ shared: ctx.state.trapShared === true, cluster: {}, senders: ['bob'], tap });
        const m1 = r.deliveries[0];
        tap.filter({
          filter: `http.request.line contains "${m1.requestId}" || http.response.line contains "${m1.requestId}"`,
          frames: 2,
          about: "m1 paired by the proxy's X-Request-Id: its request upstream and its response to bob",
        });
        deliveryTable(ctx, r);
        const w = waited(r);
        ctx.check.equal(`all ${MESSAGES} POSTs were accepted (202)`, r.deliveries.filter((d) => d.postedTo !== '?').length, MESSAGES);
        ctx.check.equal('round robin spread the POSTs over all three backends', [...new Set(r.deliveries.map((d) => d.postedTo))].sort(), [...BACKEND_NAMES]);
        ctx.check.ok(
          "m1 went to a backend that did not hold alice's poll, so it waited for a later poll (or was lost)",
          m1.deliveredInPoll === undefined || m1.deliveredInPoll > m1.sentDuringPoll,
          `m1: posted to ${m1.postedTo} during poll ${m1.sentDuringPoll}, came in poll ${m1.deliveredInPoll ?? '-'} after ${latencyText(m1)}`,
        );
        ctx.check.atLeast('messages that waited for a later poll or never arrived', w.waited + w.lost, 1);
        ctx.check.ok(
          "every message that arrived came from the backend that took its POST (no backend sees another's)",
          r.deliveries.every((d) => d.deliveredBy === undefined || d.deliveredBy === d.postedTo),
          r.deliveries.map((d) => `${d.id}:${d.postedTo}->${d.deliveredBy ?? 'lost'}`).join(' '),
        );
      },
    },
    {
      title: "Stickiness keeps a client on its backend, not the sender on the recipient's",
      explain:
        "The usual first fix: sticky sessions. The proxy sets a balancer cookie (a study guide's LBSESSIONID=server2) " +
        "on each client's first response, and sends every later request with that cookie to the same backend. Alice, " +
        'Bob, Carol and Dave say hello once, so each is stuck to the backend round robin gave it; then Bob, Carol and ' +
        "Dave post to Alice in turn. Stickiness keeps Alice's polls on one backend, but a message is posted by someone " +
        "else, with someone else's cookie.",
      async run(ctx) {
        const out = tlsOutput(ctx);
        const tap = out.tap('sticky', {
          filter: 'http.response.line contains "LBSESSIONID"',
          frames: 4,
          about: "the proxy's Set-Cookie on each client's first response",
          also: [
            {
              filter: 'http.request.line contains "LBSESSIONID=" && http.request.uri contains "/send"',
              frames: 'some',
              about: "POSTs carrying their sender's cookie",
            },
          ],
        });
        const senders = ['bob', 'carol', 'dave'];
        const r = await scenario({ shared: false, cluster: { sticky: { mode: 'cookie' } }, senders, hello: true, messages: 9, tap });
        ctx.show.table(
          ['client', 'stuck to', 'messages sent', 'reached alice'],
          ['alice', ...senders].map((c) => {
            const mine = r.deliveries.filter((d) => d.sender === c);
            return [c, r.stuckTo[c] ?? '?', c === 'alice' ? '-' : mine.length, c === 'alice' ? '-' : mine.filter((d) => d.gotAt !== undefined).length];
          }),
        );
        deliveryTable(ctx, r);
        const bob = r.deliveries.filter((d) => d.sender === 'bob');
        ctx.state.bobSent = bob.length;
        ctx.state.bobDelivered = bob.filter((d) => d.gotAt !== undefined).length;
        const alice = r.stuckTo.alice;
        ctx.check.ok(
          "every poll of alice's went to her backend",
          r.polls.every((p) => p.backend === alice),
          `stuck to ${alice}; polls on ${[...new Set(r.polls.map((p) => p.backend))].join(', ')}`,
        );
        const same = senders.filter((s) => r.stuckTo[s] === alice);
        const other = senders.filter((s) => r.stuckTo[s] !== alice);
        ctx.check.ok(
          'at least one sender shares her backend, and at least one does not',
          same.length > 0 && other.length > 0,
          `same: ${same.join(', ') || 'none'}; other: ${other.join(', ') || 'none'}`,
        );
        ctx.check.equal(
          `messages from ${same.join(', ')} (her backend): all arrived`,
          r.deliveries.filter((d) => same.includes(d.sender) && d.gotAt !== undefined).length,
          r.deliveries.filter((d) => same.includes(d.sender)).length,
        );
        ctx.check.equal(
          `messages from ${other.join(', ')} (another backend): none arrived`,
          r.deliveries.filter((d) => other.includes(d.sender) && d.gotAt !== undefined).length,
          0,
        );
        ctx.check.equal("...they are still queued on the senders' backends", r.stillQueued, r.deliveries.filter((d) => other.includes(d.sender)).length);
        ctx.show.text(
          'Stickiness keyed on what the message is for does work: hash the inbox (ring_hash on query:inbox), and ' +
            "alice's polls and every POST to her inbox go to one backend. The cost: one inbox's traffic lives on one " +
            'backend, and when it goes down the ring moves the inbox, without the messages held in its memory.',
        );
        const h = await scenario({ shared: false, cluster: { policy: { name: 'ring_hash', hashOn: 'query:inbox' } }, senders: ['bob', 'carol'] });
        const hw = waited(h);
        ctx.show.text(
          `Hashing on the inbox: ${hw.atOnce} of ${h.deliveries.length} at once, ${hw.waited} waited, ${hw.lost} lost; every POST went to ${[...new Set(h.deliveries.map((d) => d.postedTo))].join(', ')}.`,
        );
        ctx.check.equal('hashing on the inbox: every POST for alice went to one backend', new Set(h.deliveries.map((d) => d.postedTo)).size, 1);
        ctx.check.equal('...and every message arrived', hw.lost, 0);
      },
    },
    {
      title: 'The fix: a shared channel between the backends',
      explain:
        `One small broker on ${ADDR.broker} (netlab code, one JSON line per operation over TCP) that every backend ` +
        'connects to. A backend holding a poll subscribes to that inbox; a backend taking a POST publishes to it; the ' +
        'broker hands the message to whichever backend holds the poll (or keeps it for the next poll, whoever gets it). ' +
        'The proxy stays plain round robin: it no longer matters where a request lands.',
      async run(ctx) {
        const out = tlsOutput(ctx);
        const tap = out.tap('broker', {
          filter: 'http.request.uri contains "id=m1"',
          frames: 2,
          about: 'm1 on both sides of the proxy, as in the first step',
          also: [{ filter: 'http.response.code == 200 && http.content_type contains "json"', frames: 'some', about: 'polls answered with a message' }],
        });
        const r = await scenario({ shared: true, cluster: {}, senders: ['bob'], tap });
        tap.filter({
          filter: `tcp.port == ${r.brokerPort ?? 0} && tcp.len > 0`,
          frames: 'some',
          about: "the broker on the wire: each backend's sub, pub and unsub lines, and the msg the broker hands on (JSON)",
        });
        deliveryTable(ctx, r);
        const w = waited(r);
        ctx.check.equal(`all ${MESSAGES} messages arrived`, w.lost, 0);
        ctx.check.between('the slowest took less than a hold (none waited for a poll to time out)', w.maxMs, 0, HOLD_MS - 1, 'ms');
        ctx.check.ok(
          'some arrived through a backend other than the one that took the POST (the broker carried them)',
          r.deliveries.some((d) => d.deliveredBy !== undefined && d.deliveredBy !== d.postedTo),
          r.deliveries.map((d) => `${d.id}:${d.postedTo}->${d.deliveredBy ?? 'lost'}`).join(' '),
        );
        ctx.check.equal('nothing left queued in the broker', r.stillQueued, 0);
      },
    },
    {
      title: 'Timeouts: the proxy must wait longer than the poll',
      explain:
        `A long poll is a request whose answer is meant to take ${HOLD_MS} ms (in production often 20 to 60 s). Every ` +
        "timeout on the path must be longer: here the proxy's header timeout (until the upstream's response head) " +
        'and its whole-request timeout. nginx waits proxy_read_timeout (60 s by default) between two reads from the ' +
        "upstream; HAProxy's equivalent is timeout server. Set shorter than the hold, the proxy answers 504 itself and " +
        'closes its upstream connection, the backend drops the poll, and the client polls again: a message posted in ' +
        'that gap waits.',
      async run(ctx) {
        const out = tlsOutput(ctx);
        const tap = out.tap('timeouts', {
          filter: 'http.response.code == 504',
          frames: 2,
          about: "the proxy's own 504s: the polls it gave up on (header timeout, then whole-request timeout)",
          also: [{ filter: 'http.response.code == 204', frames: 2, about: 'the poll that ran its course (backend and proxy copies)' }],
        });
        const rows: (string | number)[][] = [];
        const results: { status: number; ms: number; abandoned: number; empty: number; body: string }[] = [];
        const configs: { headerMs: number; requestMs?: number }[] = [
          { headerMs: HOLD_MS / 2 },
          { headerMs: HOLD_MS * 3, requestMs: HOLD_MS / 2 },
          { headerMs: HOLD_MS * 3, requestMs: HOLD_MS * 4 },
        ];
        for (const timeouts of configs) {
          const setup = await startChat({ shared: false, holdMs: HOLD_MS, cluster: { timeouts }, tap });
          const c = new ChatClient('alice', { host: ADDR.proxy, port: setup.proxy.address().port }, ADDR.clients.alice, tap, HOLD_MS * 4);
          try {
            const t0 = performance.now();
            const res = await c.request('GET', '/poll?inbox=alice');
            const ms = Math.round(performance.now() - t0);
            // A cut poll is seen when the proxy's upstream connection closes; a poll that ran its course is not.
            if (res.status === 504) await until(() => setup.backends.some((b) => b.stats.abandoned > 0), 1000);
            else await new Promise((resolve) => setTimeout(resolve, 20));
            const abandoned = setup.backends.reduce((n, b) => n + b.stats.abandoned, 0);
            results.push({ status: res.status, ms, abandoned, empty: setup.backends.reduce((n, b) => n + b.stats.emptyPolls, 0), body: res.text.trim() });
            rows.push([
              `headerMs ${timeouts.headerMs}${timeouts.requestMs === undefined ? '' : `, requestMs ${timeouts.requestMs}`}`,
              res.status,
              `${ms} ms`,
              abandoned > 0 ? 'poll dropped (connection closed)' : 'held, answered 204',
            ]);
          } finally {
            c.close();
            await setup.close();
          }
        }
        ctx.show.table(['proxy timeouts', 'alice got', 'after', 'the backend'], rows);
        const [short, whole, long] = results;
        ctx.check.equal(`headerMs ${HOLD_MS / 2} < hold ${HOLD_MS}: the proxy answers 504`, short.status, 504);
        ctx.check.atLeast('...at its header timeout', short.ms, HOLD_MS / 2 - 5, 'ms');
        ctx.check.equal('...before the hold ended: the backend saw its poll cut, and answered nothing', [short.abandoned, short.empty], [1, 0]);
        ctx.check.equal(`requestMs ${HOLD_MS / 2} < hold (headerMs long enough): 504 too, the poll cut`, [whole.status, whole.abandoned], [504, 1]);
        ctx.check.match('...the proxy says which limit', whole.body, /took over \d+ ms/);
        ctx.check.equal(`headerMs ${HOLD_MS * 3} > hold: the poll runs its course (204)`, long.status, 204);
        ctx.check.between('...after the hold', long.ms, HOLD_MS - 5, HOLD_MS * 3 - 1, 'ms');
      },
    },
  ],
});
