// netlab's TLS against the real tools: openssl s_client against netlab's server (SNI, ALPN, mTLS with
// a client certificate, TLS 1.2), curl --cacert verifying netlab's chain, and netlab's client against
// openssl s_server (SNI, ALPN, mTLS, a tapped connection tshark decrypts).

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { tlsConnect, TlsRefusedError } from '../../src/tls/client.ts';
import { KeyLog } from '../../src/tls/keylog.ts';
import { TlsLabServer, type Refusal, type TlsServerOptions } from '../../src/tls/server.ts';
import { requireTool } from '../helpers/tools.ts';
import { httpResponder, makePki, run, tempDir } from './helpers.ts';

const pki = makePki();
const tmp = tempDir('netlab-tls-interop-');
afterAll(() => tmp.remove());
const file = (name: string, text: string): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, text);
  return p;
};
const ROOT = file('root.pem', pki.root.certPem);
const INTER = file('inter.pem', pki.ca.certPem);
const ALICE_CERT = file('alice.pem', pki.alice.certPem);
const ALICE_KEY = file('alice.key', pki.alice.keyPem);

async function withServer<T>(options: Partial<TlsServerOptions>, body: (srv: TlsLabServer) => Promise<T>): Promise<T> {
  const srv = await TlsLabServer.start({
    identity: { key: pki.www.keyPem, cert: pki.www.chainPem },
    sni: { 'api.netlab.test': { key: pki.api.keyPem, cert: pki.api.chainPem } },
    alpn: ['h2', 'http/1.1'],
    onConnection: (s, info) => httpResponder(s, (path) => `${path} over ${info.protocol} alpn=${info.alpn ?? '-'} sni=${info.servername ?? '-'}\n`),
    ...options,
  });
  try {
    return await body(srv);
  } finally {
    await srv.close();
  }
}

const sClient = (port: number, ...args: string[]) =>
  run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ROOT, '-verify_return_error', '-ign_eof', ...args], {
    input: 'GET /via-openssl HTTP/1.1\r\nHost: x\r\n\r\n',
  });

describe.skipIf(!requireTool('openssl'))('openssl s_client against netlab', () => {
  it('TLS 1.3 with SNI and ALPN: the chain verifies, the right certificate, h2 chosen', async () => {
    await withServer({}, async (srv) => {
      const www = await sClient(srv.port, '-servername', 'www.netlab.test', '-alpn', 'http/1.1,h2');
      expect(www.code, www.stderr).toBe(0);
      expect(www.stdout).toContain('Verify return code: 0 (ok)');
      expect(www.stdout).toMatch(/New, TLSv1\.3, Cipher is TLS_AES_256_GCM_SHA384/);
      expect(www.stdout).toContain('ALPN protocol: h2');
      expect(www.stdout).toMatch(/0 s:CN = www\.netlab\.test\n.*\n.*\n.*\n 1 s:O = netlab, CN = netlab Test Issuing CA/);
      expect(www.stdout).toContain('/via-openssl over TLSv1.3 alpn=h2 sni=www.netlab.test');
      const api = await sClient(srv.port, '-servername', 'api.netlab.test', '-alpn', 'http/1.1');
      expect(api.stdout).toContain('subject=CN = api.netlab.test');
      expect(api.stdout).toContain('ALPN protocol: http/1.1');
      expect(api.stdout).toContain('alpn=http/1.1 sni=api.netlab.test');
    });
  });

  it('TLS 1.2 when openssl asks for it', async () => {
    await withServer({}, async (srv) => {
      const r = await sClient(srv.port, '-servername', 'www.netlab.test', '-tls1_2');
      expect(r.stdout).toMatch(/New, TLSv1\.2, Cipher is ECDHE-ECDSA-/);
      expect(r.stdout).toContain('over TLSv1.2');
    });
  });

  it("mTLS: openssl with alice's certificate gets in, without one it is refused", async () => {
    await withServer({ clientAuth: { ca: pki.root.certPem, allowedNames: ['URI:spiffe://netlab.test/alice'] } }, async (srv) => {
      const ok = await sClient(srv.port, '-servername', 'www.netlab.test', '-cert', ALICE_CERT, '-key', ALICE_KEY, '-cert_chain', INTER);
      expect(ok.stdout).toContain('/via-openssl over TLSv1.3');
      expect(ok.stdout).toMatch(/Acceptable client certificate CA names\n.*CN = netlab Test Root CA/);
      const refused = new Promise<Refusal>((resolve) => srv.once('refused', resolve));
      const none = await sClient(srv.port, '-servername', 'www.netlab.test');
      expect(none.stdout).not.toContain('/via-openssl');
      expect((await refused).code).toBe('NO_CLIENT_CERTIFICATE');
    });
  });
});

