// Lab: tcp-reliability. netlab's userspace TCP (src/netsim/tcp) on two virtual hosts, on LabNet links
// with simulated time: a segment held back so the receiver, expecting byte 37, gets byte 73 and
// repeats its ACK for 37; three duplicate ACKs and fast retransmit; the late original discarded as a
// duplicate; a segment lost three times and the RTO doubling; cumulative, delayed ACKs (not one per
// segment); and 64 KiB across a seeded lossy, reordering, duplicating link, delivered intact.

import { defineLab, type AnyLab } from '../src/lab/index.ts';
import { gradeNumber } from '../src/lab/index.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import type { VirtualTcpSocket } from '../src/netsim/tcp/index.ts';
import { seededRandom } from '../src/base/index.ts';
import { LAB_INFO } from './info.ts';
import { need, recordStep, type Confirm } from './netsim/lab-steps.ts';
import { tcpWiresharkStep } from './tcp-handshake-and-close/analysis.ts';
import { segLine, segViews, tcpOf, tcpPair, type TcpPair } from './tcp-handshake-and-close/net.ts';

interface Conn {
  pair: TcpPair;
  client: VirtualTcpSocket;
  server: VirtualTcpSocket;
  received: Buffer[];
  isn: { client: number; server: number };
}

interface State {
  net?: LabNet;
  main?: Conn;
  captures: string[];
  confirm: Confirm[];
  /** The ACK the receiver sent when byte 73 arrived. */
  ackOn73?: number;
  /** Gaps between the transmissions of the lost segment, ms. */
  rtoGaps?: number[];
}

export interface ReliabilityLabOptions {
  readonly fault?: LinkFault;
  /** The receiver's delayed-ACK timeout (default 200 ms; 0 makes it ACK every segment). */
  readonly delayedAckMs?: number;
}

const PIECE = 36;
/** The server's delayed-ACK timer: Linux's shortest, 40 ms (RFC 5681 allows up to 500). */
const DELAYED_ACK_MS = 40;
const OUT_OF_ORDER = 'Out of order: expected byte 37, got byte 73, and the ACK repeats';
const TIMEOUT = 'A timeout, then another: the RTO doubles';

async function open(net: LabNet, link: string, subnet: number, server: { delayedAckMs?: number }, impairments?: { seed: string }): Promise<Conn> {
  const tcp = { rto: { minMs: 200 }, mslMs: 100, timestamps: false };
  const imp = impairments === undefined ? undefined : { drop: 0.04, duplicate: 0.02, delayMs: 1, jitterMs: 3 };
  const pair = await tcpPair(net, {
    link,
    subnet,
    client: { ...tcp, noDelay: true },
    server: { ...tcp, ...server },
    impairClient: imp === undefined ? undefined : { ...imp, seed: `${impairments?.seed}-c` },
    impairServer: imp === undefined ? undefined : { ...imp, seed: `${impairments?.seed}-s` },
  });
  let server_: VirtualTcpSocket | undefined;
  const received: Buffer[] = [];
  pair.server.tcp.listen(80, (s) => {
    server_ = s;
    s.on('data', (b) => received.push(b));
    s.on('end', () => s.end());
  });
  const client = pair.client.tcp.connect({ host: pair.serverAddr, port: 80, noDelay: true });
  await net.runUntil(() => server_?.state === 'ESTABLISHED', 5000, 'the connection did not open');
  const s = need(server_, 'the server socket');
  const c = client.info();
  return { pair, client, server: s, received, isn: { client: c.iss, server: c.irs } };
}

