// The L4 balancer's metrics in Prometheus form (prom-client), one registry per balancer process:
// connections by outcome, what was refused and why, bytes each way, connections open now, UDP
// datagrams forwarded and dropped, and the endpoints' health as the balancer sees it.

import { Counter, Gauge, Registry } from 'prom-client';

export class L4Metrics {
  readonly registry = new Registry();
  readonly connections: Counter<'listener' | 'cluster' | 'endpoint' | 'end'>;
  readonly refused: Counter<'listener' | 'reason'>;
  readonly connectFailures: Counter<'listener' | 'endpoint'>;
  readonly bytes: Counter<'listener' | 'direction'>;
  readonly active: Gauge<'listener'>;
  readonly datagrams: Counter<'listener' | 'direction'>;
  readonly dropped: Counter<'listener' | 'reason'>;
  readonly sessions: Gauge<'listener'>;

  constructor() {
    const registers = [this.registry];
    this.connections = new Counter({
      name: 'netlab_l4_connections_total',
      help: 'TCP connections balanced, by how they ended',
      labelNames: ['listener', 'cluster', 'endpoint', 'end'],
      registers,
    });
    this.refused = new Counter({
      name: 'netlab_l4_refused_total',
      help: 'TCP connections closed without an upstream, by reason',
      labelNames: ['listener', 'reason'],
      registers,
    });
    this.connectFailures = new Counter({
      name: 'netlab_l4_connect_failures_total',
      help: 'Upstream connects that failed',
      labelNames: ['listener', 'endpoint'],
      registers,
    });
    this.bytes = new Counter({
      name: 'netlab_l4_bytes_total',
      help: 'Bytes carried (up: client to upstream)',
      labelNames: ['listener', 'direction'],
      registers,
    });
    this.active = new Gauge({ name: 'netlab_l4_active_connections', help: 'TCP connections open now', labelNames: ['listener'], registers });
    this.datagrams = new Counter({ name: 'netlab_l4_udp_datagrams_total', help: 'UDP datagrams forwarded', labelNames: ['listener', 'direction'], registers });
    this.dropped = new Counter({
      name: 'netlab_l4_udp_dropped_total',
      help: 'UDP datagrams dropped, by reason',
      labelNames: ['listener', 'reason'],
      registers,
    });
    this.sessions = new Gauge({
      name: 'netlab_l4_udp_sessions',
      help: 'UDP flow sessions (or datagrams awaiting a reply) now',
      labelNames: ['listener'],
      registers,
    });
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
