// The dns-load-balancing lab's exercises: predict how often each address comes first under round
// robin (graded by the authoritative answers in the capture), and find the answer that sent a client
// to the sorry server with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { captureFields, filterExercise, selectedFrames } from '../../src/lab/index.ts';
import { AUTH_ADDRESS } from '../dns/seed-zones.ts';

/** How many of the authoritative server's answers in the capture list `first` first. */
async function firstCount(path: string): Promise<{ first: string; count: number; answers: number }> {
  const frames = await selectedFrames(path, `dns.flags.response == 1 && ip.src == ${AUTH_ADDRESS}`);
  if (typeof frames === 'string' || frames.length === 0) throw new Error(`no authoritative answer in ${path}`);
  const rows = await captureFields(path, ['dns.a']);
  const firsts = frames.map((n) => (rows[n - 1]?.[0] ?? '').split(',')[0]);
  const first = firsts[0];
  return { first, count: firsts.filter((f) => f === first).length, answers: frames.length };
}

const predictRotation: Exercise<unknown> = {
  after: 'Round robin: the whole set, in a turning order',
  title: 'Predict how often an address comes first',
  kind: 'predict',
  expects: 'a number of answers',
  task: "The authoritative server was asked six times for a name with three addresses, and turns the list by one for each answer. In how many of the six answers does the first answer's first address come first? The checker counts them in dns-lb-round-robin.pcapng.",
  grade: async (answer, ctx) => gradeNumber(answer, (await firstCount(ctx.captureFile('dns-lb-round-robin'))).count),
  hint: 'Three addresses, turned by one each time: the same one is back in front every third answer.',
  answer: '2: six answers, three addresses, each in front once every three answers.',
  right: async (ctx) => String((await firstCount(ctx.captureFile('dns-lb-round-robin'))).count),
  wrong: '6',
};

const sorry = filterExercise({
  after: 'Failover: a dead web server leaves the answer, and comes back',
  title: 'Find the answer that sent a client to the sorry server',
  file: 'dns-lb-failover',
  find: 'With both web servers down, the name server answered with the sorry server, 127.60.0.99.',
  frames: { like: 'dns.a == 127.60.0.99' },
  hint: "An A record's address is the field dns.a; compare it with == to an IPv4 address.",
  right: 'dns.a == 127.60.0.99',
  wrong: 'dns.flags.response == 1',
});

export const dnsLbExercises: readonly Exercise<unknown>[] = [predictRotation, sorry];
