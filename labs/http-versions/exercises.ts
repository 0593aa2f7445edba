// The http-versions lab's exercises, graded against the lab's own numbers: the connections HTTP/1.0
// opened, when the answer behind a slow one arrived, the size of a later HEADERS frame, and which
// streams the lost segment held up.

import { type Exercise, gradeNumber } from '../../src/lab/index.ts';
import type { HttpVersionsState } from './state.ts';
import { STREAMS } from './tcp-hol.ts';

/** The streams that finished later with the loss than without, on one connection. */
export function delayedStreams(s: HttpVersionsState): number[] {
  const [ok, loss] = s.tcpHol ?? [];
  if (ok === undefined || loss === undefined) return [];
  return STREAMS.filter((id) => loss.doneMs[id] > ok.doneMs[id]);
}

/** Stream ids in an answer such as "1, 3 and 5"; "all" means every stream. */
export function streamsIn(answer: string): number[] {
  if (/\ball\b/i.test(answer)) return [...STREAMS];
  return [...new Set((answer.match(/\d+/g) ?? []).map(Number))].sort((a, b) => a - b);
}

export const httpVersionsExercises: readonly Exercise<HttpVersionsState>[] = [
  {
    after: 'HTTP/1.0: a connection per request',
    title: 'Handshakes for ten requests',
    kind: 'answer',
    task: 'How many TCP connections did the client open to the proxy for its ten HTTP/1.0 requests? (Count the SYNs in http10.pcapng if you like.)',
    expects: 'a number',
    grade: (answer, ctx) => gradeNumber(answer, ctx.state.http10Conns ?? Number.NaN),
    hint: 'HTTP/1.0 without keep-alive: the server closes after each answer.',
    answer: 'Ten: one per request. The proxy still used one connection to the backend: keep-alive is per hop.',
    right: (ctx) => String(ctx.state.http10Conns ?? ''),
    wrong: '1',
  },
  {
    after: 'Head-of-line blocking in HTTP/1.1',
    title: 'The answer behind the slow one',
    kind: 'predict',
    task: 'In the pipelined run the backend answered /item/2 after about 10 ms, and /slow after 200 ms. About how many ms after sending did the client get the answer to /item/2?',
    expects: 'a time in ms (within 25%)',
    grade: (answer, ctx) => {
      const real = ctx.state.hol?.secondMs ?? Number.NaN;
      return gradeNumber(answer, Math.round(real), { unit: 'ms', tolerance: Math.max(20, 0.25 * real) });
    },
    hint: 'Responses on one HTTP/1.1 connection leave in the order of the requests.',
    answer: 'Just after the slow answer, about 200 ms: it waited its turn behind the first response.',
    right: (ctx) => String(Math.round(ctx.state.hol?.secondMs ?? 0)),
    wrong: '10',
    reveal: (ctx) => `The client got /item/2 after ${(ctx.state.hol?.secondMs ?? Number.NaN).toFixed(1)} ms.`,
  },
  {
    after: 'HPACK: the same headers, smaller every time',
    title: 'The second HEADERS frame',
    kind: 'answer',
    task: 'Open hpack-http2.pcapng (the filter above; add the column http2.length). How many bytes long was the HEADERS frame of the second request?',
    expects: 'a number of bytes',
    grade: (answer, ctx) => gradeNumber(answer, ctx.state.hpack?.h2[1] ?? Number.NaN, { unit: 'bytes' }),
    hint: 'Headers already in the dynamic table cost one byte each; only :path changed.',
    answer: 'About 15 bytes: indexes into the dynamic table, plus the new :path.',
    right: (ctx) => String(ctx.state.hpack?.h2[1] ?? ''),
    wrong: (ctx) => String(ctx.state.hpack?.h1[1] ?? '300'),
  },
  {
    after: "TCP's own head-of-line blocking, under loss",
    title: 'Who waited for the retransmission?',
    kind: 'answer',
    task: 'On the one connection (HTTP/2), the segment with part of stream 1 was lost. Which streams finished later than without the loss? (Stream ids, or "all".)',
    expects: 'stream ids such as "1, 3" or "all"',
    grade: (answer, ctx) => {
      const want = delayedStreams(ctx.state);
      const got = streamsIn(answer);
      const ok = got.length === want.length && got.every((g, i) => g === want[i]);
      return ok
        ? { correct: true, feedback: `streams ${got.join(', ')}: right` }
        : { correct: false, feedback: `streams ${got.join(', ') || '(none)'}: not those` };
    },
    hint: 'TCP hands bytes to the application in order, whatever stream a frame belongs to.',
    answer: 'All three (1, 3 and 5): their later frames sat in the out-of-order queue behind the hole. On three connections only stream 1 waited.',
    right: 'all three',
    wrong: '1',
  },
];
