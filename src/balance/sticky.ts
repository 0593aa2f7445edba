// Sticky sessions: sending a client back to the endpoint that served it.
//  - cookie: the balancer's own cookie whose value is the endpoint's name (a study guide's
//    `LBSESSIONID=server2`); nothing to remember, the client carries it.
//  - app_cookie: the application's session cookie (PHPSESSID); the balancer remembers which endpoint
//    each session value belongs to (learn() when the response sets it, or at the first request).
//  - header: a request header's value, remembered the same way.
//  - client_address: the client's address, remembered the same way (HAProxy's `stick on src`): every
//    client behind one NAT address lands on one endpoint.
// When the remembered endpoint cannot take the request (unhealthy, ejected, draining, gone or
// excluded by a retry), the policy picks again and the decision says so (`repicked`, with the reason),
// so the proxy can set the cookie anew; the table then points at the new endpoint.

import { NetlabRangeError } from '../base/errors.ts';
import type { NetClock } from '../base/timer-clock.ts';
import type { Balancer, PickResult } from './balancer.ts';
import type { Endpoint } from './endpoint.ts';
import type { RequestContext } from './policy.ts';

export type StickyMode = 'cookie' | 'app_cookie' | 'header' | 'client_address';
export const STICKY_MODES: readonly StickyMode[] = ['cookie', 'app_cookie', 'header', 'client_address'];

/** Why a remembered endpoint was not used. */
export type StickyMissReason = 'unknown' | 'unhealthy' | 'ejected' | 'draining' | 'excluded';

export interface StickyDecision {
  /** The pick (undefined endpoint: nothing could take the request; answer 503). */
  readonly result: PickResult;
  readonly endpoint: Endpoint | undefined;
  /** The request went to the endpoint it was stuck to. */
  readonly stuck: boolean;
  /** The request named an endpoint that could not take it, and another was picked. */
  readonly repicked: boolean;
  /** The endpoint the request was stuck to, when it named one. */
  readonly previous?: string;
  readonly reason?: StickyMissReason;
  /** cookie mode: the value the proxy should set (Set-Cookie NAME=value), when it differs from the request's. */
  readonly setCookie?: string;
}

export interface StickyTableOptions {
  /** Most keys remembered; the least recently used goes first. Default 10 000. */
  readonly maxEntries?: number;
  /** A key not seen for this long is forgotten. Default 30 min. */
  readonly idleMs?: number;
}

/** A bounded key -> endpoint-name table with idle expiry and LRU eviction (HAProxy's stick table). */
export class StickyTable {
  readonly maxEntries: number;
  readonly idleMs: number;
  private readonly map = new Map<string, { name: string; seen: number }>();

  constructor(
    private readonly clock: NetClock,
    options: StickyTableOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    if (!(Number.isInteger(this.maxEntries) && this.maxEntries >= 1)) throw new NetlabRangeError(`sticky table: maxEntries must be >= 1, got ${this.maxEntries}`, { layer: 'balance' });
    if (!(this.idleMs > 0)) throw new NetlabRangeError(`sticky table: idleMs must be > 0, got ${this.idleMs}`, { layer: 'balance' });
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    const now = this.clock.now();
    if (now - v.seen >= this.idleMs) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    v.seen = now;
    this.map.set(key, v);
    return v.name;
  }

  set(key: string, endpointName: string): void {
    this.map.delete(key);
    this.map.set(key, { name: endpointName, seen: this.clock.now() });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

export interface StickyOptions extends StickyTableOptions {
  readonly mode: StickyMode;
  /**
   * HAProxy's rule for a draining server: sessions already stuck to it still go there, only new ones
   * do not. Default false: a draining endpoint gets nothing new, stuck or not.
   */
  readonly drainingKeepsSticky?: boolean;
}

export class StickySessions {
  readonly mode: StickyMode;
  readonly table: StickyTable | undefined;
  private readonly drainingKeepsSticky: boolean;

  constructor(
    private readonly balancer: Balancer,
    clock: NetClock,
    options: StickyOptions,
  ) {
    this.mode = options.mode;
    this.drainingKeepsSticky = options.drainingKeepsSticky ?? false;
    this.table = options.mode === 'cookie' ? undefined : new StickyTable(clock, options);
  }

  /**
   * Picks for a request. `key` is what the mode reads from it: the balancer cookie's value (an endpoint
   * name), the application cookie's value, the header's value; for client_address, `key` defaults to
   * ctx.clientAddress. Undefined: the request carries none.
   */
  pick(key: string | undefined, ctx: RequestContext = {}): StickyDecision {
    const k = key ?? (this.mode === 'client_address' ? ctx.clientAddress : undefined);
    let named: string | undefined;
    if (k !== undefined && k !== '') named = this.mode === 'cookie' ? k : this.table?.get(k);
    let reason: StickyMissReason | undefined;
    if (named !== undefined) {
      this.balancer.sweep();
      const e = this.balancer.endpoint(named);
      reason = e === undefined ? 'unknown' : this.missReason(e, ctx);
      if (e !== undefined && reason === undefined) {
        if (k !== undefined && this.table !== undefined) this.table.set(k, e.name);
        return { result: { endpoint: e, failOpen: false }, endpoint: e, stuck: true, repicked: false, previous: named };
      }
    } else if (k !== undefined && k !== '' && this.mode === 'cookie') {
      reason = 'unknown';
    }
    const result = this.balancer.pick(ctx);
    const endpoint = result.endpoint;
    if (endpoint !== undefined && k !== undefined && k !== '' && this.table !== undefined) this.table.set(k, endpoint.name);
    const repicked = named !== undefined || (this.mode === 'cookie' && reason !== undefined);
    const base = { result, endpoint, stuck: false, repicked: repicked && endpoint !== undefined };
    const withPrev = named === undefined ? (this.mode === 'cookie' && k !== undefined && k !== '' ? { previous: k } : {}) : { previous: named };
    const withReason = reason === undefined ? {} : { reason };
    const cookie = this.mode === 'cookie' && endpoint !== undefined && endpoint.name !== k ? { setCookie: endpoint.name } : {};
    return { ...base, ...withPrev, ...withReason, ...cookie };
  }

  /** Remembers that session `key` lives on `endpoint` (app_cookie: the response set the cookie). */
  learn(key: string, endpoint: Endpoint | string): void {
    if (this.table === undefined) return;
    this.table.set(key, typeof endpoint === 'string' ? endpoint : endpoint.name);
  }

  /** Forgets a session (the application cleared its cookie). */
  forget(key: string): void {
    this.table?.delete(key);
  }

  private missReason(e: Endpoint, ctx: RequestContext): StickyMissReason | undefined {
    if (ctx.exclude?.has(e.name)) return 'excluded';
    if (e.draining && !this.drainingKeepsSticky) return 'draining';
    if (e.ejected) return 'ejected';
    if (!e.healthy) return 'unhealthy';
    return undefined;
  }
}
