// The NAT's vocabulary: protocols it translates, the RFC 4787 behaviours, timeouts (RFC 4787 REQ-5,
// RFC 5382 §5, RFC 5508 REQ-1), the allocation settings, and the entries and events the table hands out.

/** IP protocol numbers the translator keys by: TCP, UDP, ICMP (query identifiers). */
export const NAT_PROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;
export type NatProtocol = 1 | 6 | 17;

/**
 * RFC 4787 §4.1 mapping / §5 filtering behaviour. With mapping 'endpoint-independent':
 * filtering 'endpoint-independent' is a "full cone", 'address-dependent' a "restricted cone",
 * 'address-and-port-dependent' a "port restricted cone"; mapping 'address-and-port-dependent' is "symmetric".
 */
export type NatBehaviour = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** RFC 6056 §3.3: 'sequential' (a counter), 'random' (algorithm 1), 'hashed' (algorithm 3). */
export type PortAllocation = 'sequential' | 'random' | 'hashed';

/** TCP session states as the table prints them (RFC 5382: established vs transitory). */
export type NatState = 'syn-sent' | 'syn-received' | 'established' | 'fin-wait' | 'closed' | 'udp' | 'icmp' | 'static';

export interface NatTimeouts {
  /** UDP mapping idle timeout, refreshed by outbound traffic. Default 300 000 ms (REQ-5: at least 120 000). */
  udp: number;
  /** TCP established idle timeout. Default 7 440 000 ms (2 h 4 min, RFC 5382 REQ-5). */
  tcpEstablished: number;
  /** TCP partially open or closing. Default 240 000 ms (4 min, RFC 5382 REQ-5). */
  tcpTransitory: number;
  /** ICMP query mapping. Default 60 000 ms (RFC 5508 REQ-1). */
  icmp: number;
}

export const DEFAULT_TIMEOUTS: NatTimeouts = { udp: 300_000, tcpEstablished: 7_440_000, tcpTransitory: 240_000, icmp: 60_000 };

export interface PortSettings {
  /** First and last port (or ICMP identifier) handed out when the inside port cannot be kept. Default 1024..65535. */
  min: number;
  max: number;
  /** Keep the inside port when it is free (port preservation). Default true. */
  preserve: boolean;
  /** Keep the parity of the inside port (RFC 4787 REQ-4). Default true. */
  parity: boolean;
  /** How a port is picked from the range. Default 'sequential'. */
  allocation: PortAllocation;
  /** Milliseconds a freed port stays out of use. Default 120 000. */
  holdMs: number;
}

export const DEFAULT_PORTS: PortSettings = { min: 1024, max: 65535, preserve: true, parity: true, allocation: 'sequential', holdMs: 120_000 };

/** One row of the NAT table, as data (a snapshot: later packets do not change it). */
export interface NatEntryInfo {
  protocol: 'tcp' | 'udp' | 'icmp';
  insideAddress: string;
  insidePort: number;
  outsideAddress: string;
  outsidePort: number;
  remoteAddress: string;
  remotePort: number;
  state: NatState;
  /** Clock time of the last packet that refreshed it. */
  lastActivity: number;
  /** Clock time it expires (Infinity for static forwards). */
  expiresAt: number;
}

export type RefusalReason = 'pool-exhausted' | 'quota-exceeded' | 'table-full' | 'filtered' | 'no-mapping' | 'unsolicited-syn' | 'hairpin-off';

export type NatEvent =
  | { type: 'created'; entry: NatEntryInfo }
  | { type: 'refreshed'; entry: NatEntryInfo }
  | { type: 'expired'; entry: NatEntryInfo }
  | {
      type: 'refused';
      reason: RefusalReason;
      protocol: 'tcp' | 'udp' | 'icmp';
      source: string;
      sourcePort: number;
      destination: string;
      destinationPort: number;
    };

/** Counters of what the translator did. */
export interface NatCounters {
  translatedOut: number;
  translatedIn: number;
  hairpinned: number;
  icmpErrorsTranslated: number;
  created: number;
  expired: number;
  refusedPoolExhausted: number;
  refusedQuota: number;
  refusedTableFull: number;
  refusedFiltered: number;
  refusedNoMapping: number;
  unsolicitedSyn: number;
  /** Held unsolicited SYNs dropped because the inside host sent its own SYN for that flow in time (RFC 5382 REQ-4). */
  unsolicitedSynSuperseded: number;
  /** Held unsolicited SYNs answered with ICMP port unreachable after the hold (RFC 5382 REQ-4). */
  unsolicitedSynUnreachable: number;
  /** Frames the translator could not read (truncated transport header, fragments it cannot key). */
  untranslatable: number;
}

export function newNatCounters(): NatCounters {
  return {
    translatedOut: 0,
    translatedIn: 0,
    hairpinned: 0,
    icmpErrorsTranslated: 0,
    created: 0,
    expired: 0,
    refusedPoolExhausted: 0,
    refusedQuota: 0,
    refusedTableFull: 0,
    refusedFiltered: 0,
    refusedNoMapping: 0,
    unsolicitedSyn: 0,
    unsolicitedSynSuperseded: 0,
    unsolicitedSynUnreachable: 0,
    untranslatable: 0,
  };
}

export function protocolName(p: NatProtocol): 'tcp' | 'udp' | 'icmp' {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : 'icmp';
}
