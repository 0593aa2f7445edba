// The forward-vs-reverse-proxy lab's exercises: find, in the capture of both sides of forward proxy
// B, the request as server C received it (a display filter); and say what of an HTTPS request the
// forward proxy could log (graded against the log line it really wrote).

import { type Exercise, filterExercise, gradeChoice } from '../../src/lab/index.ts';
import type { FwdState } from './state.ts';

const asCGotIt = filterExercise<FwdState>({
  after: 'A -> B -> C: a forward proxy',
  title: 'Find the request as server C received it',
  file: 'forward',
  find:
    'The capture holds both sides of proxy B: the request A sent to B (absolute-form) and the request B sent to C. ' +
    "Write a filter that selects only B's request to C.",
  frames: { like: 'http.request && frame contains "X-Forwarded-For: 127.80.1.1"' },
  hint: "B wrote a header that A did not: the one carrying A's address (Wireshark's field http.x_forwarded_for, compared with a quoted string).",
  right: 'http.x_forwarded_for == "127.80.1.1"',
  wrong: 'ip.src == 127.80.1.1 && http.request',
});

const whatBSees: Exercise<FwdState> = {
  after: 'CONNECT: TLS the proxy cannot read',
  title: 'What could B write in its log about the HTTPS request?',
  kind: 'answer',
  expects: 'one of: host:port, path, page',
  task:
    'A fetched https://www.netlab.test/private/statement through B with CONNECT. Of the destination (host:port), ' +
    'the path (/private/statement) and the page the server sent back, which one could B log? Answer host:port, path or page.',
  grade: (answer, ctx) => {
    const g = gradeChoice(answer, ['host:port', 'host and port', 'the host:port'], 'thing B could log');
    const line = ctx.state.tunnelLog ?? '';
    return g.correct ? { correct: true, feedback: `right: B's line was ${line.trim()}` } : g;
  },
  hint: 'B read one request from A, CONNECT, and then only copied bytes that TLS had encrypted.',
  answer: 'host:port: CONNECT names it in clear; the path and the page travel inside TLS, which B relays without the keys.',
  right: 'host:port',
  wrong: 'path',
};

export const fwdExercises: readonly Exercise<FwdState>[] = [asCGotIt, whatBSees];
