// The proxy's per-request metrics are counted per label set and handed to prom-client when scraped
// (src/proxy/metrics.ts). Their text must be what prom-client's own Histogram and Counter print for
// the same observations: same names, labels and their order, buckets, series order, sums.

import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelledHistogram, ProxyMetrics } from '../../src/proxy/metrics.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Values on bucket bounds, between them, above every bound, and repeated series.
const SAMPLES: [string, string, string, string, number, number][] = [
  ['all', 'up', 'u1', 'GET', 200, 0.0004],
  ['all', 'up', 'u2', 'GET', 200, 0.001],
  ['all', 'up', 'u1', 'POST', 502, 0.3],
  ['api', 'up', '-', 'GET', 404, 31],
  ['all', 'up', 'u1', 'GET', 200, 0.0025],
  ['all', 'up', 'u1', 'GET', 200, 0.1 + 0.2],
  ['all', 'up', 'u2', 'GET', 200, 7],
];

describe('proxy metrics text', () => {
  it('a LabelledHistogram prints what a prom-client Histogram prints for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const labelNames = ['route', 'cluster', 'endpoint', 'method', 'status'] as const;
    const a = new LabelledHistogram({ name: 'h_seconds', help: 'Help text.', labelNames, buckets: BUCKETS, registers: [ours] });
    const b = new Histogram({ name: 'h_seconds', help: 'Help text.', labelNames: [...labelNames], buckets: BUCKETS, registers: [theirs] });
    for (const [route, cluster, endpoint, method, status, v] of SAMPLES) {
      const labels = { route, cluster, endpoint, method, status: String(status) };
      a.observe(labels, v);
      b.observe(labels, v);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.001",route="all",cluster="up",endpoint="u2",method="GET",status="200"} 1');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(() => a.observe({ route: 'x', cluster: 'x', endpoint: 'x', method: 'GET', status: '200' }, Number.NaN)).toThrow(/not a valid number/);
  });

  it("ProxyMetrics' request histogram, counter and in-flight gauge print as prom-client would have", async () => {
    let active = 3;
    const m = new ProxyMetrics(
      () => active,
      () => [],
    );
    const theirs = new Registry();
    const h = new Histogram({
      name: 'netlab_proxy_request_duration_seconds',
      help: m.duration.help,
      labelNames: ['route', 'cluster', 'endpoint', 'method', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const c = new Counter({
      name: 'netlab_proxy_requests_total',
      help: 'Requests answered, by route, cluster, method and status.',
      labelNames: ['route', 'cluster', 'method', 'status'],
      registers: [theirs],
    });
    const u = new Histogram({
      name: 'netlab_proxy_upstream_header_seconds',
      help: m.upstreamDuration.help,
      labelNames: ['cluster', 'endpoint', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const pick = async (text: string, prefix: string): Promise<string> =>
      text
        .split('\n')
        .filter((l) => l.includes(prefix))
        .join('\n');
    for (let round = 0; round < 2; round++) {
      // Two scrapes: counts handed over at the first must not be handed over again at the second.
      for (const [route, cluster, endpoint, method, status, v] of SAMPLES) {
        m.observeRequest(route, cluster, endpoint, method, status, v);
        h.observe({ route, cluster, endpoint, method, status: String(status) }, v);
        c.inc({ route, cluster, method, status: String(status) });
        m.observeUpstreamHead(cluster, endpoint, status, v / 2);
        u.observe({ cluster, endpoint, status: String(status) }, v / 2);
      }
      const ours = await m.text();
      const want = await theirs.metrics();
      for (const name of ['netlab_proxy_request_duration_seconds', 'netlab_proxy_requests_total', 'netlab_proxy_upstream_header_seconds'])
        expect(await pick(ours, name)).toBe(await pick(want, name));
      expect(ours).toContain(`netlab_proxy_requests_total{route="all",cluster="up",method="GET",status="200"} ${5 * (round + 1)}`);
      expect(ours).toContain(`netlab_proxy_requests_in_flight ${active}`);
      active = 0;
    }
  });
});
