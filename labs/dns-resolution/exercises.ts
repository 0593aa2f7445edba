// The dns-resolution lab's exercises: ask the lab's running resolver yourself with `netlab dig` (graded
// by the resolver's own log of who asked, and by its cache for the TTL you saw), and find the two
// referrals of the first lookup with a display filter.

import { Stub } from '../../src/dns/index.ts';
import type { Exercise } from '../../src/lab/index.ts';
import { parseNumber } from '../../src/lab/index.ts';
import { filterExercise } from '../../src/lab/index.ts';
import { rdataText } from '../../src/wire/index.ts';
import { DNS_TYPE } from '../../src/wire/index.ts';
import { need } from '../common/need.ts';
import { cacheRow } from '../dns/cache-table.ts';
import { RESOLVER_ADDRESS, SEED, STUB_ADDRESS } from '../dns/seed-zones.ts';
import type { State } from './state.ts';

/** Questions the recursive server had answered when the task was set. */
const marks = new WeakMap<object, number>();

const digCommand = (port: number): string => `netlab dig ${SEED.target} @${RESOLVER_ADDRESS} -p ${port}`;

const askResolver: Exercise<State> = {
  after: 'What Wireshark says',
  title: 'Ask the running resolver yourself',
  kind: 'command',
  expects: 'the TTL of the A record dig printed (seconds)',
  task: (ctx) => {
    const net = need(ctx.state.net, 'the servers');
    marks.set(ctx.state, net.clients.length);
    return (
      `The lab's resolver is still running. In a second terminal, ask it for ${SEED.target}:\n` +
      `  ${digCommand(net.recursive.port)}\n` +
      "Look at the ANSWER SECTION and type the TTL of the A record. The checker looks in the resolver's own log for your question, and in its cache for the TTL it had left."
    );
  },
  grade(answer, ctx) {
    const net = need(ctx.state.net, 'the servers');
    const mine = net.clients
      .slice(marks.get(ctx.state) ?? 0)
      .filter((q) => !q.client.startsWith(`${STUB_ADDRESS}#`) && q.name.toLowerCase().replace(/\.$/, '') === SEED.target);
    if (mine.length === 0)
      return {
        correct: false,
        feedback: `the resolver got no question for ${SEED.target} since the task was set: run ${digCommand(net.recursive.port)} first`,
      };
    const ttl = parseNumber(answer);
    const row = cacheRow(net.resolver.cache, SEED.target, 'A');
    const left = row === undefined ? undefined : Number(row.ttl);
    if (ttl === undefined) return { correct: false, feedback: `your question arrived (from ${mine[0].client}), but "${answer}" is not a number of seconds` };
    if (left === undefined || Number.isNaN(left)) return { correct: false, feedback: `the resolver has no A record for ${SEED.target} cached any more` };
    // The TTL dig saw was the cache's, a few seconds ago at most.
    if (ttl >= left && ttl <= Math.min(SEED.ttl, left + 120))
      return {
        correct: true,
        feedback: `your question came from ${mine[0].client}; the cache has ${left} s left, so ${ttl} s is what it said when you asked (it started at ${SEED.ttl})`,
      };
    return {
      correct: false,
      feedback: `your question arrived, but the cache has ${left} s left for that record: ${ttl} is not what dig printed (the TTL counts down from ${SEED.ttl})`,
    };
  },
  hint: `The TTL is the number after the name in the answer line: ${SEED.target}. TTL IN A ${SEED.address}. It counts down from ${SEED.ttl} since the resolver cached it.`,
  answer: (ctx) => {
    const row = ctx.state.net === undefined ? undefined : cacheRow(ctx.state.net.resolver.cache, SEED.target, 'A');
    return `run the dig command, then type the TTL it shows: about ${row?.ttl ?? SEED.ttl} now.`;
  },
  async right(ctx) {
    const net = need(ctx.state.net, 'the servers');
    const me = new Stub('127.0.0.1', () => ({ address: RESOLVER_ADDRESS, port: net.recursive.port }), undefined);
    const r = await me.ask(SEED.target, DNS_TYPE.A, "the scripted learner's dig");
    if (!r.result.ok) throw new Error(`the scripted learner got no answer: ${r.result.reason}`);
    const a = r.result.message.answers.find((x) => x.type === DNS_TYPE.A && rdataText(x.data) === SEED.address);
    if (a === undefined) throw new Error("the scripted learner's answer has no A record");
    return String(a.ttl);
  },
  // A TTL typed without asking: the log shows no question.
  wrong: String(SEED.ttl),
};

const referrals = filterExercise<State>({
  after: 'The first lookup: root -> TLD -> authoritative, timed',
  title: 'Find the two referrals',
  file: 'dns-resolution-first',
  find: 'The root and the .com server did not answer the question: they referred the resolver on, with NS records and no answer.',
  frames: { like: 'dns.flags.response == 1 && dns.count.answers == 0' },
  hint: 'A referral is a response (dns.flags.response == 1) with no record in its answer section: dns.count.answers counts them.',
  right: 'dns.flags.response == 1 && dns.count.answers == 0',
  wrong: 'dns.flags.response == 1',
});

export const dnsResolutionExercises: readonly Exercise<State>[] = [referrals, askResolver];
