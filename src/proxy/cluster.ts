// One cluster at run time: its Balancer (policy, outlier detection, drain), sticky sessions, the
// active health checker with its probe (HTTP GET or TCP connect), the retry policy and budget, and a
// keep-alive connection pool to its endpoints (plain or TLS verified against the cluster's CA).

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Random } from '../base/random.ts';
import type { NetClock } from '../base/timer-clock.ts';
import { Balancer, type Endpoint, HealthChecker, type HealthEvent, type ProbeResult, RetryBudget, RetryPolicy, StickySessions } from '../balance/index.ts';
import { connectUpstream, HttpClientConnection, HttpConnectionPool, type Upstream } from '../http/index.ts';
import type { HttpLimits } from '../wire/http.ts';
import { clusterBalancerOptions, clusterHashKey, clusterHealthCheck, clusterRetries, clusterSticky, type HashKeySource } from './config.ts';
import type { ClusterConfig } from './config-schema.ts';
import { H2UpstreamPool, type UpstreamLease } from './h2-upstream.ts';

export interface ClusterRuntimeOptions {
  readonly clock: NetClock;
  readonly random: Random;
  readonly limits?: Partial<HttpLimits>;
  /** Told of every health probe outcome. */
  readonly onHealth?: (cluster: string, e: HealthEvent) => void;
}

/** The TLS options the cluster uses to reach `e` (SNI and verification name default to its address). */
export function upstreamTlsOptions(c: ClusterConfig, e: { address: string }): ConnectionOptions | undefined {
  const t = c.tls;
  if (t === undefined) return undefined;
  const servername = t.serverName ?? e.address;
  return {
    ...(t.ca === undefined ? {} : { ca: readFileSync(t.ca) }),
    ...(t.client === undefined ? {} : { cert: readFileSync(t.client.cert), key: readFileSync(t.client.key) }),
    // Node refuses an IP address as SNI; verification still checks the name (or IP SAN).
    ...(/^[0-9.]+$|:/.test(servername) ? {} : { servername }),
    rejectUnauthorized: t.verify,
  };
}

export class ClusterRuntime {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly balancer: Balancer;
  readonly sticky: StickySessions | undefined;
  readonly stickyName: string | undefined;
  readonly hashKey: HashKeySource;
  readonly retry: RetryPolicy | undefined;
  readonly pool: HttpConnectionPool;
  /** `protocol: h2`: one HTTP/2 session per endpoint (h2-upstream.ts) instead of the keep-alive pool. */
  readonly h2: H2UpstreamPool | undefined;
  readonly health: HealthChecker | undefined;
  private readonly tlsByEndpoint = new Map<string, ConnectionOptions | undefined>();
  private readonly upstreams = new WeakMap<Endpoint, Upstream>();
  private readonly opts: ClusterRuntimeOptions;

