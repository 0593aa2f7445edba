// A STUN client (RFC 5389 Binding) that runs RFC 5780's behaviour discovery against a server with an
// alternate address and port (server.ts):
//   mapping (§4.3): the mapped address toward the primary endpoint, the alternate address, then the
//     alternate address and port: all equal = endpoint-independent, equal for one address =
//     address-dependent, otherwise address-and-port-dependent; a mapped address equal to the local one
//     means no NAT;
//   filtering (§4.4), from a fresh socket: an answer to CHANGE-REQUEST (change IP and port) =
//     endpoint-independent, else one to CHANGE-REQUEST (change port) = address-dependent, else
//     address-and-port-dependent;
//   hairpinning (§4.5): a request sent from a second socket to the first one's mapped address reaches it;
//   mapping lifetime (§4.6): a fresh mapping, idle for T, then a second socket asks the server to
//     answer to the first mapping's port (RESPONSE-PORT); T steps through a bounded list.
// Requests are retransmitted at rtoMs, 2 rtoMs, 4 rtoMs... `attempts` times in all (RFC 5389 §7.2.1
// with a short RTO for loopback and virtual networks); no answer by then is "no response".
//
//   const c = new StunClient(dgramNetwork(), { local: '127.73.0.10', server: server.primary });
//   const r = await c.classify();   // { mapping: 'endpoint-independent', filtering: ..., hairpinning: true }

import { randomBytes } from 'node:crypto';
import { NetlabError, NetlabRangeError } from '../../base/errors.ts';
import { decodeStun, encodeStun, STUN_ATTR, STUN_CLASS, STUN_METHOD, stunAttribute, type StunAttribute, type StunMessage } from '../../wire/stun.ts';
import type { TimerHandle } from '../../base/timer-clock.ts';
import type { NatBehaviour } from '../types.ts';
import type { StunNetwork, StunSocket } from './transport.ts';

export interface Endpoint {
  address: string;
  port: number;
}

export interface StunClientOptions {
  /** Local address the client's sockets bind to. */
  local: string;
  /** The server's primary endpoint. */
  server: Endpoint;
  /** First retransmission timeout. Default 100 ms. */
  rtoMs?: number;
  /** Transmissions per request. Default 3 (so no answer is decided after 7 rtoMs). */
  attempts?: number;
}

export interface BindingResult {
  mapped: Endpoint;
  /** Where the answer came from (the socket's view) and what the server says it came from. */
  from: Endpoint;
  responseOrigin: Endpoint | undefined;
  otherAddress: Endpoint | undefined;
  message: StunMessage;
}

export interface StunTestRecord {
  test: string;
  local: Endpoint;
  to: Endpoint;
  change?: 'ip+port' | 'port';
  responsePort?: number;
  /** The mapped address, or undefined when no answer came. */
  mapped: Endpoint | undefined;
}

export type MappingResult = 'no-nat' | NatBehaviour;

export interface StunClassification {
  local: Endpoint;
  mapped: Endpoint;
  mapping: MappingResult;
  filtering: NatBehaviour;
  hairpinning: boolean;
  tests: StunTestRecord[];
}

export interface LifetimeResult {
  /** The longest idle time the mapping was seen to survive (0 when it survived none). */
  aliveAfterMs: number;
  /** The shortest idle time after which it was gone, or undefined when it survived every probe. */
  goneAfterMs: number | undefined;
  tests: StunTestRecord[];
}

interface Pending {
  resolve: (r: { message: StunMessage; from: Endpoint }) => void;
}

/** A client socket: requests out, answers matched by transaction ID. */
export class ClientSocket {
  readonly pending = new Map<string, Pending>();
  /** Requests (not answers) that arrived on this socket, by transaction ID (hairpinning). */
  readonly requestsSeen = new Set<string>();
  constructor(readonly socket: StunSocket) {
    socket.onMessage((data, address, port) => {
      const { message: m, malformed } = decodeStun(data);
      if (m === undefined || malformed.length > 0) return;
      const key = Buffer.from(m.transactionId).toString('hex');
      if (m.cls === STUN_CLASS.REQUEST) {
        this.requestsSeen.add(key);
        this.pending.get(key)?.resolve({ message: m, from: { address, port } });
        return;
      }
      this.pending.get(key)?.resolve({ message: m, from: { address, port } });
    });
  }
  get local(): Endpoint {
    return { address: this.socket.address, port: this.socket.port };
  }
}

