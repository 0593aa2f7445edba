// The encapsulation lab's exercises: predict the IPv4 total length of the GET before reading it in the
// capture, and find the frame that crossed the router with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { filterExercise, firstValue } from '../../src/lab/index.ts';

const GET = 'tcp.len > 0';

const predictLength: Exercise<unknown> = {
  after: 'Layer by layer: data, segment, packet, frame, bits',
  title: 'Predict the IPv4 total length of the GET',
  kind: 'predict',
  expects: 'a number of bytes',
  task: 'The GET request is 50 bytes of HTTP. TCP adds its header (no options on this segment), then IPv4 adds its own (no options either). Predict the IPv4 total length field of the packet that carries it; the checker reads it from handshake-and-get.pcapng.',
  grade: async (answer, ctx) => gradeNumber(answer, await firstValue(ctx.captureFile('handshake-and-get'), GET, 'ip.len'), { unit: 'bytes' }),
  hint: "IPv4's total length counts its own header and everything after it, but not Ethernet: 20 + 20 + the data.",
  answer: '90: 20 bytes of IPv4 header + 20 of TCP header + 50 of HTTP.',
  right: async (ctx) => String(await firstValue(ctx.captureFile('handshake-and-get'), GET, 'ip.len')),
  wrong: async (ctx) => String((await firstValue(ctx.captureFile('handshake-and-get'), GET, 'ip.len')) + 14),
};

const afterRouter = filterExercise({
  after: 'Two hops: MAC addresses change, IP addresses stay',
  title: 'Find the packet after the router',
  file: 'two-hops',
  find: 'The GET crosses the router, which takes one off the TTL. Find it on the far side (the TTL it left with was 64).',
  frames: { like: 'ip.ttl == 63' },
  hint: 'The TTL field is ip.ttl.',
  right: 'ip.ttl == 63',
  wrong: 'ip.ttl == 64',
});

export const encapsulationExercises: readonly Exercise<unknown>[] = [predictLength, afterRouter];
