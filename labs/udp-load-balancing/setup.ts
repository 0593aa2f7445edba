// The udp-load-balancing lab's servers: three netlab authoritative DNS servers (dns-1..3 on
// 127.77.1.1-3, one shared port) serving lb.test, where whoami.lb.test TXT names the server that
// answered; netlab's UDP balancer in front of them on 127.77.1.100; clients on 127.77.1.10-12 asking
// with a timeout and retries, as a stub resolver does (glibc: 5 s and 2 tries by default; here
// milliseconds so the lab stays short).

import { createSocket } from 'node:dgram';
import { Balancer, HealthChecker, type Endpoint, type PolicyName } from '../../src/balance/index.ts';
import { realTimerClock, seededRandom, type NetClock, type TimerHandle } from '../../src/base/index.ts';
import { SocketTransport, Zone, type AuthServer, type QueryResult } from '../../src/dns/index.ts';
import { UdpBalancer } from '../../src/l4/index.ts';
import { runQueueWaitMs } from '../../src/lab/index.ts';
import { DNS_TYPE, rdataText } from '../../src/wire/index.ts';
import { startHierarchy, type Hierarchy } from '../dns/servers.ts';
import type { TapSwitch } from '../dns/capture.ts';

export const NAMES = ['dns-1', 'dns-2', 'dns-3'] as const;
export const SERVERS = NAMES.map((name, i) => ({ name, address: `127.77.1.${i + 1}` }));
export const LB_ADDRESS = '127.77.1.100';
export const CLIENTS = ['127.77.1.10', '127.77.1.11', '127.77.1.12'] as const;
export const PROBE_ADDRESS = '127.77.1.99';
export const WHOAMI = 'whoami.lb.test';
export const WWW = 'www.lb.test';
export const WWW_ADDRESS = '192.0.2.80';
/** The client's wait for an answer before it asks again, and how many times it asks in all. */
export const CLIENT_TIMEOUT_MS = 250;
export const CLIENT_TRIES = 3;
export const HEALTH = { intervalMs: 100, timeoutMs: 80, fall: 2, rise: 2 } as const;

function zoneFor(name: string): Zone {
  return Zone.fromText(
    'lb.test',
    `$ORIGIN lb.test.
$TTL 60
@       SOA  ns hostmaster 2026120701 7200 3600 1209600 60
@       NS   ns
ns      A    ${LB_ADDRESS}
www     A    ${WWW_ADDRESS}
whoami  TXT  "${name}"
`,
    `lb.test.${name}.zone`,
  );
}

/** One query as the backends saw it. */
export interface Seen {
  readonly server: string;
  readonly client: string;
  readonly clientPort: number;
  readonly name: string;
}

export interface DnsBackends {
  readonly hierarchy: Hierarchy;
  readonly port: number;
  /** Every query each server answered, in order. */
  readonly seen: Seen[];
  server(name: string): AuthServer;
  close(): Promise<void>;
}

export async function startBackends(): Promise<DnsBackends> {
  const hierarchy = await startHierarchy(SERVERS.map((s) => ({ name: s.name, address: s.address, zones: [zoneFor(s.name)] })));
  const seen: Seen[] = [];
  SERVERS.forEach((s) => {
    hierarchy.get(s.address).on('query', (q) => seen.push({ server: s.name, client: q.client, clientPort: q.clientPort, name: q.name ?? '' }));
  });
  return {
    hierarchy,
    port: hierarchy.port,
    seen,
    server: (name) => hierarchy.get(SERVERS.find((s) => s.name === name)?.address ?? ''),
    close: () => hierarchy.close(),
  };
}

/** A UDP balancer over the three servers. */
export async function startBalancer(
  backends: DnsBackends,
  o: { policy: PolicyName; mode: 'flow' | 'datagram'; idleMs?: number; taps?: TapSwitch; seed?: string },
): Promise<{ lb: UdpBalancer; balancer: Balancer; port: number }> {
  const balancer = new Balancer({
    policy: o.policy,
    endpoints: SERVERS.map((s) => ({ name: s.name, address: s.address, port: backends.port })),
    clock: realTimerClock(),
    random: seededRandom(o.seed ?? 'udp-lb'),
  });
  const lb = new UdpBalancer({
    name: 'dns',
    host: LB_ADDRESS,
    cluster: { name: 'dns', balancer },
    mode: o.mode,
    idleMs: o.idleMs ?? (o.mode === 'datagram' ? 2 * CLIENT_TIMEOUT_MS : 30_000),
    ...(o.taps === undefined ? {} : { tap: o.taps }),
  });
  const a = await lb.listen();
  return { lb, balancer, port: a.port };
}

