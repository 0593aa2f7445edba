// Lab: nat-behaviours. RFC 4787's mapping and filtering behaviours in netlab's translator, in the
// virtual network on simulated time: the four classic types (full cone, restricted, port-restricted,
// symmetric) side by side on the same traffic; UDP hole punching between two NATs through a
// rendezvous server, working for the cones and failing for symmetric with the reason, and the whole
// matrix of pairs; hairpinning on and off; and netlab's RFC 5780 STUN client classifying each type.

import { defineLab, tsharkFields, tsharkInstalled, type AnyLab, type StepContext } from '../src/lab/index.ts';
import { StunClient, StunServer, netsimNetwork, type NatBehaviour, type NatEvent, type StunClassification } from '../src/nat/index.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import { LAB_INFO } from './info.ts';
import { resolve } from 'node:path';
import type { Confirm } from './netsim/lab-steps.ts';
import { replay, udpFrames, type UdpView } from './nat-behaviours/frames.ts';
import { BOB_LATE_MS, holePunch, INTERVAL_MS, PUNCHES, Rendezvous, text, type PunchMode, type PunchResult } from './nat-behaviours/punch.ts';
import { natExercises, HAIRPIN_STEP, PUNCH_STEP, STUN_STEP, TYPES_STEP } from './nat-behaviours/exercises.ts';
import {
  buildWorld,
  POOL,
  PROBE_PORTS,
  short,
  siteName,
  SRV1,
  SRV2,
  STUN_PORTS,
  TYPE_NAMES,
  TYPES,
  type NatType,
  type SiteSpec,
  type World,
} from './nat-behaviours/world.ts';

export interface NatBehavioursOptions {
  /** Behaviours that replace a type's real ones (a test misconfigures a NAT to see the checkpoints fail). */
  readonly misconfigure?: Partial<Record<NatType, { mapping?: NatBehaviour; filtering?: NatBehaviour }>>;
  readonly fault?: LinkFault;
}

export interface NatBehavioursState {
  captures: string[];
  confirm: Confirm[];
  /** Step four: the mapped port STUN's first answer gave the symmetric NAT's PC. */
  stunMapped?: number;
}

const IN = 'in';
const DROPPED = 'dropped';

function behaviours(t: NatType, o: NatBehavioursOptions): { mapping: NatBehaviour; filtering: NatBehaviour } {
  return { ...TYPES[t], ...(o.misconfigure?.[t] ?? {}) };
}

/** The four types as sites on one ISP segment, 203.0.113.11 to .14, each with 192.168.1.2 inside. */
function fourSites(o: NatBehavioursOptions, extra: readonly SiteSpec[] = []): SiteSpec[] {
  return [...TYPE_NAMES.map((t, i) => ({ name: siteName(t), ...behaviours(t, o), public: `203.0.113.${11 + i}`, lan: '192.168.1' })), ...extra];
}

function network(ctx: StepContext<NatBehavioursState>, o: NatBehavioursOptions): LabNet {
  const net = new LabNet({ start: ctx.clock.now(), delayMs: 1, fault: o.fault });
  ctx.onStepEnd(() => net.close());
  return net;
}

/** Counts refusals by reason on a NAT while a run goes on. */
function refusals(w: World, site: string): Map<string, number> {
  const m = new Map<string, number>();
  w.site(site).nat.table.onEvent((e: NatEvent) => {
    if (e.type === 'refused') m.set(e.reason, (m.get(e.reason) ?? 0) + 1);
  });
  return m;
}

const pairs = (): [NatType, NatType][] => TYPE_NAMES.flatMap((a, i) => TYPE_NAMES.slice(i).map((b): [NatType, NatType] => [a, b]));

/** Hole punching between alice behind an `a` NAT and bob behind a `b` NAT, in a fresh network. */
async function punchPair(
  ctx: StepContext<NatBehavioursState>,
  o: NatBehavioursOptions,
  a: NatType,
  b: NatType,
  mode: PunchMode,
): Promise<{ w: World; r: PunchResult; refused: { alice: Map<string, number>; bob: Map<string, number> } }> {
  const net = network(ctx, o);
  const w = buildWorld(net, [
    { name: 'alice', ...behaviours(a, o), public: '203.0.113.5', lan: '192.168.1' },
    { name: 'bob', ...behaviours(b, o), public: '198.51.100.7', lan: '10.0.0' },
  ]);
  const rv = new Rendezvous(w.srv1);
  const refused = { alice: refusals(w, 'alice'), bob: refusals(w, 'bob') };
  const r = await holePunch(net, rv, { host: w.site('alice').pcs[0], address: '192.168.1.2' }, { host: w.site('bob').pcs[0], address: '10.0.0.2' }, mode);
  rv.close();
  return { w, r, refused };
}

