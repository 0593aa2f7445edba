// The config file's keys for API gateway routes: `auth` (bearer tokens, JWT, verified against a key
// set; scopes; the user id header injected from a verified claim) and `idempotency` (requests with
// an Idempotency-Key run once, later copies get the stored answer). Strict zod objects like the rest
// of the file (config-schema.ts), units in the names.

import { z } from 'zod';

const ms = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600 * 1000);
const count = z.number().int().min(1).max(1_000_000);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z.string().regex(TOKEN, { message: 'expected a header name token' });

/** JWS algorithms a route may accept ("none" is never one of them). */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** A scope token (RFC 6749 §3.3: printable ASCII except space, '"' and '\'). */
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { message: 'expected a scope token such as read:orders' });

const jwtSchema = z.strictObject({
  /** A JWKS file ({"keys": [...]}, relative to the config file)... */
  jwks: z.string().min(1).optional(),
  /** ...or a JWKS URL, on a loopback address only (http://127.0.0.1:PORT/jwks.json). */
  jwksUrl: z.string().min(1).optional(),
  /** The `iss` a token must carry. */
  issuer: z.string().min(1),
  /** The `aud` a token must carry (one of them). */
  audience: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1)).min(1)),
  algorithms: z
    .array(z.enum(JWT_ALGORITHMS, { message: `expected one of ${JWT_ALGORITHMS.join(', ')} ("none" is never accepted)` }))
    .min(1)
    .default(['RS256', 'ES256']),
  /** Slack for exp/nbf/iat between the issuer's clock and the gateway's. */
  clockToleranceSec: z.number().int().min(0).max(3600).default(30),
});

export const authSchema = z.strictObject({
  jwt: jwtSchema,
  /** Scopes the token must all carry (its `scope` claim, space-separated, or `scp` list). */
  scopes: z.array(scope).default([]),
  /** The claim whose value goes to the upstream in userIdHeader. */
  userIdClaim: z.string().min(1).default('sub'),
  /** The header the upstream reads the user from; a client's own copy is always removed. */
  userIdHeader: headerName.default('X-User-Id'),
  /** Send the Authorization header on to the upstream (default: strip it). */
  forwardAuthorization: z.boolean().default(false),
});

export const idempotencySchema = z.strictObject({
  /** Methods that need a key (others pass untouched). */
  methods: z
    .array(z.string().regex(TOKEN, { message: 'expected an HTTP method token' }))
    .min(1)
    .default(['POST']),
  header: headerName.default('Idempotency-Key'),
  /** How long a finished answer is kept for replay. */
  ttlMs: ms.default(24 * 3600 * 1000),
  /** Most keys held (least recently used forgotten beyond it). */
  maxEntries: count.default(10_000),
  /** Largest response body stored for replay; a larger answer is not stored (the key is released). */
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
});

export type AuthConfig = z.output<typeof authSchema>;
export type JwtConfig = AuthConfig['jwt'];
export type IdempotencyConfig = z.output<typeof idempotencySchema>;
