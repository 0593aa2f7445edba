// The proxy's Prometheus metrics (prom-client, one registry per proxy so two proxies in one process
// never mix): request latency histograms by route, cluster, endpoint, method and status; counters of
// requests, retries and upstream failures; and per-endpoint gauges for health state and requests in
// flight, read from the balancers when scraped.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EndpointState } from '../balance/index.ts';

export interface EndpointRow {
  readonly cluster: string;
  readonly endpoint: string;
  readonly state: EndpointState;
  readonly active: number;
}

const STATES: readonly EndpointState[] = ['healthy', 'unhealthy', 'ejected', 'draining'];

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly duration: Histogram<'route' | 'cluster' | 'endpoint' | 'method' | 'status'>;
  readonly upstreamDuration: Histogram<'cluster' | 'endpoint' | 'status'>;
  readonly requests: Counter<'route' | 'cluster' | 'method' | 'status'>;
  readonly retries: Counter<'cluster' | 'reason'>;
  readonly upstreamErrors: Counter<'cluster' | 'endpoint' | 'kind'>;
  readonly inFlight: Gauge;
  readonly tunnels: Counter<'cluster'>;
  readonly rateLimited: Counter<'policy' | 'status'>;
  readonly shed: Counter<'reason'>;
  readonly compression: Counter<'outcome'>;
  readonly overflows: Counter<'cluster' | 'resource'>;
  readonly breakerTransitions: Counter<'cluster' | 'endpoint' | 'to'>;
  readonly cache: Counter<'result'>;
  readonly gateway: Counter<'route' | 'outcome'>;

  constructor(endpoints: () => readonly EndpointRow[]) {
    const registers = [this.registry];
    const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    this.duration = new Histogram({
      name: 'netlab_proxy_request_duration_seconds',
      help: 'Time from the request head to the end of the response, by route, cluster, endpoint, method and status.',
      labelNames: ['route', 'cluster', 'endpoint', 'method', 'status'],
      buckets,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'netlab_proxy_upstream_header_seconds',
      help: 'Time from sending a request upstream to its response head, by cluster, endpoint and status.',
      labelNames: ['cluster', 'endpoint', 'status'],
      buckets,
      registers,
    });
    this.requests = new Counter({
      name: 'netlab_proxy_requests_total',
      help: 'Requests answered, by route, cluster, method and status.',
      labelNames: ['route', 'cluster', 'method', 'status'],
      registers,
    });
    this.retries = new Counter({
      name: 'netlab_proxy_retries_total',
      help: 'Retries started, by cluster and reason.',
      labelNames: ['cluster', 'reason'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'netlab_proxy_upstream_errors_total',
      help: 'Upstream tries that failed without a usable response, by kind.',
      labelNames: ['cluster', 'endpoint', 'kind'],
      registers,
    });
    this.tunnels = new Counter({
      name: 'netlab_proxy_tunnels_total',
      help: 'Connections switched to another protocol (WebSocket) and relayed as bytes, by cluster.',
      labelNames: ['cluster'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'netlab_proxy_rate_limited_total',
      help: 'Requests refused by a rate limit (429, or 400 without the key), by policy and status.',
      labelNames: ['policy', 'status'],
      registers,
    });
    this.shed = new Counter({
      name: 'netlab_proxy_shed_total',
      help: 'Requests refused with 503 because the proxy was overloaded, by reason (concurrency, event-loop-lag).',
      labelNames: ['reason'],
      registers,
    });
    this.compression = new Counter({
      name: 'netlab_proxy_compression_total',
      help: 'Responses on routes with compression: outcome br or gzip, or why they were left alone.',
      labelNames: ['outcome'],
      registers,
    });
    this.overflows = new Counter({
      name: 'netlab_proxy_circuit_overflow_total',
      help: 'Requests refused (or retries not made) at a cluster threshold: requests, pending, connections, retries.',
      labelNames: ['cluster', 'resource'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'netlab_proxy_breaker_transitions_total',
      help: 'Endpoint circuit breaker state changes, by the state entered (open, half-open, closed).',
      labelNames: ['cluster', 'endpoint', 'to'],
      registers,
    });
    this.cache = new Counter({
      name: 'netlab_proxy_cache_total',
      help: 'Requests on cached routes: HIT, MISS, REVALIDATED, STALE, UNCACHED (sent upstream uncached), PURGE, PURGE_REFUSED.',
      labelNames: ['result'],
      registers,
    });
    this.gateway = new Counter({
      name: 'netlab_proxy_gateway_total',
      help: 'API gateway decisions by route: authorized, unauthorized (401), forbidden (403), keys_unavailable (503), key_missing (400), in_progress (409), key_reused (422), replayed (the stored answer), forwarded (a new key).',
      labelNames: ['route', 'outcome'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'netlab_proxy_requests_in_flight', help: 'Requests being handled now.', registers });
    new Gauge({
      name: 'netlab_proxy_endpoint_state',
      help: 'Endpoint state: 1 for the state it is in, 0 for the others.',
      labelNames: ['cluster', 'endpoint', 'state'],
      registers,
      collect() {
        this.reset();
        for (const r of endpoints()) for (const s of STATES) this.set({ cluster: r.cluster, endpoint: r.endpoint, state: s }, r.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'netlab_proxy_endpoint_up',
      help: 'Endpoint may take new requests (healthy, not ejected, not draining): 1 or 0.',
      labelNames: ['cluster', 'endpoint'],
      registers,
      collect() {
        this.reset();
        for (const r of endpoints()) this.set({ cluster: r.cluster, endpoint: r.endpoint }, r.state === 'healthy' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'netlab_proxy_endpoint_active_requests',
      help: 'Requests open on the endpoint now.',
      labelNames: ['cluster', 'endpoint'],
      registers,
      collect() {
        this.reset();
        for (const r of endpoints()) this.set({ cluster: r.cluster, endpoint: r.endpoint }, r.active);
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
