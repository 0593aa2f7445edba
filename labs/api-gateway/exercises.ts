// The api-gateway lab's exercises: select in the capture the responses that say the token itself was
// bad (invalid_token), not missing and not short of a scope (a display filter); and say how many
// charges the payments service made in the idempotency step (graded against its counter).

import { type Exercise, filterExercise, gradeNumber } from '../../src/lab/index.ts';
import type { GatewayState } from './state.ts';

const badTokens = filterExercise<GatewayState>({
  after: 'Bearer tokens: 401, 403, 200',
  title: 'Find the answers to tokens that did not verify',
  file: 'tokens',
  find:
    'Six requests asked for /orders/1001. Write a filter that selects only the responses to a token that was sent but did not verify ' +
    '(expired, forged, alg none): not the answer to the request with no token, not the 403.',
  frames: { like: 'http.response.code == 401 && http.www_authenticate contains "error="' },
  hint: 'All four 401s carry WWW-Authenticate, but RFC 6750 gives an error code only when a token was sent (Wireshark field http.www_authenticate).',
  right: 'http.www_authenticate contains "invalid_token"',
  wrong: 'http.response.code == 401',
});

const charges: Exercise<GatewayState> = {
  after: 'Idempotency keys: a retried payment is charged once',
  title: 'How many charges?',
  kind: 'answer',
  expects: 'a number',
  task: 'Six POST /payments went to the gateway in that step. How many charges did the payments service make?',
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.charges ?? -1),
  hint: 'Only a request with a new key reaches the service: count the keys that got through the first time.',
  answer:
    '2: pay-7f3a once (its retry was replayed, its other amount refused with 422) and pay-91c2 once (its copy got 409); the request without a key got 400.',
  right: '2',
  wrong: '5',
};

export const gatewayExercises: readonly Exercise<GatewayState>[] = [badTokens, charges];
