// Lab: nat-pat. A study guide's home network on netsim (virtual hosts, a switch, two routers, tapped
// in-memory links, simulated time) with netlab's NAT (src/nat) on the home router's outside leg, and
// netlab's own TCP (src/netsim/tcp) through it: first the router only routing (a private source gets
// no reply), then PAT with sequential ports from 50001 (the guide's table, exactly), the way back
// (the public port alone finds the inside endpoint), port preservation, and random allocation.
// Each step is a fresh network; every frame on every link is in the step's capture, named by its
// link in the frame comment, so a filter can pair the frames inside and outside the router.

import { defineLab, type AnyLab, type StepContext } from '../src/lab/index.ts';
import type { LinkFault } from '../src/netsim/index.ts';
import { seededRandom } from '../src/base/index.ts';
import { LAB_INFO } from './info.ts';
import { need, recordStep, wiresharkStep } from './netsim/lab-steps.ts';
import { ADDR, MAC, buildHome, type Home, type HomeNat } from './nat-pat/home.ts';
import { ask, ep, flow, segs, serve, type Seg } from './nat-pat/flows.ts';
import type { VirtualTcpSocket } from '../src/netsim/tcp/index.ts';
import { natPatExercises } from './nat-pat/exercises.ts';
import type { NatPatState } from './nat-pat/state.ts';

export type { NatPatState } from './nat-pat/state.ts';

export interface NatPatLabOptions {
  /** Fault injection on the links (tests use it to show the checkpoints can fail). */
  readonly fault?: LinkFault;
  /** Translator settings replacing the lab's (tests break the lab with them). */
  readonly nat?: HomeNat;
}

/** The guide's three flows: two processes on pc1, one on pc2. */
export const FLOWS = [
  { pc: 'pc1', from: ADDR.pc1, port: 1234, to: ADDR.google, dport: 443, server: 'google' },
  { pc: 'pc1', from: ADDR.pc1, port: 1235, to: ADDR.fastly, dport: 80, server: 'fastly' },
  { pc: 'pc2', from: ADDR.pc2, port: 2345, to: ADDR.google, dport: 443, server: 'google' },
] as const;

/** Sequential ports from 50001, none preserved: the guide's table. */
export const SEQUENTIAL: HomeNat = { ports: { min: 50001, max: 65535, preserve: false, parity: false, allocation: 'sequential' } };

const SIDE = (s: Seg): boolean => s.link === 'inside' || s.link === 'outside';
const isSyn = (s: Seg): boolean => s.flags === 'S';

interface Opened {
  answers: string[];
  sockets: VirtualTcpSocket[];
  seen: { google: string[]; fastly: string[] };
}

/** A home network with `nat` for this step (closed at the end of the lab). */
function home(ctx: StepContext<NatPatState>, nat: HomeNat | undefined, fault: LinkFault | undefined): Home {
  const h = buildHome(ctx.clock.now(), nat, fault);
  ctx.onLabEnd(() => h.net.close());
  ctx.state.home = h;
  return h;
}

/** Opens the guide's three flows one after another, each waiting for its answer. */
async function openThree(h: Home): Promise<Opened> {
  const seen = { google: [] as string[], fastly: [] as string[] };
  serve(h.google, 443, 'hello from google', seen.google);
  serve(h.fastly, 80, 'hello from fastly', seen.fastly);
  const answers: string[] = [];
  const sockets: VirtualTcpSocket[] = [];
  for (const f of FLOWS) {
    const { socket, answer } = flow(f.pc === 'pc1' ? h.pc1 : h.pc2, f.to, f.dport, f.port);
    sockets.push(socket);
    answers.push(await h.net.run(answer, 10_000).catch((e: Error) => `no answer (${e.message})`));
  }
  return { answers, sockets, seen };
}

