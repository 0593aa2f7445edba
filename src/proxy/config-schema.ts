// The shape of a proxy (L7) or balancer (L4) configuration file, as zod schemas. Every object is
// strict (an unknown key is an error, so a typo never silently means "use the default"), every field
// that has a default gets it here, and numbers carry their units in their names (intervalMs).
// Cross-references (a route naming a cluster, duplicate names) are checked in config.ts after the
// shape is right.

import { isIP } from 'node:net';
import { z } from 'zod';
import { HASH_NAMES, type HashName } from '../balance/hash.ts';
import { POLICY_NAMES, type PolicyName } from '../balance/policy.ts';
import type { RetryOn } from '../balance/retry.ts';
import { STICKY_MODES, type StickyMode } from '../balance/sticky.ts';
import { forwardListenerSchema } from './config-forward.ts';
import { cacheSchema, circuitBreakersSchema, compressionSchema, loadShedSchema, rateLimitSchema } from './config-features.ts';
import { authSchema, idempotencySchema } from './config-gateway.ts';

/** Names of listeners, routes, clusters and endpoints. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const name = z.string().regex(NAME, { message: 'expected a name of letters, digits, "_", ".", ":" and "-", starting with a letter or digit' });

const port = z.number().int().min(1).max(65535);
const ms = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600 * 1000);
const count = z.number().int().min(1).max(1_000_000);
/** A file path (resolved against the config file's folder). */
const filePath = z.string().min(1);
/** An IP address or a host name (checked in config.ts). */
const hostOrAddress = z.string().min(1).max(253);

/** A number written in YAML as 502 or "502" becomes the string "502". */
function numberAsString(v: unknown): unknown {
  return typeof v === 'number' ? String(v) : v;
}

/** A single string becomes a one-item list. */
function oneOrMany(v: unknown): unknown {
  return typeof v === 'string' || typeof v === 'number' ? [v] : v;
}

/** `policy: round_robin` is short for `policy: { name: round_robin }`. */
function nameOnly(v: unknown): unknown {
  return typeof v === 'string' ? { name: v } : v;
}

// ---- listeners ----------------------------------------------------------------------------------

const tlsCertSchema = z.strictObject({
  cert: filePath,
  key: filePath,
});

const tlsListenerSchema = z.strictObject({
  cert: filePath,
  key: filePath,
  /** More certificates, chosen by the ClientHello's server name. */
  sni: z.array(z.strictObject({ host: z.string().min(1), cert: filePath, key: filePath })).default([]),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** Clients must present a certificate signed by this CA (mutual TLS). */
  clientCa: filePath.optional(),
});

export const LISTENER_MODES = ['http', 'tcp', 'udp', 'forward'] as const;
/** `h2`: HTTP/2 chosen by ALPN on a TLS listener; `h2c`: HTTP/2 with prior knowledge on a plain one. */
export const HTTP_PROTOCOLS = ['http/1.1', 'http/1.0', 'h2', 'h2c'] as const;

/** HTTP/2 limits of an http listener that speaks h2 or h2c (src/proxy/h2-front.ts). */
const http2ListenerSchema = z.strictObject({
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once on one connection. */
  maxConcurrentStreams: z.number().int().min(1).max(100_000).default(100),
  /** SETTINGS_MAX_HEADER_LIST_SIZE: the request's header list (names + values + 32 per field). */
  maxHeaderListBytes: z.number().int().min(256).max(1_048_576).default(16_384),
  /** An HTTP/2 connection with no open stream for this long is closed (GOAWAY). */
  idleTimeoutMs: ms.default(60_000),
});
export type Http2ListenerConfig = z.output<typeof http2ListenerSchema>;
export const HTTP2_DEFAULTS: Http2ListenerConfig = { maxConcurrentStreams: 100, maxHeaderListBytes: 16_384, idleTimeoutMs: 60_000 };

