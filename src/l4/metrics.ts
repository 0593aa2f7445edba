// The L4 balancer's metrics in Prometheus form (prom-client), one registry per balancer process:
// connections by outcome, what was refused and why, bytes each way, connections open now, UDP
// datagrams forwarded and dropped, and the endpoints' health as the balancer sees it.
//
// The TCP balancer's per-connection figures (connections by outcome, bytes each way, connections
// open now) are not handed to prom-client per connection: they add up in plain numbers here
// (tcpEnded, activeSource) and go to the prom-client metrics when they are read (their `collect`,
// run by registry.metrics() and get()), with the same names, labels and values.

import { Counter, Gauge, Registry } from 'prom-client';

interface EndedSeries {
  readonly labels: { listener: string; cluster: string; endpoint: string; end: string };
  count: number;
  handed: number;
}

interface BytesSeries {
  readonly listener: string;
  up: number;
  down: number;
  handedUp: number;
  handedDown: number;
  created: boolean;
}

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
  private readonly ended = new Map<string, EndedSeries>();
  private readonly bytesBy = new Map<string, BytesSeries>();
  private readonly activeBy = new Map<string, () => number>();

  constructor() {
    const registers = [this.registry];
    const self = this;
    this.connections = new Counter({
      name: 'netlab_l4_connections_total',
      help: 'TCP connections balanced, by how they ended',
      labelNames: ['listener', 'cluster', 'endpoint', 'end'],
      registers,
      collect() {
        for (const e of self.ended.values()) {
          if (e.count === e.handed) continue;
          this.inc(e.labels, e.count - e.handed);
          e.handed = e.count;
        }
      },
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
      collect() {
        for (const b of self.bytesBy.values()) {
          // A series exists from the first connection that ended, with 0 when no byte went that way.
          if (b.up !== b.handedUp || !b.created) this.inc({ listener: b.listener, direction: 'up' }, b.up - b.handedUp);
          if (b.down !== b.handedDown || !b.created) this.inc({ listener: b.listener, direction: 'down' }, b.down - b.handedDown);
          b.handedUp = b.up;
          b.handedDown = b.down;
          b.created = true;
        }
      },
    });
    this.active = new Gauge({
      name: 'netlab_l4_active_connections',
      help: 'TCP connections open now',
      labelNames: ['listener'],
      registers,
      collect() {
        for (const [listener, count] of self.activeBy) this.set({ listener }, count());
      },
    });
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

  /** A TCP connection ended: counted in netlab_l4_connections_total and netlab_l4_bytes_total. */
  tcpEnded(listener: string, cluster: string, endpoint: string, end: string, bytesUp: number, bytesDown: number): void {
    const key = `${listener}\u0000${cluster}\u0000${endpoint}\u0000${end}`;
    const e = this.ended.get(key);
    if (e === undefined) this.ended.set(key, { labels: { listener, cluster, endpoint, end }, count: 1, handed: 0 });
    else e.count++;
    const b = this.bytesBy.get(listener);
    if (b === undefined) this.bytesBy.set(listener, { listener, up: bytesUp, down: bytesDown, handedUp: 0, handedDown: 0, created: false });
    else {
      b.up += bytesUp;
      b.down += bytesDown;
    }
  }

  /**
   * netlab_l4_active_connections{listener} reads `count` when the metrics are read (from the first
   * connection the listener accepted on).
   */
  activeSource(listener: string, count: () => number): void {
    this.activeBy.set(listener, count);
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
