// Lab: realtime-patterns. One backend (one Node event loop) behind netlab's reverse proxy on
// 127.186.x publishes the same six messages on the same schedule, delivered four ways: short polling
// (requests made vs messages delivered, wasted requests, delay), long polling (and thousands of polls
// held at once by the one event loop, memory per poll measured, all answered by one publish, all
// cleaned up), Server-Sent Events (one connection, a drop and a reconnect with Last-Event-ID) and
// WebSocket with the `ws` package (the 101 and its Sec-WebSocket-Accept recomputed, ping/pong,
// permessage-deflate and the bytes it saves). A summary table compares the four.

import { defineLab, type AnyLab, type StepContext } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { realtimeExercises, type RealtimeState } from './realtime-patterns/exercises.ts';
import {
  ADDR,
  BIG_MESSAGE,
  holdMany,
  longPolling,
  mean,
  type PatternResult,
  SCHEDULE,
  serverSentEvents,
  shortPolling,
  startSetup,
  webSocket,
  websocketAccept,
} from './realtime-patterns/patterns.ts';
import { tlsOutput } from './tls/output.ts';

export interface RealtimeLabOptions {
  /** Long polls held at once, directly on the backend (default 2000) and through the proxy (default 500). */
  readonly pending?: number;
  readonly pendingViaProxy?: number;
  /** The proxy cluster's streamIdleMs in the SSE step (default 5000; a run broken on purpose sets it below the event gaps). */
  readonly streamIdleMs?: number;
}

const INTERVAL_MS = 50;
const ms = (x: number): string => (Number.isNaN(x) ? '-' : `${x < 100 ? x.toFixed(1) : Math.round(x)} ms`);
const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

function deliveryRows(r: PatternResult): (string | number)[][] {
  return r.deliveries.map((d) => [`message ${d.id}`, SCHEDULE[d.id - 1] ?? '-', d.via, ms(d.delayMs)]);
}

function remember(ctx: StepContext<RealtimeState>, r: PatternResult): void {
  ctx.state.results = [...(ctx.state.results ?? []), r];
}

