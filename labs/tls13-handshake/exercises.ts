// The tls13-handshake lab's exercises: find, in the capture without keys, the only handshake messages
// a sniffer can read, and count the round trips TLS 1.3 adds before the request.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeNumber } from '../../src/lab/index.ts';
import { filterExercise } from '../../src/lab/index.ts';

const plaintext = filterExercise({
  after: 'EncryptedExtensions, Certificate, CertificateVerify, Finished: visible only with the keys',
  title: 'Find what a sniffer can read',
  file: 'tls13-handshake-no-keys',
  find: 'Without the key log only two handshake messages are plaintext: the ClientHello (type 1) and the ServerHello (type 2).',
  frames: { like: 'tls.handshake.type == 1 || tls.handshake.type == 2' },
  hint: 'The field is tls.handshake.type; join two comparisons with ||.',
  right: 'tls.handshake.type == 1 || tls.handshake.type == 2',
  wrong: 'tls.handshake.type == 1',
});

const roundTrips: Exercise<unknown> = {
  after: "ServerHello: the server's selection and its key share",
  title: 'Count the round trips',
  kind: 'answer',
  expects: 'a number of round trips',
  task: "After TCP's handshake, how many round trips does the TLS 1.3 handshake take before the client may send its HTTP request?",
  grade: (answer) => gradeNumber(answer, 1),
  hint: 'The client sends its key share in the ClientHello, so the server can answer with everything at once.',
  answer: "1: ClientHello out, the server's whole flight back; the client's Finished travels with its request.",
  right: '1',
  wrong: '2',
};

export const tls13Exercises: readonly Exercise<unknown>[] = [roundTrips, plaintext];
