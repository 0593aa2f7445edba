// API gateway routes at run time: a route's `auth` made into a JwtChecker over its key set (a JWKS
// file read once per config, or a loopback JWKS URL jose fetches and caches) and its `idempotency`
// into an IdempotencyStore. The proxy asks authorize() before rate limits (so a limit can be keyed
// on the verified user), rewrites the upstream fields with upstreamFields() (the client's own user
// id header always removed, the verified one added, Authorization stripped unless kept), and wraps
// the response of a first idempotent request with capture() to store it for replay.

import { readFileSync } from 'node:fs';
import { NetlabError } from '../base/errors.ts';
import type { NetClock } from '../base/timer-clock.ts';
import { fieldValue, type HttpField } from '../wire/http.ts';
import type { ResponseReshape, ResponseReshaper } from './compress.ts';
import type { AuthConfig, IdempotencyConfig } from './config-gateway.ts';
import { type IdempotencyDecision, IdempotencyStore, parseIdempotencyKey, requestFingerprint, type StoredResponse } from './features/idempotency.ts';
import { JwtChecker, localKeySet, remoteKeySet } from './features/jwt-auth.ts';
import { HOP_BY_HOP } from './headers.ts';

/** What authorize() decided: the verified user, or the refusal to answer with. */
export type GatewayAuth =
  | { readonly ok: true; readonly userId: string; readonly scopes: readonly string[] }
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly fields: readonly HttpField[]; readonly text: string };

/** The response header a replayed answer carries. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export class GatewayAuthRuntime {
  readonly config: AuthConfig;
  private readonly checker: JwtChecker;

  constructor(config: AuthConfig, route: string) {
    this.config = config;
    const j = config.jwt;
    let keys: ReturnType<typeof localKeySet>;
    if (j.jwks !== undefined) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(j.jwks, 'utf8'));
      } catch (err) {
        throw new NetlabError('ERR_CONFIG', `route ${route}: auth.jwt.jwks ${j.jwks}: ${err instanceof Error ? err.message : String(err)}`, {
          layer: 'proxy',
          cause: err,
        });
      }
      keys = localKeySet(doc, `route ${route}: auth.jwt.jwks ${j.jwks}`);
    } else if (j.jwksUrl !== undefined) keys = remoteKeySet(j.jwksUrl);
    else throw new NetlabError('ERR_CONFIG', `route ${route}: auth.jwt needs jwks or jwksUrl`, { layer: 'proxy' });
    this.checker = new JwtChecker(keys, {
      issuer: j.issuer,
      audience: j.audience,
      algorithms: j.algorithms,
      clockToleranceSec: j.clockToleranceSec,
      scopes: config.scopes,
    });
  }

  async authorize(fields: readonly HttpField[]): Promise<GatewayAuth> {
    const v = await this.checker.check(fieldValue(fields, 'authorization'));
    if (!v.ok) {
      if (v.status === 503) return { ok: false, status: 503, fields: [{ name: 'Retry-After', value: '1' }], text: `netlab gateway: ${v.reason}\n` };
      return {
        ok: false,
        status: v.status,
        fields: [{ name: 'WWW-Authenticate', value: v.challenge }],
        text: `netlab gateway: ${v.status === 401 ? 'unauthorized' : 'forbidden'}: ${v.reason}\n`,
      };
    }
    const raw = v.claims[this.config.userIdClaim];
    const userId = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
    if (userId === undefined || !/^[\x20-\x7e]{1,256}$/.test(userId)) {
      const reason = `the token has no usable ${this.config.userIdClaim} claim`;
      return {
        ok: false,
        status: 401,
        fields: [{ name: 'WWW-Authenticate', value: `Bearer realm="netlab", error="invalid_token", error_description="${reason}"` }],
        text: `netlab gateway: unauthorized: ${reason}\n`,
      };
    }
    return { ok: true, userId, scopes: v.scopes };
  }

  /** The upstream's fields: every client copy of the user id header removed, the verified one added. */
  upstreamFields(fields: readonly HttpField[], userId: string | undefined): HttpField[] {
    const drop = this.config.userIdHeader.toLowerCase();
    const out = fields.filter((f) => {
      const n = f.name.toLowerCase();
      return n !== drop && (this.config.forwardAuthorization || n !== 'authorization');
    });
    if (userId !== undefined) out.push({ name: this.config.userIdHeader, value: userId });
    return out;
  }
}

