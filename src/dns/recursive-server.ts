// The recursive server: stub clients (dig, the OS resolver) send RD=1 queries over UDP or TCP; it
// resolves them iteratively with its Resolver and answers with RA=1. Queries without RD are answered
// from the cache only (RFC 1034 §4.3.1). Over UDP, an answer larger than the client can take (512
// bytes without EDNS0, its advertised size with it) is cut and marked TC, so the client asks again
// over TCP. TCP connections are bounded as the authoritative server's are (tcp-connections.ts).

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { isIP } from 'node:net';
import { decodeDnsMessage, parseDns } from '../wire/dns-decode.ts';
import { encodeDnsMessage } from '../wire/dns-encode.ts';
import { DNS_OPCODE, DNS_RCODE, DNS_TYPE, EDNS_OPTION, dnsFlags, type DnsMessage } from '../wire/dns-types.ts';
import { ednsProblem, metaTypeProblem, RFC8482_HINFO_RDATA } from './query-checks.ts';
import { DnsTcpConnections, type DnsTcpLimits, type DnsTcpStats } from './tcp-connections.ts';
import type { Resolver } from './resolver.ts';
import type { ResolveResult } from './resolver-types.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface RecursiveServerOptions {
  resolver: Resolver;
  address: string;
  /** 0 picks a free port (read it back from `port`). */
  port?: number;
  /** Called after each query is answered (labs print it; captures comment it). */
  onQuery?: (q: { client: string; name: string; type: number; rd: boolean; result?: ResolveResult; rcode: number; tcp: boolean }) => void;
  /** A TCP client idle this long is closed. Default 10 s. */
  tcpIdleMs?: number;
  /** TCP connections held at once; more are closed at once (default 128). */
  maxTcpConnections?: number;
  /** The other TCP limits: per client, slow senders and readers, in-flight queries (tcp-connections.ts). */
  tcp?: Omit<DnsTcpLimits, 'maxConnections' | 'idleMs'>;
}

const MIN_UDP = 512;
/** TTL of the HINFO synthesized for ANY: long, so that a client does not ask again soon (RFC 8482 §4.2). */
const RFC8482_TTL = 3600;
const TEMPLATES_MAX = 10_000;

/**
 * A cache hit's answer, encoded once and reused: a later identical query gets a copy with its own ID
 * and the TTLs counted down, while the cache has not changed and no record has expired.
 */
interface Template {
  bytes: Uint8Array;
  /** TTL field offsets and the absolute expiry (ms) of each record's TTL. */
  ttls: { at: number; expires: number }[];
  expires: number;
  cacheVersion: number;
}

