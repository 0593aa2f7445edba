// Lab: nat-exhaustion-and-timeouts. The home network of the nat-pat lab (netsim hosts and routers,
// netlab's NAT on r1's outside leg, simulated time) pushed to its limits: a per-host quota (RFC 6888)
// and then the whole port pool running out (the next flow dropped silently, or refused with ICMP
// code 13), a UDP mapping expiring while the application is idle and a keep-alive that prevents it
// (RFC 4787 REQ-5/REQ-6), the TCP timeouts of RFC 5382 (established 2 h 4 min, transitory 4 min)
// and the RST an expired connection meets, and port forwarding inbound with an unsolicited SYN
// beside it. The clock is simulated: hours of idleness take no real time.

import { defineLab, type AnyLab, type StepContext } from '../src/lab/index.ts';
import { ipv4Number, type LinkFault } from '../src/netsim/index.ts';
import type { NatEvent } from '../src/nat/index.ts';
import { LAB_INFO } from './info.ts';
import { need, recordStep, wiresharkStep } from './netsim/lab-steps.ts';
import { ADDR, buildHome, type Home, type HomeNat } from './nat-pat/home.ts';
import { ep, flow, segs, serve } from './nat-pat/flows.ts';
import { client, echoServer } from './nat-exhaustion/udp.ts';
import { exhaustionExercises } from './nat-exhaustion/exercises.ts';
import type { ExhaustionState } from './nat-exhaustion/state.ts';

export type { ExhaustionState } from './nat-exhaustion/state.ts';

export interface ExhaustionLabOptions {
  readonly fault?: LinkFault;
  /** Settings merged over each step's translator settings (tests break the lab with them). */
  readonly nat?: HomeNat;
}

/** Sequential ports from 50001, none kept: every number in this lab is predictable. */
const SEQ = { min: 50001, max: 65535, preserve: false, parity: false, allocation: 'sequential' } as const;

/** The lab's UDP timeout: RFC 4787's floor of 2 minutes (netlab's default is 5). */
export const UDP_TIMEOUT_MS = 120_000;

const mmss = (ms: number): string => `${Math.floor(ms / 60_000)}:${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}`;

function home(ctx: StepContext<ExhaustionState>, nat: HomeNat, fault: LinkFault | undefined, extra: HomeNat | undefined): Home {
  const h = buildHome(ctx.clock.now(), { ...nat, ...extra, ports: { ...nat.ports, ...extra?.ports } }, fault);
  ctx.onLabEnd(() => h.net.close());
  ctx.state.home = h;
  return h;
}

/** The table as rows the lab prints: protocol, inside, public, destination, state, expires in. */
function tableRows(h: Home): string[][] {
  const t = need(h.nat, 'the translator').table;
  const now = h.net.clock.now();
  return t
    .entries()
    .map((e) => [
      e.protocol,
      ep(e.insideAddress, e.insidePort),
      String(e.outsidePort),
      ep(e.remoteAddress, e.remotePort),
      e.state,
      e.expiresAt === Infinity ? 'never' : clock(e.expiresAt - now),
    ]);
}
const HEAD = ['Proto', 'Inside', 'Public', 'Destination', 'State', 'Expires in'];

/** `2:04:00` */
function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Sends one datagram from `c` and lets the network run `ms` (an answer, an ICMP error, or silence). */
async function send(h: Home, c: ReturnType<typeof client>, text: string, to: string, port: number, ms = 50): Promise<string> {
  const before = c.heard.length;
  c.socket.send(text, port, to);
  await h.net.wait(ms);
  return c.heard.slice(before).join('; ') || 'silence';
}

