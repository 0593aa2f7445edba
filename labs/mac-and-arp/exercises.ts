// The mac-and-arp lab's exercises: say where an ARP request is sent (graded by the capture), and find
// the ARP replies with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { fieldValues, filterExercise } from '../../src/lab/index.ts';

const FIRST_STEP = 'Who has 192.168.1.3? The question is a broadcast, the answer is not';
const requestDst = async (path: string): Promise<string> => (await fieldValues(path, 'arp.opcode == 1', 'eth.dst'))[0] ?? '';

const broadcastDst: Exercise<unknown> = {
  after: FIRST_STEP,
  title: 'Where does an ARP request go?',
  kind: 'answer',
  expects: 'a MAC address',
  task: 'The host that pings does not know the MAC address of 192.168.1.3 yet, so it asks everyone on the LAN. To which destination MAC address is its ARP request sent? The checker reads it from arp-and-ping.pcapng.',
  async grade(answer, ctx) {
    const want = await requestDst(ctx.captureFile('arp-and-ping'));
    const typed = answer.trim().toLowerCase().replace(/-/g, ':');
    if (typed === want) return { correct: true, feedback: `${want}: the broadcast address, every card on the LAN takes the frame` };
    return { correct: false, feedback: `the request in the capture is not sent to ${typed}` };
  },
  hint: 'Nobody knows whom to ask yet, so the frame goes to every card: the address with all 48 bits set.',
  answer: 'ff:ff:ff:ff:ff:ff, the broadcast address (eth.dst of an ARP request; the reply comes back unicast).',
  right: async (ctx) => requestDst(ctx.captureFile('arp-and-ping')),
  wrong: '02:00:00:00:01:03',
};

const replies = filterExercise({
  after: FIRST_STEP,
  title: 'Find the ARP replies',
  file: 'arp-and-ping',
  find: 'The question went to everyone; the answer came back to the one who asked.',
  frames: { like: 'arp.opcode == 2' },
  hint: 'Every ARP frame has an opcode: 1 for a request, 2 for a reply (arp.opcode).',
  right: 'arp.opcode == 2',
  wrong: 'arp',
});

export const macAndArpExercises: readonly Exercise<unknown>[] = [broadcastDst, replies];
