// The ports lab's exercises: predict the UDP length of the third datagram, and find the answer a
// closed UDP port gets, with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { fieldValues, filterExercise } from '../../src/lab/index.ts';

/** The largest UDP length in boundaries.pcapng: the datagram carrying "three". */
async function threeLength(path: string): Promise<number> {
  const lengths = (await fieldValues(path, 'udp', 'udp.length')).map(Number);
  if (lengths.length === 0) throw new Error(`no UDP datagram in ${path}`);
  return Math.max(...lengths);
}

const predictUdpLength: Exercise<unknown> = {
  after: 'TCP is a byte stream; UDP keeps each message',
  title: 'Predict the UDP length of "three"',
  kind: 'predict',
  expects: 'a number of bytes',
  task: 'The third send() carried the 5 bytes "three". What is the UDP length field of its datagram? The checker reads it from boundaries.pcapng.',
  grade: async (answer, ctx) => gradeNumber(answer, await threeLength(ctx.captureFile('boundaries')), { unit: 'bytes' }),
  hint: "The UDP length counts UDP's own 8-byte header as well as the data.",
  answer: '13: 8 bytes of UDP header + 5 bytes of "three".',
  right: async (ctx) => String(await threeLength(ctx.captureFile('boundaries'))),
  wrong: '5',
};

const portUnreachable = filterExercise({
  after: 'A closed TCP port answers with RST; a closed UDP port with ICMP (or silence)',
  title: 'Find the answer a closed UDP port gets',
  file: 'closed-ports',
  find: 'A datagram to a closed UDP port is answered by ICMP, not by UDP.',
  frames: { like: 'icmp.type == 3 && icmp.code == 3' },
  hint: 'ICMP "destination unreachable" is type 3; "port unreachable" is its code 3. The fields are icmp.type and icmp.code.',
  right: 'icmp.type == 3 && icmp.code == 3',
  wrong: 'tcp.flags.reset == 1',
});

export const portsExercises: readonly Exercise<unknown>[] = [portUnreachable, predictUdpLength];
