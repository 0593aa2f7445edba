// The authoritative DNS server on real sockets: UDP and TCP on one address and port (port 0 picks a
// free one, the same for both), answers from auth-answer.ts. TCP takes several queries per
// connection (pipelined, RFC 7766 §6.2.1) with its resources bounded (tcp-connections.ts: in-flight
// queries and backpressure, `maxTcpConnections` in all and a share per client, idle, slow-sender and
// slow-reader timeouts, descriptor shortages). Each query is a 'query' event (and counted in `stats`) for labs;
// health-check state changes of failover records are 'health' events. `close()` closes the
// sockets, every TCP connection and the health checker, and resolves when all are gone.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, isIP, type AddressInfo, type Server } from 'node:net';
import { dnsRcodeName } from '../wire/dns-types.ts';
import { AuthResponder, type AnswerMeta } from './auth-answer.ts';
import { Failover, type FailoverRule } from './auth-failover.ts';
import { checkFaults, type FaultSpec } from './faults.ts';
import type { HealthChange, HealthCheckOptions } from './health.ts';
import { ViewTable, type ViewSpec } from './views.ts';
import type { RRset, Zone } from './zone.ts';
import { nameKey } from './zone.ts';
import { ZoneSet } from './zone-set.ts';
import { DnsTcpConnections, type DnsTcpLimits, type DnsTcpStats } from './tcp-connections.ts';
import { NetlabError, NetlabRangeError } from '../base/errors.ts';

export interface AuthServerOptions {
  /** The address to serve on (a 127.x address in labs). */
  address: string;
  /** 0 (default) picks a free port for both UDP and TCP; read it from `port` after start(). */
  port?: number;
  zones: readonly Zone[];
  /** Geo answers: views by client network. */
  views?: readonly ViewSpec[];
  /** Failover records and how their addresses are checked. */
  failover?: { rules: readonly FailoverRule[]; health: HealthCheckOptions };
  /** Round-robin rotation of RRsets (default true). */
  rotate?: boolean;
  faults?: readonly FaultSpec[];
  /** UDP payload size advertised in the OPT record (default 1232, the DNS flag day 2020 value). */
  ednsUdpSize?: number;
  /** A TCP connection idle this long is closed (default 10 s). */
  tcpIdleMs?: number;
  /** TCP connections held at once; more are closed at once (default 128). */
  maxTcpConnections?: number;
  /** The other TCP limits: per client, slow senders and readers, in-flight queries (tcp-connections.ts). */
  tcp?: Omit<DnsTcpLimits, 'maxConnections' | 'idleMs'>;
}

export interface AuthQueryEvent extends AnswerMeta {
  client: string;
  clientPort: number;
  transport: 'udp' | 'tcp';
  bytesIn: number;
  /** Reply size (0 when silent). */
  bytesOut: number;
}

export interface AuthServerStats {
  queries: number;
  udp: number;
  tcp: number;
  truncated: number;
  /** Queries not answered (responses, runts, the silence fault). */
  dropped: number;
  byRcode: Record<string, number>;
  byView: Record<string, number>;
  byFault: Record<string, number>;
}

export interface AuthServerEvents {
  query: [AuthQueryEvent];
  health: [HealthChange];
}

function newStats(): AuthServerStats {
  return { queries: 0, udp: 0, tcp: 0, truncated: 0, dropped: 0, byRcode: {}, byView: {}, byFault: {} };
}

export class AuthServer extends EventEmitter<AuthServerEvents> {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections: DnsTcpConnections;
  private readonly responder: AuthResponder;
  private readonly failover: Failover | undefined;
  private started = false;
  port = 0;
  stats: AuthServerStats = newStats();

