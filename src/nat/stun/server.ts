// A STUN server (RFC 5389 Binding) with RFC 5780 behaviour discovery: sockets on two addresses x two
// ports (primary address and port, alternate address, alternate port). A Binding request is answered
// with XOR-MAPPED-ADDRESS and MAPPED-ADDRESS (the source it came from), RESPONSE-ORIGIN (the socket
// that answers), OTHER-ADDRESS (the alternate address and port), SOFTWARE and FINGERPRINT. A
// CHANGE-REQUEST moves the answer to the socket on the other address and/or port; RESPONSE-PORT sends
// it to another port of the request's source address; PADDING in a request is echoed at the same
// size. A request with a comprehension-required attribute the server does not know gets 420 with
// UNKNOWN-ATTRIBUTES; a CHANGE-REQUEST the server cannot honour (no alternate address) gets 420 too
// (RFC 5780 §6.1). Other methods get 400. Bytes that are not a STUN request are counted and dropped.
//
// `advertise` rewrites the addresses the server reports about itself (RESPONSE-ORIGIN, OTHER-ADDRESS),
// as a server behind its own static NAT advertises its public addresses (coturn's external-ip): the
// socket-mode relay shows its inside clients the outside world at mirror addresses, and the server
// reports those.
//
//   const server = await StunServer.start(dgramNetwork(), { primary: '127.73.0.1', alternate: '127.73.0.2' });
//   server.endpoints   // [{ address, port } x 4], primary first
//   await server.close();

import { NetlabRangeError } from '../../base/errors.ts';
import {
  decodeStun,
  encodeStun,
  isStunMessage,
  STUN_ATTR,
  STUN_CLASS,
  STUN_METHOD,
  stunAttribute,
  type StunAttribute,
  type StunMessage,
} from '../../wire/stun.ts';
import type { StunNetwork, StunSocket } from './transport.ts';

export const STUN_SOFTWARE = 'netlab STUN';

export interface StunServerOptions {
  primary: string;
  /** The alternate address (RFC 5780). Without it the server does plain RFC 5389 binding only. */
  alternate?: string;
  /** Primary port; 0 (default) picks free ports, the same pair on both addresses. */
  port?: number;
  /** Alternate port; with `port` 0 it is picked too. */
  otherPort?: number;
  /** Address the server reports for one of its own (default: itself). */
  advertise?: (address: string) => string;
  /**
   * What OTHER-ADDRESS names: 'per-socket' (default, RFC 5780 §7.4: where a change-IP-and-port answer
   * to this request would come from, so an answer from the alternate address names the primary one) or
   * 'alternate' (always the alternate address and port, for clients such as coturn's natdiscovery that
   * send mapping test III to the OTHER-ADDRESS of test II's answer).
   */
  otherAddress?: 'per-socket' | 'alternate';
  /** Tries at finding a port pair free on both addresses. Default 20. */
  bindAttempts?: number;
}

export interface StunServerCounters {
  requests: number;
  responses: number;
  errors: number;
  /** Datagrams that were not STUN requests. */
  ignored: number;
}

/** One received request, for a lab or a test to look at. */
export interface StunServerEvent {
  from: { address: string; port: number };
  to: { address: string; port: number };
  changeIp: boolean;
  changePort: boolean;
  answeredFrom: { address: string; port: number } | undefined;
}

const KNOWN = new Set<number>([
  STUN_ATTR.MAPPED_ADDRESS,
  STUN_ATTR.CHANGE_REQUEST,
  STUN_ATTR.USERNAME,
  STUN_ATTR.XOR_MAPPED_ADDRESS,
  STUN_ATTR.PADDING,
  STUN_ATTR.RESPONSE_PORT,
  STUN_ATTR.FINGERPRINT,
]);

export class StunServer {
  readonly counters: StunServerCounters = { requests: 0, responses: 0, errors: 0, ignored: 0 };
  private readonly listeners = new Set<(e: StunServerEvent) => void>();
  private closed = false;

  private constructor(
    /** sockets[addressIndex][portIndex]; addressIndex 1 only with an alternate. */
    private readonly sockets: StunSocket[][],
    private readonly advertise: (address: string) => string,
    private readonly otherMode: 'per-socket' | 'alternate',
  ) {
    sockets.forEach((row, ai) => {
      row.forEach((s, pi) => s.onMessage((d, a, p) => this.handle(ai, pi, d, a, p)));
    });
  }

  static async start(net: StunNetwork, options: StunServerOptions): Promise<StunServer> {
    const addrs = options.alternate === undefined ? [options.primary] : [options.primary, options.alternate];
    if (addrs.length === 2 && addrs[0] === addrs[1])
      throw new NetlabRangeError(`STUN server alternate address ${addrs[1]} is the primary one`, { layer: 'nat' });
    const attempts = options.bindAttempts ?? 20;
    const ports = [options.port ?? 0, options.otherPort ?? 0];
    if (options.port !== undefined && options.otherPort !== undefined && options.port === options.otherPort && options.port !== 0) {
      throw new NetlabRangeError(`STUN server ports must differ, got ${options.port} twice`, { layer: 'nat' });
    }
    const sockets: StunSocket[][] = addrs.map(() => []);
    try {
      for (let pi = 0; pi < 2; pi++) {
        let last: unknown;
        for (let i = 0; i < attempts; i++) {
          const first = await net.open(addrs[0], ports[pi]);
          const rest: StunSocket[] = [];
          try {
            for (const a of addrs.slice(1)) rest.push(await net.open(a, first.port));
          } catch (e) {
            last = e;
            await first.close();
            for (const r of rest) await r.close();
            if (ports[pi] !== 0) throw e;
            continue;
          }
          if (pi === 1 && first.port === sockets[0][0].port) {
            await first.close();
            for (const r of rest) await r.close();
            continue;
          }
          [first, ...rest].forEach((s, ai) => sockets[ai].push(s));
          last = undefined;
          break;
        }
        if (sockets[0].length !== pi + 1) throw last ?? new NetlabRangeError(`STUN server found no port free on ${addrs.join(' and ')}`, { layer: 'nat' });
      }
    } catch (e) {
      for (const row of sockets) for (const s of row) await s.close();
      throw e;
    }
    const mode = options.otherAddress ?? 'per-socket';
    if (mode !== 'per-socket' && mode !== 'alternate')
      throw new NetlabRangeError(`STUN server otherAddress must be per-socket or alternate, got ${String(mode)}`, { layer: 'nat' });
    return new StunServer(sockets, options.advertise ?? ((a) => a), mode);
  }

