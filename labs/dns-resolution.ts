// Lab: a study guide's DNS flow on real sockets. A stub asks netlab's recursive resolver for
// www.example.com; the resolver walks root (127.53.0.1) -> .com (127.53.0.2) -> example.com
// (127.53.0.3) and the lab prints the timeline it measured beside a study guide's; the same question again
// is answered from the cache with the TTL counting down; a 2-second record runs out and the next
// question reaches the authoritative server again; NXDOMAIN is cached for the SOA's minimum (RFC 2308)
// and the second NXDOMAIN asks no server.

import { RecursiveServer } from '../src/dns/index.ts';
import { Resolver } from '../src/dns/index.ts';
import type { QueryResult, ResolverEvent } from '../src/dns/index.ts';
import { SocketTransport } from '../src/dns/index.ts';
import { DnsCache, type CacheRow } from '../src/dns/index.ts';
import { defineLab, ownTime, treeFigure, type TreeFigure, type TreeNode, type TreeRecord } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { tsharkFields, tsharkInstalled } from '../src/lab/index.ts';
import type { StepContext } from '../src/lab/index.ts';
import { rdataText } from '../src/wire/index.ts';
import { DNS_RCODE, DNS_TYPE, dnsRcodeName, dnsTypeName, type DnsMessage, type DnsRecord } from '../src/wire/index.ts';
import { CACHE_HEAD, cacheRow, cacheRows, cacheTable } from './dns/cache-table.ts';
import { dnsStepCapture, TapSwitch } from './dns/capture.ts';
import { startHierarchy } from './dns/servers.ts';
import {
  AUTH_ADDRESS,
  AUTH_NAME,
  RESOLVER_ADDRESS,
  ROOT_ADDRESS,
  ROOT_NAME,
  SEED,
  seedServers,
  STUB_ADDRESS,
  TLD_ADDRESS,
  TLD_NAME,
} from './dns/seed-zones.ts';
import { sleep, Stub } from '../src/dns/index.ts';
import { TimedTransport } from '../src/dns/index.ts';
import { need } from './common/need.ts';
import { dnsResolutionExercises } from './dns-resolution/exercises.ts';
import type { Net, State } from './dns-resolution/state.ts';

const { A, AAAA } = DNS_TYPE;

/** A study guide's timeline of a first lookup, per step (ms since the stub asked). */
const SEED_TIMELINE: Record<string, string> = { [ROOT_ADDRESS]: '20-100', [TLD_ADDRESS]: '100-150', [AUTH_ADDRESS]: '150-200' };
const WHO: Record<string, string> = {
  [ROOT_ADDRESS]: `root (${ROOT_NAME})`,
  [TLD_ADDRESS]: `.com TLD (${TLD_NAME})`,
  [AUTH_ADDRESS]: `authoritative (${AUTH_NAME})`,
};

export type { Net, State } from './dns-resolution/state.ts';

const ms = (v: number): string => v.toFixed(2);
const addresses = (m: DnsMessage): string[] => m.answers.filter((r) => r.type === A).map((r) => rdataText(r.data));
const answerText = (r: DnsRecord): string => `${r.name} ${r.ttl} ${dnsTypeName(r.type)} ${rdataText(r.data)}`;
const message = (r: QueryResult, what: string): DnsMessage => {
  if (!r.ok) throw new Error(`${what}: no answer (${r.reason})`);
  return r.message;
};
const referrals = (events: readonly ResolverEvent[]): string[] => events.flatMap((e) => (e.kind === 'referral' ? [`${e.from} -> ${e.to}`] : []));
const authCount = (net: Net, name: string): number => (net.asked.get(AUTH_ADDRESS) ?? []).filter((n) => n.toLowerCase() === name).length;

/** Captures this step's traffic (stub and resolver) into FILE, with the servers' port shown as 53. */
function captureStep(ctx: StepContext<State>, net: Net, file: string, options: Parameters<typeof dnsStepCapture>[2]): string {
  const cap = dnsStepCapture(ctx, file, options, () => [net.hierarchy.port, net.recursive.port]);
  ctx.state.taps.current = cap.tap;
  ctx.onStepEnd(() => {
    ctx.state.taps.current = undefined;
  });
  ctx.state.captures.push(cap.absolutePath);
  return cap.absolutePath;
}

