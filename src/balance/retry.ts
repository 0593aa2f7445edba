// When to try another endpoint, and how long to wait first: the pure part of retries, shared by the
// proxy (a request) and the L4 balancer (a connect that failed before any byte went out).
//  - Only idempotent methods are retried unless told otherwise (RFC 9110 §9.2.2): a POST that
//    reached the upstream may have done its work once already.
//  - Only the failures on the retry-on list count (connect_failure, reset, timeout, 5xx, 502, 503, 504).
//  - A retry budget caps retries in flight at a percentage of requests in flight (never below a
//    minimum), so retries cannot multiply the load on an upstream that is already failing.
//  - Backoff is exponential with full jitter: retry N waits a uniform random time in
//    [0, min(max, base × (2^N − 1))], as Envoy does, so clients that failed together do not retry together.

import { NetlabRangeError } from '../base/errors.ts';
import type { Random } from '../base/random.ts';
import type { FailureKind } from './policy.ts';

export type RetryOn = 'connect_failure' | 'reset' | 'timeout' | '5xx' | '502' | '503' | '504';

/** RFC 9110 §9.2.2: methods whose repetition has the same effect as doing them once. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** The retry-on entry that an outcome matches, or undefined when it is not retryable under `retryOn`. */
export function retryReason(outcome: { status?: number; error?: FailureKind }, retryOn: readonly RetryOn[]): RetryOn | undefined {
  if (outcome.error === 'connect') return retryOn.includes('connect_failure') ? 'connect_failure' : undefined;
  if (outcome.error === 'reset') return retryOn.includes('reset') ? 'reset' : undefined;
  if (outcome.error === 'timeout') return retryOn.includes('timeout') ? 'timeout' : undefined;
  if (outcome.error !== undefined) return undefined;
  const s = outcome.status;
  if (s === undefined || s < 500 || s > 599) return undefined;
  const exact = String(s) as RetryOn;
  if (retryOn.includes(exact)) return exact;
  return retryOn.includes('5xx') ? '5xx' : undefined;
}

/** Full-jitter exponential backoff before retry number `retry` (1 for the first retry). */
export function backoffMs(retry: number, baseMs: number, maxMs: number, random: Random): number {
  if (!(Number.isInteger(retry) && retry >= 1)) throw new NetlabRangeError(`backoff: retry must be a whole number >= 1, got ${retry}`, { layer: 'balance' });
  const upper = Math.min(maxMs, baseMs * (2 ** Math.min(retry, 30) - 1));
  return Math.floor((random.uint32() / 0x1_0000_0000) * (upper + 1));
}

export interface RetryBudgetOptions {
  /** Retries in flight may be at most this percentage of requests in flight. Default 20. */
  readonly percent?: number;
  /** ...but at least this many retries at once are always allowed. Default 3. */
  readonly minConcurrent?: number;
}

/** Counts requests and retries in flight; a retry may start only while the budget allows. */
export class RetryBudget {
  readonly percent: number;
  readonly minConcurrent: number;
  private requests = 0;
  private retries = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.percent = options.percent ?? 20;
    this.minConcurrent = options.minConcurrent ?? 3;
    if (!(this.percent >= 0 && this.percent <= 100)) throw new NetlabRangeError(`retry budget: percent must be 0..100, got ${this.percent}`, { layer: 'balance' });
    if (!(Number.isInteger(this.minConcurrent) && this.minConcurrent >= 0)) throw new NetlabRangeError(`retry budget: minConcurrent must be a whole number >= 0, got ${this.minConcurrent}`, { layer: 'balance' });
  }

  get inFlight(): { requests: number; retries: number } {
    return { requests: this.requests, retries: this.retries };
  }

  /** How many retries may be in flight now. */
  get limit(): number {
    return Math.max(this.minConcurrent, Math.floor((this.requests * this.percent) / 100));
  }

  requestStarted(): void {
    this.requests++;
  }

  requestFinished(): void {
    this.requests = Math.max(0, this.requests - 1);
  }

  /** Takes a retry from the budget; false (and nothing taken) when it is spent. */
  tryStartRetry(): boolean {
    if (this.retries >= this.limit) return false;
    this.retries++;
    return true;
  }

  retryFinished(): void {
    this.retries = Math.max(0, this.retries - 1);
  }
}

export interface RetryPolicyOptions {
  /** Retries after the first try. Default 1. */
  readonly attempts?: number;
  /** Default connect_failure, reset, 503. */
  readonly retryOn?: readonly RetryOn[];
  /** Retry methods that are not idempotent too. Default false. */
  readonly nonIdempotent?: boolean;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

export type RetryDecision =
  | { readonly retry: true; readonly reason: RetryOn; readonly delayMs: number; readonly retryNumber: number }
  | { readonly retry: false; readonly why: 'not_retryable' | 'not_idempotent' | 'attempts_used' | 'budget_spent' };

/** Decides, after a failed try, whether to try again and after how long. */
export class RetryPolicy {
  readonly attempts: number;
  readonly retryOn: readonly RetryOn[];
  readonly nonIdempotent: boolean;
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(
    options: RetryPolicyOptions,
    private readonly random: Random,
    readonly budget: RetryBudget = new RetryBudget(),
  ) {
    this.attempts = options.attempts ?? 1;
    this.retryOn = options.retryOn ?? ['connect_failure', 'reset', '503'];
    this.nonIdempotent = options.nonIdempotent ?? false;
    this.baseMs = options.backoff?.baseMs ?? 25;
    this.maxMs = options.backoff?.maxMs ?? 250;
    if (!(Number.isInteger(this.attempts) && this.attempts >= 0)) throw new NetlabRangeError(`retries: attempts must be a whole number >= 0, got ${this.attempts}`, { layer: 'balance' });
    if (!(this.baseMs > 0 && this.maxMs >= this.baseMs)) throw new NetlabRangeError(`retries: backoff needs 0 < baseMs <= maxMs, got ${this.baseMs} and ${this.maxMs}`, { layer: 'balance' });
  }

  /**
   * After try number `triesSoFar` (1 = the first try failed) of a request with `method` ended with
   * `outcome`. A connect failure is retried whatever the method: nothing reached the upstream. When the
   * answer is yes, the retry has been taken from the budget: call budget.retryFinished() when it ends.
   */
  decide(method: string, triesSoFar: number, outcome: { status?: number; error?: FailureKind }): RetryDecision {
    const reason = retryReason(outcome, this.retryOn);
    if (reason === undefined) return { retry: false, why: 'not_retryable' };
    if (reason !== 'connect_failure' && !this.nonIdempotent && !isIdempotent(method)) return { retry: false, why: 'not_idempotent' };
    if (triesSoFar > this.attempts) return { retry: false, why: 'attempts_used' };
    if (!this.budget.tryStartRetry()) return { retry: false, why: 'budget_spent' };
    return { retry: true, reason, delayMs: backoffMs(triesSoFar, this.baseMs, this.maxMs, this.random), retryNumber: triesSoFar };
  }
}
