// Lab: tcp-handshake-and-close. netlab's userspace TCP on two virtual hosts (src/netsim/tcp), on a
// LabNet link with simulated time: the three-way handshake with no data in it, the header and its
// options byte by byte, ACK numbers that grow by the bytes received, the close with FIN and ACK both
// ways, TIME-WAIT (an old duplicate arriving during it, and what the same duplicate does to a quick
// reuse when there is no TIME-WAIT), and a RST from a closed port. Every frame is in a capture.

import { gradeNumber } from '../src/lab/index.ts';
import { defineLab, tcpFlowDiagram, type AnyLab } from '../src/lab/index.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import type { TcpStateChange, VirtualTcpSocket } from '../src/netsim/tcp/index.ts';
import { LAB_INFO } from './info.ts';
import { need, recordStep, type Confirm } from './netsim/lab-steps.ts';
import { tcpWiresharkStep } from './tcp-handshake-and-close/analysis.ts';
import { headerRows, headerSpans } from './tcp-handshake-and-close/header.ts';
import { filler, segLine, segViews, tcpPair, type SegView, type TcpPair } from './tcp-handshake-and-close/net.ts';
import { quickReuse, type ReuseResult } from './tcp-handshake-and-close/reuse.ts';

interface State {
  net?: LabNet;
  pair?: TcpPair;
  client?: VirtualTcpSocket;
  serverSide?: VirtualTcpSocket;
  isn?: { client: number; server: number };
  handshake?: SegView[];
  captures: string[];
  confirm: Confirm[];
  reuse?: { plain?: ReuseResult; paws?: ReuseResult };
  /** The client's ACK number after the server's answer (relative). */
  ackAfterAnswer?: number;
}

export interface HandshakeLabOptions {
  /** Fault injection on the links (tests use it to show the checkpoints can fail). */
  readonly fault?: LinkFault;
  /** TIME-WAIT length asked of the client, as 2 x MSL (default MSL 500 ms: 1 s of TIME-WAIT). */
  readonly clientMslMs?: number;
}

const REQUEST = 'GET / HTTP/1.0\r\n\r\n';
const RESPONSE = filler('HTTP/1.0 200 OK\r\nContent-Length: 282\r\n\r\n' + 'x'.repeat(282), 320);
const MSL_MS = 500;
const HANDSHAKE = 'The three-way handshake carries no data';
const DATA = 'Data: each ACK is the next byte expected, growing by the bytes received';

