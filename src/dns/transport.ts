// The resolver's transport on real sockets: one query to one server over UDP (a fresh socket on a
// crypto-random source port, a crypto-random ID) or TCP (two-byte length framing), with a timeout.
// A UDP answer is taken only when it comes from the server asked, to the port the query left from,
// with the same ID and the same question; anything else is ignored (and reported to `onRejected`,
// so a lab can show a spoofing attempt being turned away) while the real answer is awaited. A reply
// from the server asked, with the query's ID and question, that cannot be decoded (a compression
// pointer loop, say) ends the query at once as malformed: waiting for the timeout would gain nothing.
// When tapped, each datagram that arrives carries a pcapng comment saying whether it was taken or
// turned away, and why.
//
// `weak` makes the transport as weak as resolvers were before 2008 (fixed source port, sequential
// IDs). It exists only for the dns-spoofing lab, which shows the cache poisoning that follows.

import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { isIP } from 'node:net';
import { dnsNamesEqual } from '../wire/dns-name.ts';
import { decodeDnsMessage } from '../wire/dns-decode.ts';
import { encodeDnsMessage } from '../wire/dns-encode.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../wire/dns-tcp.ts';
import { dnsFlags, type DnsMessage, type DnsQuestion } from '../wire/dns-types.ts';
import type { QueryRequest, QueryResult, ResolverTransport, ServerAddress } from './resolver-types.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export interface TransportOptions {
  /** Per query, in ms. Default 1000. */
  timeoutMs?: number;
  /** UDP payload size advertised with EDNS0. Default 1232 (the DNS flag day 2020 value). */
  ednsUdpSize?: number;
  /** Source address for queries (default 127.0.0.1, or ::1 for an IPv6 server). */
  localAddress?: string;
  /** The query ID (default: crypto-random). A lab sets a predictable one to show why that is bad. */
  nextId?: () => number;
  /** The UDP source port (default: crypto-random in 1024-65535). A lab fixes it to show the risk. */
  nextPort?: () => number;
  /**
   * LAB ONLY, never for real use: a resolver as weak as those before 2008 (CVE-2008-1447), for the
   * dns-spoofing lab. `fixedPort`: every UDP query leaves from this one port (a busy port is a failed
   * query, never another port); `sequentialIds`: IDs count up by one from `firstId` (default 1).
   * Either one shrinks what a blind attacker must guess from about 2^32 to 2^16; both, to 1.
   */
  weak?: WeakTransport;
  /**
   * Lab use (client, balancer and servers in one process on one busy machine): ms this thread has so
   * far waited, runnable, for a CPU (src/lab's runQueueWaitMs). A UDP try's deadline moves back by the
   * wait that fell inside it (up to 10 times the timeout in all), so that a stretch in which the kernel
   * gave the process no CPU is not read as a lost datagram. The transport's own slowness still counts.
   */
  notRunningMs?: () => number | undefined;
  /** Called for every UDP datagram that is not the awaited answer, with the reason. */
  onRejected?: (reason: string, from: ServerAddress, detail: RejectDetail) => void;
  /**
   * Records every query's socket (a TapRecorder fits): the capture gets the queries and answers, each
   * query commented with why it was sent (QueryRequest.note), so a trace lines up with Wireshark.
   */
  tap?: {
    udp(socket: UdpSocket): { comment(text: string): void };
    tcp(socket: Socket): { comment(text: string): void };
  };
}

/** See TransportOptions.weak: lab only. */
export interface WeakTransport {
  fixedPort?: number;
  sequentialIds?: boolean;
  firstId?: number;
}

/** Which check turned a datagram away. */
export type RejectKind = 'source' | 'malformed' | 'not-response' | 'id' | 'question';

export interface RejectDetail {
  kind: RejectKind;
  /** The query the datagram was checked against: its ID, its source port, the question's name. */
  queryId: number;
  queryPort: number;
  /** The datagram's ID, when it has a header. */
  id?: number;
}

const randomId = (): number => randomInt(0, 0x10000);
const randomPort = (): number => randomInt(1024, 0x10000);

function sameQuestion(a: DnsQuestion | undefined, b: DnsQuestion): boolean {
  return a !== undefined && a.type === b.type && a.class === b.class && dnsNamesEqual(a.name, b.name);
}

export function queryMessage(req: QueryRequest, id: number, udpSize: number): DnsMessage {
  return {
    id,
    flags: dnsFlags({ rd: req.rd, ad: req.ad === true }),
    questions: [req.question],
    answers: [],
    authorities: [],
    additionals: [],
    edns: req.edns ? { udpSize, version: 0, do: false, options: [...(req.ednsOptions ?? [])] } : undefined,
  };
}

/** Why a datagram is not the answer to the query (undefined when it is). */
export function rejectReason(m: DnsMessage, id: number, q: DnsQuestion): string | undefined {
  return rejectCheck(m, id, q)?.reason;
}

