// Lab: HTTP versions, measured. netlab's reverse proxy (127.182.0.1) in front of one netlab backend
// (127.182.1.1): ten requests over HTTP/1.0 (a connection each), HTTP/1.1 keep-alive (one connection,
// one request at a time) and pipelining (all written at once); head-of-line blocking when a slow
// request leads the pipeline; HTTP/2 streams on one connection (node:http2, h2c); HPACK shrinking the
// same headers request after request (HTTP/1.1 repeats them byte for byte); and TCP's own
// head-of-line blocking under loss, on netlab's userspace TCP in the virtual network.

import { performance } from 'node:perf_hooks';
import { defineLab, type StepContext, tsharkFields, tsharkInstalled } from '../src/lab/index.ts';
import type { HttpField } from '../src/wire/index.ts';
import { need } from './common/need.ts';
import { Backend } from './http-versions/backend.ts';
import {
  type Answer,
  H2Client,
  h2Frames,
  http10,
  keepAlive,
  open,
  closeSocket,
  percentile,
  pipelined,
  requestHeadBytes,
  SITE,
  exchange,
} from './http-versions/clients.ts';
import { h2Capture } from './http-versions/h2-capture.ts';
import { H2_ADDRESS, H2Server } from './http-versions/h2-server.ts';
import { type LabProxy, withProxy } from './http-versions/proxy.ts';
import type { TapRecorder } from '../src/capture/index.ts';
import type { HttpVersionsState, VersionRow } from './http-versions/state.ts';
import { FRAMES_PER_STREAM, type HolResult, LINK_DELAY_MS, LOST, runHol, STREAMS } from './http-versions/tcp-hol.ts';
import { httpVersionsExercises } from './http-versions/exercises.ts';
import { LAB_INFO } from './info.ts';
import { tlsOutput } from './tls/output.ts';

const client = (n: number): string => `127.182.2.${n}`;
const ms = (v: number): string => v.toFixed(1);
/** Service time of each /item request at the backend. */
const SERVICE_MS = 30;
/** The slow request that leads the pipeline. */
const SLOW_MS = 200;
const PATHS = Array.from({ length: 10 }, (_, i) => `/item/${i + 1}`);
const HOL_PATHS = [`/slow?ms=${SLOW_MS}`, ...PATHS.slice(1)];
const SYN = 'tcp.flags.syn == 1 && tcp.flags.ack == 0';

/** The headers a browser sends with each request (a study guide lists accept-encoding: gzip, deflate, br). */
const BROWSER: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-GB,en;q=0.9',
  cookie: 'session=4f9c2a7be01d4c6a9e3b5d7f1a2c3e4b',
};
const BROWSER_FIELDS: HttpField[] = [{ name: 'Host', value: SITE }, ...Object.entries(BROWSER).map(([name, value]) => ({ name, value }))];

const backendOf = (ctx: StepContext<HttpVersionsState>): Backend => need(ctx.state.backend, 'the backend');

/** A table row; the total runs from the first send to the last answer (closing the connection not counted). */
function row(label: string, answers: readonly Answer[], clientConns: number, backendConns: number, t0: number): VersionRow {
  return {
    label,
    clientConns,
    backendConns,
    totalMs: Math.max(...answers.map((a) => a.doneAt)) - t0,
    p50Ms: percentile(
      answers.map((a) => a.doneAt - a.sentAt),
      50,
    ),
  };
}

function versionTable(ctx: StepContext<HttpVersionsState>): void {
  ctx.show.table(
    ['10 requests', 'client conns', 'proxy->backend', 'total ms', 'p50 ms'],
    ctx.state.rows.map((r) => [r.label, r.clientConns, r.backendConns, ms(r.totalMs), ms(r.p50Ms)]),
  );
}

/** 351, 351, 351, 352 as "351 x3, 352". */
function runs(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (values[j + 1] === values[i]) j++;
    out.push(j > i ? `${values[i]} x${j - i + 1}` : String(values[i]));
    i = j + 1;
  }
  return out.join(', ') || '(none)';
}

const holLine = (r: HolResult): string => STREAMS.map((s) => `${r.doneMs[s]}`).join(' / ');