const proxyProtocolSchema = z.strictObject({
  /** Send a PROXY protocol header of this version to the upstream. */
  send: z.enum(['v1', 'v2']).optional(),
  /** Accept a PROXY protocol header from these downstream addresses (CIDR). */
  acceptFrom: z.array(z.string()).default([]),
});

const listenerSchema = z.strictObject({
  name,
  address: hostOrAddress,
  /** 0 asks the system for a free port (tests and labs). */
  port: z.number().int().min(0).max(65535),
  mode: z.enum(LISTENER_MODES).default('http'),
  /** http: terminate TLS with this certificate. */
  tls: tlsListenerSchema.optional(),
  /** http: which HTTP versions to speak (h2 needs tls: ALPN; h2c needs a plain listener: prior knowledge). */
  protocols: z.preprocess(oneOrMany, z.array(z.enum(HTTP_PROTOCOLS)).min(1)).default(['http/1.1', 'http/1.0']),
  /** http with h2 or h2c: HTTP/2 limits. */
  http2: http2ListenerSchema.default(HTTP2_DEFAULTS),
  /** tcp/udp: the cluster connections go to (the default when `sni` routes are given). */
  cluster: name.optional(),
  /** tcp: TLS passthrough routed by the ClientHello's server name. */
  sni: z.array(z.strictObject({ host: z.string().min(1), cluster: name })).default([]),
  /** tcp with sni: what to do with a connection whose ClientHello has no server name (or is not TLS). */
  noSni: z.enum(['default', 'close']).default('default'),
  proxyProtocol: proxyProtocolSchema.optional(),
  /** udp: `flow` keeps a session per client 5-tuple; `datagram` balances every datagram (DNS). */
  udpMode: z.enum(['flow', 'datagram']).default('flow'),
  /** udp flow mode: a session idle for this long is forgotten. */
  udpIdleMs: ms.default(30_000),
  /** Most connections (tcp, http) or sessions (udp) open at once. */
  maxConnections: count.optional(),
  /** http, above maxConnections: connections waiting for a slot at most (HAProxy's maxconn queue); more get 503. Default 1024; 0 refuses at once. */
  maxQueued: z.number().int().min(0).max(1_000_000).optional(),
  /** http, above maxConnections: the longest wait for a slot before a 503 (HAProxy's timeout queue). Default 5000. */
  queueTimeoutMs: ms.optional(),
  /** forward: a forward proxy's allow-list, authentication and timeouts (config-forward.ts). */
  forward: forwardListenerSchema.optional(),
  /** http: a rate limit on every request this listener takes (config-features.ts). */
  rateLimit: rateLimitSchema.optional(),
});

// ---- routes -------------------------------------------------------------------------------------

const pathMatchSchema = z.strictObject({
  prefix: z.string().optional(),
  exact: z.string().optional(),
  regex: z.string().optional(),
});

const headerMatchSchema = z.strictObject({
  name: z.string().min(1),
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z.string().optional(),
  present: z.boolean().optional(),
  /** Match when the condition is false. */
  invert: z.boolean().default(false),
});

const queryMatchSchema = z.strictObject({
  name: z.string().min(1),
  exact: z.string().optional(),
  regex: z.string().optional(),
  present: z.boolean().optional(),
});

const matchSchema = z.strictObject({
  /** Exact (`api.example.test`), wildcard (`*.example.test`) or any (`*`); one or a list. */
  host: z.preprocess(oneOrMany, z.array(z.string().min(1)).min(1)).optional(),
  path: pathMatchSchema.optional(),
  method: z.preprocess(oneOrMany, z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'expected an HTTP method token' })).min(1)).optional(),
  headers: z.array(headerMatchSchema).default([]),
  query: z.array(queryMatchSchema).default([]),
});

const rewriteSchema = z.strictObject({
  /** Replace the matched path prefix with this. */
  prefix: z.string().optional(),
  /** Replace what this regex matches in the path with `replace` ($1... allowed). */
  regex: z.string().optional(),
  replace: z.string().optional(),
  /** Replace the Host header. */
  host: z.string().min(1).optional(),
});