function rejectCheck(m: DnsMessage, id: number, q: DnsQuestion): { kind: RejectKind; reason: string } | undefined {
  if (!m.flags.qr) return { kind: 'not-response', reason: 'not a response (QR is 0)' };
  if (m.id !== id) return { kind: 'id', reason: `wrong ID ${m.id} (expected ${id})` };
  if (!sameQuestion(m.questions[0], q)) return { kind: 'question', reason: `wrong question ${m.questions[0]?.name ?? '(none)'} (expected ${q.name})` };
  return undefined;
}

type Verdict =
  | { take: true; message: DnsMessage }
  | { take: false; malformed: true; reason: string }
  | { take: false; malformed: false; kind: RejectKind; reason: string; id?: number };

/** What the transport makes of one datagram arriving on a query's socket. */
function judge(msg: Uint8Array, from: ServerAddress, server: ServerAddress, id: number, q: DnsQuestion): Verdict {
  const header = msg.length >= 2 ? (msg[0] << 8) | msg[1] : undefined;
  if (from.address !== server.address || from.port !== server.port) {
    return {
      take: false,
      malformed: false,
      kind: 'source',
      id: header,
      reason: `from ${from.address}:${from.port}, not the server asked (${server.address}:${server.port})`,
    };
  }
  const d = decodeDnsMessage(msg);
  if (d.ok) {
    const why = rejectCheck(d.message, id, q);
    return why === undefined ? { take: true, message: d.message } : { take: false, malformed: false, ...why, id: d.message.id };
  }
  // Undecodable. The reply to this query (the right ID and question) ends the query as malformed;
  // anything else is one more datagram to ignore.
  const p = d.partial;
  if (p?.flags.qr && p.id === id && sameQuestion(p.questions[0], q)) {
    return { take: false, malformed: true, reason: `malformed response: ${d.error.reason}` };
  }
  return { take: false, malformed: false, kind: 'malformed', id: header, reason: `malformed: ${d.error.reason}` };
}

export class SocketTransport implements ResolverTransport {
  private readonly timeoutMs: number;
  private readonly udpSize: number;

  constructor(private readonly options: TransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.udpSize = options.ednsUdpSize ?? 1232;
    if (!(this.timeoutMs > 0)) throw new NetlabRangeError(`transport option timeoutMs must be above 0, got ${this.timeoutMs}`);
    const weak = options.weak;
    if (weak !== undefined) {
      if (weak.fixedPort !== undefined && !(Number.isInteger(weak.fixedPort) && weak.fixedPort >= 1 && weak.fixedPort <= 0xffff)) {
        throw new NetlabRangeError(`transport option weak.fixedPort must be a port 1..65535, got ${weak.fixedPort}`);
      }
      if (weak.firstId !== undefined && !(Number.isInteger(weak.firstId) && weak.firstId >= 0 && weak.firstId <= 0xffff)) {
        throw new NetlabRangeError(`transport option weak.firstId must be 0..65535, got ${weak.firstId}`);
      }
      if (weak.sequentialIds === true) {
        let next = weak.firstId ?? 1;
        this.sequentialId = () => {
          const id = next;
          next = (next + 1) & 0xffff;
          return id;
        };
      }
    }
  }

  private readonly sequentialId: (() => number) | undefined;

  /** The next query ID: sequential (weak, lab only), the caller's, or crypto-random. */
  private newId(): number {
    return (this.sequentialId ?? this.options.nextId ?? randomId)();
  }

  query(req: QueryRequest): Promise<QueryResult> {
    if (isIP(req.server.address) === 0) return Promise.resolve({ ok: false, reason: `not an IP address: ${req.server.address}` });
    return req.tcp ? this.tcp(req) : this.udp(req);
  }

  private local(server: ServerAddress): string {
    return this.options.localAddress ?? (isIP(server.address) === 6 ? '::1' : '127.0.0.1');
  }

  private async bindUdp(server: ServerAddress): Promise<UdpSocket> {
    const family = isIP(server.address) === 6 ? 'udp6' : 'udp4';
    const fixed = this.options.weak?.fixedPort;
    if (fixed !== undefined) {
      const s = createSocket(family);
      const err = await new Promise<Error | undefined>((resolve) => {
        s.once('error', resolve);
        s.bind(fixed, this.local(server), () => {
          s.off('error', resolve);
          resolve(undefined);
        });
      });
      if (err === undefined) return s;
      s.close();
      throw new NetlabError('ERR_IO', `the fixed source port ${fixed} (weak mode) is busy: ${err.message}`);
    }
    const pick = this.options.nextPort ?? randomPort;
    for (let attempt = 0; ; attempt++) {
      const s = createSocket(family);
      const port = attempt < 10 ? pick() : 0;
      const err = await new Promise<Error | undefined>((resolve) => {
        s.once('error', resolve);
        s.bind(port, this.local(server), () => {
          s.off('error', resolve);
          resolve(undefined);
        });
      });
      if (err === undefined) return s;
      s.close();
      if (attempt >= 10) throw err;
    }
  }

