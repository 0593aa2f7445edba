// Lab: load balancing by DNS on real sockets. Round robin (the whole address set, rotated, answer after
// answer); geo answers by the client's region, and why a shared resolver hides the region unless it
// passes on a client subnet (RFC 7871); failover records whose addresses leave the answer when a web
// server's health check fails and come back when it passes, with a sorry server when all are down;
// and a study guide's warning: a resolver that cached the answer keeps handing out the dead address until
// the TTL runs out.

import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { tsharkFields, tsharkInstalled } from '../src/lab/index.ts';
import type { StepContext } from '../src/lab/index.ts';
import { visit } from './dns/backends.ts';
import { dnsStepCapture, TapSwitch } from './dns/capture.ts';
import { addressesOf, askAuth, countProbes, healthTurn, messageOf, startLbNet, stubAt, targetOf, type LbNet } from './dns/lb-net.ts';
import { AUTH_ADDRESS, AUTH_NAMES, HEALTH, LB, RESOLVER_ADDRESS, ROOT_ADDRESS, STUB_ADDRESS, TLD_ADDRESS } from './dns/lb-zones.ts';
import { sleep } from '../src/dns/index.ts';
import { need } from './common/need.ts';
import type { Confirm } from './dns/confirm.ts';
import { dnsLbExercises } from './dns-load-balancing/exercises.ts';

interface State {
  taps: TapSwitch;
  net?: LbNet;
  captures: string[];
  confirm: Confirm[];
  /** Rotation on the authoritative server (a test turns it off to see the checkpoints fail). */
  rotate: boolean;
}

const sorted = (a: readonly string[]): string[] => [...a].sort();
const secs = (ms: number): string => (ms / 1000).toFixed(2);
/** The list turned left by one: the order a rotating server gives next. */
const turned = (a: readonly string[]): string[] => [...a.slice(1), ...a.slice(0, 1)];
const HEALTH_WAIT_MS = 5000;

function captureStep(
  ctx: StepContext<State>,
  net: LbNet,
  file: string,
  options: Parameters<typeof dnsStepCapture>[2],
): { path: string; tap: ReturnType<typeof dnsStepCapture>['tap'] } {
  const cap = dnsStepCapture(ctx, file, options, () => [net.hierarchy.port, net.recursive.port]);
  ctx.state.taps.current = cap.tap;
  ctx.onStepEnd(() => {
    ctx.state.taps.current = undefined;
  });
  ctx.state.captures.push(cap.absolutePath);
  return { path: cap.absolutePath, tap: cap.tap };
}