export const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;

const redirectSchema = z.strictObject({
  status: z
    .number()
    .int()
    .refine((v) => (REDIRECT_STATUSES as readonly number[]).includes(v), { message: `expected one of ${REDIRECT_STATUSES.join(', ')}` })
    .default(302),
  scheme: z.enum(['http', 'https']).optional(),
  host: z.string().min(1).optional(),
  port: port.optional(),
  path: z.string().startsWith('/').optional(),
  stripQuery: z.boolean().default(false),
});

const respondSchema = z.strictObject({
  status: z.number().int().min(200).max(599),
  body: z.string().default(''),
  contentType: z.string().default('text/plain; charset=utf-8'),
  headers: z.record(z.string(), z.string()).default({}),
});

const routeSchema = z.strictObject({
  name,
  /** Only on these listeners (default: every http listener). */
  listeners: z.array(name).optional(),
  match: matchSchema.default({ headers: [], query: [] }),
  /** Forward to this cluster... */
  cluster: name.optional(),
  rewrite: rewriteSchema.optional(),
  /** ...or answer with a redirect... */
  redirect: redirectSchema.optional(),
  /** ...or with a fixed response. */
  respond: respondSchema.optional(),
  /**
   * Protocols a client may switch to through this route (Upgrade, answered 101 by the upstream and
   * then relayed both ways as bytes). Default websocket; [] relays Upgrade requests as plain requests.
   */
  upgrades: z
    .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$/, { message: 'expected a protocol token such as websocket' }))
    .default(['websocket']),
  /** A rate limit on the requests this route takes (after the listener's). */
  rateLimit: rateLimitSchema.optional(),
  /** Compress the upstream's responses (gzip, brotli) for clients that accept it. */
  compression: compressionSchema.optional(),
  /** Serve GET responses from the proxy's cache (top-level `cache`) per RFC 9111. */
  cache: z.boolean().default(false),
  /** API gateway: a bearer token (JWT) verified against a key set, scopes, the user id header (config-gateway.ts). */
  auth: authSchema.optional(),
  /** API gateway: requests with an Idempotency-Key run once; copies get 409, 422 or the stored answer. */
  idempotency: idempotencySchema.optional(),
});

// ---- clusters -----------------------------------------------------------------------------------

const endpointSchema = z.strictObject({
  name: name.optional(),
  address: hostOrAddress,
  port,
  weight: z.number().positive({ message: 'expected a weight > 0' }).max(1_000_000).default(1),
});