export function realtimePatternsLab(options: RealtimeLabOptions = {}): AnyLab {
  const pending = options.pending ?? 2000;
  const viaProxy = options.pendingViaProxy ?? 500;
  const streamIdleMs = options.streamIdleMs ?? 5000;
  return defineLab<RealtimeState>({
    ...LAB_INFO['realtime-patterns'],
    state: () => ({}),
    exercises: realtimeExercises,
    steps: [
      {
        title: 'Short polling: ask every 50 ms, mostly for nothing',
        explain:
          `One backend on ${ADDR.backend} behind netlab's proxy on ${ADDR.proxy}. It publishes ${SCHEDULE.length} messages ` +
          `in ${SCHEDULE[SCHEDULE.length - 1]} ms, at ${SCHEDULE.join(', ')} ms. The client on ` +
          `${ADDR.client} asks GET /short?since=N every ${INTERVAL_MS} ms; the answer comes at once, a JSON list ` +
          'of what is new, often []. A message waits for the next poll: on average half the interval, plus the ' +
          'round trip; and a poll that finds nothing is a request and a response for nothing. A study guide has ' +
          'polling close the connection after each response: on HTTP/1.1 the connection persists (keep-alive), ' +
          'and every poll here rides the same one (one SYN each side of the proxy in the capture).',
        async run(ctx) {
          // Warm-up (untapped): the first requests of a process pay for compiling the code they run.
          const warm = await startSetup();
          try {
            await shortPolling(warm, undefined, 10);
          } finally {
            await warm.close();
          }
          const out = tlsOutput(ctx);
          const tap = out.tap('short-polling', {
            filter: 'http.request.uri contains "/short"',
            frames: 'some',
            about: 'every poll, twice: client to proxy, proxy to backend',
            also: [
              { filter: 'http.response.code == 200 && http.content_length == 2', frames: 'some', about: 'the wasted answers: an empty list, []' },
              { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', frames: 2, about: 'one connection each side of the proxy, for every poll' },
            ],
          });
          const s = await startSetup({ tap });
          let r: PatternResult;
          try {
            r = await shortPolling(s, tap, INTERVAL_MS);
          } finally {
            await s.close();
          }
          remember(ctx, r);
          ctx.state.shortRequests = r.requests;
          ctx.state.shortWasted = r.wasted;
          ctx.show.table(['message', 'published at (ms)', 'came in poll', 'delay'], deliveryRows(r));
          const delay = mean(r.deliveries.map((d) => d.delayMs));
          ctx.show.text(
            `${r.requests} requests for ${r.deliveries.length} messages: ${r.wasted} brought nothing. Mean delay ${ms(delay)} ` +
              `(half the interval is ${INTERVAL_MS / 2} ms). Bytes on the client's wire: ${r.bytes}.`,
          );
          ctx.check.equal(
            'all six messages arrived',
            r.deliveries.map((d) => d.id),
            [1, 2, 3, 4, 5, 6],
          );
          ctx.check.atLeast('some polls brought nothing (wasted requests)', r.wasted, 1);
          ctx.check.ok(
            'more requests than messages carried',
            r.requests > r.deliveries.filter((d, i, a) => a.findIndex((x) => x.via === d.via) === i).length,
            `${r.requests} requests`,
          );
          ctx.check.equal('every poll rode one keep-alive connection', r.connections, 1);
          ctx.check.atLeast('the mean delay is a few ms at least (a message waits for the next poll)', delay, 2, 'ms');
        },
      },
      {
        title: 'Long polling: the backend holds the request until there is news',
        explain:
          'Now GET /long?since=N: the backend answers at once only when a message after N exists; otherwise it ' +
          `keeps the request open (up to ${2} s here, then 204) and answers it the moment a message is published. ` +
          'The client asks again as soon as an answer arrives. One request per message, none wasted, and the ' +
          'delay is one trip through the proxy instead of half an interval. The proxy must wait longer than the ' +
          'hold (its headerMs: see long-polling-behind-a-balancer).',
        async run(ctx) {
          const out = tlsOutput(ctx);
          const tap = out.tap('long-polling', {
            filter: 'http.request.uri contains "/long"',
            frames: 'some',
            about: 'each long poll (client to proxy, proxy to backend)',
            also: [
              {
                filter: 'http.response.code == 200 && http.content_type contains "json"',
                frames: 'some',
                about: 'the answers, each sent when a message was published',
              },
            ],
          });
          const s = await startSetup({ tap });
          let r: PatternResult;
          try {
            r = await longPolling(s, tap);
          } finally {
            await s.close();
          }
          remember(ctx, r);
          ctx.show.table(['message', 'published at (ms)', 'came in poll', 'delay'], deliveryRows(r));
          ctx.show.text(
            `${r.requests} requests for ${r.deliveries.length} messages, ${r.wasted} wasted; mean delay ${ms(mean(r.deliveries.map((d) => d.delayMs)))}; ${r.bytes} bytes.`,
          );
          ctx.check.equal(
            'all six messages arrived',
            r.deliveries.map((d) => d.id),
            [1, 2, 3, 4, 5, 6],
          );
          ctx.check.equal('no poll came back empty', r.wasted, 0);
          ctx.check.between('at most one request per message (plus none)', r.requests, 1, SCHEDULE.length);
        },
      },
      {
        title: `${pending} pending polls on one event loop`,
        // Opening thousands of connections takes well under a second on a quiet machine, far longer on
        // a loaded one: the waits inside are bounded (15 s, 8 s, 4 s per batch of polls).
        timeoutMs: 60_000,
        explain:
          'A study guide says "Asynchronous does not mean many threads: one event loop holds thousands of pending long ' +
          `polls". Measured: ${pending} clients (from ${ADDR.many}) each send GET /long and wait. The backend is one ` +
          'Node process, one thread: a held poll is a socket and two small objects in a Set, not a thread. Then one ' +
          `publish answers all of them, and they all close. Then ${viaProxy} through the proxy, which holds two ` +
          "sockets per poll (client side, upstream side); its cluster's maxPerEndpoint (256 by default) is raised " +
          'to 8192 here, or the 257th poll would wait for an upstream connection. Memory is process.memoryUsage() ' +
          'before and after, divided by the polls: clients, proxy and backend all live in this one process. ' +
          'The times depend on the machine (opening thousands of connections dominates them); the counts do not.',
        async run(ctx) {
          const s = await startSetup({ holdMs: 60_000 });
          try {
            const direct = await holdMany(s, s.backend.address.port, ADDR.backend, pending);
            const proxied = await holdMany(s, s.port, ADDR.proxy, viaProxy);
            ctx.show.table(
              ['path', 'polls', 'held', 'opened in', 'heap/poll', 'rss/poll', 'answered', 'after'],
              [direct, proxied].map((h, i) => [
                i === 0 ? 'direct' : 'via proxy',
                h.n,
                h.held,
                ms(h.openMs),
                kib(h.heapPerPoll),
                kib(h.rssPerPoll),
                h.answered,
                ms(h.deliverMs),
              ]),
            );
            ctx.state.heapPerPollKiB = Math.round(direct.heapPerPoll / 1024);
            ctx.check.equal(`the backend's one event loop held all ${pending} polls at once`, direct.held, pending);
            ctx.check.equal('one publish answered every one of them', direct.answered, pending);
            ctx.check.ok(
              'a held poll costs kilobytes, not a thread stack (under 64 KiB of heap each)',
              direct.heapPerPoll < 64 * 1024,
              kib(direct.heapPerPoll),
            );
            ctx.check.equal('none left held once the clients closed', direct.leftHeld, 0);
            ctx.check.equal(`through the proxy: ${viaProxy} held, ${viaProxy} answered`, [proxied.held, proxied.answered], [viaProxy, viaProxy]);
            ctx.check.equal('...and the proxy has no request left in flight', [proxied.leftHeld, proxied.leftProxy], [0, 0]);
          } finally {
            await s.close();
          }
        },
      },
      {
        title: 'Server-Sent Events: one response that never ends',
        explain:
          'GET /events with Accept: text/event-stream. The backend answers 200, Content-Type text/event-stream, ' +
          'and keeps writing: "id: 4", "data: message 4", a blank line, per event. A study guide says "push does not ' +
          'need a two-way protocol: SSE is one-way HTTP" - right: plain HTTP/1.1, chunked, through any proxy that ' +
          "does not buffer. netlab's proxy sends the head at once and each event as it comes (never compressed, " +
          `never cached), and gives a stream streamIdleMs (${streamIdleMs} ms here) between events instead of its ` +
          'idleMs; its total requestMs ends with the head. After three events the client drops; it waits the ' +
          '"retry:" the server asked for and reconnects with Last-Event-ID: 3, and the backend replays what it missed.',
        async run(ctx) {
          const out = tlsOutput(ctx);
          const tap = out.tap('sse', {
            filter: 'http.content_type contains "event-stream"',
            frames: 2,
            about:
              'the second stream, ended by the backend: one response on each side of the proxy, shown at its ' +
              'last chunk (the dropped first one never completes, so it is never shown as a response)',
            also: [
              { filter: 'http.request.line contains "Last-Event-ID: 3"', frames: 2, about: 'the reconnect, on both sides of the proxy' },
              { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', frames: 4, about: 'two connections each side: the stream, then the reconnect' },
            ],
          });
          const s = await startSetup({ tap, cluster: { timeouts: { streamIdleMs, idleMs: 40, requestMs: 100 } } });
          let r: Awaited<ReturnType<typeof serverSentEvents>>;
          try {
            r = await serverSentEvents(s, tap, 3);
          } finally {
            await s.close();
          }
          remember(ctx, r);
          ctx.show.table(['message', 'published at (ms)', 'connection', 'delay'], deliveryRows(r));
          ctx.show.text(
            `Connection 1 brought ${r.perConnection[0]?.join(', ') ?? '-'}; connection 2 (Last-Event-ID ${s.backend.lastEventIds[1] ?? '-'}) ` +
              `brought ${r.perConnection[1]?.join(', ') ?? '-'}. The proxy's idleMs is 40 ms and requestMs 100 ms: the stream outlived both.`,
          );
          ctx.check.equal('the proxy answered text/event-stream', r.contentType, 'text/event-stream');
          ctx.check.equal('the first connection brought events 1, 2, 3, each as it was published', r.perConnection[0], [1, 2, 3]);
          ctx.check.equal('the reconnect carried Last-Event-ID: 3 to the backend', s.backend.lastEventIds, [undefined, '3']);
          ctx.check.equal('...and brought 4, 5, 6: nothing lost, nothing twice', r.perConnection[1], [4, 5, 6]);
          ctx.check.equal('two requests, two connections for six events', [r.requests, r.connections], [2, 2]);
          // No buffering: each of the first two events was in the client's hands before the event after
          // the next was even published (a buffering proxy would hand them over together, or at the end).
          const early = r.deliveries.filter((d) => d.id <= 2);
          ctx.check.ok(
            'events 1 and 2 each arrived before event n + 2 was published (nothing held back)',
            early.length === 2 && early.every((d) => d.arrivedAt < (r.publishedAt[d.id + 1] ?? 0)),
            early.map((d) => `event ${d.id} after ${ms(d.delayMs)}`).join(', '),
          );
        },
      },
      {
        title: 'WebSocket: the 101, ping/pong, permessage-deflate',
        explain:
          'A study guide says "WebSocket starts as an HTTP Upgrade answered with 101 and has ping/pong frames" and ' +
          '"WebSocket has compression (permessage-deflate)". All three, through the proxy: the client (the ws ' +
          'package) sends GET with Upgrade: websocket and a random Sec-WebSocket-Key; the backend answers 101 with ' +
          'Sec-WebSocket-Accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")); the proxy relays ' +
          'the 101 and then bytes both ways (tunnelIdleMs applies). A ping gets its pong with the same payload. ' +
          `Both sides offer permessage-deflate, and a ${BIG_MESSAGE.length}-byte repetitive message is sent with it ` +
          'and, on a second connection, without. In netlab decode and in Wireshark, ' +
          "'websocket' shows the frames, 'websocket.opcode == 9' the pings, 'websocket.rsv == 4' the compressed ones.",
        async run(ctx) {
          const out = tlsOutput(ctx);
          const tap = out.tap('websocket', {
            filter: 'http.response.code == 101',
            frames: 4,
            about: 'the 101s: two connections, each on both sides of the proxy',
            also: [
              { filter: 'http.request.line contains "Sec-WebSocket-Key"', frames: 4, about: 'the upgrade requests (client to proxy, proxy to backend)' },
              { filter: 'http.response.line contains "permessage-deflate"', frames: 2, about: 'the 101 that agreed on compression' },
              { filter: 'websocket.opcode == 9', frames: 4, about: 'the pings: one per connection, both sides of the proxy' },
              { filter: 'websocket.rsv == 4', frames: 'some', about: 'frames compressed with permessage-deflate (RSV1)' },
            ],
          });
          const s = await startSetup({ tap });
          let z: Awaited<ReturnType<typeof webSocket>>;
          let plain: Awaited<ReturnType<typeof webSocket>>;
          try {
            z = await webSocket(s, tap, true, true);
            plain = await webSocket(s, tap, false, false);
          } finally {
            await s.close();
          }
          remember(ctx, z);
          ctx.state.wsKey = z.key;
          ctx.state.wsAccept = z.accept;
          ctx.state.bigFrames = { deflate: z.bigFrameBytes, plain: plain.bigFrameBytes };
          ctx.show.table(
            ['', 'value'],
            [
              ['status', z.status],
              ['Sec-WebSocket-Key (backend saw)', z.key],
              ['Sec-WebSocket-Accept', z.accept],
              ['recomputed', websocketAccept(z.key)],
              ['Sec-WebSocket-Extensions', z.extensions],
              ['pong payload', z.pong],
              [`${BIG_MESSAGE.length} B message, deflate`, `${z.bigFrameBytes} B frame`],
              [`${BIG_MESSAGE.length} B message, plain`, `${plain.bigFrameBytes} B frame`],
            ],
          );
          ctx.check.equal('the proxy relayed the 101 Switching Protocols', z.status, 101);
          ctx.check.equal('Sec-WebSocket-Accept = base64(SHA-1(key + GUID))', z.accept, websocketAccept(z.key));
          ctx.check.equal('the ping came back as a pong with its payload', z.pong, 'are you there');
          ctx.check.match('permessage-deflate was negotiated', z.extensions, /^permessage-deflate/);
          ctx.check.equal('...not on the connection that did not offer it', plain.extensions, '');
          ctx.check.equal(
            'all six messages arrived on the one connection',
            z.deliveries.map((d) => d.id),
            [1, 2, 3, 4, 5, 6],
          );
          ctx.check.equal('the big message arrived whole both times', [z.bigPayload, plain.bigPayload], [BIG_MESSAGE.length, BIG_MESSAGE.length]);
          ctx.check.between('compressed, its frame is under a tenth of the plain one', z.bigFrameBytes, 1, plain.bigFrameBytes / 10, 'B');
          ctx.check.equal('plain: the payload plus a 4-byte header (126 + 16-bit length)', plain.bigFrameBytes, BIG_MESSAGE.length + 4);
        },
      },
      {
        title: 'The four side by side',
        explain:
          "The same six messages, four ways. Bytes are TCP payload both ways on the client's connections to the " +
          'proxy (WebSocket: including the 101, the ping, the big message). Latency is the mean from publish to ' +
          'arrival (SSE: the event replayed after the reconnect counts with its wait).',
        run(ctx) {
          const rows = (ctx.state.results ?? []).map((r) => [
            r.pattern,
            r.requests,
            r.connections,
            r.bytes,
            r.wasted,
            ms(mean(r.deliveries.map((d) => d.delayMs))),
          ]);
          ctx.show.table(['pattern', 'requests', 'connections', 'bytes', 'wasted', 'mean delay'], rows);
          const by = new Map((ctx.state.results ?? []).map((r) => [r.pattern.split(' (')[0], r]));
          const short = by.get('short polling');
          const long = by.get('long polling');
          const sse = by.get('Server-Sent Events');
          ctx.check.equal('four patterns measured', rows.length, 4);
          ctx.check.ok(
            'short polling made the most requests',
            short !== undefined && [long, sse].every((o) => o !== undefined && o.requests < short.requests),
            rows.map((r) => `${r[0]}: ${r[1]}`).join(', '),
          );
          ctx.check.ok(
            'SSE carried the six messages in fewer bytes than long polling (one head, not six)',
            sse !== undefined && long !== undefined && sse.bytes < long.bytes,
            `${sse?.bytes ?? '-'} vs ${long?.bytes ?? '-'}`,
          );
        },
      },
    ],
  });
}

export default realtimePatternsLab();