/** Expected: hole punching works with peers that only use what they learned when neither NAT is symmetric. */
function punchExpected(a: NatType, b: NatType, mode: PunchMode): boolean {
  const sym = [a, b].filter((t) => t === 'symmetric').length;
  if (sym === 0) return true;
  if (mode === 'learned' || sym === 2) return false;
  const other = a === 'symmetric' ? b : a;
  return other !== 'port-restricted';
}

/** The public port a NAT gave a flow, from its table: inside port -> remote. */
function portToward(w: World, site: string, insidePort: number, remote: string, remotePort: number): number | undefined {
  return w
    .site(site)
    .nat.table.entries()
    .find((e) => e.insidePort === insidePort && e.remoteAddress === remote && e.remotePort === remotePort)?.outsidePort;
}

export function natBehavioursLab(options: NatBehavioursOptions = {}): AnyLab {
  return defineLab<NatBehavioursState>({
    ...LAB_INFO['nat-behaviours'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: natExercises,
    steps: [
      {
        title: TYPES_STEP,
        explain:
          'Four home routers with NAT, each with a PC at 192.168.1.2 behind it, public addresses 203.0.113.11 to .14.\n' +
          'RFC 4787 names two choices a NAT makes. Mapping: does a new destination get a new public port? Filtering:\n' +
          'who may send in to a public port? Each is endpoint-independent (EI), address-dependent (AD) or\n' +
          'address-and-port-dependent (APD), and the old names are pairs of those answers:\n' +
          '  full cone        EI mapping, EI filtering: anyone may send in\n' +
          '  restricted       EI mapping, AD filtering: any port of an address the PC sent to\n' +
          '  port-restricted  EI mapping, APD filtering: only an endpoint the PC sent to\n' +
          '  symmetric        APD mapping (a new port per destination), APD filtering\n' +
          'The same traffic goes through all four: from port 5100 the PC sends to 192.0.2.10:6001, 192.0.2.10:6002\n' +
          'and 192.0.2.20:6001; from port 5102 it sends to 192.0.2.10:6001 only, and then all three servers send\n' +
          `to the public port of that second flow. Each NAT allocates from ${POOL.min} up, in order, keeping parity.`,
        async run(ctx) {
          const net = network(ctx, options);
          const w = buildWorld(net, fourSites(options));
          const servers: [string, number][] = [
            [SRV1, PROBE_PORTS[0]],
            [SRV1, PROBE_PORTS[1]],
            [SRV2, PROBE_PORTS[0]],
          ];
          const heard: { at: string; from: string; port: number; text: string }[] = [];
          const probes = servers.map(([addr, port]) => {
            const s = (addr === SRV1 ? w.srv1 : w.srv2).udpSocket();
            s.bind(port, addr);
            s.onMessage((m) => heard.push({ at: `${addr}:${port}`, from: m.address, port: m.port, text: new TextDecoder().decode(m.data) }));
            return s;
          });
          const got = new Map<string, string[]>();
          for (const t of TYPE_NAMES) {
            const pc = w.site(siteName(t)).pcs[0];
            const flows = pc.udpSocket();
            flows.bind(5100, '192.168.1.2');
            for (const [addr, port] of servers) flows.send(`flow to ${addr}:${port}`, port, addr);
            const knock = pc.udpSocket();
            knock.bind(5102, '192.168.1.2');
            knock.onMessage((m) => got.set(t, [...(got.get(t) ?? []), `${m.address}:${m.port}`]));
            knock.send(`open to ${SRV1}:${PROBE_PORTS[0]}`, PROBE_PORTS[0], SRV1);
          }
          await net.wait(30);
          const mark = net.frames.length;
          for (const t of TYPE_NAMES) {
            const pub = `203.0.113.${11 + TYPE_NAMES.indexOf(t)}`;
            const open = heard.find((h) => h.from === pub && h.text.startsWith('open'));
            if (open === undefined) continue;
            for (let i = 0; i < servers.length; i++) probes[i].send(`KNOCK from ${servers[i][0]}:${servers[i][1]}`, open.port, pub);
          }
          await net.wait(30);
          for (const p of probes) p.close();
          const ports = (t: NatType): string[] => {
            const pub = `203.0.113.${11 + TYPE_NAMES.indexOf(t)}`;
            return servers.map(([a, p]) => String(heard.find((h) => h.from === pub && h.at === `${a}:${p}` && h.text.startsWith('flow'))?.port ?? '-'));
          };
          const inbound = (t: NatType): string[] => servers.map(([a, p]) => ((got.get(t) ?? []).includes(`${a}:${p}`) ? IN : DROPPED));
          const head = ['', ...TYPE_NAMES.map((t) => (t === 'port-restricted' ? 'port-restr.' : t))];
          ctx.show.table(
            head,
            [
              ['mapping', ...TYPE_NAMES.map((t) => short(behaviours(t, options).mapping))],
              ['filtering', ...TYPE_NAMES.map((t) => short(behaviours(t, options).filtering))],
              ...servers.map(([a, p], i) => [`5100 -> ${a}:${p}`, ...TYPE_NAMES.map((t) => ports(t)[i])]),
            ],
            { title: 'The public port each flow got (from 192.168.1.2)' },
          );
          ctx.show.table(head, [...servers.map(([a, p], i) => [`${a}:${p}`, ...TYPE_NAMES.map((t) => inbound(t)[i])])], {
            title: `Sent in to the public port of 5102's flow (opened to ${SRV1}:${PROBE_PORTS[0]})`,
          });
          ctx.show.text(`symmetric-nat# show nat table\n${w.site('symmetric').nat.table.format()}`);
          ctx.show.text(
            'An endpoint-independent mapping keeps one public port for the socket, whatever the destination:\n' +
              'that port is what a server (or STUN) sees and can tell a peer. The symmetric NAT gives each\n' +
              'destination its own port, so the port one server saw says nothing about the next. Filtering is\n' +
              'the other half: a full cone lets anyone in once a mapping exists; the others only what the PC has\n' +
              'talked to (the address, or the address and port).',
          );
          const cone = [String(POOL.min), String(POOL.min), String(POOL.min)];
          for (const t of TYPE_NAMES) {
            ctx.check.equal(
              t === 'symmetric' ? 'symmetric: a new public port for each destination' : `${t}: one public port for every destination`,
              ports(t),
              t === 'symmetric' ? [String(POOL.min), String(POOL.min + 2), String(POOL.min + 4)] : cone,
            );
          }
          const want: Record<NatType, string[]> = {
            'full cone': [IN, IN, IN],
            restricted: [IN, IN, DROPPED],
            'port-restricted': [IN, DROPPED, DROPPED],
            symmetric: [IN, DROPPED, DROPPED],
          };
          for (const t of TYPE_NAMES) ctx.check.equal(`${t}: what got in to the public port`, inbound(t), want[t]);
          ctx.check.equal(
            'every drop is counted by its NAT as filtered',
            TYPE_NAMES.map((t) => w.site(siteName(t)).nat.counters.refusedFiltered),
            TYPE_NAMES.map((t) => want[t].filter((x) => x === DROPPED).length),
          );
          const all = udpFrames(net.frames);
          const symOut = all.filter((v) => v.src === '203.0.113.14' && v.text.startsWith('flow'));
          const knocksIn = udpFrames(net.since(mark)).filter((v) => v.dst === '192.168.1.2' && v.text.startsWith('KNOCK'));
          const symBoth = all.filter((v) => /^(lan|wan)-symmetric: /.test(`${v.w.link}: `));
          const cap = replay(ctx, net, 'four-types', 0, {
            filter: 'ip.src == 203.0.113.14 && udp.payload contains "flow"',
            frames: symOut.length,
            about: "the symmetric NAT's three flows outside: three source ports, on every link to the servers",
            also: [
              {
                filter: 'ip.dst == 192.168.1.2 && udp.payload contains "KNOCK"',
                frames: knocksIn.length,
                about: 'the knocks that got in, on each LAN: the public port rewritten back to 5102',
              },
              {
                filter: 'udp && (frame.comment contains "lan-symmetric:" || frame.comment contains "wan-symmetric:")',
                frames: symBoth.length,
                about: 'both sides of the symmetric NAT',
              },
            ],
          });
          ctx.state.confirm.push({
            path: cap,
            what: 'the knocks that reached a PC, and from where',
            fields: ['frame.comment', 'ip.src', 'udp.srcport', 'udp.dstport'],
            pick: (r) => /^lan-/.test(r[0] ?? '') && r[3] === '5102' && r[1] !== '192.168.1.2',
            expected: knocksIn.map((v: UdpView) => [`${v.w.link}: ${v.w.from} -> ${v.w.to}`, v.src, String(v.sport), '5102']),
          });
        },
      },
      {
        title: PUNCH_STEP,
        explain:
          'alice (192.168.1.2 behind 203.0.113.5) and bob (10.0.0.2 behind 198.51.100.7) want to talk directly.\n' +
          'Neither can receive first: each NAT drops what nobody inside asked for. Both register with a\n' +
          `rendezvous server (${SRV1}:6000) from the socket they will use; the server sees each one's public\n` +
          'address and port and tells each about the other. Then both send PUNCH datagrams to what they learned,\n' +
          `${PUNCHES} each, ${INTERVAL_MS} ms apart, bob starting ${BOB_LATE_MS} ms later. Each one's own outbound punch opens its NAT for the other:\n` +
          'the first punch may be dropped by the far NAT, but it opened the near one. First both NATs are\n' +
          'port-restricted cones, then both symmetric.',
        async run(ctx) {
          const show = async (
            t: NatType,
            file: string,
          ): Promise<{ r: PunchResult; w: World; refused: { alice: Map<string, number>; bob: Map<string, number> } }> => {
            const res = await punchPair(ctx, options, t, t, 'learned');
            const { w } = res;
            const punches = udpFrames(w.net.frames).filter((v) => v.text.startsWith('PUNCH'));
            const sent = punches.filter((v) => v.w.link.startsWith('lan-') && v.w.from.endsWith('-pc1-eth0'));
            const rows = sent.map((v) => {
              const who = v.w.from.startsWith('alice') ? 'alice' : 'bob';
              const other = who === 'alice' ? 'bob' : 'alice';
              const out = punches.find((x) => x.w.link === `wan-${who}` && x.text === v.text);
              const arrived = punches.find((x) => x.w.link === `lan-${other}` && x.text === v.text);
              return [
                (v.w.atMs - sent[0].w.atMs).toFixed(0),
                v.text.replace(/ (alice|bob)$/, ` ${who}`),
                out === undefined ? '-' : `${out.src}:${out.sport} -> ${out.dst}:${out.dport}`,
                arrived === undefined ? `dropped by ${other}'s NAT` : `in (${arrived.dst}:${arrived.dport})`,
              ];
            });
            ctx.show.table(['ms', 'punch', 'leaves its NAT as', 'fate'], rows, { title: `Both NATs ${t}` });
            const mark = 0;
            const aliceIn = punches.filter((v) => v.w.link === 'lan-alice' && v.dst === '192.168.1.2');
            const bobIn = punches.filter((v) => v.w.link === 'lan-bob' && v.dst === '10.0.0.2');
            const cap = replay(ctx, w.net, file, mark, {
              filter: 'udp.payload contains "PUNCH" && (ip.dst == 192.168.1.2 || ip.dst == 10.0.0.2)',
              frames: aliceIn.length + bobIn.length,
              about: 'the punches that got through to alice or bob (the inside side of each NAT)',
              also: [
                {
                  filter: 'udp.payload contains "PUNCH" && frame.comment contains "wan-"',
                  frames: punches.filter((v) => v.w.link.startsWith('wan-')).length,
                  about: 'the punches on the outside of each NAT, with the public ports they left from',
                },
                {
                  filter: 'udp.port == 6000',
                  frames: udpFrames(w.net.frames).filter((v) => v.sport === 6000 || v.dport === 6000).length,
                  about: 'registrations and the PEER answers: who learned which endpoint',
                },
              ],
            });
            ctx.state.confirm.push({
              path: cap,
              what: 'the punches that reached a PC',
              fields: ['ip.src', 'udp.srcport', 'ip.dst'],
              pick: (row) => row[2] === '192.168.1.2' || row[2] === '10.0.0.2',
              expected: udpFrames(w.net.frames)
                .filter((v) => (v.dst === '192.168.1.2' || v.dst === '10.0.0.2') && (v.w.link === 'lan-alice' || v.w.link === 'lan-bob'))
                .map((v) => [v.src, String(v.sport), v.dst]),
            });
            return res;
          };
          const cone = await show('port-restricted', 'punch-cones');
          const reg = cone.r.registered;
          ctx.check.equal(
            'the rendezvous server saw both public endpoints, and each peer learned the other',
            [text(cone.r.alice.learned), text(cone.r.bob.learned)],
            [text(reg[1]), text(reg[0])],
          );
          ctx.check.equal(
            "port-restricted cones: alice's first punch dropped by bob's NAT (bob had sent nothing yet), the rest got in",
            [cone.r.bob.received.map((x) => x.text), cone.refused.bob.get('filtered') ?? 0],
            [['PUNCH 2 alice', 'PUNCH 3 alice'], 1],
          );
          ctx.check.equal("and every one of bob's got in: alice's first punch had opened her NAT", cone.r.alice.received.length, PUNCHES);
          ctx.check.equal(
            'each side received from exactly the endpoint it had learned',
            [...new Set(cone.r.alice.received.map((x) => text(x.from))), ...new Set(cone.r.bob.received.map((x) => text(x.from)))],
            [text(cone.r.alice.learned), text(cone.r.bob.learned)],
          );
          const sym = await show('symmetric', 'punch-symmetric');
          const aliceToBob = portToward(sym.w, 'alice', 5100, '198.51.100.7', sym.r.alice.learned?.port ?? -1);
          const aliceToRv = portToward(sym.w, 'alice', 5100, SRV1, 6000);
          const bobToAlice = portToward(sym.w, 'bob', 5100, '203.0.113.5', sym.r.bob.learned?.port ?? -1);
          ctx.show.text(
            `Why it fails: bob learned alice at 203.0.113.5:${aliceToRv}, the port alice's NAT chose toward the\n` +
              `rendezvous server. Toward bob it chose a new one, ${aliceToBob}: a symmetric NAT maps each destination\n` +
              `apart. So bob's punches go to :${aliceToRv}, where only ${SRV1}:6000 may send in, and alice's arrive\n` +
              `at bob's NAT from :${aliceToBob}, which bob never sent to (his went out from ${bobToAlice} to :${aliceToRv}).\n` +
              'Neither NAT ever holds a session for the flow the other one uses: every punch is dropped.',
          );
          ctx.check.equal(
            'symmetric NATs: no punch got through either way',
            [sym.r.works, sym.r.alice.received.length, sym.r.bob.received.length],
            [false, 0, 0],
          );
          ctx.check.ok(
            "the reason: alice's NAT used a port toward bob other than the one bob learned",
            aliceToBob !== undefined && aliceToBob !== aliceToRv && sym.r.bob.learned?.port === aliceToRv,
            `toward the server ${aliceToRv}, toward bob ${aliceToBob}, bob learned ${sym.r.bob.learned?.port}`,
          );
          ctx.check.equal(
            'and every punch was dropped as filtered by the NAT it reached',
            [sym.refused.alice.get('filtered') ?? 0, sym.refused.bob.get('filtered') ?? 0],
            [PUNCHES, PUNCHES],
          );
          // The matrix: every pair, both kinds of peers, each in a fresh network.
          const rows: string[][] = [];
          const wrong: string[] = [];
          for (const [a, b] of pairs()) {
            const row: string[] = [a, b];
            for (const mode of ['learned', 'learned+seen'] as const) {
              const { r } = await punchPair(ctx, options, a, b, mode);
              row.push(r.works ? 'works' : 'fails');
              if (r.works !== punchExpected(a, b, mode)) wrong.push(`${a} + ${b} (${mode}): ${r.works ? 'works' : 'fails'}`);
            }
            rows.push(row);
          }
          ctx.show.table(["alice's NAT", "bob's NAT", 'learned only', '+ answer the source'], rows, { title: 'Hole punching, every pair' });
          ctx.show.text(
            "'+ answer the source': a peer that gets a punch from an endpoint it did not learn answers there (ICE\n" +
              'calls it a peer-reflexive candidate). That saves a symmetric NAT paired with a full or restricted cone:\n' +
              "the cone lets the symmetric side's new port in, and the answer goes back to that port. Against a\n" +
              'port-restricted cone or another symmetric NAT nothing gets in, and a relay (TURN) is the way out.\n' +
              'A common claim has WebRTC peers talking directly, with no server: every run above needed the\n' +
              'rendezvous server (signalling) before the first punch, and some pairs need a relay as well.',
          );
          ctx.check.equal(
            'hole punching works for the cones and fails whenever a NAT is symmetric (learned endpoints only)',
            wrong.filter((x) => x.includes('(learned)')),
            [],
          );
          ctx.check.equal(
            'answering the source saves symmetric + full or restricted cone, not the rest',
            wrong.filter((x) => x.includes('+seen')),
            [],
          );
        },
      },
      {
        title: HAIRPIN_STEP,
        explain:
          'Two PCs behind the same NAT (192.168.1.2 and .3) register with the rendezvous server and punch to each\n' +
          "other's public endpoint, as if they were far apart. The datagram goes to the NAT's own public address:\n" +
          'hairpinning (RFC 4787 REQ-9) turns it around inside, rewriting both ends, so the receiver sees it come\n' +
          'from the public endpoint the server told it about. Three NATs: a full cone with hairpinning, the same\n' +
          'without, and a port-restricted cone with hairpinning, whose filtering applies to hairpinned traffic\n' +
          'too: a first punch is dropped, exactly as between two NATs.',
        async run(ctx) {
          const net = network(ctx, options);
          const cases = [
            { name: 'hairpin-on', t: 'full cone' as NatType, hairpinning: true, pub: '203.0.113.21' },
            { name: 'hairpin-off', t: 'full cone' as NatType, hairpinning: false, pub: '203.0.113.22' },
            { name: 'hairpin-prc', t: 'port-restricted' as NatType, hairpinning: true, pub: '203.0.113.23' },
          ];
          const w = buildWorld(
            net,
            cases.map((c) => ({ name: c.name, ...behaviours(c.t, options), hairpinning: c.hairpinning, public: c.pub, lan: '192.168.1', pcs: 2 })),
          );
          const rv = new Rendezvous(w.srv1);
          const results: { c: (typeof cases)[number]; r: PunchResult; refused: Map<string, number> }[] = [];
          for (const c of cases) {
            const refused = refusals(w, c.name);
            const s = w.site(c.name);
            const r = await holePunch(net, rv, { host: s.pcs[0], address: '192.168.1.2' }, { host: s.pcs[1], address: '192.168.1.3' }, 'learned', c.name);
            results.push({ c, r, refused });
          }
          rv.close();
          ctx.show.table(
            ['NAT', 'hairpin', '.2 got', 'from', '.3 got', 'refused'],
            results.map(({ c, r, refused }) => [
              c.t,
              c.hairpinning ? 'on' : 'off',
              `${r.alice.received.length}/${PUNCHES}`,
              r.alice.received.length > 0 ? text(r.alice.received[0].from) : '-',
              `${r.bob.received.length}/${PUNCHES}`,
              [...refused.entries()].map(([k, v]) => `${v} ${k}`).join(', ') || '-',
            ]),
            { title: '192.168.1.2 (alice) and .3 (bob) punching through their own public address' },
          );
          ctx.show.text(
            'With hairpinning the receiver sees the public endpoint, never 192.168.1.3: the NAT rewrote the source\n' +
              'too, so a reply goes back through it. STUN tests hairpinning the same way (RFC 5780 §4.5): a request\n' +
              "from a second socket to the first one's public endpoint. That second socket has a mapping of its own,\n" +
              "so unless the first mapping's filtering is endpoint-independent the request is filtered, and STUN says\n" +
              '"no hairpinning" for a NAT that does hairpin: the next step shows it.',
          );
          const [on, off, prc] = results;
          ctx.check.equal(
            'full cone, hairpinning on: every punch arrived, from the public endpoint the server saw',
            [on.r.alice.received.length, on.r.bob.received.length, text(on.r.alice.received[0]?.from), text(on.r.bob.received[0]?.from)],
            [PUNCHES, PUNCHES, text(on.r.registered[1]), text(on.r.registered[0])],
          );
          ctx.check.equal(
            'hairpinning off: nothing arrived, every punch refused as hairpin-off',
            [off.r.alice.received.length, off.r.bob.received.length, off.refused.get('hairpin-off') ?? 0],
            [0, 0, 2 * PUNCHES],
          );
          ctx.check.equal(
            "port-restricted with hairpinning: alice's first punch filtered, the rest arrived",
            [prc.r.bob.received.map((x) => x.text), prc.r.alice.received.length, prc.refused.get('filtered') ?? 0],
            [['PUNCH 2 alice', 'PUNCH 3 alice'], PUNCHES, 1],
          );
          const lanIn = udpFrames(net.frames).filter((v) => v.text.startsWith('PUNCH') && v.src === '203.0.113.21' && v.dst.startsWith('192.168.1.'));
          const wanPunches = udpFrames(net.frames).filter((v) => v.text.startsWith('PUNCH') && v.w.link.startsWith('wan-'));
          ctx.check.equal('hairpinned punches never leave the LAN', wanPunches.length, 0);
          replay(ctx, net, 'hairpin', 0, {
            filter: 'ip.src == 203.0.113.21 && ip.dst == 192.168.1.0/24 && udp.payload contains "PUNCH"',
            frames: lanIn.length,
            about: 'hairpinned punches on the LAN: source the public address, destination a PC',
            also: [
              { filter: 'udp.payload contains "PUNCH" && frame.comment contains "wan-"', frames: 0, about: 'none of them on the outside' },
              {
                filter: 'udp.payload contains "PUNCH" && frame.comment contains "hairpin-off-nat-eth0 ->"',
                frames: 0,
                about: 'and without hairpinning the NAT sends nothing back to the LAN',
              },
            ],
          });
        },
      },
      {
        title: STUN_STEP,
        explain:
          'A STUN server on two addresses (192.0.2.10 and 192.0.2.20) and two ports (3478, 3479), and behind each\n' +
          "NAT netlab's RFC 5780 client. Mapping: a Binding request to 192.0.2.10:3478, then to the other address,\n" +
          'then to the other address and port; the same mapped port each time is endpoint-independent. Filtering:\n' +
          'ask the server to answer from the other address and port (CHANGE-REQUEST), then from the other port: an\n' +
          'answer that gets in says who may send in. Hairpinning: a request to its own mapped address from a\n' +
          'second socket. A fifth NAT, a full cone with hairpinning off, shows that test alone changing.',
        async run(ctx) {
          const net = network(ctx, options);
          const extra: SiteSpec = { name: 'no-hairpin', ...behaviours('full cone', options), hairpinning: false, public: '203.0.113.15', lan: '192.168.1' };
          const w = buildWorld(net, fourSites(options, [extra]));
          const server = await StunServer.start(netsimNetwork(net.clock, { [SRV1]: w.srv1, [SRV2]: w.srv2 }), {
            primary: SRV1,
            alternate: SRV2,
            port: STUN_PORTS[0],
            otherPort: STUN_PORTS[1],
          });
          ctx.onStepEnd(() => server.close());
          const names = [...TYPE_NAMES.map(siteName), 'no-hairpin'];
          const labels = [...TYPE_NAMES, 'full cone, no hairpin'];
          const got: StunClassification[] = [];
          let giveUp = 0;
          for (const n of names) {
            const c = new StunClient(netsimNetwork(net.clock, { '192.168.1.2': w.site(n).pcs[0] }), { local: '192.168.1.2', server: server.primary });
            giveUp = c.giveUpMs;
            got.push(await net.run(c.classify(), 60_000));
          }
          const conf = (i: number): { mapping: NatBehaviour; filtering: NatBehaviour; hairpinning: boolean } => {
            const s = w.site(names[i]).spec;
            return { mapping: s.mapping, filtering: s.filtering, hairpinning: s.hairpinning ?? true };
          };
          ctx.show.table(
            ['NAT', 'configured', 'STUN says', 'mapped'],
            names.map((_, i) => {
              const c = conf(i);
              const g = got[i];
              return [
                labels[i],
                `${short(c.mapping)}/${short(c.filtering)}/${c.hairpinning ? 'yes' : 'no'}`,
                `${short(g.mapping)}/${short(g.filtering)}/${g.hairpinning ? 'yes' : 'no'}`,
                text(g.mapped),
              ];
            }),
            { title: 'mapping / filtering / hairpinning, as configured and as STUN found them' },
          );
          const answered = got.map((g) => `${g.tests.filter((x) => x.mapped !== undefined).length}/${g.tests.length}`);
          ctx.show.text(
            `Tests answered per NAT, in the order above: ${answered.join(', ')}. An unanswered test costs the client\n` +
              `its whole retransmission schedule (${giveUp} ms of simulated time). STUN reports hairpinning only where\n` +
              'filtering is endpoint-independent: the port-restricted NAT of the last step hairpinned punches, but\n' +
              "its filtering stops the test's request, which comes from a mapping the first one never talked to.",
          );
          for (let i = 0; i < names.length; i++) {
            const c = conf(i);
            const g = got[i];
            const want = TYPES[i < 4 ? TYPE_NAMES[i] : 'full cone'];
            ctx.check.equal(
              `${labels[i]}: STUN finds mapping ${short(want.mapping)}, filtering ${short(want.filtering)}`,
              [g.mapping, g.filtering],
              [want.mapping, want.filtering],
            );
            ctx.check.equal(
              `${labels[i]}: hairpinning ${g.hairpinning ? 'seen' : 'not seen'} (configured ${c.hairpinning ? 'on' : 'off'}, filtering ${short(c.filtering)})`,
              g.hairpinning,
              c.hairpinning && c.filtering === 'endpoint-independent',
            );
          }
          ctx.check.equal(
            "every mapped address is the NAT's public address",
            got.map((g) => g.mapped.address),
            names.map((n) => w.site(n).spec.public),
          );
          const frames = udpFrames(net.frames);
          const isStun = (v: UdpView): boolean => v.stun;
          const symAnswers = frames.filter((v) => v.w.link === 'lan-symmetric' && isStun(v) && v.dst === '192.168.1.2' && STUN_PORTS.includes(v.sport as 3478));
          const first = symAnswers[0];
          ctx.state.stunMapped = got[3].tests[0]?.mapped?.port;
          replay(ctx, net, 'stun', 0, {
            filter: 'stun',
            frames: frames.filter(isStun).length,
            about: 'every STUN request and answer, on every link',
            also: [
              {
                filter: 'stun.att.port-xord && frame.comment contains "lan-symmetric:"',
                frames: symAnswers.length,
                about: "answers reaching the symmetric NAT's PC: 192.168.1.2 in the header, the public port inside",
              },
              {
                filter: 'stun.att.change-ip == 1 && frame.comment contains "wan-full-cone:"',
                frames: 'some',
                about: "the full cone's filtering test: 'answer from the other address and port'",
              },
            ],
          });
          ctx.check.ok(
            "the symmetric NAT's PC got answers: the header says 192.168.1.2, the payload the public port",
            first !== undefined && first.dst === '192.168.1.2' && ctx.state.stunMapped !== undefined && ctx.state.stunMapped >= POOL.min,
            `first answer ${first === undefined ? 'none' : `${first.src}:${first.sport} -> ${first.dst}:${first.dport}`}, mapped port ${ctx.state.stunMapped}`,
          );
        },
      },
      {
        title: 'What Wireshark says',
        explain:
          'tshark reads each capture once: the knocks that got in and the punches that arrived, as the lab\n' +
          'counted them; no malformed packet; and every IPv4 and UDP checksum good on both sides of every NAT\n' +
          '(the translator updates them incrementally, RFC 1624).',
        run(ctx) {
          if (!tsharkInstalled()) {
            ctx.show.skipped("tshark is not installed, so Wireshark's confirmation is skipped (on Debian: apt-get install tshark)");
            return;
          }
          const bad: string[] = [];
          let frames = 0;
          let udp = 0;
          for (const path of ctx.state.captures) {
            const confirms = ctx.state.confirm.filter((c) => c.path === path);
            const extra = [...new Set(confirms.flatMap((c) => c.fields))];
            const rows = tsharkFields(resolve(path), ['frame.number', '_ws.malformed', 'ip.checksum.status', 'udp.checksum.status', ...extra]);
            frames += rows.length;
            for (const r of rows) {
              if ((r[1] ?? '') !== '') bad.push(`${path} frame ${r[0]}: malformed`);
              if ((r[2] ?? '').split(',').includes('0')) bad.push(`${path} frame ${r[0]}: bad IPv4 checksum`);
              if ((r[3] ?? '') === '0') bad.push(`${path} frame ${r[0]}: bad UDP checksum`);
              if ((r[3] ?? '') === '1') udp++;
            }
            for (const c of confirms) {
              const cols = c.fields.map((f) => 4 + extra.indexOf(f));
              const got = rows.map((r) => cols.map((i) => r[i] ?? '')).filter((r) => c.pick(r));
              ctx.check.equal(
                `tshark: ${path}, ${c.what} (${c.fields.join(', ')})`,
                got,
                c.expected.map((r) => [...r]),
              );
            }
          }
          ctx.show.text(`${frames} frames in ${ctx.state.captures.length} captures, ${udp} UDP checksums verified good.`);
          ctx.check.equal(`tshark: no malformed packet and no bad checksum in the ${ctx.state.captures.length} captures`, bad, []);
          ctx.check.atLeast('tshark verified the UDP checksums', udp, 100);
        },
      },
    ],
    recap:
      'Mapping decides whether the port a server saw is the port a peer will see; filtering decides who may\n' +
      'send in. Cones keep one port per socket, so a rendezvous server can tell a peer the right one and\n' +
      'hole punching works; a symmetric NAT picks a new port per destination and it fails. STUN measures\n' +
      'both, and its hairpin test needs endpoint-independent filtering to say yes.',
  });
}

export default natBehavioursLab();
