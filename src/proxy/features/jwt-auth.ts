// Bearer token checks for an API gateway route, free of sockets: the Authorization header's token
// (RFC 6750 §2.1) verified with jose against a key set (signature, alg allow-list, iss, aud, exp,
// nbf; exp required), then the route's scopes. The answer is either the verified claims or the refusal to send:
// 401 with `WWW-Authenticate: Bearer error="invalid_token"` (no token: no error code, RFC 6750 §3.1)
// or 403 with `error="insufficient_scope", scope="..."`.

import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { NetlabError } from '../../base/errors.ts';

export interface JwtCheckOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockToleranceSec: number;
  readonly scopes: readonly string[];
  /** The realm in WWW-Authenticate (default "netlab"). */
  readonly realm?: string;
  /** Wall time for exp/nbf (default: the machine's). */
  readonly now?: () => Date;
}

export type AuthVerdict =
  | { readonly ok: true; readonly claims: JWTPayload; readonly scopes: readonly string[] }
  | { readonly ok: false; readonly status: 401 | 403; readonly challenge: string; readonly reason: string }
  /** The key set could not be had (a JWKS URL down or too slow): the gateway's fault, not the token's. */
  | { readonly ok: false; readonly status: 503; readonly challenge: undefined; readonly reason: string };

/** A JWKS document ({"keys": [...]}) as a key lookup; throws a NetlabError naming what is wrong. */
export function localKeySet(jwks: unknown, source: string): JWTVerifyGetKey {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))
    throw new NetlabError('ERR_CONFIG', `${source}: expected a JWKS document {"keys": [...]}`, { layer: 'proxy' });
  try {
    return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
  } catch (err) {
    throw new NetlabError('ERR_CONFIG', `${source}: ${err instanceof Error ? err.message : String(err)}`, { layer: 'proxy', cause: err });
  }
}

/** True for 127.0.0.0/8, ::1 and localhost: the only places a JWKS URL may point at. */
export function isLoopbackUrl(u: string): boolean {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === 'localhost';
}

/** A JWKS URL (loopback only) fetched and cached by jose (refetched when a token names an unknown kid). */
export function remoteKeySet(u: string): JWTVerifyGetKey {
  if (!isLoopbackUrl(u))
    throw new NetlabError('ERR_CONFIG', `jwksUrl ${u}: only http(s) URLs on 127.0.0.0/8, [::1] or localhost are allowed`, { layer: 'proxy' });
  return createRemoteJWKSet(new URL(u), { timeoutDuration: 2000, cooldownDuration: 1000 });
}

/** The token of `Authorization: Bearer TOKEN` (scheme case-insensitive), or why there is none. */
export function bearerToken(authorization: string | undefined): { token: string } | { missing: true } | { malformed: string } {
  if (authorization === undefined || authorization.trim() === '') return { missing: true };
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+(\S+))?\s*$/.exec(authorization);
  if (m === null || m[1].toLowerCase() !== 'bearer') return { malformed: 'the Authorization scheme is not Bearer' };
  if (m[2] === undefined) return { malformed: 'Bearer without a token' };
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(m[2])) return { malformed: 'the token has characters a bearer token cannot have' };
  return { token: m[2] };
}

/** The scopes a token grants: `scope` (space-separated string, RFC 8693) or `scp` (list or string). */
export function tokenScopes(claims: JWTPayload): string[] {
  const out: string[] = [];
  for (const v of [claims.scope, claims.scp]) {
    if (typeof v === 'string') out.push(...v.split(/\s+/).filter((s) => s !== ''));
    else if (Array.isArray(v)) out.push(...v.filter((s): s is string => typeof s === 'string'));
  }
  return out;
}

/** A quoted-string (RFC 9110 §5.6.4) for an auth-param. */
function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?')}"`;
}

/** Why jose refused a token, in words a person reads in the 401. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'unexpected issuer (iss)';
    if (err.claim === 'aud') return 'unexpected audience (aud)';
    if (err.claim === 'nbf') return 'the token is not valid yet (nbf)';
    if (err.reason === 'missing') return `the token has no ${err.claim} claim`;
    return `claim ${err.claim} refused: ${err.reason}`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the key set matches the token';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'several keys in the key set match the token';
  if (err instanceof errors.JWKSTimeout) return 'the key set could not be fetched in time';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the token is malformed';
  if (err instanceof errors.JOSENotSupported) return 'the token uses an unsupported algorithm or key';
  if (err instanceof errors.JOSEError) return `the token was refused (${err.code})`;
  return 'the token could not be verified';
}

/** Verifies a route's bearer token and scopes. */
export class JwtChecker {
  private readonly keys: JWTVerifyGetKey;
  private readonly opts: JwtCheckOptions;
  private readonly realm: string;

  constructor(keys: JWTVerifyGetKey, opts: JwtCheckOptions) {
    this.keys = keys;
    this.opts = opts;
    this.realm = opts.realm ?? 'netlab';
  }

  private refuse401(reason: string, error: boolean): AuthVerdict {
    const challenge = error
      ? `Bearer realm=${quoted(this.realm)}, error="invalid_token", error_description=${quoted(reason)}`
      : `Bearer realm=${quoted(this.realm)}`;
    return { ok: false, status: 401, challenge, reason };
  }

  async check(authorization: string | undefined): Promise<AuthVerdict> {
    const b = bearerToken(authorization);
    if ('missing' in b) return this.refuse401('no bearer token', false);
    if ('malformed' in b)
      return {
        ok: false,
        status: 401,
        challenge: `Bearer realm=${quoted(this.realm)}, error="invalid_request", error_description=${quoted(b.malformed)}`,
        reason: b.malformed,
      };
    let claims: JWTPayload;
    try {
      const r = await jwtVerify(b.token, this.keys, {
        issuer: this.opts.issuer,
        audience: [...this.opts.audience],
        algorithms: [...this.opts.algorithms],
        clockTolerance: this.opts.clockToleranceSec,
        // A token without exp would be good forever: refused.
        requiredClaims: ['exp'],
        ...(this.opts.now === undefined ? {} : { currentDate: this.opts.now() }),
      });
      claims = r.payload;
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError))
        return { ok: false, status: 503, challenge: undefined, reason: `the key set is unavailable (${err instanceof Error ? err.message : String(err)})` };
      return this.refuse401(describe(err), true);
    }
    const granted = tokenScopes(claims);
    const missing = this.opts.scopes.filter((s) => !granted.includes(s));
    if (missing.length > 0) {
      const reason = `the token lacks scope ${missing.join(' ')}`;
      return {
        ok: false,
        status: 403,
        challenge: `Bearer realm=${quoted(this.realm)}, error="insufficient_scope", error_description=${quoted(reason)}, scope=${quoted(this.opts.scopes.join(' '))}`,
        reason,
      };
    }
    return { ok: true, claims, scopes: granted };
  }
}