export function tcpHandshakeAndCloseLab(options: HandshakeLabOptions = {}): AnyLab {
  const clientMsl = options.clientMslMs ?? MSL_MS;
  return defineLab<State>({
    ...LAB_INFO['tcp-handshake-and-close'],
    state: () => ({ captures: [], confirm: [] }),
    steps: [
      {
        title: 'The three-way handshake carries no data',
        explain:
          'The client 10.0.1.1 opens a connection to the server 10.0.1.2, port 80, where a listener waits. Three\n' +
          "segments: SYN (the client's initial sequence number, ISN), SYN-ACK (the server's ISN, and an ACK of the\n" +
          "client's ISN + 1: a SYN counts as one byte of sequence space) and ACK (the server's ISN + 1). None\n" +
          'carries a byte of data: tcp.len is 0 in all three. The ISNs come from RFC 6528 (a keyed hash of the\n' +
          "addresses and ports plus a clock), so Wireshark shows them relative: each side's SYN is seq 0.\n" +
          'The link takes 1 ms each way, so the client is connected after one round trip (2 ms).',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault, delayMs: 1 });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const pair = await tcpPair(net, { link: 'lan', subnet: 1, client: { mslMs: clientMsl }, server: { mslMs: MSL_MS } });
          ctx.state.pair = pair;
          const path = recordStep(ctx, net, 'handshake', {
            filter: 'tcp.flags.syn == 1',
            about: "SYN and SYN-ACK: open each one's Options",
            frames: 2,
            also: [
              { filter: 'tcp.len > 0', about: 'no segment of the handshake carries data', frames: 0 },
              { filter: 'tcp.hdr_len == 40', about: 'SYN and SYN-ACK: 20 bytes of header and 20 of options', frames: 2 },
              { filter: 'tcp.hdr_len == 32', about: 'the last ACK: 20 bytes and 12 of options (NOP, NOP, timestamps)', frames: 1 },
              { filter: 'tcp.options.mss_val == 1460', about: 'the MSS each side announces', frames: 2 },
            ],
          });
          const server = pair.server.tcp.listen(80, (s) => (ctx.state.serverSide = s));
          ctx.onLabEnd(() => {
            server.close();
          });
          const mark = net.frames.length;
          const client = pair.client.tcp.connect({ host: pair.serverAddr, port: 80 });
          ctx.state.client = client;
          let connectedAt = -1;
          client.once('connect', () => (connectedAt = net.clock.now()));
          const t0 = net.clock.now();
          await net.runUntil(() => ctx.state.serverSide?.state === 'ESTABLISHED', 1000, 'the server has not accepted');
          const segs = segViews(net, net.since(mark), pair.clientAddr);
          ctx.state.handshake = segs;
          const [syn, synAck, ack] = segs;
          ctx.state.isn = { client: syn?.rawSeq ?? 0, server: synAck?.rawSeq ?? 0 };
          ctx.show.sequence(
            tcpFlowDiagram(
              net.since(mark).map((f) => ({ ...net.timestamp(f.atMs), data: f.frame })),
              { title: 'The handshake (relative numbers, as Wireshark shows them)', names: ['client', 'server'] },
            ),
          );
          ctx.show.text(`ISNs (absolute): client ${syn?.rawSeq}, server ${synAck?.rawSeq}`);

          ctx.check.equal(
            'three segments: SYN, SYN-ACK, ACK',
            segs.map((s) => `${s.from} ${s.flags}`),
            ['client SYN', 'server SYN, ACK', 'client ACK'],
          );
          ctx.check.equal(
            'none carries data (tcp.len 0, 0, 0)',
            segs.map((s) => s.len),
            [0, 0, 0],
          );
          if (syn === undefined || synAck === undefined || ack === undefined) return;
          ctx.check.equal("the SYN-ACK acknowledges the client's ISN + 1", synAck.rawAck, (syn.rawSeq + 1) >>> 0);
          ctx.check.equal(
            "the ACK acknowledges the server's ISN + 1, from seq ISN + 1",
            [ack.rawSeq, ack.rawAck],
            [(syn.rawSeq + 1) >>> 0, (synAck.rawSeq + 1) >>> 0],
          );
          ctx.check.notEqual('the two sides chose different ISNs', synAck.rawSeq, syn.rawSeq);
          ctx.check.equal('the client is connected after one round trip (2 x 1 ms)', connectedAt - t0, 2);
          ctx.check.equal('both ends are ESTABLISHED', [client.state, ctx.state.serverSide?.state], ['ESTABLISHED', 'ESTABLISHED']);
          ctx.state.confirm.push({
            path,
            what: 'the handshake',
            fields: ['tcp.flags.str', 'tcp.seq', 'tcp.ack', 'tcp.len'],
            pick: () => true,
            expected: [
              ['··········S·', '0', '0', '0'],
              ['·······A··S·', '0', '1', '0'],
              ['·······A····', '1', '1', '0'],
            ],
          });
        },
      },
      {
        title: 'The header: 20 bytes, up to 60 with options',
        explain:
          'A TCP header is 20 bytes of fixed fields (ports, sequence and acknowledgment numbers, data offset and\n' +
          'flags, window, checksum, urgent pointer) and then options. The data offset is 4 bits counting 32-bit\n' +
          'words: 5 (20 bytes) to 15 (60 bytes), so options take at most 40 bytes. The SYN carries the options\n' +
          'both sides must agree on at the start: MSS (4 bytes: the largest segment it accepts, 1460 = 1500 - 40),\n' +
          'SACK permitted (2), timestamps (10) and window scale (3), padded with NOPs to whole words: 40 bytes.\n' +
          'Later segments carry only the timestamps (NOP, NOP, 10 bytes): 32 bytes. A RST (last step) has none: 20.',
        run(ctx) {
          const [syn, , ack] = need(ctx.state.handshake, 'the handshake');
          if (syn === undefined || ack === undefined) return;
          ctx.show.hex(syn.frame, { title: 'The SYN, layer by layer (each TCP option its own span)', spans: headerSpans(syn) });
          ctx.show.table(['bytes', 'field', 'value'], headerRows(syn), { title: "The SYN's TCP header" });
          ctx.check.equal("the SYN's header is 40 bytes: data offset 10 words", syn.hdrLen, 40);
          ctx.check.equal(
            'its options, in order',
            syn.options.map((o) => `${o.type} ${o.length}`),
            ['mss 4', 'sack-permitted 2', 'timestamp 10', 'nop 1', 'wscale 3'],
          );
          ctx.check.equal('20 bytes of fixed header plus 20 of options', 20 + syn.options.reduce((n, o) => n + o.length, 0), syn.hdrLen);
          ctx.check.equal(
            "the ACK's header is 32 bytes: NOP, NOP, timestamps",
            [ack.hdrLen, ack.options.map((o) => o.type).join(',')],
            [32, 'nop,nop,timestamp'],
          );
          const offsetNibble = (syn.frame[14 + 20 + 12] ?? 0) >> 4;
          ctx.check.equal('the data offset nibble on the wire is 0xa (10 words)', offsetNibble, 10);
          ctx.check.equal('the largest header 4 bits allow: 15 words = 60 bytes', 0xf * 4, 60);
        },
      },
      {
        title: 'Data: each ACK is the next byte expected, growing by the bytes received',
        explain:
          `The client sends an ${REQUEST.length}-byte request; the server answers with ${RESPONSE.length} bytes. A sequence number\n` +
          'names a byte; an acknowledgment number names the next byte the receiver expects. So after the\n' +
          `request (seq 1, ${REQUEST.length} bytes) the server acknowledges ${1 + REQUEST.length}, and after the answer (seq 1, ${RESPONSE.length} bytes)\n` +
          `the client acknowledges ${1 + RESPONSE.length}. The server's answer carries its ACK along (piggybacked); the client has\n` +
          'nothing to send back, so it waits for the delayed-ACK timer (200 ms) before acknowledging alone.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const pair = need(ctx.state.pair, 'the hosts');
          const client = need(ctx.state.client, 'the client');
          const serverSide = need(ctx.state.serverSide, "the server's socket");
          const isn = need(ctx.state.isn, 'the ISNs');
          recordStep(ctx, net, 'data', {
            filter: 'tcp.len > 0',
            about: 'the request and the answer: compare tcp.seq + tcp.len with the next ACK',
            frames: 2,
            also: [{ filter: `tcp.ack == ${1 + RESPONSE.length}`, about: "the client's delayed ACK of the whole answer", frames: 1 }],
          });
          let got = 0;
          let served = 0;
          serverSide.on('data', (b) => {
            served += b.length;
            if (served === REQUEST.length) serverSide.write(RESPONSE);
          });
          client.on('data', (b) => (got += b.length));
          const mark = net.frames.length;
          client.write(REQUEST);
          await net.runUntil(() => got === RESPONSE.length, 1000, 'the answer has not arrived');
          await net.wait(300);
          const segs = segViews(net, net.since(mark), pair.clientAddr, isn);
          ctx.show.text(segs.map(segLine).join('\n'));
          ctx.show.table(
            ['segment', 'seq', 'len', 'seq + len', "the other side's next ACK"],
            segs
              .filter((s) => s.len > 0)
              .map((s) => [`${s.from} data`, s.seq, s.len, s.seq + s.len, segs.find((n) => n.from !== s.from && n.atMs > s.atMs)?.ack ?? '-']),
            { title: 'ACK = seq + len of what arrived' },
          );
          ctx.check.equal(
            'two data segments and one pure ACK',
            segs.map((s) => `${s.from} [${s.flags}] seq=${s.seq} ack=${s.ack} len=${s.len}`),
            [
              `client [PSH, ACK] seq=1 ack=1 len=${REQUEST.length}`,
              `server [PSH, ACK] seq=1 ack=${1 + REQUEST.length} len=${RESPONSE.length}`,
              `client [ACK] seq=${1 + REQUEST.length} ack=${1 + RESPONSE.length} len=0`,
            ],
          );
          const [, answer, lastAck] = segs;
          ctx.state.ackAfterAnswer = lastAck?.ack;
          if (answer !== undefined && lastAck !== undefined)
            ctx.check.equal(
              "the client's ACK waited for the delayed-ACK timer (200 ms after the answer arrived)",
              lastAck.atMs - (answer.atMs + net.delayMs),
              200,
            );
          ctx.check.equal(
            'both sides agree on the bytes: sndNxt of one is rcvNxt of the other',
            [client.info().sndNxt, client.info().rcvNxt],
            [serverSide.info().rcvNxt, serverSide.info().sndNxt],
          );
        },
      },
      {
        title: 'The close: FIN and ACK both ways, then TIME-WAIT',
        explain:
          'Each side closes its own direction. The client calls end(): FIN (it counts as one byte of sequence\n' +
          "space). The server's TCP acknowledges it at once; the server application reads the end of the stream\n" +
          'and, 20 ms later, calls end() too: its FIN, acknowledged by the client. Four segments, FIN/ACK/FIN/ACK.\n' +
          'The side that closed first (the client) then waits in TIME-WAIT for 2 x MSL before forgetting the\n' +
          `connection. Linux waits 60 s; this lab's hosts use an MSL of ${MSL_MS} ms, so TIME-WAIT lasts 1 s. While it waits,\n` +
          'the 4-tuple cannot be used again: a new connect() from the same local port, 300 ms into TIME-WAIT, is\n' +
          'refused. (The passive closer, the server, forgets the connection at the last ACK: LAST-ACK, CLOSED.)',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const pair = need(ctx.state.pair, 'the hosts');
          const client = need(ctx.state.client, 'the client');
          const serverSide = need(ctx.state.serverSide, "the server's socket");
          const isn = need(ctx.state.isn, 'the ISNs');
          const path = recordStep(ctx, net, 'close', {
            filter: 'tcp.flags.fin == 1',
            about: "the client's FIN, then the server's",
            frames: 2,
            also: [{ filter: 'tcp.flags.fin == 0', about: 'the ACK of each FIN', frames: 2 }],
          });
          const states: TcpStateChange[] = [];
          const serverStates: TcpStateChange[] = [];
          client.on('state', (s) => states.push(s));
          serverSide.on('state', (s) => serverStates.push(s));
          serverSide.on('end', () => net.clock.setTimer(() => serverSide.end(), 20));
          const mark = net.frames.length;
          const t0 = net.clock.now();
          client.end();
          await net.runUntil(() => client.state === 'TIME-WAIT', 1000, 'the client has not reached TIME-WAIT');
          const twAt = net.clock.now();
          await net.wait(300);
          const port = client.localPort;
          let reuse = '(connected)';
          try {
            pair.client.tcp.connect({ host: pair.serverAddr, port: 80, localPort: port }).destroy();
          } catch (e) {
            reuse = (e as { code?: string }).code ?? String(e);
          }
          await net.runUntil(() => client.state === 'CLOSED', 5000, 'TIME-WAIT did not end');
          const closedAt = net.clock.now();
          const segs = segViews(net, net.since(mark), pair.clientAddr, isn);
          ctx.show.text(segs.map(segLine).join('\n'));
          ctx.show.table(
            ['time (ms)', 'client', 'server'],
            [...states.map((s) => [s.time - t0, `${s.from} -> ${s.to}`, '']), ...serverStates.map((s) => [s.time - t0, '', `${s.from} -> ${s.to}`])].sort(
              (a, b) => Number(a[0]) - Number(b[0]),
            ),
            { title: "State changes, from the client's end()" },
          );
          const raw = (side: 'client' | 'server', rel: number): string => String((isn[side] + rel) >>> 0);
          const r = REQUEST.length + 1;
          const a = RESPONSE.length + 1;
          ctx.check.equal(
            'FIN, ACK, FIN, ACK',
            segs.map((s) => `${s.from} [${s.flags}] seq=${s.seq} ack=${s.ack}`),
            [
              `client [FIN, ACK] seq=${r} ack=${a}`,
              `server [ACK] seq=${a} ack=${r + 1}`,
              `server [FIN, ACK] seq=${a} ack=${r + 1}`,
              `client [ACK] seq=${r + 1} ack=${a + 1}`,
            ],
          );
          ctx.check.equal(
            'the client went FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSED',
            states.map((s) => s.to),
            ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED'],
          );
          ctx.check.equal(
            'the server went CLOSE-WAIT, LAST-ACK, CLOSED',
            serverStates.map((s) => s.to),
            ['CLOSE-WAIT', 'LAST-ACK', 'CLOSED'],
          );
          ctx.check.equal(`TIME-WAIT lasted 2 x MSL = ${2 * MSL_MS} ms`, closedAt - twAt, 2 * MSL_MS);
          ctx.check.equal('connect() from the same local port during TIME-WAIT is refused', reuse, 'EADDRINUSE');
          ctx.check.equal('nothing crossed the link during TIME-WAIT', segs.filter((s) => s.atMs > twAt).length, 0);
          ctx.state.confirm.push({
            path,
            what: 'the FINs and the ACK of each',
            fields: ['tcp.srcport', 'tcp.flags.str', 'tcp.seq_raw', 'tcp.ack_raw'],
            pick: () => true,
            expected: [
              [String(port), '·······A···F', raw('client', r), raw('server', a)],
              ['80', '·······A····', raw('server', a), raw('client', r + 1)],
              ['80', '·······A···F', raw('server', a), raw('client', r + 1)],
              [String(port), '·······A····', raw('client', r + 1), raw('server', a + 1)],
            ],
          });
        },
      },
      {
        title: 'Without TIME-WAIT: a quick reuse takes the old segment for new data',
        explain:
          'Why wait? Take two hosts whose TIME-WAIT is only 2 ms (MSL 1 ms) and that do not use timestamps. The\n' +
          'client fetches a 14600-byte answer ("AAAA...") over connection A, then closes; a copy of the answer\'s\n' +
          'last segment is held on a slow path. The client then opens connection B on the same 4-tuple (same\n' +
          'local port) and fetches a new answer ("BBBB..."). The old copy arrives during B. RFC 6528 gives the\n' +
          'same 4-tuple an ISN that has moved on only by the clock (250 per ms), so the old sequence number lands\n' +
          "inside B's receive window: the client keeps the old bytes and, when B's real bytes for that range come,\n" +
          "takes them for duplicates. B's answer arrives corrupted, with nothing on the wire to say so.\n" +
          'Then the same with timestamps on: PAWS (RFC 7323) sees the old timestamp and drops the copy. TIME-WAIT\n' +
          '(2 x MSL: longer than any segment can live) is what protects a connection without timestamps.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const path = recordStep(ctx, net, 'quick-reuse', {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0',
            about: 'two SYNs on each link, from the same port: A, then B right after',
            frames: 4,
            also: [{ filter: 'tcp.analysis.reused_ports', about: 'Wireshark notices the reused 4-tuple', frames: 2 }],
          });
          const plain = await quickReuse(net, { link: 'reuse', subnet: 2, timestamps: false });
          const paws = await quickReuse(net, { link: 'reuse-ts', subnet: 3, timestamps: true });
          ctx.state.reuse = { plain, paws };
          ctx.show.table(
            ['', 'no timestamps', 'timestamps (PAWS)'],
            [
              ['client port of A and of B', `${plain.portA}, ${plain.portB}`, `${paws.portA}, ${paws.portB}`],
              [
                'server ISN of A, of B (B - A)',
                `${plain.isnA}, ${plain.isnB} (${(plain.isnB - plain.isnA) >>> 0})`,
                `${paws.isnA}, ${paws.isnB} (${(paws.isnB - paws.isnA) >>> 0})`,
              ],
              ['old copy: seq relative to B', plain.oldSeqInB, paws.oldSeqInB],
              ["bytes of B's answer that are A's", plain.wrongBytes, paws.wrongBytes],
              ['segments dropped by PAWS', plain.pawsDropped, paws.pawsDropped],
            ],
            { title: 'Connection B after A on the same 4-tuple, with an old copy from A arriving during B' },
          );
          ctx.show.text(`B's answer as the client read it, around the old bytes:\n  ${plain.sample}`);
          ctx.check.equal("B reused A's 4-tuple (same client port)", plain.portB, plain.portA);
          ctx.check.between("the server's ISN moved on only by the clock between A and B (250 per ms)", (plain.isnB - plain.isnA) >>> 0, 1, 250 * 60);
          ctx.check.between("so the old segment's sequence number falls inside B's window", plain.oldSeqInB, 1, 14600);
          ctx.check.between("without timestamps, up to a segment's worth of B's answer is A's bytes", plain.wrongBytes, 1, 1460, 'bytes');
          ctx.check.equal('...and the client saw no error: the connection ended normally', plain.error, '(none)');
          ctx.check.equal('with timestamps, PAWS dropped the old copy', paws.pawsDropped, 1);
          ctx.check.equal("...and B's answer is intact", paws.wrongBytes, 0);
          ctx.state.confirm.push({
            path,
            what: 'the SYNs: same ports for A and B on each link',
            fields: ['tcp.srcport', 'tcp.dstport', 'tcp.flags.str'],
            pick: (row) => row[2] === '··········S·',
            expected: [plain.portA, plain.portB, paws.portA, paws.portB].map((p) => [String(p), '80', '··········S·']),
          });
        },
      },
      {
        title: 'A closed port answers with RST',
        explain:
          "The client connects to port 81, where nothing listens. The server's TCP answers the SYN with RST (and\n" +
          'ACK of the SYN, seq 0, RFC 9293 §3.10.7.1); the connect fails with ECONNREFUSED, after one round trip,\n' +
          'without any retry. The RST has no options: a 20-byte header, the smallest there is.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const pair = need(ctx.state.pair, 'the hosts');
          const path = recordStep(ctx, net, 'closed-port', {
            filter: 'tcp.flags.reset == 1',
            about: "the server's RST-ACK",
            frames: 1,
            also: [{ filter: 'tcp.hdr_len == 20', about: 'the RST: a header with no options', frames: 1 }],
          });
          const mark = net.frames.length;
          const t0 = net.clock.now();
          const s = pair.client.tcp.connect({ host: pair.serverAddr, port: 81 });
          let error = '(none)';
          let at = -1;
          s.on('error', (e) => {
            error = e.code;
            at = net.clock.now();
          });
          await net.runUntil(() => s.state === 'CLOSED', 5000, 'the connect did not end');
          const segs = segViews(net, net.since(mark), pair.clientAddr);
          ctx.show.text(segs.map(segLine).join('\n'));
          ctx.check.equal(
            'SYN, then RST-ACK',
            segs.map((x) => `${x.from} [${x.flags}]`),
            ['client [SYN]', 'server [RST, ACK]'],
          );
          const [syn, rst] = segs;
          if (syn !== undefined && rst !== undefined) {
            ctx.check.equal('the RST has seq 0 and acknowledges the SYN (ISN + 1)', [rst.rawSeq, rst.rawAck], [0, (syn.rawSeq + 1) >>> 0]);
            ctx.check.equal('its header is 20 bytes: no options', rst.hdrLen, 20);
          }
          ctx.check.equal('connect fails with ECONNREFUSED after one round trip', `${error} after ${at - t0} ms`, 'ECONNREFUSED after 2 ms');
          ctx.state.confirm.push({
            path,
            what: 'the RST',
            fields: ['tcp.srcport', 'tcp.flags.str', 'tcp.hdr_len'],
            pick: (row) => row[0] === '81',
            expected: [['81', '·······A·R··', '20']],
          });
        },
      },
      tcpWiresharkStep<State>(
        'tshark reads every capture: the same flags and numbers, no malformed packet, and its TCP analysis. The\n' +
          'first captures raise no analysis flag: nothing was lost, repeated or out of order. The quick-reuse\n' +
          'capture raises many, and they show Wireshark falling into the same trap as the client: it flags the\n' +
          "second SYN on each 4-tuple as reused ports, then, since B's sequence numbers overlap A's (the ISN\n" +
          "moved on by only a few thousand), it takes B's data for retransmissions of A's (8 per link), sees\n" +
          "the old copy as a jump ahead (lost segment, then ACKs of it), and the client's repeated ACK for the\n" +
          'byte it still expects as a duplicate ACK.',
        {
          'quick-reuse.pcapng': {
            'tcp.analysis.ack_lost_segment': 2,
            'tcp.analysis.duplicate_ack': 2,
            'tcp.analysis.lost_segment': 2,
            'tcp.analysis.retransmission': 16,
            'tcp.analysis.reused_ports': 2,
          },
        },
      ),
    ],
    exercises: [
      {
        after: HANDSHAKE,
        title: "How long are the SYN's options?",
        kind: 'answer',
        task: "Open handshake.pcapng (tshark -V -r ..., or netlab decode) and read the SYN's header length. How many bytes of it are options?",
        expects: 'a number of bytes',
        grade: (answer, ctx) => {
          const syn = ctx.state.handshake?.[0];
          return gradeNumber(answer, syn === undefined ? NaN : syn.hdrLen - 20, { unit: 'bytes' });
        },
        hint: 'tcp.hdr_len minus the 20 bytes every TCP header has.',
        answer: '20: the header is 40 bytes (data offset 10 words); MSS 4, SACK permitted 2, timestamps 10, NOP 1, window scale 3.',
        right: '20',
        wrong: '40',
      },
      {
        after: DATA,
        title: 'Predict the ACK',
        kind: 'predict',
        task: `The server's answer starts at relative seq 1 and carries ${RESPONSE.length} bytes. What acknowledgment number does the client send back?`,
        expects: 'a number',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.ackAfterAnswer ?? NaN),
        hint: 'An ACK names the next byte expected: seq + len.',
        answer: `${1 + RESPONSE.length}: the bytes 1 to ${RESPONSE.length} arrived, so byte ${1 + RESPONSE.length} is the next one expected.`,
        right: String(1 + RESPONSE.length),
        wrong: String(RESPONSE.length),
        reveal: (ctx) => `The client sent ack=${ctx.state.ackAfterAnswer ?? '?'}.`,
      },
    ],
  });
}

export default tcpHandshakeAndCloseLab();