/**
 * The referral chain as a tree for the lab page (root, then TLD, then the authoritative server, each
 * with the records it sent back) and the cache they filled, every TTL counting down from the run's
 * own times. The terminal prints nothing more: the tables above hold the same records.
 */
function referralTree(steps: ReturnType<Net['timed']['since']>, cache: CacheRow[]): TreeFigure {
  const now = Date.now();
  const nodes = steps.map((s, i): TreeNode => {
    const records: TreeRecord[] = [];
    if (s.result.ok) {
      const msg = s.result.message;
      const add = (section: TreeRecord['section'], rs: readonly DnsRecord[]): void => {
        for (const r of rs) records.push({ section, name: r.name || '.', type: dnsTypeName(r.type), ttl: r.ttl, data: rdataText(r.data) });
      };
      add('answer', msg.answers);
      add('authority', msg.authorities);
      add('additional', msg.additionals);
    }
    const prev = steps[i - 1]?.result;
    const zone = prev?.ok === true ? prev.message.authorities[0]?.name : undefined;
    return {
      label: WHO[s.server] ?? s.server,
      detail: s.server,
      at: performance.timeOrigin + s.done,
      ...(i === 0 ? {} : { parent: i - 1, edge: `referral: ${zone ?? '?'}` }),
      records,
    };
  });
  const entries = cache.map((r) => ({ name: r.name || '.', type: r.type, data: r.data, ttl: r.ttl, expires: now + r.ttl * 1000 }));
  return treeFigure(`The referrals for ${SEED.name} and the cache they filled`, nodes, { title: "The resolver's cache", entries }, '');
}

function showCache(ctx: StepContext<State>, net: Net, title: string): void {
  ctx.show.table(CACHE_HEAD, cacheTable(net.resolver.cache), { title });
}

