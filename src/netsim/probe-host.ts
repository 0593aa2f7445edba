// What ping and traceroute need from the node they run on: its clock, ICMP echo identifiers, a way to
// send an echo request, the echo replies and ICMP errors that arrive, UDP sockets (traceroute's
// probes) and the node's closing. The Host implements it; ping.ts and traceroute.ts import only this
// file, so host.ts can call them without an import cycle.

import type { NetClock } from '../base/timer-clock.ts';
import type { IcmpErrorReport } from './icmp-errors.ts';
import type { UdpSocket } from './udp-socket.ts';

/** An echo reply that arrived. */
export interface EchoReply {
  from: number;
  id: number;
  seq: number;
  /** TTL of the reply as it arrived. */
  ttl: number;
  /** The echo data (after the 8-byte ICMP header). */
  data: Uint8Array;
  /** Length of the ICMP message. */
  icmpLength: number;
}

export interface ProbeHost {
  readonly name: string;
  readonly clock: NetClock;
  /** A fresh ICMP echo identifier for one run. */
  allocateEchoId(): number;
  /** Sends an ICMP echo request; throws ENETUNREACH when there is no route. */
  sendEchoRequest(dst: number, id: number, seq: number, data: Uint8Array, ttl?: number): void;
  /** Hears every echo reply; returns the function that stops it. */
  onEchoReply(listener: (r: EchoReply) => void): () => void;
  /** Hears every ICMP error; returns the function that stops it. */
  onIcmpError(listener: (r: IcmpErrorReport) => void): () => void;
  /** Runs `hook` when the node closes; returns the function that removes it. */
  onClose(hook: () => void): () => void;
  /** A new UDP socket on the node. */
  udpSocket(): UdpSocket;
}