  /** Every socket's address and port, as sockets[address][port] flattened: primary first, then alternate port, alternate address. */
  get endpoints(): { address: string; port: number }[] {
    return this.sockets.flat().map((s) => ({ address: s.address, port: s.port }));
  }

  /** The primary endpoint (where clients send first). */
  get primary(): { address: string; port: number } {
    const s = this.sockets[0][0];
    return { address: s.address, port: s.port };
  }

  onRequest(fn: (e: StunServerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const row of this.sockets) for (const s of row) await s.close();
  }

  private handle(ai: number, pi: number, data: Uint8Array, address: string, port: number): void {
    if (!isStunMessage(data)) {
      this.counters.ignored++;
      return;
    }
    const { message: m, malformed } = decodeStun(data);
    if (m === undefined || malformed.length > 0 || m.cls !== STUN_CLASS.REQUEST || m.fingerprint === 'bad') {
      this.counters.ignored++;
      return;
    }
    this.counters.requests++;
    const here = this.sockets[ai][pi];
    const reply = (msg: StunMessage, from: StunSocket, toPort: number): void => {
      from.send(encodeStun(msg, { fingerprint: true }), toPort, address);
    };
    const error = (code: number, reason: string, unknown?: number[]): void => {
      const attributes: StunAttribute[] = [{ type: STUN_ATTR.ERROR_CODE, kind: 'error-code', code, reason }];
      if (unknown !== undefined) attributes.push({ type: STUN_ATTR.UNKNOWN_ATTRIBUTES, kind: 'unknown-attributes', types: unknown });
      attributes.push({ type: STUN_ATTR.SOFTWARE, kind: 'text', value: STUN_SOFTWARE });
      this.counters.errors++;
      reply({ cls: STUN_CLASS.ERROR, method: m.method, transactionId: m.transactionId, attributes }, here, port);
    };
    if (m.method !== STUN_METHOD.BINDING) {
      error(400, 'Bad Request');
      return;
    }
    const unknown = [...new Set(m.attributes.filter((a) => a.type < 0x8000 && !KNOWN.has(a.type)).map((a) => a.type))];
    if (unknown.length > 0) {
      error(420, 'Unknown Attribute', unknown);
      return;
    }
    const change = stunAttribute(m, STUN_ATTR.CHANGE_REQUEST, 'change-request');
    const changeIp = change?.changeIp ?? false;
    const changePort = change?.changePort ?? false;
    if ((changeIp || changePort) && this.sockets.length < 2) {
      error(420, 'Unknown Attribute', [STUN_ATTR.CHANGE_REQUEST]);
      return;
    }
    const responsePort = stunAttribute(m, STUN_ATTR.RESPONSE_PORT, 'response-port');
    const padding = stunAttribute(m, STUN_ATTR.PADDING, 'padding');
    const from = this.sockets[changeIp ? 1 - ai : ai][changePort ? 1 - pi : pi];
    const other = this.sockets.length < 2 ? undefined : this.otherMode === 'alternate' ? this.sockets[1][1] : this.sockets[1 - ai][1 - pi];
    const family = address.includes(':') ? 6 : 4;
    const attributes: StunAttribute[] = [
      { type: STUN_ATTR.XOR_MAPPED_ADDRESS, kind: 'xor-address', family, address, port },
      { type: STUN_ATTR.MAPPED_ADDRESS, kind: 'address', family, address, port },
      { type: STUN_ATTR.RESPONSE_ORIGIN, kind: 'address', family: 4, address: this.advertise(from.address), port: from.port },
    ];
    if (other !== undefined)
      attributes.push({ type: STUN_ATTR.OTHER_ADDRESS, kind: 'address', family: 4, address: this.advertise(other.address), port: other.port });
    attributes.push({ type: STUN_ATTR.SOFTWARE, kind: 'text', value: STUN_SOFTWARE });
    if (padding !== undefined) attributes.push({ type: STUN_ATTR.PADDING, kind: 'padding', length: padding.length });
    this.counters.responses++;
    reply({ cls: STUN_CLASS.SUCCESS, method: m.method, transactionId: m.transactionId, attributes }, from, responsePort?.port ?? port);
    if (this.listeners.size > 0) {
      const e: StunServerEvent = {
        from: { address, port },
        to: { address: here.address, port: here.port },
        changeIp,
        changePort,
        answeredFrom: { address: from.address, port: from.port },
      };
      for (const l of [...this.listeners]) l(e);
    }
  }
}
