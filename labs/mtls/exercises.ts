// The mtls lab's exercises: name the message with which a server asks for a client certificate, and
// find the segment that carries it (with the plaintext ServerHello) with a display filter.

import type { Exercise } from '../../src/lab/index.ts';
import { gradeChoice } from '../../src/lab/index.ts';
import { filterExercise } from '../../src/lab/index.ts';

const AFTER = 'serviceB calls serviceA: each side proves who it is';

const whichMessage: Exercise<unknown> = {
  after: AFTER,
  title: 'Which message asks the client for a certificate?',
  kind: 'answer',
  expects: 'a handshake message name',
  task: 'In one-way TLS only the server shows a certificate. In mutual TLS the server asks the client for one too. Which handshake message asks?',
  grade: (answer) => gradeChoice(answer.replace(/\s+/g, ''), ['CertificateRequest', '13'], 'message that asks'),
  hint: "It travels in the server's encrypted flight, between EncryptedExtensions and the server's own Certificate.",
  answer: 'CertificateRequest (handshake type 13).',
  right: 'CertificateRequest',
  wrong: 'Certificate',
};

const findHello = filterExercise({
  after: AFTER,
  title: 'Find the ServerHello',
  file: 'mtls-handshake',
  find: 'The CertificateRequest travels encrypted, in the same segment as the ServerHello, which is plaintext: find that segment (netlab decode reads the plaintext; Wireshark, with the key log in the file, shows the rest of the flight too).',
  frames: { like: 'tls.handshake.type == 2' },
  hint: 'Each handshake message has a type number in tls.handshake.type: ClientHello is 1, ServerHello 2.',
  right: 'tls.handshake.type == 2',
  wrong: 'tls.handshake.type == 1',
});

export const mtlsExercises: readonly Exercise<unknown>[] = [whichMessage, findHello];
