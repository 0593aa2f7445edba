// The forward proxy (listeners with mode: forward): absolute-form requests relayed to the origin the
// URI names, CONNECT tunnels, the allow-list, Basic proxy authentication, X-Forwarded-For modes, the
// access log and metrics; with netlab's own client, and with curl (-x, -p, https through CONNECT,
// --proxy-user). Every destination is on 127.0.0.1, and the allow-lists name those ports only.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClientConnection } from '../../src/http/index.ts';
import { ForwardAllowList } from '../../src/proxy/config-forward.ts';
import { basicCredentials, credentialsMatch, splitAuthority } from '../../src/proxy/forward-proxy.ts';
import { ConfigError, describeConfig, parseConfig, type ReverseProxy } from '../../src/proxy/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { makePki, run, type TestPki, tempDir } from '../tls/helpers.ts';
import { field, proxyWith, sleep, startUpstream, type Upstream } from './helpers.ts';

let pki: TestPki;
let dir: { dir: string; remove: () => void };
let plain: Upstream;
let secure: Upstream;
let closedPort: number;
let proxy: ReverseProxy;
const log: string[] = [];
let caFile: string;

async function freePortNowClosed(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  pki = makePki();
  dir = tempDir('netlab-fwd-');
  caFile = join(dir.dir, 'root.crt');
  writeFileSync(caFile, pki.root.certPem);
  plain = await startUpstream('plain');
  secure = await startUpstream('secure', { key: pki.www.keyPem, cert: pki.www.chainPem });
  closedPort = await freePortNowClosed();
  const allow = [{ hosts: ['127.0.0.0/8'], ports: [plain.port, secure.port, closedPort] }];
  proxy = await proxyWith(
    {
      listeners: [
        { name: 'fwd', address: '127.0.0.1', port: 0, mode: 'forward', forward: { allow } },
        {
          name: 'auth',
          address: '127.0.0.1',
          port: 0,
          mode: 'forward',
          forward: { allow, auth: { realm: 'netlab lab', users: [{ user: 'alice', password: 's3cret' }] } },
        },
        {
          name: 'anon',
          address: '127.0.0.1',
          port: 0,
          mode: 'forward',
          forward: { allow: [{ hosts: '127.0.0.1', ports: plain.port, kinds: 'http' }], forwardedFor: 'remove' },
        },
        // No allow list: the default (HTTP to 80, CONNECT to 443 only).
        { name: 'strict', address: '127.0.0.1', port: 0, mode: 'forward' },
      ],
      metrics: { path: '/metrics' },
    },
    { accessLog: (l) => log.push(l) },
  );
});

afterAll(async () => {
  await proxy.close(500);
  await plain.close();
  await secure.close();
  dir.remove();
});

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

async function ask(listener: string, method: string, target: string, fields: Record<string, string> = {}) {
  const conn = new HttpClientConnection(await open(proxy.address(listener).port), { responseTimeoutMs: 10_000 });
  try {
    const res = await conn.request({ method, target, fields: Object.entries(fields).map(([name, value]) => ({ name, value })) });
    return { status: res.head.status, fields: res.head.fields, body: method === 'CONNECT' && res.head.status === 200 ? '' : await res.body.text(), conn };
  } finally {
    if (method !== 'CONNECT') conn.destroy();
  }
}

const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

