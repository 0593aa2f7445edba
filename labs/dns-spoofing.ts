// Lab: DNS spoofing against netlab's resolver. Forged answers, each wrong in one way (ID, source
// port, source address, question), race the real answer and are turned away with the reason; a server
// the attacker owns slips in out-of-bailiwick records and glue, which the resolver drops; then a
// resolver as weak as those before 2008 (fixed source port, sequential IDs: a lab-only transport
// option) takes a forged answer the attacker guessed, and its cache is poisoned. The same attack
// fails against the hardened resolver, and the numbers say why: 2^16 guesses against 2^32.

import { readFileSync } from 'node:fs';
import { AuthServer } from '../src/dns/index.ts';
import { DnsCache } from '../src/dns/index.ts';
import { RecursiveServer } from '../src/dns/index.ts';
import { Resolver } from '../src/dns/index.ts';
import type { QueryResult, ResolveResult, ServerAddress } from '../src/dns/index.ts';
import { SocketTransport, type RejectDetail, type WeakTransport } from '../src/dns/index.ts';
import { Zone } from '../src/dns/index.ts';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { tsharkFields, tsharkInstalled } from '../src/lab/index.ts';
import type { StepContext } from '../src/lab/index.ts';
import { encodeDnsMessage } from '../src/wire/index.ts';
import { rdataText } from '../src/wire/index.ts';
import { DNS_TYPE, dnsFlags, dnsRcodeName, type DnsMessage, type DnsRecord } from '../src/wire/index.ts';
import { CACHE_HEAD, cacheRow, cacheTable } from './dns/cache-table.ts';
import { dnsStepCapture, TapSwitch } from './dns/capture.ts';
import {
  AUTH_ADDRESS,
  AUTH_NAME,
  comZone,
  exampleZone,
  RESOLVER_ADDRESS,
  ROOT_ADDRESS,
  ROOT_NAME,
  rootZone,
  SEED,
  STUB_ADDRESS,
  TLD_ADDRESS,
  TLD_NAME,
} from './dns/seed-zones.ts';
import { attackerSocket, closeUdp, ServerPath, type PathQuery } from './dns/server-path.ts';
import { startHierarchy, type Hierarchy } from './dns/servers.ts';
import { sleep, Stub } from '../src/dns/index.ts';
import { need } from './common/need.ts';
import type { Confirm } from './dns/confirm.ts';
import { dnsSpoofingExercises } from './dns-spoofing/exercises.ts';

const { A } = DNS_TYPE;
const WEAK_ADDRESS = '127.53.0.54';
/** Where example.com's real server listens, behind the path at AUTH_ADDRESS. */
const AUTH_BACK = '127.53.1.3';
const ATTACKER_NS = '127.66.0.1';
const ATTACKER_BACK = '127.66.1.1';
const ATTACKER_CLIENT = '127.66.0.100';
/** The address the attacker wants www.example.com (and login.example.com) to have. */
const EVIL = '127.66.6.6';
const TARGET = 'login.example.com';
const TARGET_ADDRESS = '192.0.2.10';
/** The distance to example.com's server: a study guide's authoritative hop (150-200 ms) is 50 ms. */
const DELAY_MS = 50;
/** How many IDs after the one it saw the attacker tries. */
const GUESSES = 16;
/** How long the attacker's send rate is measured. */
const RATE_MS = 200;

function attackerZone(): Zone {
  return Zone.fromText(
    'attacker.com',
    `$ORIGIN attacker.com.
$TTL 60
@     SOA  ns hostmaster 1 7200 3600 1209600 60
@     NS   ns
ns    A    ${ATTACKER_NS}
www   A    ${EVIL}
probe A    ${EVIL}
probe2 A   ${EVIL}
sub   NS   ${AUTH_NAME}.
`,
    'attacker.com.zone',
  );
}

const evilA = (name: string, ttl = 86_400): DnsRecord => ({ name, type: A, class: 1, ttl, data: { type: 'A', address: EVIL } });

