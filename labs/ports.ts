// Lab: ports, sockets and connections, with real `net` and `dgram` sockets on 127.0.0.1, recorded by
// the socket tap: ephemeral client ports vs the server's fixed port, the 4-tuple, the kernel's
// ephemeral range, a closed TCP port vs a closed UDP port, and message boundaries.

import { readFileSync } from 'node:fs';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import type { StepContext } from '../src/lab/index.ts';
import { encode, ethernet, icmp, ipv4, payload, tcp, udp } from '../src/wire/index.ts';
import { realCaptureOnLo, type LoCapture, type SeenUnreachable } from './ports/lo-capture.ts';
import { portsExercises } from './ports/exercises.ts';

const HOST = '127.0.0.1';
const IANA = { low: 49152, high: 65535 };
/** The ports the fixtures show for the lab's closed ports (the real ones differ on every run). */
const SHOWN_CLOSED_TCP = 9001;
const SHOWN_CLOSED_UDP = 9002;
const SHOWN_SERVER = 8443;

interface State {
  range?: { low: number; high: number };
  clientPorts: number[];
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: the kernel gives a free one, and it is closed again at once. */
async function closedTcpPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, HOST, () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** What a socket reported: the error code (or 'connected' / 'none') and the local port it had. */
interface Outcome {
  code: string;
  localPort: number;
}

/**
 * Connects and resolves with the error code the kernel reports (or 'connected'). The client's
 * ephemeral port is read just after connect() was issued: a refused socket no longer has one.
 */
function tryConnect(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    let localPort = -1;
    s.once('connectionAttempt', () => process.nextTick(() => (localPort = s.localPort ?? -1)));
    s.once('connect', () => {
      s.destroy();
      resolve({ code: 'connected', localPort });
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? err.message, localPort }));
  });
}

/** Sends one datagram; resolves with the first error the socket reports within `ms` (or 'none'). */
function udpSendAndWait(port: number, connected: boolean, ms: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s: UdpSocket = createSocket('udp4');
    let code = 'none';
    let localPort = -1;
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (code === 'none') code = err.code ?? err.message;
    });
    const done = (): void => {
      localPort = s.address().port;
      setTimeout(() => s.close(() => resolve({ code, localPort })), ms);
    };
    if (connected) s.connect(port, HOST, () => s.send('ping', done));
    else s.send('ping', port, HOST, done);
  });
}

function readRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? { low, high } : undefined;
  } catch {
    return undefined;
  }
}

/** The frames the kernels exchanged for a refused connection and a datagram to a closed port, drawn by the lab. */
function drawnClosedPortFrames(tcpClient: number, udpClient: number, tcpPort: number, udpPort: number): { frame: Uint8Array; comment: string }[] {
  const eth = (): ReturnType<typeof ethernet> => ethernet({ src: '02:00:7f:00:00:01', dst: '02:00:7f:00:00:01' });
  const ip = (): ReturnType<typeof ipv4> => ipv4({ src: HOST, dst: HOST, id: 0, df: true });
  const datagram = encode([ipv4({ src: HOST, dst: HOST, id: 0x2a2a, df: true }), udp({ sport: udpClient, dport: udpPort }), payload('ping')]);
  const label = 'drawn by the lab from what the socket reported: a socket never sees this frame';
  return [
    {
      frame: encode([eth(), ip(), tcp({ sport: tcpClient, dport: tcpPort, seq: 1000, flags: 'S', window: 65495, options: [{ mss: 65495 }] })]),
      comment: `SYN to closed port ${tcpPort} (${label})`,
    },
    {
      frame: encode([eth(), ip(), tcp({ sport: tcpPort, dport: tcpClient, seq: 0, ack: 1001, flags: 'RA', window: 0 })]),
      comment: `RST-ACK: nothing listens on ${tcpPort}; connect() fails with ECONNREFUSED (${label})`,
    },
    {
      frame: encode([eth(), ipv4({ src: HOST, dst: HOST, id: 0x2a2a, df: true }), udp({ sport: udpClient, dport: udpPort }), payload('ping')]),
      comment: `UDP datagram to closed port ${udpPort}`,
    },
    {
      frame: encode([eth(), ipv4({ src: HOST, dst: HOST, id: 0 }), icmp({ type: 3, code: 3 }), payload(datagram)]),
      comment: `ICMP port unreachable quoting the datagram: only a connected UDP socket hears of it, as ECONNREFUSED (${label})`,
    },
  ];
}