export function tcpReliabilityLab(options: ReliabilityLabOptions = {}): AnyLab {
  return defineLab<State>({
    ...LAB_INFO['tcp-reliability'],
    state: () => ({ captures: [], confirm: [] }),
    steps: [
      {
        title: OUT_OF_ORDER,
        explain:
          `A study guide says a receiver that expects segment #37 and gets #73 repeats its ACK for #37. With ${PIECE}-byte\n` +
          `segments the numbers match exactly: the client sends bytes 1-36 (seq 1), 37-72 (seq 37), 73-108 (seq 73),\n` +
          '109-144, 145-180 and 181-216, with Nagle off so each write is its own segment (and, in this lab, no\n' +
          'timestamps, so the sequence number alone decides what is old). The segment with seq 37 is held\n' +
          'back on the link. The server gets seq 73 while it expects 37: it cannot deliver those bytes (TCP hands\n' +
          'the application bytes in order), keeps them in its out-of-order queue, and answers at once with ack 37\n' +
          '(with a SACK block saying what it does hold). Three more segments, three more, the same: three\n' +
          'duplicate ACKs: after the third, the client does not wait for its timer and resends seq 37 (fast\n' +
          'retransmit, RFC 5681). The server now has 1-216 and acknowledges 217 at once, in one cumulative ACK.\n' +
          'Then the held original finally arrives: bytes the server already has, a duplicate, discarded.',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault, delayMs: 1 });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const conn = await open(net, 'lan', 1, { delayedAckMs: options.delayedAckMs ?? DELAYED_ACK_MS });
          ctx.state.main = conn;
          const path = recordStep(ctx, net, 'out-of-order', {
            filter: 'tcp.analysis.duplicate_ack',
            about: 'ack 37 repeated for seq 109, 145 and 181; then ack 217 repeated for the late original',
            frames: 4,
            also: [
              { filter: 'tcp.analysis.fast_retransmission', about: 'the client resends seq 37 after the third duplicate ACK', frames: 1 },
              { filter: 'tcp.options.sack_le', about: 'the duplicate ACKs carry SACK blocks: what the server holds beyond the gap', frames: 'some' },
            ],
          });
          const { pair, client, isn } = conn;
          pair.slow.client.hold = (f) => {
            const t = tcpOf(f);
            return t !== undefined && t.len > 0 && t.seq === (isn.client + 37) >>> 0 && pair.slow.client.held.length === 0;
          };
          const mark = net.frames.length;
          for (let i = 0; i < 6; i++) client.write(Buffer.alloc(PIECE, 0x61 + i));
          await net.runUntil(() => conn.server.info().rcvNxt === (isn.client + 217) >>> 0, 5000, 'the server did not get 216 bytes');
          pair.slow.client.hold = undefined;
          const released = pair.slow.client.release();
          await net.wait(300);
          const segs = segViews(net, net.since(mark), pair.clientAddr, isn);
          ctx.show.text(segs.map(segLine).join('\n'));
          const data = segs.filter((s) => s.from === 'client' && s.len > 0);
          const acks = segs.filter((s) => s.from === 'server');
          ctx.check.equal(
            'the client sent seq 1, 73, 109, 145, 181 (37 held), then 37 again, then the held 37 arrived',
            data.map((s) => s.seq),
            [1, 73, 109, 145, 181, 37, 37],
          );
          const first73 = data.findIndex((s) => s.seq === 73);
          const ackAfter73 = acks.find((a) => a.atMs > (data[first73]?.atMs ?? Infinity));
          ctx.state.ackOn73 = ackAfter73?.ack;
          ctx.check.equal('expected byte 37, got byte 73: the server answered ack 37', ackAfter73?.ack, 37);
          const dups = acks.filter((a) => a.ack === 37);
          ctx.check.equal(
            'ack 37 four times, one per segment past the gap: the first moves the ACK on from 1, the other three are duplicate ACKs',
            dups.length,
            4,
          );
          const retx = data[5];
          const third = dups[3];
          ctx.check.equal(
            'the client resent seq 37 right after the third duplicate ACK arrived (fast retransmit, no timer)',
            retx !== undefined && third !== undefined ? retx.atMs - (third.atMs + net.delayMs) : undefined,
            0,
          );
          ctx.check.equal(
            'one cumulative ACK then covered all 216 bytes',
            acks.some((a) => a.ack === 217),
            true,
          );
          ctx.check.equal('one held original was delivered late', released, 1);
          ctx.check.equal('the server counted it as a duplicate and discarded it', conn.server.info().counters.duplicateSegments, 1);
          const got = Buffer.concat(conn.received);
          ctx.check.equal(
            'the application read 216 bytes, in order: 36 a, 36 b, ... 36 f',
            got.toString('latin1'),
            'abcdef'
              .split('')
              .map((c) => c.repeat(PIECE))
              .join(''),
          );
          ctx.check.equal('the client counted 1 fast retransmit', client.info().counters.fastRetransmits, 1);
          ctx.state.confirm.push({
            path,
            what: 'the duplicate ACKs (relative ack)',
            fields: ['tcp.ack', 'tcp.analysis.duplicate_ack_num'],
            pick: (r) => r[1] !== '',
            expected: [
              ['37', '1'],
              ['37', '2'],
              ['37', '3'],
              ['217', '1'],
            ],
          });
        },
      },
      {
        title: TIMEOUT,
        explain:
          'Now the client sends one segment of 100 bytes and the link loses it, and the retransmission, and the\n' +
          'next one. No later segment follows it, so no duplicate ACK comes: only the retransmission timer can\n' +
          'tell. The RTO here is 200 ms (RFC 6298 says at least 1 s; Linux uses 200 ms, as this lab does): the\n' +
          'first retransmission goes 200 ms after the send, the next 400 ms after that, then 800 ms: each\n' +
          'timeout doubles the RTO (exponential backoff), so a host does not flood a path that is failing.\n' +
          'The fourth copy gets through; its ACK ends the backoff.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const conn = need(ctx.state.main, 'the connection');
          const { pair, client, isn } = conn;
          const _path = recordStep(ctx, net, 'timeout', {
            filter: 'tcp.len == 100',
            about: 'the copy that got through: the first three were lost before this link',
            frames: 1,
            also: [
              { filter: 'tcp.analysis.retransmission', about: 'Wireshark sees only the copy that arrived, and does not call it a retransmission', frames: 0 },
            ],
          });
          const seq = (isn.client + 217) >>> 0;
          const sent: number[] = [];
          pair.slow.client.drop = (f) => {
            const t = tcpOf(f);
            if (t === undefined || t.seq !== seq || t.len !== 100) return false;
            sent.push(net.clock.now());
            return sent.length <= 3;
          };
          const mark = net.frames.length;
          const rtoBefore = client.info().rtoMs;
          client.write(Buffer.alloc(100, 0x74));
          await net.runUntil(() => conn.server.info().rcvNxt === (seq + 100) >>> 0, 10_000, 'the segment never got through');
          pair.slow.client.drop = undefined;
          await net.wait(300);
          const gaps = sent.slice(1).map((t, i) => t - (sent[i] ?? 0));
          ctx.state.rtoGaps = gaps;
          ctx.show.table(
            ['transmission', 'at (ms after the first)', 'waited', 'fate'],
            sent.map((t, i) => [i + 1, t - (sent[0] ?? 0), i === 0 ? '-' : `${gaps[i - 1]} ms`, i < 3 ? 'lost' : 'arrived']),
          );
          ctx.show.text(segViews(net, net.since(mark), pair.clientAddr, isn).map(segLine).join('\n'));
          ctx.check.equal('the RTO was 200 ms before the loss', rtoBefore, 200);
          ctx.check.equal('four transmissions of the segment', sent.length, 4);
          ctx.check.equal('the timer waited 200, then 400, then 800 ms: doubled each time', gaps, [200, 400, 800]);
          ctx.check.equal('the client counted 3 timeouts (retransmissions by timer)', client.info().counters.timeouts, 3);
          ctx.check.equal('no duplicate arrived: the lost copies never reached the server', conn.server.info().counters.duplicateSegments, 1);
        },
      },
      {
        title: 'Cumulative and delayed ACKs: not an ACK per segment',
        explain:
          'A common claim is that every segment gets its own ACK. The client now sends 20 full segments\n' +
          '(29200 bytes, 1460 each). The server acknowledges every second full\n' +
          'segment (RFC 5681 §4.2: a receiver may delay an ACK, but must ACK at least every second full-sized\n' +
          'segment, and within 500 ms): about 10 ACKs for 20 segments, each acknowledging two segments at once,\n' +
          'since an ACK number covers everything before it (cumulative). A lone segment waits for the\n' +
          `delayed-ACK timer (${DELAYED_ACK_MS} ms here, Linux's shortest; RFC 5681 allows up to 500 ms).`,
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          const conn = need(ctx.state.main, 'the connection');
          const { pair, client, isn } = conn;
          recordStep(ctx, net, 'delayed-acks', {
            filter: 'tcp.len == 0',
            about: "the server's ACKs: about one per two segments",
            frames: 'some',
            also: [{ filter: 'tcp.len == 1460', about: 'the 20 full segments', frames: 20 }],
          });
          const mark = net.frames.length;
          const before = conn.server.info().rcvNxt;
          client.write(Buffer.alloc(20 * 1460, 0x64));
          await net.runUntil(() => (conn.server.info().rcvNxt - before) >>> 0 === 20 * 1460, 10_000, 'the 20 segments did not arrive');
          await net.wait(500);
          const segs = segViews(net, net.since(mark), pair.clientAddr, isn);
          const data = segs.filter((s) => s.from === 'client' && s.len > 0);
          const acks = segs.filter((s) => s.from === 'server' && s.len === 0);
          const steps = acks.slice(1).map((a, i) => a.ack - (acks[i]?.ack ?? 0));
          ctx.show.text(segs.slice(0, 16).map(segLine).join('\n') + `\n... ${segs.length} segments in all`);
          ctx.show.table(['data segments', 'ACKs', 'bytes acknowledged per ACK'], [[data.length, acks.length, [...new Set(steps)].join(', ')]]);
          ctx.check.equal(
            '20 data segments of 1460 bytes',
            data.map((s) => s.len),
            Array(20).fill(1460),
          );
          ctx.check.between('about half as many ACKs as segments', acks.length, 8, 12);
          ctx.check.equal('most ACKs acknowledge two segments at once (2920 bytes)', steps.filter((n) => n === 2920).length >= acks.length / 2, true);
          ctx.check.equal('the last ACK covers every byte sent (cumulative)', acks.at(-1)?.ack, (data.at(-1)?.seq ?? 0) + 1460);
        },
      },
      {
        title: 'A lossy, reordering, duplicating link: 64 KiB arrive intact',
        explain:
          'A second pair of hosts, on a link that loses 4% of the frames each way, duplicates 2%, and delays each\n' +
          'by 1 to 4 ms (so frames overtake each other). The impairment is seeded: the same frames are lost on\n' +
          'every run. The client sends 64 KiB and closes. Every mechanism above runs at once: duplicate ACKs and\n' +
          "fast retransmits, timeouts, the out-of-order queue, duplicates discarded. The server's application\n" +
          'reads exactly the bytes sent, in order.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          recordStep(ctx, net, 'lossy', {
            filter: 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission',
            about: 'retransmissions (by timer or after duplicate ACKs)',
            frames: 'some',
            also: [{ filter: 'tcp.analysis.out_of_order', about: 'segments that arrived after a later one', frames: 'some' }],
          });
          const conn = await open(net, 'lossy', 2, { delayedAckMs: DELAYED_ACK_MS }, { seed: 'tcp-reliability' });
          const data = Buffer.from(seededRandom('tcp-reliability-data').bytes(65536));
          conn.client.write(data);
          conn.client.end();
          await net.runUntil(() => conn.client.state === 'CLOSED' || conn.client.state === 'TIME-WAIT', 60_000, 'the transfer did not finish');
          const got = Buffer.concat(conn.received);
          const c = conn.client.info().counters;
          const s = conn.server.info().counters;
          ctx.show.table(
            ['counter', 'value'],
            [
              ['client: retransmissions (all)', c.retransmits],
              ['client: fast retransmits', c.fastRetransmits],
              ['client: timeouts', c.timeouts],
              ['client: duplicate ACKs received', c.dupAcksReceived],
              ['server: out-of-order segments queued', s.outOfOrderSegments],
              ['server: duplicate segments discarded', s.duplicateSegments],
            ],
            { title: 'What the two ends counted' },
          );
          ctx.check.equal('the server read 65536 bytes, identical to what was sent', [got.length, Buffer.compare(got, data)], [65536, 0]);
          ctx.check.atLeast('the client retransmitted', c.retransmits, 1);
          ctx.check.atLeast('the client received duplicate ACKs', c.dupAcksReceived, 1);
          ctx.check.atLeast('the server queued segments out of order', s.outOfOrderSegments, 1);
          ctx.check.atLeast('the server discarded duplicates', s.duplicateSegments, 1);
        },
      },
      tcpWiresharkStep<State>(
        "tshark reads the captures. Its TCP analysis flags tell this lab's story. Out-of-order capture:\n" +
          'lost_segment where seq 73 follows seq 1 (the gap); duplicate_ack three times for ack 37, and once more\n' +
          "for ack 217 (the server's answer to the late original); fast_retransmission of seq 37 (Wireshark also\n" +
          'counts it among the retransmissions); the late original as a retransmission too, and spurious (its\n' +
          'bytes were already acknowledged). Timeout capture: none, since the lost copies never reached the\n' +
          'link and Wireshark only sees the one that arrived. Delayed-ACK capture: none, nothing went wrong.\n' +
          'Lossy capture: all of these, plus out_of_order (jitter let frames overtake) and window_update (the\n' +
          'reader emptied its buffer after a hole was filled and said so); copies the link duplicated show as\n' +
          'spurious retransmissions: Wireshark cannot tell a network duplicate from a resent segment.',
        {
          'out-of-order.pcapng': {
            'tcp.analysis.duplicate_ack': 4,
            'tcp.analysis.fast_retransmission': 1,
            'tcp.analysis.lost_segment': 1,
            'tcp.analysis.retransmission': 2,
            'tcp.analysis.spurious_retransmission': 1,
          },
          'lossy.pcapng': {
            'tcp.analysis.duplicate_ack': 9,
            'tcp.analysis.lost_segment': 9,
            'tcp.analysis.out_of_order': 20,
            'tcp.analysis.retransmission': 5,
            'tcp.analysis.spurious_retransmission': 5,
            'tcp.analysis.window_update': 5,
          },
        },
      ),
    ],
    exercises: [
      {
        after: OUT_OF_ORDER,
        title: 'Expected #37, got #73',
        kind: 'predict',
        task: 'The server has bytes 1-36 and receives the segment starting at byte 73. What acknowledgment number does it send?',
        expects: 'a number',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.ackOn73 ?? NaN),
        hint: 'An ACK names the next byte the receiver needs, whatever else it holds.',
        answer: '37: it still needs byte 37; bytes 73-108 wait in the out-of-order queue (and a SACK block says so).',
        right: '37',
        wrong: '109',
        reveal: (ctx) => `The server sent ack ${ctx.state.ackOn73 ?? '?'}.`,
      },
      {
        after: TIMEOUT,
        title: 'The third wait',
        kind: 'answer',
        task: 'The first retransmission waited 200 ms. How long did the client wait before its third retransmission?',
        expects: 'a time in ms',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.rtoGaps?.[2] ?? NaN, { unit: 'ms' }),
        hint: 'Each timeout doubles the RTO.',
        answer: '800 ms: 200, then 400, then 800.',
        right: '800',
        wrong: '200',
      },
    ],
  });
}

export default tcpReliabilityLab();