describe('pieces', () => {
  it('reads authorities, Basic credentials and allow rules', () => {
    expect(splitAuthority('127.0.0.1:8080', undefined)).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(splitAuthority('[::1]:443', undefined)).toEqual({ host: '::1', port: 443 });
    expect(splitAuthority('example.test', 80)).toEqual({ host: 'example.test', port: 80 });
    expect(splitAuthority('example.test', undefined)).toBeUndefined();
    expect(splitAuthority('h:70000', 80)).toBeUndefined();
    expect(splitAuthority('[::1:443', 80)).toBeUndefined();
    expect(basicCredentials(basic('u:p'))).toBe('u:p');
    expect(basicCredentials('Bearer abc')).toBeUndefined();
    expect(basicCredentials(basic('nocolon'))).toBeUndefined();
    const secrets = [
      Buffer.from('5d3a1f5b3c1ee6ac1d0e0c55b8e7bd2dd5eab5ab1a4c6e2f43b8c3e9e3c3e9e3', 'hex'),
      ...['a:1', 'b:2'].map((s) => createHash('sha256').update(s).digest()),
    ];
    expect(credentialsMatch('b:2', secrets)).toBe(true);
    expect(credentialsMatch('b:3', secrets)).toBe(false);
    expect(credentialsMatch(undefined, secrets)).toBe(false);
    const allow = new ForwardAllowList([
      { hosts: ['*.netlab.test', '10.0.0.0/8'], ports: [443], kinds: ['connect'] },
      { hosts: ['127.0.0.1'], ports: ['40000-40010'], kinds: ['http', 'connect'] },
    ]);
    expect(allow.check('connect', 'api.netlab.test', 443).allowed).toBe(true);
    expect(allow.check('connect', '10.1.2.3', 443).allowed).toBe(true);
    expect(allow.check('http', 'api.netlab.test', 443).reason).toMatch(/CONNECT only/);
    expect(allow.check('connect', 'api.netlab.test', 22).reason).toBe('port 22 of api.netlab.test is not on the allow list');
    expect(allow.check('http', '127.0.0.1', 40005).allowed).toBe(true);
    expect(allow.check('http', '127.0.0.2', 40005).reason).toBe('host 127.0.0.2 is not on the allow list');
  });

  it('checks forward settings in the config', () => {
    const bad = (text: string): string => {
      try {
        parseConfig(text, { kind: 'proxy' });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'no error';
    };
    // A forward-only file needs no clusters; an http listener still does.
    expect(parseConfig('listeners: [{ name: f, address: 127.0.0.1, port: 0, mode: forward }]\n').listeners[0].forward).toBeUndefined();
    expect(bad('listeners: [{ name: w, address: 127.0.0.1, port: 0 }]\nroutes: [{ name: r, respond: { status: 200 } }]\n')).toMatch(
      /clusters: expected at least one cluster/,
    );
    expect(bad('listeners: [{ name: f, address: 127.0.0.1, port: 0, mode: forward, forward: { allow: [{ hosts: ["bad host"], ports: [1] }] } }]\n')).toMatch(
      /listeners\[0\]\.forward\.allow\[0\]\.hosts\[0\]: expected a host name/,
    );
    expect(bad('listeners: [{ name: f, address: 127.0.0.1, port: 0, mode: forward, forward: { allow: [{ hosts: "*", ports: "9-1" }] } }]\n')).toMatch(
      /allow\[0\]\.ports: expected a port \(443\) or a range/,
    );
    expect(bad('listeners: [{ name: f, address: 127.0.0.1, port: 0, mode: forward, cluster: c }]\n')).toMatch(/listeners\[0\]\.cluster: a forward listener/);
    expect(bad('listeners: [{ name: w, address: 127.0.0.1, port: 0, forward: {} }]\nroutes: [{ name: r, respond: { status: 200 } }]\n')).toMatch(
      /listeners\[0\]\.forward: forward settings belong to a listener with mode: forward/,
    );
    expect(bad('listeners: [{ name: f, address: 127.0.0.1, port: 0, mode: forward, forward: { auth: { users: [{ user: "a:b", password: x }] } } }]\n')).toMatch(
      /user: a Basic user name cannot hold ":"/,
    );
  });
});

describe('absolute-form requests', () => {
  it('go to the origin the URI names: origin-form target, Host from the URI, Via added, proxy fields not forwarded', async () => {
    const before = plain.seen.length;
    const r = await ask('fwd', 'GET', `http://127.0.0.1:${plain.port}/page?q=1`, {
      Host: 'ignored.example',
      'Proxy-Connection': 'keep-alive',
      'Proxy-Authorization': basic('x:y'),
      'X-Custom': 'kept',
    });
    expect(r.status).toBe(200);
    expect(r.body).toBe('plain GET /page?q=1');
    expect(field(r.fields, 'via')).toBe('1.1 netlab');
    const seen = plain.seen[before];
    expect(seen.target).toBe('/page?q=1');
    expect(field(seen.fields, 'host')).toBe(`127.0.0.1:${plain.port}`);
    expect(field(seen.fields, 'via')).toBe('1.1 netlab');
    expect(field(seen.fields, 'x-forwarded-for')).toBe('127.0.0.1');
    expect(field(seen.fields, 'x-custom')).toBe('kept');
    expect(field(seen.fields, 'proxy-connection')).toBeUndefined();
    expect(field(seen.fields, 'proxy-authorization')).toBeUndefined();
  });

  it("forwardedFor: remove sends no X-Forwarded-For, not even the client's", async () => {
    const before = plain.seen.length;
    const r = await ask('anon', 'GET', `http://127.0.0.1:${plain.port}/anon`, { Host: `127.0.0.1:${plain.port}`, 'X-Forwarded-For': '203.0.113.9' });
    expect(r.status).toBe(200);
    expect(field(plain.seen[before].fields, 'x-forwarded-for')).toBeUndefined();
    // That listener's rule allows plain HTTP only.
    const c = await ask('anon', 'CONNECT', `127.0.0.1:${plain.port}`, { Host: `127.0.0.1:${plain.port}` });
    expect(c.status).toBe(403);
    expect(c.body).toMatch(/allows plain HTTP only/);
  });

  it('refuses origin-form and https:// targets, and a port off the list (403 with the reason)', async () => {
    const o = await ask('fwd', 'GET', '/x', { Host: 'a' });
    expect(o.status).toBe(400);
    expect(o.body).toMatch(/absolute-form/);
    const h = await ask('fwd', 'GET', `https://127.0.0.1:${secure.port}/`, { Host: 'a' });
    expect(h.status).toBe(501);
    const p = await ask('fwd', 'GET', 'http://127.0.0.1:9/', { Host: 'a' });
    expect(p.status).toBe(403);
    expect(p.body).toBe('netlab proxy: refused: port 9 of 127.0.0.1 is not on the allow list\n');
    const s = await ask('strict', 'GET', `http://127.0.0.1:${plain.port}/`, { Host: 'a' });
    expect(s.status).toBe(403);
  });

  it('answers 502 when the origin refuses the connection', async () => {
    const r = await ask('fwd', 'GET', `http://127.0.0.1:${closedPort}/`, { Host: 'a' });
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/ECONNREFUSED/);
  });
});

