// UDP hole punching, as the lab runs it on virtual hosts. A rendezvous server (srv1, UDP 6000) hears
// "REGISTER group name" from each peer and notes the address and port the datagram came from: the peer's
// public endpoint, as the peer's NAT mapped it toward the server. Once two peers are registered it
// tells each one the other's ("PEER name 198.51.100.7:50000"). Each peer then sends "PUNCH n name"
// datagrams from the same socket to the endpoint it learned: its own outbound datagram opens its NAT
// (a mapping, and a filter entry for that destination) while the other's comes in through the hole
// the other side opened. A peer in 'learned+seen' mode also answers a punch at the endpoint it came
// from when that is not the one it learned (what ICE calls a peer-reflexive candidate).

import type { Host, LabNet } from '../../src/netsim/index.ts';
import { RENDEZVOUS_PORT, SRV1 } from './world.ts';

/** Where a peer sends its punches: only to the endpoint it learned, or also to where punches come from. */
export type PunchMode = 'learned' | 'learned+seen';

export interface Endpoint {
  address: string;
  port: number;
}

export const text = (e: Endpoint | undefined): string => (e === undefined ? '-' : `${e.address}:${e.port}`);

/** The rendezvous server on srv1: pairs the first two peers that register in a group. */
export class Rendezvous {
  /** Per group (one pair of peers), each peer's public endpoint as the server saw it. */
  readonly groups = new Map<string, Map<string, Endpoint>>();
  private readonly socket;

  constructor(host: Host) {
    this.socket = host.udpSocket();
    this.socket.bind(RENDEZVOUS_PORT, SRV1);
    this.socket.onMessage((m) => {
      const t = new TextDecoder().decode(m.data);
      const match = /^REGISTER (\S+) (\S+)$/.exec(t);
      if (match === null) return;
      const group = this.groups.get(match[1]) ?? new Map<string, Endpoint>();
      this.groups.set(match[1], group);
      group.set(match[2], { address: m.address, port: m.port });
      if (group.size !== 2) return;
      const [[a, ea], [b, eb]] = [...group.entries()];
      this.socket.send(`PEER ${b} ${text(eb)}`, ea.port, ea.address);
      this.socket.send(`PEER ${a} ${text(ea)}`, eb.port, eb.address);
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface PeerOptions {
  group: string;
  name: string;
  host: Host;
  local: string;
  localPort: number;
  mode: PunchMode;
  /** Punches sent, one every intervalMs. */
  punches: number;
  intervalMs: number;
  /** Wait after learning the peer before the first punch (the two apps are never in step). */
  startDelayMs: number;
}

/** One side of the hole punching. */
export class Peer {
  learned: Endpoint | undefined;
  target: Endpoint | undefined;
  /** Punches that arrived, with where they came from. */
  readonly received: { from: Endpoint; text: string; atMs: number }[] = [];
  sent = 0;
  done = false;
  private readonly socket;

  constructor(
    private readonly net: LabNet,
    readonly o: PeerOptions,
  ) {
    this.socket = o.host.udpSocket();
    this.socket.bind(o.localPort, o.local);
    this.socket.onMessage((m) => {
      const t = new TextDecoder().decode(m.data);
      const peer = /^PEER (\S+) ([\d.]+):(\d+)$/.exec(t);
      if (peer !== null && m.address === SRV1) {
        this.learned = { address: peer[2], port: Number(peer[3]) };
        this.target = this.learned;
        net.clock.setTimer(() => this.punch(), o.startDelayMs);
        return;
      }
      if (!t.startsWith('PUNCH ')) return;
      const from = { address: m.address, port: m.port };
      this.received.push({ from, text: t, atMs: net.clock.now() });
      if (o.mode === 'learned+seen' && this.target !== undefined && text(from) !== text(this.target)) {
        this.target = from;
        this.send();
      }
    });
  }

  register(): void {
    this.socket.send(`REGISTER ${this.o.group} ${this.o.name}`, RENDEZVOUS_PORT, SRV1);
  }

  private send(): void {
    if (this.target === undefined) return;
    this.sent++;
    this.socket.send(`PUNCH ${this.sent} ${this.o.name}`, this.target.port, this.target.address);
  }

  private punch(): void {
    if (this.sent >= this.o.punches) {
      this.done = true;
      return;
    }
    this.send();
    this.net.clock.setTimer(() => this.punch(), this.o.intervalMs);
  }

  close(): void {
    this.socket.close();
  }
}

export interface PunchResult {
  /** alice's and bob's public endpoints as the rendezvous server saw them. */
  registered: [Endpoint | undefined, Endpoint | undefined];
  /** Punches each received, and from where. */
  alice: Peer;
  bob: Peer;
  works: boolean;
}

export const PUNCHES = 3;
export const INTERVAL_MS = 20;
/** bob starts punching this long after alice. */
export const BOB_LATE_MS = 15;

/** Runs one hole punching between alice (a host behind one NAT) and bob (behind another). */
export async function holePunch(
  net: LabNet,
  rv: Rendezvous,
  a: { host: Host; address: string },
  b: { host: Host; address: string },
  mode: PunchMode,
  group = 'g1',
  localPort = 5100,
): Promise<PunchResult> {
  const common = { group, mode, punches: PUNCHES, intervalMs: INTERVAL_MS, localPort };
  const alice = new Peer(net, { ...common, name: 'alice', host: a.host, local: a.address, startDelayMs: 0 });
  const bob = new Peer(net, { ...common, name: 'bob', host: b.host, local: b.address, startDelayMs: BOB_LATE_MS });
  try {
    alice.register();
    bob.register();
    await net.runUntil(() => alice.done && bob.done, 10_000, 'the punching to end');
    await net.wait(50);
    return {
      registered: [rv.groups.get(group)?.get('alice'), rv.groups.get(group)?.get('bob')],
      alice,
      bob,
      works: alice.received.length > 0 && bob.received.length > 0,
    };
  } finally {
    alice.close();
    bob.close();
  }
}
