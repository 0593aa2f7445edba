// TCP counters, kept per connection (socket.info().counters) and summed per host (host.tcp.stats),
// named after what `netstat -s` and `nstat` report where Linux has the same counter.

export interface TcpCounters {
  activeOpens: number;
  passiveOpens: number;
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Segments sent again (timeout, fast retransmit, partial ACK). */
  retransmits: number;
  fastRetransmits: number;
  /** Holes resent during fast recovery from the peer's SACK blocks. */
  sackRetransmits: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  dupAcksReceived: number;
  /** Segments whose data had all arrived before (discarded). */
  duplicateSegments: number;
  /** Segments that overlapped data already received (the old part trimmed). */
  partialDuplicates: number;
  outOfOrderSegments: number;
  /** Out-of-order bytes dropped because the queue was full. */
  outOfOrderDropped: number;
  delayedAcks: number;
  challengeAcks: number;
  /** Challenge ACKs not sent: over challengeAcksPerSecond (RFC 5961 §7). */
  challengeAcksSuppressed: number;
  pawsDropped: number;
  resetsSent: number;
  resetsReceived: number;
  windowProbes: number;
  windowUpdatesReceived: number;
  /** Pure ACKs sent because reading reopened a (nearly) closed window. */
  windowUpdatesSent: number;
  /** Small segments held back by Nagle. */
  nagleDelays: number;
  /** Handshakes completed while the accept queue was full (the ACK ignored). */
  listenOverflows: number;
}

export function newTcpCounters(): TcpCounters {
  return {
    activeOpens: 0,
    passiveOpens: 0,
    segmentsSent: 0,
    segmentsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    retransmits: 0,
    fastRetransmits: 0,
    sackRetransmits: 0,
    timeouts: 0,
    dupAcksReceived: 0,
    duplicateSegments: 0,
    partialDuplicates: 0,
    outOfOrderSegments: 0,
    outOfOrderDropped: 0,
    delayedAcks: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    pawsDropped: 0,
    resetsSent: 0,
    resetsReceived: 0,
    windowProbes: 0,
    windowUpdatesReceived: 0,
    windowUpdatesSent: 0,
    nagleDelays: 0,
    listenOverflows: 0,
  };
}

/** Host-wide counters: the connection counters summed, and what happens before a connection exists. */
export interface TcpStackStats extends TcpCounters {
  /** Segments dropped for a bad checksum or header. */
  badSegments: number;
  /** Segments to a port with no connection and no listener (answered with RST unless they were RSTs). */
  noPort: number;
  /** SYNs that reached a listener. */
  synReceived: number;
  /** Half-open connections dropped to make room for a new SYN (the SYN flood defence). */
  halfOpenEvicted: number;
  /** SYNs refused because the host had `maxConnections` connections. */
  connectionLimitDrops: number;
}

export function newTcpStackStats(): TcpStackStats {
  return { ...newTcpCounters(), badSegments: 0, noPort: 0, synReceived: 0, halfOpenEvicted: 0, connectionLimitDrops: 0 };
}