/** What the attacker's own server adds: records for a zone it has no say over. */
function poison(m: DnsMessage): DnsMessage {
  const q = m.questions[0];
  if (q === undefined) return m;
  if (q.name.toLowerCase() === 'www.attacker.com') return { ...m, answers: [...m.answers, evilA(SEED.name)] };
  if (q.name.toLowerCase().endsWith('sub.attacker.com')) return { ...m, additionals: [...m.additionals, evilA(AUTH_NAME)] };
  return m;
}

/** A forged answer to `q` (AA, one A record pointing at the attacker). */
function forged(id: number, name: string, questionName = name): Uint8Array {
  return encodeDnsMessage({
    id,
    flags: dnsFlags({ qr: true, aa: true }),
    questions: [{ name: questionName, type: A, class: 1 }],
    answers: [evilA(name)],
    authorities: [],
    additionals: [],
  });
}

interface Rejection {
  reason: string;
  from: ServerAddress;
  detail: RejectDetail;
}

interface RecursiveSide {
  resolver: Resolver;
  server: RecursiveServer;
  rejected: Rejection[];
  last?: ResolveResult;
}

interface Net {
  hierarchy: Hierarchy;
  example: AuthServer;
  attacker: AuthServer;
  examplePath: ServerPath;
  attackerPath: ServerPath;
  hardened: RecursiveSide;
  weak: RecursiveSide;
  victim: Stub;
  attackerStub: Stub;
  weakPort: number;
}

interface State {
  taps: TapSwitch;
  net?: Net;
  /** The resolver the weak-resolver steps attack: a test swaps in the hardened one to see checkpoints fail. */
  weakOptions: WeakTransport | undefined;
  captures: string[];
  confirm: Confirm[];
  /** Forged datagrams per second the attacker managed on loopback (measured in the weak attack). */
  rate?: number;
}

const message = (r: QueryResult, what: string): DnsMessage => {
  if (!r.ok) throw new Error(`${what}: no answer (${r.reason})`);
  return r.message;
};
const addresses = (m: DnsMessage): string[] => m.answers.filter((r) => r.type === A).map((r) => rdataText(r.data));

/** A free UDP port on an address (bound, read, let go). */
async function freePort(address: string): Promise<number> {
  const s = await attackerSocket(address, 0);
  const port = s.address().port;
  await closeUdp(s);
  return port;
}

async function recursiveSide(ctx: StepContext<State>, address: string, port: number, weak: WeakTransport | undefined): Promise<RecursiveSide> {
  const rejected: Rejection[] = [];
  const transport = new SocketTransport({
    localAddress: address,
    timeoutMs: 2000,
    tap: ctx.state.taps,
    weak,
    onRejected: (reason, from, detail) => rejected.push({ reason, from, detail }),
  });
  const resolver = new Resolver({ rootHints: [{ name: ROOT_NAME, address: ROOT_ADDRESS, port }], port, transport, cache: new DnsCache() });
  const seen: { last?: ResolveResult } = {};
  const server = new RecursiveServer({
    resolver,
    address,
    onQuery: (q) => {
      if (q.result !== undefined) seen.last = q.result;
    },
  });
  await server.start();
  ctx.onLabEnd(() => server.close());
  return Object.assign(seen, { resolver, rejected, server });
}

/** Starts root and .com, example.com and attacker.com behind their paths, all on one port. */
async function startNet(ctx: StepContext<State>): Promise<Omit<Net, 'hardened' | 'weak' | 'victim' | 'attackerStub' | 'weakPort'>> {
  const extra = `attacker NS ns.attacker\nns.attacker A ${ATTACKER_NS}\n`;
  for (let attempt = 1; ; attempt++) {
    const hierarchy = await startHierarchy([
      { name: ROOT_NAME, address: ROOT_ADDRESS, zones: [rootZone()] },
      { name: TLD_NAME, address: TLD_ADDRESS, zones: [comZone(AUTH_ADDRESS, extra)] },
    ]);
    const example = new AuthServer({ address: AUTH_BACK, zones: [exampleZone(`login A ${TARGET_ADDRESS}\n`)], rotate: false });
    const attacker = new AuthServer({ address: ATTACKER_BACK, zones: [attackerZone()], rotate: false });
    await example.start();
    await attacker.start();
    try {
      const examplePath = await ServerPath.open({
        front: { address: AUTH_ADDRESS, port: hierarchy.port },
        back: { address: AUTH_BACK, port: example.port },
        delayMs: DELAY_MS,
      });
      try {
        const attackerPath = await ServerPath.open({
          front: { address: ATTACKER_NS, port: hierarchy.port },
          back: { address: ATTACKER_BACK, port: attacker.port },
          rewrite: poison,
        });
        ctx.onLabEnd(async () => {
          await examplePath.close();
          await attackerPath.close();
          await example.close();
          await attacker.close();
          await hierarchy.close();
        });
        return { hierarchy, example, attacker, examplePath, attackerPath };
      } catch (err) {
        await examplePath.close();
        throw err;
      }
    } catch (err) {
      await example.close();
      await attacker.close();
      await hierarchy.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 8) throw err;
    }
  }
}