async function boundaries(ctx: StepContext<State>): Promise<{ tcpReads: string[]; bigReads: number; udpMessages: string[] }> {
  const tap = ctx.tap('boundaries', {
    filter: 'udp',
    about: 'three datagrams: each send() is one datagram with its own length',
    frames: 3,
    also: [{ filter: 'tcp.len > 0', about: 'the TCP segments: where one write ends is not on the wire', frames: 'some' }],
  });
  // TCP: three small writes, then one big write, to a server that records each read.
  const reads: Buffer[] = [];
  let total = 0;
  const big = 100 * 1024;
  let gotAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (gotAll = resolve));
  const server = createServer((s) => {
    s.on('data', (d: Buffer) => {
      reads.push(d);
      total += d.length;
      if (total >= 11 + big) {
        s.end('ok');
        gotAll();
      }
    });
  });
  const port = await listen(server);
  tap.fixPort(port, SHOWN_SERVER);
  const c = connect({ host: HOST, port });
  tap.tcp(c);
  await new Promise<void>((resolve, reject) => c.once('connect', () => resolve()).once('error', reject));
  c.write('one');
  c.write('two');
  c.write('three');
  c.write(Buffer.alloc(big, 0x61));
  await all;
  await new Promise<void>((resolve) => {
    c.on('data', () => undefined);
    c.once('close', () => resolve());
    c.end();
  });
  await close(server);
  const joined = Buffer.concat(reads).toString('latin1');
  const smallEnd = joined.indexOf('a');
  let seen = 0;
  const tcpReads: string[] = [];
  let bigReads = 0;
  for (const r of reads) {
    const start = seen;
    seen += r.length;
    if (start < smallEnd) tcpReads.push(r.toString('latin1', 0, Math.min(r.length, smallEnd - start)));
    if (seen > smallEnd) bigReads++;
  }
  // UDP: three sends, three datagrams.
  const rx = createSocket('udp4');
  const tx = createSocket('udp4');
  await new Promise<void>((resolve) => rx.bind(0, HOST, () => resolve()));
  await new Promise<void>((resolve) => tx.bind(0, HOST, () => resolve()));
  tap.udp(tx);
  const messages: string[] = [];
  const three = new Promise<void>((resolve) =>
    rx.on('message', (m) => {
      messages.push(m.toString());
      if (messages.length === 3) resolve();
    }),
  );
  for (const m of ['one', 'two', 'three']) await new Promise<void>((resolve) => tx.send(m, rx.address().port, HOST, () => resolve()));
  await Promise.race([three, new Promise((resolve) => setTimeout(resolve, 2000))]);
  await new Promise<void>((resolve) => tx.close(() => resolve()));
  await new Promise<void>((resolve) => rx.close(() => resolve()));
  return { tcpReads, bigReads, udpMessages: messages };
}

