// The routing-and-ttl lab's exercises: predict the TTL of the echo reply when it is back at h1, and
// find ICMP's "host unreachable" with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { fieldValues, filterExercise } from '../../src/lab/index.ts';
import { ADDR } from './topology.ts';

/** The lowest TTL of the replies in two-routers.pcapng: the one h1 receives. */
async function replyTtl(path: string): Promise<number> {
  const ttls = (await fieldValues(path, 'icmp.type == 0', 'ip.ttl')).map(Number);
  if (ttls.length === 0) throw new Error(`no echo reply in ${path}`);
  return Math.min(...ttls);
}

const predictTtl: Exercise<unknown> = {
  after: 'A second router: the TTL goes down by one at every hop',
  title: 'Predict the TTL of the reply when it reaches h1',
  kind: 'predict',
  expects: 'a TTL',
  task: `The far host answers the ping with a TTL of 64. Its reply crosses the same two routers back to h1 (${ADDR.h1}). What TTL does the reply have when it arrives? The checker reads it from two-routers.pcapng.`,
  grade: async (answer, ctx) => gradeNumber(answer, await replyTtl(ctx.captureFile('two-routers'))),
  hint: 'Each router that forwards a packet takes one off its TTL; the sender does not.',
  answer: '62: 64, minus one at each of the two routers.',
  right: async (ctx) => String(await replyTtl(ctx.captureFile('two-routers'))),
  wrong: '64',
};

const unreachable = filterExercise({
  after: 'A host that does not exist: ARP gives up, ICMP host unreachable comes back',
  title: 'Find the ICMP that says the host is not there',
  file: 'no-such-host',
  find: 'The last router asked for the missing host by ARP three times, gave up, and told the sender.',
  frames: { like: 'icmp.type == 3 && icmp.code == 1' },
  hint: '"Destination unreachable" is ICMP type 3, and "host unreachable" is its code 1 (icmp.type, icmp.code).',
  right: 'icmp.type == 3 && icmp.code == 1',
  wrong: 'icmp',
});

export const routingExercises: readonly Exercise<unknown>[] = [predictTtl, unreachable];
