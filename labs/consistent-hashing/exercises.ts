// The consistent-hashing lab's exercises: predict how many of 1000 keys move when hash % 9 becomes
// hash % 10 (graded against the count of netlab's own hash over the keys), and say which server a
// request goes to on a small ring (graded against ringLookup on that ring).

import { type Exercise, gradeChoice, gradeNumber } from '../../src/lab/index.ts';
import { movedIndexes, moduloPlace, userKeys } from './numbers.ts';
import { toyPlace, toyRing } from './toy-ring.ts';

/** What the exercises read from the lab's state (nothing: their numbers are computed again here). */
export type ExerciseState = object;

const KEYS = userKeys(1000);
const movedNineToTen = (): number => movedIndexes(moduloPlace(KEYS, 9), moduloPlace(KEYS, 10)).length;

const modulo: Exercise<ExerciseState> = {
  after: 'hash % 4 becomes hash % 5: most keys move',
  title: 'How many of 1000 keys move when 9 shards become 10?',
  kind: 'predict',
  expects: 'a number of keys (within 25 of the count)',
  task:
    'A cache is sharded with fnv1a32(key) % 9 over 1000 keys, user-0001 to user-1000. A tenth shard is added and ' +
    'the rule becomes fnv1a32(key) % 10. How many of the 1000 keys now live on another shard than before? ' +
    '(The lab counts them after you answer; within 25 of the count is right.)',
  grade: (answer) => gradeNumber(answer, movedNineToTen(), { tolerance: 25 }),
  hint: 'A key stays only when h % 9 = h % 10, which holds exactly when h % 90 is 0..8: 9 values out of 90.',
  answer: () => `${movedNineToTen()}: about 9/10 of them (n/(n+1) for n = 9); only h % 90 in 0..8 stays, 1 key in 10.`,
  right: () => String(movedNineToTen()),
  wrong: '100',
  reveal: () => `Counted: ${movedNineToTen()} of 1000 keys moved to another shard.`,
};

const RING = { N1: 5, N2: 12, N3: 23 };
const AT = 26;
const where = (): string => toyPlace(toyRing(RING), [AT])[0];

const ringWalk: Exercise<ExerciseState> = {
  after: "A study guide's ring: ranges, a fourth server, and skew",
  title: 'Which server takes a request at position 26?',
  kind: 'answer',
  expects: 'a server name (N1, N2 or N3)',
  task: `On a ring of positions 1..30, N1 sits at ${RING.N1}, N2 at ${RING.N2} and N3 at ${RING.N3}. A request hashes to position ${AT}. Walking clockwise, which server takes it?`,
  grade: (answer) => gradeChoice(answer, [where()], 'server that takes it'),
  hint: `Walk up from ${AT}: no server sits at 27..30, so the walk goes round past 30 to 1, 2, ...`,
  answer: () => `${where()}: no server between ${AT} and 30, so the walk wraps to the first point, ${RING.N1}.`,
  right: () => where(),
  wrong: 'N3',
};

export const chashExercises: readonly Exercise<ExerciseState>[] = [modulo, ringWalk];