  private async udp(req: QueryRequest): Promise<QueryResult> {
    const id = this.newId();
    let bytes: Uint8Array;
    try {
      bytes = encodeDnsMessage(queryMessage(req, id, this.udpSize));
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    let s: UdpSocket;
    try {
      s = await this.bindUdp(req.server);
    } catch (err) {
      return { ok: false, reason: `cannot bind a UDP socket: ${(err as Error).message}` };
    }
    const ownPort = s.address().port;
    // Tapped first, so that the tap records the answer before the socket is closed on it; a listener
    // put in front of the tap's comments each arriving datagram with the verdict.
    const tapped = this.options.tap?.udp(s);
    tapped?.comment(req.note ?? `query ${req.question.name} to ${req.server.address}#${req.server.port}`);
    const start = process.hrtime.bigint();
    const rtt = (): number => Number(process.hrtime.bigint() - start) / 1e6;
    if (tapped !== undefined) {
      s.prependListener('message', (msg, rinfo) => {
        const v = judge(msg, { address: rinfo.address, port: rinfo.port }, req.server, id, req.question);
        const q = `${req.question.name || '.'} (ID ${id}, port ${ownPort})`;
        if (v.take) tapped.comment(`taken as the answer to ${q}: from the server asked, same ID and question, ${rtt().toFixed(2)} ms`);
        else if (v.malformed) tapped.comment(`${v.reason}: the reply to ${q} cannot be read; the resolver moves on`);
        else tapped.comment(`turned away by the resolver (waiting for ${q}): ${v.reason}`);
      });
    }
    return new Promise<QueryResult>((resolve) => {
      let done = false;
      const finish = (r: QueryResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.close();
        resolve(r);
      };
      const stalled = this.options.notRunningMs;
      const stalled0 = stalled?.();
      let moved = 0;
      const expire = (): void => {
        // The run-queue wait inside this try not yet added to its deadline: wait that much longer.
        const extra = stalled0 === undefined ? 0 : Math.min(Math.max(0, (stalled?.() ?? stalled0) - stalled0 - moved), 10 * this.timeoutMs - moved);
        if (extra >= 1) {
          moved += extra;
          timer = setTimeout(expire, extra);
          return;
        }
        finish({ ok: false, reason: `timeout after ${this.timeoutMs} ms` });
      };
      let timer = setTimeout(expire, this.timeoutMs);
      s.on('error', (err: NodeJS.ErrnoException) =>
        finish({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'port unreachable (ECONNREFUSED)' : err.message }),
      );
      s.on('message', (msg, rinfo) => {
        if (done) return;
        const from = { address: rinfo.address, port: rinfo.port };
        const v = judge(msg, from, req.server, id, req.question);
        if (v.take) return finish({ ok: true, message: v.message, rttMs: rtt(), tcp: false });
        if (v.malformed) return finish({ ok: false, reason: v.reason, malformed: true });
        this.options.onRejected?.(v.reason, from, { kind: v.kind, queryId: id, queryPort: ownPort, id: v.id });
      });
      s.send(bytes, req.server.port, req.server.address, (err) => {
        if (err) finish({ ok: false, reason: `send failed: ${err.message}` });
      });
    });
  }

  private tcp(req: QueryRequest): Promise<QueryResult> {
    const id = this.newId();
    let bytes: Uint8Array;
    try {
      bytes = frameDnsTcp(encodeDnsMessage(queryMessage(req, id, this.udpSize)));
    } catch (err) {
      return Promise.resolve({ ok: false, reason: (err as Error).message });
    }
    const start = process.hrtime.bigint();
    return new Promise<QueryResult>((resolve) => {
      const sock = connect({ host: req.server.address, port: req.server.port, localAddress: this.local(req.server) });
      this.options.tap?.tcp(sock).comment(req.note ?? `query ${req.question.name} to ${req.server.address}#${req.server.port} over TCP`);
      const deframer = new DnsTcpDeframer();
      let done = false;
      const finish = (r: QueryResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ ok: false, reason: `timeout after ${this.timeoutMs} ms (TCP)` }), this.timeoutMs);
      sock.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'connection refused (TCP)' : err.message }));
      sock.on('close', () => finish({ ok: false, reason: 'connection closed before an answer (TCP)' }));
      sock.on('connect', () => sock.write(bytes));
      sock.on('data', (chunk: Buffer) => {
        for (const msg of deframer.push(chunk)) {
          const d = decodeDnsMessage(msg);
          if (!d.ok) return finish({ ok: false, reason: `malformed response (TCP): ${d.error.reason}`, malformed: true });
          const why = rejectReason(d.message, id, req.question);
          if (why !== undefined) return finish({ ok: false, reason: `${why} (TCP)` });
          return finish({ ok: true, message: d.message, rttMs: Number(process.hrtime.bigint() - start) / 1e6, tcp: true });
        }
      });
    });
  }
}
