// The config file's keys for the proxy's features (src/proxy/features): rate limits (on a listener
// or a route), load shedding (the whole proxy), compression (a route) and circuit breakers (a
// cluster). Strict zod objects like the rest of the file (config-schema.ts), units in the names.

import { z } from 'zod';

const ms = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600 * 1000);
const count = z.number().int().min(1).max(1_000_000);

export const RATE_ALGORITHMS = ['token_bucket', 'leaky_bucket', 'fixed_window', 'sliding_log', 'sliding_window'] as const;
export type RateAlgorithm = (typeof RATE_ALGORITHMS)[number];

/** Where a limit's key comes from: the client address, a header, an API key header, or the verified token's user (routes with auth). */
const RATE_KEY = /^(client_address|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|api_key|api_key:[!#$%&'*+.^_`|~0-9A-Za-z-]+|jwt_subject)$/;

export const rateLimitSchema = z
  .strictObject({
    algorithm: z.enum(RATE_ALGORITHMS),
    /** Requests allowed per window (buckets: the capacity, so the burst). */
    limit: count,
    /** The window (buckets: the time to refill or drain a full bucket, unless ratePerSecond says). */
    windowMs: ms,
    /** token_bucket / leaky_bucket: tokens added or units drained per second (default limit / window). */
    ratePerSecond: z.number().positive({ message: 'expected a rate > 0' }).max(1_000_000).optional(),
    /** client_address (default), header:NAME, api_key (X-API-Key), api_key:HEADER or jwt_subject (a route's verified user). */
    key: z.string().regex(RATE_KEY, { message: 'expected client_address, header:NAME, api_key, api_key:HEADER or jwt_subject' }).default('client_address'),
    /** A request without the key's header: counted by its client address, or refused with 400. */
    missingKey: z.enum(['client_address', 'reject']).default('client_address'),
    /** The policy name in the RateLimit fields (default: the listener's or route's name). */
    policy: z
      .string()
      .regex(/^[\x20-\x7e]{1,64}$/, { message: 'expected 1 to 64 printable ASCII characters' })
      .optional(),
    /** Most keys remembered (least recently used forgotten beyond it). */
    maxKeys: count.default(10_000),
  })
  .refine((v) => v.ratePerSecond === undefined || v.algorithm === 'token_bucket' || v.algorithm === 'leaky_bucket', {
    message: 'ratePerSecond is for token_bucket and leaky_bucket only; a window algorithm counts limit per windowMs',
    path: ['ratePerSecond'],
  });

export const loadShedSchema = z
  .strictObject({
    /** Most requests in flight in the whole proxy; beyond it, 503. */
    maxConcurrent: count.optional(),
    /** Event-loop lag (ms) from which a growing share of requests is shed... */
    lagSoftMs: ms.optional(),
    /** ...up to every request at this lag. */
    lagHardMs: ms.optional(),
    /** How often the lag is measured (a timer's lateness). */
    lagSampleMs: ms.default(50),
    /** The lag counted is the worst sample of this last stretch of time. */
    lagWindowMs: ms.default(1000),
    /** The Retry-After seconds of a shed request's 503. */
    retryAfterS: z.number().int().min(0).max(3600).default(1),
  })
  .refine((v) => v.maxConcurrent !== undefined || v.lagHardMs !== undefined, { message: 'expected maxConcurrent, lagHardMs or both' })
  .refine((v) => v.lagSoftMs === undefined || (v.lagHardMs !== undefined && v.lagSoftMs <= v.lagHardMs), {
    message: 'expected lagSoftMs with a lagHardMs at least as large',
  });

export const compressionSchema = z.strictObject({
  /** Smallest body compressed, when its length is known. */
  minSizeBytes: z.number().int().min(0).max(1_000_000_000).default(1024),
  /** Media types compressed: type/subtype or type/* (default: text, JSON, JavaScript, XML, SVG). */
  types: z.array(z.string().regex(/^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/i, { message: 'expected type/subtype or type/*' })).optional(),
  /** Codings offered, preferred first. */
  codings: z
    .array(z.enum(['br', 'gzip']))
    .min(1)
    .default(['br', 'gzip']),
  /** gzip level 1..9 (default 6); brotli quality 0..11 (default 4). */
  gzipLevel: z.number().int().min(1).max(9).default(6),
  brotliQuality: z.number().int().min(0).max(11).default(4),
});

const tripSchema = z.union([
  z.strictObject({ consecutiveFailures: z.number().int().min(1).max(1000) }),
  z.strictObject({
    /** Trip at this share of failures (0..1] among at least minRequests in windowMs. */
    failureRate: z.number().gt(0).max(1),
    minRequests: z.number().int().min(1).max(1_000_000),
    windowMs: ms,
  }),
]);

export const endpointBreakerSchema = z.strictObject({
  /** What trips the breaker: consecutive failures (a 5xx or no response), or a failure rate. */
  trip: tripSchema.default({ consecutiveFailures: 5 }),
  /** Open this long before probing... */
  openMs: ms.default(10_000),
  /** ...doubling after each failed probe up to this (default openMs). */
  maxOpenMs: ms.optional(),
  /** Probe requests at once in half-open. */
  probes: z.number().int().min(1).max(1000).default(1),
  /** Probe successes that close it. */
  successesToClose: z.number().int().min(1).max(1000).default(1),
});

/** Envoy's four cluster thresholds; a request over one gets 503 and X-Netlab-Overflow naming it. */
export const circuitBreakersSchema = z.strictObject({
  maxConnections: count.default(1024),
  maxPendingRequests: count.default(1024),
  maxRequests: count.default(1024),
  maxRetries: z.number().int().min(0).max(1_000_000).default(3),
  /** A breaker per endpoint (closed / open / half-open); the balancer skips an open one. */
  endpoint: endpointBreakerSchema.optional(),
});

/** The proxy's response cache (top level); routes opt in with `cache: true`. */
export const cacheSchema = z.strictObject({
  /** Most bytes held (bodies, headers, keys); least recently used responses are evicted beyond it. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 ** 3),
  /** Largest single response stored (default maxBytes / 8). */
  maxEntryBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 ** 3)
    .optional(),
  /** Addresses (CIDR) allowed to send PURGE. */
  purgeFrom: z.array(z.string()).default(['127.0.0.1', '::1']),
});

export type CacheConfig = z.output<typeof cacheSchema>;
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
export type LoadShedConfig = z.output<typeof loadShedSchema>;
export type CompressionConfig = z.output<typeof compressionSchema>;
export type CircuitBreakersConfig = z.output<typeof circuitBreakersSchema>;
export type EndpointBreakerConfig = z.output<typeof endpointBreakerSchema>;