/** The table as a study guide prints it (no protocol column: all three are TCP). */
function showTable(ctx: StepContext<NatPatState>, home: Home, title: string): string[] {
  const entries = need(home.nat, 'the translator').table.entries();
  ctx.show.table(
    ['Inside (private)', 'Public (after NAT)', 'Destination', 'State'],
    entries.map((e) => [ep(e.insideAddress, e.insidePort), ep(e.outsideAddress, e.outsidePort), ep(e.remoteAddress, e.remotePort), e.state]),
    { title },
  );
  return entries.map((e) => `${ep(e.insideAddress, e.insidePort)} -> ${ep(e.outsideAddress, e.outsidePort)} -> ${ep(e.remoteAddress, e.remotePort)}`);
}

/** The SYN of each flow on r1's inside leg and on its outside leg. */
function synPairs(all: readonly Seg[]): string[] {
  return all.filter((s) => isSyn(s) && SIDE(s)).map((s) => `${s.link}: ${ep(s.src, s.sport)} -> ${ep(s.dst, s.dport)}`);
}

const GUIDE_ROWS = [
  `${ADDR.pc1}:1234 -> ${ADDR.pub}:50001 -> ${ADDR.google}:443`,
  `${ADDR.pc1}:1235 -> ${ADDR.pub}:50002 -> ${ADDR.fastly}:80`,
  `${ADDR.pc2}:2345 -> ${ADDR.pub}:50003 -> ${ADDR.google}:443`,
];

