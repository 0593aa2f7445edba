// The rate-limits-and-circuit-breakers lab's setup: the backends and the two proxies.
// "timed" runs on a ManualClock (time moves only when a step advances it, so a minute of token refill
// or a 10 s breaker cool-down costs nothing, while the sockets and bytes are real); "live" runs on the
// real clock, because load shedding and connection limits are about requests really in flight.

import { ManualClock } from '../../src/base/index.ts';
import type { StepContext } from '../../src/lab/index.ts';
import { startProxy } from '../../src/proxy/index.ts';
import { Backend, SilentListener } from './parts.ts';
import type { Lab, RateState } from './state.ts';

export const TIMED = '127.185.0.1';
export const LIVE = '127.185.0.2';
export const ALICE = '127.185.2.1';
export const BOB = '127.185.2.2';
/** The window algorithms' limit: 3 a minute. */
export const LIMIT = 3;
export const WINDOW_MS = 60_000;
/** The payment endpoint's breaker: 3 failures in a row open it for 10 s, doubling up to 20 s. */
export const TRIP = 3;
export const OPEN_MS = 10_000;
export const MAX_OPEN_MS = 20_000;
/** Load shedding: 10 requests in flight, each held 100 ms by the backend: 100 requests/s. */
export const MAX_CONCURRENT = 10;
export const SERVICE_MS = 100;
/** The users offering load, each with one keep-alive connection: a burst of 50 every 100 ms. */
export const USERS = 50;

const windowLimit = (algorithm: string, key = 'client_address'): Record<string, unknown> => ({
  algorithm,
  limit: LIMIT,
  windowMs: WINDOW_MS,
  key,
  ...(key === 'api_key' ? { missingKey: 'reject' } : {}),
});

export async function setup(ctx: StepContext<RateState>): Promise<Lab> {
  const orders = await new Backend('orders1', '127.185.1.1').listen();
  const payments = await new Backend('pay1', '127.185.1.2').listen();
  const work = await new Backend('work1', '127.185.1.3').listen();
  const held = await new Backend('held1', '127.185.1.4').listen();
  const silent = await new SilentListener('127.185.1.5').listen();
  const clock = new ManualClock(0);
  const route = (name: string, prefix: string, cluster: string, rateLimit?: Record<string, unknown>, method?: string): Record<string, unknown> => ({
    name,
    match: { path: { prefix }, ...(method === undefined ? {} : { method }) },
    cluster,
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
  const timed = await startProxy(
    {
      listeners: [{ name: 'api', address: TIMED, port: 0 }],
      metrics: {},
      routes: [
        route(
          'orders',
          '/orders',
          'orders',
          { algorithm: 'token_bucket', limit: LIMIT, windowMs: WINDOW_MS, ratePerSecond: ctx.state.tokensPerMinute / 60 },
          'POST',
        ),
        route('browse', '/orders', 'orders'),
        route('fixed', '/fixed', 'orders', windowLimit('fixed_window')),
        route('log', '/log', 'orders', windowLimit('sliding_log')),
        route('counter', '/counter', 'orders', windowLimit('sliding_window')),
        route('leaky', '/leaky', 'orders', windowLimit('leaky_bucket')),
        route('by-client', '/by-client', 'orders', windowLimit('fixed_window')),
        route('by-key', '/by-key', 'orders', windowLimit('fixed_window', 'api_key')),
        route('pay', '/pay', 'payments'),
      ],
      clusters: [
        { name: 'orders', endpoints: [{ name: 'orders1', address: orders.address, port: orders.port }] },
        {
          name: 'payments',
          endpoints: [{ name: 'pay1', address: payments.address, port: payments.port }],
          circuitBreakers: { endpoint: { trip: { consecutiveFailures: TRIP }, openMs: OPEN_MS, maxOpenMs: MAX_OPEN_MS } },
        },
      ],
    },
    { clock, graceMs: 200 },
  );
  const live = await startProxy(
    {
      listeners: [{ name: 'edge', address: LIVE, port: 0 }],
      loadShed: { maxConcurrent: MAX_CONCURRENT, retryAfterS: 1 },
      routes: [route('work', '/work', 'work'), route('held', '/held', 'held'), route('hung', '/hung', 'hung')],
      clusters: [
        { name: 'work', endpoints: [{ name: 'work1', address: work.address, port: work.port }] },
        { name: 'held', endpoints: [{ name: 'held1', address: held.address, port: held.port }], circuitBreakers: { maxConnections: 2 } },
        {
          name: 'hung',
          endpoints: [{ name: 'hung1', address: silent.address, port: silent.port }],
          tls: { verify: false },
          timeouts: { connectMs: 500 },
          circuitBreakers: { maxPendingRequests: 1 },
        },
      ],
    },
    { graceMs: 200 },
  );
  ctx.onLabEnd(async () => {
    await Promise.all([timed.close(200), live.close(200)]);
    await Promise.all([orders.close(), payments.close(), work.close(), held.close(), silent.close()]);
  });
  return { timed, live, clock, orders, payments, work, held, silent };
}
