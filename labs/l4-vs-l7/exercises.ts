// The l4-vs-l7 lab's exercises: find the PROXY headers with a display filter, say how many backend
// connections a client that never sent a byte cost through the L4, and read the client's port from
// the PROXY v2 header.

import type { Exercise } from '../../src/lab/index.ts';
import { filterExercise, gradeNumber } from '../../src/lab/index.ts';
import { ADDR } from './balancers.ts';
import type { State } from './state.ts';

const headers = filterExercise<State>({
  after: "The client's address at the backend, with and without PROXY",
  title: 'Find the PROXY headers',
  file: 'client-address',
  find: `Two L4 balancers told the backend the client's address (${ADDR.client}) in a PROXY header, one in v1 text, one in v2 binary.`,
  frames: { like: 'proxy' },
  hint: `The PROXY protocol's fields start with proxy.: proxy.src.ipv4 is the client's address inside the header (ip.src is the sender of the packet).`,
  right: `proxy.src.ipv4 == ${ADDR.client}`,
  wrong: `ip.src == ${ADDR.client}`,
});

const silent: Exercise<State> = {
  after: 'The L4 chooses at the SYN, before any request byte exists',
  title: 'The client that never spoke',
  kind: 'answer',
  expects: 'a number',
  task: 'A client connected through the L4, waited, and closed without sending a byte. How many connections to a backend did the L4 open for it? (syn-l4.pcapng shows them: count the SYNs to the backend port.)',
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.syn?.silentL4 ?? Number.NaN),
  hint: 'The L4 connects upstream when it accepts the client, before it knows whether any byte will come.',
  answer: '1: the L4 chose a backend and connected at accept time; the L7 would have opened none.',
  right: (ctx) => String(ctx.state.syn?.silentL4 ?? ''),
  wrong: '0',
};

const port: Exercise<State> = {
  after: "The client's address at the backend, with and without PROXY",
  title: "The client's port, from the PROXY v2 header",
  kind: 'answer',
  expects: 'a port number',
  task: 'Through the L4 with PROXY v2, which source port did the client use? The backend only learns it from the header: find the v2 header in client-address.pcapng (proxy.version == 2) and read proxy.srcport.',
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.addr?.clientPort['L4+v2'] ?? Number.NaN),
  hint: 'netlab decode -r client-address.pcapng -Y "proxy.version == 2" -T fields -e proxy.srcport',
  answer: (ctx) => `${ctx.state.addr?.clientPort['L4+v2']}: the client's own port, copied into the header by the L4.`,
  right: (ctx) => String(ctx.state.addr?.clientPort['L4+v2'] ?? ''),
  wrong: (ctx) => String(ctx.state.proxied?.port ?? 1),
};

export const l4VsL7Exercises: readonly Exercise<State>[] = [silent, headers, port];