export function natExhaustionLab(options: ExhaustionLabOptions = {}): AnyLab {
  return defineLab<ExhaustionState>({
    ...LAB_INFO['nat-exhaustion-and-timeouts'],
    state: () => ({ captures: [], confirm: [] }),
    exercises: exhaustionExercises,
    steps: [
      {
        title: 'A quota per host: the fifth flow is dropped',
        explain:
          'A translator shared by many hosts caps how many ports one host may hold (RFC 6888 REQ-4),\n' +
          'so one busy or infected PC cannot starve the others. r1 allows 4 per host here. pc1 opens UDP\n' +
          `flows to an echo server at ${ADDR.fastly}:7, from ports 5001 to 5005. The first four get\n` +
          'public ports 50001-50004 and their answers; the fifth is refused. This r1 drops it silently\n' +
          '(its default): no ICMP, nothing on the outside link; pc1 just hears nothing. The refusal is\n' +
          "counted and reported as an event, and pc2's flow still gets a port: the quota is per host.",
        async run(ctx) {
          const h = home(ctx, { ports: SEQ, perHostQuota: 4 }, options.fault, options.nat);
          const path = recordStep(ctx, h.net, 'quota', {
            filter: 'udp.srcport == 5005',
            about: "pc1's fifth flow: on pc1-sw and inside, never outside",
            frames: 2,
            also: [
              { filter: `ip.src == ${ADDR.pub} && udp`, about: 'the flows r1 let out: four from pc1, one from pc2', frames: 10 },
              { filter: 'icmp', about: 'no ICMP at all: the drop is silent', frames: 0 },
            ],
          });
          const events: NatEvent[] = [];
          need(h.nat, 'the translator').table.onEvent((e) => events.push(e));
          echoServer(h.fastly, 7);
          const results: string[] = [];
          for (let i = 1; i <= 5; i++) results.push(await send(h, client(h.pc1, 5000 + i), `flow ${i}`, ADDR.fastly, 7));
          const pc2 = await send(h, client(h.pc2, 5001), 'flow 1 of pc2', ADDR.fastly, 7);
          ctx.show.table(
            ['Flow', 'pc1 heard'],
            results.map((r, i) => [`${ADDR.pc1}:${5001 + i}`, r]),
            { title: 'Five flows from pc1 (quota 4)' },
          );
          ctx.show.table(HEAD, tableRows(h), { title: 'r1 NAT table' });
          const refused = events.filter((e) => e.type === 'refused');
          ctx.show.text(
            refused
              .map((e) => (e.type === 'refused' ? `event: refused (${e.reason}) ${ep(e.source, e.sourcePort)} -> ${ep(e.destination, e.destinationPort)}` : ''))
              .join('\n'),
          );
          const nat = need(h.nat, 'the translator');
          ctx.check.equal(
            'the first four flows got public ports 50001-50004 and their answers',
            results.slice(0, 4),
            [1, 2, 3, 4].map((i) => `got echo flow ${i} from ${ADDR.pub}:${50000 + i}`),
          );
          ctx.check.equal('the fifth heard nothing: no answer, no ICMP error', results[4], 'silence');
          ctx.check.equal('r1 counted one refusal for the quota', nat.counters.refusedQuota, 1);
          ctx.check.equal(
            '...and said why, in an event',
            refused.map((e) => (e.type === 'refused' ? `${e.reason} ${ep(e.source, e.sourcePort)}` : '')),
            [`quota-exceeded ${ADDR.pc1}:5005`],
          );
          ctx.check.equal('pc1 holds 4 mappings, its quota', nat.table.mappingsOf(ipv4Number(ADDR.pc1)), 4);
          ctx.check.equal("pc2's flow still got a port (the quota is per host)", pc2, `got echo flow 1 of pc2 from ${ADDR.pub}:50005`);
          const f5 = segs(h.net.frames).filter((s) => s.sport === 5005);
          ctx.check.equal(
            'the fifth flow crossed pc1-sw and inside, then nothing',
            f5.map((s) => s.link),
            ['pc1-sw', 'inside'],
          );
          ctx.state.confirm.push({
            path,
            what: 'what left r1 outside',
            fields: ['frame.comment', 'ip.src', 'udp.srcport'],
            pick: (r) => r[0].startsWith('outside') && r[1] === ADDR.pub,
            expected: [50001, 50002, 50003, 50004, 50005].map((p) => ['outside: r1-eth1 -> isp-eth0', ADDR.pub, String(p)]),
          });
        },
      },
      {
        title: 'The pool runs out: ICMP says so, and no mapping is evicted',
        explain:
          'Now r1 has only four public ports (50001-50004) and no quota, and it answers a refused flow\n' +
          'with ICMP destination unreachable, code 13, "communication administratively prohibited"\n' +
          "(RFC 5508 REQ-8 lets a NAT do so). pc1 takes all four ports; pc2's flow finds the pool empty.\n" +
          "r1 tells pc2 at once, from its inside address, and pc2's socket reports EHOSTUNREACH. The\n" +
          'existing mappings stay: a translator never evicts a live flow to make room for a new one,\n' +
          "so pc1's first flow still works.",
        async run(ctx) {
          const h = home(ctx, { ports: { ...SEQ, max: 50004 }, unreachableOnRefusal: true }, options.fault, options.nat);
          const path = recordStep(ctx, h.net, 'pool', {
            filter: 'icmp.type == 3 && icmp.code == 13',
            about: "r1's refusal to pc2: on inside, then pc2-sw",
            frames: 2,
            also: [{ filter: 'udp.srcport == 6001 && frame.comment contains "outside"', about: "pc2's datagram outside r1: never", frames: 0 }],
          });
          echoServer(h.fastly, 7);
          const c1 = client(h.pc1, 5001);
          const results: string[] = [await send(h, c1, 'flow 1', ADDR.fastly, 7)];
          for (let i = 2; i <= 4; i++) results.push(await send(h, client(h.pc1, 5000 + i), `flow ${i}`, ADDR.fastly, 7));
          const pc2 = await send(h, client(h.pc2, 6001), 'hello', ADDR.fastly, 7);
          const again = await send(h, c1, 'still here', ADDR.fastly, 7);
          ctx.show.table(HEAD, tableRows(h), { title: 'r1 NAT table: the pool of four is full' });
          ctx.show.text(`pc2 heard: ${pc2}\npc1's first flow, again: ${again}`);
          const nat = need(h.nat, 'the translator');
          ctx.check.equal(
            'pc1 took the four ports',
            results,
            [1, 2, 3, 4].map((i) => `got echo flow ${i} from ${ADDR.pub}:${50000 + i}`),
          );
          ctx.check.equal('pc2 heard ICMP 3/13 from r1: EHOSTUNREACH', pc2, 'error EHOSTUNREACH (ICMP 3/13)');
          const icmp = segs(h.net.frames).filter((s) => s.icmpType === 3 && s.icmpCode === 13);
          ctx.check.equal("...sent from r1's inside address to pc2", [...new Set(icmp.map((s) => `${s.src} -> ${s.dst}`))], [`${ADDR.r1in} -> ${ADDR.pc2}`]);
          ctx.check.equal('r1 counted the pool running out', nat.counters.refusedPoolExhausted, 1);
          ctx.check.equal("no mapping was evicted: pc1's first flow still answers on 50001", again, `got echo still here from ${ADDR.pub}:50001`);
          ctx.check.equal('four ports in use, four mappings', [nat.table.portsInUse(17), nat.table.size], [4, 4]);
          ctx.state.confirm.push({
            path,
            what: "r1's ICMP to pc2",
            fields: ['frame.comment', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code'],
            pick: (r) => r[3] === '3',
            // The second address of each pair is in the datagram the ICMP message quotes: pc2's, to fastly.
            expected: [
              ['inside: r1-eth0 -> sw-p3', `${ADDR.r1in},${ADDR.pc2}`, `${ADDR.pc2},${ADDR.fastly}`, '3', '13'],
              ['pc2-sw: sw-p2 -> pc2-eth0', `${ADDR.r1in},${ADDR.pc2}`, `${ADDR.pc2},${ADDR.fastly}`, '3', '13'],
            ],
          });
        },
      },
      {
        title: 'A UDP mapping expires while the application is idle; a keep-alive holds it',
        explain:
          'UDP has no connection: the translator cannot know a flow is over, so it forgets a mapping that\n' +
          'carried nothing outbound for a while. RFC 4787 REQ-5 says not under 2 minutes (netlab defaults\n' +
          'to 5); this r1 uses the 2-minute floor. The clock is simulated: the minutes take no real time.\n' +
          'Only outbound traffic refreshes the timer (REQ-6: inbound refresh is optional, off here). pc1\n' +
          'talks once, then only listens; the server pushes to it every 50 s. pc2 talks once, then sends a\n' +
          'keep-alive every 50 s. At 150 s the server pushes to both: pc2 gets it, pc1 does not (its\n' +
          'mapping expired at 120 s; r1, with nothing listening on that port, answers the server ICMP\n' +
          'port unreachable). When pc1 talks again, it gets a new public port: to the server, a new client.',
        async run(ctx) {
          const h = home(ctx, { ports: SEQ, timeouts: { udp: UDP_TIMEOUT_MS } }, options.fault, options.nat);
          const path = recordStep(ctx, h.net, 'udp-timeout', {
            filter: `udp.srcport == 7 && ip.dst == ${ADDR.pub} && !icmp && frame.comment contains "outside"`,
            about: 'every datagram from the server reaching r1: 5 echoes, 3 pushes each to 50001 and 50002',
            frames: 11,
            also: [
              {
                filter: `udp.srcport == 7 && ip.dst == ${ADDR.pc1}`,
                about: 'what reached pc1 (inside, pc1-sw): 1st echo, pushes at 50 s and 100 s, last echo',
                frames: 8,
              },
              { filter: 'icmp.type == 3 && icmp.code == 3', about: "r1's port unreachable for the push to an expired mapping", frames: 2 },
            ],
          });
          const server = echoServer(h.fastly, 7);
          const idle = client(h.pc1, 7001);
          const chatty = client(h.pc2, 7002);
          await send(h, idle, 'hello', ADDR.fastly, 7);
          await send(h, chatty, 'hello', ADDR.fastly, 7);
          const [idlePub, chattyPub] = server.seen;
          const rows: string[][] = [];
          for (let t = 50; t <= 150; t += 50) {
            await h.net.wait(50_000 - (t === 50 ? 100 : 50));
            if (t < 150) await send(h, chatty, `keep-alive ${t} s`, ADDR.fastly, 7, 10);
            const before = [idle.heard.length, chatty.heard.length];
            server.push(idlePub, `push ${t} s`);
            server.push(chattyPub, `push ${t} s`);
            await h.net.wait(40);
            rows.push([
              `${t} s`,
              idle.heard.slice(before[0]).join('; ') || 'nothing',
              chatty.heard
                .slice(before[1])
                .filter((x) => x.includes('push'))
                .join('; ') || 'nothing',
            ]);
          }
          ctx.show.table(['Time', 'pc1 (idle) heard', 'pc2 (keep-alive) heard'], rows, { title: 'The server pushes to both every 50 s' });
          ctx.show.table(HEAD, tableRows(h), { title: 'r1 NAT table at 150 s' });
          const back = await send(h, idle, 'back again', ADDR.fastly, 7);
          ctx.show.text(`pc1 talks again: ${back}`);
          const nat = need(h.nat, 'the translator');
          ctx.check.equal('the lab states its UDP timeout: 2 minutes (RFC 4787 floor)', mmss(nat.table.timeouts.udp), '2:00');
          ctx.check.equal(
            'the idle PC got the pushes at 50 s and 100 s, not the one at 150 s',
            rows.map((r) => r[1]),
            ['got push 50 s', 'got push 100 s', 'nothing'],
          );
          ctx.check.equal(
            'the PC sending keep-alives got all three',
            rows.map((r) => r[2]),
            ['got push 50 s', 'got push 100 s', 'got push 150 s'],
          );
          ctx.check.equal("pc1's mapping expired (counted)", nat.counters.expired >= 1, true);
          ctx.check.equal('talking again, pc1 gets a new public port: a new client to the server', back, `got echo back again from ${ADDR.pub}:50003`);
          ctx.check.equal(
            'the server saw pc1 first on 50001, then on 50003',
            [idlePub, server.seen[server.seen.length - 1]],
            [`${ADDR.pub}:50001`, `${ADDR.pub}:50003`],
          );
          ctx.state.confirm.push({
            path,
            what: 'the pushes to pc1 as they reach r1',
            fields: ['frame.comment', 'ip.dst', 'udp.dstport'],
            pick: (r) => r[0].startsWith('outside: isp') && r[2] === '50001',
            expected: [0, 1, 2, 3].map(() => ['outside: isp-eth0 -> r1-eth1', ADDR.pub, '50001']),
          });
        },
      },
      {
        title: 'TCP: 2 h 4 min established, 4 min transitory (RFC 5382)',
        explain:
          'TCP tells the translator when a connection opens and closes: r1 watches SYN, FIN and RST both\n' +
          'ways. RFC 5382 REQ-5: an established connection may sit idle 2 h 4 min (the 2-hour TCP\n' +
          'keep-alive interval plus 4 minutes) before the mapping goes; one partly open or closing goes\n' +
          'after 4 minutes. These are the real values, on the simulated clock. pc2 fetches from fastly and\n' +
          'closes (FIN both ways); pc1 opens a connection to google and stays silent. After 4 min the\n' +
          "closed one is gone; after 2 h 4 min pc1's too. When pc1 finally sends, r1 treats it as a new\n" +
          'flow on a new public port; google knows no such connection and answers RST. pc1 hears\n' +
          'ECONNRESET: the reason long-lived idle connections need keep-alives.',
        async run(ctx) {
          const h = home(ctx, { ports: SEQ }, options.fault, options.nat);
          const path = recordStep(ctx, h.net, 'tcp-timeouts', {
            filter: 'tcp.flags.reset == 1',
            about: "google's RST to the new public port, outside and inside",
            frames: 4,
            also: [{ filter: 'tcp.flags.fin == 1', about: "pc2's connection closing: its FIN and the server's, each on 4 links", frames: 8 }],
          });
          const seen: string[] = [];
          serve(h.google, 443, 'hello from google', seen);
          serve(h.fastly, 80, 'hello from fastly', seen);
          const quiet = flow(h.pc1, ADDR.google, 443, 1234);
          const a1 = await h.net.run(quiet.answer, 10_000);
          const brief = flow(h.pc2, ADDR.fastly, 80, 2345);
          const a2 = await h.net.run(brief.answer, 10_000);
          brief.socket.end();
          await h.net.wait(100);
          const start = h.net.clock.now();
          const at0 = tableRows(h);
          ctx.show.table(HEAD, at0, { title: 'r1 NAT table right after pc2 closed' });
          // r1 sweeps expired rows out every 10 s (a lookup never returns one that has expired).
          await h.net.wait(4 * 60_000 + 10_000);
          const at4 = tableRows(h);
          ctx.show.table(HEAD, at4, { title: 'after 4 min 10 s' });
          await h.net.wait(start + 124 * 60_000 + 10_000 - h.net.clock.now());
          const at124 = tableRows(h);
          ctx.show.text(`after 2 h 4 min 10 s: ${at124.length} rows in r1's table`);
          let reset = 'no error';
          quiet.socket.on('error', (e: Error & { code?: string }) => (reset = e.code ?? e.message));
          quiet.socket.write('are you still there?');
          await h.net.wait(500);
          const all = segs(h.net.frames);
          const rst = all.filter((s) => s.flags.includes('R') && (s.link === 'outside' || s.link === 'inside'));
          ctx.show.table(
            ['Link', 'Source', 'Destination', 'Flags'],
            all
              .filter((s) => s.proto === 'tcp' && s.atMs >= h.net.clock.now() - 600 && (s.link === 'outside' || s.link === 'inside'))
              .map((s) => [s.link, ep(s.src, s.sport), ep(s.dst, s.dport), s.flags]),
            { title: 'pc1 speaks after 2 h 4 min of silence' },
          );
          ctx.check.equal('both fetches worked', [a1, a2], ['hello from google', 'hello from fastly']);
          ctx.check.equal(
            'right after the close: established 2:04:00, closed 0:04:00',
            at0.map((r) => `${r[1]} ${r[4]} ${r[5]}`),
            [`${ADDR.pc1}:1234 established 2:04:00`, `${ADDR.pc2}:2345 closed 0:04:00`],
          );
          ctx.check.equal(
            'after 4 min 10 s only the established one is left',
            at4.map((r) => `${r[1]} ${r[4]}`),
            [`${ADDR.pc1}:1234 established`],
          );
          ctx.check.equal('after 2 h 4 min 10 s the table is empty', at124.length, 0);
          ctx.check.equal(
            "pc1's next segment left from a new public port, and google answered RST",
            rst.map((s) => `${s.link}: ${ep(s.src, s.sport)} -> ${ep(s.dst, s.dport)} ${s.flags}`),
            [`outside: ${ADDR.google}:443 -> ${ADDR.pub}:50003 R`, `inside: ${ADDR.google}:443 -> ${ADDR.pc1}:1234 R`],
          );
          ctx.check.equal('pc1 hears ECONNRESET', reset, 'ECONNRESET');
          ctx.state.confirm.push({
            path,
            what: 'the RST outside and inside',
            fields: ['frame.comment', 'ip.dst', 'tcp.dstport', 'tcp.flags.reset'],
            pick: (r) => r[3] === '1' && (r[0].startsWith('outside') || r[0].startsWith('inside')),
            expected: [
              ['outside: isp-eth0 -> r1-eth1', ADDR.pub, '50003', '1'],
              ['inside: r1-eth0 -> sw-p3', ADDR.pc1, '1234', '1'],
            ],
          });
        },
      },
      {
        title: 'Port forwarding: a static mapping to an inside server',
        explain:
          'A mapping is made by traffic going out, so nothing outside can start a flow in... unless the\n' +
          `owner adds one by hand: port forwarding (static NAT). r1 forwards ${ADDR.pub}:8080 to pc2's web\n` +
          `server at ${ADDR.pc2}:80. The peer ${ADDR.peer} connects to ${ADDR.pub}:8080 and reaches pc2,\n` +
          "which sees the peer's real address (only the destination is translated). The same peer tries\n" +
          `${ADDR.pub}:9090, where nothing is forwarded: r1 drops the unsolicited SYN without a word (no\n` +
          'RST; RFC 5382 REQ-4 would also allow ICMP port unreachable after 6 s), and the peer retries.',
        async run(ctx) {
          const h = home(
            ctx,
            { ports: SEQ, staticForwards: [{ protocol: 'tcp', publicPort: 8080, insideAddress: ADDR.pc2, insidePort: 80 }] },
            options.fault,
            options.nat,
          );
          const path = recordStep(ctx, h.net, 'forward', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.comment contains "side"',
            about: "the peer's SYN to 8080 outside, then to pc2:80 inside; the SYNs to 9090 outside only",
            frames: 5,
            also: [{ filter: 'tcp.port == 9090 && tcp.flags.syn == 1 && tcp.flags.ack == 1', about: 'no answer to the unsolicited SYNs', frames: 0 }],
          });
          const seen: string[] = [];
          serve(h.pc2, 80, 'hello from pc2', seen);
          ctx.show.table(HEAD, tableRows(h), { title: 'r1 NAT table before anything' });
          const web = flow(h.peer, ADDR.pub, 8080, 40000);
          const answer = await h.net.run(web.answer, 10_000);
          ctx.show.table(HEAD, tableRows(h), { title: 'after the peer connected' });
          const probe = flow(h.peer, ADDR.pub, 9090, 40001);
          let probeGot = 'nothing';
          void probe.answer.then((a) => (probeGot = a));
          await h.net.wait(3500);
          const probeState = probe.socket.state;
          probe.socket.destroy();
          const nat = need(h.nat, 'the translator');
          const syns = segs(h.net.frames).filter((s) => s.flags === 'S' && (s.link === 'outside' || s.link === 'inside'));
          ctx.check.equal('the peer reached the server behind r1', answer, 'hello from pc2');
          ctx.check.equal("pc2 saw the peer's real address (only the destination was translated)", seen, [`${ADDR.peer}:40000`]);
          ctx.check.equal(
            'its SYN: to the public port outside, to pc2:80 inside',
            syns.filter((s) => s.sport === 40000).map((s) => `${s.link}: -> ${ep(s.dst, s.dport)}`),
            [`outside: -> ${ADDR.pub}:8080`, `inside: -> ${ADDR.pc2}:80`],
          );
          ctx.check.equal(
            'the SYNs to 9090 never got inside (3: the first and two retries)',
            syns.filter((s) => s.dport === 9090).map((s) => s.link),
            ['outside', 'outside', 'outside'],
          );
          ctx.check.equal('...and got no answer at all', `${probeGot}, ${probeState}`, 'nothing, SYN-SENT');
          ctx.check.equal('r1 counted them as unsolicited SYNs', nat.counters.unsolicitedSyn, 3);
          ctx.state.confirm.push({
            path,
            what: "the peer's SYN through the forward",
            fields: ['frame.comment', 'ip.src', 'ip.dst', 'tcp.dstport', 'tcp.flags'],
            pick: (r) => r[4] === '0x0002' && r[3] !== '9090' && (r[0].startsWith('outside') || r[0].startsWith('inside')),
            expected: [
              ['outside: isp-eth0 -> r1-eth1', ADDR.peer, ADDR.pub, '8080', '0x0002'],
              ['inside: r1-eth0 -> sw-p3', ADDR.peer, ADDR.pc2, '80', '0x0002'],
            ],
          });
        },
      },
      wiresharkStep<ExhaustionState>('tshark reads the captures of this lab: the same refusals, expiries and forwards, and no malformed packet.'),
    ],
  });
}

export default natExhaustionLab();
