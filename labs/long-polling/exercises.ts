// The long-polling lab's exercises: find the proxy's upstream copy of one message's POST with a
// display filter, and say how many of Bob's messages reached Alice when cookies kept each on its own
// backend.

import { filterExercise, gradeNumber, type Exercise } from '../../src/lab/index.ts';

export interface LongPollExerciseState {
  /** Sticky run: how many of Bob's messages reached Alice, and how many he sent. */
  bobDelivered?: number;
  bobSent?: number;
  /** Tests only: run the trap step with the shared broker (a lab broken on purpose). */
  trapShared?: boolean;
}

const upstreamCopy = filterExercise<LongPollExerciseState>({
  after: 'The trap: round robin sends the message to a backend without the poll',
  title: "Find the request the backend received for bob's first message",
  file: 'round-robin',
  find:
    'Bob posted m1 once, yet two frames carry "POST /send?inbox=alice&id=m1": his request to the proxy and the ' +
    "proxy's own request to a backend. Only the second carries the headers the proxy adds (Via, X-Request-Id).",
  frames: { like: 'http.request.uri contains "id=m1" && http.request.line contains "Via:"' },
  hint: 'Start from http.request.uri contains "id=m1" (two frames), then keep the one whose header lines (http.request.line) include the proxy\'s Via.',
  right: 'http.request.uri contains "id=m1" && http.request.line contains "X-Request-Id"',
  wrong: 'http.request.uri contains "id=m1"',
});

const bobCount: Exercise<LongPollExerciseState> = {
  after: "Stickiness keeps a client on its backend, not the sender on the recipient's",
  title: "How many of Bob's messages reached Alice?",
  kind: 'answer',
  expects: 'a number',
  task: (ctx) =>
    `With the balancer cookie, Alice, Bob, Carol and Dave each stayed on the backend their first request went to. ` +
    `Bob sent ${ctx.state.bobSent ?? '?'} messages to Alice. How many reached her before the run ended?`,
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.bobDelivered ?? -1),
  hint: "Look at the table: which backend is Bob stuck to, which one holds Alice's polls, and do those two backends share anything?",
  answer: (ctx) =>
    `${ctx.state.bobDelivered ?? '?'}: Bob's POSTs all land on his own backend, which never holds Alice's poll; the messages wait in its memory.`,
  right: (ctx) => String(ctx.state.bobDelivered ?? 0),
  wrong: (ctx) => String(ctx.state.bobSent ?? 3),
};

export const longPollExercises: readonly Exercise<LongPollExerciseState>[] = [upstreamCopy, bobCount];