function captureStep(ctx: StepContext<State>, net: Net, file: string, options: Parameters<typeof dnsStepCapture>[2]): string {
  const cap = dnsStepCapture(ctx, file, options, () => [net.hierarchy.port, net.hardened.server.port, net.weak.server.port]);
  ctx.state.taps.current = cap.tap;
  ctx.onStepEnd(() => {
    ctx.state.taps.current = undefined;
  });
  ctx.state.captures.push(cap.absolutePath);
  return cap.absolutePath;
}

/** The next query the path sees for `name`. */
function nextQuery(path: ServerPath, name: string, act: (q: PathQuery) => void | Promise<void>): Promise<PathQuery> {
  return new Promise((resolve) => {
    const before = path.onQuery;
    path.onQuery = (q) => {
      before?.(q);
      if (q.question.name.toLowerCase() !== name) return;
      path.onQuery = before;
      void Promise.resolve(act(q)).then(() => resolve(q));
    };
  });
}

/**
 * The blind attack: the attacker asks `side` for TARGET and, from the server's address, floods
 * forged answers with the IDs after the one it saw, to the port it saw, until the answer comes.
 */
async function blindAttack(
  net: Net,
  seen: { id: number; port: number },
  to: string,
): Promise<{ answer: DnsMessage; sent: number; ms: number; accepted?: number; real?: PathQuery }> {
  const forgeries = Array.from({ length: GUESSES }, (_, i) => ({ id: (seen.id + 1 + i) & 0xffff, bytes: forged((seen.id + 1 + i) & 0xffff, TARGET) }));
  const before = net.examplePath.injected;
  let flooding = true;
  const started = performance.now();
  const flood = (): void => {
    if (!flooding) return;
    for (const f of forgeries) net.examplePath.inject(f.bytes, { address: to, port: seen.port });
    setImmediate(flood);
  };
  let real: PathQuery | undefined;
  net.examplePath.onQuery = (q) => {
    if (q.question.name.toLowerCase() === TARGET) real = q;
  };
  const pending = net.attackerStub.ask(TARGET, A, `attacker ${ATTACKER_CLIENT}: ${TARGET} to the resolver, to start the race`);
  setImmediate(flood);
  const r = await pending;
  flooding = false;
  net.examplePath.onQuery = undefined;
  const ms = performance.now() - started;
  const answer = message(r.result, "the attacker's question");
  const won = addresses(answer).includes(EVIL);
  return { answer, sent: net.examplePath.injected - before, ms, accepted: won ? real?.id : undefined, real };
}

