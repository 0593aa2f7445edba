// The realtime-patterns lab's exercises: count the short polls that brought nothing, find the 101
// the proxy sent to the client (not the backend's copy) with a display filter, and recompute a
// Sec-WebSocket-Accept from its key.

import { createHash } from 'node:crypto';
import { filterExercise, gradeChoice, gradeNumber, type Exercise } from '../../src/lab/index.ts';
import { ADDR, type PatternResult, websocketAccept } from './patterns.ts';

export interface RealtimeState {
  results?: PatternResult[];
  shortRequests?: number;
  shortWasted?: number;
  heapPerPollKiB?: number;
  wsKey?: string;
  wsAccept?: string;
  bigFrames?: { deflate: number; plain: number };
}

const wasted: Exercise<RealtimeState> = {
  after: 'Short polling: ask every 50 ms, mostly for nothing',
  title: 'How many short polls were wasted?',
  kind: 'answer',
  expects: 'a number',
  task: (ctx) => `The client made ${ctx.state.shortRequests ?? '?'} short polls for six messages. How many of them brought no message at all?`,
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.shortWasted ?? -1),
  hint: 'Each poll that brought something is named in the "came in poll" column; the others answered [].',
  answer: (ctx) => `${ctx.state.shortWasted ?? '?'}: the requests minus the distinct polls in the "came in poll" column.`,
  right: (ctx) => String(ctx.state.shortWasted ?? 0),
  wrong: (ctx) => String(ctx.state.shortRequests ?? 99),
};

const clientSide101 = filterExercise<RealtimeState>({
  after: 'WebSocket: the 101, ping/pong, permessage-deflate',
  title: 'Find the 101s the client received',
  file: 'websocket',
  find:
    'Four frames carry "101 Switching Protocols": for each of the two connections, the backend\'s answer to the ' +
    `proxy and the proxy's answer to the client (${ADDR.client}).`,
  frames: { like: `http.response.code == 101 && ip.dst == ${ADDR.client}` },
  hint: "Start from http.response.code == 101 (four frames), then keep those going to the client's address (ip.dst).",
  right: `http.response.code == 101 && ip.dst == ${ADDR.client}`,
  wrong: 'http.response.code == 101',
});

const accept: Exercise<RealtimeState> = {
  after: 'WebSocket: the 101, ping/pong, permessage-deflate',
  title: 'Which Sec-WebSocket-Accept answers this key?',
  kind: 'answer',
  expects: 'a base64 value (28 characters)',
  task: (ctx) =>
    `The client sent Sec-WebSocket-Key: ${ctx.state.wsKey ?? '?'}. What Sec-WebSocket-Accept must the server answer? ` +
    '(RFC 6455 4.2.2: append 258EAFA5-E914-47DA-95CA-C5AB0DC85B11, SHA-1, base64 of the 20 bytes; ' +
    "e.g. printf '%s' KEY258EAFA5-E914-47DA-95CA-C5AB0DC85B11 | openssl sha1 -binary | base64)",
  grade: (answer, ctx) => gradeChoice(answer, [websocketAccept(ctx.state.wsKey ?? '')], 'Sec-WebSocket-Accept for that key'),
  hint: 'The key is used as text, not decoded from base64; the GUID goes after it with nothing between.',
  answer: (ctx) => websocketAccept(ctx.state.wsKey ?? ''),
  right: (ctx) => websocketAccept(ctx.state.wsKey ?? ''),
  // A common slip: hashing the key without the GUID.
  wrong: (ctx) =>
    createHash('sha1')
      .update(ctx.state.wsKey ?? '')
      .digest('base64'),
};

export const realtimeExercises: readonly Exercise<RealtimeState>[] = [wasted, clientSide101, accept];
