// The proxy's counter of connections above a listener's maxConnections (src/http/accept-queue.ts):
// how many waited, were served after waiting, or were answered 503, by listener. Registered on the
// proxy's own registry the first time a listener's queue reports, so /metrics shows it beside the rest.

import { Counter, type Registry } from 'prom-client';
import type { AcceptQueueEvent } from '../http/index.ts';

const counters = new WeakMap<Registry, Counter<'listener' | 'outcome'>>();

function counterOf(registry: Registry): Counter<'listener' | 'outcome'> {
  let c = counters.get(registry);
  if (c === undefined) {
    c = new Counter({
      name: 'netlab_proxy_listener_queue_total',
      help: 'Connections above a listener maxConnections, by listener and outcome: queued, served (after waiting), refused_full, refused_timeout, refused_closing (answered 503).',
      labelNames: ['listener', 'outcome'],
      registers: [registry],
    });
    counters.set(registry, c);
  }
  return c;
}

/** Counts one queue event of `listener`. */
export function countQueueEvent(registry: Registry, listener: string, e: AcceptQueueEvent): void {
  const outcome =
    e.type === 'queued'
      ? 'queued'
      : e.type === 'dequeued'
        ? 'served'
        : `refused_${e.reason === 'queue-full' ? 'full' : e.reason === 'queue-timeout' ? 'timeout' : 'closing'}`;
  counterOf(registry).inc({ listener, outcome });
}