describe('authentication', () => {
  it('407 with Proxy-Authenticate without or with wrong credentials; the right ones pass and are not forwarded', async () => {
    const target = `http://127.0.0.1:${plain.port}/auth`;
    const none = await ask('auth', 'GET', target, { Host: 'a' });
    expect(none.status).toBe(407);
    expect(field(none.fields, 'proxy-authenticate')).toBe('Basic realm="netlab lab", charset="UTF-8"');
    const wrong = await ask('auth', 'GET', target, { Host: 'a', 'Proxy-Authorization': basic('alice:wrong') });
    expect(wrong.status).toBe(407);
    // Authentication comes before the allow-list: a stranger learns nothing about it.
    const probe = await ask('auth', 'CONNECT', '127.0.0.1:22', { Host: '127.0.0.1:22' });
    expect(probe.status).toBe(407);
    const before = plain.seen.length;
    const ok = await ask('auth', 'GET', target, { Host: 'a', 'Proxy-Authorization': basic('alice:s3cret') });
    expect(ok.status).toBe(200);
    expect(field(plain.seen[before].fields, 'proxy-authorization')).toBeUndefined();
  });
});

describe('CONNECT', () => {
  it('answers 200 and relays bytes both ways (HTTP inside the tunnel, unread by the proxy)', async () => {
    const r = await ask('fwd', 'CONNECT', `127.0.0.1:${plain.port}`, { Host: `127.0.0.1:${plain.port}` });
    expect(r.status).toBe(200);
    const { socket, rest } = r.conn.takeOver();
    expect(rest.length).toBe(0);
    const text = await new Promise<string>((resolve) => {
      let t = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        t += d;
      });
      socket.on('end', () => resolve(t));
      socket.write(`GET /inside HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('plain GET /inside');
  });

  it('403 for a port off the list (and by default anything but 443); 502 for a refused port on it', async () => {
    const off = await ask('fwd', 'CONNECT', '127.0.0.1:22', { Host: '127.0.0.1:22' });
    expect(off.status).toBe(403);
    off.conn.destroy();
    const def = await ask('strict', 'CONNECT', `127.0.0.1:${plain.port}`, { Host: 'x' });
    expect(def.status).toBe(403);
    expect(def.body).toBe(`netlab proxy: refused: port ${plain.port} of 127.0.0.1 is not on the allow list\n`);
    def.conn.destroy();
    const refused = await ask('fwd', 'CONNECT', `127.0.0.1:${closedPort}`, { Host: 'x' });
    expect(refused.status).toBe(502);
    refused.conn.destroy();
  });
});

describe.skipIf(!requireTool('curl'))('curl through the forward proxy', () => {
  const curl = (args: string[]) => run('curl', ['-sS', '--noproxy', '', ...args]);

  it('-x sends absolute-form; -p tunnels plain HTTP through CONNECT; https:// goes through CONNECT with TLS the proxy cannot read', async () => {
    const px = proxy.address('fwd').url;
    const before = plain.seen.length;
    const a = await curl(['-i', '-x', px, `http://127.0.0.1:${plain.port}/via-x`]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(a.stdout).toMatch(/\r\nvia: 1\.1 netlab\r\n/i);
    expect(a.stdout).toContain('plain GET /via-x');
    expect(field(plain.seen[before].fields, 'via')).toBe('1.1 netlab');

    const p = await curl(['-p', '-x', px, '-w', '\n%{http_connect}', `http://127.0.0.1:${plain.port}/via-p`]);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('plain GET /via-p\n200');
    // Inside the tunnel curl spoke to the origin directly: no Via, no X-Forwarded-For.
    const inside = plain.seen.find((s) => s.target === '/via-p');
    expect(field(inside?.fields ?? [], 'via')).toBeUndefined();
    expect(field(inside?.fields ?? [], 'x-forwarded-for')).toBeUndefined();

    const t = await curl(['--cacert', caFile, '-x', px, '-w', '\n%{http_connect}', `https://127.0.0.1:${secure.port}/via-tls`]);
    expect(t.code).toBe(0);
    expect(t.stdout).toBe('secure GET /via-tls\n200');
    // A tunnel's line is written when it ends (curl has closed it by now, the proxy sees it soon).
    const line = `"CONNECT 127.0.0.1:${secure.port} HTTP/1.1" 200`;
    for (let i = 0; i < 100 && !log.some((l) => l.includes(line)); i++) await sleep(20);
    expect(log.some((l) => l.includes(line))).toBe(true);
    // The proxy's log line names the tunnel, never the path inside it.
    expect(log.some((l) => l.includes('/via-tls'))).toBe(false);
  });

  it('--proxy-user passes; without it 407; a port off the list 403', async () => {
    const px = proxy.address('auth').url;
    const no = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-x', px, `http://127.0.0.1:${plain.port}/c`]);
    expect(no.stdout).toBe('407');
    const yes = await curl(['--proxy-user', 'alice:s3cret', '-x', px, `http://127.0.0.1:${plain.port}/c-auth`]);
    expect(yes.stdout).toBe('plain GET /c-auth');
    const tls = await curl(['--proxy-user', 'alice:s3cret', '--cacert', caFile, '-x', px, `https://127.0.0.1:${secure.port}/c-tls`]);
    expect(tls.stdout).toBe('secure GET /c-tls');
    const refused = await curl(['-p', '-x', proxy.address('fwd').url, '-w', '%{http_connect}', 'http://127.0.0.1:22/']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('403');
  });
});

describe('timeouts', () => {
  it('504 when the origin sends no response head in headerMs; a silent tunnel closes after tunnelIdleMs', async () => {
    const mute = await startUpstream('mute');
    mute.handler = () => new Promise<void>(() => undefined);
    const p = await proxyWith({
      listeners: [
        {
          name: 'f',
          address: '127.0.0.1',
          port: 0,
          mode: 'forward',
          forward: { allow: [{ hosts: '127.0.0.1', ports: [mute.port, plain.port] }], timeouts: { headerMs: 150, tunnelIdleMs: 150 } },
        },
      ],
    });
    try {
      const conn = new HttpClientConnection(await open(p.address('f').port), { responseTimeoutMs: 5_000 });
      const r = await conn.request({ method: 'GET', target: `http://127.0.0.1:${mute.port}/`, fields: [{ name: 'Host', value: 'x' }] });
      expect(r.head.status).toBe(504);
      conn.destroy();
      const t = new HttpClientConnection(await open(p.address('f').port), { responseTimeoutMs: 5_000 });
      const c = await t.request({ method: 'CONNECT', target: `127.0.0.1:${plain.port}`, fields: [{ name: 'Host', value: 'x' }] });
      expect(c.head.status).toBe(200);
      const { socket } = t.takeOver();
      const started = Date.now();
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(p.config.listeners[0].forward?.timeouts.connectMs).toBe(5_000);
      expect(describeConfig(p.config)).toContain('listener f: forward proxy on 127.0.0.1:0, 1 allow rule(s), no auth');
    } finally {
      await p.close(200);
      await mute.close();
    }
  });
});

describe('observability', () => {
  it('logs each request and counts them in /metrics (asked of the proxy in origin-form)', async () => {
    const r = await ask('fwd', 'GET', '/metrics', { Host: 'proxy' });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/netlab_proxy_forward_requests_total\{listener="fwd",kind="http",status="200"\} [1-9]/);
    expect(r.body).toMatch(/netlab_proxy_forward_denied_total\{listener="auth",reason="auth"\} [1-9]/);
    expect(r.body).toMatch(/netlab_proxy_forward_tunnel_bytes_total\{listener="fwd",direction="down"\} [1-9]/);
    expect(log.some((l) => /^127\.0\.0\.1 - - \[.+\] "GET http:\/\/127\.0\.0\.1:\d+\/page\?q=1 HTTP\/1\.1" 200 \d+/.test(l))).toBe(true);
    expect(proxy.stats().byStatus['407']).toBeGreaterThan(0);
  });
});
