// The dns-spoofing lab's exercises: find the forged answers in the race with a display filter, and
// work out the attacker's odds against a 16-bit ID alone.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { filterExercise } from '../../src/lab/index.ts';

const forged = filterExercise({
  after: 'Forged answers, each wrong in one way, race the real one',
  title: 'Find the forged answers',
  file: 'dns-spoofing-forged',
  find: "The attacker's answers all point www.example.com (or a name like it) at its own address, 127.66.6.6; the real answer says 192.0.2.1.",
  frames: { like: 'dns.a == 127.66.6.6' },
  hint: 'The address in an A record is dns.a. What do all the forgeries have in common?',
  right: 'dns.a == 127.66.6.6',
  wrong: 'dns.flags.response == 1',
});

const idSpace: Exercise<unknown> = {
  after: 'The numbers: 2^16 against 2^32',
  title: 'How many IDs must a blind attacker cover?',
  kind: 'answer',
  expects: 'a number',
  task: 'A resolver that always asks from the same source port leaves only the 16-bit query ID to guess. How many different IDs are there for an attacker to cover?',
  grade: (answer) => gradeNumber(answer, 2 ** 16),
  hint: 'n bits hold 2^n values.',
  answer: '65536 (2^16); a random source port multiplies that by the size of the port range.',
  right: '65536',
  wrong: '65535',
};

export const dnsSpoofingExercises: readonly Exercise<unknown>[] = [forged, idSpace];