export default defineLab<HttpVersionsState>({
  ...LAB_INFO['http-versions'],
  state: () => ({ rows: [], loseSegment: true }),
  exercises: httpVersionsExercises,
  steps: [
    {
      title: 'HTTP/1.0: a connection per request',
      explain:
        `netlab's reverse proxy listens on 127.182.0.1; behind it, one netlab HTTP server on 127.182.1.1 answers\n` +
        `GET /item/N after ${SERVICE_MS} ms. A client on 127.182.2.1 asks for /item/1 .. /item/10 in HTTP/1.0, as a\n` +
        'study guide describes it: each request opens a TCP connection (SYN, SYN-ACK, ACK), sends one\n' +
        'request, reads the answer until the server closes, and the connection is gone. Ten requests, ten\n' +
        'handshakes, ten closes. The proxy keeps its own connection to the backend open between them:\n' +
        'keep-alive is per hop, so the backend sees a different count than the client.',
      async run(ctx) {
        const backend = new Backend();
        backend.serviceMs = SERVICE_MS;
        await backend.listen();
        ctx.state.backend = backend;
        ctx.onLabEnd(() => backend.close());
        const out = tlsOutput(ctx);
        const tap = out.tap('http10', {
          filter: SYN,
          frames: 10,
          about: 'ten connections opened by the client, one per request',
          also: [
            { filter: 'http.request.version == "HTTP/1.0"', frames: 10, about: 'ten HTTP/1.0 requests' },
            { filter: 'tcp.flags.fin == 1 && ip.src == 127.182.0.1', frames: 10, about: 'the proxy closes each connection' },
          ],
        });
        const r = await withProxy(backend, ctx.random, async (p) => {
          const t0 = performance.now();
          const answers = await http10(client(1), p.to, PATHS, tap);
          return { answers, t0, backendConns: backend.connections };
        });
        await tap.close();
        const conns = tap.flowInfo.length;
        ctx.state.http10Conns = conns;
        ctx.state.rows = [row('HTTP/1.0', r.answers, conns, r.backendConns, r.t0)];
        versionTable(ctx);
        ctx.check.equal(
          'ten answers, 200 each, in the order asked',
          r.answers.map((a) => `${a.status} ${a.body.trim()}`),
          PATHS.map((p) => `200 ${p} served`),
        );
        ctx.check.equal('the client opened ten TCP connections for ten requests', conns, 10);
        ctx.check.equal('the proxy reused one connection to the backend for all ten', r.backendConns, 1);
      },
    },
    {
      title: 'HTTP/1.1 keep-alive: one connection, one request at a time',
      explain:
        'HTTP/1.1 keeps the connection open unless a side says Connection: close. The client sends\n' +
        'request 1, waits for answer 1, sends request 2 on the same connection, and so on: one handshake\n' +
        `instead of ten, but still one request in flight. Each answer takes the backend ${SERVICE_MS} ms, so the ten\n` +
        `take at least ${10 * SERVICE_MS} ms end to end.`,
      async run(ctx) {
        const backend = backendOf(ctx);
        const tap = tlsOutput(ctx).tap('keep-alive', {
          filter: SYN,
          frames: 1,
          about: 'one connection for the ten requests',
          also: [{ filter: 'http.request', frames: 10, about: 'ten requests, one after the other' }],
        });
        const r = await withProxy(backend, ctx.random, async (p) => {
          const t0 = performance.now();
          const answers = await keepAlive(client(1), p.to, PATHS, tap);
          return { answers, t0, backendConns: backend.connections };
        });
        await tap.close();
        const conns = tap.flowInfo.length;
        const ka = row('1.1 keep-alive', r.answers, conns, r.backendConns, r.t0);
        ctx.state.rows.push(ka);
        ctx.state.keepAliveMs = ka.totalMs;
        versionTable(ctx);
        ctx.check.equal(
          'ten answers, 200 each, in order',
          r.answers.map((a) => `${a.status} ${a.body.trim()}`),
          PATHS.map((p) => `200 ${p} served`),
        );
        ctx.check.equal('one TCP connection carried all ten', conns, 1);
        ctx.check.ok(
          `one request at a time: at least 10 x ${SERVICE_MS} ms in all`,
          ka.totalMs >= 10 * SERVICE_MS,
          `${ms(ka.totalMs)} ms`,
          `>= ${10 * SERVICE_MS} ms`,
        );
        ctx.check.equal(
          'each request was sent only after the previous answer was in',
          r.answers.slice(1).every((a, i) => a.sentAt >= (r.answers[i]?.doneAt ?? Infinity)),
          true,
        );
      },
    },
    {
      title: 'Pipelining: ten requests written at once',
      explain:
        'HTTP/1.1 also allows pipelining: the client writes all ten requests in one go, without waiting.\n' +
        'The server must answer them in the order they came (an HTTP/1.1 response carries no request id:\n' +
        'order is the only way to pair them). netlab’s proxy reads all ten, forwards them at once on\n' +
        'connections of its own to the backend, and holds each answer until those before it are sent.\n' +
        'Browsers never turned pipelining on (broken proxies, and the problem of the next step), but\n' +
        'servers must accept it. A first round, not measured, lets the proxy open its backend connections.',
      async run(ctx) {
        const backend = backendOf(ctx);
        const tap = tlsOutput(ctx).tap('pipelining', {
          filter: SYN,
          frames: 1,
          about: 'one connection',
          also: [
            { filter: 'http.request', frames: 1, about: 'one frame holds all ten requests: one write' },
            { filter: 'ip.src == 127.182.2.1 && tcp.len > 0', frames: 1, about: 'the client sent one segment' },
          ],
        });
        const r = await withProxy(backend, ctx.random, async (p) => {
          // A first round, not captured, lets the proxy open its connections to the backend.
          await pipelined(client(7), p.to, PATHS);
          const t0 = performance.now();
          const answers = await pipelined(client(1), p.to, PATHS, tap);
          return { answers, t0, backendConns: backend.connections };
        });
        await tap.close();
        const conns = tap.flowInfo.length;
        const pipe = row('1.1 pipelined', r.answers, conns, r.backendConns, r.t0);
        ctx.state.rows.push(pipe);
        versionTable(ctx);
        ctx.show.text(
          'p50 is each request from its send to its answer. total is the ten: HTTP/1.0 pays a handshake per\n' +
            'request; keep-alive waits for each answer; pipelining overlaps them.',
        );
        ctx.check.equal(
          'ten answers, in the order of the requests',
          r.answers.map((a) => a.body.trim()),
          PATHS.map((p) => `${p} served`),
        );
        ctx.check.equal('one TCP connection carried all ten', conns, 1);
        ctx.check.ok(
          'the proxy forwarded them side by side: more than one connection to the backend',
          r.backendConns > 1,
          `${r.backendConns} connections`,
          'more than 1',
        );
        const ka = need(ctx.state.keepAliveMs, 'the keep-alive time');
        ctx.check.ok('the ten took less time than with keep-alive, one at a time', pipe.totalMs < ka, `${ms(pipe.totalMs)} ms`, `< ${ms(ka)} ms`);
      },
    },
    {
      title: 'Head-of-line blocking in HTTP/1.1',
      explain:
        `Now the first request is slow (GET /slow?ms=${SLOW_MS}: the backend takes ${SLOW_MS} ms) and nine fast ones follow.\n` +
        'Pipelined, the proxy forwards all ten at once and the backend answers the nine fast ones within\n' +
        `about ${SERVICE_MS} ms. But responses on one HTTP/1.1 connection go in request order: the nine wait\n` +
        "behind the slow one. That is head-of-line blocking. (A common claim mixes it up with a browser's\n" +
        'limit of six connections per host: that limit exists, but the blocking is the order of responses\n' +
        'on one connection.) Without pipelining it is the same story, earlier: the nine are not even sent\n' +
        'until the slow answer is in.',
      async run(ctx) {
        const backend = backendOf(ctx);
        const tap = tlsOutput(ctx).tap('hol-pipelined', {
          filter: `http.request.uri == "/slow?ms=${SLOW_MS}"`,
          frames: 1,
          about: 'the slow request, first in the pipeline',
          also: [{ filter: 'http.response', frames: 'some', about: 'the answers: none before the slow one' }],
        });
        const res = await withProxy(backend, ctx.random, async (p) => {
          const t0 = performance.now();
          const answers = await pipelined(client(2), p.to, HOL_PATHS, tap);
          const handled = [...backend.handled];
          const upstream = backend.connections;
          backend.reset();
          const k0 = performance.now();
          const ka = await keepAlive(client(3), p.to, HOL_PATHS);
          return { answers, handled, t0, ka, k0, upstream };
        });
        await tap.close();
        const at = (t: number): string => ms(t - res.t0);
        const slowAnswer = res.answers[0];
        const slowHandled = res.handled.find((h) => h.path === HOL_PATHS[0]);
        const fastHandled = res.handled.filter((h) => h.path !== HOL_PATHS[0]);
        ctx.show.table(
          ['request', 'backend answered', 'client got it', 'keep-alive: got it'],
          HOL_PATHS.map((p, i) => [
            p,
            at(res.handled.find((h) => h.path === p)?.answeredAt ?? Number.NaN),
            at(res.answers[i]?.doneAt ?? Number.NaN),
            ms((res.ka[i]?.doneAt ?? Number.NaN) - res.k0),
          ]),
          { title: 'ms after the requests were sent' },
        );
        const fastGot = res.answers.slice(1).map((a) => a.doneAt - res.t0);
        ctx.state.hol = {
          slowMs: (slowAnswer?.doneAt ?? Number.NaN) - res.t0,
          secondMs: fastGot[0] ?? Number.NaN,
          fastP50: percentile(fastGot, 50),
          fastMax: Math.max(...fastGot),
          upstream: res.upstream,
        };
        ctx.check.ok(
          'the backend had answered the nine fast requests before the slow one',
          slowHandled !== undefined && fastHandled.length === 9 && fastHandled.every((h) => h.answeredAt < slowHandled.answeredAt),
          `${fastHandled.length} fast answered by ${at(Math.max(...fastHandled.map((h) => h.answeredAt)))} ms, slow at ${at(slowHandled?.answeredAt ?? Number.NaN)} ms`,
        );
        ctx.check.ok(
          `pipelined: no fast answer reached the client before the slow one (${SLOW_MS} ms)`,
          res.answers.slice(1).every((a) => a.doneAt >= (slowAnswer?.doneAt ?? Infinity)) && (slowAnswer?.doneAt ?? 0) - res.t0 >= SLOW_MS,
          `first fast answer at ${ms(Math.min(...fastGot))} ms`,
        );
        ctx.check.ok(
          'keep-alive: the nine were sent only after the slow answer',
          res.ka.slice(1).every((a) => a.sentAt >= (res.ka[0]?.doneAt ?? Infinity)),
          `request 2 sent at ${ms((res.ka[1]?.sentAt ?? Number.NaN) - res.k0)} ms`,
        );
      },
    },
    {
      title: 'HTTP/2: ten streams on one connection',
      explain:
        'HTTP/2 cuts each request and response into frames tagged with a stream id (1, 3, 5, ...) and\n' +
        'interleaves them on one TCP connection: answers go out as they are ready, in any order. The\n' +
        "proxy's listener now also speaks HTTP/2 in cleartext with prior knowledge (h2c: the client starts\n" +
        'with the preface PRI * HTTP/2.0). A node:http2 client sends the same ten requests, the slow one\n' +
        'first, as ten streams on one connection. Behind the proxy, first the HTTP/1.1 backend: the proxy\n' +
        `needs a connection to it per request in flight. Then an HTTP/2 backend (node:http2 on ${H2_ADDRESS}),\n` +
        'which the proxy reaches over one HTTP/2 connection of its own. HTTP versions are chosen per hop.',
      async run(ctx) {
        const backend = backendOf(ctx);
        const h2 = new H2Server();
        h2.serviceMs = SERVICE_MS;
        await h2.listen();
        ctx.onLabEnd(() => h2.close());
        const hol = need(ctx.state.hol, 'the head-of-line numbers');
        const streams = async (p: LabProxy, paths: readonly string[], tap?: TapRecorder): Promise<{ answers: Answer[]; t0: number }> => {
          const c = await H2Client.open(client(4), p.to, tap);
          try {
            const t0 = performance.now();
            return { answers: await Promise.all(paths.map((path) => c.get(path))), t0 };
          } finally {
            await c.close();
          }
        };
        let conns = 0;
        const viaH1 = await withProxy(
          backend,
          ctx.random,
          async (p) => {
            const cap = h2Capture(ctx, 'h2-streams', p.to.port, {
              filter: 'http2.type == 1',
              frames: 'unchecked',
              about: 'HEADERS frames: ten requests, ten responses (the proxy port shown as 80)',
              also: [
                { filter: SYN, frames: 1, about: 'one connection' },
                { filter: 'http2.streamid == 1 && http2.type == 0', frames: 'unchecked', about: 'the slow answer on stream 1, last' },
              ],
            });
            // Warm-up on another connection: the proxy opens its upstream connections (kept for reuse).
            await streams(p, PATHS);
            const r = await streams(p, HOL_PATHS, cap.tap);
            await cap.write();
            conns = cap.tap.flowInfo.length;
            return { ...r, upstream: backend.connections };
          },
          { h2c: true },
        );
        h2.reset();
        const viaH2 = await withProxy(
          backend,
          ctx.random,
          async (p) => {
            await streams(p, PATHS);
            return { ...(await streams(p, HOL_PATHS)), upstream: h2.connections };
          },
          { h2c: true, h2Upstream: { address: H2_ADDRESS, port: h2.port } },
        );
        const summary = (r: { answers: Answer[]; t0: number }): { slow: number; fast: number[] } => ({
          slow: (r.answers[0]?.doneAt ?? Number.NaN) - r.t0,
          fast: r.answers.slice(1).map((a) => a.doneAt - r.t0),
        });
        const a = summary(viaH1);
        const b = summary(viaH2);
        ctx.show.table(
          ['slow first, 9 fast', 'conns', 'upstream', 'slow ms', 'fast p50', 'fast max'],
          [
            ['1.1 pipelined', 1, hol.upstream, ms(hol.slowMs), ms(hol.fastP50), ms(hol.fastMax)],
            ['h2 -> proxy -> 1.1', conns, viaH1.upstream, ms(a.slow), ms(percentile(a.fast, 50)), ms(Math.max(...a.fast))],
            ['h2 -> proxy -> h2', 1, viaH2.upstream, ms(b.slow), ms(percentile(b.fast, 50)), ms(Math.max(...b.fast))],
          ],
          { title: 'conns: client to proxy; upstream: proxy to backend; times in ms after sending' },
        );
        ctx.check.equal(
          'ten answers on ten streams, both ways',
          [...viaH1.answers, ...viaH2.answers].map((x) => `${x.status} ${x.body.trim()}`),
          [...HOL_PATHS, ...HOL_PATHS].map((p) => `200 ${p} served`),
        );
        ctx.check.equal('the client opened one TCP connection to the proxy', conns, 1);
        ctx.check.ok(
          'HTTP/1.1 behind the proxy: more than one upstream connection (one per request in flight)',
          viaH1.upstream > 1,
          `${viaH1.upstream} connections`,
          'more than 1',
        );
        ctx.check.ok(
          'all nine fast answers reached the client before the slow one',
          a.fast.every((f) => f < a.slow),
          `fast max ${ms(Math.max(...a.fast))} ms, slow ${ms(a.slow)} ms`,
        );
        ctx.check.equal('HTTP/2 behind the proxy too: one upstream connection carried all twenty streams', viaH2.upstream, 1);
        ctx.check.ok(
          'behind an HTTP/2 backend too, the nine fast answers arrived before the slow one',
          b.fast.every((f) => f < b.slow),
          `fast max ${ms(Math.max(...b.fast))} ms, slow ${ms(b.slow)} ms`,
        );
        const gap = a.slow - percentile(a.fast, 50);
        ctx.check.ok(
          `the fast answers came well ahead of the slow one: p50 at least ${SLOW_MS / 4} ms earlier (pipelined: 0)`,
          gap >= SLOW_MS / 4,
          `${ms(gap)} ms earlier`,
          `>= ${SLOW_MS / 4} ms`,
        );
      },
    },
    {
      title: 'HPACK: the same headers, smaller every time',
      explain:
        'A browser sends the same headers with every request: user-agent, accept, accept-encoding: gzip,\n' +
        'deflate, br, accept-language, a cookie. HTTP/1.1 writes them out in text every time: a common claim\n' +
        'is that HTTP/1.1 compresses headers, but it has no header compression at all (only bodies may be\n' +
        'compressed, with Content-Encoding). HTTP/2 encodes headers with HPACK: a static table of 61 common\n' +
        'fields, Huffman coding, and a dynamic table both ends fill as headers go by, so a header sent\n' +
        'before costs one byte (its index) the next time. Ten requests with these headers, both ways.',
      async run(ctx) {
        const backend = backendOf(ctx);
        const out = tlsOutput(ctx);
        const tap1 = out.tap('hpack-http1', {
          filter: 'http.request',
          frames: 10,
          about: 'ten requests, the same headers written out ten times',
          also: [{ filter: 'http.user_agent contains "Mozilla"', frames: 10, about: 'the user agent, in every request' }],
        });
        const got = await withProxy(
          backend,
          ctx.random,
          async (p) => {
            const s = await open(client(5), p.to, tap1);
            try {
              for (const path of PATHS) await exchange(s, [path], BROWSER_FIELDS, '1.1');
            } finally {
              await closeSocket(s);
            }
            await tap1.close();
            const cap2 = h2Capture(ctx, 'hpack-http2', p.to.port, {
              filter: 'http2.type == 1 && ip.src == 127.182.2.6',
              frames: 'unchecked',
              about: "the client's ten HEADERS frames: see http2.length shrink",
            });
            const c = await H2Client.open(client(6), p.to, cap2.tap);
            try {
              for (const path of PATHS) await c.get(path, BROWSER);
            } finally {
              await c.close();
            }
            await cap2.write();
            return { sent: c.sentBytes(), h2Path: cap2.path };
          },
          { h2c: true },
        );
        const h1Bytes = PATHS.map((path) => requestHeadBytes(path, BROWSER_FIELDS));
        const sent = got.sent;
        const h2Bytes = h2Frames(sent)
          .filter((f) => f.type === 1)
          .map((f) => f.length);
        ctx.state.hpack = { h1: h1Bytes, h2: h2Bytes };
        const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);
        ctx.show.table(
          ['request', 'HTTP/1.1 head bytes', 'HTTP/2 HEADERS bytes'],
          [...PATHS.map((p, i) => [p, h1Bytes[i] ?? '-', h2Bytes[i] ?? '-']), ['all ten', sum(h1Bytes), sum(h2Bytes)]],
        );
        ctx.check.equal('HTTP/1.1: every request head is the same size (no compression)', new Set(h1Bytes.slice(0, 9)).size, 1);
        ctx.check.equal('HTTP/2: ten HEADERS frames from the client', h2Bytes.length, 10);
        ctx.check.ok(
          'HTTP/2: the first HEADERS block is already smaller than the HTTP/1.1 head (static table, Huffman)',
          (h2Bytes[0] ?? Infinity) < (h1Bytes[0] ?? 0),
          `${h2Bytes[0]} < ${h1Bytes[0]}`,
        );
        ctx.check.ok(
          'HTTP/2: each later HEADERS block is under 10% of the HTTP/1.1 head (dynamic table)',
          h2Bytes.slice(1).every((b) => b < 0.1 * (h1Bytes[0] ?? 0)),
          h2Bytes.slice(1).join(', '),
        );
        ctx.state.hpackFiles = { h1: out.pathOf('hpack-http1'), h2: got.h2Path };
      },
    },
    {
      title: "TCP's own head-of-line blocking, under loss",
      explain:
        'HTTP/2 streams are independent for HTTP, not for TCP: TCP hands the application bytes in order\n' +
        'only. In the virtual network (netlab’s own TCP, simulated time, a link of ' +
        `${LINK_DELAY_MS} ms each way) a server sends three\n` +
        `responses, streams 1, 3 and 5, each ${FRAMES_PER_STREAM} HTTP/2 DATA frames of 1000 bytes, interleaved: 1, 3, 5, 1, 3, 5, ...\n` +
        'Once on one connection (HTTP/2), once on three connections (three HTTP/1.1 connections). The\n' +
        `link loses the segment carrying stream ${LOST.stream}'s frame ${LOST.part}. What is shown: real TCP segments carrying real\n` +
        'frame bytes, with the HTTP/2 setup (preface, SETTINGS, HEADERS) left out; the client reads the frame\n' +
        'headers to see when each stream ends. HTTP/3 runs on QUIC to get rid of exactly this.',
      async run(ctx) {
        const out = tlsOutput(ctx);
        const cap1 = out.capture('tcp-hol-one', {
          filter: 'tcp.analysis.lost_segment',
          frames: 1,
          about: 'the gap the lost segment left; every stream waits behind it',
          also: [{ filter: 'tcp.analysis.duplicate_ack', frames: 'some', about: "the client's duplicate ACKs" }],
        });
        const cap3 = out.capture('tcp-hol-three', {
          filter: 'tcp.analysis.lost_segment',
          frames: 1,
          about: 'the gap, on the first connection only',
          also: [{ filter: SYN, frames: 3, about: 'three connections' }],
        });
        const start = ctx.clock.now();
        const runs: HolResult[] = [];
        runs.push(await runHol('one connection', false, start));
        runs.push(await runHol('one connection', ctx.state.loseSegment, start, cap1));
        runs.push(await runHol('three connections', false, start));
        runs.push(await runHol('three connections', ctx.state.loseSegment, start, cap3));
        ctx.state.tcpHol = runs;
        const [oneOk, oneLoss, threeOk, threeLoss] = runs as [HolResult, HolResult, HolResult, HolResult];
        ctx.show.table(
          ['case', 'loss', 'streams 1/3/5 done (ms)', 'late by (ms)'],
          runs.map((r) => {
            const base = r.mode === 'one connection' ? oneOk : threeOk;
            return [r.mode, r.lose ? '1 segment' : 'none', holLine(r), r.lose ? STREAMS.map((s) => r.doneMs[s] - base.doneMs[s]).join(' / ') : '-'];
          }),
        );
        ctx.show.text(
          'Without loss one connection is slower here too: its congestion window starts at 10 segments for\n' +
            "all 18 frames, while three connections start with 10 each. That is TCP's slow start, not HTTP/2.",
        );
        const late = (r: HolResult, base: HolResult): number[] => STREAMS.map((s) => r.doneMs[s] - base.doneMs[s]);
        ctx.check.equal(
          'each lossy run lost one segment and retransmitted it once',
          [oneLoss.dropped, oneLoss.retransmits, threeLoss.dropped, threeLoss.retransmits],
          [1, 1, 1, 1],
        );
        ctx.check.ok(
          'one connection: all three streams finished later than without loss',
          late(oneLoss, oneOk).every((d) => d > 0),
          late(oneLoss, oneOk).join(' / '),
        );
        ctx.check.ok(
          `three connections: stream ${LOST.stream} finished later, streams 3 and 5 on time`,
          late(threeLoss, threeOk)[0] > 0 && late(threeLoss, threeOk)[1] === 0 && late(threeLoss, threeOk)[2] === 0,
          late(threeLoss, threeOk).join(' / '),
        );
        ctx.check.ok(
          'the client held segments out of order, waiting for the retransmission',
          oneLoss.outOfOrder > 0 && threeLoss.outOfOrder > 0,
          `${oneLoss.outOfOrder} and ${threeLoss.outOfOrder}`,
        );
      },
    },
    {
      title: 'What Wireshark says',
      explain:
        'tshark reads the header sizes on its own: the TCP payload of each HTTP/1.1 request, and the\n' +
        'http2.length of each HEADERS frame the HTTP/2 client sent (HTTP/2 shows on port 80, where its\n' +
        'HTTP dissector finds the connection preface). It must find the sizes netlab counted.',
      run(ctx) {
        if (!tsharkInstalled()) {
          ctx.show.skipped("tshark is not installed (on Debian: apt-get install tshark): Wireshark's reading of the captures is not compared.");
          return;
        }
        const hp = need(ctx.state.hpack, 'the header sizes');
        const files = need(ctx.state.hpackFiles, 'the HPACK captures');
        const heads = tsharkFields(files.h1, ['ip.src', 'tcp.len'], [])
          .filter((r) => r[0] === client(5) && Number(r[1]) > 0)
          .map((r) => Number(r[1]));
        const seen: number[] = [];
        for (const r of tsharkFields(files.h2, ['ip.src', 'http2.type', 'http2.length'], [])) {
          if (r[0] !== client(6)) continue;
          const lengths = (r[2] ?? '').split(',');
          (r[1] ?? '').split(',').forEach((t, i) => {
            if (t === '1') seen.push(Number(lengths[i]));
          });
        }
        ctx.show.table(
          ['', 'netlab counted', 'tshark read'],
          [
            ['HTTP/1.1 heads', runs(hp.h1), runs(heads)],
            ['HTTP/2 HEADERS', runs(hp.h2), runs(seen)],
          ],
        );
        ctx.check.equal("tshark's tcp.len of the client's ten HTTP/1.1 segments", heads, hp.h1);
        ctx.check.equal("tshark's http2.length of the client's ten HEADERS frames", seen, hp.h2);
      },
    },
  ],
});
