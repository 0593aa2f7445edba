// HTTPS on netlab's server, and TLS to an upstream through the pool, verified against the test CA.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpConnectionPool, HttpServer } from '../../src/http/index.ts';
import { makePki, type TestPki } from '../tls/helpers.ts';

let pki: TestPki;
let server: HttpServer;
let port = 0;

beforeAll(async () => {
  pki = makePki();
  server = new HttpServer({
    tls: { key: pki.www.keyPem, cert: pki.www.chainPem },
    handler: async (req, res) => res.end(`tls ${req.head.method} ${req.head.target} ${await req.body.text()}`),
  });
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server.close(500);
});

describe('HTTP/1.1 over TLS', () => {
  it('the pool speaks TLS to the upstream, verifies it against the CA, and reuses the connection', async () => {
    const pool = new HttpConnectionPool();
    const up = { host: '127.0.0.1', port, tls: { ca: pki.root.certPem, servername: 'www.netlab.test' } };
    try {
      const a = await pool.request(up, { method: 'POST', target: '/s', fields: { Host: 'www.netlab.test' }, body: 'secret' });
      expect(await a.body.text()).toBe('tls POST /s secret');
      await new Promise((r) => setTimeout(r, 5));
      const b = await pool.request(up, { method: 'GET', target: '/t', fields: { Host: 'www.netlab.test' } });
      expect(await b.body.text()).toBe('tls GET /t ');
      expect(b.reused).toBe(true);
      expect(pool.connectionsOpened).toBe(1);
    } finally {
      pool.close();
    }
  });

  it('refuses an upstream whose certificate does not name the server asked for', async () => {
    const pool = new HttpConnectionPool();
    try {
      await expect(pool.acquire({ host: '127.0.0.1', port, tls: { ca: pki.root.certPem, servername: 'api.netlab.test' } })).rejects.toMatchObject({
        code: 'ERR_IO',
        message: /api\.netlab\.test/,
      });
    } finally {
      pool.close();
    }
  });
});