function endpointOf(a: StunAttribute | undefined): Endpoint | undefined {
  return a !== undefined && (a.kind === 'address' || a.kind === 'xor-address') ? { address: a.address, port: a.port } : undefined;
}

function same(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  return a !== undefined && b !== undefined && a.address === b.address && a.port === b.port;
}

export class StunClient {
  readonly rtoMs: number;
  readonly attempts: number;
  private readonly sockets: ClientSocket[] = [];

  constructor(
    private readonly net: StunNetwork,
    readonly options: StunClientOptions,
  ) {
    this.rtoMs = options.rtoMs ?? 100;
    this.attempts = options.attempts ?? 3;
    if (!(this.rtoMs > 0)) throw new NetlabRangeError(`STUN client RTO must be over 0 ms, got ${options.rtoMs}`, { layer: 'nat' });
    if (!Number.isInteger(this.attempts) || this.attempts < 1 || this.attempts > 9)
      throw new NetlabRangeError(`STUN client attempts must be 1..9, got ${options.attempts}`, { layer: 'nat' });
  }

  /** Milliseconds after which a request with no answer counts as unanswered. */
  get giveUpMs(): number {
    return this.rtoMs * (2 ** this.attempts - 1);
  }

  /** A fresh socket on the local address. */
  async socket(): Promise<ClientSocket> {
    const s = new ClientSocket(await this.net.open(this.options.local, 0));
    this.sockets.push(s);
    return s;
  }

  /**
   * One Binding transaction from `s` to `to`: the answer, or undefined when none came in time.
   * An error response is thrown as ERR_MALFORMED naming its code.
   */
  async binding(
    s: ClientSocket,
    to: Endpoint,
    o: { changeIp?: boolean; changePort?: boolean; responsePort?: number; waitOn?: ClientSocket } = {},
  ): Promise<BindingResult | undefined> {
    const tid = new Uint8Array(randomBytes(12));
    const attributes: StunAttribute[] = [];
    if (o.changeIp || o.changePort)
      attributes.push({ type: STUN_ATTR.CHANGE_REQUEST, kind: 'change-request', changeIp: o.changeIp ?? false, changePort: o.changePort ?? false });
    if (o.responsePort !== undefined) attributes.push({ type: STUN_ATTR.RESPONSE_PORT, kind: 'response-port', port: o.responsePort });
    attributes.push({ type: STUN_ATTR.SOFTWARE, kind: 'text', value: 'netlab STUN client' });
    const bytes = encodeStun({ cls: STUN_CLASS.REQUEST, method: STUN_METHOD.BINDING, transactionId: tid, attributes }, { fingerprint: true });
    const answer = await this.transact(s, o.waitOn ?? s, tid, bytes, to);
    if (answer === undefined) return undefined;
    const m = answer.message;
    if (m.cls === STUN_CLASS.ERROR) {
      const e = stunAttribute(m, STUN_ATTR.ERROR_CODE, 'error-code');
      throw new NetlabError('ERR_MALFORMED', `STUN server ${to.address}:${to.port} answered error ${e?.code ?? '?'} ${e?.reason ?? ''}`.trimEnd(), {
        layer: 'nat',
      });
    }
    const mapped =
      endpointOf(stunAttribute(m, STUN_ATTR.XOR_MAPPED_ADDRESS, 'xor-address')) ?? endpointOf(stunAttribute(m, STUN_ATTR.MAPPED_ADDRESS, 'address'));
    if (mapped === undefined)
      throw new NetlabError('ERR_MALFORMED', `STUN answer from ${answer.from.address}:${answer.from.port} has no mapped address`, { layer: 'nat' });
    return {
      mapped,
      from: answer.from,
      responseOrigin: endpointOf(stunAttribute(m, STUN_ATTR.RESPONSE_ORIGIN, 'address')),
      otherAddress: endpointOf(stunAttribute(m, STUN_ATTR.OTHER_ADDRESS, 'address')),
      message: m,
    };
  }

