// Shared by the gateway tests: a token issuer with real key pairs (jose), its JWKS written to a file,
// and tokens signed with chosen claims, keys and algorithms.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export const ISSUER = 'https://auth.netlab.test';
export const AUDIENCE = 'netlab-api';

export interface Issuer {
  readonly jwksFile: string;
  readonly dir: string;
  /** A token signed with the published key (ES256, kid "k1") unless `opts` says otherwise. */
  /** expiresIn 'none': no exp claim at all. */
  sign(claims: JWTPayload, opts?: { key?: 'published' | 'stranger'; expiresIn?: string | number; issuer?: string; audience?: string }): Promise<string>;
  cleanup(): void;
}

export async function makeIssuer(): Promise<Issuer> {
  const published = await generateKeyPair('ES256', { extractable: true });
  // A key pair that is not in the JWKS but claims the same kid: a forged signature.
  const stranger = await generateKeyPair('ES256', { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'netlab-gw-'));
  const jwk = await exportJWK(published.publicKey);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  return {
    jwksFile,
    dir,
    async sign(claims, opts = {}) {
      const key = opts.key === 'stranger' ? stranger.privateKey : published.privateKey;
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
        .setIssuedAt()
        .setIssuer(opts.issuer ?? ISSUER)
        .setAudience(opts.audience ?? AUDIENCE);
      if (opts.expiresIn !== 'none') jwt.setExpirationTime(opts.expiresIn ?? '5m');
      return jwt.sign(key);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An unsigned token (alg "none"), as an attacker would send it. */
export function unsignedToken(claims: JWTPayload): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })}.`;
}