export function natPatLab(options: NatPatLabOptions = {}): AnyLab {
  return defineLab<NatPatState>({
    ...LAB_INFO['nat-pat'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: natPatExercises,
    steps: [
      {
        title: 'Without NAT: a private source gets no reply',
        explain:
          `pc1 (${ADDR.pc1}) opens TCP to ${ADDR.google}:443 from port 1234. Its router r1 (${ADDR.r1in} inside,\n` +
          `${ADDR.pub} outside) only routes here: the SYN leaves with its private source untouched. The server\n` +
          `answers SYN-ACK to ${ADDR.pc1}, and the ISP router has no route to 192.168.0.0/16 (RFC 1918\n` +
          'addresses are routed nowhere on the Internet): the reply dies there, and the ISP tells the server\n' +
          'so (ICMP net unreachable, 3/0). pc1 retries its SYN after 1 s and 2 s more (RTO doubling), in\n' +
          'vain. We give up after 3.5 s.',
        async run(ctx) {
          const h = home(ctx, undefined, options.fault);
          recordStep(ctx, h.net, 'no-nat', {
            filter: `tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.dst == ${ADDR.pc1}`,
            about: "the SYN-ACKs to the private address (the server's retries too): on dc1 only",
            frames: 5,
            also: [
              {
                filter: `tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains "outside"`,
                about: 'the SYNs left r1 with source 192.168.1.2',
                frames: 3,
              },
              { filter: 'icmp.type == 3 && icmp.code == 0', about: 'the ISP to the server: net unreachable, one per SYN-ACK', frames: 5 },
            ],
          });
          const seen: string[] = [];
          serve(h.google, 443, 'hello', seen);
          const { socket, answer } = flow(h.pc1, ADDR.google, 443, 1234);
          let got = 'nothing';
          void answer.then((a) => (got = a));
          await h.net.wait(3500);
          const state = socket.state;
          socket.destroy();
          const all = segs(h.net.frames);
          const synOut = all.filter((s) => isSyn(s) && s.link === 'outside');
          const synAck = all.filter((s) => s.flags === 'S.');
          ctx.show.table(
            ['ms', 'Link', 'Source', 'Destination', 'Flags'],
            all.filter((s) => s.proto === 'tcp' && s.link !== 'pc1-sw').map((s) => [s.atMs, s.link, ep(s.src, s.sport), ep(s.dst, s.dport), s.flags]),
            { title: 'TCP segments on inside, outside and dc1 (pc1-sw left out)' },
          );
          ctx.check.equal(
            'each SYN crossed the outside link with its private source unchanged',
            synOut.map((s) => ep(s.src, s.sport)),
            [0, 1, 2].map(() => `${ADDR.pc1}:1234`),
          );
          ctx.check.equal(
            'the server answered (SYN-ACK), to the private address, on dc1 only',
            [...new Set(synAck.map((s) => `${s.link} -> ${ep(s.dst, s.dport)}`))],
            [`dc1 -> ${ADDR.pc1}:1234`],
          );
          ctx.check.equal('...at least once per SYN', synAck.length >= synOut.length, true);
          ctx.check.equal(
            'no answer crossed the outside link back toward r1',
            all.filter((s) => s.link === 'outside' && s.src === ADDR.google && s.proto === 'tcp').length,
            0,
          );
          ctx.check.equal('the ISP router counted datagrams it had no route for', h.isp.stats.ipNoRoute >= 3, true);
          ctx.check.equal(
            '...and told the server: ICMP net unreachable (3/0) for each SYN-ACK',
            all.filter((s) => s.icmpType === 3 && s.icmpCode === 0 && s.dst === ADDR.google).length,
            synAck.length,
          );
          ctx.check.equal("pc1's connection never opened", `${got}, ${state}`, 'nothing, SYN-SENT');
          ctx.check.equal('the server never accepted a connection', seen, []);
        },
      },
      {
        title: "PAT, ports from 50001: a study guide's table, exactly",
        explain:
          `Now r1 translates on its outside leg (PAT: many inside endpoints share ${ADDR.pub}). It\n` +
          'allocates public ports in order from 50001 and keeps no inside port. Two processes on pc1 open\n' +
          `${ADDR.google}:443 from 1234 and ${ADDR.fastly}:80 from 1235; pc2 opens ${ADDR.google}:443 from\n` +
          '2345. A study guide prints this table: each inside IP:port gets its own public port, in order.\n' +
          "The servers see only the public address. The frames outside carry r1's and the ISP's MACs: a\n" +
          'MAC never leaves its own link, NAT or not.',
        async run(ctx) {
          const h = home(ctx, options.nat ?? SEQUENTIAL, options.fault);
          const path = recordStep(ctx, h.net, 'pat-table', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains "side"',
            about: "each flow's SYN on r1's inside leg, then on its outside leg: pairs",
            frames: 6,
            also: [
              { filter: 'tcp.port == 1234 || tcp.port == 50001', about: "pc1's first flow: 1234 inside, 50001 outside", frames: 20 },
              { filter: `eth.addr == ${MAC.pc1} && frame.comment contains "outside"`, about: "pc1's MAC outside r1: never", frames: 0 },
              { filter: `ip.src == ${ADDR.pub} && frame.comment contains "outside"`, about: 'every datagram r1 sent out, from the public address', frames: 9 },
            ],
          });
          const { answers, seen, sockets } = await openThree(h);
          ctx.state.sockets = sockets;
          const all = segs(h.net.frames);
          const rows = showTable(ctx, h, 'r1 NAT table (inside <-> public <-> destination)');
          ctx.show.table(
            ['Link', 'Source', 'Destination', 'Flags'],
            all.filter((s) => isSyn(s) && SIDE(s)).map((s) => [s.link, ep(s.src, s.sport), ep(s.dst, s.dport), s.flags]),
            { title: "Each flow's SYN on both sides of r1" },
          );
          ctx.check.equal(
            'every flow got its answer through the translator',
            answers,
            FLOWS.map((f) => `hello from ${f.server}`),
          );
          ctx.check.equal("the table is the study guide's, row for row", rows, GUIDE_ROWS);
          ctx.check.equal(
            'the servers saw only the public address, one public port per flow',
            [...seen.google, ...seen.fastly],
            [`${ADDR.pub}:50001`, `${ADDR.pub}:50003`, `${ADDR.pub}:50002`],
          );
          ctx.check.equal('the SYNs inside and outside pair up: only the source changes', synPairs(all), [
            `inside: ${ADDR.pc1}:1234 -> ${ADDR.google}:443`,
            `outside: ${ADDR.pub}:50001 -> ${ADDR.google}:443`,
            `inside: ${ADDR.pc1}:1235 -> ${ADDR.fastly}:80`,
            `outside: ${ADDR.pub}:50002 -> ${ADDR.fastly}:80`,
            `inside: ${ADDR.pc2}:2345 -> ${ADDR.google}:443`,
            `outside: ${ADDR.pub}:50003 -> ${ADDR.google}:443`,
          ]);
          const beyond = all.filter((s) => !['pc1-sw', 'pc2-sw', 'inside'].includes(s.link));
          ctx.check.equal('no private address beyond r1', beyond.filter((s) => s.src.startsWith('192.168.') || s.dst.startsWith('192.168.')).length, 0);
          const pcMacs: string[] = [MAC.pc1, MAC.pc2];
          ctx.check.equal("the PCs' MACs never beyond r1 either", beyond.filter((s) => pcMacs.includes(s.ethSrc) || pcMacs.includes(s.ethDst)).length, 0);
          ctx.check.equal(
            "outside, every IPv4 frame is between r1's and the ISP's MACs",
            [...new Set(all.filter((s) => s.link === 'outside' && s.src !== '').map((s) => [s.ethSrc, s.ethDst].sort().join(' ')))],
            [[MAC.isp, MAC.r1out].sort().join(' ')],
          );
          ctx.check.equal(
            'every rewritten checksum is right (IPv4 and TCP, outside)',
            [...new Set(all.filter((s) => s.link === 'outside' && s.proto === 'tcp').map((s) => `${s.ipChecksum}/${s.l4Checksum}`))],
            ['good/good'],
          );
          ctx.state.confirm.push({
            path,
            what: "each flow's SYN, inside and outside",
            fields: ['frame.comment', 'ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport', 'tcp.flags'],
            pick: (r) => r[5] === '0x0002' && (r[0].startsWith('inside') || r[0].startsWith('outside')),
            expected: FLOWS.flatMap((f, i) => [
              ['inside: sw-p3 -> r1-eth0', f.from, String(f.port), f.to, String(f.dport), '0x0002'],
              ['outside: r1-eth1 -> isp-eth0', ADDR.pub, String(50001 + i), f.to, String(f.dport), '0x0002'],
            ]),
          });
        },
      },
      {
        title: 'The way back: the public port alone finds the inside endpoint',
        explain:
          'Each PC sends a second request on its open connection, and each server answers. An answer\n' +
          `arrives at ${ADDR.pub} with nothing in it that names a PC or a process: IP addresses, ports,\n` +
          `bytes. google's two answers even come from the same ${ADDR.google}:443 to the same public\n` +
          'address; only the destination port differs (50001 or 50003). r1 looks that port up in its table\n' +
          "and rewrites the destination to the inside IP:port; the PC's TCP then hands the bytes to the\n" +
          'socket bound to that port (1234 or 1235 on pc1: two processes, told apart by port alone).',
        async run(ctx) {
          const h = need(ctx.state.home, 'the home network');
          const path = recordStep(ctx, h.net, 'way-back', {
            filter: 'tcp.srcport == 443 && tcp.len > 0 && frame.comment contains "side"',
            about: "google's two answers, outside (to 50001, 50003) and inside (to 1234, 2345)",
            frames: 4,
            also: [{ filter: `ip.dst == ${ADDR.pub} && tcp.len > 0`, about: 'each answer to the public address: in its data centre, then outside', frames: 6 }],
          });
          const sockets = need(ctx.state.sockets, 'the three connections');
          const mark = h.net.frames.length;
          const answers: string[] = [];
          for (const [i, f] of FLOWS.entries()) answers.push(await h.net.run(ask(sockets[i], `again from ${f.port}`), 10_000));
          await h.net.settle();
          const back = segs(h.net.since(mark)).filter((s) => s.proto === 'tcp' && (s.sport === 443 || s.sport === 80) && s.flags === 'P.' && SIDE(s));
          const pairs = back.map((s) => `${s.link}: ${ep(s.src, s.sport)} -> ${ep(s.dst, s.dport)}`);
          ctx.show.table(
            ['Link', 'Source', 'Destination'],
            back.map((s) => [s.link, ep(s.src, s.sport), ep(s.dst, s.dport)]),
            { title: 'Each answer outside r1, then inside: only the destination is rewritten' },
          );
          ctx.show.text(
            `pc1$ netstat -tn\n${h.pc1.tcp
              .table()
              .filter((r) => r.state === 'ESTABLISHED')
              .map((r) => `tcp  ${r.local.padEnd(20)} ${r.remote.padEnd(22)} ${r.state}`)
              .join('\n')}`,
          );
          ctx.check.equal(
            'every answer came back to the socket that asked',
            answers,
            FLOWS.map((f) => `hello from ${f.server}`),
          );
          ctx.check.equal('outside each answer is addressed to a public port; inside, to its own PC and port', pairs, [
            `outside: ${ADDR.google}:443 -> ${ADDR.pub}:50001`,
            `inside: ${ADDR.google}:443 -> ${ADDR.pc1}:1234`,
            `outside: ${ADDR.fastly}:80 -> ${ADDR.pub}:50002`,
            `inside: ${ADDR.fastly}:80 -> ${ADDR.pc1}:1235`,
            `outside: ${ADDR.google}:443 -> ${ADDR.pub}:50003`,
            `inside: ${ADDR.google}:443 -> ${ADDR.pc2}:2345`,
          ]);
          const g = back.filter((s) => s.link === 'outside' && s.src === ADDR.google);
          ctx.check.equal(
            "google's two answers outside differ in the destination port and nothing else that NAT reads",
            g.map((s) => `${ep(s.src, s.sport)} -> ${s.dst}`).concat(g.map((s) => String(s.dport))),
            [`${ADDR.google}:443 -> ${ADDR.pub}`, `${ADDR.google}:443 -> ${ADDR.pub}`, '50001', '50003'],
          );
          ctx.check.equal(
            'pc1 holds two connections, told apart by their local port',
            h.pc1.tcp
              .table()
              .filter((r) => r.state === 'ESTABLISHED')
              .map((r) => r.local)
              .sort(),
            [`${ADDR.pc1}:1234`, `${ADDR.pc1}:1235`],
          );
          ctx.state.confirm.push({
            path,
            what: "google's answers outside and inside",
            fields: ['frame.comment', 'ip.src', 'ip.dst', 'tcp.dstport', 'tcp.len'],
            pick: (r) => r[1] === ADDR.google && r[4] !== '0' && (r[0].startsWith('inside') || r[0].startsWith('outside')),
            expected: [
              ['outside: isp-eth0 -> r1-eth1', ADDR.google, ADDR.pub, '50001', '17'],
              ['inside: r1-eth0 -> sw-p3', ADDR.google, ADDR.pc1, '1234', '17'],
              ['outside: isp-eth0 -> r1-eth1', ADDR.google, ADDR.pub, '50003', '17'],
              ['inside: r1-eth0 -> sw-p3', ADDR.google, ADDR.pc2, '2345', '17'],
            ],
          });
        },
      },
      {
        title: 'Port preservation: the inside port kept when it is free',
        explain:
          'Many home routers (and Linux masquerade) keep the inside port when no other mapping holds it:\n' +
          'RFC 4787 calls it port preservation. Same three flows on a fresh network: 1234, 1235 and 2345\n' +
          'go out unchanged. Then pc2 also opens a connection from 1234 (to fastly). pc1 already holds\n' +
          `${ADDR.pub}:1234, so pc2 gets another port: the first free one from 1024 with the same parity\n` +
          '(even stays even, RFC 4787 REQ-4).',
        async run(ctx) {
          const h = home(ctx, options.nat ?? { ports: { min: 1024, max: 65535, preserve: true, parity: true, allocation: 'sequential' } }, options.fault);
          recordStep(ctx, h.net, 'preserve', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains "outside"',
            about: 'the four SYNs as they leave r1: source ports 1234, 1235, 2345, 1024',
            frames: 4,
            also: [{ filter: `ip.src == ${ADDR.pub} && tcp.srcport == 1234`, about: "outside, 1234 is pc1's (only its flow)", frames: 6 }],
          });
          const { answers } = await openThree(h);
          const clash = flow(h.pc2, ADDR.fastly, 80, 1234);
          answers.push(await h.net.run(clash.answer, 10_000).catch((e: Error) => `no answer (${e.message})`));
          const rows = showTable(ctx, h, 'r1 NAT table with port preservation');
          ctx.check.equal('all four flows got their answer', answers, [...FLOWS.map((f) => `hello from ${f.server}`), 'hello from fastly']);
          ctx.check.equal('each inside port was kept while it was free; the clash got 1024', rows, [
            `${ADDR.pc2}:1234 -> ${ADDR.pub}:1024 -> ${ADDR.fastly}:80`,
            `${ADDR.pc1}:1234 -> ${ADDR.pub}:1234 -> ${ADDR.google}:443`,
            `${ADDR.pc1}:1235 -> ${ADDR.pub}:1235 -> ${ADDR.fastly}:80`,
            `${ADDR.pc2}:2345 -> ${ADDR.pub}:2345 -> ${ADDR.google}:443`,
          ]);
        },
      },
      {
        title: 'Random allocation: ports an outsider cannot guess',
        explain:
          'A NAT that hands out ports in order tells the world how busy it is and what port comes next;\n' +
          'RFC 6056 recommends picking them at random. Same three flows, ports drawn at random from\n' +
          '1024-65535 (parity kept), with a seeded generator so this run is the same every time. The\n' +
          'table still maps each flow, and the way back works exactly as before: by public port.',
        async run(ctx) {
          const h = home(
            ctx,
            options.nat ?? { ports: { min: 1024, max: 65535, preserve: false, parity: true, allocation: 'random' }, random: seededRandom('nat-pat random') },
            options.fault,
          );
          recordStep(ctx, h.net, 'random', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains "outside"',
            about: 'the three SYNs as they leave r1, from random public ports',
            frames: 3,
          });
          const { answers, seen } = await openThree(h);
          showTable(ctx, h, 'r1 NAT table with random ports');
          const ports = need(h.nat, 'the translator')
            .table.entries()
            .sort((a, b) => a.insidePort - b.insidePort)
            .map((e) => e.outsidePort);
          ctx.check.equal(
            'all three flows got their answer',
            answers,
            FLOWS.map((f) => `hello from ${f.server}`),
          );
          ctx.check.equal('three different public ports', new Set(ports).size, 3);
          ctx.check.equal(
            'none of them is 50001, 50002 or 50003, nor the inside port',
            ports.filter((p, i) => p === 50001 + i || p === FLOWS[i].port).length,
            0,
          );
          ctx.check.equal(
            'each kept the parity of its inside port (1234 even, 1235 and 2345 odd)',
            ports.map((p) => p % 2),
            [0, 1, 1],
          );
          ctx.check.equal(
            'not in order: the gaps are not 1',
            ports.slice(1).some((p, i) => Math.abs(p - ports[i]) === 1),
            false,
          );
          ctx.check.equal(
            'the servers saw those public ports',
            [...seen.google, ...seen.fastly].sort(),
            [ports[0], ports[2], ports[1]].map((p) => `${ADDR.pub}:${p}`).sort(),
          );
        },
      },
      wiresharkStep<NatPatState>('tshark reads the captures of this lab: the same pairs inside and outside, and no malformed packet.'),
    ],
  });
}

export default natPatLab();