/** The DNS health probe: whoami.lb.test TXT straight to the server, answered with NOERROR in time. */
export function dnsProbe(): (e: Endpoint) => Promise<{ ok: boolean; detail: string }> {
  // Client, balancer and servers share this process: time the machine gave it no CPU is not a lost probe.
  const transport = new SocketTransport({ localAddress: PROBE_ADDRESS, timeoutMs: HEALTH.timeoutMs, notRunningMs: runQueueWaitMs });
  return async (e) => {
    const r = await transport.query({
      server: { address: e.address, port: e.port },
      question: { name: WHOAMI, type: DNS_TYPE.TXT, class: 1 },
      rd: false,
      tcp: false,
      edns: false,
    });
    if (!r.ok) return { ok: false, detail: r.reason };
    return { ok: r.message.flags.rcode === 0, detail: `rcode ${r.message.flags.rcode}` };
  };
}

/**
 * The machine's clock, except that a timer is put back by the time this thread waited, runnable, for a
 * CPU while it ran (up to 10 times its delay): the checker's intervals and probe timeouts then measure
 * time in which the servers could have answered, not time the machine gave this process no CPU.
 */
export function patientClock(notRunningMs: () => number | undefined = runQueueWaitMs): NetClock {
  const base = realTimerClock();
  const inner = new Map<TimerHandle, TimerHandle>();
  let ids = 0;
  return {
    now: () => base.now(),
    setTimer(fn, ms) {
      const w0 = notRunningMs();
      let moved = 0;
      const handle: TimerHandle = { id: ++ids };
      const fire = (): void => {
        const extra = w0 === undefined ? 0 : Math.min(Math.max(0, (notRunningMs() ?? w0) - w0 - moved), 10 * ms - moved);
        if (extra >= 1) {
          moved += extra;
          inner.set(handle, base.setTimer(fire, extra));
          return;
        }
        inner.delete(handle);
        fn();
      };
      inner.set(handle, base.setTimer(fire, ms));
      return handle;
    },
    clearTimer(handle) {
      const t = inner.get(handle);
      if (t !== undefined) base.clearTimer(t);
      inner.delete(handle);
    },
  };
}

export function healthChecker(balancer: Balancer): HealthChecker {
  const checker = new HealthChecker(patientClock(), dnsProbe(), HEALTH);
  checker.setEndpoints(balancer.endpoints);
  return checker;
}

/** The server named in a whoami answer, or why there is none. */
export function whoOf(r: QueryResult): string {
  if (!r.ok) return r.reason;
  const txt = r.message.answers.find((a) => a.type === DNS_TYPE.TXT);
  return txt === undefined ? '(no TXT)' : rdataText(txt.data).replace(/^"|"$/g, '');
}

export interface Asked {
  readonly n: number;
  readonly client: string;
  /** One entry per try: who answered, or why not. */
  readonly tries: string[];
  readonly ok: boolean;
  readonly ms: number;
  readonly startAt: number;
}

/** A client: asks whoami through the balancer, and asks again after CLIENT_TIMEOUT_MS, up to CLIENT_TRIES times. */
export class Client {
  private readonly transport: SocketTransport;

  constructor(
    readonly address: string,
    private readonly server: () => { address: string; port: number },
    taps?: TapSwitch,
    fixedPort?: number,
    /** Per try. The distribution step waits longer, so that a busy machine's pause is not read as a loss. */
    timeoutMs: number = CLIENT_TIMEOUT_MS,
  ) {
    this.transport = new SocketTransport({
      localAddress: address,
      timeoutMs,
      // The balancer and the servers run in this process: a stretch in which the machine gave it no CPU
      // delays the answer and the clock alike, and is not a lost datagram.
      notRunningMs: runQueueWaitMs,
      ...(taps === undefined ? {} : { tap: taps }),
      ...(fixedPort === undefined ? {} : { nextPort: () => fixedPort }),
    });
  }

  async ask(n: number, t0: number, note?: string): Promise<Asked> {
    const startAt = performance.now() - t0;
    const tries: string[] = [];
    for (let i = 1; i <= CLIENT_TRIES; i++) {
      const r = await this.transport.query({
        server: this.server(),
        question: { name: WHOAMI, type: DNS_TYPE.TXT, class: 1 },
        rd: true,
        tcp: false,
        edns: false,
        note: `${note ?? `client ${this.address}: question ${n}`}, try ${i} of ${CLIENT_TRIES}`,
      });
      tries.push(whoOf(r));
      if (r.ok) return { n, client: this.address, tries, ok: true, ms: performance.now() - t0 - startAt, startAt };
    }
    return { n, client: this.address, tries, ok: false, ms: performance.now() - t0 - startAt, startAt };
  }
}

/** A free UDP port on an address (bound, read back, closed). */
export async function freeUdpPort(address: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** How many of `seen` each server got: [dns-1, dns-2, dns-3]. */
export function perServer(seen: readonly Seen[]): number[] {
  return NAMES.map((n) => seen.filter((s) => s.server === n).length);
}
