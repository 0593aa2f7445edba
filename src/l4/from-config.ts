// Starting the L4 balancer from a configuration file's contents (src/proxy/config.ts, kind 'l4'):
// one Balancer per cluster (its policy, outlier detection, per-endpoint limit), a HealthChecker with
// a TCP connect probe for the clusters that ask for active checks, and a TcpBalancer or UdpBalancer
// per listener, all sharing one metrics registry.

import { Balancer } from '../balance/balancer.ts';
import { HealthChecker } from '../balance/health-check.ts';
import { cryptoRandom, type Random } from '../base/random.ts';
import { realClock, type NetClock } from '../base/timer-clock.ts';
import { NetlabError } from '../base/errors.ts';
import { clusterBalancerOptions, clusterHealthCheck, type Config } from '../proxy/config.ts';
import { L4Metrics } from './metrics.ts';
import { TcpBalancer, tcpConnectProbe, type TcpCluster } from './tcp-balancer.ts';
import { UdpBalancer } from './udp-balancer.ts';

export interface L4RunOptions {
  readonly clock?: NetClock;
  readonly random?: Random;
  readonly log?: (line: string) => void;
}

export interface L4Listening {
  readonly name: string;
  readonly mode: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

export class L4Service {
  readonly metrics = new L4Metrics();
  readonly clusters = new Map<string, TcpCluster>();
  readonly tcp: TcpBalancer[] = [];
  readonly udp: UdpBalancer[] = [];
  readonly checkers: HealthChecker[] = [];

  constructor(
    readonly config: Config,
    readonly options: L4RunOptions = {},
  ) {
    const clock = options.clock ?? realClock();
    const random = options.random ?? cryptoRandom();
    for (const c of config.clusters) {
      const balancer = new Balancer({ ...clusterBalancerOptions(c), clock, random });
      this.clusters.set(c.name, { name: c.name, balancer, ...(c.sourceAddress === undefined ? {} : { sourceAddress: c.sourceAddress }) });
      const hc = clusterHealthCheck(c);
      if (hc !== undefined) {
        if (c.healthCheck?.type === 'http')
          throw new NetlabError('ERR_CONFIG', `cluster ${c.name}: the L4 balancer checks health with a TCP connect (write healthCheck.type: tcp)`, {
            layer: 'l4',
          });
        const checker = new HealthChecker(clock, (e, signal) => tcpConnectProbe(e, signal, c.sourceAddress), hc);
        checker.setEndpoints(balancer.endpoints);
        checker.onEvent((e) => {
          if (e.change !== undefined) options.log?.(`l4 health ${c.name}/${e.endpoint.name} ${e.change} (${e.detail})`);
        });
        this.checkers.push(checker);
      }
      balancer.onEvent((e) => {
        if (e.type === 'ejected') options.log?.(`l4 outlier ${c.name}/${e.endpoint.name} ejected (${e.reason}) for ${Math.round(e.untilMs - e.at)} ms`);
        if (e.type === 'unejected') options.log?.(`l4 outlier ${c.name}/${e.endpoint.name} back`);
      });
    }
    const cluster = (name: string | undefined): TcpCluster | undefined => (name === undefined ? undefined : this.clusters.get(name));
    for (const l of config.listeners) {
      const common = { name: l.name, host: l.address, port: l.port, clock, metrics: this.metrics, ...(options.log === undefined ? {} : { log: options.log }) };
      const cl = config.clusters.find((c) => c.name === l.cluster);
      if (l.mode === 'tcp') {
        const send = l.proxyProtocol?.send;
        this.tcp.push(
          new TcpBalancer({
            ...common,
            ...(l.cluster === undefined ? {} : { cluster: cluster(l.cluster) }),
            sni: l.sni.map((s) => ({ host: s.host, cluster: cluster(s.cluster) as TcpCluster })),
            noSni: l.noSni,
            ...(send === undefined ? {} : { sendProxy: send === 'v1' ? 1 : 2 }),
            acceptProxyFrom: l.proxyProtocol?.acceptFrom ?? [],
            ...(cl === undefined
              ? {}
              : { connectTimeoutMs: cl.timeouts.connectMs, idleTimeoutMs: cl.timeouts.idleMs, connectAttempts: 1 + (cl.retries?.attempts ?? 2) }),
            ...(l.maxConnections === undefined ? {} : { maxConnections: l.maxConnections }),
          }),
        );
      } else if (l.mode === 'udp') {
        this.udp.push(
          new UdpBalancer({
            ...common,
            cluster: cluster(l.cluster) as TcpCluster,
            mode: l.udpMode,
            idleMs: l.udpIdleMs,
            ...(l.maxConnections === undefined ? {} : { maxSessions: l.maxConnections }),
          }),
        );
      }
    }
  }

  /** Binds every listener and starts the health checks; resolves with where each listens. */
  async start(): Promise<L4Listening[]> {
    const out: L4Listening[] = [];
    try {
      for (const t of this.tcp) {
        const a = await t.listen();
        out.push({ name: t.name, mode: 'tcp', address: a.address, port: a.port });
      }
      for (const u of this.udp) {
        const a = await u.listen();
        out.push({ name: u.name, mode: 'udp', address: a.address, port: a.port });
      }
    } catch (e) {
      await this.close();
      throw new NetlabError('ERR_IO', `cannot listen: ${e instanceof Error ? e.message : String(e)}`, { layer: 'l4', cause: e });
    }
    for (const c of this.checkers) c.start();
    return out;
  }

  /** Stops accepting, lets TCP connections finish for up to `timeoutMs`, then closes everything. */
  async drain(timeoutMs = 30_000): Promise<void> {
    for (const c of this.checkers) c.stop();
    await Promise.all(this.tcp.map((t) => t.drain(timeoutMs)));
    await Promise.all(this.udp.map((u) => u.close()));
  }

  async close(): Promise<void> {
    for (const c of this.checkers) c.stop();
    await Promise.all(this.tcp.map((t) => t.close().catch(() => undefined)));
    await Promise.all(this.udp.map((u) => u.close().catch(() => undefined)));
  }
}
