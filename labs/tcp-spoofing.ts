// Lab: tcp-spoofing. Why TCP's initial sequence number is random. Five virtual hosts around a router
// (labs/tcp-spoofing/net.ts): a trusted client and a server that trusts it by address, twice: today's
// stack (RFC 6528 ISNs) and a 1990s one (netlab's lab-only weak ISN mode), and an off-path attacker
// that never sees their traffic. The attacker samples each server's ISNs, forges a whole connection
// from the trusted address (refused by today's server, accepted by the old one), injects a RST and data
// into a live login (the same), and the lab computes the guess space the random ISN leaves it.

import { defineLab, gradeNumber, type AnyLab } from '../src/lab/index.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import { WEAK_ISN_PER_CONNECTION, WEAK_ISN_PER_SECOND, type IsnMode } from '../src/netsim/tcp/index.ts';
import { LAB_INFO } from './info.ts';
import { need, type Confirm } from './netsim/lab-steps.ts';
import { tcpWiresharkStep } from './tcp-handshake-and-close/analysis.ts';
import {
  BLIND_ISN,
  BLIND_PORT,
  blindConnect,
  EVIL,
  injectIntoLogin,
  LOGIN,
  WELCOME,
  probeIsn,
  RST_OFFSET,
  trustingService,
  type BlindResult,
  type InjectResult,
  type Session,
} from './tcp-spoofing/attack.ts';
import { ADDR, CLIENT_PORT, onLinks, SERVICE_PORT, spoofNet, type SpoofNet } from './tcp-spoofing/net.ts';

interface State {
  net?: LabNet;
  sn?: SpoofNet;
  sessions: { new: Session[]; old: Session[] };
  probes?: { new: [number, number]; old: [number, number] };
  blind?: { new: BlindResult; old: BlindResult };
  inject?: { new: InjectResult; old: InjectResult };
  captures: string[];
  confirm: Confirm[];
}

export interface SpoofingLabOptions {
  /** ISN mode of the old pair (default the weak one; 'rfc6528' breaks the lab on purpose). */
  readonly oldIsn?: IsnMode;
  readonly fault?: LinkFault;
}

const PROBE = 'What the attacker can learn: two ISNs of each server';
const BLIND = 'A blind connection: a forged SYN from the trusted address';
const INJECT = 'Injection into a live login: RST in the window, forged data, exact RST';
const GUESS = 'The guess space: 2^32 numbers, a window of them accepted';
const SPACE = 2 ** 32;
const SMALL_WINDOW = 16384;
const SERVER_LINKS = ['server', 'oldserver'];
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const SYN_ACK = '·······A··S·';
const visible = (s: string): string => JSON.stringify(s);

