// The tls-termination lab's exercises: find, on the backend side of the capture, the request whose
// client forged X-Forwarded-For (and see what the proxy wrote instead), and say what the client got
// when the proxy refused the upstream's certificate.

import { filterExercise, gradeNumber, type Exercise } from '../../src/lab/index.ts';

export interface TerminationExerciseState {
  /** The status the client got when the upstream's certificate named another host. */
  mismatchStatus?: number;
}

const forged = filterExercise<TerminationExerciseState>({
  after: 'Where TLS ends: the proxy decrypts, the backend reads plain HTTP',
  title: 'Find what the backend received for the forged request',
  file: 'termination',
  find:
    'The second client sent "X-Forwarded-For: 203.0.113.9" inside TLS, on the request for /whoami?id=2. Without the key ' +
    'log only the backend side is readable. Find that request as the backend got it, by the X-Forwarded-For the proxy wrote.',
  frames: { like: 'http.request.uri contains "id=2"' },
  hint: 'The proxy does not trust this client, so it dropped the forged value and wrote the address it saw: compare http.x_forwarded_for with "127.71.1.21".',
  right: 'http.x_forwarded_for == "127.71.1.21" && http.request.uri contains "id=2"',
  wrong: 'http.x_forwarded_for contains "203.0.113.9"',
});

const mismatch: Exercise<TerminationExerciseState> = {
  after: "TLS again to the upstream, verified against the lab's CA",
  title: "Who answered when the upstream's name did not match?",
  kind: 'answer',
  expects: 'an HTTP status code',
  task: 'With serverName db.netlab.test, the upstream presented a certificate for backend.netlab.test. The backend never saw a request. What status code did the client get, and from whom?',
  grade: (answer, ctx) => gradeNumber(answer.replace(/[^0-9]/g, '').slice(0, 3) || answer, ctx.state.mismatchStatus ?? -1),
  hint: 'The proxy could not open its upstream connection (its TLS client refused the certificate), so the proxy answers the client itself. Which status means "bad gateway"?',
  answer: (ctx) => `${ctx.state.mismatchStatus ?? 502}, written by the proxy: it refused the upstream's certificate, so no request reached the backend.`,
  right: (ctx) => String(ctx.state.mismatchStatus ?? 502),
  wrong: '495',
};

export const terminationExercises: readonly Exercise<TerminationExerciseState>[] = [forged, mismatch];
