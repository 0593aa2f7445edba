// The rate-limits-and-circuit-breakers lab's exercises: predict how many POSTs an empty 3-a-minute
// bucket lets through 45 s later (graded with the refill the proxy really announced in Retry-After);
// say how many requests a fixed window of 3 a minute accepts within 3 seconds (graded against the
// measured timeline); and find, in the breaker capture, the answers the proxy gave on its own.

import { type Exercise, filterExercise, gradeNumber } from '../../src/lab/index.ts';
import type { RateState } from './state.ts';

const TOKEN_STEP = 'POST /orders: a token bucket of 3 a minute';

const refill: Exercise<RateState> = {
  after: TOKEN_STEP,
  title: 'How many POSTs after 45 s?',
  kind: 'predict',
  expects: 'a number',
  task: 'Alice has just emptied the bucket (her last POST got 429). She waits 45 s and then POSTs as fast as she can. How many of her POSTs get 200 before the next 429? Use the Retry-After the proxy sent: it is the time one token takes to come back.',
  grade: (answer, ctx) => {
    const per = ctx.state.retryAfterS ?? 20;
    return gradeNumber(answer, Math.min(3, Math.floor(45 / per)));
  },
  hint: 'One token comes back every Retry-After seconds, and only whole tokens pay for a request; the bucket never holds more than 3.',
  answer: (ctx) => {
    const per = ctx.state.retryAfterS ?? 20;
    return `${Math.min(3, Math.floor(45 / per))}: 45 s / ${per} s a token = ${(45 / per).toFixed(2)} tokens; the fraction waits for the next one.`;
  },
  right: (ctx) => String(Math.min(3, Math.floor(45 / (ctx.state.retryAfterS ?? 20)))),
  wrong: '3',
};

const twice: Exercise<RateState> = {
  after: 'Fixed window, sliding log, sliding counter: one timeline',
  title: 'The most a fixed window lets through in 3 seconds',
  kind: 'answer',
  expects: 'a number',
  task: 'The fixed window allows 3 requests a minute. What is the most requests one client got accepted within 3 seconds of each other in the timeline above?',
  grade: (answer, ctx) => {
    const row = ctx.state.windows?.find((w) => w.algorithm === 'fixed window');
    return gradeNumber(answer, row?.most60 ?? 6);
  },
  hint: 'Look at 58 s and 61 s: the window boundary at 60 s is between them, and the counter starts again from 0 at a boundary.',
  answer: '6: 3 at 58 s (the end of one window) and 3 at 61 s (the start of the next): twice the limit in 3 seconds.',
  right: (ctx) => String(ctx.state.windows?.find((w) => w.algorithm === 'fixed window')?.most60 ?? 6),
  wrong: '3',
};

const ownAnswers = filterExercise<RateState>({
  after: 'A failing backend trips the breaker',
  title: 'Find the answers the proxy gave without asking the backend',
  file: 'breaker',
  find:
    'While the breaker was open the proxy answered at once, without a connection to pay1. ' +
    'The capture holds only the client side; find those answers (not the 500s the backend itself sent).',
  frames: { like: 'frame contains "X-Netlab-Overflow: breaker-open"' },
  hint: 'They have their own status code, one above the backend errors (http.response.code).',
  right: 'http.response.code == 503',
  wrong: 'http.response.code >= 500',
});

export const rateExercises: readonly Exercise<RateState>[] = [refill, twice, ownAnswers];