/** Where the hashing policies (and sticky by header) take their key from. */
const HASH_ON = /^(client_address|path|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|cookie:[!#$%&'*+.^_`|~0-9A-Za-z-]+|query:[^&=\s]+)$/;

const policySchema = z.preprocess(
  nameOnly,
  z.strictObject({
    name: z.enum(POLICY_NAMES as [PolicyName, ...PolicyName[]]),
    /** ip_hash, ring_hash, maglev: client_address (default), path, header:NAME, cookie:NAME, query:NAME. */
    hashOn: z.string().regex(HASH_ON, { message: 'expected client_address, path, header:NAME, cookie:NAME or query:NAME' }).optional(),
    virtualNodes: z.number().int().min(1).max(10_000).optional(),
    tableSize: z.number().int().min(2).max(5_000_011).optional(),
    hash: z.enum(HASH_NAMES as [HashName, ...HashName[]]).optional(),
    choices: z.number().int().min(2).max(100).optional(),
    maxFails: z.number().int().min(1).max(1000).optional(),
  }),
);

const healthCheckSchema = z.strictObject({
  type: z.enum(['http', 'tcp']).default('http'),
  /** http: the path to GET. */
  path: z.string().startsWith('/').default('/health'),
  /** http: the Host header (default: the endpoint's address). */
  host: z.string().min(1).optional(),
  /** http: statuses that pass. */
  expectStatus: z.preprocess(oneOrMany, z.array(z.number().int().min(100).max(599)).min(1)).default([200]),
  /** http: the body must contain this text (a common study guide's `"status":"UP"`). */
  expectBody: z.string().optional(),
  intervalMs: ms.default(5_000),
  unhealthyIntervalMs: ms.optional(),
  timeoutMs: ms.default(2_000),
  fall: z.number().int().min(1).max(100).default(3),
  rise: z.number().int().min(1).max(100).default(2),
});

const outlierSchema = z.strictObject({
  consecutive5xx: z.number().int().min(0).max(1000).default(5),
  consecutiveConnectFailures: z.number().int().min(0).max(1000).default(5),
  baseEjectionMs: ms.default(30_000),
  maxEjectionMs: ms.default(300_000),
  maxEjectionPercent: z.number().min(0).max(100).default(10),
  decayIntervalMs: ms.default(10_000),
});

const stickySchema = z.strictObject({
  mode: z.enum(STICKY_MODES as [StickyMode, ...StickyMode[]]),
  /** cookie: the balancer cookie (default LBSESSIONID); app_cookie: the application's (e.g. PHPSESSID); header: the header. */
  name: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'expected a cookie or header name token' })
    .optional(),
  maxEntries: count.default(10_000),
  idleMs: ms.default(30 * 60_000),
  drainingKeepsSticky: z.boolean().default(false),
  /** cookie mode: Max-Age in seconds (default: a session cookie). */
  maxAgeS: z.number().int().min(1).optional(),
});

export const RETRY_ON = ['connect_failure', 'reset', 'timeout', '5xx', '502', '503', '504'] as const satisfies readonly RetryOn[];

const retriesSchema = z.strictObject({
  /** Retries after the first try. */
  attempts: z.number().int().min(0).max(10).default(1),
  retryOn: z
    .array(z.preprocess(numberAsString, z.enum(RETRY_ON, { message: `expected one of ${RETRY_ON.join(', ')}` })))
    .default(['connect_failure', 'reset', '503']),
  /** Also retry requests that are not idempotent (POST, PATCH). Default false. */
  nonIdempotent: z.boolean().default(false),
  /** Retries may be at most this percentage of requests in flight... */
  budgetPercent: z.number().min(0).max(100).default(20),
  /** ...but this many retries at once are always allowed. */
  minConcurrent: z.number().int().min(0).max(10_000).default(3),
  backoff: z.strictObject({ baseMs: ms.default(25), maxMs: ms.default(250) }).default({ baseMs: 25, maxMs: 250 }),
});

const timeoutsSchema = z.strictObject({
  connectMs: ms.default(5_000),
  /** Until the upstream's response header is complete. */
  headerMs: ms.default(15_000),
  /** No byte either way for this long (between the bytes of a response body). */
  idleMs: ms.default(60_000),
  /**
   * The whole request, start to end (default: none). For a text/event-stream response (Server-Sent
   * Events) it ends with the response head: a live stream is not cut for lasting.
   */
  requestMs: ms.optional(),
  /**
   * A text/event-stream response with no byte from the upstream for this long is closed (it replaces
   * idleMs between events; an SSE server that sends a comment line as a heartbeat every 15-30 s
   * keeps its stream). A long poll is an ordinary response: it waits under headerMs.
   */
  streamIdleMs: ms.default(300_000),
  /** A tunnel after 101 (WebSocket) with no byte either way for this long is closed. */
  tunnelIdleMs: ms.default(300_000),
});

const upstreamTlsSchema = z.strictObject({
  /** Verify the upstream's certificate against this CA. */
  ca: filePath.optional(),
  /** SNI and the name to verify (default: the endpoint's address). */
  serverName: z.string().min(1).optional(),
  /** Default true; false is for labs that show why it matters. */
  verify: z.boolean().default(true),
  /** A client certificate for mutual TLS. */
  client: tlsCertSchema.optional(),
});

