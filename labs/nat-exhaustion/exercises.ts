// The nat-exhaustion-and-timeouts lab's exercises: how many ports a pool really holds when parity is
// kept, the established-TCP timeout in minutes, and the ICMP a refusing NAT sends, found by filter.

import { filterExercise, gradeNumber, type Exercise } from '../../src/lab/index.ts';
import type { ExhaustionState } from './state.ts';

/** Ports of one parity in min..max. */
export function sameParity(min: number, max: number, odd: boolean): number {
  let n = 0;
  for (let p = min; p <= max; p++) if (p % 2 === (odd ? 1 : 0)) n++;
  return n;
}

const parityPool: Exercise<ExhaustionState> = {
  after: 'The pool runs out: ICMP says so, and no mapping is evicted',
  title: 'How big is a pool when parity is kept?',
  kind: 'answer',
  expects: 'a number of flows',
  task:
    'The same four-port pool (50001-50004), but r1 now keeps the parity of the inside port (RFC 4787 REQ-4, ' +
    "netlab's default) and keeps no port. Every inside port is odd (5001, 5003, 5005, ...). How many flows fit before the pool runs out?",
  grade: (answer) => gradeNumber(answer, sameParity(50001, 50004, true)),
  hint: 'An odd inside port may only get an odd public port.',
  answer: `${sameParity(50001, 50004, true)}: 50001 and 50003; the even ports wait for even inside ports.`,
  right: String(sameParity(50001, 50004, true)),
  wrong: '4',
};

const tcpMinutes: Exercise<ExhaustionState> = {
  after: 'TCP: 2 h 4 min established, 4 min transitory (RFC 5382)',
  title: 'The established timeout, in minutes',
  kind: 'answer',
  expects: 'minutes',
  task: 'How many minutes may an established TCP connection sit idle before RFC 5382 lets a NAT forget it?',
  grade: (answer, ctx) => gradeNumber(answer, (ctx.state.home?.nat?.table.timeouts.tcpEstablished ?? 0) / 60_000),
  hint: "Two hours (TCP's keep-alive interval) plus the 4 minutes of a transitory connection.",
  answer: '124 minutes: 2 hours plus 4 minutes.',
  right: (ctx) => String((ctx.state.home?.nat?.table.timeouts.tcpEstablished ?? 0) / 60_000),
  wrong: '120',
};

const refusal = filterExercise({
  after: 'The pool runs out: ICMP says so, and no mapping is evicted',
  title: "Find the NAT's refusal",
  file: 'pool',
  find: 'r1 told pc2 that its flow was refused: find that message on every link it crossed.',
  frames: { like: 'icmp.type == 3 && icmp.code == 13' },
  hint: 'Destination unreachable is ICMP type 3; "administratively prohibited" is its code 13.',
  right: 'icmp.type == 3 && icmp.code == 13',
  wrong: 'icmp.type == 3 && icmp.code == 3',
});

export const exhaustionExercises: readonly Exercise<ExhaustionState>[] = [parityPool, tcpMinutes, refusal as Exercise<ExhaustionState>];
