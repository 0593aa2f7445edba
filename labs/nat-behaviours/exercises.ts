// The nat-behaviours lab's exercises: predict whether hole punching works between a port-restricted
// cone and a symmetric NAT (the next step runs it), find the punches that reached alice with a display
// filter, and read the public port from a STUN answer in the capture (graded by the capture, against
// the inside port the same frame carries in its header).

import type { Exercise } from '../../src/lab/index.ts';
import { captureFields, filterExercise, gradeChoice, gradeNumber } from '../../src/lab/index.ts';

export const TYPES_STEP = 'Four NATs, the same traffic: which port, and who gets in';
export const PUNCH_STEP = 'UDP hole punching through a rendezvous server';
export const HAIRPIN_STEP = 'Hairpinning: two PCs behind one NAT, through its public address';
export const STUN_STEP = "What netlab's STUN client finds behind each NAT";

const predictPair: Exercise<unknown> = {
  after: TYPES_STEP,
  title: 'Will the holes meet?',
  kind: 'predict',
  expects: 'works or fails',
  task:
    'alice is behind a port-restricted cone, bob behind a symmetric NAT. Both learn the other public endpoint from a rendezvous ' +
    "server and punch; and each one also answers a punch at whatever endpoint it came from. Using the two tables above, predict: does hole punching work between them (both receive)? Type 'works' or 'fails'.",
  grade: (answer) => {
    const g = gradeChoice(answer, ['fails', 'fail', 'no'], 'outcome');
    if (g.correct) return { correct: true, feedback: 'right: it fails' };
    return { correct: false, feedback: `${answer.trim()}: not what happens` };
  },
  hint: "bob's NAT sends his punches from a new port for alice's endpoint. Does alice's port-restricted NAT let in a port she never sent to? And where do alice's punches go?",
  answer:
    "fails. bob's punches leave from a port alice never learned or sent to: her port-restricted filter drops them, so she never sees a source to answer. Her punches go to the port bob's NAT chose toward the server, where only the server may send in. With a full or restricted cone instead, bob's new port would get in and alice's answer would open the way.",
  right: 'fails',
  wrong: 'works',
  reveal: 'The next step runs every pair of types, both ways of answering: look for port-restricted + symmetric in the matrix.',
};

const findPunches = filterExercise({
  after: PUNCH_STEP,
  title: "The punches alice's NAT let in",
  file: 'punch-cones',
  find: "In the port-restricted run, the punches from bob that reached alice's PC (192.168.1.2), on her side of the NAT.",
  frames: { like: 'ip.dst == 192.168.1.2 && udp.payload contains "PUNCH"' },
  hint: 'After the NAT, the destination is the inside address. The payload of a punch starts with the word PUNCH: udp.payload contains "PUNCH".',
  right: 'udp.payload contains "PUNCH" && ip.dst == 192.168.1.2',
  wrong: 'udp.payload contains "PUNCH" && ip.dst == 203.0.113.5',
});

/** The first STUN answer on the symmetric NAT's LAN: [inside port in the header, XOR-MAPPED-ADDRESS port]. */
async function firstSymmetricAnswer(path: string): Promise<[number, number]> {
  const rows = await captureFields(path, ['frame.comment', 'udp.dstport', 'stun.att.port-xord', 'stun.att.port']);
  const row = rows.find((r) => (r[0] ?? '').startsWith('lan-symmetric:') && (r[2] ?? '') !== '');
  if (row === undefined) throw new Error(`${path}: no STUN answer on lan-symmetric`);
  return [Number(row[1]), Number((row[3] ?? '').split(',')[0])];
}

const readMapped: Exercise<unknown> = {
  after: STUN_STEP,
  title: 'The port STUN saw',
  kind: 'answer',
  expects: 'a port number',
  task: (ctx) =>
    `Open ${ctx.capturePath('stun')} on the filter stun.att.port-xord && frame.comment contains "lan-symmetric:" (the answers that reached the symmetric NAT's PC). In the first one, what port does XOR-MAPPED-ADDRESS give? It is XOR-ed with the magic cookie on the wire; Wireshark and netlab decode show the real one.`,
  async grade(answer, ctx) {
    const [inside, mapped] = await firstSymmetricAnswer(ctx.captureFile('stun'));
    const g = gradeNumber(answer, mapped);
    if (g.correct) return { correct: true, feedback: `${mapped}: the public port; the header around it says ${inside}, the PC's own port` };
    if (Number(answer.trim()) === inside)
      return { correct: false, feedback: `${inside} is the UDP destination port: the NAT rewrote the header, not the payload` };
    return g;
  },
  hint: 'Expand the STUN layer, then the XOR-MAPPED-ADDRESS attribute: [Port: ...] is the decoded value. Not udp.dstport: that is the inside port, after the NAT.',
  answer:
    "The [Port] of XOR-MAPPED-ADDRESS, 50000 or above: the NAT allocates from 50000. The header says the PC's own port (32768 or above): the NAT rewrote it, not the payload.",
  right: async (ctx) => String((await firstSymmetricAnswer(ctx.captureFile('stun')))[1]),
  wrong: async (ctx) => String((await firstSymmetricAnswer(ctx.captureFile('stun')))[0]),
};

export const natExercises: readonly Exercise<unknown>[] = [predictPair, findPunches, readMapped];
