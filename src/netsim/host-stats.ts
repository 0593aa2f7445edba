// The counters of a node's IP layer and of the transports above it (ICMP, UDP; TCP keeps its own in
// tcp/stack.ts), as `netstat -s` groups them.

/** Counters of a node's IP layer. */
export interface NodeStats {
  ipReceived: number;
  /** Datagrams dropped for a bad header (version, length, checksum). */
  ipHeaderErrors: number;
  ipDelivered: number;
  /** Datagrams for another address on a node that does not forward. */
  ipNotForUs: number;
  ipForwarded: number;
  /** Datagrams with no route (received to forward, or sent by this node). */
  ipNoRoute: number;
  ipTtlExceeded: number;
  /** Fragments refused by reassembly (overlaps, limits). */
  ipFragmentsDropped: number;
  /** Datagrams put back together from fragments. */
  ipReassembled: number;
  ipSent: number;
  icmpReceived: number;
  icmpChecksumErrors: number;
  icmpEchoRepliesSent: number;
  icmpErrorsSent: number;
  icmpErrorsReceived: number;
  udpReceived: number;
  udpErrors: number;
  /** UDP datagrams for a port nobody listens on. */
  udpNoPort: number;
  /** Datagrams for a protocol the node does not speak. */
  unknownProtocol: number;
}

/** Every counter at zero. */
export function newNodeStats(): NodeStats {
  return {
    ipReceived: 0,
    ipHeaderErrors: 0,
    ipDelivered: 0,
    ipNotForUs: 0,
    ipForwarded: 0,
    ipNoRoute: 0,
    ipTtlExceeded: 0,
    ipFragmentsDropped: 0,
    ipReassembled: 0,
    ipSent: 0,
    icmpReceived: 0,
    icmpChecksumErrors: 0,
    icmpEchoRepliesSent: 0,
    icmpErrorsSent: 0,
    icmpErrorsReceived: 0,
    udpReceived: 0,
    udpErrors: 0,
    udpNoPort: 0,
    unknownProtocol: 0,
  };
}