export function tcpSpoofingLab(options: SpoofingLabOptions = {}): AnyLab {
  const oldIsn = options.oldIsn ?? 'weak-predictable-for-spoofing-lab';
  return defineLab<State>({
    ...LAB_INFO['tcp-spoofing'],
    state: () => ({ captures: [], confirm: [], sessions: { new: [], old: [] } }),
    steps: [
      {
        title: PROBE,
        explain:
          'Two generations of the same setup meet at router r1: a client and a server that trusts it by its\n' +
          `address (as rsh and rlogin did): today's (client ${ADDR.client}, server ${ADDR.server}, ISNs per RFC 6528) and a\n` +
          `1990s stack (oldclient ${ADDR.oldclient}, oldserver ${ADDR.oldserver}, netlab's lab-only weak ISN mode: a counter that\n` +
          `moves by ${WEAK_ISN_PER_CONNECTION} per connection and ${WEAK_ISN_PER_SECOND} per second, as BSD stacks of the time did). The attacker, ${ADDR.attacker},\n` +
          "sits on its own link: off-path, it never sees a frame of the pairs' traffic. What it can do is open\n" +
          `connections of its own. It connects twice to each server's port ${SERVICE_PORT} and reads the server's ISN in\n` +
          'each SYN-ACK. The captures of this lab are taken on the two server links (a tap in front of each\n' +
          'server), so every forged segment appears once, as the server received it.',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault, delayMs: 1 });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const sn = await spoofNet(net, { oldIsn, tcp: { synAckRetries: 1, mslMs: 50 } });
          ctx.state.sn = sn;
          const srv = [
            trustingService(sn.hosts.server, ADDR.client, ctx.state.sessions.new),
            trustingService(sn.hosts.oldserver, ADDR.oldclient, ctx.state.sessions.old),
            sn.hosts.client.tcp.listen(CLIENT_PORT, (s) => s.on('error', () => undefined)),
            sn.hosts.oldclient.tcp.listen(CLIENT_PORT, (s) => s.on('error', () => undefined)),
          ];
          ctx.onLabEnd(() => {
            for (const s of srv) s.close();
          });
          const cap = ctx.capture('probes', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 1',
            about: "each server's SYN-ACK to the attacker: read tcp.seq_raw, the server's ISN",
            frames: 4,
            also: [
              { filter: `ip.src == ${ADDR.oldserver} && tcp.flags.syn == 1`, about: "the old server's two ISNs: 64000 apart", frames: 2 },
              { filter: 'tcp.flags.reset == 1', about: 'the attacker resets each probe once it has the number', frames: 4 },
            ],
          });
          net.record(onLinks(cap, SERVER_LINKS));
          ctx.onStepEnd(() => net.stopRecording());
          ctx.state.captures.push(cap.path);
          const atkSeen = net.frames.length;
          const t0 = net.clock.now();
          const n1 = await probeIsn(net, sn.hosts.attacker, ADDR.server, SERVICE_PORT);
          const o1 = await probeIsn(net, sn.hosts.attacker, ADDR.oldserver, SERVICE_PORT);
          const n2 = await probeIsn(net, sn.hosts.attacker, ADDR.server, SERVICE_PORT);
          const o2 = await probeIsn(net, sn.hosts.attacker, ADDR.oldserver, SERVICE_PORT);
          ctx.state.probes = { new: [n1, n2], old: [o1, o2] };
          const diff = (a: number, b: number): number => (b - a) >>> 0;
          ctx.show.table(
            ['server', 'ISN, probe 1', 'ISN, probe 2', 'difference'],
            [
              [`server (RFC 6528)`, `${n1} (${hex(n1)})`, `${n2} (${hex(n2)})`, diff(n1, n2)],
              [`oldserver (weak)`, `${o1} (${hex(o1)})`, `${o2} (${hex(o2)})`, diff(o1, o2)],
            ],
            { title: `The ISNs the attacker read, ${net.clock.now() - t0} ms apart in all` },
          );
          ctx.show.text(
            'RFC 6528: ISN = a 4 us clock + a keyed hash of the 4-tuple. Each probe came from another source\n' +
              'port of the attacker, so the hash, and the ISN, has nothing to do with the last one; and the\n' +
              "trusted client's 4-tuple hashes to yet another number the attacker cannot compute without the key.",
          );
          ctx.check.equal(`the old server's ISNs are ${WEAK_ISN_PER_CONNECTION} apart (one connection)`, diff(o1, o2), WEAK_ISN_PER_CONNECTION);
          ctx.check.notEqual("today's server's ISNs are not", diff(n1, n2), WEAK_ISN_PER_CONNECTION);
          ctx.check.between(
            "today's server's second ISN is far from the first (more than 2^20 away either way)",
            Math.min(diff(n1, n2), diff(n2, n1)),
            2 ** 20,
            2 ** 31,
          );
          const leaked = net
            .since(atkSeen)
            .filter((f) => f.link === 'attacker' && f.to === 'attacker-eth0')
            .filter((f) => (f.frame[12] === 0x08 ? `${f.frame[30]}.${f.frame[31]}.${f.frame[32]}.${f.frame[33]}` !== ADDR.attacker : false));
          ctx.check.equal('the attacker received no frame addressed to anyone else', leaked.length, 0);
          ctx.state.confirm.push({
            path: cap.path,
            what: "the servers' ISNs as the attacker read them",
            fields: ['ip.src', 'tcp.flags.str', 'tcp.seq_raw'],
            pick: (r) => r[1] === SYN_ACK,
            expected: [
              [ADDR.server, SYN_ACK, String(n1)],
              [ADDR.oldserver, SYN_ACK, String(o1)],
              [ADDR.server, SYN_ACK, String(n2)],
              [ADDR.oldserver, SYN_ACK, String(o2)],
            ],
          });
        },
      },
      {
        title: BLIND,
        explain:
          `The attacker now forges a whole connection from the trusted client's address. Its SYN says source\n` +
          `${ADDR.oldclient}, port ${BLIND_PORT} (a "trusted" port below 1024, as rsh required), seq ${BLIND_ISN}. The server answers with\n` +
          'a SYN-ACK carrying its own ISN, sent to the real client: the attacker never sees it. To finish the\n' +
          'handshake it must send the ACK of that ISN + 1 without having seen it, so it predicts it: the last\n' +
          `ISN it read + ${WEAK_ISN_PER_CONNECTION}. Its ACK also carries a command (${visible(EVIL)}). The real client must not answer\n` +
          'the SYN-ACK (it would send a RST and kill the half-open connection): in 1994 the attacker silenced\n' +
          "it with a SYN flood; here both clients are unplugged for this step. The same moves go to today's\n" +
          `server (source ${ADDR.client}). A server that ACKs nobody answers resends its SYN-ACK after 1 s and gives\n` +
          'up after one retry (synAckRetries 1 in this lab; Linux tries 5 times).',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const sn = need(ctx.state.sn, 'the hosts');
          const probes = need(ctx.state.probes, "the attacker's probes");
          const cap = ctx.capture('blind-connection', {
            filter: `tcp.srcport == ${BLIND_PORT} || tcp.dstport == ${BLIND_PORT}`,
            about: 'the forged connection at each server: SYN, SYN-ACK (to the real client), ACK with data',
            frames: 10,
            also: [
              { filter: `tcp.flags.syn == 1 && tcp.flags.ack == 0`, about: 'the two forged SYNs, from the trusted addresses', frames: 2 },
              { filter: 'tcp.len > 0', about: 'the forged ACK with the command, at each server', frames: 2 },
              { filter: `ip.src == ${ADDR.server} && tcp.flags.reset == 1`, about: "today's server refuses the ACK of a wrong ISN", frames: 1 },
              { filter: 'tcp.analysis.ack_lost_segment', about: 'the forged ACK of an ISN the server never sent', frames: 1 },
              { filter: 'tcp.analysis.retransmission', about: "today's server resends its SYN-ACK: nobody ACKed it", frames: 1 },
            ],
          });
          net.record(onLinks(cap, SERVER_LINKS));
          ctx.onStepEnd(() => net.stopRecording());
          ctx.state.captures.push(cap.path);
          sn.plugs.client.down = true;
          sn.plugs.oldclient.down = true;
          const old = await blindConnect(net, sn, 'old', probes.old[1], ctx.state.sessions.old);
          const now = await blindConnect(net, sn, 'new', probes.new[1], ctx.state.sessions.new);
          ctx.state.blind = { new: now, old };
          ctx.show.table(
            ['', 'today (RFC 6528)', '1990s (weak)'],
            [
              ["server's ISN, predicted", now.predicted, old.predicted],
              ["server's ISN, actual", now.actual, old.actual],
              [
                'session opened for',
                now.session === undefined ? '(none)' : `${now.session.remote}:${now.session.remotePort}`,
                old.session === undefined ? '(none)' : `${old.session.remote}:${old.session.remotePort}`,
              ],
              ['what the service read', visible(now.session?.text ?? ''), visible(old.session?.text ?? '')],
            ],
            { title: 'A connection forged from the trusted address' },
          );
          ctx.check.equal("the old server's ISN is the predicted one", old.actual, old.predicted);
          ctx.check.equal(
            'the old server opened a session it believes is the trusted client',
            old.session === undefined ? '(none)' : `${old.session.remote}:${old.session.remotePort}`,
            `${ADDR.oldclient}:${BLIND_PORT}`,
          );
          ctx.check.equal("...and its service read the attacker's command", old.session?.text, EVIL);
          ctx.check.notEqual("today's server's ISN is not the predicted one", now.actual, now.predicted);
          ctx.check.equal("today's server opened no session", now.session === undefined ? '(none)' : now.session.remote, '(none)');
          const half = sn.hosts.server.tcp.connectionCount;
          await net.wait(3500);
          ctx.check.equal("today's server held the half-open connection, then dropped it", `${half} -> ${sn.hosts.server.tcp.connectionCount}`, '1 -> 0');
          old.session?.socket.destroy();
          await net.wait(5);
          sn.plugs.client.down = false;
          sn.plugs.oldclient.down = false;
          const syn = (ip: string, seq: number, ack: string) => [ip, String(seq), ack];
          ctx.state.confirm.push({
            path: cap.path,
            what: 'the forged handshakes: source, seq and ack (raw)',
            fields: ['ip.src', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.srcport'],
            pick: (r) => r[3] === String(BLIND_PORT),
            expected: [
              [...syn(ADDR.oldclient, BLIND_ISN, '0'), String(BLIND_PORT)],
              [...syn(ADDR.oldclient, BLIND_ISN + 1, String((old.predicted + 1) >>> 0)), String(BLIND_PORT)],
              [...syn(ADDR.client, BLIND_ISN, '0'), String(BLIND_PORT)],
              [...syn(ADDR.client, BLIND_ISN + 1, String((now.predicted + 1) >>> 0)), String(BLIND_PORT)],
            ],
          });
        },
      },
      {
        title: INJECT,
        explain:
          'Next, a connection that is already open. Each client logs in to its server from port 40000 (its\n' +
          `first ephemeral port, which the attacker assumes): ${visible(LOGIN)} (${LOGIN.length} bytes), answered ${visible(WELCOME)}. Just before, the\n` +
          'attacker probed both ends (the client runs an echo service on port 7) and predicts both ISNs. Then it\n' +
          "sends three segments from the client's address, as the server will read them:\n" +
          `  1. a RST ${RST_OFFSET} bytes past the byte the server expects: inside the window, not exact;\n` +
          `  2. ${visible(EVIL)} at the expected byte, acknowledging the server's WELCOME;\n` +
          '  3. a RST at exactly the next byte, before the server would ACK the command to the real client.\n' +
          "What netlab's TCP does with each (RFC 9293, with RFC 5961's checks): a RST resets only when its\n" +
          'sequence number is exactly the next byte expected; one elsewhere in the window gets a challenge\n' +
          'ACK (sent to the real client, which a real peer that did reset would answer with an exact RST), one\n' +
          'outside the window is dropped in silence. Data must fall inside the window and its ACK field must\n' +
          'acknowledge something sent (RFC 5961 5.2); otherwise the server drops it and answers with an ACK.\n' +
          'Data inside the window but past the byte expected is not dropped: it waits in the out-of-order\n' +
          'queue. So for data the window is the target, not one exact number. Then each client writes again.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const sn = need(ctx.state.sn, 'the hosts');
          const cap = ctx.capture('injection', {
            filter: 'tcp.port == 40000 && tcp.flags.reset == 1',
            about: "the 4 forged RSTs, then the old server's RST to its client's LIST",
            frames: 5,
            also: [
              { filter: `ip.src == ${ADDR.attacker} && tcp.port == 40000`, about: 'none: the forged segments carry client addresses', frames: 0 },
              { filter: 'tcp.analysis.duplicate_ack', about: "the old server's challenge ACK; today's ACK of forged data", frames: 2 },
              {
                filter: `ip.dst == ${ADDR.oldserver} && tcp.port == 40000 && tcp.len > 0`,
                about: 'at the old server: LOGIN, the command, LIST (answered by a RST)',
                frames: 3,
              },
              { filter: `ip.dst == ${ADDR.server} && tcp.port == 40000 && tcp.len > 0`, about: "today's server: LOGIN, the forged command, LIST", frames: 3 },
            ],
          });
          net.record(onLinks(cap, SERVER_LINKS));
          ctx.onStepEnd(() => net.stopRecording());
          ctx.state.captures.push(cap.path);
          // Within one second of the weak clock (it adds 128000 per second): the attacker's guesses are one connection on.
          await net.wait(1000 - (net.clock.now() % 1000));
          const old = await injectIntoLogin(net, sn, 'old', ctx.state.sessions.old);
          const now = await injectIntoLogin(net, sn, 'new', ctx.state.sessions.new);
          ctx.state.inject = { new: now, old };
          const stateBefore = { new: now.session.socket.state, old: old.session.socket.state };
          const errBefore = { new: now.session.error, old: old.session.error };
          now.client.write('LIST\n');
          old.client.write('LIST\n');
          await net.wait(300);
          const rel = (n: number, isn: number): string => `${(n - isn) >>> 0}`;
          ctx.show.table(
            ['', 'today (RFC 6528)', '1990s (weak)'],
            [
              [
                "client's ISN: predicted, actual",
                `${hex(now.predicted.client)}, ${hex(now.actual.client)}`,
                `${hex(old.predicted.client)}, ${hex(old.actual.client)}`,
              ],
              [
                "server's ISN: predicted, actual",
                `${hex(now.predicted.server)}, ${hex(now.actual.server)}`,
                `${hex(old.predicted.server)}, ${hex(old.actual.server)}`,
              ],
              [
                'forged data: seq relative to client',
                rel(now.predicted.client + 1 + LOGIN.length, now.actual.client),
                rel(old.predicted.client + 1 + LOGIN.length, old.actual.client),
              ],
              ['challenge ACKs (RST in window)', now.challengeAcks, old.challengeAcks],
              ['segments dropped and ACKed', now.dropped, old.dropped],
              ['server session after the attack', `${stateBefore.new} ${errBefore.new}`, `${stateBefore.old} ${errBefore.old}`],
              ['what the service read', visible(now.session.text), visible(old.session.text)],
              [
                'the client, writing LIST again',
                now.clientError() === '(none)' ? 'delivered' : now.clientError(),
                old.clientError() === '(none)' ? 'delivered' : old.clientError(),
              ],
            ],
            { title: 'Injection into a live login (seq numbers as the server counts)' },
          );
          ctx.check.equal('the attacker predicted both old ISNs', [old.predicted.client, old.predicted.server], [old.actual.client, old.actual.server]);
          ctx.check.equal('the old server answered the in-window RST with one challenge ACK (RFC 5961)', old.challengeAcks, 1);
          ctx.check.equal("the old server's service read the forged command after the login", old.session.text.startsWith(LOGIN + EVIL), true);
          ctx.check.equal('the exact RST reset the old session', errBefore.old, 'ECONNRESET');
          ctx.check.equal('the real old client learns only when it writes again: a RST', old.clientError(), 'ECONNRESET');
          ctx.check.notEqual("today's client ISN was not the predicted one", now.actual.client, now.predicted.client);
          ctx.check.equal("today's server: no challenge ACK (the RST fell outside the window)", now.challengeAcks, 0);
          ctx.check.equal("today's server dropped the forged data and answered with an ACK", now.dropped, 1);
          ctx.check.equal("today's service read only the client's own bytes", now.session.text, `${LOGIN}LIST\n`);
          ctx.check.equal(
            "today's session is still open",
            [stateBefore.new, now.session.socket.state, now.clientError()],
            ['ESTABLISHED', 'ESTABLISHED', '(none)'],
          );
          const rstRel = (g: InjectResult, off: number): string => rel(g.predicted.client + 1 + LOGIN.length + off, g.actual.client);
          ctx.state.confirm.push({
            path: cap.path,
            what: 'the RSTs on the logins (relative seq)',
            fields: ['ip.dst', 'tcp.seq', 'tcp.flags.str', 'tcp.srcport', 'tcp.dstport'],
            pick: (r) => r[2] === '·········R··' && (r[3] === '40000' || r[4] === '40000'),
            expected: [
              [ADDR.oldserver, rstRel(old, RST_OFFSET), '·········R··', '40000', '5140'],
              [ADDR.oldserver, rstRel(old, EVIL.length), '·········R··', '40000', '5140'],
              [ADDR.server, rstRel(now, RST_OFFSET), '·········R··', '40000', '5140'],
              [ADDR.server, rstRel(now, EVIL.length), '·········R··', '40000', '5140'],
              [ADDR.oldclient, String(1 + WELCOME.length), '·········R··', '5140', '40000'],
            ],
          });
          now.client.end();
          now.session.socket.end();
          await net.runUntil(() => now.client.state === 'CLOSED' && now.session.socket.state === 'CLOSED', 5000, "today's login did not close");
        },
      },
      {
        title: GUESS,
        explain:
          'Against RFC 6528 ISNs the attacker can only guess. A sequence number is 32 bits: 2^32 = 4294967296\n' +
          'values. Data is taken anywhere inside the receive window, so one forged segment hits with odds\n' +
          'window / 2^32, and a sweep one window apart covers every value in 2^32 / window segments. Before RFC\n' +
          '5961 a RST was taken anywhere in the window too; that is what made blind resets of long BGP sessions\n' +
          'practical in 2004 (large windows, known ports). Now a RST must be exact: 1 / 2^32. Data also needs an\n' +
          "ACK field the server accepts (RFC 5961: from SND.UNA less the peer's largest window, at least 65535,\n" +
          'up to SND.NXT: about 131000 values here): a second guess, multiplied. The table\n' +
          "uses today's server's window in the login and 64-byte frames at 1 Gbit/s (1 488 095 frames per second\n" +
          'with preamble and gap). The client port, assumed known here, multiplies it all again by the range of\n' +
          'ephemeral ports (28232 on Linux). A study guide says TCP can be spoofed and that blind injection\n' +
          'needs the sequence number, which is why it is random: both halves hold, as the last two steps showed.',
        run(ctx) {
          const inj = need(ctx.state.inject, 'the injection');
          const w = inj.new.window;
          const pps = 1e9 / (84 * 8);
          const ackRange = inj.new.ackRange;
          const rows: [string, number][] = [
            ['data (in window), pre-5961 RST', SPACE / w],
            ['RST, exact match (RFC 5961)', SPACE],
            ['data with an acceptable ACK too', (SPACE / w) * (SPACE / ackRange)],
          ];
          const dur = (n: number): string => {
            const sec = n / pps;
            if (sec < 1) return `${(sec * 1000).toFixed(1)} ms`;
            if (sec < 3600) return `${(sec / 60).toFixed(1)} min`;
            if (sec < 86400 * 365) return `${(sec / 3600).toFixed(1)} h`;
            return `${(sec / (86400 * 365)).toExponential(1)} years`;
          };
          ctx.show.table(
            ['what is guessed', 'odds per try', 'segments to sweep', 'sweep at 1 Gbit/s'],
            rows.map(([what, n]) => [
              what,
              `1 in ${Number.isInteger(n) && n < 1e12 ? n : n.toExponential(2)}`,
              Number.isInteger(n) && n < 1e12 ? n : n.toExponential(2),
              dur(n),
            ]),
            { title: `Blind guesses against a window of ${w} bytes` },
          );
          ctx.check.equal("today's server offered the client a window of 128 KiB (its receive buffer)", w, 131072);
          ctx.check.between("it takes about 2^17 ACK numbers: the client's window (about 128 KiB) back from SND.UNA, to SND.NXT", ackRange, 65536, 131073);
          ctx.check.equal('in-window guesses: 2^32 / 131072 = 32768 segments sweep the space', SPACE / w, 32768);
          ctx.check.between('...about 22 ms of forged frames at 1 Gbit/s: why RFC 5961 asks for an exact RST', (SPACE / w / pps) * 1000, 20, 25, 'ms');
          ctx.check.between('an exact RST needs on average 2^31 tries: about 24 minutes at 1 Gbit/s, per port guessed', SPACE / 2 / pps / 60, 23, 25, 'min');
          ctx.check.equal('with the weak ISN: one probe, one try', inj.old.session.text.includes(EVIL), true);
        },
      },
      tcpWiresharkStep<State>(
        "tshark reads the captures as the servers' taps saw them. In blind-connection it flags the forged ACK\n" +
          'to today\'s server as acknowledging a segment it never saw ("ACKed unseen segment": the attacker\'s\n' +
          "guess of an ISN that was never sent), and the SYN-ACK today's server resends when nobody ACKs it.\n" +
          'In injection, Wireshark follows the highest sequence number seen each way, forged RSTs included:\n' +
          'after the RST 5000 bytes ahead, each later client segment below it looks like a retransmission (5:\n' +
          "the forged data to each server, each client's LIST, today's client's FIN). The forged data to\n" +
          "today's server also ACKs bytes that server never sent. Both servers' answers repeat their last ACK\n" +
          "(duplicate ACKs): the old one's challenge ACK, today's ACK of the dropped data. Nothing marks the\n" +
          "old server's forged command as forged: the tap is as blind as the server.",
        {
          'blind-connection.pcapng': { 'tcp.analysis.ack_lost_segment': 1, 'tcp.analysis.retransmission': 1 },
          'injection.pcapng': { 'tcp.analysis.ack_lost_segment': 1, 'tcp.analysis.duplicate_ack': 2, 'tcp.analysis.retransmission': 5 },
        },
      ),
    ],
    exercises: [
      {
        after: GUESS,
        title: 'Compute the odds',
        kind: 'answer',
        task: `A server offers a window of ${SMALL_WINDOW} bytes. One forged data segment with a random sequence number: its odds of landing in the window are 1 in N. What is N?`,
        expects: 'a number',
        grade: (answer) => gradeNumber(answer, SPACE / SMALL_WINDOW),
        hint: 'Of the 2^32 possible sequence numbers, a window of them is accepted.',
        answer: `2^32 / ${SMALL_WINDOW} = ${SPACE / SMALL_WINDOW}: a sweep one window apart takes that many segments.`,
        right: String(SPACE / SMALL_WINDOW),
        wrong: String(SPACE),
      },
      {
        after: PROBE,
        title: 'Predict the next ISN',
        kind: 'predict',
        task: (ctx) => {
          const [a, b] = ctx.state.probes?.old ?? [0, 0];
          return `The old server chose ISN ${a}, then ${b}, for two connections a few ms apart. Which ISN will it choose for the next connection, in the same second?`;
        },
        expects: 'a number',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.probes === undefined ? NaN : (ctx.state.probes.old[1] + WEAK_ISN_PER_CONNECTION) >>> 0),
        hint: 'The difference between the two is what one connection adds.',
        answer: `The second plus ${WEAK_ISN_PER_CONNECTION}: the counter moves by that much per connection (and ${WEAK_ISN_PER_SECOND} per second). The next step forges a connection on that guess.`,
        right: (ctx) => String(((ctx.state.probes?.old[1] ?? 0) + WEAK_ISN_PER_CONNECTION) >>> 0),
        wrong: (ctx) => String((ctx.state.probes?.old[1] ?? 0) + 1),
      },
    ],
  });
}

export default tcpSpoofingLab();