export default defineLab<State>({
  ...LAB_INFO['dns-load-balancing'],
  state: () => ({ taps: new TapSwitch(), captures: [], confirm: [], rotate: true }),
  exercises: dnsLbExercises,
  steps: [
    {
      title: 'Web servers, name servers and a resolver on loopback',
      explain:
        `Three web servers: ${LB.east.name} on ${LB.east.address}, ${LB.west.name} on ${LB.west.address} and a "sorry" server on ${LB.sorry.address},\n` +
        `all on one port. One authoritative server on ${AUTH_ADDRESS} (${AUTH_NAMES}) serves ${LB.roundRobin} with a study guide's three\n` +
        `addresses (labels: nothing is sent to them), ${LB.geo} by region, and ${LB.web}: the two web servers,\n` +
        `health checked. The lab's own root (${ROOT_ADDRESS}) and .com (${TLD_ADDRESS}) lead netlab's recursive resolver\n` +
        `(${RESOLVER_ADDRESS}) there. Clients ask from ${LB.india.client} ("India"), ${LB.us.client} ("US") and ${STUB_ADDRESS}.`,
      async run(ctx) {
        const net = await startLbNet(ctx.state.taps, ctx.state.rotate);
        ctx.onLabEnd(() => net.close());
        ctx.state.net = net;
        const port = net.backends.port;
        ctx.show.table(
          ['what', 'address', 'port', 'serves'],
          [
            [LB.east.name, LB.east.address, port, `${LB.web} (health checked)`],
            [LB.west.name, LB.west.address, port, `${LB.web} (health checked)`],
            [LB.sorry.name, LB.sorry.address, port, `${LB.web} when both are down (the fallback)`],
            ['authoritative', AUTH_ADDRESS, net.hierarchy.port, `${LB.roundRobin}, mysite.com (views India ${LB.india.network}, US ${LB.us.network})`],
            ['root, .com', `${ROOT_ADDRESS}, ${TLD_ADDRESS}`, net.hierarchy.port, 'the way to the authoritative server'],
            ['recursive resolver', RESOLVER_ADDRESS, net.recursive.port, 'the stubs (RD=1), with a cache'],
          ],
        );
        ctx.show.text(
          `Health checks: a TCP connect to each address of ${LB.web} every ${HEALTH.intervalMs} ms, ${HEALTH.timeoutMs} ms to answer; down after ${HEALTH.fall} failures in a row, up again after ${HEALTH.rise} successes.`,
        );
        const answers = await Promise.all([LB.east, LB.west, LB.sorry].map((b) => visit(b.address, port)));
        ctx.check.equal(
          'each web server answers a TCP connection with its name',
          answers.map((a) => a.text),
          [LB.east, LB.west, LB.sorry].map((b) => `${b.name} (${b.address})`),
        );
        ctx.check.equal(
          'the authoritative server shares one port with root and .com',
          [...net.hierarchy.servers.values()].map((s) => s.port),
          [net.hierarchy.port, net.hierarchy.port, net.hierarchy.port],
        );
      },
    },
    {
      title: 'Round robin: the whole set, in a turning order',
      explain:
        `A study guide runs nslookup ${LB.roundRobin} and sees ${LB.googleAddresses.join(', ')} "in turn". Each answer holds\n` +
        'all three addresses; what turns is the order. Clients usually take the first, so each address gets about a third\n' +
        'of the new connections. A client asks the authoritative server six times. Then three stubs ask the recursive\n' +
        'resolver: it asks the server once, caches the set for its TTL and answers the others from its cache, in the order\n' +
        "it chooses (netlab's resolver keeps the order it was given; BIND and Unbound can shuffle, rrset-order and\n" +
        'rrset-roundrobin). Round robin knows nothing of load or health: a dead address stays in the rotation.',
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const { path, tap } = captureStep(ctx, net, 'dns-lb-round-robin', {
          filter: `dns.flags.response == 1 && ip.src == ${AUTH_ADDRESS} && dns.qry.name == "${LB.roundRobin}"`,
          frames: 7,
          about: "the authoritative server's answers: compare the order of the dns.a fields",
          also: [
            {
              filter: `dns.flags.response == 1 && ip.src == ${RESOLVER_ADDRESS}`,
              frames: 3,
              about: "the resolver's answers to the stubs (the last two from its cache)",
            },
          ],
        });
        const orders: string[][] = [];
        for (let i = 0; i < 6; i++)
          orders.push(
            addressesOf(
              messageOf(
                await askAuth(net, tap, STUB_ADDRESS, LB.roundRobin, undefined, `client ${STUB_ADDRESS}: ${LB.roundRobin} A, question ${i + 1} of 6`),
                'the round-robin question',
              ),
            ),
          );
        ctx.show.table(
          ['question', 'answer (in order)', 'a client connects to'],
          orders.map((o, i) => [i + 1, o.join(', '), o[0] ?? '']),
          { title: `${LB.roundRobin} A from the authoritative server` },
        );
        const firsts = LB.googleAddresses.map((a) => orders.filter((o) => o[0] === a).length);
        ctx.show.table(
          ['address', 'first in'],
          LB.googleAddresses.map((a, i) => [a, `${firsts[i]} of 6`]),
        );
        ctx.check.equal(
          'every answer holds the whole set, not one address',
          orders.map(sorted),
          orders.map(() => sorted(LB.googleAddresses)),
        );
        ctx.check.equal('each address comes first equally often: 2 times in 6', firsts, [2, 2, 2]);
        ctx.check.equal('each answer is the one before turned by one', orders.slice(1), orders.slice(0, -1).map(turned));
        const viaResolver: string[][] = [];
        for (const from of [STUB_ADDRESS, LB.india.client, LB.us.client]) {
          const m = messageOf((await stubAt(net, from, ctx.state.taps).ask(LB.roundRobin, 1)).result, "the stub's question");
          viaResolver.push(addressesOf(m));
        }
        const authAsked = net.authLog.filter((q) => q.client === RESOLVER_ADDRESS && q.name === LB.roundRobin).length;
        ctx.show.table(
          ['stub', 'answer from the resolver'],
          [STUB_ADDRESS, LB.india.client, LB.us.client].map((s, i) => [s, viaResolver[i].join(', ')]),
        );
        ctx.check.equal(
          'through the resolver each stub also gets the whole set',
          viaResolver.map(sorted),
          viaResolver.map(() => sorted(LB.googleAddresses)),
        );
        ctx.check.equal('the resolver asked the authoritative server once and answered the other two from its cache', authAsked, 1);
        ctx.state.confirm.push({
          path,
          what: "the six answers' orders as Wireshark reads them",
          fields: ['ip.src', 'ip.dst', 'dns.a'],
          filter: (row) => row[0] === AUTH_ADDRESS && row[1] === STUB_ADDRESS,
          expected: orders.map((o) => [AUTH_ADDRESS, STUB_ADDRESS, o.join(',')]),
        });
      },
    },
    {
      title: "Geo answers: the client's region chooses the address",
      explain:
        `The server has two views: clients in ${LB.india.network} are "${LB.india.name}", clients in ${LB.us.network} are "${LB.us.name}" (a\n` +
        `study guide's ${LB.geo} -> ${LB.us.answer}); anyone else gets the zone's own answer. Asked directly, the server sees\n` +
        "each client's address. Through a shared resolver it sees the resolver's address instead, so both regions get the\n" +
        "same answer, and the resolver caches it for everyone. A resolver can pass on its client's network in the EDNS\n" +
        "client-subnet option (RFC 7871, a /24 of the client's address); the server answers for that network and says\n" +
        'in SCOPE how wide the answer holds (/16: the whole view), so the resolver caches it for that network only.\n' +
        "netlab's resolver does not send the option (nor do privacy-minded public resolvers such as 1.1.1.1); the lab\n" +
        "sends it from the resolver's address the way a resolver that does would.",
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const { path, tap } = captureStep(ctx, net, 'dns-lb-geo', {
          filter: `dns.flags.response == 1 && ip.src == ${AUTH_ADDRESS} && dns.qry.name == "${LB.geo}"`,
          frames: 7,
          about: "the authoritative server's answers: dns.a by ip.dst (the resolver's without a subnet in no view), and dns.opt.client.scope",
          also: [{ filter: 'dns.opt.client.family', frames: 6, about: 'the three questions with a client subnet and their answers' }],
        });
        const clients = [
          { who: `${LB.india.name} client`, from: LB.india.client, want: LB.india.answer, view: LB.india.name },
          { who: `${LB.us.name} client`, from: LB.us.client, want: LB.us.answer, view: LB.us.name },
          { who: 'a client in neither', from: STUB_ADDRESS, want: LB.elsewhere.answer, view: undefined },
        ];
        const direct: string[][] = [];
        const views: (string | undefined)[] = [];
        for (const c of clients) {
          direct.push(addressesOf(messageOf(await askAuth(net, tap, c.from, LB.geo), 'the geo question')));
          views.push(net.authLog[net.authLog.length - 1]?.view);
        }
        ctx.show.table(
          ['client', 'asks from', "server's view", 'answer'],
          clients.map((c, i) => [c.who, c.from, views[i] ?? '(none: the zone)', direct[i].join(', ')]),
          { title: `${LB.geo} A, asked directly` },
        );
        ctx.check.equal(
          'asked directly, each region gets its own address',
          direct,
          clients.map((c) => [c.want]),
        );
        ctx.check.equal(
          'the server placed each client by its source address',
          views,
          clients.map((c) => c.view),
        );
        const logBefore = net.authLog.length;
        const via: string[][] = [];
        for (const c of clients.slice(0, 2))
          via.push(addressesOf(messageOf((await stubAt(net, c.from, ctx.state.taps).ask(LB.geo, 1)).result, "the stub's geo question")));
        const seenBy = net.authLog.slice(logBefore).filter((q) => q.name === LB.geo);
        ctx.show.table(
          ['client', 'asks', 'the server saw', 'answer'],
          clients
            .slice(0, 2)
            .map((c, i) => [
              c.who,
              RESOLVER_ADDRESS,
              i === 0 ? `${seenBy[0]?.client ?? '?'} (view: ${seenBy[0]?.view ?? 'none'})` : "nothing: from the resolver's cache",
              via[i].join(', '),
            ]),
          { title: `${LB.geo} A through the shared resolver` },
        );
        ctx.check.equal("through the resolver both regions get the same answer (the zone's)", via, [[LB.elsewhere.answer], [LB.elsewhere.answer]]);
        ctx.check.equal(
          "the server saw one question, from the resolver's address, in no view",
          seenBy.map((q) => `${q.client} ${q.view ?? 'none'}`),
          [`${RESOLVER_ADDRESS} none`],
        );
        const subnets = [
          { net: '127.1.0.0', want: LB.india.answer, scope: 16 },
          { net: '127.2.0.0', want: LB.us.answer, scope: 16 },
          { net: '127.53.0.0', want: LB.elsewhere.answer, scope: 24 },
        ];
        const ecsRows: string[][] = [];
        const got: string[][] = [];
        const scopes: (number | undefined)[] = [];
        for (const s of subnets) {
          const m = messageOf(await askAuth(net, tap, RESOLVER_ADDRESS, LB.geo, { address: s.net, prefix: 24 }), 'the question with a client subnet');
          const opt = m.edns?.options.find((o) => o.type === 'client-subnet');
          const scope = opt?.type === 'client-subnet' ? opt.scopePrefixLength : undefined;
          got.push(addressesOf(m));
          scopes.push(scope);
          ecsRows.push([
            `${s.net}/24`,
            net.authLog[net.authLog.length - 1]?.view ?? '(none: the zone)',
            addressesOf(m).join(', '),
            scope === undefined ? '(no option)' : `/${scope}`,
          ]);
        }
        ctx.show.table(['client subnet sent', "server's view", 'answer', 'SCOPE in the reply'], ecsRows, {
          title: `${LB.geo} A from ${RESOLVER_ADDRESS}, with the client-subnet option`,
        });
        ctx.check.equal(
          "with the client subnet, the resolver's question gets each region's answer",
          got,
          subnets.map((s) => [s.want]),
        );
        ctx.check.equal(
          'SCOPE: /16 for the views (the answer holds for the whole region), /24 outside them',
          scopes,
          subnets.map((s) => s.scope),
        );
        ctx.state.confirm.push({
          path,
          what: "each region's answer and scope, as Wireshark reads them",
          fields: ['ip.src', 'ip.dst', 'dns.a', 'dns.opt.client.scope'],
          filter: (row) => row[0] === AUTH_ADDRESS,
          expected: [
            ...clients.map((c) => [AUTH_ADDRESS, c.from, c.want, '']),
            [AUTH_ADDRESS, RESOLVER_ADDRESS, LB.elsewhere.answer, ''],
            ...subnets.map((s) => [AUTH_ADDRESS, RESOLVER_ADDRESS, s.want, String(s.scope)]),
          ],
        });
      },
    },
    {
      title: 'Failover: a dead web server leaves the answer, and comes back',
      explain:
        `${LB.web} is both web servers. The lab stops ${LB.west.name}: its address refuses connections, the health check fails,\n` +
        `and after ${HEALTH.fall} failures in a row the server leaves it out of the answer. Started again, it is back after ${HEALTH.rise}\n` +
        `successes. With both down, the answer is the fallback set: the sorry server (${LB.sorry.address}), so clients get a\n` +
        "page that says so instead of a connection error. A study guide's geoDNS example is the same thing: 100% to US-East\n" +
        'when US-West fails.',
      timeoutMs: 30_000,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const { path, tap } = captureStep(ctx, net, 'dns-lb-failover', {
          filter: `dns.flags.response == 1 && dns.qry.name == "${LB.web}"`,
          frames: 5,
          about: 'five answers: both, us-east alone, both again, the sorry server, both again',
        });
        const port = net.backends.port;
        const ask = async (): Promise<string[]> => addressesOf(messageOf(await askAuth(net, tap, STUB_ADDRESS, LB.web), 'the failover question'));
        const rows: (string | number)[][] = [];
        const t0 = performance.now();
        const at = (): string => secs(performance.now() - t0);
        const answers: string[][] = [];
        const record = async (event: string): Promise<void> => {
          const a = await ask();
          answers.push(a);
          rows.push([at(), event, sorted(a).join(', ')]);
        };
        await record('both web servers up');
        const west = net.backends.get(LB.west.address);
        const east = net.backends.get(LB.east.address);
        const westId = targetOf(net, LB.west.address);
        const eastId = targetOf(net, LB.east.address);
        let probes = countProbes(net, westId);
        const down = healthTurn(net, westId, false, HEALTH_WAIT_MS, ctx.signal);
        const stoppedAt = performance.now();
        await west.stop();
        rows.push([at(), `${LB.west.name} stopped`, '']);
        const change = await down;
        const failed = probes.stop();
        const downMs = change.at - stoppedAt;
        rows.push([at(), `health check: ${LB.west.name} down (${change.reason})`, '']);
        await record(`${LB.west.name} is down`);
        probes = countProbes(net, westId);
        const up = healthTurn(net, westId, true, HEALTH_WAIT_MS, ctx.signal);
        await west.start(port);
        rows.push([at(), `${LB.west.name} started again`, '']);
        await up;
        const passed = probes.stop();
        rows.push([at(), `health check: ${LB.west.name} up`, '']);
        await record(`${LB.west.name} is back`);
        const bothDown = Promise.all([healthTurn(net, westId, false, HEALTH_WAIT_MS, ctx.signal), healthTurn(net, eastId, false, HEALTH_WAIT_MS, ctx.signal)]);
        await Promise.all([west.stop(), east.stop()]);
        rows.push([at(), 'both stopped', '']);
        await bothDown;
        await record('both are down');
        const sorryVisit = await visit(answers[answers.length - 1][0] ?? LB.sorry.address, port);
        const deadVisit = await visit(LB.east.address, port);
        const bothUp = Promise.all([healthTurn(net, westId, true, HEALTH_WAIT_MS, ctx.signal), healthTurn(net, eastId, true, HEALTH_WAIT_MS, ctx.signal)]);
        await Promise.all([west.start(port), east.start(port)]);
        await bothUp;
        await record('both started again');
        ctx.show.table(['time (s)', 'event', `${LB.web} A answers`], rows);
        ctx.show.text(`A client sent to ${LB.sorry.address} gets: "${sorryVisit.text}"; one sent to ${LB.east.address} while it was down: ${deadVisit.text}.`);
        const both = sorted([LB.east.address, LB.west.address]);
        ctx.check.equal('the answers: both, us-east alone, both, the sorry server, both', answers.map(sorted), [
          both,
          [LB.east.address],
          both,
          [LB.sorry.address],
          both,
        ]);
        ctx.check.equal(`${LB.west.name} left after ${HEALTH.fall} failed checks in a row`, failed.failed, HEALTH.fall);
        ctx.check.equal(`and came back after ${HEALTH.rise} passed checks`, passed.ok, HEALTH.rise);
        // The first failed probe can come at once; the other two are an interval apart each.
        ctx.check.between(
          `the failover took at least the ${HEALTH.fall - 1} intervals between ${HEALTH.fall} failed checks`,
          Math.round(downMs),
          (HEALTH.fall - 1) * HEALTH.intervalMs,
          HEALTH_WAIT_MS,
          'ms',
        );
        ctx.check.equal('the sorry server answers the clients sent to it', [sorryVisit.ok, sorryVisit.text], [true, `${LB.sorry.name} (${LB.sorry.address})`]);
        ctx.check.equal('a stopped web server refuses connections', deadVisit.text, 'ECONNREFUSED');
        ctx.state.confirm.push({
          path,
          what: 'the five failover answers as Wireshark reads them',
          fields: ['dns.a'],
          filter: (row) => (row[0] ?? '') !== '',
          expected: answers.map((a) => [a.join(',')]),
        });
      },
    },
    {
      title: "A study guide's warning: a cached answer keeps the dead address until its TTL runs out",
      explain:
        `Failover happens at the authoritative server. A resolver that cached ${LB.web} before the failure keeps answering\n` +
        `with the dead address until the record's TTL (${LB.webTtl} s here) runs out, and its clients connect to it and fail. The\n` +
        'TTL is the bound: a 300 s TTL means up to five minutes of failed connections for some clients (browsers and\n' +
        'operating systems add caches of their own). That is why failover records get short TTLs, and why clients should\n' +
        'try the next address when one refuses.',
      timeoutMs: 30_000,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const { path } = captureStep(ctx, net, 'dns-lb-cached', {
          filter: `dns.flags.response == 1 && ip.src == ${RESOLVER_ADDRESS}`,
          frames: 3,
          about: `the resolver's three answers to the stub: compare dns.a and dns.resp.ttl (${LB.west.address} in the second, after it died)`,
        });
        const port = net.backends.port;
        const stub = stubAt(net, STUB_ADDRESS, ctx.state.taps);
        const ask = async (): Promise<{ addrs: string[]; ttl: number; fromServer: boolean }> => {
          const before = net.authLog.filter((q) => q.name === LB.web).length;
          const m = messageOf((await stub.ask(LB.web, 1)).result, "the stub's question");
          const after = net.authLog.filter((q) => q.name === LB.web).length;
          return { addrs: addressesOf(m), ttl: m.answers[0]?.ttl ?? -1, fromServer: after > before };
        };
        const t0 = performance.now();
        const first = await ask();
        const westId = targetOf(net, LB.west.address);
        const down = healthTurn(net, westId, false, HEALTH_WAIT_MS, ctx.signal);
        const west = net.backends.get(LB.west.address);
        const stoppedAt = performance.now();
        await west.stop();
        const change = await down;
        const droppedWall = Date.now();
        const direct = addressesOf(messageOf(await askAuth(net, ctx.state.taps, STUB_ADDRESS, LB.web), 'the direct question'));
        // A second and a half after the first answer, so the TTL the resolver hands out has visibly gone down.
        await sleep(Math.max(0, t0 + 1500 - performance.now()), ctx.signal);
        const cached = await ask();
        const cachedAt = performance.now();
        const expiry = net.resolver.cache.expiresAt(LB.web, 1) ?? droppedWall;
        const tries = await Promise.all(cached.addrs.map((a) => visit(a, port)));
        const waitMs = Math.max(0, t0 + LB.webTtl * 1000 + 300 - performance.now());
        await sleep(waitMs, ctx.signal);
        const fresh = await ask();
        const freshAt = performance.now();
        const rel = (t: number): string => `+${secs(t - stoppedAt)} s`;
        ctx.show.table(
          ['when (since us-west stopped)', 'who answered', `${LB.web} A`, 'TTL'],
          [
            ['just before', `resolver (asked the server${first.fromServer ? '' : ': no, cache'})`, sorted(first.addrs).join(', '), first.ttl],
            [rel(change.at), 'the health check: us-west down', '', ''],
            [rel(change.at), 'the authoritative server, asked directly', direct.join(', '), ''],
            [rel(cachedAt), `resolver (${cached.fromServer ? 'asked the server' : 'from its cache'})`, sorted(cached.addrs).join(', '), cached.ttl],
            [
              rel(freshAt),
              `resolver (${fresh.fromServer ? 'asked the server again: TTL ran out' : 'from its cache'})`,
              sorted(fresh.addrs).join(', '),
              fresh.ttl,
            ],
          ],
        );
        ctx.show.table(
          ['a client of the resolver connects to', 'gets'],
          cached.addrs.map((a, i) => [a, tries[i].text]),
          { title: 'Following the cached answer' },
        );
        const staleFor = expiry - droppedWall;
        ctx.show.text(
          `The authoritative server dropped ${LB.west.address} ${secs(change.at - stoppedAt)} s after it died; the resolver's cache held it ${secs(staleFor)} s longer,\n` +
            `until the ${LB.webTtl} s TTL it had cached just before ran out. Every client that asked in that time could be sent to the dead server.`,
        );
        const both = sorted([LB.east.address, LB.west.address]);
        ctx.check.equal(
          'before the failure the resolver asked the server and got both addresses',
          [first.fromServer, sorted(first.addrs), first.ttl],
          [true, both, LB.webTtl],
        );
        ctx.check.equal('the authoritative server dropped the dead address at once', direct, [LB.east.address]);
        ctx.check.equal('the resolver still answers both, from its cache', [cached.fromServer, sorted(cached.addrs)], [false, both]);
        ctx.check.between('with the TTL that is left (1.5 s after it was cached)', cached.ttl, 0, LB.webTtl - 1, 's');
        ctx.check.equal(`a client that takes ${LB.west.address} from it is refused`, tries[cached.addrs.indexOf(LB.west.address)]?.text, 'ECONNREFUSED');
        ctx.check.equal(
          'once the TTL ran out the resolver asked again and the dead address is gone',
          [fresh.fromServer, fresh.addrs],
          [true, [LB.east.address]],
        );
        ctx.check.between(
          'the cache held the dead address after the failover for the rest of its TTL, no longer',
          Math.round(staleFor),
          1,
          LB.webTtl * 1000,
          'ms',
        );
        ctx.state.confirm.push({
          path,
          what: `the resolver's answers: both addresses (TTL ${LB.webTtl}), both again from the cache, then us-east alone`,
          fields: ['ip.src', 'dns.a'],
          filter: (row) => row[0] === RESOLVER_ADDRESS,
          expected: [first, cached, fresh].map((x) => [RESOLVER_ADDRESS, x.addrs.join(',')]),
        });
      },
    },
    {
      title: 'What Wireshark says',
      explain:
        "tshark reads each capture: the turning orders, each region's answer with its SCOPE, the failover answers and the\n" +
        'cached answer that still held the dead address. Each query carries a comment saying who asked and why.',
      run(ctx) {
        if (!tsharkInstalled()) {
          ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
          return;
        }
        for (const c of ctx.state.confirm) {
          const rows = tsharkFields(c.path, ['dns.flags.response', ...c.fields])
            .filter((r) => r[0] === '1')
            .map((r) => r.slice(1))
            .filter(c.filter);
          ctx.check.equal(`tshark: ${c.what}`, rows, c.expected);
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