export default defineLab<State>({
  ...LAB_INFO['ports'],
  state: () => ({ clientPorts: [] }),
  exercises: portsExercises,
  steps: [
    {
      title: 'One server port, three clients, three ephemeral ports',
      explain:
        'A server listens on a port chosen in advance (443 for HTTPS; here the lab asks the kernel for a free one,\n' +
        'so that nothing on your machine clashes). A client does not choose: connect() takes an ephemeral port\n' +
        'from the kernel. Three clients on the same address are told apart by their ports alone: each connection\n' +
        "is the 4-tuple (client address, client port, server address, server port). A study guide's example is\n" +
        '54321 -> 443; here the ports are the ones the kernel really hands out.',
      async run(ctx) {
        const tap = ctx.tap('four-tuples', {
          filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0',
          about: 'three SYNs from three client ports to one server port',
          frames: 3,
          also: [{ filter: 'tcp.stream == 2', about: 'the third connection alone: its own 4-tuple', frames: 'some' }],
        });
        const seenByServer: number[] = [];
        const server = createServer((s) => {
          seenByServer.push(s.remotePort ?? -1);
          s.on('data', (d: Buffer) => s.end(`hello, ${d.toString().trim()}\n`));
        });
        const port = await listen(server);
        tap.fixPort(port, SHOWN_SERVER);
        ctx.onStepEnd(() => close(server));
        const rows: (string | number)[][] = [];
        for (let i = 1; i <= 3; i++) {
          const c: Socket = connect({ host: HOST, port });
          tap.tcp(c);
          await new Promise<void>((resolve, reject) => c.once('connect', () => resolve()).once('error', reject));
          const local = c.localPort ?? -1;
          ctx.state.clientPorts.push(local);
          await new Promise<void>((resolve) => {
            c.on('data', () => undefined);
            c.once('close', () => resolve());
            c.write(`client ${i}\n`);
          });
          rows.push([i, `${HOST}:${local}`, `${HOST}:${port}`, `(${HOST}, ${local}, ${HOST}, ${port})`]);
        }
        ctx.show.table(['client', 'source (ephemeral)', 'destination (fixed)', '4-tuple'], rows);
        const ports = ctx.state.clientPorts;
        ctx.check.equal('three connections, three different client ports', new Set(ports).size, 3);
        ctx.check.equal("the server saw the same ports as the clients' sockets", seenByServer.join(','), ports.join(','));
        ctx.check.ok(
          'every client port differs from the server port',
          ports.every((p) => p !== port),
          `${ports.join(', ')} vs ${port}`,
        );
      },
    },
    {
      title: 'Where ephemeral ports come from',
      explain:
        'IANA reserves 49152-65535 for ephemeral ports (RFC 6335). Linux uses its own range, by default\n' +
        '32768-60999, in /proc/sys/net/ipv4/ip_local_port_range: 16384 of its 28232 ports (58%), 32768-49151,\n' +
        "lie below IANA's range. The lab reads the file and checks the ports the kernel chose in step 1 against it.",
      run(ctx) {
        const range = readRange();
        const ports = ctx.state.clientPorts;
        if (range === undefined) {
          ctx.show.skipped('This machine has no /proc/sys/net/ipv4/ip_local_port_range (not Linux): its range is not shown.');
          ctx.check.ok(
            'the client ports are above the well-known ports (0-1023)',
            ports.every((p) => p > 1023),
            ports.join(', '),
          );
          return;
        }
        ctx.state.range = range;
        ctx.show.table(
          ['range', 'low', 'high', 'ports'],
          [
            ['IANA (RFC 6335)', IANA.low, IANA.high, IANA.high - IANA.low + 1],
            ['this kernel', range.low, range.high, range.high - range.low + 1],
          ],
        );
        const size = range.high - range.low + 1;
        const inIana = Math.max(0, Math.min(range.high, IANA.high) - Math.max(range.low, IANA.low) + 1);
        ctx.show.text(`${size - inIana} of this kernel's ${size} ephemeral ports (${Math.round((100 * (size - inIana)) / size)}%) lie outside IANA's range.`);
        ctx.show.table(
          ['client port', "in this kernel's range", "in IANA's range"],
          ports.map((p) => [p, p >= range.low && p <= range.high ? 'yes' : 'no', p >= IANA.low ? 'yes' : 'no']),
        );
        ctx.check.ok(
          `every client port is in the kernel's range ${range.low}-${range.high}`,
          ports.every((p) => p >= range.low && p <= range.high),
          ports.join(', '),
        );
      },
    },
    {
      title: 'A closed TCP port answers with RST; a closed UDP port with ICMP (or silence)',
      explain:
        'Connecting to a TCP port where nothing listens: the kernel answers the SYN with RST, and connect() fails\n' +
        'with ECONNREFUSED. A socket never sees the RST itself, only that error. UDP has no connection: a datagram\n' +
        'to a closed port is answered by an ICMP "port unreachable", which the sender hears of only if its socket\n' +
        'is connected (the next call fails with ECONNREFUSED); an unconnected socket hears nothing at all.',
      async run(ctx) {
        const tcpPort = await closedTcpPort();
        const udpPort = await closedUdpPort();
        const refused = await tryConnect(tcpPort);
        const unconnected = await udpSendAndWait(udpPort, false, 300);
        const connected = await udpSendAndWait(udpPort, true, 300);
        ctx.show.table(
          ['what', 'from (ephemeral)', 'to (closed)', 'what the socket reports'],
          [
            ['TCP connect()', refused.localPort, tcpPort, refused.code],
            ['UDP send(), unconnected socket', unconnected.localPort, udpPort, unconnected.code === 'none' ? 'nothing (silence)' : unconnected.code],
            ['UDP send(), connected socket', connected.localPort, udpPort, connected.code],
          ],
        );
        ctx.check.equal('connect() to a closed TCP port fails with ECONNREFUSED (the kernel got a RST)', refused.code, 'ECONNREFUSED');
        ctx.check.equal('an unconnected UDP socket hears nothing back', unconnected.code, 'none');
        ctx.check.equal('a connected UDP socket hears of the ICMP port unreachable as ECONNREFUSED', connected.code, 'ECONNREFUSED');
        ctx.check.ok(
          'the refused connect() had an ephemeral port of its own',
          refused.localPort > 1023 && refused.localPort !== tcpPort,
          String(refused.localPort),
        );
        ctx.show.text(
          'A socket sees only the error, never the RST or the ICMP message: the frames in this capture are drawn by\n' +
            "the lab from the errors above (their comments say so). Step 5 shows the kernel's real ones.",
        );
        // Fixtures: fixed ports; a normal run draws the real ones.
        const d = ctx.deterministic;
        const cap = ctx.capture('closed-ports', {
          filter: 'tcp.flags.reset == 1',
          about: 'the RST a closed TCP port answers with (drawn from ECONNREFUSED)',
          frames: 1,
          also: [{ filter: 'icmp.type == 3 && icmp.code == 3', about: 'port unreachable for the UDP datagram (drawn from ECONNREFUSED)', frames: 1 }],
        });
        const frames = drawnClosedPortFrames(
          d ? 49200 : refused.localPort,
          d ? 49201 : connected.localPort,
          d ? SHOWN_CLOSED_TCP : tcpPort,
          d ? SHOWN_CLOSED_UDP : udpPort,
        );
        for (const f of frames) cap.write(f.frame, { comment: f.comment });
      },
    },
    {
      title: 'TCP is a byte stream; UDP keeps each message',
      explain:
        'TCP delivers bytes in order but not the writes they came in: three write() calls ("one", "two", "three")\n' +
        'may arrive in one read, and one 100 KiB write arrives in several reads. UDP keeps boundaries: three\n' +
        'send() calls make three datagrams and three reads, each exactly as sent.',
      async run(ctx) {
        const r = await boundaries(ctx);
        ctx.show.table(
          ['transport', 'sent', 'received'],
          [
            ['TCP', '3 writes: "one", "two", "three"', `${r.tcpReads.length} read(s): ${r.tcpReads.map((x) => JSON.stringify(x)).join(', ')}`],
            ['TCP', '1 write of 102400 bytes', `${r.bigReads} read(s)`],
            ['UDP', '3 sends: "one", "two", "three"', `${r.udpMessages.length} message(s): ${r.udpMessages.map((x) => JSON.stringify(x)).join(', ')}`],
          ],
        );
        ctx.check.equal('TCP delivered the bytes in order', r.tcpReads.join(''), 'onetwothree');
        ctx.check.atLeast('one 100 KiB TCP write arrived in several reads', r.bigReads, 2, 'reads');
        ctx.check.equal('UDP delivered three messages, each as sent', r.udpMessages.join('|'), 'one|two|three');
      },
    },
    {
      title: "The kernel's own view: a real capture on lo",
      explain:
        'The frames for the closed ports above were drawn by the lab from what the sockets reported. When you are\n' +
        'root and tcpdump is installed, the lab repeats the two experiments while tcpdump captures on the loopback\n' +
        'interface, and shows the real RST and ICMP port unreachable beside what the sockets said:\n' +
        '  tcpdump -i lo --immediate-mode -U -w real-lo.pcap "(tcp port T) or (udp port U) or (icmp and icmp[0] == 3)"\n' +
        'It sends two datagrams this time, from an unconnected and from a connected socket: the kernel answers\n' +
        'both with ICMP, but only the connected socket is told.',
      timeoutMs: 20_000,
      async run(ctx) {
        if (ctx.deterministic) {
          ctx.show.skipped('Writing fixtures: a live capture differs on every run, so it is not taken here.');
          return;
        }
        const tcpPort = await closedTcpPort();
        const udpPort = await closedUdpPort();
        const lo: LoCapture | string = await realCaptureOnLo(ctx.outDir, `(tcp port ${tcpPort}) or (udp port ${udpPort}) or (icmp and icmp[0] == 3)`);
        if (typeof lo === 'string') {
          ctx.show.skipped(`no real capture on lo: ${lo}`);
          return;
        }
        const refused = await tryConnect(tcpPort);
        const silent = await udpSendAndWait(udpPort, false, 200);
        const told = await udpSendAndWait(udpPort, true, 200);
        const seen = await lo.stop(
          (f) =>
            f.rst.some((r) => r.srcPort === tcpPort && r.dstPort === refused.localPort) &&
            [silent.localPort, told.localPort].every((from) => f.unreachable.some((u) => u.quotedSrcPort === from && u.quotedDstPort === udpPort)),
        );
        const rst = seen.rst.find((r) => r.srcPort === tcpPort && r.dstPort === refused.localPort);
        const icmpFor = (from: number): SeenUnreachable | undefined => seen.unreachable.find((u) => u.quotedSrcPort === from && u.quotedDstPort === udpPort);
        const silentIcmp = icmpFor(silent.localPort);
        const toldIcmp = icmpFor(told.localPort);
        const icmpText = (u: SeenUnreachable | undefined): string =>
          u === undefined ? 'no ICMP port unreachable' : `ICMP port unreachable quoting ${u.quotedSrcPort} -> ${u.quotedDstPort} (frame ${u.frame})`;
        ctx.show.table(
          ['experiment', 'the socket said', 'closed-ports.pcapng (drawn from that)', 'tcpdump on lo saw'],
          [
            [
              `TCP ${refused.localPort} -> ${tcpPort}`,
              refused.code,
              'SYN, then RST-ACK',
              rst === undefined ? 'no RST' : `RST ${rst.srcPort} -> ${rst.dstPort} (frame ${rst.frame})`,
            ],
            [
              `UDP ${silent.localPort} -> ${udpPort}, unconnected`,
              silent.code === 'none' ? 'nothing' : silent.code,
              '(not drawn: nothing reported)',
              icmpText(silentIcmp),
            ],
            [`UDP ${told.localPort} -> ${udpPort}, connected`, told.code, 'datagram, then ICMP port unreachable', icmpText(toldIcmp)],
          ],
        );
        ctx.show.text(
          `Real capture: ${lo.path} (${seen.frames} frames)\n` +
            `  wireshark -r ${lo.path} -Y "tcp.flags.reset == 1 || icmp.type == 3"\n` +
            (silentIcmp !== undefined && toldIcmp !== undefined
              ? 'The kernel answered both datagrams with ICMP; only the connected socket was told.'
              : 'The capture lacks frames the kernel sends: see the checkpoints below.'),
        );
        ctx.check.equal('the socket again reported ECONNREFUSED', refused.code, 'ECONNREFUSED');
        ctx.check.ok(
          `tcpdump saw the kernel's RST from closed port ${tcpPort} to the client's port ${refused.localPort}`,
          rst !== undefined,
          rst === undefined ? `RSTs seen: ${seen.rst.map((r) => `${r.srcPort}->${r.dstPort}`).join(', ') || 'none'}` : `frame ${rst.frame}`,
        );
        ctx.check.ok(
          `tcpdump saw ICMP port unreachable for the unconnected socket's datagram, which the socket never reported`,
          silentIcmp !== undefined && silent.code === 'none',
          `${icmpText(silentIcmp)}; socket: ${silent.code}`,
        );
        ctx.check.ok(
          `tcpdump saw ICMP port unreachable for the connected socket's datagram, reported as ${told.code}`,
          toldIcmp !== undefined && told.code === 'ECONNREFUSED',
          icmpText(toldIcmp),
        );
      },
    },
  ],
});
