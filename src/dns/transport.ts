// The resolver's transport on real sockets: one query to one server over UDP (a fresh socket on a
// crypto-random source port, a crypto-random ID) or TCP (two-byte length framing), with a timeout.
// A UDP answer is taken only when it comes from the server asked, to the port the query left from,
// with the same ID and the same question; anything else is ignored (and reported to `onRejected`,
// so a lab can show a spoofing attempt being turned away) while the real answer is awaited.

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
  /** Called for every UDP datagram that is not the awaited answer, with the reason. */
  onRejected?: (reason: string, from: ServerAddress) => void;
  /**
   * Records every query's socket (a TapRecorder fits): the capture gets the queries and answers, each
   * query commented with why it was sent (QueryRequest.note), so a trace lines up with Wireshark.
   */
  tap?: {
    udp(socket: UdpSocket): { comment(text: string): void };
    tcp(socket: Socket): { comment(text: string): void };
  };
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
    edns: req.edns ? { udpSize, version: 0, do: false, options: [] } : undefined,
  };
}

/** Why a datagram is not the answer to the query (undefined when it is). */
export function rejectReason(m: DnsMessage, id: number, q: DnsQuestion): string | undefined {
  if (!m.flags.qr) return 'not a response (QR is 0)';
  if (m.id !== id) return `wrong ID ${m.id} (expected ${id})`;
  if (!sameQuestion(m.questions[0], q)) return `wrong question ${m.questions[0]?.name ?? '(none)'} (expected ${q.name})`;
  return undefined;
}

export class SocketTransport implements ResolverTransport {
  private readonly timeoutMs: number;
  private readonly udpSize: number;

  constructor(private readonly options: TransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.udpSize = options.ednsUdpSize ?? 1232;
    if (!(this.timeoutMs > 0)) throw new RangeError(`transport option timeoutMs must be above 0, got ${this.timeoutMs}`);
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
    const id = (this.options.nextId ?? randomId)();
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
    // Tapped first, so that the tap sees the answer before the socket is closed on it.
    this.options.tap?.udp(s).comment(req.note ?? `query ${req.question.name} to ${req.server.address}#${req.server.port}`);
    const start = process.hrtime.bigint();
    return new Promise<QueryResult>((resolve) => {
      let done = false;
      const finish = (r: QueryResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.close();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ ok: false, reason: `timeout after ${this.timeoutMs} ms` }), this.timeoutMs);
      s.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'port unreachable (ECONNREFUSED)' : err.message }));
      s.on('message', (msg, rinfo) => {
        const from = { address: rinfo.address, port: rinfo.port };
        if (rinfo.address !== req.server.address || rinfo.port !== req.server.port) {
          this.options.onRejected?.(`from ${rinfo.address}:${rinfo.port}, not the server asked (${req.server.address}:${req.server.port})`, from);
          return;
        }
        const d = decodeDnsMessage(msg);
        if (!d.ok) {
          this.options.onRejected?.(`malformed: ${d.error.reason}`, from);
          return;
        }
        const why = rejectReason(d.message, id, req.question);
        if (why !== undefined) {
          this.options.onRejected?.(why, from);
          return;
        }
        finish({ ok: true, message: d.message, rttMs: Number(process.hrtime.bigint() - start) / 1e6, tcp: false });
      });
      s.send(bytes, req.server.port, req.server.address, (err) => {
        if (err) finish({ ok: false, reason: `send failed: ${err.message}` });
      });
    });
  }

  private tcp(req: QueryRequest): Promise<QueryResult> {
    const id = (this.options.nextId ?? randomId)();
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
          if (!d.ok) return finish({ ok: false, reason: `malformed answer (TCP): ${d.error.reason}` });
          const why = rejectReason(d.message, id, req.question);
          if (why !== undefined) return finish({ ok: false, reason: `${why} (TCP)` });
          return finish({ ok: true, message: d.message, rttMs: Number(process.hrtime.bigint() - start) / 1e6, tcp: true });
        }
      });
    });
  }
}