  constructor(private readonly options: AuthServerOptions) {
    super();
    if (isIP(options.address) === 0) throw new NetlabRangeError(`authoritative server option address must be an IP address, got '${options.address}'`);
    const zones = new ZoneSet(options.zones);
    if (zones.zones.length === 0) throw new NetlabRangeError('authoritative server needs at least one zone');
    const rrsetOf = (name: string, type: number): RRset | undefined => {
      const z = zones.find(name);
      return z?.rrset(nameKey(name), type);
    };
    let views: ViewTable | undefined;
    if (options.views !== undefined && options.views.length > 0) {
      views = new ViewTable(options.views);
      for (const key of views.overriddenKeys()) {
        const [name, type] = key.split('|');
        if (rrsetOf(name, Number(type)) === undefined)
          throw new NetlabRangeError(`a view answers ${name} type ${type}, but no zone of this server has that RRset (give the zone a default one)`);
      }
    }
    if (options.faults !== undefined) checkFaults(options.faults);
    if (options.failover !== undefined) {
      this.failover = new Failover(options.failover.rules, options.failover.health, rrsetOf);
      this.failover.onChange((c) => this.emit('health', c));
    }
    this.connections = new DnsTcpConnections({ ...options.tcp, maxConnections: options.maxTcpConnections, idleMs: options.tcpIdleMs }, (msg, c) =>
      this.answerTcp(msg, c.address, c.port),
    );
    this.responder = new AuthResponder({
      zones,
      views,
      failover: this.failover,
      rotate: options.rotate ?? true,
      faults: options.faults ?? [],
      ednsUdpSize: options.ednsUdpSize ?? 1232,
    });
  }

  /** What the TCP side accepted, refused and closed (limits in tcp-connections.ts). */
  get tcpStats(): DnsTcpStats {
    return this.connections.stats;
  }

  /** TCP connections open now. */
  get tcpConnections(): number {
    return this.connections.size;
  }

  /** The zones served (replace one with `zones.replace(zone)`). */
  get zones(): ZoneSet {
    return this.responder.policy.zones;
  }

  /** Replaces the fault list (an empty list ends fault injection). */
  setFaults(faults: readonly FaultSpec[]): void {
    checkFaults(faults);
    this.responder.policy.faults = faults;
  }

  /** The failover health checker, when failover rules are set. */
  get health(): Failover | undefined {
    return this.failover;
  }

  async start(): Promise<void> {
    if (this.started) throw new NetlabError('ERR_STATE', 'authoritative server already started');
    const wanted = this.options.port ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bind(wanted);
        break;
      } catch (err) {
        await this.closeSockets();
        const code = (err as NodeJS.ErrnoException).code;
        // Port 0: the free TCP port may be taken for UDP; try another.
        if (wanted !== 0 || code !== 'EADDRINUSE' || attempt >= 8) throw err;
      }
    }
    this.started = true;
    this.failover?.start();
  }

  private async bind(wanted: number): Promise<void> {
    const { address } = this.options;
    const tcp = createServer();
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(wanted, address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.connections.attach(tcp);
    this.port = (tcp.address() as AddressInfo).port;
    const udp = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      const r = this.responder.respond(msg, rinfo.address, false);
      if (r.bytes !== undefined) udp.send(r.bytes, rinfo.port, rinfo.address);
      this.record(r.meta, rinfo.address, rinfo.port, 'udp', msg.length, r.bytes?.length ?? 0);
    });
  }

  private answerTcp(msg: Uint8Array, client: string, clientPort: number): Uint8Array | undefined {
    const r = this.responder.respond(msg, client, true);
    this.record(r.meta, client, clientPort, 'tcp', msg.length, r.bytes?.length ?? 0);
    return r.bytes;
  }

  private record(meta: AnswerMeta, client: string, clientPort: number, transport: 'udp' | 'tcp', bytesIn: number, bytesOut: number): void {
    const st = this.stats;
    st.queries++;
    st[transport]++;
    if (bytesOut === 0) st.dropped++;
    else {
      if (meta.tc) st.truncated++;
      const rc = dnsRcodeName(meta.rcode);
      st.byRcode[rc] = (st.byRcode[rc] ?? 0) + 1;
    }
    if (meta.view !== undefined) st.byView[meta.view] = (st.byView[meta.view] ?? 0) + 1;
    if (meta.fault !== undefined) st.byFault[meta.fault] = (st.byFault[meta.fault] ?? 0) + 1;
    if (this.listenerCount('query') > 0) this.emit('query', { ...meta, client, clientPort, transport, bytesIn, bytesOut });
  }

  private async closeSockets(): Promise<void> {
    this.connections.closeAll();
    const udp = this.udp;
    this.udp = undefined;
    if (udp !== undefined)
      await new Promise<void>((resolve) => {
        try {
          udp.close(() => resolve());
        } catch {
          resolve(); // never bound
        }
      });
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp?.listening) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  /** Stops serving: sockets, TCP connections and health checks. Safe to call twice. */
  async close(): Promise<void> {
    this.started = false;
    await this.failover?.stop();
    await this.closeSockets();
  }
}