export default defineLab<State>({
  ...LAB_INFO['dns-spoofing'],
  state: () => ({ taps: new TapSwitch(), captures: [], confirm: [], weakOptions: { sequentialIds: true } }),
  exercises: dnsSpoofingExercises,
  steps: [
    {
      title: "The victim's resolver, example.com 50 ms away, and an attacker next door",
      explain:
        `As in dns-resolution: a root (${ROOT_ADDRESS}), .com (${TLD_ADDRESS}) and example.com's server, known as ${AUTH_ADDRESS}.\n` +
        `Two recursive resolvers: netlab's hardened one on ${RESOLVER_ADDRESS} (a crypto-random ID and source port per query) and\n` +
        `a weak one on ${WEAK_ADDRESS} (one fixed source port, IDs counting up), for later. The attacker owns attacker.com\n` +
        `(its server ${ATTACKER_NS}) and wants ${SEED.name} and ${TARGET} to point at ${EVIL}.\n` +
        "Forging a source address takes a raw socket (root), so the lab plays the network: it holds example.com's\n" +
        `address ${AUTH_ADDRESS}, passes queries to the real server behind it and its answers back after ${DELAY_MS} ms (a study guide's\n` +
        "authoritative hop), and sends the attacker's datagrams from that address: what spoofing does on a real network.",
      async run(ctx) {
        const base = await startNet(ctx);
        const hardened = await recursiveSide(ctx, RESOLVER_ADDRESS, base.hierarchy.port, undefined);
        const weakPort = await freePort(WEAK_ADDRESS);
        const weakOptions =
          ctx.state.weakOptions === undefined ? undefined : { ...ctx.state.weakOptions, fixedPort: weakPort, firstId: ctx.random.int(0, 0xffff) };
        const weak = await recursiveSide(ctx, WEAK_ADDRESS, base.hierarchy.port, weakOptions);
        const victim = new Stub(STUB_ADDRESS, () => ({ address: RESOLVER_ADDRESS, port: hardened.server.port }), ctx.state.taps);
        const attackerStub = new Stub(ATTACKER_CLIENT, () => ({ address: RESOLVER_ADDRESS, port: hardened.server.port }), ctx.state.taps);
        const net: Net = { ...base, hardened, weak, victim, attackerStub, weakPort };
        ctx.state.net = net;
        ctx.show.table(
          ['who', 'address', 'port'],
          [
            ['root', ROOT_ADDRESS, base.hierarchy.port],
            ['.com TLD (delegates example.com and attacker.com)', TLD_ADDRESS, base.hierarchy.port],
            [`example.com (${AUTH_NAME}), as the resolver knows it`, AUTH_ADDRESS, base.hierarchy.port],
            ["example.com's real server, behind the path", AUTH_BACK, base.example.port],
            ['attacker.com (ns.attacker.com)', ATTACKER_NS, base.hierarchy.port],
            ['hardened recursive resolver (random IDs and ports)', RESOLVER_ADDRESS, hardened.server.port],
            [`weak recursive resolver (queries from port ${weakPort}, IDs counting up)`, WEAK_ADDRESS, weak.server.port],
            ['the victim (a stub)', STUB_ADDRESS, '(ephemeral)'],
            ["the attacker's client", ATTACKER_CLIENT, '(ephemeral)'],
          ],
        );
        const direct = await victim.ask(SEED.name, A);
        ctx.check.equal(`through the path, ${SEED.name} resolves to a study guide's address`, addresses(message(direct.result, 'the first lookup')), [
          SEED.address,
        ]);
        ctx.check.between(`example.com's answers take the path's ${DELAY_MS} ms`, Math.round(direct.ms), DELAY_MS, DELAY_MS + 1000, 'ms');
        hardened.resolver.cache.clear();
      },
    },
    {
      title: 'Forged answers, each wrong in one way, race the real one',
      explain:
        `The victim asks for ${SEED.name}. The moment the resolver's question reaches example.com's address, the attacker (allowed\n` +
        'to see that question, so that each forgery is wrong in one thing only) sends four answers pointing at\n' +
        `${EVIL}, all before the real answer (${DELAY_MS} ms away): one with the wrong ID, one from the server's address but another\n` +
        "port, one from another address, one for another question. The resolver's transport takes an answer only from\n" +
        'the server asked, to the port the query left from, with the same ID and the same question.',
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const side = net.hardened;
        const path = captureStep(ctx, net, 'dns-spoofing-forged', {
          filter: 'frame.comment contains "turned away"',
          frames: 4,
          about: 'the four forged answers, each comment saying why the resolver turned it away',
          also: [
            { filter: `dns.a == ${EVIL}`, frames: 3, about: 'the three forgeries Wireshark reads as DNS (the one from another port is plain UDP to it)' },
            { filter: `dns.a == ${SEED.address} && ip.src == ${AUTH_ADDRESS}`, frames: 1, about: 'the real answer, which wins' },
          ],
        });
        side.rejected.length = 0;
        const port = net.hierarchy.port;
        const otherPort = await attackerSocket(AUTH_ADDRESS, 0);
        const otherAddress = await attackerSocket(EVIL, port).catch(() => attackerSocket(EVIL, 0));
        ctx.onStepEnd(async () => {
          await closeUdp(otherPort);
          await closeUdp(otherAddress);
        });
        const sentAt: string[] = [];
        const seen = nextQuery(net.examplePath, SEED.name, (q) => {
          const to = q.from;
          net.examplePath.inject(forged((q.id + 1) & 0xffff, SEED.name), to);
          otherPort.send(forged(q.id, SEED.name), to.port, to.address);
          otherAddress.send(forged(q.id, SEED.name), to.port, to.address);
          net.examplePath.inject(forged(q.id, SEED.name, 'www.example.org'), to);
          sentAt.push(`${q.id}`);
        });
        const r = await net.victim.ask(SEED.name, A);
        const q = await seen;
        await sleep(20, ctx.signal);
        const m = message(r.result, "the victim's question");
        const rows = side.rejected.map((x) => [`${x.from.address}:${x.from.port}`, x.detail.id ?? '', x.detail.kind, x.reason]);
        ctx.show.table(['forged answer from', 'ID', 'check', 'why the resolver turned it away'], rows, {
          title: `The resolver's query: ID ${q.id}, from port ${q.from.port}`,
        });
        ctx.show.table(CACHE_HEAD, cacheTable(side.resolver.cache), { title: "The hardened resolver's cache" });
        ctx.check.equal(
          'four forgeries turned away, each for its one fault',
          side.rejected.map((x) => x.detail.kind),
          ['id', 'source', 'source', 'question'],
        );
        ctx.check.match('the wrong ID is named', side.rejected[0]?.reason ?? '', new RegExp(`^wrong ID ${(q.id + 1) & 0xffff} \\(expected ${q.id}\\)$`));
        ctx.check.match(
          'so is the wrong source port',
          side.rejected[1]?.reason ?? '',
          new RegExp(`^from ${AUTH_ADDRESS.replace(/\./g, '\\.')}:\\d+, not the server asked \\(${AUTH_ADDRESS.replace(/\./g, '\\.')}:${port}\\)$`),
        );
        ctx.check.match(
          'and the wrong source address',
          side.rejected[2]?.reason ?? '',
          new RegExp(`^from ${EVIL.replace(/\./g, '\\.')}:\\d+, not the server asked`),
        );
        ctx.check.equal('and the wrong question', side.rejected[3]?.reason, `wrong question www.example.org (expected ${SEED.name})`);
        ctx.check.equal('the real answer wins', addresses(m), [SEED.address]);
        ctx.check.equal(`the cache holds ${SEED.target} -> ${SEED.address}`, cacheRow(side.resolver.cache, SEED.target, 'A')?.data, SEED.address);
        ctx.state.confirm.push({
          path,
          what: 'the comments of the four forgeries',
          fields: ['frame.comment'],
          filter: (row) => (row[0] ?? '').startsWith('turned away'),
          expected: side.rejected.map((x) => [`turned away by the resolver (waiting for ${SEED.name} (ID ${q.id}, port ${q.from.port})): ${x.reason}`]),
        });
      },
    },
    {
      title: 'Out-of-bailiwick records from a server the attacker owns',
      explain:
        'The attacker does not need to forge anything to send records: it answers for attacker.com and can put anything\n' +
        `in its answers. Asked for www.attacker.com, it adds "${SEED.name} A ${EVIL}"; asked for sub.attacker.com (delegated\n` +
        `to ${AUTH_NAME}), it adds the glue "${AUTH_NAME} A ${EVIL}". A resolver that cached those would send every\n` +
        "example.com question to the attacker. Bailiwick: a server's records count only for names in the zone it answers\n" +
        'for; the resolver drops the rest and says so.',
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const side = net.hardened;
        captureStep(ctx, net, 'dns-spoofing-bailiwick', {
          filter: `dns.a == ${EVIL}`,
          frames: 'some',
          about: "the attacker's answers with the records it should not give",
        });
        const www = await net.victim.ask('www.attacker.com', A);
        const wwwEvents = side.last?.events ?? [];
        const sub = await net.victim.ask('host.sub.attacker.com', A);
        const subEvents = side.last?.events ?? [];
        const dropped = wwwEvents.flatMap((e) => (e.kind === 'out-of-bailiwick' ? [`${e.record} (zone ${e.zone})`] : []));
        const glue = subEvents.flatMap((e) => (e.kind === 'glue' && !e.accepted ? [`${e.name} ${e.address}: ${e.reason}`] : []));
        ctx.show.text([...dropped.map((d) => `dropped: ${d}`), ...glue.map((g) => `glue refused: ${g}`)].join('\n'));
        ctx.show.table(CACHE_HEAD, cacheTable(side.resolver.cache), { title: "The hardened resolver's cache" });
        ctx.check.equal('www.attacker.com is answered (its own record)', addresses(message(www.result, 'www.attacker.com')), [EVIL]);
        ctx.check.equal(`the extra ${SEED.name} record is dropped as out of bailiwick`, dropped, [`${SEED.name} A ${EVIL} (zone attacker.com)`]);
        ctx.check.equal(`the glue for ${AUTH_NAME} is refused`, glue, [
          `${AUTH_NAME} ${EVIL}: out of bailiwick: not under "attacker.com", which the server answers for`,
        ]);
        ctx.check.equal(
          `sub.attacker.com fails (its name server ${AUTH_NAME} does not serve it)`,
          dnsRcodeName(message(sub.result, 'host.sub.attacker.com').flags.rcode),
          'SERVFAIL',
        );
        ctx.check.equal(
          `the cache still has ${SEED.target} -> ${SEED.address} and no ${SEED.name} A`,
          [cacheRow(side.resolver.cache, SEED.target, 'A')?.data, cacheRow(side.resolver.cache, SEED.name, 'A')],
          [SEED.address, undefined],
        );
        ctx.check.equal(`and ${AUTH_NAME} -> ${AUTH_ADDRESS}`, cacheRow(side.resolver.cache, AUTH_NAME, 'A')?.data, AUTH_ADDRESS);
      },
    },
    {
      title: 'A weak resolver: fixed source port, IDs counting up, and a poisoned cache',
      explain:
        `Before 2008 many resolvers sent every query from one port and numbered them 1, 2, 3 ... (${WEAK_ADDRESS} does, with\n` +
        "SocketTransport's lab-only `weak` option). The attacker asks it for a name in its own zone and reads, at its own\n" +
        `server, the port and ID the query came with. Then it asks for ${TARGET} and, from example.com's address, floods\n` +
        `answers "${TARGET} A ${EVIL}" with the next ${GUESSES} IDs to that port. The real answer needs ${DELAY_MS} ms; a guess needs one hit.`,
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const side = net.weak;
        const path = captureStep(ctx, net, 'dns-spoofing-poisoned', {
          filter: `dns.a == ${EVIL} && ip.src == ${AUTH_ADDRESS} && frame.comment contains "taken as the answer"`,
          frames: 1,
          about: 'the forged answer the weak resolver took, "from" example.com\'s address',
          also: [
            {
              filter: `dns.qry.name == "${TARGET}" && ip.src == ${WEAK_ADDRESS} && ip.dst == ${AUTH_ADDRESS}`,
              frames: 1,
              about: 'its query to example.com: the fixed port, the next ID',
            },
          ],
        });
        const weakStub = new Stub(ATTACKER_CLIENT, () => ({ address: WEAK_ADDRESS, port: side.server.port }), ctx.state.taps);
        const probe = nextQuery(net.attackerPath, 'probe.attacker.com', () => undefined);
        await weakStub.ask('probe.attacker.com', A, `attacker ${ATTACKER_CLIENT}: probe.attacker.com, to read the resolver's port and ID at its own server`);
        const seen = await probe;
        const attack = await blindAttack({ ...net, attackerStub: weakStub }, { id: seen.id, port: seen.from.port }, WEAK_ADDRESS);
        await sleep(DELAY_MS + 20, ctx.signal); // the real answer arrives late, to a socket long closed
        const victim = new Stub(STUB_ADDRESS, () => ({ address: WEAK_ADDRESS, port: side.server.port }), ctx.state.taps);
        const later = await victim.ask(TARGET, A);
        const victimAnswer = message(later.result, "the victim's question");
        const row = cacheRow(side.resolver.cache, TARGET, 'A');
        ctx.show.table(
          ['', 'value'],
          [
            ['the probe came from port, with ID', `${seen.from.port}, ${seen.id}`],
            ['the attacker guessed IDs', `${(seen.id + 1) & 0xffff} .. ${(seen.id + GUESSES) & 0xffff}`],
            [`the query for ${TARGET} had ID`, attack.accepted ?? '(the forgery lost)'],
            ['forged datagrams sent', attack.sent],
            ['before the answer came (ms)', attack.ms.toFixed(1)],
            [`the attacker got for ${TARGET}`, addresses(attack.answer).join(', ')],
            ['a victim asking later gets', addresses(victimAnswer).join(', ')],
          ],
        );
        ctx.show.table(CACHE_HEAD, cacheTable(side.resolver.cache), { title: "The weak resolver's cache: poisoned" });
        ctx.check.equal("the probe came from the weak resolver's one port", seen.from.port, net.weakPort);
        ctx.check.ok(
          'the forged answer won the race',
          attack.accepted !== undefined,
          addresses(attack.answer).join(', '),
          `${EVIL}, with one of the guessed IDs`,
        );
        ctx.check.equal(`the cache is poisoned: ${TARGET} -> ${EVIL} for a day`, [row?.data, (row?.ttl ?? 0) > 86_000], [EVIL, true]);
        ctx.check.equal("a victim asking later gets the attacker's address, from the cache", [addresses(victimAnswer), side.last?.fromCache], [[EVIL], true]);
        ctx.state.confirm.push({
          path,
          what: "the forged answer the weak resolver took, from example.com's address to its fixed port",
          fields: ['ip.src', 'udp.dstport', 'dns.id', 'dns.a', 'frame.comment'],
          filter: (r) => r[0] === AUTH_ADDRESS && r[3] === EVIL && (r[4] ?? '').startsWith('taken as the answer'),
          keep: 4,
          expected: [[AUTH_ADDRESS, String(net.weakPort), `0x${(attack.accepted ?? 0).toString(16).padStart(4, '0')}`, EVIL]],
        });
      },
    },
    {
      title: 'The same attack against the hardened resolver',
      explain:
        `The same moves against ${RESOLVER_ADDRESS}: a probe to read its port and ID, then ${TARGET} and the flood of ${GUESSES} next IDs to that\n` +
        'port. But each query leaves from a new random port with a random ID: the forgeries go to a port nobody listens on\n' +
        '(the kernel drops them), and the real answer arrives after its 50 ms as if nothing happened.',
      async run(ctx) {
        const net = need(ctx.state.net, 'the servers');
        const side = net.hardened;
        captureStep(ctx, net, 'dns-spoofing-hardened', {
          filter: `dns.qry.name == "${TARGET}"`,
          frames: 'some',
          about: "the hardened resolver's query and the real answer; no forgery reached its socket",
        });
        side.rejected.length = 0;
        const probe = nextQuery(net.attackerPath, 'probe2.attacker.com', () => undefined);
        await net.attackerStub.ask('probe2.attacker.com', A);
        const seen = await probe;
        const attack = await blindAttack(net, { id: seen.id, port: seen.from.port }, RESOLVER_ADDRESS);
        const realPort = need(attack.real, `the hardened resolver's query for ${TARGET}`).from.port;
        // The attacker's rate, for the numbers: a flood from example.com's address to a port nobody uses.
        const idle = await freePort(RESOLVER_ADDRESS);
        const bytes = forged(1, TARGET);
        const t0 = performance.now();
        const before = net.examplePath.injected;
        while (performance.now() - t0 < RATE_MS) {
          for (let i = 0; i < 64; i++) net.examplePath.inject(bytes, { address: RESOLVER_ADDRESS, port: idle });
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        ctx.state.rate = (net.examplePath.injected - before) / ((performance.now() - t0) / 1000);
        ctx.show.table(
          ['', 'value'],
          [
            ['the probe came from port, with ID', `${seen.from.port}, ${seen.id}`],
            [`the query for ${TARGET} came from port`, realPort],
            ['forged datagrams sent', attack.sent],
            ["forged datagrams that reached the resolver's socket", side.rejected.length],
            [`then, for ${RATE_MS} ms, the attacker's flood rate (datagrams/s)`, Math.round(ctx.state.rate)],
            ['the attacker got', addresses(attack.answer).join(', ')],
          ],
        );
        ctx.check.notEqual('the query left from another port than the probe', realPort, seen.from.port);
        ctx.check.equal('the real answer won', addresses(attack.answer), [TARGET_ADDRESS]);
        ctx.check.equal(`the cache holds ${TARGET} -> ${TARGET_ADDRESS}`, cacheRow(side.resolver.cache, TARGET, 'A')?.data, TARGET_ADDRESS);
      },
    },
    {
      title: 'The numbers: 2^16 against 2^32',
      explain:
        'A blind attacker must guess what the resolver checks: the ID (16 bits) and, with random ports, the port too. Each\n' +
        'race lasts as long as the real answer takes; and the attacker can start a new race at once with a new name that is\n' +
        'in no cache (Kaminsky, 2008), so short TTLs do not stop poisoning: random ports and IDs, bailiwick checks and\n' +
        'DNSSEC do.',
      run(ctx) {
        const rate = need(ctx.state.rate, "the attacker's measured rate");
        const perRace = Math.max(1, Math.round((rate * DELAY_MS) / 1000));
        const range = (() => {
          try {
            const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
            return { lo, hi, source: '/proc/sys/net/ipv4/ip_local_port_range' };
          } catch {
            return { lo: 32768, hi: 60999, source: 'Linux default (no /proc here)' };
          }
        })();
        const kernelPorts = range.hi - range.lo + 1;
        const netlabPorts = 0x10000 - 1024;
        const cases: [string, number][] = [
          ['fixed port, IDs counting up (the attacker saw one)', GUESSES],
          ['fixed port, random ID', 2 ** 16],
          [`random ID, random port in ${range.lo}-${range.hi} (${kernelPorts} ports, ${range.source})`, 2 ** 16 * kernelPorts],
          [`random ID, random port in 1024-65535 (${netlabPorts} ports, netlab's transport)`, 2 ** 16 * netlabPorts],
        ];
        const human = (s: number): string =>
          s < 120
            ? `${s.toFixed(2)} s`
            : s < 7200
              ? `${(s / 60).toFixed(1)} min`
              : s < 172_800
                ? `${(s / 3600).toFixed(1)} h`
                : `${(s / 86_400).toFixed(1)} days`;
        ctx.show.table(
          ['resolver', 'guess space', 'log2', `races at ${perRace} guesses per ${DELAY_MS} ms race`, 'expected time'],
          cases.map(([what, space]) => {
            const races = Math.max(1, space / perRace / 2);
            return [what, space, Math.log2(space).toFixed(1), Math.ceil(races), human((races * DELAY_MS) / 1000)];
          }),
          { title: `The attacker's measured rate on loopback: ${Math.round(rate)} forged datagrams/s` },
        );
        ctx.check.equal('a 16-bit ID: 65,536 values', 2 ** 16, 65_536);
        ctx.check.equal("ID x netlab's port range: 65,536 x 64,512", 2 ** 16 * netlabPorts, 4_227_858_432);
        ctx.check.between('that is about 2^32', Math.round(Math.log2(2 ** 16 * netlabPorts) * 10) / 10, 31.9, 32);
        ctx.check.between(`the kernel's ephemeral range adds ${Math.log2(kernelPorts).toFixed(1)} bits`, Math.round(Math.log2(kernelPorts) * 10) / 10, 10, 16);
        ctx.check.atLeast("random ports multiply the attacker's work by over 10,000", (2 ** 16 * kernelPorts) / 2 ** 16, 10_000);
      },
    },
    {
      title: 'What Wireshark says',
      explain: 'tshark reads the captures: the forgeries with their comments, the forged answer the weak resolver took, no malformed packet.',
      run(ctx) {
        if (!tsharkInstalled()) {
          ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
          return;
        }
        for (const c of ctx.state.confirm) {
          const rows = tsharkFields(c.path, c.fields)
            .filter(c.filter)
            .map((r) => r.slice(0, c.keep ?? r.length));
          ctx.show.table(c.fields.slice(0, c.keep ?? c.fields.length), rows, { title: `tshark: ${c.what} (${c.path.split('/').pop() ?? c.path})` });
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
