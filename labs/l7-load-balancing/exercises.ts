// The l7-load-balancing lab's exercises: find the upstream request the proxy sent for one client's
// request (a display filter on the capture of both sides), and predict where ip_hash puts a client
// from the hash of its address (graded against the server that really answered it).

import { type Exercise, filterExercise, gradeChoice } from '../../src/lab/index.ts';
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

export const l7Exercises: readonly Exercise<L7State>[] = [upstream, ipHash];
