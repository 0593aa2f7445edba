// TCP settings of a host (HostOptions.tcp), checked once with errors that name the bad key. Defaults
// follow Linux where a lab compares against it, and the RFCs otherwise:
//   mss 1460 (Ethernet MTU 1500 - 40), receive buffer 128 KiB (window scaling on), SACK and timestamps
//   on, delayed ACK 200 ms, RTO 1 s initial / 1 s minimum (RFC 6298; labs may set Linux's 200 ms) / 60 s maximum, MSL 30 s (TIME-WAIT 60 s,
//   Linux's), backlog 128, half-open queue 256 (oldest evicted when full), 1024 connections per host.

import type { IsnMode } from './isn.ts';
import type { RtoSettings } from './rto.ts';
import { NetlabRangeError } from '../../base/errors.ts';

export interface TcpSettings {
  /** MSS announced, and the largest segment payload sent (before options). Default 1460. */
  mss?: number;
  /** Receive buffer per connection, bytes: the largest window offered. Default 131072. */
  receiveBuffer?: number;
  /** Out-of-order queue bound per connection, bytes. Default the receive buffer. */
  outOfOrderLimit?: number;
  /** write() returns false once this many bytes are buffered (unsent plus unacknowledged). Default 65536. */
  highWaterMark?: number;
  /** Most bytes a socket buffers; a write beyond throws ENOBUFS. Default 4 MiB. */
  sendBufferLimit?: number;
  /** Offer window scaling (RFC 7323). Default true. */
  windowScaling?: boolean;
  /** Offer SACK (RFC 2018). Default true. */
  sack?: boolean;
  /** Offer timestamps (RFC 7323). Default true. */
  timestamps?: boolean;
  /** Delayed ACK timeout, ms, 0 (ACK every segment at once) to 500 (RFC 5681 §4.2). Default 200. */
  delayedAckMs?: number;
  rto?: RtoSettings;
  /** Initial congestion window in segments (default RFC 5681's formula: 3 for MSS 1460). */
  initialWindowSegments?: number;
  /** Maximum segment lifetime, ms; TIME-WAIT lasts 2×MSL. Default 30000 (a lab uses 500: 1 s of TIME-WAIT). */
  mslMs?: number;
  /** SYN retransmissions before connect fails with ETIMEDOUT. Default 6. */
  synRetries?: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped. Default 5. */
  synAckRetries?: number;
  /** Retransmissions of one segment before the connection fails with ETIMEDOUT. Default 15. */
  maxRetries?: number;
  /** Default accept queue length of a listener. Default 128. */
  backlog?: number;
  /** Half-open (SYN-RECEIVED) connections a listener keeps; when full the oldest is dropped. Default 256. */
  maxHalfOpen?: number;
  /** Connections on the host (every state but LISTEN). Default 1024. */
  maxConnections?: number;
  /** How ISNs are chosen. Default 'rfc6528'. */
  isn?: IsnMode;
  /** Nagle off on new sockets. Default false. */
  noDelay?: boolean;
  /**
   * Challenge ACKs (RFC 5961) a connection sends per second at most; more are suppressed (RFC 5961 §7:
   * ends that disagree would otherwise trade ACKs without end). Default 100; 0 sends none.
   */
  challengeAcksPerSecond?: number;
  /** First ephemeral port (shared with the host's option). */
  firstEphemeralPort?: number;
}

export type ResolvedTcpSettings = Required<Omit<TcpSettings, 'rto' | 'initialWindowSegments' | 'firstEphemeralPort'>> & {
  rto: RtoSettings;
  initialWindowSegments: number | undefined;
  firstEphemeralPort: number | undefined;
};

function int(key: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new NetlabRangeError(`tcp.${key} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

function bool(key: string, v: boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new NetlabRangeError(`tcp.${key} must be true or false, got ${String(v)}`);
  return v;
}

export function resolveTcpSettings(s: TcpSettings = {}): ResolvedTcpSettings {
  const receiveBuffer = int('receiveBuffer', s.receiveBuffer, 131072, 1, 1 << 30);
  const isn = s.isn ?? 'rfc6528';
  if (isn !== 'rfc6528' && isn !== 'weak-predictable-for-spoofing-lab')
    throw new NetlabRangeError(`tcp.isn must be 'rfc6528' or 'weak-predictable-for-spoofing-lab', got '${String(isn)}'`);
  return {
    mss: int('mss', s.mss, 1460, 64, 65495),
    receiveBuffer,
    outOfOrderLimit: int('outOfOrderLimit', s.outOfOrderLimit, receiveBuffer, 0, 1 << 30),
    highWaterMark: int('highWaterMark', s.highWaterMark, 65536, 1, 1 << 30),
    sendBufferLimit: int('sendBufferLimit', s.sendBufferLimit, 4 << 20, 1, 1 << 30),
    windowScaling: bool('windowScaling', s.windowScaling, true),
    sack: bool('sack', s.sack, true),
    timestamps: bool('timestamps', s.timestamps, true),
    delayedAckMs: int('delayedAckMs', s.delayedAckMs, 200, 0, 500),
    rto: s.rto ?? {},
    initialWindowSegments: s.initialWindowSegments,
    mslMs: int('mslMs', s.mslMs, 30_000, 1, 600_000),
    synRetries: int('synRetries', s.synRetries, 6, 0, 20),
    synAckRetries: int('synAckRetries', s.synAckRetries, 5, 0, 20),
    maxRetries: int('maxRetries', s.maxRetries, 15, 1, 30),
    backlog: int('backlog', s.backlog, 128, 1, 65535),
    maxHalfOpen: int('maxHalfOpen', s.maxHalfOpen, 256, 1, 1 << 20),
    maxConnections: int('maxConnections', s.maxConnections, 1024, 1, 1 << 20),
    isn,
    noDelay: bool('noDelay', s.noDelay, false),
    challengeAcksPerSecond: int('challengeAcksPerSecond', s.challengeAcksPerSecond, 100, 0, 1_000_000),
    firstEphemeralPort: s.firstEphemeralPort,
  };
}
