// A discrete-event run of a Balancer on a ManualClock: requests arrive at a fixed gap from a fixed set
// of client addresses, each endpoint answers after its own service time (the first byte then the end),
// and the run counts where each request went. No sockets and no waiting: time moves by advance().

import { ManualClock } from '../../src/base/timer-clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { Balancer, type BalancerOptions, type EndpointSpec, type PolicyConfig, type PolicyName } from '../../src/balance/index.ts';

export interface SimOptions {
  readonly requests: number;
  /** Time between arrivals. */
  readonly gapMs: number;
  /** Service time per endpoint name (default 1 ms). */
  readonly serviceMs?: Readonly<Record<string, number>>;
  /** Status per endpoint name (default 200). */
  readonly status?: Readonly<Record<string, number>>;
  /** Distinct client addresses, used in turn (default 100). */
  readonly clients?: number;
}

export interface SimResult {
  readonly counts: Record<string, number>;
  /** Most requests open at once on each endpoint. */
  readonly peakActive: Record<string, number>;
  readonly unserved: number;
  readonly balancer: Balancer;
  readonly clock: ManualClock;
}

export const THREE: readonly EndpointSpec[] = [
  { name: 'a', address: '127.0.0.1', port: 8001, weight: 3 },
  { name: 'b', address: '127.0.0.1', port: 8002, weight: 2 },
  { name: 'c', address: '127.0.0.1', port: 8003, weight: 1 },
];

export function clientAddress(i: number): string {
  return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function simulate(policy: PolicyName | PolicyConfig, endpoints: readonly EndpointSpec[], sim: SimOptions, extra: Partial<BalancerOptions> = {}): SimResult {
  const clock = new ManualClock();
  const balancer = new Balancer({ endpoints, policy, clock, random: seededRandom('balance-sim'), ...extra });
  const counts: Record<string, number> = Object.fromEntries(endpoints.map((e) => [e.name, 0]));
  const peakActive: Record<string, number> = Object.fromEntries(endpoints.map((e) => [e.name, 0]));
  const clients = sim.clients ?? 100;
  let unserved = 0;
  for (let i = 0; i < sim.requests; i++) {
    const r = balancer.pick({ clientAddress: clientAddress(i % clients) });
    if (r.endpoint === undefined) {
      unserved++;
    } else {
      const e = r.endpoint;
      counts[e.name]++;
      const attempt = balancer.begin(e);
      peakActive[e.name] = Math.max(peakActive[e.name], e.active);
      const service = sim.serviceMs?.[e.name] ?? 1;
      const status = sim.status?.[e.name] ?? 200;
      clock.setTimer(() => attempt.firstByte(), service);
      clock.setTimer(() => attempt.finish({ status }), service);
    }
    clock.advance(sim.gapMs);
  }
  clock.advance(1_000_000);
  return { counts, peakActive, unserved, balancer, clock };
}
