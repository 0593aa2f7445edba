// The l7-load-balancing lab's exercises: find the upstream request the proxy sent for one client's
// request (a display filter on the capture of both sides), pair a request with its upstream request by
// the request id the proxy gave it, and predict where ip_hash puts a client
// from the hash of its address (graded against the server that really answered it).

import { type Exercise, filterExercise, gradeChoice, selectedFrames } from '../../src/lab/index.ts';
import { need } from '../common/need.ts';
import type { L7State } from './state.ts';

const upstream = filterExercise<L7State>({
  after: 'Both sides of the proxy: a request and its upstream request',
  title: 'Find the upstream request made for client 127.70.2.3',
  file: 'both-sides',
  find:
    'Client 127.70.2.3 sent GET /cart?item=3 to the proxy; the proxy then sent a request of its own to a backend. ' +
    "Find that upstream request, and only it (not the client's own request).",
  frames: { like: 'http.request && frame contains "X-Forwarded-For: 127.70.2.3"' },
  hint: "The client's address travels upstream in a header the proxy writes; Wireshark calls it http.x_forwarded_for (compare it with a quoted string).",
  right: 'http.x_forwarded_for == "127.70.2.3"',
  wrong: 'ip.src == 127.70.2.3 && http.request',
});

const paired = (s: L7State): NonNullable<L7State['paired']> => need(s.paired, 'the request id (step "Both sides of the proxy")');

/** The frames that carry the request id, as netlab's filter selects them. */
async function idFrames(path: string, id: string): Promise<number[]> {
  const got = await selectedFrames(path, `frame contains "${id}"`);
  return typeof got === 'string' ? [] : got;
}

const byId: Exercise<L7State> = {
  after: 'Both sides of the proxy: a request and its upstream request',
  title: 'Pair them by the request id',
  kind: 'command',
  expects: 'a display filter',
  task: async (ctx) => {
    const p = paired(ctx.state);
    const frames = await idFrames(ctx.captureFile('both-sides'), p.requestId);
    return (
      `The proxy gave the request of client ${p.client} the id ${p.requestId}: it sent it upstream in X-Request-Id and ` +
      `returned it to the client in its response. Write a display filter that selects exactly the frames carrying that id ` +
      `(frames ${frames.join(' and ')} of ${ctx.capturePath('both-sides')}). Try it in a second terminal, then type it here:\n` +
      `  netlab decode -r ${ctx.capturePath('both-sides')} -Y "YOUR FILTER"`
    );
  },
  grade: async (answer, ctx) => {
    const want = await idFrames(ctx.captureFile('both-sides'), paired(ctx.state).requestId);
    const got = await selectedFrames(ctx.captureFile('both-sides'), answer);
    if (typeof got === 'string') return { correct: false, feedback: `that filter does not compile: ${got}` };
    const same = got.length === want.length && got.every((f, i) => f === want[i]);
    return same
      ? { correct: true, feedback: `it selects frames ${got.join(', ')}, as asked` }
      : { correct: false, feedback: `it selects ${got.length === 0 ? 'no frame' : `frames ${got.join(', ')}`}; the frames asked for are ${want.join(', ')}` };
  },
  hint: 'Wireshark has no field for X-Request-Id, but any frame can be searched for text: frame contains "...".',
  answer: (ctx) => `frame contains "${paired(ctx.state).requestId}"`,
  right: (ctx) => `frame contains "${paired(ctx.state).requestId}"`,
  wrong: 'http.x_forwarded_for == "127.70.2.3"',
};

const probe = (s: L7State): NonNullable<L7State['hashProbe']> => need(s.hashProbe, 'the ip_hash probe (step "Every policy on the same traffic")');

const ipHash: Exercise<L7State> = {
  after: 'Every policy on the same traffic',
  title: 'Where does ip_hash put 127.70.2.9?',
  kind: 'predict',
  expects: 'a server name (server1..server5)',
  task: (ctx) => {
    const p = probe(ctx.state);
    return (
      `Client ${p.client} was not in the table. netlab's ip_hash hashes the address text with FNV-1a (32 bits): ` +
      `fnv1a32("${p.client}") = ${p.hash}. The cluster lists server1..server5 in that order (index 0..4), and ip_hash ` +
      'takes the index hash mod 5 while all five are up. Which server answers this client? (The lab already sent its ' +
      'request: your answer is graded against the server that really answered.)'
    );
  },
  grade: (answer, ctx) => {
    const p = probe(ctx.state);
    const n = p.server.replace('server', '');
    return gradeChoice(answer.replace(/^s(?!erver)/i, 'server'), [p.server, n], 'server that answered');
  },
  hint: (ctx) => `Divide ${probe(ctx.state).hash} by 5 and keep the remainder r; the server is server(r + 1).`,
  answer: (ctx) => {
    const p = probe(ctx.state);
    return `${p.server}: ${p.hash} mod 5 = ${p.hash % 5}, index ${p.hash % 5} is ${p.server}.`;
  },
  right: (ctx) => probe(ctx.state).server,
  wrong: (ctx) => {
    const p = probe(ctx.state);
    return `server${((p.hash + 1) % 5) + 1}`;
  },
  reveal: (ctx) => {
    const p = probe(ctx.state);
    return `${p.client} was answered by ${p.server} (${p.hash} mod 5 = ${p.hash % 5}).`;
  },
};

export const l7Exercises: readonly Exercise<L7State>[] = [upstream, byId, ipHash];
