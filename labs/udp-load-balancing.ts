// Lab: udp-load-balancing. DNS queries spread over three of netlab's authoritative servers by
// netlab's UDP balancer (src/l4/udp-balancer.ts), on real loopback sockets: the distribution per
// policy; what a UDP "flow" is when there is no connection (the client's address and port, forgotten
// after an idle timeout); one server dies, the health checks take it out, and the queries caught in
// between time out at the client and are asked again; dig through the balancer when it is installed.
// The captures show the queries per backend, with the servers' ports shown as 53.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { HealthChecker, PolicyName } from '../src/balance/index.ts';
import { realClock } from '../src/base/index.ts';
import { remapPorts, TapRecorder, type TapFrame } from '../src/capture/index.ts';
import { defineLab, runQueueWaitMs, tsharkFields, tsharkInstalled, type CaptureOptions, type Exercise, type StepContext } from '../src/lab/index.ts';
import { filterExercise, gradeNumber, type CaptureFilter } from '../src/lab/index.ts';
import type { UdpBalancer } from '../src/l4/index.ts';
import { TapSwitch } from './dns/capture.ts';
import { LAB_INFO } from './info.ts';
import { need } from './netsim/lab-steps.ts';
import { tlsOutput } from './tls/output.ts';
import {
  CLIENT_TIMEOUT_MS,
  CLIENT_TRIES,
  CLIENTS,
  Client,
  freeUdpPort,
  HEALTH,
  healthChecker,
  LB_ADDRESS,
  NAMES,
  perServer,
  PROBE_ADDRESS,
  SERVERS,
  startBackends,
  startBalancer,
  WHOAMI,
  type Asked,
  type DnsBackends,
  type Seen,
} from './udp-load-balancing/setup.ts';

interface Confirm {
  readonly path: string;
  readonly what: string;
  /** The queries each server got, by tshark: [dns-1, dns-2, dns-3]. */
  readonly perServer: number[];
}

interface State {
  taps: TapSwitch;
  backends?: DnsBackends;
  balancers: UdpBalancer[];
  checkers: HealthChecker[];
  captures: string[];
  confirm: Confirm[];
  /** Queries that needed more than one try after the server died (an exercise grades it). */
  retried?: number;
  /** The last balancer's address, for dig. */
  lbPort?: number;
}

export interface UdpLabOptions {
  /** Health checks on the failover step (a test turns them off to see the checkpoints fail). */
  readonly healthChecks?: boolean;
}

const DNS_PORT = 53;
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
const FAILOVER_STEP = 'One server dies: the health checks take it out, the clients ask again';
const SPREAD_STEP = 'Per datagram: how each policy spreads the queries';

/** Queries from clients (not the health probes) since `mark`. */
const clientQueries = (b: DnsBackends, mark: number): Seen[] => b.seen.slice(mark).filter((s) => s.client !== PROBE_ADDRESS);

/**
 * A capture for this step: the datagrams of every tapped socket, written at the end of the step with
 * the servers' and the balancer's ports shown as 53 (so Wireshark dissects DNS). Filters can be added
 * once the step knows its counts.
 */
function stepCapture(
  ctx: StepContext<State>,
  file: string,
  options: CaptureOptions,
  ports: () => readonly number[],
  filters: (frames: readonly Uint8Array[]) => readonly CaptureFilter[],
) {
  const out = tlsOutput(ctx);
  const cap = out.capture(file, options);
  // The lab's clock (a fixture run's fixed clock would not move with the sockets: the machine's then).
  const clock = ctx.clock.fixed ? realClock() : ctx.clock;
  const tap = new TapRecorder({ clock });
  ctx.state.taps.current = tap;
  ctx.onStepEnd(async () => {
    ctx.state.taps.current = undefined;
    await tap.close();
    const map = new Map<number, number>();
    for (const p of ports()) map.set(p, DNS_PORT);
    const shown = [...map.keys()].filter((p) => p !== DNS_PORT);
    const written = tap.frames.map((f: TapFrame, i: number) => {
      const notes = [...f.comments];
      if (i === 0)
        notes.unshift(
          `netlab: the DNS servers and the balancer listen on ports ${shown.join(', ')} (below 1024 needs root); shown as 53 so that Wireshark dissects DNS`,
        );
      const data = remapPorts(f.data, map);
      cap.write(data, { time: { sec: f.sec, nsec: f.nsec }, comment: notes.length === 0 ? undefined : notes.join(' | ') });
      return data;
    });
    for (const f of filters(written)) cap.filter(f);
  });
  const path = out.pathOf(file);
  ctx.state.captures.push(path);
  return { cap, path, tap, clock };
}

