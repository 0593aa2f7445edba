// The network between a resolver and one authoritative server, as the spoofing lab needs it. A process
// without root cannot send a datagram from an address and port it does not own (that takes a raw
// socket), so the lab owns the server's public address instead: the resolver knows the server at
// FRONT (an address and port from the delegation's glue); a socket there passes each query on to the
// real netlab server at BACK and sends its answer back from FRONT after `delayMs` (the distance to
// the server: a study guide's authoritative hop takes 50 ms). `inject` sends any datagram from FRONT:
// exactly what an attacker who spoofs the server's address achieves on a real network. `onQuery`
// shows the queries passing (the lab lets the attacker look, to test one check at a time);
// `rewrite` changes answers (an attacker's own server adding records it should not).

import { createSocket, type Socket } from 'node:dgram';
import { decodeDnsMessage } from '../../src/wire/index.ts';
import { encodeDnsMessage } from '../../src/wire/index.ts';
import type { DnsMessage, DnsQuestion } from '../../src/wire/index.ts';
import type { ServerAddress } from '../../src/dns/index.ts';

export interface PathQuery {
  id: number;
  question: DnsQuestion;
  /** The resolver's address and source port. */
  from: ServerAddress;
}

export interface ServerPathOptions {
  front: ServerAddress;
  back: ServerAddress;
  /** How long each answer takes back to the resolver. Default 0. */
  delayMs?: number;
  rewrite?: (answer: DnsMessage) => DnsMessage;
  /** A query without an answer from BACK is forgotten after this long. Default 2000 ms. */
  timeoutMs?: number;
}

function bindUdp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      s.on('error', () => undefined); // ICMP errors of datagrams nobody waited for
      resolve(s);
    });
  });
}

const closeUdp = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

export class ServerPath {
  onQuery: ((q: PathQuery) => void) | undefined;
  /** Queries passed on, and forged datagrams sent. */
  queries = 0;
  injected = 0;
  private readonly pending = new Set<{ socket: Socket; timer: NodeJS.Timeout }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly front: Socket,
    private readonly o: ServerPathOptions,
  ) {
    front.on('message', (msg, rinfo) => this.pass(msg, { address: rinfo.address, port: rinfo.port }));
  }

  /** Binds FRONT (EADDRINUSE when the port is taken there: the caller picks another port). */
  static async open(o: ServerPathOptions): Promise<ServerPath> {
    if (o.delayMs !== undefined && !(o.delayMs >= 0)) throw new RangeError(`server path delayMs must be >= 0, got ${o.delayMs}`);
    return new ServerPath(await bindUdp(o.front.address, o.front.port), o);
  }

  private pass(msg: Buffer, from: ServerAddress): void {
    if (this.closed) return;
    const d = decodeDnsMessage(msg);
    if (!d.ok || d.message.flags.qr || d.message.questions.length !== 1) return;
    const q = d.message;
    this.queries++;
    this.onQuery?.({ id: q.id, question: q.questions[0], from });
    // Passed on from the front address (port 0: any), as a router would forward it.
    void bindUdp(this.o.front.address, 0)
      .then((s) => {
        if (this.closed) return closeUdp(s);
        const entry = { socket: s, timer: setTimeout(() => this.drop(entry), this.o.timeoutMs ?? 2000) };
        this.pending.add(entry);
        s.on('message', (answer) => {
          this.drop(entry);
          let out: Uint8Array = answer;
          if (this.o.rewrite !== undefined) {
            const a = decodeDnsMessage(answer);
            if (a.ok) out = encodeDnsMessage(this.o.rewrite(a.message));
          }
          const t = setTimeout(() => {
            this.timers.delete(t);
            if (!this.closed) this.front.send(out, from.port, from.address);
          }, this.o.delayMs ?? 0);
          this.timers.add(t);
        });
        s.send(msg, this.o.back.port, this.o.back.address);
      })
      .catch(() => undefined); // no socket: the query is lost, as on a real path
  }

  private drop(entry: { socket: Socket; timer: NodeJS.Timeout }): void {
    if (!this.pending.delete(entry)) return;
    clearTimeout(entry.timer);
    void closeUdp(entry.socket);
  }

  /** Sends a datagram from the server's own address and port (what a spoofed source achieves). */
  inject(bytes: Uint8Array, to: ServerAddress): void {
    if (this.closed) return;
    this.injected++;
    this.front.send(bytes, to.port, to.address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const e of [...this.pending]) this.drop(e);
    await closeUdp(this.front);
  }
}

/** Binds a UDP socket for an attacker at address:port (port 0: any). */
export const attackerSocket = bindUdp;
export { closeUdp };