const clusterSchema = z.strictObject({
  name,
  endpoints: z.array(endpointSchema).min(1, { message: 'expected at least one endpoint' }),
  policy: policySchema.default({ name: 'round_robin' }),
  healthCheck: healthCheckSchema.optional(),
  outlierDetection: outlierSchema.optional(),
  sticky: stickySchema.optional(),
  /** When every endpoint is down, send to them anyway instead of answering 503. */
  failOpen: z.boolean().default(false),
  timeouts: timeoutsSchema.default({ connectMs: 5_000, headerMs: 15_000, idleMs: 60_000, streamIdleMs: 300_000, tunnelIdleMs: 300_000 }),
  retries: retriesSchema.optional(),
  tls: upstreamTlsSchema.optional(),
  /**
   * The upstream protocol: http/1.1 (keep-alive pool), or h2: HTTP/2 with prior knowledge (h2c) to
   * plain endpoints, HTTP/2 chosen by ALPN when the cluster has tls; one pooled session per endpoint.
   */
  protocol: z.enum(['http/1.1', 'h2']).default('http/1.1'),
  /** Most requests or connections open at once on one endpoint. */
  maxPerEndpoint: count.optional(),
  /** Cluster thresholds (connections, pending, requests, retries) and per-endpoint breakers. */
  circuitBreakers: circuitBreakersSchema.optional(),
  /**
   * The local address every upstream connection (HTTP pool, h2 sessions, L4 TCP and UDP, health
   * checks) is made from; the same family as the endpoints (checked in config.ts). Default: the
   * kernel's choice (127.0.0.1 towards a loopback endpoint).
   */
  sourceAddress: z
    .string()
    .refine((s) => isIP(s) !== 0, { message: 'expected an IP address (the local address upstream connections are made from)' })
    .optional(),
});

// ---- the file -----------------------------------------------------------------------------------

const accessLogSchema = z.strictObject({
  format: z.enum(['combined', 'json']).default('combined'),
  /** A file (relative to the config file) or "stdout". */
  path: z.string().min(1).default('stdout'),
});

const metricsSchema = z.strictObject({
  path: z.string().startsWith('/').default('/metrics'),
  /** Serve on this listener only (default: every http listener). */
  listener: name.optional(),
});

export const configSchema = z.strictObject({
  listeners: z.array(listenerSchema).min(1, { message: 'expected at least one listener' }),
  routes: z.array(routeSchema).default([]),
  /** At least one unless every listener is a forward proxy (checked in config.ts). */
  clusters: z.array(clusterSchema).default([]),
  accessLog: accessLogSchema.optional(),
  metrics: metricsSchema.optional(),
  /** Addresses (CIDR) whose X-Forwarded-For and Forwarded headers are believed. */
  trustedProxies: z.array(z.string()).default([]),
  /** Refuse requests with 503 when the proxy itself is overloaded. */
  loadShed: loadShedSchema.optional(),
  /** The response cache routes with `cache: true` use. */
  cache: cacheSchema.optional(),
});

export type Config = z.output<typeof configSchema>;
export type ListenerConfig = Config['listeners'][number];
export type RouteConfig = Config['routes'][number];
export type RouteMatchConfig = RouteConfig['match'];
export type ClusterConfig = Config['clusters'][number];
export type EndpointConfig = ClusterConfig['endpoints'][number];
export type ClusterPolicyConfig = ClusterConfig['policy'];
export type HealthCheckConfig = NonNullable<ClusterConfig['healthCheck']>;
export type OutlierConfig = NonNullable<ClusterConfig['outlierDetection']>;
export type StickyConfig = NonNullable<ClusterConfig['sticky']>;
export type RetriesConfig = NonNullable<ClusterConfig['retries']>;
export type TimeoutsConfig = ClusterConfig['timeouts'];
export type UpstreamTlsConfig = NonNullable<ClusterConfig['tls']>;
