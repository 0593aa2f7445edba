// Congestion control: NewReno (RFC 5681 slow start and congestion avoidance, RFC 6582 fast
// recovery). Every change of cwnd or ssthresh is reported as a CongestionEvent, so a lab can plot
// cwnd against time and mark where slow start ended, where three duplicate ACKs came, and where a
// timeout struck.
//
//   initial window   IW = min(4*SMSS, max(2*SMSS, 4380)) bytes (RFC 5681 §3.1), or as configured
//   slow start       cwnd < ssthresh: each new ACK adds min(bytes acked, SMSS)
//   avoidance        cwnd >= ssthresh: one SMSS per cwnd of bytes acked (RFC 5681 §3.1's byte counting)
//   3 dup ACKs       ssthresh = max(FlightSize/2, 2*SMSS); cwnd = ssthresh + 3*SMSS; recover = highest sent
//   more dup ACKs    cwnd += SMSS (inflation)
//   partial ACK      retransmit the next hole; cwnd -= acked, += SMSS if acked >= SMSS
//   full ACK         cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS); recovery ends
//   timeout          ssthresh = max(FlightSize/2, 2*SMSS); cwnd = 1 SMSS (the loss window)
//
// ssthresh starts "arbitrarily high" (RFC 5681): Infinity here (null once JSON-encoded).

import { seqGe } from './seq.ts';
import { NetlabRangeError } from '../../base/errors.ts';

export type CongestionState = 'slow-start' | 'congestion-avoidance' | 'fast-recovery';

export type CongestionReason =
  /** The connection's first window. */
  | 'initial'
  /** A new ACK grew cwnd (slow start or congestion avoidance). */
  | 'ack'
  /** The third duplicate ACK: fast retransmit, entering fast recovery. */
  | 'fast-retransmit'
  /** A further duplicate ACK during fast recovery inflated cwnd. */
  | 'dup-ack'
  /** An ACK during fast recovery that did not cover `recover`: next hole retransmitted. */
  | 'partial-ack'
  /** The ACK covering `recover`: fast recovery ended. */
  | 'recovery-end'
  /** The retransmission timer expired. */
  | 'timeout';

export interface CongestionEvent {
  /** The host clock (ms) when it happened. */
  time: number;
  /** Congestion window, bytes. */
  cwnd: number;
  /** Slow-start threshold, bytes (Infinity before the first loss). */
  ssthresh: number;
  /** The state after the change. */
  state: CongestionState;
  reason: CongestionReason;
  /** Bytes sent and not yet acknowledged when it happened. */
  flightSize: number;
  /** The sender's MSS, so a plot can show cwnd in segments. */
  mss: number;
}

export interface CongestionSettings {
  /** Initial window in segments; default from RFC 5681's formula (3 for a 1460-byte MSS). */
  initialWindowSegments?: number;
}

export class NewReno {
  cwnd: number;
  ssthresh = Infinity;
  inRecovery = false;
  /** Highest sequence number sent when fast recovery began (RFC 6582 `recover`). */
  recover = 0;
  private ackedInAvoidance = 0;

  constructor(
    readonly mss: number,
    private readonly emit: (e: CongestionEvent) => void,
    private readonly now: () => number,
    settings: CongestionSettings = {},
  ) {
    const iw = settings.initialWindowSegments;
    if (iw !== undefined && !(Number.isInteger(iw) && iw >= 1 && iw <= 100)) throw new NetlabRangeError(`initialWindowSegments must be 1 to 100, got ${iw}`);
    this.cwnd = iw !== undefined ? iw * mss : Math.min(4 * mss, Math.max(2 * mss, 4380));
    this.report('initial', 0);
  }

  get state(): CongestionState {
    if (this.inRecovery) return 'fast-recovery';
    return this.cwnd < this.ssthresh ? 'slow-start' : 'congestion-avoidance';
  }

  /** A new ACK outside fast recovery acknowledged `acked` bytes. */
  onNewAck(acked: number, flightSize: number): void {
    if (acked <= 0) return;
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.mss);
    } else {
      this.ackedInAvoidance += acked;
      if (this.ackedInAvoidance < this.cwnd) return;
      this.ackedInAvoidance -= this.cwnd;
      this.cwnd += this.mss;
    }
    this.report('ack', flightSize);
  }

  /** The third duplicate ACK: returns true when fast recovery starts (false when `ack` is still before recover). */
  onThirdDupAck(ack: number, highestSent: number, flightSize: number): boolean {
    // RFC 6582 §3.2 step 2: only when the ACK covers what was sent before the last reduction (no second cut for one window).
    if (this.recoverValid && !seqGe(ack, this.recover)) return false;
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.recover = highestSent;
    this.recoverValid = true;
    this.cwnd = this.ssthresh + 3 * this.mss;
    this.inRecovery = true;
    this.ackedInAvoidance = 0;
    this.report('fast-retransmit', flightSize);
    return true;
  }

  /** A duplicate ACK beyond the third, during fast recovery. */
  onExtraDupAck(flightSize: number): void {
    this.cwnd += this.mss;
    this.report('dup-ack', flightSize);
  }

  /** An ACK that did not cover `recover`, during fast recovery. */
  onPartialAck(acked: number, flightSize: number): void {
    this.cwnd = Math.max(this.cwnd - acked, 0) + (acked >= this.mss ? this.mss : 0);
    if (this.cwnd < this.mss) this.cwnd = this.mss;
    this.report('partial-ack', flightSize);
  }

  /** The ACK covering `recover`: fast recovery ends. */
  onFullAck(flightSize: number): void {
    this.cwnd = Math.min(this.ssthresh, Math.max(flightSize, this.mss) + this.mss);
    this.inRecovery = false;
    this.report('recovery-end', flightSize);
  }

  /** The retransmission timer expired. `firstExpiry`: not already backed off (ssthresh is set once per loss episode). */
  onTimeout(flightSize: number, highestSent: number, firstExpiry: boolean): void {
    if (firstExpiry) this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.ackedInAvoidance = 0;
    // RFC 6582 §4: after a timeout, recover is set so the dup ACKs of the old window do not trigger again.
    this.recover = highestSent;
    this.recoverValid = true;
    this.report('timeout', flightSize);
  }

  private recoverValid = false;

  private report(reason: CongestionReason, flightSize: number): void {
    this.emit({ time: this.now(), cwnd: this.cwnd, ssthresh: this.ssthresh, state: this.state, reason, flightSize, mss: this.mss });
  }
}