  constructor(config: ClusterConfig, options: ClusterRuntimeOptions, previous?: ClusterRuntime) {
    this.name = config.name;
    this.config = config;
    this.opts = options;
    const samePolicy =
      previous !== undefined &&
      JSON.stringify(previous.config.policy) === JSON.stringify(config.policy) &&
      JSON.stringify(previous.config.outlierDetection) === JSON.stringify(config.outlierDetection) &&
      previous.config.failOpen === config.failOpen &&
      previous.config.maxPerEndpoint === config.maxPerEndpoint;
    const bopts = clusterBalancerOptions(config);
    if (samePolicy && previous !== undefined) {
      this.balancer = previous.balancer;
      this.balancer.setEndpoints(bopts.endpoints);
    } else {
      this.balancer = new Balancer({ ...bopts, clock: options.clock, random: options.random });
    }
    const st = clusterSticky(config);
    this.stickyName = st?.name;
    this.sticky =
      st === undefined
        ? undefined
        : samePolicy && previous?.sticky !== undefined && JSON.stringify(previous.config.sticky) === JSON.stringify(config.sticky)
          ? previous.sticky
          : new StickySessions(this.balancer, options.clock, st);
    this.hashKey = clusterHashKey(config);
    const r = clusterRetries(config);
    this.retry =
      r === undefined ? undefined : new RetryPolicy(r, options.random, new RetryBudget({ percent: r.budgetPercent, minConcurrent: r.minConcurrent }));
    for (const e of config.endpoints) this.tlsByEndpoint.set(`${e.address}:${e.port}`, upstreamTlsOptions(config, e));
    const sameTransport =
      previous !== undefined &&
      JSON.stringify(previous.config.tls) === JSON.stringify(config.tls) &&
      JSON.stringify(previous.config.timeouts) === JSON.stringify(config.timeouts) &&
      previous.config.protocol === config.protocol &&
      previous.config.sourceAddress === config.sourceAddress; // pooled connections keep the address they left from
    this.pool =
      sameTransport && previous !== undefined
        ? previous.pool
        : new HttpConnectionPool({
            connectTimeoutMs: config.timeouts.connectMs,
            responseTimeoutMs: config.timeouts.headerMs,
            idleTimeoutMs: Math.min(config.timeouts.idleMs, 30_000),
            maxPerUpstream: config.maxPerEndpoint ?? 256,
            maxIdlePerUpstream: 128,
            acquireTimeoutMs: config.timeouts.connectMs,
            clock: options.clock,
            limits: { maxBodyBytes: Number.MAX_SAFE_INTEGER, ...options.limits },
          });
    this.h2 =
      config.protocol !== 'h2'
        ? undefined
        : sameTransport && previous?.h2 !== undefined
          ? previous.h2
          : new H2UpstreamPool({
              connectTimeoutMs: config.timeouts.connectMs,
              responseTimeoutMs: config.timeouts.headerMs,
              idleTimeoutMs: Math.min(config.timeouts.idleMs, 30_000),
              clock: options.clock,
            });
    const hc = clusterHealthCheck(config);
    if (hc !== undefined) {
      this.health = new HealthChecker(options.clock, (e, signal) => this.probe(e, signal), hc);
      this.health.onEvent((ev) => options.onHealth?.(this.name, ev));
      this.health.setEndpoints(this.balancer.endpoints);
      this.health.start();
    } else {
      this.health = undefined;
      for (const e of this.balancer.endpoints) e.healthy = true;
    }
    if (previous !== undefined && previous !== this && previous.health !== undefined) previous.health.stop();
  }

  upstream(e: Endpoint): Upstream {
    // One Upstream object per endpoint (the pool finds its entry by the object), rebuilt if the
    // endpoint's address changed.
    const known = this.upstreams.get(e);
    if (known !== undefined && known.host === e.address && known.port === e.port) return known;
    const tls = this.tlsByEndpoint.get(`${e.address}:${e.port}`);
    const from = this.config.sourceAddress === undefined ? {} : { localAddress: this.config.sourceAddress };
    const u: Upstream = tls === undefined ? { host: e.address, port: e.port, ...from } : { host: e.address, port: e.port, tls, ...from };
    this.upstreams.set(e, u);
    return u;
  }

  /** A connection (HTTP/1.1, from the keep-alive pool) or a stream (HTTP/2) to `e`. */
  acquire(e: Endpoint): Promise<UpstreamLease> {
    return this.h2 !== undefined ? this.h2.lease(this.upstream(e)) : this.pool.acquire(this.upstream(e));
  }

  /** An idle keep-alive connection to `e` taken at once, or undefined (then acquire() and wait). */
  acquireIdle(e: Endpoint): UpstreamLease | undefined {
    return this.h2 !== undefined ? undefined : this.pool.acquireIdle(this.upstream(e));
  }

  /** Gives back a lease that was not used (HTTP/2 streams need nothing back). */
  release(lease: UpstreamLease): void {
    if (this.h2 === undefined) this.pool.release(lease as Parameters<HttpConnectionPool['release']>[0]);
  }