/** A response being captured for replay (filled while it streams to the client). */
export interface Capture {
  status: number;
  fields: HttpField[];
  readonly chunks: Uint8Array[];
  size: number;
  /** The body ended normally and fit maxBodyBytes. */
  complete: boolean;
  tooLarge: boolean;
}

export class IdempotencyRuntime {
  readonly config: IdempotencyConfig;
  readonly store: IdempotencyStore;

  constructor(config: IdempotencyConfig, clock: NetClock) {
    this.config = config;
    this.store = new IdempotencyStore({ clock, ttlMs: config.ttlMs, maxEntries: config.maxEntries });
  }

  applies(method: string): boolean {
    return this.config.methods.includes(method);
  }

  /** The request's key (undefined: missing or malformed). */
  key(fields: readonly HttpField[]): string | undefined {
    return parseIdempotencyKey(fieldValue(fields, this.config.header));
  }

  /** Looks the key up (scoped to the user when there is one) and reserves it when new. */
  begin(key: string, userId: string | undefined, method: string, target: string, body: Uint8Array): { scoped: string; decision: IdempotencyDecision } {
    const scoped = `${userId ?? ''}\u0000${key}`;
    return { scoped, decision: this.store.begin(scoped, requestFingerprint(method, target, body)) };
  }

  /**
   * A response reshaper that records status, fields and body as they go to the client (after any
   * other reshaper, e.g. compression, so a replay is byte for byte what the first client got).
   */
  capture(inner: ResponseReshaper | undefined): { reshaper: ResponseReshaper; capture: Capture } {
    const cap: Capture = { status: 0, fields: [], chunks: [], size: 0, complete: false, tooLarge: false };
    const max = this.config.maxBodyBytes;
    const reshaper: ResponseReshaper = (status, fields) => {
      const r: ResponseReshape | undefined = inner?.(status, fields);
      cap.status = status;
      cap.fields = [...(r?.fields ?? fields)];
      const bodyOf = r?.body ?? ((up: AsyncIterable<Uint8Array>) => up);
      return {
        fields: r?.fields ?? fields,
        body: (up) =>
          (async function* () {
            for await (const chunk of bodyOf(up)) {
              if (!cap.tooLarge) {
                cap.size += chunk.length;
                if (cap.size > max) {
                  cap.tooLarge = true;
                  cap.chunks.length = 0;
                } else cap.chunks.push(chunk);
              }
              yield chunk;
            }
            cap.complete = !cap.tooLarge;
          })(),
      };
    };
    return { reshaper, capture: cap };
  }

  /**
   * After the first request: a complete answer below 500 is stored; anything else (no answer, a cut
   * body, a 5xx, too large) releases the key so the client's retry runs again.
   */
  finish(scoped: string, token: number, cap: Capture, proxyOwn: readonly HttpField[]): void {
    if (!cap.complete || cap.status === 0 || cap.status >= 500) {
      this.store.release(scoped, token);
      return;
    }
    const own = new Set(proxyOwn.map((f) => f.name.toLowerCase()));
    const drop = new Set([...HOP_BY_HOP, 'content-length', 'transfer-encoding', ...own]);
    const fields = cap.fields.filter((f) => !drop.has(f.name.toLowerCase()));
    const stored: StoredResponse = { status: cap.status, fields, body: Buffer.concat(cap.chunks, cap.size) };
    this.store.complete(scoped, token, stored);
  }
}

/** The fields of a replayed answer: the proxy's own for this request, the stored ones, the marker. */
export function replayFields(stored: StoredResponse, proxyOwn: readonly HttpField[]): HttpField[] {
  return [...proxyOwn, ...stored.fields, { name: REPLAYED_HEADER, value: 'true' }, { name: 'Content-Length', value: String(stored.body.length) }];
}
