// The api-gateway lab's parts: services (netlab HttpServers on their own loopback addresses) that
// record what reached them (the path, the X-User-Id they were given, whether a token came along) and,
// for payments, count the charges they made; a token issuer with a real ES256 key pair whose public
// half is the gateway's key set (a JWKS file); and a client bound to a chosen loopback address that
// sends one request per connection (so each is a flow of its own in the capture).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { TapRecorder } from '../../src/capture/index.ts';
import { HttpClientConnection, HttpServer } from '../../src/http/index.ts';

type Field = { readonly name: string; readonly value: string };

export function header(fields: readonly Field[], name: string): string | undefined {
  const n = name.toLowerCase();
  const all = fields.filter((f) => f.name.toLowerCase() === n).map((f) => f.value);
  return all.length === 0 ? undefined : all.join(', ');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a service saw of one request. */
export interface Seen {
  readonly method: string;
  readonly target: string;
  /** Every X-User-Id value that reached it, joined (undefined: none). */
  readonly userId: string | undefined;
  readonly authorization: boolean;
  readonly idempotencyKey: string | undefined;
}

/** One service behind the gateway: answers JSON naming itself; payments charges on POST (201). */
export class Service {
  readonly seen: Seen[] = [];
  /** POST /payments... answered 201 so far (each one a charge). */
  charges = 0;
  /** Time each request takes (ms). */
  delayMs = 0;
  tap: TapRecorder | undefined;
  port = 0;
  private readonly server: HttpServer;

  constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.server = new HttpServer({
      idleTimeoutMs: 5_000,
      onConnection: (conn) => this.tap?.tcp(conn.socket),
      handler: async (req, res) => {
        let body = '';
        try {
          body = await req.body.text();
        } catch {
          return;
        }
        const f = req.head.fields;
        this.seen.push({
          method: req.head.method,
          target: req.head.target,
          userId: header(f, 'x-user-id'),
          authorization: header(f, 'authorization') !== undefined,
          idempotencyKey: header(f, 'idempotency-key'),
        });
        if (this.delayMs > 0) await sleep(this.delayMs);
        const charge = this.name === 'payments' && req.head.method === 'POST';
        if (charge) this.charges++;
        const text = JSON.stringify({
          service: this.name,
          path: req.head.target,
          userSeen: header(f, 'x-user-id') ?? null,
          ...(charge ? { charge: this.charges, request: body } : {}),
        });
        // Connection: close: every request the gateway sends opens a connection of its own, so a
        // step's capture (which taps new connections) holds all of them.
        res.writeHead(charge ? 201 : 200, { 'Content-Type': 'application/json', 'X-Served-By': this.name, Connection: 'close' });
        res.end(`${text}\n`);
      },
    });
  }

  async listen(): Promise<void> {
    this.port = (await this.server.listen(0, this.address)).port;
  }

  close(): Promise<void> {
    return this.server.close(200);
  }
}

/** An identity provider in miniature: an ES256 key pair, its JWKS file, tokens on demand. */
export class Issuer {
  static readonly ISS = 'https://id.netlab.test';
  static readonly AUD = 'netlab-shop-api';

  private constructor(
    private readonly key: CryptoKey,
    /** A second key pair, never published: its tokens are forgeries. */
    private readonly stranger: CryptoKey,
  ) {}

  static async create(jwksFile: string): Promise<Issuer> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256');
    const jwk = await exportJWK(pair.publicKey);
    mkdirSync(dirname(jwksFile), { recursive: true });
    writeFileSync(jwksFile, `${JSON.stringify({ keys: [{ ...jwk, kid: 'shop-2026', alg: 'ES256', use: 'sig' }] }, null, 2)}\n`);
    return new Issuer(pair.privateKey, other.privateKey);
  }

  /** A token for `sub` with these scopes; `expired` makes one that ran out 10 minutes ago. */
  sign(sub: string, scopes: readonly string[], opts: { expired?: boolean; forged?: boolean } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: scopes.join(' ') } as JWTPayload)
      .setProtectedHeader({ alg: 'ES256', kid: 'shop-2026', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(Issuer.ISS)
      .setAudience(Issuer.AUD)
      .setIssuedAt(opts.expired === true ? now - 1200 : now)
      .setExpirationTime(opts.expired === true ? now - 600 : now + 300)
      .sign(opts.forged === true ? this.stranger : this.key);
  }

  /** The same claims with alg "none" and no signature: what an attacker hopes a careless check takes. */
  static unsigned(sub: string, scopes: readonly string[]): string {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, scope: scopes.join(' '), iss: Issuer.ISS, aud: Issuer.AUD, iat: now, exp: now + 300 })}.`;
  }
}

export interface Reply {
  readonly status: number;
  readonly fields: readonly Field[];
  readonly body: string;
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** One request on a connection of its own from `from` (a 127.183.2.x address). */
export async function request(
  from: string,
  to: Target,
  method: string,
  path: string,
  fields: Record<string, string> = {},
  body?: string,
  tap?: TapRecorder,
): Promise<Reply> {
  const socket = connect({ host: to.host, port: to.port, localAddress: from });
  tap?.tcp(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const conn = new HttpClientConnection(socket, { responseTimeoutMs: 10_000 });
  try {
    const res = await conn.request({
      method,
      target: path,
      fields: { Host: 'api.shop.netlab.test', 'User-Agent': 'netlab-lab', ...fields },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.head.status, fields: res.head.fields, body: await res.body.text() };
  } finally {
    const closed = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    conn.close();
    const cut = setTimeout(() => socket.destroy(), 500);
    await closed;
    clearTimeout(cut);
  }
}
