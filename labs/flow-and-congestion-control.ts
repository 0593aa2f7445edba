// Lab: flow-and-congestion-control. netlab's userspace TCP (src/netsim/tcp) on virtual hosts, on
// LabNet links with simulated time: a slow reader whose window closes to zero while the sender probes
// it (flow control, the receiver's limit), then a bulk transfer where cwnd grows in slow start, halves
// at a loss and grows by about a segment per round trip in congestion avoidance (congestion control,
// the sender's guess about the network), plotted as an SVG beside the captures and as a terminal chart.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab, type AnyLab } from '../src/lab/index.ts';
import { gradeNumber, lineFigure } from '../src/lab/index.ts';
import { LabNet, type LinkFault } from '../src/netsim/index.ts';
import type { CongestionEvent, VirtualTcpSocket } from '../src/netsim/tcp/index.ts';
import { LAB_INFO } from './info.ts';
import { need, recordStep, type Confirm } from './netsim/lab-steps.ts';
import { tcpWiresharkStep } from './tcp-handshake-and-close/analysis.ts';
import { segViews, tcpOf, tcpPair } from './tcp-handshake-and-close/net.ts';
import { cwndChart, cwndSvg, points } from './flow-and-congestion-control/chart.ts';

interface State {
  net?: LabNet;
  captures: string[];
  confirm: Confirm[];
  zeroWindow?: number;
  ssthreshAfterLoss?: number;
  flightAtLoss?: number;
}

export interface FlowLabOptions {
  readonly fault?: LinkFault;
  /** Lose the bulk transfer's segment at this byte offset once (default 100000; -1: none). */
  readonly lossAt?: number;
}

const BUFFER = 8192;
const SLOW = 'A slow reader: the window closes to zero, the sender probes';
const CWND = 'Slow start, a loss, congestion avoidance: cwnd against time';

function accept(host: { tcp: { listen(port: number, cb: (s: VirtualTcpSocket) => void): unknown } }): () => VirtualTcpSocket | undefined {
  let s: VirtualTcpSocket | undefined;
  host.tcp.listen(80, (x) => (s = x));
  return () => s;
}

