// The proxy's Prometheus metrics (prom-client, one registry per proxy so two proxies in one process
// never mix): request latency histograms by route, cluster, endpoint, method and status; counters of
// requests, retries and upstream failures; and per-endpoint gauges for health state and requests in
// flight, read from the balancers when scraped.
//
// The per-request metrics are counted here, per label set, and handed to the registry when it is
// scraped: prom-client's observe() builds and checks a label hash on every call, which is a visible
// share of a small proxied request. The text scraped is the same (names, labels and their order,
// buckets, series in the order first seen).

import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import type { EndpointState } from '../balance/index.ts';

export interface EndpointRow {
  readonly cluster: string;
  readonly endpoint: string;
  readonly state: EndpointState;
  readonly active: number;
}

const STATES: readonly EndpointState[] = ['healthy', 'unhealthy', 'ejected', 'draining'];

interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** One value line as prom-client's registry formats it (the shape its own histograms hand over). */
interface ValueLine {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
  readonly exemplar?: null;
}

/**
 * A Prometheus histogram kept per label set under a key the caller builds (no label hashing per
 * observation), registered in a prom-client registry, whose text it matches: for each series, the
 * cumulative buckets (le first), +Inf, _sum and _count.
 */
export class LabelledHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private series = new Map<string, HistogramSeries>();

  constructor(config: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[]; registers: readonly Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    for (const r of config.registers) r.registerMetric(this as unknown as Metric);
  }

  /**
   * Observes `value` for the series `key`. False when there is no such series yet: then addSeries()
   * and observe again (so the labels object is built once per series, not per observation).
   */
  observeKeyed(key: string, value: number): boolean {
    const s = this.series.get(key);
    if (s === undefined) return false;
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: value is not a valid number: ${value}`);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
    return true;
  }

  /** A new series under `key`, with its labels in the order they are to print. */
  addSeries(key: string, labels: Readonly<Record<L, string>>): void {
    if (!this.series.has(key)) this.series.set(key, { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 });
  }

  /** prom-client's form: observe({label: value, ...}, value). */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    let key = '';
    for (const n of this.labelNames) key += `${labels[n]}\u0000`;
    if (this.observeKeyed(key, value)) return;
    this.addSeries(key, { ...labels });
    this.observeKeyed(key, value);
  }

  reset(): void {
    this.series = new Map();
  }

  private lines(): ValueLine[] {
    const out: ValueLine[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i];
        out.push({ labels: { le: this.bounds[i] }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      }
      out.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return out;
  }

  /** What the registry's text format reads. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: ValueLine[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: this.lines(), aggregator: this.aggregator };
  }

  /** What the registry's JSON reads: each line's labels with the series' labels. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
    aggregator: string;
  }> {
    const values = this.lines().map(({ sharedLabels, ...l }) => ({ ...l, labels: { ...l.labels, ...sharedLabels } }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** Counts per label set, added to a prom-client counter when it is collected (scraped). */
class PendingCounts {
  private readonly pending = new Map<string, { readonly labels: Readonly<Record<string, string>>; n: number }>();

  /** Counts one for `key`; false when the key is new (then addKey()). */
  add(key: string): boolean {
    const p = this.pending.get(key);
    if (p === undefined) return false;
    p.n++;
    return true;
  }

  addKey(key: string, labels: Readonly<Record<string, string>>): void {
    if (!this.pending.has(key)) this.pending.set(key, { labels, n: 1 });
  }

  /** Hands what was counted to `counter` (the label sets stay, in the order first seen). */
  flush(counter: { inc(labels: Record<string, string>, value: number): void }): void {
    for (const p of this.pending.values()) {
      if (p.n === 0) continue;
      counter.inc({ ...p.labels }, p.n);
      p.n = 0;
    }
  }
}

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly duration: LabelledHistogram<'route' | 'cluster' | 'endpoint' | 'method' | 'status'>;
  readonly upstreamDuration: LabelledHistogram<'cluster' | 'endpoint' | 'status'>;
  private readonly requestCounts = new PendingCounts();
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
  /** The label set of the last request observed, with its keys. */
  private lastRequest = { route: '', cluster: '', endpoint: '', method: '', status: -1, key: '', hkey: '' };
  /** The label set of the last upstream head observed, with its key. */
  private lastHead = { cluster: '', endpoint: '', status: -1, key: '' };

  /**
   * @param active requests being handled now (the in-flight gauge reads it when scraped)
   * @param endpoints the endpoints' states and requests open, read when scraped
   */
  constructor(active: () => number, endpoints: () => readonly EndpointRow[]) {
    const registers = [this.registry];
    const pendingRequests = this.requestCounts;
    const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    this.duration = new LabelledHistogram({
      name: 'netlab_proxy_request_duration_seconds',
      help: 'Time from the request head to the end of the response, by route, cluster, endpoint, method and status.',
      labelNames: ['route', 'cluster', 'endpoint', 'method', 'status'],
      buckets,
      registers,
    });
    this.upstreamDuration = new LabelledHistogram({
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
      collect() {
        pendingRequests.flush(this);
      },
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
    this.inFlight = new Gauge({
      name: 'netlab_proxy_requests_in_flight',
      help: 'Requests being handled now.',
      registers,
      collect() {
        this.set(active());
      },
    });
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

  /** One request answered: its latency histogram and the requests counter (status as a number). */
  observeRequest(route: string, cluster: string, endpoint: string, method: string, status: number, seconds: number): void {
    // The keys of the last label set are kept: a proxy sees the same few over and over (no string
    // built and hashed per request then).
    const last = this.lastRequest;
    let key: string;
    let hkey: string;
    if (last.route === route && last.cluster === cluster && last.endpoint === endpoint && last.method === method && last.status === status) {
      key = last.key;
      hkey = last.hkey;
    } else {
      key = `${route}\u0000${cluster}\u0000${method}\u0000${status}`;
      hkey = `${key}\u0000${endpoint}`;
      this.lastRequest = { route, cluster, endpoint, method, status, key, hkey };
    }
    if (!this.duration.observeKeyed(hkey, seconds)) {
      this.duration.addSeries(hkey, { route, cluster, endpoint, method, status: String(status) });
      this.duration.observeKeyed(hkey, seconds);
    }
    if (!this.requestCounts.add(key)) this.requestCounts.addKey(key, { route, cluster, method, status: String(status) });
  }

  /** An upstream's response head arrived after `seconds`. */
  observeUpstreamHead(cluster: string, endpoint: string, status: number, seconds: number): void {
    const last = this.lastHead;
    let key: string;
    if (last.cluster === cluster && last.endpoint === endpoint && last.status === status) key = last.key;
    else {
      key = `${cluster}\u0000${endpoint}\u0000${status}`;
      this.lastHead = { cluster, endpoint, status, key };
    }
    if (this.upstreamDuration.observeKeyed(key, seconds)) return;
    this.upstreamDuration.addSeries(key, { cluster, endpoint, status: String(status) });
    this.upstreamDuration.observeKeyed(key, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
