// The nat-pat lab's exercises: predict the public port the next flow gets, and pair a flow's frames
// inside and outside the router with one display filter.

import { filterExercise, gradeNumber, type Exercise } from '../../src/lab/index.ts';
import type { NatPatState } from './state.ts';

const TABLE_STEP = "PAT, ports from 50001: a study guide's table, exactly";

/** The public port r1 hands out next: sequential allocation, one past the last it gave. */
function nextPort(state: NatPatState): number {
  const entries = state.home?.nat?.table.entries() ?? [];
  if (entries.length === 0) throw new Error('the translator has no table yet');
  return Math.max(...entries.map((e) => e.outsidePort)) + 1;
}

const predictPort: Exercise<NatPatState> = {
  after: TABLE_STEP,
  title: 'Predict the public port of the next flow',
  kind: 'predict',
  expects: 'a port number',
  task:
    'pc2 opens a second connection, from 192.168.1.3:2346 to 151.101.65.69:80, through the same router ' +
    '(sequential allocation from 50001, no port kept). Which public port does r1 give it?',
  grade: (answer, ctx) => gradeNumber(answer, nextPort(ctx.state)),
  hint: 'The router counts up from 50001 and does not care which PC or which destination asks.',
  answer: (ctx) => `${nextPort(ctx.state)}: the next port after the three in the table.`,
  right: (ctx) => String(nextPort(ctx.state)),
  wrong: '2346',
};

const pairFlow = filterExercise({
  after: TABLE_STEP,
  title: "Pair pc1's second flow inside and outside the router",
  file: 'pat-table',
  find: "Every frame of pc1's second flow (192.168.1.2:1235 to fastly), on every link: inside it uses port 1235, outside its public port.",
  frames: { like: 'tcp.port == 1235 || tcp.port == 50002' },
  hint: 'One port inside, another outside: tcp.port matches either end of a segment; join two with ||.',
  right: 'tcp.port == 50002 || tcp.port == 1235',
  wrong: 'tcp.port == 1235',
});

export const natPatExercises: readonly Exercise<NatPatState>[] = [predictPort, pairFlow as Exercise<NatPatState>];
