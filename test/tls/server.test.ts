// netlab's TLS server and client against each other: versions, SNI, ALPN, mTLS refusals with their
// reasons, resumption, rotation while a connection stays open, timeouts and clean closing.

import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tlsConnect, TlsRefusedError, type TlsClientOptions } from '../../src/tls/client.ts';
import { CertificateAuthority } from '../../src/tls/pki.ts';
import { subjectAltNames, TlsLabServer, type Refusal, type TlsServerOptions } from '../../src/tls/server.ts';
import { expiredWindow, notYetValidWindow } from '../../src/tls/validity.ts';
import { httpResponder, makePki } from './helpers.ts';

const pki = makePki();
const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

async function withServer<T>(options: Partial<TlsServerOptions>, body: (srv: TlsLabServer) => Promise<T>): Promise<T> {
  const srv = await TlsLabServer.start({ identity: { key: pki.www.keyPem, cert: pki.www.chainPem }, onConnection: (s) => httpResponder(s), ...options });
  try {
    return await body(srv);
  } finally {
    await srv.close();
  }
}

const client = (srv: TlsLabServer, o: Partial<TlsClientOptions> = {}) => tlsConnect({ host: '127.0.0.1', port: srv.port, ca: pki.root.certPem, ...o });

describe('versions, SNI and ALPN', () => {
  it('TLS 1.3 by default, TLS 1.2 when the client caps it; the chain verifies to the root', async () => {
    await withServer({}, async (srv) => {
      const c13 = await client(srv, { servername: 'www.netlab.test' });
      expect(c13.info.protocol).toBe('TLSv1.3');
      expect(c13.info.cipher).toMatch(/^TLS_AES_|^TLS_CHACHA20/);
      expect(c13.info.authorized).toBe(true);
      expect(c13.info.peer?.serial).toBe(pki.www.serial);
      expect((await c13.exchange(GET)).toString()).toContain('200 OK');
      const c12 = await client(srv, { servername: 'www.netlab.test', maxVersion: 'TLSv1.2' });
      expect(c12.info.protocol).toBe('TLSv1.2');
      expect(c12.info.cipher).toMatch(/^TLS_ECDHE_ECDSA_WITH_/);
      await c12.close();
    });
  });

  it('a server capped at TLS 1.2 refuses a TLS 1.3-only client with protocol_version', async () => {
    await withServer({ maxVersion: 'TLSv1.2' }, async (srv) => {
      const err = await client(srv, { minVersion: 'TLSv1.3' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TlsRefusedError);
      expect((err as TlsRefusedError).code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    });
  });

  it('SNI chooses the certificate (exact and wildcard names), the default when the name is unknown', async () => {
    const star = pki.ca.issueServer({ dns: ['*.lab.netlab.test'] });
    await withServer(
      { sni: { 'api.netlab.test': { key: pki.api.keyPem, cert: pki.api.chainPem }, '*.lab.netlab.test': { key: star.keyPem, cert: star.chainPem } } },
      async (srv) => {
        const api = await client(srv, { servername: 'api.netlab.test' });
        expect(api.info.peer?.serial).toBe(pki.api.serial);
        expect(api.info.peer?.subjectAltName).toBe('DNS:api.netlab.test');
        await api.close();
        const wild = await client(srv, { servername: 'one.lab.netlab.test' });
        expect(wild.info.peer?.serial).toBe(star.serial);
        await wild.close();
        const def = await client(srv, { servername: 'www.netlab.test' });
        expect(def.info.peer?.serial).toBe(pki.www.serial);
        await def.close();
        // An unknown name gets the default certificate, which does not carry it: the client refuses.
        const err = await client(srv, { servername: 'other.netlab.test' }).catch((e: unknown) => e);
        expect((err as TlsRefusedError).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      },
    );
  });

  it('with no SNI the certificate is checked against the IP address (IP SAN)', async () => {
    await withServer({}, async (srv) => {
      const c = await client(srv);
      expect(c.info.servername).toBeUndefined();
      expect(c.info.authorized).toBe(true);
      await c.close();
    });
  });

  it('ALPN: the server picks its first protocol the client offers', async () => {
    await withServer({ alpn: ['h2', 'http/1.1'] }, async (srv) => {
      const both = await client(srv, { servername: 'www.netlab.test', alpn: ['http/1.1', 'h2'] });
      expect(both.info.alpn).toBe('h2');
      await both.close();
      const h1 = await client(srv, { servername: 'www.netlab.test', alpn: ['http/1.1'] });
      expect(h1.info.alpn).toBe('http/1.1');
      await h1.close();
      const none = await client(srv, { servername: 'www.netlab.test' });
      expect(none.info.alpn).toBeUndefined();
      await none.close();
      const err = await client(srv, { servername: 'www.netlab.test', alpn: ['spdy/3'] }).catch((e: unknown) => e);
      expect((err as TlsRefusedError).code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    });
  });

  it('a client that does not trust the root refuses the server', async () => {
    const other = CertificateAuthority.root({ commonName: 'Other Root' });
    await withServer({}, async (srv) => {
      const err = await client(srv, { servername: 'www.netlab.test', ca: other.certPem }).catch((e: unknown) => e);
      expect((err as TlsRefusedError).code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    });
  });
});

describe('mTLS', () => {
  const refusedOf = async (srv: TlsLabServer, o: Partial<TlsClientOptions>): Promise<{ client: TlsRefusedError; server: Refusal }> => {
    const refused = new Promise<Refusal>((resolve) => srv.once('refused', resolve));
    const err = await client(srv, { servername: 'www.netlab.test', ...o })
      .then((c) => c.exchange(GET))
      .then(
        (reply) => new Error(`accepted: ${reply.toString()}`),
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TlsRefusedError);
    return { client: err as TlsRefusedError, server: await refused };
  };

  it('accepts a client certificate from the CA and shows it to the application', async () => {
    let seen: string | undefined;
    await withServer(
      {
        clientAuth: { ca: pki.root.certPem },
        onConnection: (s, info) => {
          seen = info.peer?.subjectAltName;
          httpResponder(s);
        },
      },
      async (srv) => {
        const c = await client(srv, { servername: 'www.netlab.test', identity: { key: pki.alice.keyPem, cert: pki.alice.chainPem } });
        expect((await c.exchange(GET)).toString()).toContain('200 OK');
        expect(seen).toBe('URI:spiffe://netlab.test/alice');
      },
    );
  });

  it('refuses each bad client with the reason: none, another CA, expired, not yet valid, revoked, wrong SAN', async () => {
    const other = CertificateAuthority.root({ commonName: 'Other Root' });
    const stranger = other.issueClient({ commonName: 'mallory', uris: ['spiffe://netlab.test/alice'] });
    const expired = pki.ca.issueClient({ commonName: 'old', uris: ['spiffe://netlab.test/alice'], validity: expiredWindow() });
    const early = pki.ca.issueClient({ commonName: 'early', uris: ['spiffe://netlab.test/alice'], validity: notYetValidWindow() });
    const revoked = pki.ca.issueClient({ commonName: 'bob', uris: ['spiffe://netlab.test/alice'] });
    const wrongName = pki.ca.issueClient({ commonName: 'eve', uris: ['spiffe://netlab.test/eve'] });
    pki.ca.revoke(revoked.serial);
    const clientAuth = { ca: pki.root.certPem, crl: pki.ca.crlChain(), allowedNames: ['URI:spiffe://netlab.test/alice'] };
    await withServer({ clientAuth }, async (srv) => {
      const id = (l: { keyPem: string; chainPem: string }) => ({ identity: { key: l.keyPem, cert: l.chainPem } });
      const cases: [string, { identity?: { key: string; cert: string } }, string][] = [
        ['none', {}, 'NO_CLIENT_CERTIFICATE'],
        ['another CA', id(stranger), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
        ['expired', id(expired), 'CERT_HAS_EXPIRED'],
        ['not yet valid', id(early), 'CERT_NOT_YET_VALID'],
        ['revoked', id(revoked), 'CERT_REVOKED'],
        ['wrong SAN', id(wrongName), 'CLIENT_NAME_NOT_ALLOWED'],
      ];
      for (const [what, o, code] of cases) {
        const r = await refusedOf(srv, o);
        expect([what, r.server.stage, r.server.code]).toEqual([what, 'client-certificate', code]);
        expect(r.server.reason.length).toBeGreaterThan(10);
        // Refused after the handshake: the server resets the connection.
        expect([what, r.client.code]).toEqual([what, 'ECONNRESET']);
      }
      const eve = await refusedOf(srv, id(wrongName));
      expect(eve.server.reason).toContain('URI:spiffe://netlab.test/eve');
      // And alice still gets in.
      const ok = await client(srv, { servername: 'www.netlab.test', ...id(pki.alice) });
      expect((await ok.exchange(GET)).toString()).toContain('200 OK');
    });
  });

  it('a revocation published while the server runs takes effect for the next handshake', async () => {
    const carol = pki.ca.issueClient({ commonName: 'carol' });
    await withServer({ clientAuth: { ca: pki.root.certPem, crl: pki.ca.crlChain() } }, async (srv) => {
      const id = { identity: { key: carol.keyPem, cert: carol.chainPem }, servername: 'www.netlab.test' };
      expect((await (await client(srv, id)).exchange(GET)).toString()).toContain('200 OK');
      pki.ca.revoke(carol.serial);
      srv.updateCrl(pki.ca.crlChain());
      const refused = new Promise<Refusal>((resolve) => srv.once('refused', resolve));
      const err = await client(srv, id)
        .then((c) => c.exchange(GET))
        .catch((e: unknown) => e);
      expect((err as TlsRefusedError).code).toBe('ECONNRESET');
      expect((await refused).code).toBe('CERT_REVOKED');
    });
  });
});

describe('resumption and rotation', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: a second connection resumes with the first one's session`, async () => {
      await withServer({}, async (srv) => {
        const first = await client(srv, { servername: 'www.netlab.test', maxVersion: version });
        expect(first.info.resumed).toBe(false);
        const session = await first.session();
        await first.close();
        const second = await client(srv, { servername: 'www.netlab.test', maxVersion: version, session });
        expect(second.info.resumed).toBe(true);
        expect(second.info.protocol).toBe(version);
        expect((await second.exchange(GET)).toString()).toContain('200 OK');
      });
    });
  }

  it('rotation: an open connection keeps working, new ones get the new certificate', async () => {
    const echo = (s: import('node:tls').TLSSocket) => s.on('data', (d: Buffer) => s.write(d));
    await withServer({ onConnection: echo }, async (srv) => {
      const open = await client(srv, { servername: 'www.netlab.test' });
      expect(open.info.peer?.serial).toBe(pki.www.serial);
      const ask = (text: string) =>
        new Promise<string>((resolve) => {
          open.socket.once('data', (d: Buffer) => resolve(d.toString()));
          open.socket.write(text);
        });
      expect(await ask('before')).toBe('before');
      const renewed = pki.ca.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1'] });
      srv.rotate({ key: renewed.keyPem, cert: renewed.chainPem });
      const fresh = await client(srv, { servername: 'www.netlab.test' });
      expect(fresh.info.peer?.serial).toBe(renewed.serial);
      await fresh.close();
      expect(await ask('after')).toBe('after');
      // Sessions from before the rotation still resume (the ticket keys carried over).
      const again = await client(srv, { servername: 'www.netlab.test', session: await open.session() });
      expect(again.info.resumed).toBe(true);
      await again.close();
      expect(open.socket.destroyed).toBe(false);
      expect(srv.openConnections).toBe(1);
      await open.close();
    });
  });

  it('rotating an SNI name swaps only that certificate', async () => {
    await withServer({ sni: { 'api.netlab.test': { key: pki.api.keyPem, cert: pki.api.chainPem } } }, async (srv) => {
      const api2 = pki.ca.issueServer({ dns: ['api.netlab.test'] });
      srv.rotate({ key: api2.keyPem, cert: api2.chainPem }, 'api.netlab.test');
      const a = await client(srv, { servername: 'api.netlab.test' });
      expect(a.info.peer?.serial).toBe(api2.serial);
      await a.close();
      const w = await client(srv, { servername: 'www.netlab.test' });
      expect(w.info.peer?.serial).toBe(pki.www.serial);
      await w.close();
      expect(() => srv.rotate({ key: api2.keyPem, cert: api2.chainPem }, 'nope.netlab.test')).toThrow(/no certificate for "nope.netlab.test"/);
    });
  });
});

describe('timeouts and closing', () => {
  it('drops a client that never finishes its handshake', async () => {
    await withServer({ handshakeTimeoutMs: 200 }, async (srv) => {
      const refused = new Promise<Refusal>((resolve) => srv.once('refused', resolve));
      const s = netConnect({ host: '127.0.0.1', port: srv.port });
      s.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      await closed;
      expect((await refused).code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    });
  });

  it('a client times out against a server that never answers', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer((s) => s.on('error', () => undefined).resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const err = await tlsConnect({ host: '127.0.0.1', port, timeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as TlsRefusedError).code).toBe('ETIMEDOUT');
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('closes a connection left idle', async () => {
    await withServer({ idleTimeoutMs: 150, onConnection: () => undefined }, async (srv) => {
      const c = await client(srv, { servername: 'www.netlab.test' });
      c.socket.resume();
      const t0 = Date.now();
      await new Promise<void>((r) => c.socket.once('close', () => r()));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
      for (let i = 0; i < 100 && srv.openConnections > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(srv.openConnections).toBe(0);
    });
  });

  it('close() ends open connections and resolves', async () => {
    const srv = await TlsLabServer.start({ identity: { key: pki.www.keyPem, cert: pki.www.chainPem } });
    const c = await client(srv, { servername: 'www.netlab.test' });
    const ended = new Promise<void>((r) => c.socket.once('close', () => r()));
    c.socket.on('data', () => undefined);
    c.socket.on('end', () => c.socket.end());
    await srv.close();
    await ended;
    expect(srv.openConnections).toBe(0);
  });
});

describe('subjectAltName parsing', () => {
  it("splits Node's string, keeping quoted entries whole", () => {
    expect(subjectAltNames('DNS:a.test, IP Address:127.0.0.1, URI:spiffe://x/y')).toEqual(['DNS:a.test', 'IP Address:127.0.0.1', 'URI:spiffe://x/y']);
    expect(subjectAltNames('URI:"a, b", DNS:c')).toEqual(['URI:a, b', 'DNS:c']);
    expect(subjectAltNames(undefined)).toEqual([]);
  });
});