export class RecursiveServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections: DnsTcpConnections;
  private readonly templates = new Map<string, Template>();
  port = 0;

  constructor(private readonly options: RecursiveServerOptions) {
    if (isIP(options.address) === 0) throw new NetlabRangeError(`recursive server option address must be an IP address, got ${options.address}`);
    this.connections = new DnsTcpConnections({ ...options.tcp, maxConnections: options.maxTcpConnections, idleMs: options.tcpIdleMs }, (msg, c) =>
      this.answer(msg, `${c.address}#${c.port}`, true),
    );
  }

  /** What the TCP side accepted, refused and closed (limits in tcp-connections.ts). */
  get tcpStats(): DnsTcpStats {
    return this.connections.stats;
  }

  /** TCP connections open now. */
  get tcpConnections(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    const { address } = this.options;
    const tcp = createServer();
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.options.port ?? 0, address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.connections.attach(tcp);
    this.port = (this.tcp.address() as AddressInfo).port;
    this.udp = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    this.udp.on('message', (msg, rinfo) => {
      // A cache hit whose answer was built before goes back at once, without a promise.
      const fast = this.reuse(msg, `${rinfo.address}#${rinfo.port}`, false);
      if (fast !== undefined) {
        this.udp?.send(fast, rinfo.port, rinfo.address);
        return;
      }
      void this.answer(msg, `${rinfo.address}#${rinfo.port}`, false).then((out) => {
        if (out !== undefined) this.udp?.send(out, rinfo.port, rinfo.address);
      });
    });
    this.udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.udp?.once('error', reject);
      this.udp?.bind(this.port, address, () => resolve());
    });
  }

  async close(): Promise<void> {
    this.connections.closeAll();
    if (this.udp) await new Promise<void>((resolve) => this.udp?.close(() => resolve()));
    this.udp = undefined;
    if (this.tcp?.listening) await new Promise<void>((resolve) => this.tcp?.close(() => resolve()));
    this.tcp = undefined;
  }

  /**
   * The key of a query whose answer may be reused, read straight from its bytes (no full decode):
   * a standard recursive query (QR 0, opcode 0, RD 1) with one question, no answer or authority
   * records, and at most an OPT record. The question's bytes (name as sent, type, class), the CD bit,
   * the transport and the EDNS payload size make the key. Undefined for anything else.
   */
  private templateKey(b: Uint8Array, tcp: boolean): string | undefined {
    if (b.length < 17 || (b[2] & 0x80) !== 0 || (b[2] & 0x78) !== 0 || (b[2] & 0x01) === 0) return undefined;
    if (b[4] !== 0 || b[5] !== 1 || b[6] !== 0 || b[7] !== 0 || b[8] !== 0 || b[9] !== 0 || b[10] !== 0 || b[11] > 1) return undefined;
    let i = 12;
    while (i < b.length && b[i] !== 0) {
      if ((b[i] & 0xc0) !== 0) return undefined;
      i += b[i] + 1;
    }
    const qend = i + 5;
    if (qend > b.length || b[qend - 2] !== 0 || b[qend - 1] !== 1) return undefined; // class IN
    const qtype = (b[qend - 4] << 8) | b[qend - 3];
    if (qtype === DNS_TYPE.ANY || metaTypeProblem(qtype) !== undefined) return undefined;
    let udpSize = '-';
    if (b[11] === 1) {
      // The OPT record must be whole and valid, exactly as the slow path's decode and ednsProblem()
      // require: owned by the root, version 0, its RDATA ending at the message's end, each option
      // inside it, a cookie of a valid length. Anything else takes the slow path and its answer.
      if (qend + 11 > b.length || b[qend] !== 0 || b[qend + 1] !== 0 || b[qend + 2] !== 41) return undefined;
      if (b[qend + 6] !== 0) return undefined; // EDNS version
      const rdEnd = qend + 11 + ((b[qend + 9] << 8) | b[qend + 10]);
      if (rdEnd !== b.length) return undefined;
      for (let o = qend + 11; o < rdEnd; ) {
        if (o + 4 > rdEnd) return undefined;
        const code = (b[o] << 8) | b[o + 1];
        const len = (b[o + 2] << 8) | b[o + 3];
        if (o + 4 + len > rdEnd) return undefined;
        if (code === EDNS_OPTION.CLIENT_SUBNET) return undefined; // its contents are checked by the decoder
        if (code === EDNS_OPTION.COOKIE && len !== 8 && (len < 16 || len > 40)) return undefined;
        o += 4 + len;
      }
      udpSize = String((b[qend + 3] << 8) | b[qend + 4]);
    } else if (qend !== b.length) return undefined;
    return `${tcp ? 't' : 'u'}|${udpSize}|${b[3] & 0x10 ? 1 : 0}|${Buffer.from(b.buffer, b.byteOffset + 12, qend - 12).toString('latin1')}`;
  }

  /** A cache hit's reused answer for these query bytes, or undefined (then the query is decoded). */
  reuse(bytes: Uint8Array, client: string, tcp: boolean): Uint8Array | undefined {
    const key = this.templateKey(bytes, tcp);
    if (key === undefined) return undefined;
    const out = this.fromTemplate(key, (bytes[0] << 8) | bytes[1]);
    if (out !== undefined && this.options.onQuery !== undefined) {
      const q = decodeDnsMessage(bytes);
      const question = q.ok ? q.message.questions[0] : undefined;
      if (question !== undefined) this.options.onQuery({ client, name: question.name, type: question.type, rd: true, rcode: out[3] & 0x0f, tcp });
    }
    return out;
  }

  private fromTemplate(key: string, id: number): Uint8Array | undefined {
    const t = this.templates.get(key);
    if (t === undefined) return undefined;
    const now = this.options.resolver.cache.now();
    if (now >= t.expires || t.cacheVersion !== this.options.resolver.cache.version) {
      this.templates.delete(key);
      return undefined;
    }
    const out = t.bytes.slice();
    out[0] = id >>> 8;
    out[1] = id & 0xff;
    for (const { at, expires } of t.ttls) {
      const ttl = Math.max(0, Math.ceil((expires - now) / 1000));
      out[at] = ttl >>> 24;
      out[at + 1] = (ttl >>> 16) & 0xff;
      out[at + 2] = (ttl >>> 8) & 0xff;
      out[at + 3] = ttl & 0xff;
    }
    return out;
  }

  /**
   * Keeps a cache hit's answer bytes for reuse. Each TTL counts down to its cache entry's exact expiry:
   * the TTLs in the bytes were rounded up to whole seconds, and counting from them would hand the
   * records out for up to a second after the cache let them go.
   */
  private keepTemplate(key: string, bytes: Uint8Array, question: { name: string; type: number }): void {
    const parsed = parseDns(bytes);
    if (parsed.error !== undefined) return;
    const cache = this.options.resolver.cache;
    const now = cache.now();
    const asked = cache.expiresAt(question.name, question.type);
    const ttls = parsed.records
      .filter((r) => r.record.type !== 41) // the OPT record's "TTL" is flags, not a TTL
      .map((r) => ({ at: r.offset + r.nameLength + 4, expires: cache.expiresAt(r.record.name, r.record.type) ?? asked ?? now + r.record.ttl * 1000 }));
    if (ttls.length === 0) return;
    if (this.templates.size >= TEMPLATES_MAX) this.templates.clear();
    this.templates.set(key, { bytes, ttls, expires: Math.min(...ttls.map((t) => t.expires)), cacheVersion: this.options.resolver.cache.version });
  }

  /** The response bytes for one query, or undefined when the query cannot be answered at all. */
  private async answer(bytes: Uint8Array, client: string, tcp: boolean): Promise<Uint8Array | undefined> {
    const fast = this.reuse(bytes, client, tcp);
    if (fast !== undefined) return fast;
    const d = decodeDnsMessage(bytes);
    if (!d.ok) {
      // FORMERR when at least the header (ID) is there; otherwise nothing to answer to.
      if (bytes.length < 12) return undefined;
      const id = (bytes[0] << 8) | bytes[1];
      return encodeDnsMessage({
        id,
        flags: dnsFlags({ qr: true, ra: true, rcode: DNS_RCODE.FORMERR }),
        questions: [],
        answers: [],
        authorities: [],
        additionals: [],
      });
    }
    const q = d.message;
    if (q.flags.qr) return undefined; // a response: never answer one
    const key = this.templateKey(bytes, tcp);
    const reply: DnsMessage = {
      id: q.id,
      flags: dnsFlags({ qr: true, opcode: q.flags.opcode, rd: q.flags.rd, ra: true, cd: q.flags.cd }),
      questions: q.questions.slice(0, 1),
      answers: [],
      authorities: [],
      additionals: [],
      edns: q.edns ? { udpSize: 1232, version: 0, do: false, options: [] } : undefined,
    };
    const question = q.questions[0];
    let lastResult: ResolveResult | undefined;
    const bad = q.flags.opcode === DNS_OPCODE.QUERY && q.questions.length === 1 ? ednsProblem(q) : undefined;
    const metaType = question !== undefined && question.class === 1 ? metaTypeProblem(question.type) : undefined;
    if (q.flags.opcode !== DNS_OPCODE.QUERY) reply.flags.rcode = DNS_RCODE.NOTIMP;
    else if (question === undefined || q.questions.length !== 1) reply.flags.rcode = DNS_RCODE.FORMERR;
    else if (bad !== undefined) {
      // The reply carries an OPT (RFC 6891 §7), which BADVERS needs for its upper bits.
      reply.flags.rcode = bad.rcode;
      reply.edns ??= { udpSize: 1232, version: 0, do: false, options: [] };
    } else if (question.class !== 1) reply.flags.rcode = DNS_RCODE.REFUSED;
    else if (metaType !== undefined) reply.flags.rcode = metaType.rcode;
    else if (question.type === DNS_TYPE.ANY) {
      // RFC 8482 §4.2: a minimal answer, one synthesized HINFO, instead of every RRset of the name
      // (nothing is asked upstream: ANY is what reflection attacks use).
      reply.answers = [{ name: question.name, type: DNS_TYPE.HINFO, class: 1, ttl: RFC8482_TTL, data: { type: DNS_TYPE.HINFO, raw: RFC8482_HINFO_RDATA } }];
      this.options.onQuery?.({ client, name: question.name, type: question.type, rd: q.flags.rd, rcode: 0, tcp });
    } else {
      let result: ResolveResult | undefined;
      if (q.flags.rd) {
        result = await this.options.resolver.resolve(question.name, question.type);
        lastResult = result;
        reply.flags.rcode = result.rcode;
        reply.answers = result.answers;
        reply.authorities = result.authority;
      } else {
        const hit = this.options.resolver.cache.get(question.name, question.type);
        if (hit?.kind === 'rrset') reply.answers = hit.records;
        else if (hit?.kind === 'negative') {
          reply.flags.rcode = hit.negative === 'NXDOMAIN' ? DNS_RCODE.NXDOMAIN : DNS_RCODE.NOERROR;
          if (hit.soa) reply.authorities = [hit.soa];
        } else reply.flags.rcode = DNS_RCODE.REFUSED;
      }
      this.options.onQuery?.({ client, name: question.name, type: question.type, rd: q.flags.rd, result, rcode: reply.flags.rcode, tcp });
    }
    let out = encodeDnsMessage(reply);
    const limit = q.edns ? Math.max(MIN_UDP, q.edns.udpSize) : MIN_UDP;
    if (key !== undefined && lastResult?.fromCache === true && (tcp || out.length <= limit)) this.keepTemplate(key, out, question);
    if (!tcp && out.length > limit) {
      // Cut whole sections from the end and set TC (RFC 2181 §9): the client retries over TCP.
      reply.flags.tc = true;
      reply.additionals = [];
      reply.authorities = [];
      while (reply.answers.length > 0 && encodeDnsMessage(reply).length > limit) reply.answers.pop();
      out = encodeDnsMessage(reply);
    }
    return out;
  }
}