const queriesTo = (address: string): string => `dns.flags.response == 0 && ip.dst == ${address}`;

/** DNS queries (QR = 0) in Ethernet/IPv4/UDP frames sent to `address`. */
function countQueriesTo(frames: readonly Uint8Array[], address: string): number {
  const want = address.split('.').map(Number);
  return frames.filter(
    (f) => f.length > 44 && f[12] === 0x08 && f[13] === 0x00 && f[23] === 17 && want.every((b, i) => f[30 + i] === b) && (f[44] & 0x80) === 0,
  ).length;
}

/** The filters of the queries each server was sent. */
const perServerFilters = (frames: readonly Uint8Array[], about: (name: string) => string): CaptureFilter[] =>
  SERVERS.map((s) => ({ filter: queriesTo(s.address), frames: countQueriesTo(frames, s.address), about: about(s.name) }));

async function ask(clients: readonly Client[], perClient: number, t0: number): Promise<Asked[]> {
  const out: Asked[] = [];
  for (let i = 0; i < perClient; i++) for (const c of clients) out.push(await c.ask(out.length + 1, t0));
  return out;
}

const exercises: readonly Exercise<State>[] = [
  filterExercise({
    after: SPREAD_STEP,
    title: 'The queries that went to dns-3',
    file: 'udp-lb-round-robin',
    find: 'The balancer forwards each client query to one server. Select the queries it sent to dns-3 (127.77.1.3), and nothing else.',
    frames: { like: queriesTo(SERVERS[2].address) },
    hint: 'A query is dns.flags.response == 0; the server it went to is its IP destination.',
    right: `ip.dst == ${SERVERS[2].address}`,
    wrong: `ip.addr == ${SERVERS[2].address}`,
  }) as Exercise<State>,
  {
    after: FAILOVER_STEP,
    title: 'How many questions were asked twice?',
    kind: 'answer',
    expects: 'a number',
    task: `dns-2 died while the clients were asking. How many of the questions needed more than one try? The lab counted them; the capture udp-lb-failover.pcapng shows them too (queries with the same name from one client ${CLIENT_TIMEOUT_MS} ms apart).`,
    grade: (answer, ctx) => gradeNumber(answer, ctx.state.retried ?? -1),
    hint: 'Count the rows of the timeline whose tries hold a timeout before the answer.',
    answer: (ctx) => `${ctx.state.retried ?? '?'}: each was sent to dns-2 after it died (or before the health check took it out) and answered on the next try.`,
    right: (ctx) => String(ctx.state.retried ?? -1),
    wrong: (ctx) => String((ctx.state.retried ?? 0) + 7),
  },
];