  private transact(
    s: ClientSocket,
    waitOn: ClientSocket,
    tid: Uint8Array,
    bytes: Uint8Array,
    to: Endpoint,
  ): Promise<{ message: StunMessage; from: Endpoint } | undefined> {
    const key = Buffer.from(tid).toString('hex');
    const clock = this.net.clock;
    return new Promise((resolve) => {
      let sent = 0;
      let timer: TimerHandle | undefined;
      const done = (r: { message: StunMessage; from: Endpoint } | undefined): void => {
        if (timer !== undefined) clock.clearTimer(timer);
        waitOn.pending.delete(key);
        resolve(r);
      };
      waitOn.pending.set(key, { resolve: done });
      const send = (): void => {
        if (sent === this.attempts) {
          done(undefined);
          return;
        }
        s.socket.send(bytes, to.port, to.address);
        timer = clock.setTimer(send, this.rtoMs * 2 ** sent);
        sent++;
      };
      send();
    });
  }

  /** RFC 5780 §4.3 mapping test on a fresh socket (tests I, II, III). */
  async mappingBehaviour(tests: StunTestRecord[] = []): Promise<{ mapping: MappingResult; local: Endpoint; mapped: Endpoint }> {
    const s = await this.socket();
    const server = this.options.server;
    const r1 = await this.record(tests, 'mapping I', s, server);
    if (r1 === undefined)
      throw new NetlabError('ERR_TIMEOUT', `STUN server ${server.address}:${server.port} did not answer within ${this.giveUpMs} ms`, { layer: 'nat' });
    const local = s.local;
    if (same(r1.mapped, local)) return { mapping: 'no-nat', local, mapped: r1.mapped };
    const other = this.requireOther(r1);
    const r2 = await this.record(tests, 'mapping II', s, { address: other.address, port: server.port });
    if (r2 === undefined) throw new NetlabError('ERR_TIMEOUT', `STUN alternate address ${other.address}:${server.port} did not answer`, { layer: 'nat' });
    if (same(r2.mapped, r1.mapped)) return { mapping: 'endpoint-independent', local, mapped: r1.mapped };
    const r3 = await this.record(tests, 'mapping III', s, other);
    if (r3 === undefined) throw new NetlabError('ERR_TIMEOUT', `STUN alternate endpoint ${other.address}:${other.port} did not answer`, { layer: 'nat' });
    return { mapping: same(r3.mapped, r2.mapped) ? 'address-dependent' : 'address-and-port-dependent', local, mapped: r1.mapped };
  }

  /** RFC 5780 §4.4 filtering test on a fresh socket (tests I, II, III). */
  async filteringBehaviour(tests: StunTestRecord[] = []): Promise<NatBehaviour> {
    const s = await this.socket();
    const server = this.options.server;
    const r1 = await this.record(tests, 'filtering I', s, server);
    if (r1 === undefined)
      throw new NetlabError('ERR_TIMEOUT', `STUN server ${server.address}:${server.port} did not answer within ${this.giveUpMs} ms`, { layer: 'nat' });
    this.requireOther(r1);
    if ((await this.record(tests, 'filtering II', s, server, { changeIp: true, changePort: true })) !== undefined) return 'endpoint-independent';
    if ((await this.record(tests, 'filtering III', s, server, { changePort: true })) !== undefined) return 'address-dependent';
    return 'address-and-port-dependent';
  }

