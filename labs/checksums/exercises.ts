// The checksums lab's exercises: predict a UDP checksum before the lab shows it, craft a datagram with a
// wrong checksum with `netlab craft` (graded by reading the file back), and find, with a display
// filter, the frames only the CRC-32 catches.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PcapngWriter } from '../../src/capture/index.ts';
import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { filterExercise, selectedFrames } from '../../src/lab/index.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { hex4 } from '../common/ones-sum.ts';
import { DPORT, DST, L4_AT, MAC_DST, MAC_SRC, SPORT, SRC, holaFrame, u16 } from './frames.ts';
import type { ChecksumsState } from './state.ts';
import { catchSteps } from './steps-catch.ts';
import { sumSteps } from './steps-sums.ts';

type S = ChecksumsState;

/** "Hola" to port 7778 instead of 7777: one word of the sum up by one. */
const hola7778 = (): Uint8Array =>
  encode([
    ethernet({ src: MAC_SRC, dst: MAC_DST }),
    ipv4({ src: SRC, dst: DST, id: 0x1c46, ttl: 64 }),
    udp({ sport: SPORT, dport: DPORT + 1 }),
    payload('Hola'),
  ]);

const predictPort: Exercise<S> = {
  after: sumSteps[1].title,
  title: 'Predict a checksum: the same datagram to port 7778',
  kind: 'predict',
  expects: 'a 16-bit value in hex (like 0x1234)',
  task:
    `The "Hola" datagram above went to port ${DPORT} and its UDP checksum was ${hex4(u16(holaFrame(), L4_AT + 6))}. ` +
    `Send the same datagram to port ${DPORT + 1} instead: what is its UDP checksum? Work it out from the sum above; the lab builds the datagram and reveals the value once you have answered.`,
  grade: (answer) => gradeNumber(answer, u16(hola7778(), L4_AT + 6), { hex: true }),
  hint: 'The destination port is one word of the sum. One more in the sum is one less in its complement.',
  answer: () => `${hex4(u16(hola7778(), L4_AT + 6))}: the sum grows by one, so its complement, the checksum, shrinks by one.`,
  right: () => hex4(u16(hola7778(), L4_AT + 6)),
  wrong: () => hex4(u16(holaFrame(), L4_AT + 6) + 1),
  reveal: () => `netlab built it: UDP checksum ${hex4(u16(hola7778(), L4_AT + 6))}.`,
};

/** The scripted learner's crafted file: "Hola" with the given UDP checksum, in a pcapng. */
async function writeHola(dir: string, checksum: number | undefined): Promise<string> {
  const path = join(dir, checksum === undefined ? 'good.pcapng' : 'bad-udp.pcapng');
  const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'netlab' }] });
  w.write({ tsSec: 1_704_067_200, tsNsec: 0, data: holaFrame({ udpChecksum: checksum }), comments: [] });
  await w.close();
  return path;
}

const craftBad: Exercise<S> = {
  after: catchSteps({})[0].title,
  title: 'Craft a datagram whose UDP checksum is wrong',
  kind: 'command',
  expects: 'the path of the capture you wrote',
  task:
    'In a second terminal, build a UDP datagram whose checksum is wrong with netlab craft, and write it to a capture:\n' +
    '  netlab craft --ipv4 src=10.0.0.1,dst=10.0.0.2 --udp sport=1234,dport=53,checksum=0x???? --payload Hola -w bad-udp.pcapng\n' +
    'Choose the checksum, then type the path of the file you wrote. The checker reads it back and decodes it.',
  async grade(answer) {
    const path = resolve(answer.replace(/^['"]|['"]$/g, ''));
    if (!existsSync(path)) return { correct: false, feedback: `there is no file at ${path}` };
    const all = await selectedFrames(path, 'udp');
    if (typeof all === 'string' || all.length === 0) return { correct: false, feedback: `${answer} holds no UDP datagram` };
    const bad = await selectedFrames(path, 'udp.checksum.status == 0', ['udp.check_checksum:TRUE']);
    if (typeof bad !== 'string' && bad.length > 0)
      return {
        correct: true,
        feedback: `frame ${bad[0]} of ${answer}: the UDP checksum is bad, as asked (netlab decode -r ${answer} -Y "udp.checksum.status == 0" shows it)`,
      };
    return { correct: false, feedback: `the ${all.length} UDP datagram${all.length === 1 ? '' : 's'} in ${answer} all have a good (or no) checksum` };
  },
  hint: 'Any value but the right one will do, say checksum=0xdead; 0 means "no checksum" over IPv4, which is not wrong.',
  answer: 'netlab craft --ipv4 src=10.0.0.1,dst=10.0.0.2 --udp sport=1234,dport=53,checksum=0xdead --payload Hola -w bad-udp.pcapng, then bad-udp.pcapng',
  right: (ctx) => writeHola(ctx.scratch(), 0xdead),
  wrong: (ctx) => writeHola(ctx.scratch(), undefined),
};

const onlyCrc = filterExercise<S>({
  after: catchSteps({})[0].title,
  title: 'Find the frames only the CRC-32 catches',
  file: 'corruption',
  find: 'Two of the damaged frames pass both checksums; only the Ethernet FCS says they are bad.',
  frames: [5, 6],
  prefs: ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'eth.check_fcs:TRUE'],
  hint: 'Combine three statuses with &&: eth.fcs.status, ip.checksum.status and udp.checksum.status (1 is good, 0 bad).',
  right: 'eth.fcs.status == 0 && ip.checksum.status == 1 && udp.checksum.status == 1',
  wrong: 'udp.checksum.status == 0',
});

export const checksumsExercises: readonly Exercise<S>[] = [predictPort, onlyCrc, craftBad];