export function udpLoadBalancingLab(options: UdpLabOptions = {}) {
  return defineLab<State>({
    ...LAB_INFO['udp-load-balancing'],
    state: () => ({ taps: new TapSwitch(), balancers: [], checkers: [], captures: [], confirm: [] }),
    exercises,
    steps: [
      {
        title: 'Three DNS servers and one UDP balancer',
        explain:
          `Three of netlab's authoritative servers, dns-1..3 on ${SERVERS.map((s) => s.address).join(', ')}, serve the same zone, lb.test;\n` +
          `only ${WHOAMI} TXT differs: each answers with its own name, so every answer says who gave it. netlab's\n` +
          `UDP balancer listens on ${LB_ADDRESS}. The clients on ${CLIENTS.join(', ')} ask it as a stub resolver asks: wait\n` +
          `${CLIENT_TIMEOUT_MS} ms for the answer, then ask again, ${CLIENT_TRIES} tries in all (glibc's default is 5 s and 2 tries).`,
        async run(ctx) {
          const backends = await startBackends();
          ctx.onLabEnd(async () => {
            for (const c of ctx.state.checkers) c.stop();
            for (const b of ctx.state.balancers) await b.close();
            await backends.close();
          });
          ctx.state.backends = backends;
          const direct = await Promise.all(
            SERVERS.map((s) => new Client(CLIENTS[0], () => ({ address: s.address, port: backends.port })).ask(0, performance.now())),
          );
          ctx.show.table(
            ['server', 'address', 'port', `${WHOAMI} TXT`],
            SERVERS.map((s, i) => [s.name, s.address, backends.port, direct[i].tries.join(', ')]),
          );
          ctx.check.equal(
            'each server, asked directly, answers with its own name',
            direct.map((d) => d.tries.join(',')),
            [...NAMES],
          );
        },
      },
      {
        title: SPREAD_STEP,
        explain:
          'In per-datagram mode the balancer chooses a server for every query on its own (DNS: one question, one\n' +
          'answer; nothing ties two queries together). Each of the three clients asks 10 times, each time from a new\n' +
          'source port, as resolvers do. Round robin deals them out in turn; random spreads them unevenly; an IP\n' +
          "hash keys on the client's address, so each client always lands on the same server (and a server's share\n" +
          'depends on how the three addresses hash). The captures show each query twice: client to balancer,\n' +
          'then balancer (from its own address, 127.0.0.1 here) to the server.',
        timeoutMs: 30_000,
        async run(ctx) {
          const backends = need(ctx.state.backends, 'the servers');
          const policies: PolicyName[] = ['round_robin', 'random', 'ip_hash'];
          const rows: (string | number)[][] = [];
          const counts: number[][] = [];
          const pinned: string[][] = [];
          let rrPath = '';
          for (const policy of policies) {
            const captured = policy === 'round_robin';
            const { lb, port } = await startBalancer(backends, { policy, mode: 'datagram', ...(captured ? { taps: ctx.state.taps } : {}) });
            ctx.state.balancers.push(lb);
            let cap: ReturnType<typeof stepCapture> | undefined;
            if (captured) {
              cap = stepCapture(
                ctx,
                'udp-lb-round-robin',
                { filter: queriesTo(LB_ADDRESS), frames: 30, about: "the clients' 30 queries to the balancer" },
                () => [backends.port, port],
                (frames) => perServerFilters(frames, (name) => `the balancer's queries to ${name}`),
              );
              rrPath = cap.path;
            }
            // Every server is alive here: a 2 s wait per try keeps a loaded machine's pause from adding a retry to the counts.
            const clients = CLIENTS.map((a) => new Client(a, () => ({ address: LB_ADDRESS, port }), captured ? ctx.state.taps : undefined, undefined, 2000));
            const mark = backends.seen.length;
            const answers = await ask(clients, 10, performance.now());
            const seen = clientQueries(backends, mark);
            const n = perServer(seen);
            counts.push(n);
            rows.push([policy, ...n, answers.filter((a) => a.ok && a.tries.length === 1).length]);
            pinned.push(CLIENTS.map((c) => [...new Set(answers.filter((a) => a.client === c).map((a) => a.tries[a.tries.length - 1]))].join('+')));
            if (captured) ctx.state.confirm.push({ path: rrPath, what: 'round robin: the queries each server got', perServer: n });
            await lb.close();
          }
          ctx.show.table(['policy', ...NAMES, 'answered first try'], rows, { title: '30 queries (3 clients x 10) per policy' });
          ctx.show.table(
            ['policy', ...CLIENTS],
            policies.map((p, i) => [p, ...pinned[i]]),
            { title: 'Which servers each client reached (they ask in turn, so round robin gives each the same one)' },
          );
          ctx.check.equal('round robin: 10 queries to each server', counts[0], [10, 10, 10]);
          ctx.check.equal(
            'random: all 30 answered, spread over the three (not evenly)',
            [counts[1].reduce((a, b) => a + b, 0), counts[1].every((c) => c > 0)],
            [30, true],
          );
          ctx.check.equal(
            'ip_hash: each client always reached one server',
            pinned[2].map((p) => p.includes('+')),
            [false, false, false],
          );
          ctx.check.equal(
            'every query of every policy was answered on the first try',
            rows.map((r) => r[4]),
            [30, 30, 30],
          );
        },
      },
      {
        title: 'A UDP "flow" without connections',
        explain:
          'UDP has no handshake and no close. In flow mode the balancer makes its own "connection": a session\n' +
          "keyed by the client's address and port (with its own address and port, the 5-tuple), whose first\n" +
          'datagram chooses the server; later datagrams from the same address and port follow it, and replies go\n' +
          'back from the address the client wrote to. Nothing says when a flow ends, so a session idle for the\n' +
          'idle timeout (300 ms here; 30 s by default, and conntrack keeps UDP 30 s, 120 s once both sides spoke)\n' +
          'is forgotten, and the next datagram starts a new one, maybe on another server.',
        timeoutMs: 30_000,
        async run(ctx) {
          const backends = need(ctx.state.backends, 'the servers');
          const idleMs = 300;
          const { lb, port } = await startBalancer(backends, { policy: 'round_robin', mode: 'flow', idleMs });
          ctx.state.balancers.push(lb);
          const fixed = await freeUdpPort(CLIENTS[0]);
          const sticky = new Client(CLIENTS[0], () => ({ address: LB_ADDRESS, port }), undefined, fixed);
          const roaming = new Client(CLIENTS[1], () => ({ address: LB_ADDRESS, port }));
          const t0 = performance.now();
          const one: Asked[] = [];
          for (let i = 1; i <= 5; i++) one.push(await sticky.ask(i, t0));
          const many: Asked[] = [];
          for (let i = 1; i <= 4; i++) many.push(await roaming.ask(i, t0));
          const sessionsBefore = lb.stats().sessions;
          await sleep(idleMs + 200);
          const sessionsIdle = lb.stats().sessions;
          const again = await sticky.ask(6, t0);
          const who = (a: Asked): string => a.tries[a.tries.length - 1];
          ctx.show.table(
            ['client', 'source port', 'answers (server)', 'sessions made'],
            [
              [CLIENTS[0], `${fixed} (always)`, one.map(who).join(' '), 1],
              [CLIENTS[1], 'a new one each time', many.map(who).join(' '), 4],
              [CLIENTS[0], `${fixed}, after ${idleMs + 200} ms idle`, who(again), 1],
            ],
          );
          ctx.show.text(
            `Sessions in the table: ${sessionsBefore} after the nine questions, ${sessionsIdle} after ${idleMs + 200} ms of silence; made in all: ${lb.stats().sessionsCreated}.`,
          );
          ctx.check.equal('one source port: one session, one server for all five', [new Set(one.map(who)).size, one.every((a) => a.ok)], [1, true]);
          ctx.check.equal('a new source port each time: a new session each time, dealt round robin', new Set(many.map(who)).size, 3);
          ctx.check.equal('after the idle timeout the sessions are forgotten', sessionsIdle, 0);
          ctx.check.equal(
            'the same port again starts a new session, on the next server in turn',
            [again.ok, lb.stats().sessionsCreated, who(again) === who(one[0])],
            [true, 6, false],
          );
          await lb.close();
        },
      },
      {
        title: FAILOVER_STEP,
        explain:
          `Round robin again, with health checks: every ${HEALTH.intervalMs} ms a query (${WHOAMI}) goes to each server, ${HEALTH.timeoutMs} ms to\n` +
          `answer; ${HEALTH.fall} failures in a row take a server out, ${HEALTH.rise} passes bring it back. The three clients ask in turn,\n` +
          'one question every 20 ms; after a while dns-2 stops. Until the checks notice, the balancer still sends\n' +
          'it queries: nobody answers (the kernel answers ICMP port unreachable, which a UDP sender learns only\n' +
          `as an error on its next operation). The client waits its ${CLIENT_TIMEOUT_MS} ms and asks again, and the balancer deals\n` +
          'the new query to the next server. UDP itself retries nothing: the client does.',
        timeoutMs: 30_000,
        async run(ctx) {
          const backends = need(ctx.state.backends, 'the servers');
          const { lb, balancer, port } = await startBalancer(backends, { policy: 'round_robin', mode: 'datagram', taps: ctx.state.taps });
          ctx.state.balancers.push(lb);
          ctx.state.lbPort = port;
          let tries = 0;
          const { path, tap, clock } = stepCapture(
            ctx,
            'udp-lb-failover',
            { filter: `dns.flags.response == 1 && ip.src == ${LB_ADDRESS}`, frames: 'some', about: 'the answers the clients got from the balancer' },
            () => [backends.port, port],
            (frames) => [
              { filter: queriesTo(LB_ADDRESS), frames: tries, about: `the clients' ${tries} queries, retries included` },
              ...perServerFilters(frames, (name) =>
                name === 'dns-2' ? 'to dns-2: those it answered before it stopped, and those lost with it' : `the balancer's queries to ${name}`,
              ),
            ],
          );
          const t0 = performance.now();
          let downAt = Number.NaN;
          // The run-queue wait (ms this thread waited for a CPU) when dns-2 stopped and when it was taken out.
          let waitedAtKill = 0;
          let waitedAtDown: number | undefined;
          if (options.healthChecks !== false) {
            const checker = healthChecker(balancer);
            checker.onEvent((e) => {
              if (e.change === 'down' && e.endpoint.name === 'dns-2') {
                downAt = performance.now() - t0;
                waitedAtDown = runQueueWaitMs() ?? 0;
              }
            });
            checker.start();
            ctx.state.checkers.push(checker);
          }
          await sleep(2 * HEALTH.intervalMs);
          const clients = CLIENTS.map((a) => new Client(a, () => ({ address: LB_ADDRESS, port }), ctx.state.taps));
          const mark = backends.seen.length;
          const pending: Promise<Asked>[] = [];
          let killAt = Number.NaN;
          let killStamp = { sec: 0, nsec: 0 };
          const total = 60;
          for (let n = 1; n <= total; n++) {
            if (n === 11) {
              killAt = performance.now() - t0;
              killStamp = clock.now();
              waitedAtKill = runQueueWaitMs() ?? 0;
              await backends.server('dns-2').close();
            }
            pending.push(clients[(n - 1) % 3].ask(n, t0));
            await sleep(20);
          }
          const asked = await Promise.all(pending);
          const seen = clientQueries(backends, mark);
          const retried = asked.filter((a) => a.tries.length > 1);
          tries = asked.reduce((sum, a) => sum + a.tries.length, 0);
          ctx.state.retried = retried.length;
          // By this time the checks must have taken dns-2 out (the bound checked below): their intervals and
          // timeout, 400 ms of room, and the time the machine gave this process no CPU meanwhile (the
          // checker's timers and probes wait for a CPU like everything else here; its own work still counts).
          const notRunning = Math.max(0, (waitedAtDown ?? runQueueWaitMs() ?? 0) - waitedAtKill);
          const deadline = killAt + HEALTH.fall * HEALTH.intervalMs + HEALTH.timeoutMs + 400 + notRunning;
          // The queries the balancer sent dns-2 after that, read from the capture (the tap's clock): what
          // the balancer did, whatever the clients' timeouts made of it.
          const sinceKill = (f: TapFrame): number => (f.sec - killStamp.sec) * 1000 + (f.nsec - killStamp.nsec) / 1e6;
          const lateTo2 = tap.frames
            .filter((f) => countQueriesTo([f.data], SERVERS[1].address) === 1 && sinceKill(f) > deadline - killAt)
            .map((f) => `${Math.round(sinceKill(f))} ms`);
          const dropped = lb.stats().dropped;
          const fmt = (v: number): string => (Number.isNaN(v) ? 'never' : `${Math.round(v - killAt)} ms`);
          ctx.show.table(
            ['question', 'asked at (ms after the kill)', 'tries', 'answered after (ms)'],
            retried.map((a) => [a.n, Math.round(a.startAt - killAt), a.tries.join(', '), Math.round(a.ms)]),
            { title: `Questions that needed more than one try (of ${total})` },
          );
          ctx.show.table(
            ['event', 'ms after dns-2 stopped'],
            [
              ['dns-2 stops', '0'],
              [`health check: dns-2 down (${HEALTH.fall} failures in a row)`, fmt(downAt)],
              [
                'last question that needed a retry was asked',
                retried.length === 0 ? '-' : `${Math.round(Math.max(...retried.map((a) => a.startAt)) - killAt)}`,
              ],
            ],
          );
          ctx.show.text(
            `The balancer dropped ${dropped.send_error} datagram(s) on a send error (ICMP port unreachable from the dead port). Queries each server\n` +
              `answered during the run: ${NAMES.map((nm, i) => `${nm} ${perServer(seen)[i]}`).join(', ')} (dns-2's: those before it stopped).`,
          );
          if (notRunning >= 1)
            ctx.show.text(
              `The machine is busy: between the kill and the check taking dns-2 out, netlab waited ${Math.round(notRunning)} ms for a CPU (the\n` +
                "kernel's run-queue figure for this thread); the bound below allows for it, as the clients' timeouts do.",
            );
          ctx.check.equal(`every question was answered within ${CLIENT_TRIES} tries`, asked.filter((a) => !a.ok).length, 0);
          ctx.check.atLeast('questions sent to dns-2 after it died timed out and were asked again', retried.length, 1);
          ctx.check.equal(
            `each retried question waited the client's ${CLIENT_TIMEOUT_MS} ms first`,
            retried.filter((a) => a.ms < CLIENT_TIMEOUT_MS).map((a) => a.n),
            [],
          );
          ctx.check.between(
            `the health check took dns-2 out after ${HEALTH.fall} failed probes (${HEALTH.fall - 1} to ${HEALTH.fall} intervals, + a timeout)`,
            Math.round(downAt - killAt),
            (HEALTH.fall - 1) * HEALTH.intervalMs,
            deadline - killAt,
            'ms',
          );
          ctx.check.equal(
            `from ${Math.round(deadline - killAt)} ms on, the balancer sent dns-2 no query (the capture's queries to ${SERVERS[1].address})`,
            lateTo2,
            [],
          );
          ctx.state.confirm.push({
            path,
            what: "the queries the balancer sent each server, as its endpoints counted them (dns-2's: answered, then lost)",
            perServer: balancer.endpoints.map((e) => e.total),
          });
        },
      },
      {
        title: 'dig through the UDP balancer',
        explain:
          `If dig is installed, it asks the balancer (dig @${LB_ADDRESS} -p PORT ${WHOAMI} TXT) four times. dns-2 is out,\n` +
          'so the answers alternate between dns-1 and dns-3: a real client sees a balanced service and not the\n' +
          'servers behind it.',
        async run(ctx) {
          const port = need(ctx.state.lbPort, 'the balancer');
          const answers: string[] = [];
          try {
            for (let i = 0; i < 4; i++) {
              const { stdout } = await promisify(execFile)(
                'dig',
                [`@${LB_ADDRESS}`, '-p', String(port), '-b', CLIENTS[2], WHOAMI, 'TXT', '+short', '+tries=1', '+time=1'],
                {
                  timeout: 5000,
                },
              );
              answers.push(stdout.trim().replace(/^"|"$/g, ''));
            }
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
              ctx.show.skipped('dig is not installed (on Debian: apt-get install bind9-dnsutils); the balancer answers the same to any client');
              return;
            }
            throw e;
          }
          ctx.show.text(`$ dig @${LB_ADDRESS} -p ${port} ${WHOAMI} TXT +short   (four times)\n${answers.join('\n')}`);
          ctx.check.equal('dig got four answers, from dns-1 and dns-3 in turn', [...answers].sort(), ['dns-1', 'dns-1', 'dns-3', 'dns-3']);
        },
      },
      {
        title: 'What Wireshark says',
        explain: "tshark reads each capture: the queries per server (the balancer's to each address), and no malformed packet.",
        run(ctx) {
          if (!tsharkInstalled()) {
            ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
            return;
          }
          for (const c of ctx.state.confirm) {
            const rows = tsharkFields(c.path, ['dns.flags.response', 'ip.dst']).filter((r) => r[0] === '0');
            ctx.check.equal(
              `tshark: ${c.what}`,
              SERVERS.map((s) => rows.filter((r) => r[1] === s.address).length),
              c.perServer,
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
}

export default udpLoadBalancingLab();