  /**
   * RFC 5780 §4.5: a request sent to the first socket's mapped address from a second socket reaches
   * the first (the second socket's packets leave through a mapping of their own, so the first
   * mapping's filtering applies to them as to any outside sender).
   */
  async hairpinning(tests: StunTestRecord[] = []): Promise<boolean> {
    const s1 = await this.socket();
    const r1 = await this.record(tests, 'hairpin I', s1, this.options.server);
    if (r1 === undefined) throw new NetlabError('ERR_TIMEOUT', `STUN server did not answer within ${this.giveUpMs} ms`, { layer: 'nat' });
    const s2 = await this.socket();
    const tid = new Uint8Array(randomBytes(12));
    const bytes = encodeStun({ cls: STUN_CLASS.REQUEST, method: STUN_METHOD.BINDING, transactionId: tid, attributes: [] }, { fingerprint: true });
    const got = await this.transact(s2, s1, tid, bytes, r1.mapped);
    tests.push({ test: 'hairpin II', local: s2.local, to: r1.mapped, mapped: got === undefined ? undefined : got.from });
    return got !== undefined;
  }

  /**
   * RFC 5780 §4.6 mapping lifetime, bounded: for each idle time in `idleMs` (ascending), a fresh
   * mapping idles that long (`wait`, default the network clock), then a second socket asks the server
   * to answer to the first mapping's port. Stops at the first idle time the mapping does not survive.
   */
  async lifetime(idleMs: readonly number[], wait?: (ms: number) => Promise<void>): Promise<LifetimeResult> {
    const tests: StunTestRecord[] = [];
    const pause = wait ?? ((ms: number) => new Promise<void>((res) => this.net.clock.setTimer(res, ms)));
    let aliveAfterMs = 0;
    for (const t of idleMs) {
      const s1 = await this.socket();
      const r1 = await this.record(tests, `lifetime ${t} ms I`, s1, this.options.server);
      if (r1 === undefined) throw new NetlabError('ERR_TIMEOUT', 'STUN server did not answer', { layer: 'nat' });
      await pause(t);
      const s2 = await this.socket();
      const r2 = await this.record(tests, `lifetime ${t} ms II`, s2, this.options.server, { responsePort: r1.mapped.port, waitOn: s1 });
      await this.release(s1);
      await this.release(s2);
      if (r2 === undefined) return { aliveAfterMs, goneAfterMs: t, tests };
      aliveAfterMs = t;
    }
    return { aliveAfterMs, goneAfterMs: undefined, tests };
  }

  /** Mapping, filtering and hairpinning, each on fresh sockets; every socket closed after. */
  async classify(): Promise<StunClassification> {
    const tests: StunTestRecord[] = [];
    try {
      const m = await this.mappingBehaviour(tests);
      const filtering = await this.filteringBehaviour(tests);
      const hairpinning = await this.hairpinning(tests);
      return { local: m.local, mapped: m.mapped, mapping: m.mapping, filtering, hairpinning, tests };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets.splice(0)) await s.socket.close();
  }

  private async release(s: ClientSocket): Promise<void> {
    const i = this.sockets.indexOf(s);
    if (i >= 0) this.sockets.splice(i, 1);
    await s.socket.close();
  }

  private requireOther(r: BindingResult): Endpoint {
    if (r.otherAddress === undefined)
      throw new NetlabError('ERR_UNSUPPORTED', `STUN server at ${r.from.address}:${r.from.port} sent no OTHER-ADDRESS: it cannot run RFC 5780 tests`, {
        layer: 'nat',
      });
    return r.otherAddress;
  }

  private async record(
    tests: StunTestRecord[],
    test: string,
    s: ClientSocket,
    to: Endpoint,
    o: { changeIp?: boolean; changePort?: boolean; responsePort?: number; waitOn?: ClientSocket } = {},
  ): Promise<BindingResult | undefined> {
    const r = await this.binding(s, to, o);
    const rec: StunTestRecord = { test, local: s.local, to, mapped: r?.mapped };
    if (o.changeIp || o.changePort) rec.change = o.changeIp ? 'ip+port' : 'port';
    if (o.responsePort !== undefined) rec.responsePort = o.responsePort;
    tests.push(rec);
    return r;
  }
}