export function flowAndCongestionLab(options: FlowLabOptions = {}): AnyLab {
  const lossAt = options.lossAt ?? 100_000;
  return defineLab<State>({
    ...LAB_INFO['flow-and-congestion-control'],
    state: () => ({ captures: [], confirm: [] }),
    steps: [
      {
        title: SLOW,
        explain:
          `The server offers a receive buffer of ${BUFFER} bytes and its application does not read (the socket is\n` +
          'paused). The client writes 32 KiB. Each ACK from the server carries the window it still has room for;\n' +
          'it shrinks with every segment until an ACK says window 0: the sender must stop. It does not give up:\n' +
          'it sends a window probe (one byte past the window) when its persist timer fires, and again, with\n' +
          'backoff, while the window stays shut. After 3 s the application reads; the server sends a window\n' +
          'update, and the rest flows. This is flow control: the receiver protecting its own buffer. Note what\n' +
          'does not change meanwhile: the congestion window. No loss happened, nothing says the network is full.',
        async run(ctx) {
          const net = new LabNet({ start: ctx.clock.now(), fault: options.fault, delayMs: 1 });
          ctx.state.net = net;
          ctx.onLabEnd(() => net.close());
          const pair = await tcpPair(net, {
            link: 'lan',
            subnet: 1,
            client: { rto: { minMs: 200 } },
            server: { receiveBuffer: BUFFER, windowScaling: false, delayedAckMs: 40 },
          });
          const path = recordStep(ctx, net, 'zero-window', {
            filter: 'tcp.window_size == 0',
            about: "the server's ACKs with window 0",
            frames: 'some',
            also: [
              { filter: 'tcp.analysis.zero_window_probe', about: "the client's probes", frames: 'some' },
              { filter: 'tcp.analysis.window_update', about: 'the window opens again when the reader reads', frames: 'some' },
            ],
          });
          const server = accept(pair.server);
          const client = pair.client.tcp.connect({ host: pair.serverAddr, port: 80 });
          const cong: CongestionEvent[] = [];
          client.on('congestion', (e) => cong.push(e));
          await net.runUntil(() => server()?.state === 'ESTABLISHED', 1000, 'no connection');
          const s = need(server(), 'the server socket');
          s.pause();
          const got: Buffer[] = [];
          const mark = net.frames.length;
          const t0 = net.clock.now();
          const data = Buffer.alloc(32768, 0x7a);
          client.write(data);
          await net.wait(3000);
          const probes = client.info().counters.windowProbes;
          const cwndBefore = client.info().cwnd;
          s.on('data', (b) => got.push(b));
          s.resume();
          await net.runUntil(() => Buffer.concat(got).length === data.length, 10_000, 'the data did not all arrive');
          const segs = segViews(net, net.since(mark), pair.clientAddr, { client: client.info().iss, server: client.info().irs });
          const zero = segs.filter((x) => x.from === 'server' && x.win === 0);
          const firstZero = zero[0];
          ctx.state.zeroWindow = firstZero?.win;
          const probeSegs = segs.filter((x) => x.from === 'client' && x.len === 1);
          ctx.show.table(
            ['time (ms)', 'from', 'seq', 'ack', 'len', 'window'],
            segs
              .filter((x) => x.atMs - t0 < 3100)
              .slice(0, 30)
              .map((x) => [x.atMs - t0, x.from, x.seq, x.ack, x.len, x.win]),
            { title: 'Segments until the reader reads (window as the server offers it)' },
          );
          ctx.check.equal(
            "the server's window went down to 0 with its buffer full",
            firstZero === undefined ? '(never 0)' : `window 0 at ack ${firstZero.ack}`,
            `window 0 at ack ${BUFFER + 1}`,
          );
          ctx.check.atLeast('the client probed the zero window', probes, 2);
          ctx.check.equal('each probe is one byte past the window', [...new Set(probeSegs.map((x) => x.seq))], [BUFFER + 1]);
          const gaps = probeSegs.slice(1).map((x, i) => x.atMs - (probeSegs[i]?.atMs ?? 0));
          ctx.check.equal(
            'the probes back off: each wait longer than the one before',
            gaps.every((g, i) => i === 0 || g > (gaps[i - 1] ?? 0)),
            true,
          );
          ctx.check.equal('all 32768 bytes arrived once the reader read', Buffer.concat(got).length, 32768);
          ctx.check.equal(
            'flow control is not congestion control: no congestion event while the window was shut',
            cong.filter((e) => e.time > t0 && e.reason !== 'ack').map((e) => e.reason),
            [],
          );
          ctx.check.equal('...and cwnd was not cut', cwndBefore >= (cong[0]?.cwnd ?? Infinity), true);
          ctx.state.confirm.push({
            path,
            what: 'the first zero window',
            fields: ['tcp.window_size', 'tcp.ack'],
            pick: (r) => r[0] === '0',
            expected: zero.map((z) => ['0', String(z.ack)]),
          });
        },
      },
      {
        title: CWND,
        explain:
          'A new pair of hosts (1 ms apart) and 400 KB to send with a receiver that reads at once: now the\n' +
          "window the receiver offers is large, and the limit is the sender's congestion window (cwnd), its\n" +
          "guess of what the network holds. It starts at RFC 5681's initial window (3 segments for this MSS)\n" +
          'and, in slow start, grows by one segment per ACK: doubling every round trip. One segment is lost (at\n' +
          `byte ${lossAt}): three duplicate ACKs, fast retransmit, and NewReno halves the window: ssthresh = half\n` +
          'the data in flight. Above ssthresh the sender is in congestion avoidance: about one segment more per\n' +
          'round trip. The chart is written beside the captures as cwnd.svg.',
        async run(ctx) {
          const net = need(ctx.state.net, 'the network');
          recordStep(ctx, net, 'congestion', {
            filter: 'tcp.analysis.fast_retransmission',
            about: 'the lost segment resent after three duplicate ACKs',
            frames: lossAt < 0 ? 0 : 1,
            also: [{ filter: 'tcp.analysis.duplicate_ack', about: 'the duplicate ACKs for the lost byte', frames: 'some' }],
          });
          const pair = await tcpPair(net, { link: 'wan', subnet: 2, client: { rto: { minMs: 200 } }, server: { receiveBuffer: 1 << 20, delayedAckMs: 40 } });
          const server = accept(pair.server);
          const client = pair.client.tcp.connect({ host: pair.serverAddr, port: 80 });
          const events: CongestionEvent[] = [];
          client.on('congestion', (e) => events.push(e));
          await net.runUntil(() => server()?.state === 'ESTABLISHED', 1000, 'no connection');
          const s = need(server(), 'the server socket');
          let got = 0;
          s.on('data', (b) => (got += b.length));
          const iss = client.info().iss;
          let lost = false;
          pair.slow.client.drop = (f) => {
            const t = tcpOf(f);
            if (lost || lossAt < 0 || t === undefined || t.len === 0) return false;
            const off = (t.seq - iss - 1) >>> 0;
            if (off <= lossAt && lossAt < off + t.len) {
              lost = true;
              return true;
            }
            return false;
          };
          const total = 400_000;
          const t0 = net.clock.now();
          client.write(Buffer.alloc(total, 0x63));
          await net.runUntil(() => got === total, 60_000, 'the transfer did not finish');
          const ps = points(events, t0);
          const svg = join(ctx.outDir, 'cwnd.svg');
          writeFileSync(svg, cwndSvg(ps, 'cwnd and ssthresh (segments) against time, netlab TCP NewReno'));
          ctx.show.figure(
            lineFigure(
              'cwnd and ssthresh (segments) against time, netlab TCP NewReno',
              'time (ms)',
              'segments',
              [
                { name: 'cwnd', points: ps.map((p) => [p.t, p.cwnd]), step: true },
                { name: 'ssthresh', points: ps.filter((p) => !Number.isNaN(p.ssthresh)).map((p) => [p.t, p.ssthresh]), step: true, dashed: true },
              ],
              `${cwndChart(ps)}\n\nThe same as a picture: ${svg}`,
            ),
          );
          const first = events[0];
          const loss = events.find((e) => e.reason === 'fast-retransmit');
          const mss = first?.mss ?? 1448;
          if (loss !== undefined) {
            ctx.state.ssthreshAfterLoss = loss.ssthresh;
            ctx.state.flightAtLoss = loss.flightSize;
          }
          const before = events.filter((e) => loss === undefined || e.time < loss.time);
          const after = events.filter((e) => loss !== undefined && e.time > loss.time && e.state === 'congestion-avoidance');
          ctx.show.table(
            ['event', 'time (ms)', 'cwnd (bytes)', 'cwnd (segments)', 'ssthresh', 'state'],
            [first, before.at(-1), loss, after[0], after.at(-1)]
              .filter((e) => e !== undefined)
              .map((e) => [e.reason, e.time - t0, e.cwnd, (e.cwnd / e.mss).toFixed(1), Number.isFinite(e.ssthresh) ? e.ssthresh : 'infinite', e.state]),
          );
          ctx.check.equal(
            'cwnd starts at the initial window, 4380 bytes (3 segments), in slow start',
            first === undefined ? undefined : `${first.cwnd} ${first.state}`,
            '4380 slow-start',
          );
          const ssAcks = before.filter((e) => e.reason === 'ack' && e.state === 'slow-start');
          ctx.check.equal(
            'in slow start each ACK adds at most one segment',
            ssAcks.every((e, i) => i === 0 || e.cwnd - (ssAcks[i - 1]?.cwnd ?? 0) <= mss),
            true,
          );
          ctx.check.atLeast('slow start took cwnd past 16 segments before the loss', (before.at(-1)?.cwnd ?? 0) / mss, 16, 'segments');
          ctx.check.equal('one loss, repaired by fast retransmit', loss === undefined ? '(no loss)' : loss.reason, 'fast-retransmit');
          if (loss !== undefined)
            ctx.check.equal('ssthresh = half the flight size at the loss (RFC 5681 (4))', loss.ssthresh, Math.max(Math.floor(loss.flightSize / 2), 2 * mss));
          const caGrowth = (after.at(-1)?.cwnd ?? 0) - (after[0]?.cwnd ?? 0);
          const caTime = (after.at(-1)?.time ?? 0) - (after[0]?.time ?? 0);
          ctx.check.atLeast('congestion avoidance lasted a while', caTime, 10, 'ms');
          ctx.check.between(
            'in congestion avoidance cwnd grew about one segment per round trip (2 ms here)',
            caGrowth / mss / (caTime / 2),
            0.3,
            1.5,
            'segments per RTT',
          );
          ctx.check.equal('all 400000 bytes arrived', got, total);
        },
      },
      tcpWiresharkStep<State>(
        'tshark reads the captures. Zero-window capture: window_full on the segment that filled the 8192\n' +
          "bytes, zero_window on the server's ACKs with window 0 (the first, and its answer to each probe),\n" +
          'zero_window_probe for each of the three probes and zero_window_probe_ack for each answer, and one\n' +
          'window_update when the reader makes room. None of these is an error: they are flow control at work.\n' +
          'Congestion capture: the lost segment leaves a lost_segment gap where the next one arrives, the\n' +
          'receiver sends a duplicate_ack for every segment past the gap (36: the window was large), and the\n' +
          "sender's fast_retransmission (also counted as a retransmission) repairs it.",
        {
          'zero-window.pcapng': {
            'tcp.analysis.window_full': 1,
            'tcp.analysis.window_update': 1,
            'tcp.analysis.zero_window': 4,
            'tcp.analysis.zero_window_probe': 3,
            'tcp.analysis.zero_window_probe_ack': 3,
          },
          'congestion.pcapng': {
            'tcp.analysis.duplicate_ack': 36,
            'tcp.analysis.fast_retransmission': 1,
            'tcp.analysis.lost_segment': 1,
            'tcp.analysis.retransmission': 1,
          },
        },
      ),
    ],
    exercises: [
      {
        after: SLOW,
        title: "The full buffer's window",
        kind: 'predict',
        task: "The server's application reads nothing and its buffer is full. What window does its ACK offer?",
        expects: 'a number of bytes',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.zeroWindow ?? NaN, { unit: 'bytes' }),
        hint: 'The window is the free room in the receive buffer.',
        answer: '0: the sender must stop and probe until the reader makes room.',
        right: '0',
        wrong: String(BUFFER),
      },
      {
        after: CWND,
        title: 'ssthresh after the loss',
        kind: 'answer',
        task: (ctx) => `At the loss, ${ctx.state.flightAtLoss ?? '?'} bytes were in flight. What is ssthresh after it, in bytes?`,
        expects: 'a number of bytes',
        grade: (answer, ctx) => gradeNumber(answer, ctx.state.ssthreshAfterLoss ?? NaN, { unit: 'bytes' }),
        hint: 'RFC 5681: max(FlightSize / 2, 2 x SMSS).',
        answer: (ctx) => `${ctx.state.ssthreshAfterLoss ?? '?'}: half the flight size.`,
        right: (ctx) => String(ctx.state.ssthreshAfterLoss ?? ''),
        wrong: (ctx) => String(ctx.state.flightAtLoss ?? 1),
      },
    ],
  });
}

export default flowAndCongestionLab();
