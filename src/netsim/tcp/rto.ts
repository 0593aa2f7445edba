// The retransmission timeout (RFC 6298): SRTT and RTTVAR from RTT samples (the first sample sets
// SRTT = R, RTTVAR = R/2; later ones RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R),
// RTO = SRTT + max(G, 4 RTTVAR) kept between a minimum and a maximum, 1 s before any sample, and
// doubled on each expiry (backoff) until a new sample arrives. Samples are only taken from segments
// sent once (Karn's algorithm: the connection does not time a retransmitted segment).

import { NetlabRangeError } from '../../base/errors.ts';

export interface RtoSettings {
  /** RTO before the first sample (ms). RFC 6298: 1000. */
  initialMs?: number;
  /**
   * Lower bound (ms). Default 1000, RFC 6298 §2.4's. Linux uses 200, which a lab may set (it then
   * sees spurious retransmissions whenever a 200 ms delayed ACK and the RTT add up past it).
   */
  minMs?: number;
  /** Upper bound (ms). Default 60000 (RFC 6298 allows a maximum of at least 60 s). */
  maxMs?: number;
  /** Clock granularity G (ms). Default 1 (the virtual clock counts milliseconds). */
  granularityMs?: number;
}

export class RtoEstimator {
  readonly initialMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly granularityMs: number;
  /** Smoothed RTT (ms), undefined before the first sample. */
  srtt: number | undefined;
  rttvar: number | undefined;
  /** Times the current RTO was doubled since the last sample. */
  backoffs = 0;
  private base: number;

  constructor(s: RtoSettings = {}) {
    this.initialMs = s.initialMs ?? 1000;
    this.minMs = s.minMs ?? 1000;
    this.maxMs = s.maxMs ?? 60_000;
    this.granularityMs = s.granularityMs ?? 1;
    for (const [k, v] of Object.entries({ initialMs: this.initialMs, minMs: this.minMs, maxMs: this.maxMs })) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new NetlabRangeError(`rto.${k} must be a positive number of ms, got ${String(v)}`);
    }
    if (this.minMs > this.maxMs) throw new NetlabRangeError(`rto.minMs (${this.minMs}) is above rto.maxMs (${this.maxMs})`);
    this.base = this.clamp(this.initialMs);
  }

  /** The timeout to arm now (ms), backoff included. */
  get rtoMs(): number {
    return Math.min(this.base * 2 ** this.backoffs, this.maxMs);
  }

  /** A new RTT measurement (ms). Clears the backoff. */
  sample(r: number): void {
    if (this.srtt === undefined || this.rttvar === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.base = this.clamp(this.srtt + Math.max(this.granularityMs, 4 * this.rttvar));
    this.backoffs = 0;
  }

  /** The timer expired: double the RTO (RFC 6298 §5.5), up to the maximum. */
  backoff(): void {
    if (this.rtoMs < this.maxMs) this.backoffs++;
  }

  private clamp(ms: number): number {
    return Math.min(Math.max(ms, this.minMs), this.maxMs);
  }
}