export default defineLab<State>({
  ...LAB_INFO['dns-resolution'],
  state: () => ({ taps: new TapSwitch(), captures: [], confirm: [] }),
  exercises: dnsResolutionExercises,
  steps: [
    {
      title: 'A root, a TLD, an authoritative server and a recursive resolver on loopback',
      explain:
        "A study guide's chain is browser cache -> OS cache -> recursive resolver -> root -> TLD -> authoritative. The lab\n" +
        `runs each server on its own loopback address: the root on ${ROOT_ADDRESS}, the .com TLD on ${TLD_ADDRESS},\n` +
        `example.com's authoritative server on ${AUTH_ADDRESS}, netlab's recursive resolver on ${RESOLVER_ADDRESS}, and the\n` +
        `stub (what the OS runs) asks from ${STUB_ADDRESS}. The resolver's only starting point is its root hint,\n` +
        `${ROOT_ADDRESS}: nothing here reaches the internet. Port 53 needs root, so every server listens on one port the\n` +
        'kernel gave the first of them (captures show it as 53).',
      async run(ctx) {
        const hierarchy = await startHierarchy(seedServers());
        ctx.onLabEnd(() => hierarchy.close());
        const asked = new Map<string, string[]>();
        for (const [address, server] of hierarchy.servers) {
          asked.set(address, []);
          server.on('query', (q) => asked.get(address)?.push(q.name ?? ''));
        }
        const jump = { ms: 0 };
        const cache = new DnsCache({ clock: { now: () => Date.now() + jump.ms } });
        const timed = new TimedTransport(new SocketTransport({ localAddress: RESOLVER_ADDRESS, timeoutMs: 2000, tap: ctx.state.taps }));
        const resolver = new Resolver({
          rootHints: [{ name: ROOT_NAME, address: ROOT_ADDRESS, port: hierarchy.port }],
          port: hierarchy.port,
          transport: timed,
          cache,
        });
        const seen: Pick<Net, 'last' | 'lastFromCache'> = {};
        const clients: Net['clients'] = [];
        const recursive = new RecursiveServer({
          resolver,
          address: RESOLVER_ADDRESS,
          onQuery: (q) => {
            clients.push({ client: q.client, name: q.name });
            seen.last = q.result;
            seen.lastFromCache = q.result === undefined ? true : q.result.fromCache;
          },
        });
        await recursive.start();
        ctx.onLabEnd(() => recursive.close());
        const stub = new Stub(STUB_ADDRESS, () => ({ address: RESOLVER_ADDRESS, port: recursive.port }), ctx.state.taps);
        const net: Net = Object.assign(seen, { hierarchy, resolver, timed, jump, asked, recursive, stub, clients });
        ctx.state.net = net;
        ctx.show.table(
          ['role', 'name', 'address', 'port', 'serves'],
          [
            ['root', ROOT_NAME, ROOT_ADDRESS, hierarchy.port, '. (delegates com.)'],
            ['TLD', TLD_NAME, TLD_ADDRESS, hierarchy.port, 'com. (delegates example.com.)'],
            ['authoritative', AUTH_NAME, AUTH_ADDRESS, hierarchy.port, 'example.com.'],
            ['recursive resolver', 'netlab', RESOLVER_ADDRESS, net.recursive.port, 'anyone (RD=1), from its cache or by asking'],
            ['stub', 'the OS', STUB_ADDRESS, '(ephemeral)', ''],
          ],
        );
        ctx.check.equal(
          'the three authoritative servers share one port',
          [...hierarchy.servers.values()].map((s) => s.port),
          [hierarchy.port, hierarchy.port, hierarchy.port],
        );
        ctx.check.equal("the resolver's cache starts empty", net.resolver.cache.size, 0);
      },
    },
    {
      title: 'The first lookup: root -> TLD -> authoritative, timed',
      explain:
        `The stub asks the resolver for ${SEED.name} A with RD=1 (recursion desired). The resolver knows nothing yet:\n` +
        'it asks the root, which refers it to the .com servers (NS with glue addresses), asks the .com server, which\n' +
        `refers it to example.com's server, and asks that one, which answers with authority: ${SEED.name} is a CNAME\n` +
        `for ${SEED.target}, whose A record is ${SEED.address} (TTL ${SEED.ttl}). A study guide's timeline: root 20-100 ms, TLD\n` +
        '100-150 ms, authoritative 150-200 ms. Here each step is measured.',
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        // A known state, whatever the learner asked during the pause: an empty cache, no question counted yet.
        net.resolver.cache.clear();
        for (const names of net.asked.values()) names.length = 0;
        const path = captureStep(ctx, net, 'dns-resolution-first', {
          filter: 'dns',
          frames: 8,
          about: "the stub's question, the resolver's three questions and their answers, the stub's answer",
          also: [
            { filter: 'dns.flags.authoritative == 1', frames: 1, about: "the one authoritative answer, from example.com's server" },
            {
              filter: 'dns.flags.response == 1 && dns.count.answers == 0 && dns.count.auth_rr > 0',
              frames: 2,
              about: 'the two referrals: NS records in the authority section, glue in the additional section',
            },
            {
              filter: 'dns.flags.recdesired == 1 && dns.flags.response == 0',
              frames: 1,
              about: "the stub's question (RD=1); the resolver's own questions have RD=0",
            },
          ],
        });
        const before = net.timed.log.length;
        const took = ownTime();
        const t0 = performance.now();
        const r = await net.stub.ask(SEED.name, A);
        // Stub, resolver and servers all run in this process: the lookup's own time is the CPU the process
        // used plus the time its event loop waited idle (for a timer or a socket). Time the machine gave
        // the process no CPU (other processes had it) is in neither; a resolver that computes, or waits
        // (a timeout, a retry), still shows.
        const own = took();
        const m = message(r.result, "the stub's question");
        const steps = net.timed.since(before);
        ctx.state.cachedAt = performance.now();
        const result = need(net.last, "the resolver's account of the lookup");
        ctx.show.text(`;; ANSWER SECTION (to the stub, RA=${m.flags.ra ? 1 : 0}, AA=${m.flags.aa ? 1 : 0}):\n${m.answers.map(answerText).join('\n')}`);
        ctx.show.table(
          ['step', 'asked', 'question', 'what came back', 'a study guide (ms)', "measured (ms from the stub's question)", 'took (ms)'],
          steps.map((s, i) => [
            i + 1,
            `${WHO[s.server] ?? s.server}`,
            `${s.name} ${dnsTypeName(s.type)}`,
            s.result.ok
              ? s.result.message.flags.aa
                ? `answer (AA), ${s.result.message.answers.length} records`
                : `referral: ${s.result.message.authorities.map((x) => `${x.name} NS ${rdataText(x.data)}`).join(', ')}`
              : s.result.reason,
            SEED_TIMELINE[s.server] ?? '',
            `${ms(s.sent - t0)}-${ms(s.done - t0)}`,
            ms(s.done - s.sent),
          ]),
          { title: 'The timeline, step by step' },
        );
        const bar = (label: string, parts: string[]): string => `${label.padEnd(10)}0 ms - ${parts.join(' - ')}`;
        ctx.show.text(
          [
            bar('study guide:', ['root 20-100', 'TLD 100-150', 'authoritative 150-200', `answer ${SEED.address}`]),
            bar('measured:', [
              ...steps.map((s) => `${(WHO[s.server] ?? s.server).split(' ')[0]} ${ms(s.sent - t0)}-${ms(s.done - t0)}`),
              `answer at ${ms(r.ms)}`,
            ]),
            '',
            `Loopback is about ${Math.round(200 / Math.max(r.ms, 0.001))} times faster. A study guide's hops are real distances: light in fibre covers about 200 km`,
            'per ms, so a 50 ms round trip is thousands of kilometres, plus routers and queues on the way. On loopback a',
            "datagram is a copy inside one kernel; what is left is software: the kernel's socket calls and Node's event loop.",
          ].join('\n'),
        );
        ctx.show.sequence({
          title: 'Who asked whom',
          participants: ['stub', 'resolver', 'root', 'TLD', 'authoritative'],
          messages: [
            { from: 'stub', to: 'resolver', label: `${SEED.name} A? RD=1`, time: '0.00 ms' },
            ...steps.flatMap((s) => {
              const to = s.server === ROOT_ADDRESS ? 'root' : s.server === TLD_ADDRESS ? 'TLD' : 'authoritative';
              const back = s.result.ok
                ? s.result.message.flags.aa
                  ? `${SEED.address} (AA)`
                  : `referral ${s.result.message.authorities[0]?.name ?? ''}`
                : 'no answer';
              return [
                { from: 'resolver', to, label: `${s.name} A?`, time: `${ms(s.sent - t0)} ms` },
                { from: to, to: 'resolver', label: back, time: `${ms(s.done - t0)} ms` },
              ];
            }),
            { from: 'resolver', to: 'stub', label: `${SEED.address} RA=1`, time: `${ms(r.ms)} ms` },
          ],
        });
        ctx.show.figure(referralTree(steps, cacheRows(net.resolver.cache)));
        ctx.check.equal("the stub gets a study guide's address", addresses(m), [SEED.address]);
        ctx.check.equal(
          `with the CNAME first: ${SEED.name} -> ${SEED.target}`,
          m.answers.map((x) => `${x.name} ${dnsTypeName(x.type)} ${rdataText(x.data)}`),
          [`${SEED.name} CNAME ${SEED.target}.`, `${SEED.target} A ${SEED.address}`],
        );
        ctx.check.equal('the resolver answers with RA=1 and AA=0 (it is not the authority)', [m.flags.ra, m.flags.aa], [true, false]);
        ctx.check.equal(
          'the resolver asked root, then TLD, then the authoritative server',
          steps.map((s) => s.server),
          [ROOT_ADDRESS, TLD_ADDRESS, AUTH_ADDRESS],
        );
        ctx.check.equal('following two referrals: . -> com -> example.com', referrals(result.events), ['. -> com', 'com -> example.com']);
        ctx.check.equal(
          'only the last answer is authoritative',
          steps.map((s) => s.result.ok && s.result.message.flags.aa),
          [false, false, true],
        );
        if (r.ms - own.ownMs >= 1)
          ctx.show.text(
            `The machine is busy: of the ${ms(r.ms)} ms, the lookup itself took ${ms(own.ownMs)} ms (${ms(own.cpuMs)} ms of CPU for the stub, the\n` +
              `resolver and the three servers, ${ms(own.idleMs)} ms waiting for a datagram or a timer); the rest, netlab waited for a CPU.`,
          );
        ctx.check.between(
          "the whole lookup on loopback took less than a study guide's 200 ms (CPU + waiting)",
          Math.round(own.ownMs * 100) / 100,
          0,
          200,
          'ms',
        );
        ctx.state.confirm.push({
          path,
          what: "who asked whom: the stub, then root, TLD and authoritative, then the stub's answer",
          fields: ['ip.src', 'ip.dst', 'dns.flags.response', 'dns.flags.authoritative', 'dns.qry.name'],
          filter: () => true,
          expected: [
            [STUB_ADDRESS, RESOLVER_ADDRESS, '0', '', SEED.name],
            ...[ROOT_ADDRESS, TLD_ADDRESS, AUTH_ADDRESS].flatMap((a) => [
              [RESOLVER_ADDRESS, a, '0', '', SEED.name],
              [a, RESOLVER_ADDRESS, '1', a === AUTH_ADDRESS ? '1' : '0', SEED.name],
            ]),
            [RESOLVER_ADDRESS, STUB_ADDRESS, '1', '0', SEED.name],
          ],
        });
      },
    },
    {
      title: 'The same question again: from the cache, with the TTL counting down',
      explain:
        `The resolver keeps what it learned for as long as each record's TTL allows (${SEED.ttl} s here, a study guide's number). Asked\n` +
        "again a second later, it answers at once, asks no server, and hands out the TTL that is left: the stub's own\n" +
        'cache may keep the answer only as long as the resolver still would. The lab waits a real second between\n' +
        'questions: the TTL goes down by one each time.',
      timeoutMs: 15_000,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const cachedAt = need(ctx.state.cachedAt, 'the first lookup');
        const path = captureStep(ctx, net, 'dns-resolution-cache', {
          filter: 'dns.flags.response == 1',
          frames: 2,
          about: 'two answers from the cache: compare dns.resp.ttl',
          also: [
            {
              filter: `ip.addr == ${ROOT_ADDRESS} || ip.addr == ${TLD_ADDRESS} || ip.addr == ${AUTH_ADDRESS}`,
              frames: 0,
              about: 'nothing: no server was asked',
            },
          ],
        });
        const before = net.timed.log.length;
        const rows: (string | number)[][] = [];
        const ttls: number[] = [];
        let fromCache = true;
        const hitsSeen: string[] = [];
        // When each question was asked and answered (the cache reads its clock in between).
        const asked: { from: number; to: number }[] = [];
        for (let i = 0; i < 2; i++) {
          await sleep(1000, ctx.signal);
          const from = performance.now();
          const r = await net.stub.ask(SEED.name, A);
          asked.push({ from, to: performance.now() });
          const m = message(r.result, "the stub's question");
          const ttl = m.answers.find((x) => x.type === A)?.ttl ?? -1;
          ttls.push(ttl);
          fromCache &&= net.lastFromCache === true;
          if (net.last !== undefined) hitsSeen.push(...net.last.events.flatMap((e) => (e.kind === 'cache-hit' ? [`${e.name} ${dnsTypeName(e.type)}`] : [])));
          rows.push([ms((performance.now() - cachedAt) / 1000), addresses(m).join(', '), ttl, ms(r.ms)]);
        }
        ctx.show.table(['seconds since the first answer', 'answer', 'TTL the stub got', 'answered in (ms)'], rows);
        showCache(ctx, net, "The resolver's cache now");
        const hits = hitsSeen.slice(0, 2);
        ctx.check.equal('no server was asked again', net.timed.log.length - before, 0);
        ctx.check.ok('both answers came from the cache', fromCache, fromCache ? 'fromCache on both' : 'a server was asked');
        ctx.check.equal('the resolver followed the cached CNAME to the cached A record', hits, [`${SEED.name} CNAME`, `${SEED.target} A`]);
        // The second answer came at least 1 s after the first, and a loaded machine may make it more: the
        // TTL must drop by the whole seconds that passed (from the shortest to the longest the gap could be).
        const fewest = Math.floor((asked[1].from - asked[0].to) / 1000);
        const most = Math.ceil((asked[1].to - asked[0].from) / 1000);
        const least = Math.max(1, fewest);
        const drop = ttls[0] - ttls[1];
        ctx.check.ok(
          `the TTL counts down from ${SEED.ttl}, one per second that passed`,
          ttls[0] < SEED.ttl && drop >= least && drop <= most,
          `${ttls.join(', then ')}, ${drop} less`,
          `below ${SEED.ttl}, then ${least >= most ? least : `${least} to ${most}`} less`,
        );
        ctx.state.confirm.push({
          path,
          what: 'the TTLs in the two answers from the cache (CNAME and A)',
          fields: ['dns.resp.ttl'],
          filter: (row) => row[0] !== '',
          expected: ttls.map((t) => [`${t},${t}`]),
        });
      },
    },
    {
      title: 'A TTL runs out: the next question goes to the authoritative server again',
      explain:
        `${SEED.shortName} has a TTL of ${SEED.shortTtl} s. Its first lookup reaches example.com's server (the resolver already holds the\n` +
        'delegation of example.com, so it skips root and TLD). The lab waits a real 2.2 s: the entry leaves the cache,\n' +
        'and the same question reaches the authoritative server again. That is all "DNS propagation" is: old answers\n' +
        'living out their TTLs in caches.',
      timeoutMs: 15_000,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const path = captureStep(ctx, net, 'dns-resolution-ttl', {
          filter: `dns.qry.name == "${SEED.shortName}" && ip.src == ${AUTH_ADDRESS}`,
          frames: 2,
          about: 'the authoritative server answers twice, once per expiry',
          also: [{ filter: `dns.resp.ttl == ${SEED.shortTtl}`, frames: 'some', about: `the ${SEED.shortTtl}-second TTL` }],
        });
        const before = authCount(net, SEED.shortName);
        const first = await net.stub.ask(SEED.shortName, A);
        const m1 = message(first.result, 'the first question');
        const firstSteps = (net.last?.events ?? []).flatMap((e) => (e.kind === 'query' ? [e.server.address] : []));
        showCache(ctx, net, `After the first lookup: ${SEED.shortName} has ${SEED.shortTtl} s`);
        const held = cacheRow(net.resolver.cache, SEED.shortName, 'A');
        await sleep(2200, ctx.signal);
        showCache(ctx, net, 'After 2.2 s');
        const gone = cacheRow(net.resolver.cache, SEED.shortName, 'A');
        const second = await net.stub.ask(SEED.shortName, A);
        const m2 = message(second.result, 'the second question');
        const after = authCount(net, SEED.shortName);
        ctx.show.table(
          ['lookup', 'answer', 'TTL', 'authoritative server asked'],
          [
            ['first', addresses(m1).join(', '), m1.answers[0]?.ttl ?? '', 'yes'],
            ['after 2.2 s', addresses(m2).join(', '), m2.answers[0]?.ttl ?? '', after - before === 2 ? 'yes, again' : 'no'],
          ],
        );
        ctx.check.equal("the first lookup asked only example.com's server (the delegation was cached)", firstSteps, [AUTH_ADDRESS]);
        ctx.check.equal(`the cache held it with ${SEED.shortTtl} s`, held?.ttl, SEED.shortTtl);
        ctx.check.equal('2.2 s later the entry is gone from the cache', gone, undefined);
        ctx.check.equal('a query reached the authoritative server again', after - before, 2);
        ctx.check.equal('the answer is the same address, with the full TTL again', [addresses(m2), m2.answers[0]?.ttl], [[SEED.shortAddress], SEED.shortTtl]);
        ctx.state.confirm.push({
          path,
          what: `the authoritative answers for ${SEED.shortName} (TTL)`,
          fields: ['ip.src', 'dns.resp.ttl'],
          filter: (row) => row[0] === AUTH_ADDRESS,
          expected: [
            [AUTH_ADDRESS, String(SEED.shortTtl)],
            [AUTH_ADDRESS, String(SEED.shortTtl)],
          ],
        });
      },
    },
    {
      title: "NXDOMAIN, cached for the SOA's minimum",
      explain:
        `${SEED.missing} does not exist. example.com's server says NXDOMAIN and puts the zone's SOA in the authority\n` +
        `section. In the zone the SOA has TTL ${SEED.soaTtl} and MINIMUM ${SEED.negativeTtl}; in a negative answer its TTL is min(${SEED.soaTtl}, ${SEED.negativeTtl}) =\n` +
        `${SEED.negativeTtl} (RFC 2308 §3). The authoritative server caches nothing: the resolver keeps the "no" for that long (§5),\n` +
        'for every type of the name. A second question, even for AAAA, asks no server. To see the entry end without\n' +
        `waiting five minutes, the lab then moves the cache's clock ${SEED.negativeTtl} s on.`,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const path = captureStep(ctx, net, 'dns-resolution-nxdomain', {
          filter: 'dns.flags.rcode == 3',
          frames: 5,
          about: 'NXDOMAIN: from the authoritative server twice (before and after the negative TTL), to the stub three times',
          also: [{ filter: `dns.soa.minimum_ttl == ${SEED.negativeTtl}`, frames: 'some', about: 'the SOA whose MINIMUM sets the negative TTL' }],
        });
        const before = authCount(net, SEED.missing);
        const logStart = net.timed.log.length;
        const first = await net.stub.ask(SEED.missing, A);
        const m1 = message(first.result, 'the first question');
        const soa = m1.authorities.find((r) => r.data.type === 'SOA');
        const neg = cacheRow(net.resolver.cache, SEED.missing, '*');
        showCache(ctx, net, 'After the first NXDOMAIN: the name\'s negative entry ("*": every type)');
        const logBefore = net.timed.log.length;
        const second = await net.stub.ask(SEED.missing, AAAA);
        const m2 = message(second.result, 'the second question');
        const secondQueries = net.timed.log.length - logBefore;
        const secondAuth = authCount(net, SEED.missing) - before;
        net.jump.ms += SEED.negativeTtl * 1000;
        const expired = cacheRow(net.resolver.cache, SEED.missing, '*');
        showCache(ctx, net, `The cache's clock moved ${SEED.negativeTtl} s on: the negative entry is gone (the others are ${SEED.negativeTtl} s older)`);
        const third = await net.stub.ask(SEED.missing, A);
        const m3 = message(third.result, 'the third question');
        const thirdAuth = authCount(net, SEED.missing) - before;
        ctx.show.table(
          ['question', 'answer', "asked example.com's server"],
          [
            [`${SEED.missing} A`, dnsRcodeName(m1.flags.rcode), 'yes'],
            [`${SEED.missing} AAAA, at once`, dnsRcodeName(m2.flags.rcode), secondQueries === 0 ? 'no: from the negative cache' : 'yes'],
            [`${SEED.missing} A, ${SEED.negativeTtl} s later`, dnsRcodeName(m3.flags.rcode), thirdAuth === 2 ? 'yes, again' : 'no'],
          ],
        );
        const soaData = soa?.data.type === 'SOA' ? soa.data : undefined;
        ctx.check.equal("the answer is NXDOMAIN with the zone's SOA", [dnsRcodeName(m1.flags.rcode), soa?.name], ['NXDOMAIN', 'example.com']);
        const authSoa = need(
          net.timed.since(logStart).find((q) => q.server === AUTH_ADDRESS && q.result.ok),
          'the authoritative answer',
        );
        const wireSoa = authSoa.result.ok ? authSoa.result.message.authorities.find((r) => r.data.type === 'SOA') : undefined;
        ctx.check.equal(
          `the server's SOA: MINIMUM ${SEED.negativeTtl}, TTL min(${SEED.soaTtl}, ${SEED.negativeTtl}) (RFC 2308 §3)`,
          [wireSoa?.ttl, soaData?.minimum],
          [SEED.negativeTtl, SEED.negativeTtl],
        );
        ctx.check.equal(`the resolver caches the "no" for min(${SEED.soaTtl}, ${SEED.negativeTtl}) = ${SEED.negativeTtl} s`, neg?.ttl, SEED.negativeTtl);
        ctx.check.equal('the second NXDOMAIN (AAAA) asked no server', [dnsRcodeName(m2.flags.rcode), secondQueries, secondAuth], ['NXDOMAIN', 0, 1]);
        ctx.check.equal('after the negative TTL the entry is gone', expired, undefined);
        ctx.check.equal('and the next question reaches the authoritative server again', [dnsRcodeName(m3.flags.rcode), thirdAuth], ['NXDOMAIN', 2]);
        ctx.check.equal(
          'three answers to the stub, all NXDOMAIN',
          [m1, m2, m3].map((m) => m.flags.rcode),
          [DNS_RCODE.NXDOMAIN, DNS_RCODE.NXDOMAIN, DNS_RCODE.NXDOMAIN],
        );
        ctx.state.confirm.push({
          path,
          what: 'where the NXDOMAINs came from',
          fields: ['ip.src', 'ip.dst', 'dns.flags.rcode'],
          filter: (row) => row[2] === '3',
          expected: [
            [AUTH_ADDRESS, RESOLVER_ADDRESS, '3'],
            [RESOLVER_ADDRESS, STUB_ADDRESS, '3'],
            [RESOLVER_ADDRESS, STUB_ADDRESS, '3'],
            [AUTH_ADDRESS, RESOLVER_ADDRESS, '3'],
            [RESOLVER_ADDRESS, STUB_ADDRESS, '3'],
          ],
        });
      },
    },
    {
      title: 'What Wireshark says',
      explain:
        'tshark reads each capture: the same questions and answers, from and to the same addresses, the TTLs counting\n' +
        "down, the NXDOMAINs, and not one malformed packet. Each query carries a comment with the resolver's step and\n" +
        'why it was sent; each answer, why it was taken (Wireshark: Statistics > Capture File Properties, or frame.comment).',
      run(ctx) {
        if (!tsharkInstalled()) {
          ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
          return;
        }
        for (const c of ctx.state.confirm) {
          const rows = tsharkFields(c.path, c.fields).filter(c.filter);
          ctx.show.table(c.fields, rows, { title: `tshark: ${c.what} (${c.path.split('/').pop() ?? c.path})` });
          ctx.check.equal(`tshark: ${c.what}`, rows, c.expected);
        }
        const first = ctx.state.captures[0];
        if (first !== undefined) {
          const notes = tsharkFields(first, ['frame.comment'])
            .map((r) => r[0] ?? '')
            .filter((n) => n.startsWith('resolver step'));
          ctx.check.equal(
            "tshark: the resolver's three steps are the comments of its queries",
            notes.map((n) => n.replace(/ \(after:.*$/, '')),
            [
              `resolver step 1: ${SEED.name} A to ${ROOT_NAME} (${ROOT_ADDRESS}) for zone .`,
              `resolver step 2: ${SEED.name} A to ${TLD_NAME} (${TLD_ADDRESS}) for zone com`,
              `resolver step 3: ${SEED.name} A to ${AUTH_NAME} (${AUTH_ADDRESS}) for zone example.com`,
            ],
          );
        }
        const malformed = ctx.state.captures.flatMap((p) =>
          tsharkFields(p, ['frame.number', '_ws.malformed'])
            .filter((r) => (r[1] ?? '') !== '')
            .map((r) => `${p} frame ${r[0]}`),
        );
        ctx.check.equal(`tshark finds no malformed packet in the ${ctx.state.captures.length} captures`, malformed, []);
      },
    },
  ],
});