describe.skipIf(!requireTool('curl'))('curl against netlab', () => {
  it('curl --cacert verifies the chain and the name, and reads the answer (HTTP/1.1 over TLS 1.3)', async () => {
    await withServer({ alpn: ['http/1.1'] }, async (srv) => {
      const url = `https://www.netlab.test:${srv.port}/via-curl`;
      const ok = await run('curl', [
        '-sS',
        '--cacert',
        ROOT,
        '--resolve',
        `www.netlab.test:${srv.port}:127.0.0.1`,
        '-w',
        '\n%{http_code} %{ssl_verify_result}',
        url,
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('/via-curl over TLSv1.3 alpn=http/1.1 sni=www.netlab.test\n\n200 0');
      // The IP SAN: https://127.0.0.1 verifies too.
      const ip = await run('curl', ['-sS', '--cacert', ROOT, `https://127.0.0.1:${srv.port}/ip`]);
      expect(ip.stdout).toContain('/ip over TLSv1.3');
      // A name the certificate does not carry: curl refuses (exit 60).
      const wrong = await run('curl', [
        '-sS',
        '--cacert',
        ROOT,
        '--resolve',
        `other.netlab.test:${srv.port}:127.0.0.1`,
        `https://other.netlab.test:${srv.port}/`,
      ]);
      expect(wrong.code).toBe(60);
      expect(wrong.stderr).toMatch(/no alternative certificate subject name matches|does not match/);
      // Without the root: curl does not trust the chain.
      const untrusted = await run('curl', ['-sS', '--resolve', `www.netlab.test:${srv.port}:127.0.0.1`, url]);
      expect(untrusted.code).toBe(60);
    });
  });

  it('curl with a client certificate passes mTLS', async () => {
    await withServer({ alpn: ['http/1.1'], clientAuth: { ca: pki.root.certPem } }, async (srv) => {
      const chain = file('alice-chain.pem', pki.alice.chainPem);
      const r = await run('curl', ['-sS', '--cacert', ROOT, '--cert', chain, '--key', ALICE_KEY, `https://127.0.0.1:${srv.port}/mtls`]);
      expect(r.stdout).toContain('/mtls over TLSv1.3');
      const refused = await run('curl', ['-sS', '--cacert', ROOT, `https://127.0.0.1:${srv.port}/mtls`]);
      expect(refused.code).not.toBe(0);
    });
  });
});

/** openssl s_server on 127.0.0.1, port 0; resolves with the port it printed. */
async function sServer(args: string[]): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-CAfile', ROOT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`openssl s_server did not start: ${text}`)), 5000);
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(text);
      if (m !== null) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${text}`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

describe.skipIf(!requireTool('openssl'))("netlab's client against openssl s_server", () => {
  const serverArgs = ['-cert', file('www.pem', pki.www.certPem), '-key', file('www.key', pki.www.keyPem), '-cert_chain', INTER, '-www'];

  it("verifies openssl's chain, negotiates ALPN, chooses the SNI certificate", async () => {
    const s = await sServer([
      ...serverArgs,
      '-alpn',
      'http/1.1',
      '-servername',
      'api.netlab.test',
      '-cert2',
      file('api.pem', pki.api.certPem),
      '-key2',
      file('api.key', pki.api.keyPem),
    ]);
    try {
      const www = await tlsConnect({ host: '127.0.0.1', port: s.port, servername: 'www.netlab.test', ca: pki.root.certPem, alpn: ['h2', 'http/1.1'] });
      expect(www.info).toMatchObject({ protocol: 'TLSv1.3', alpn: 'http/1.1', authorized: true });
      expect(www.info.peer?.serial).toBe(pki.www.serial);
      const reply = (await www.exchange('GET / HTTP/1.0\r\n\r\n')).toString();
      expect(reply).toMatch(/^HTTP\/1\.0 200 ok/);
      expect(reply).toContain('Ciphers supported in s_server binary');
      // s_server sends no chain with -cert2 (its -cert_chain is for the first certificate): the client
      // is given the intermediate to build the chain with.
      const api = await tlsConnect({ host: '127.0.0.1', port: s.port, servername: 'api.netlab.test', ca: [pki.root.certPem, pki.ca.certPem] });
      expect(api.info.peer?.serial).toBe(pki.api.serial);
      await api.close();
    } finally {
      await s.stop();
    }
  });

  it('mTLS against s_server -Verify: alice gets in, no certificate gets certificate_required', async () => {
    const s = await sServer([...serverArgs, '-Verify', '2', '-verify_return_error']);
    try {
      const alice = await tlsConnect({
        host: '127.0.0.1',
        port: s.port,
        servername: 'www.netlab.test',
        ca: pki.root.certPem,
        identity: { key: pki.alice.keyPem, cert: pki.alice.chainPem },
      });
      expect((await alice.exchange('GET / HTTP/1.0\r\n\r\n')).toString()).toMatch(/^HTTP\/1\.0 200 ok/);
      const none = await tlsConnect({ host: '127.0.0.1', port: s.port, servername: 'www.netlab.test', ca: pki.root.certPem })
        .then((c) => c.exchange('GET / HTTP/1.0\r\n\r\n'))
        .catch((e: unknown) => e);
      expect(none).toBeInstanceOf(TlsRefusedError);
      expect((none as TlsRefusedError).code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    } finally {
      await s.stop();
    }
  });

  it.skipIf(!requireTool('tshark'))('a tapped connection to s_server decrypts in tshark from the capture alone', async () => {
    const s = await sServer([...serverArgs, '-alpn', 'http/1.1']);
    const pcap = join(tmp.dir, 'to-openssl.pcapng');
    const tap = new TapRecorder({ path: pcap });
    try {
      const c = await tlsConnect({
        host: '127.0.0.1',
        port: s.port,
        servername: 'www.netlab.test',
        ca: pki.root.certPem,
        alpn: ['http/1.1'],
        tap,
        keyLog: new KeyLog({ tap }),
      });
      await c.exchange('GET /tapped HTTP/1.0\r\n\r\n');
    } finally {
      await s.stop();
      await tap.close();
    }
    const r = await run('tshark', ['-r', pcap, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri']);
    expect(r.stdout.trim()).toBe('/tapped');
    // s_server -www answers HTTP/1.0 with no Content-Length (the body ends with the connection, and
    // the capture ends at the client's close): the decrypted stream shows it.
    const follow = await run('tshark', ['-r', pcap, '-q', '-z', 'follow,tls,ascii,0']);
    expect(follow.stdout).toContain('GET /tapped HTTP/1.0');
    expect(follow.stdout).toContain('HTTP/1.0 200 ok');
  });
});