  /** One active health probe. */
  probe(e: Endpoint, signal: AbortSignal): Promise<ProbeResult> {
    const h = this.config.healthCheck;
    if (h === undefined) return Promise.resolve({ ok: true });
    const up = this.upstream(e);
    if (this.h2 !== undefined && h.type === 'http') return this.probeH2(e, h);
    return new Promise<ProbeResult>((resolve) => {
      let socket: Socket;
      let done = false;
      const finish = (r: ProbeResult): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(r);
      };
      const onAbort = (): void => finish({ ok: false, detail: 'probe abandoned' });
      socket = connectUpstream(up);
      signal.addEventListener('abort', onAbort);
      socket.once('error', (err) => finish({ ok: false, detail: err.message }));
      socket.once(up.tls === undefined ? 'connect' : 'secureConnect', () => {
        if (h.type === 'tcp') {
          finish({ ok: true, detail: 'connected' });
          return;
        }
        const conn = new HttpClientConnection(socket, { responseTimeoutMs: h.timeoutMs, clock: this.opts.clock, limits: { maxBodyBytes: 1024 * 1024 } });
        const host = h.host ?? (e.address.includes(':') ? `[${e.address}]` : e.address);
        conn
          .request({
            method: 'GET',
            target: h.path,
            fields: [
              { name: 'Host', value: host },
              { name: 'Connection', value: 'close' },
              { name: 'User-Agent', value: 'netlab-health' },
            ],
          })
          .then(async (res) => {
            const text = await res.body.text();
            const status = res.head.status;
            if (!h.expectStatus.includes(status)) return finish({ ok: false, detail: `status ${status}, expected ${h.expectStatus.join(' or ')}` });
            if (h.expectBody !== undefined && !text.includes(h.expectBody))
              return finish({ ok: false, detail: `status ${status}, body does not contain ${JSON.stringify(h.expectBody)}` });
            finish({ ok: true, detail: `status ${status}` });
          })
          .catch((err: unknown) => finish({ ok: false, detail: err instanceof Error ? err.message : String(err) }));
      });
    });
  }

  /** An HTTP health probe over the endpoint's HTTP/2 session. */
  private async probeH2(e: Endpoint, h: NonNullable<ClusterConfig['healthCheck']>): Promise<ProbeResult> {
    try {
      const lease = await this.h2!.lease(this.upstream(e));
      const host = h.host ?? (e.address.includes(':') ? `[${e.address}]` : e.address);
      const res = await lease.connection.request({
        method: 'GET',
        target: h.path,
        fields: [
          { name: 'Host', value: host },
          { name: 'User-Agent', value: 'netlab-health' },
        ],
      });
      const text = await res.body.text();
      const status = res.head.status;
      if (!h.expectStatus.includes(status)) return { ok: false, detail: `status ${status}, expected ${h.expectStatus.join(' or ')}` };
      if (h.expectBody !== undefined && !text.includes(h.expectBody))
        return { ok: false, detail: `status ${status}, body does not contain ${JSON.stringify(h.expectBody)}` };
      return { ok: true, detail: `status ${status} (h2)` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Closes the pool's idle keep-alive connections to `e` (a drained endpoint keeps none open). */
  closeIdle(e: Endpoint): void {
    const up = this.upstream(e);
    // acquire() hands out an idle connection synchronously when there is one.
    for (let n = this.pool.stats(up).idle; n > 0; n--) {
      this.pool.acquire(up).then(
        (lease) => lease.connection.close(),
        () => undefined,
      );
    }
  }

  /** Stops health checks; `closePool` also closes the idle upstream connections (busy ones close when done). */
  stop(closePool: boolean): void {
    this.health?.stop();
    if (closePool) {
      this.pool.close();
      this.h2?.close();
    }
  }
}
