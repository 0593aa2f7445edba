// An endpoint as the balancing layer sees it: a name, an address, a weight, the flags that decide
// whether it may take new requests (active health, outlier ejection, drain), how many requests or
// connections it has open, and what its latency has been. The proxy and the L4 balancer own the
// sockets; they report each request's start and finish through the Balancer, which keeps these
// numbers, so every policy reads the same ones.

import { NetlabRangeError } from '../base/errors.ts';

/** What a config or a caller gives for one endpoint. */
export interface EndpointSpec {
  /** Unique within its cluster; also the balancer cookie's value (`LBSESSIONID=server2`). */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Relative share of traffic for the weighted policies; > 0. Default 1. */
  readonly weight?: number;
}

/**
 * The state a person reads, in the order one overrides the other: a draining endpoint is `draining`
 * whatever its health; an ejected one is `ejected` even while its active checks pass.
 */
export type EndpointState = 'healthy' | 'unhealthy' | 'ejected' | 'draining';

/** A per-sample exponentially weighted moving average: value += alpha × (sample − value). */
export class Ewma {
  private current: number | undefined;

  constructor(readonly alpha = 0.3) {
    if (!(alpha > 0 && alpha <= 1)) throw new NetlabRangeError(`EWMA alpha must be in (0, 1], got ${alpha}`, { layer: 'balance' });
  }

  /** Undefined until the first sample. */
  get value(): number | undefined {
    return this.current;
  }

  add(sample: number): void {
    this.current = this.current === undefined ? sample : this.current + this.alpha * (sample - this.current);
  }

  reset(): void {
    this.current = undefined;
  }
}

/**
 * Peak EWMA (Finagle's and Linkerd's latency estimate): a sample above the average replaces it at
 * once; below it, the average decays towards the sample with weight exp(−Δt/τ), where Δt is the time
 * since the previous sample. So one slow response counts at once, and it takes time, not just a
 * count of samples, to be forgiven.
 */
export class PeakEwma {
  private current: number | undefined;
  private stamp = 0;

  constructor(readonly decayMs = 10_000) {
    if (!(decayMs > 0)) throw new NetlabRangeError(`peak EWMA decay must be > 0 ms, got ${decayMs}`, { layer: 'balance' });
  }

  get value(): number | undefined {
    return this.current;
  }

  /**
   * The estimate read at `now`: like Linkerd's, it decays towards zero while no sample comes
   * (× exp(−Δt/τ)), so an endpoint shunned after one slow answer is tried again in time.
   */
  estimate(now: number): number | undefined {
    if (this.current === undefined) return undefined;
    return this.current * Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
  }

  /** Adds a sample taken at `now` (clock ms). Without samples the estimate stays where it is. */
  add(sample: number, now: number): void {
    if (this.current === undefined || sample > this.current) {
      this.current = sample;
    } else {
      const w = Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
      this.current = this.current * w + sample * (1 - w);
    }
    this.stamp = now;
  }

  reset(): void {
    this.current = undefined;
  }
}

export interface EndpointStatsSnapshot {
  readonly active: number;
  readonly total: number;
  readonly failures: number;
  readonly ttfbEwmaMs: number | undefined;
  readonly peakEwmaMs: number | undefined;
}

export interface EndpointOptions {
  /** Alpha of the time-to-first-byte EWMA (default 0.3). */
  readonly ttfbAlpha?: number;
  /** τ of the peak EWMA in ms (default 10 000). */
  readonly peakDecayMs?: number;
}

export class Endpoint {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  weight: number;
  /** Result of active health checks (true until a checker says otherwise). */
  healthy = true;
  /** Ejected by outlier detection until this time (clock ms); undefined when not ejected. */
  ejectedUntil: number | undefined = undefined;
  /** No new picks; requests already on it finish. */
  draining = false;
  /** Requests (L7) or connections (L4) open on it now. */
  active = 0;
  /** Requests or connections started on it since it was created. */
  total = 0;
  /** Finished with an error or a 5xx. */
  failures = 0;
  /** Time to first byte, per-sample EWMA, in ms. */
  readonly ttfb: Ewma;
  /** Latency, peak EWMA, in ms. */
  readonly peak: PeakEwma;

  constructor(spec: EndpointSpec, options: EndpointOptions = {}) {
    if (spec.name === '') throw new NetlabRangeError('an endpoint needs a name', { layer: 'balance' });
    const weight = spec.weight ?? 1;
    if (!(Number.isFinite(weight) && weight > 0)) throw new NetlabRangeError(`endpoint ${spec.name}: weight must be > 0, got ${weight}`, { layer: 'balance' });
    if (!(Number.isInteger(spec.port) && spec.port >= 0 && spec.port <= 65535)) throw new NetlabRangeError(`endpoint ${spec.name}: port must be 0..65535, got ${spec.port}`, { layer: 'balance' });
    this.name = spec.name;
    this.address = spec.address;
    this.port = spec.port;
    this.weight = weight;
    this.ttfb = new Ewma(options.ttfbAlpha ?? 0.3);
    this.peak = new PeakEwma(options.peakDecayMs ?? 10_000);
  }

  get ejected(): boolean {
    return this.ejectedUntil !== undefined;
  }

  get state(): EndpointState {
    if (this.draining) return 'draining';
    if (this.ejected) return 'ejected';
    return this.healthy ? 'healthy' : 'unhealthy';
  }

  /** May take new picks: healthy, not ejected, not draining. */
  get available(): boolean {
    return this.healthy && !this.ejected && !this.draining;
  }

  stats(): EndpointStatsSnapshot {
    return { active: this.active, total: this.total, failures: this.failures, ttfbEwmaMs: this.ttfb.value, peakEwmaMs: this.peak.value };
  }

  toString(): string {
    return `${this.name} (${this.address}:${this.port})`;
  }
}
