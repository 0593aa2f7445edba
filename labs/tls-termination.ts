// Lab: TLS termination at netlab's reverse proxy. The client speaks TLS to the proxy (a certificate
// from the lab's PKI, chosen by SNI), the proxy speaks plain HTTP to the backend: what the backend
// sees (plain HTTP, X-Forwarded-Proto, X-Forwarded-For and Forwarded with the client's address, a
// forged X-Forwarded-For dropped); TLS again to an upstream, verified against the lab's CA, and the
// two refusals (another CA, another name); and what termination costs, measured on loopback.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defineLab, displayPath, tsharkFields, tsharkInstalled, wiresharkCommand, wrapCommand, type StepContext } from '../src/lab/index.ts';
import { HttpClientConnection } from '../src/http/index.ts';
import { startProxy, type ReverseProxy } from '../src/proxy/index.ts';
import { KeyLog, tlsConnect, type Leaf, type TlsClient } from '../src/tls/index.ts';
import { need } from './common/need.ts';
import { LAB_INFO } from './info.ts';
import { EchoBackend, type Seen } from './tls-termination/backend.ts';
import { measure, type CostResult } from './tls-termination/cost.ts';
import { terminationExercises, type TerminationExerciseState } from './tls-termination/exercises.ts';
import { identityOf, labPki, type LabPki } from './tls/pki.ts';
import { contains } from './tls/records.ts';
import { tlsOutput } from './tls/output.ts';

const PROXY = '127.71.1.1';
const BACKEND = '127.71.1.11';
const TLS_BACKEND = '127.71.1.12';
const ROGUE_BACKEND = '127.71.1.13';
const CLIENT = '127.71.1.21';
const SHOP = 'shop.netlab.test';
const UPSTREAM_NAME = 'backend.netlab.test';
const FORGED = '203.0.113.9';

interface Files {
  readonly dir: string;
  readonly shopCert: string;
  readonly shopKey: string;
  readonly rootCa: string;
}

interface State extends TerminationExerciseState {
  pki?: LabPki;
  shop?: Leaf;
  files?: Files;
  /** Tests only: addresses the proxy believes X-Forwarded-For from (a lab broken on purpose). */
  trustedProxies?: string[];
}

/** The proxy reads its certificates from files: the lab writes them to a folder removed at the end. */
function pkiFiles(ctx: StepContext<State>): Files {
  if (ctx.state.files !== undefined) return ctx.state.files;
  const pki = labPki('tls-termination');
  const shop = pki.issuing.issueServer({ dns: [SHOP] });
  const dir = mkdtempSync(join(tmpdir(), 'netlab-tls-termination-'));
  ctx.onLabEnd(() => rmSync(dir, { recursive: true, force: true }));
  const files: Files = { dir, shopCert: join(dir, 'shop.crt'), shopKey: join(dir, 'shop.key'), rootCa: join(dir, 'root.crt') };
  writeFileSync(files.shopCert, shop.chainPem);
  writeFileSync(files.shopKey, shop.keyPem, { mode: 0o600 });
  writeFileSync(files.rootCa, pki.root.certPem);
  ctx.state.pki = pki;
  ctx.state.shop = shop;
  ctx.state.files = files;
  return files;
}

const httpsListener = (files: Files, name = 'https'): Record<string, unknown> => ({
  name,
  address: PROXY,
  port: 0,
  tls: { cert: files.shopCert, key: files.shopKey, minVersion: 'TLSv1.3' },
});

/** A GET with these extra header lines (NAME: value). */
const get = (path: string, extra: readonly string[] = []): { target: string; fields: { name: string; value: string }[] } => ({
  target: path,
  fields: [`Host: ${SHOP}`, 'User-Agent: netlab-lab', ...extra].map((l) => {
    const colon = l.indexOf(':');
    return { name: l.slice(0, colon), value: l.slice(colon + 1).trim() };
  }),
});

/**
 * One request over a new TLS connection to the proxy (netlab's HTTP client on the TLS socket); the
 * connection is closed after the response. `head` is the response head as text.
 */
async function askProxy(
  port: number,
  ca: string,
  request: ReturnType<typeof get>,
  options: Partial<Parameters<typeof tlsConnect>[0]> = {},
): Promise<{ client: TlsClient; status: number; head: string; body: string }> {
  const client = await tlsConnect({ host: PROXY, port, servername: SHOP, ca, localAddress: CLIENT, ...options });
  try {
    const conn = new HttpClientConnection(client.socket, { responseTimeoutMs: 5000 });
    const res = await conn.request({ method: 'GET', target: request.target, fields: request.fields });
    const body = await res.body.text();
    const head = [`HTTP/${res.head.version} ${res.head.status} ${res.head.reason}`, ...res.head.fields.map((f) => `${f.name}: ${f.value}`)].join('\r\n');
    return { client, status: res.head.status, head, body };
  } finally {
    await client.close();
  }
}

function costRow(what: string, conn: string, r: CostResult): (string | number)[] {
  return [what, conn, r.requests, Math.round(r.perSecond), r.connectMs.toFixed(2)];
}

export default defineLab<State>({
  ...LAB_INFO['tls-termination'],
  state: () => ({}),
  exercises: terminationExercises,
  steps: [
    {
      title: 'Where TLS ends: the proxy decrypts, the backend reads plain HTTP',
      explain:
        `The client (${CLIENT}) opens TLS 1.3 to netlab's proxy on ${PROXY}, asking for ${SHOP} (SNI). The proxy holds ` +
        "that name's certificate, issued by the lab's CA, and its private key: it ends TLS, reads the HTTP request, and " +
        `forwards it in plain HTTP to the backend on ${BACKEND}. The backend never sees TLS: it learns that the client ` +
        'used HTTPS, and from which address, only from what the proxy writes: X-Forwarded-Proto, X-Forwarded-For and ' +
        "RFC 7239 Forwarded. A second client forges X-Forwarded-For itself; the proxy trusts no client's copy and writes " +
        'its own. A study guide says termination at a balancer means plain HTTP behind it: that is this step (the next ' +
        'one re-encrypts). Both sides are in one capture; the client side is written without its keys.',
      async run(ctx) {
        const files = pkiFiles(ctx);
        const pki = need(ctx.state.pki, 'the PKI');
        const out = tlsOutput(ctx);
        const keysPath = out.pathOf('termination.keys');
        mkdirSync(dirname(keysPath), { recursive: true });
        rmSync(keysPath, { force: true });
        const keyLog = new KeyLog({ path: keysPath });
        const tap = out.tap('termination', {
          filter: 'http.request',
          frames: 2,
          about: "without the keys only the backend side reads as HTTP: the proxy's two plain requests",
          also: [
            { filter: `tls.handshake.extensions_server_name == "${SHOP}"`, frames: 2, about: 'the client side: two ClientHellos naming the site' },
            { filter: 'tls.app_data', frames: 'some', about: 'the client side: encrypted records only' },
            { filter: `http.x_forwarded_for == "${CLIENT}"`, frames: 2, about: "what the proxy wrote: the client's address, forged or not" },
          ],
        });
        const backend = await EchoBackend.start({ host: BACKEND, tap });
        ctx.onStepEnd(() => backend.close());
        const proxy = await startProxy(
          {
            listeners: [httpsListener(files)],
            routes: [{ name: 'shop', cluster: 'shop' }],
            clusters: [{ name: 'shop', endpoints: [{ name: 'backend', address: BACKEND, port: backend.port }] }],
            trustedProxies: ctx.state.trustedProxies ?? [],
          },
          { graceMs: 500 },
        );
        ctx.onStepEnd(() => proxy.close(500));
        const port = proxy.address().port;
        const plain = await askProxy(port, pki.root.certPem, get('/whoami?id=1'), { tap, keyLog });
        const forged = await askProxy(port, pki.root.certPem, get('/whoami?id=2', [`X-Forwarded-For: ${FORGED}`, 'X-Forwarded-Proto: http']), { tap, keyLog });
        const rid = /X-Request-Id: (\S+)/i.exec(forged.head)?.[1] ?? '';
        tap.filter({
          filter: 'http.request.uri contains "id=2"',
          frames: 1,
          about: "the forged request: only the proxy's copy without the keys; with them (tshark below) the client's too",
        });
        tap.filter({
          filter: `http.request.line contains "${rid}" || http.response.line contains "${rid}"`,
          frames: 1,
          about: "id=2 by the proxy's X-Request-Id: upstream request (and, with the keys, the response to the client)",
        });
        await proxy.close(500);
        await backend.close();
        await tap.close();
        const [s1, s2] = backend.seen as [Seen, Seen];
        ctx.show.table(
          ['the backend saw', 'request id=1', 'request id=2 (forged)'],
          [
            ['its connection', s1.tls ? 'TLS' : 'plain TCP', s2.tls ? 'TLS' : 'plain TCP'],
            ['from', s1.peer, s2.peer],
            ['request line', s1.requestLine, s2.requestLine],
            ['X-Forwarded-For', s1.xForwardedFor, s2.xForwardedFor],
            ['X-Forwarded-Proto', s1.xForwardedProto, s2.xForwardedProto],
            ['Forwarded', s1.forwarded, s2.forwarded],
            ['Via', s1.via, s2.via],
          ],
        );
        const tsharkLine = wiresharkCommand(displayPath(out.pathOf('termination')), 'http.request.uri contains "id=2"', [
          `tls.keylog_file:${displayPath(keysPath)}`,
        ]).replace(/^wireshark /, 'tshark ');
        ctx.show.text(
          'The client side is TLS only. Give Wireshark the key log (SSLKEYLOGFILE format) to read it:\n' +
            `${wrapCommand(tsharkLine, 78, '  ').join('\n')}\n` +
            '(in Wireshark: Preferences, Protocols, TLS, (Pre)-Master-Secret log filename).',
        );
        ctx.check.equal('the client spoke TLS 1.3 to the proxy', [plain.client.info.protocol, forged.client.info.protocol], ['TLSv1.3', 'TLSv1.3']);
        ctx.check.equal("...and got the proxy's certificate for the name it asked (SNI)", plain.client.info.peer?.subjectAltName, `DNS:${SHOP}`);
        ctx.check.equal('both requests answered 200', [plain.status, forged.status], [200, 200]);
        ctx.check.equal("the backend's connection was plain TCP, the request plain HTTP/1.1", [s1.tls, s1.requestLine], [false, 'GET /whoami?id=1 HTTP/1.1']);
        ctx.check.equal('X-Forwarded-Proto: https (also where the client wrote "http")', [s1.xForwardedProto, s2.xForwardedProto], ['https', 'https']);
        ctx.check.equal(
          `X-Forwarded-For: the client's address, ${CLIENT} (the forged ${FORGED} dropped)`,
          [s1.xForwardedFor, s2.xForwardedFor],
          [CLIENT, CLIENT],
        );
        ctx.check.match(
          'Forwarded (RFC 7239) names the client and the scheme',
          s2.forwarded,
          new RegExp(`^for=${CLIENT.replaceAll('.', '\\.')};by=${PROXY.replaceAll('.', '\\.')};host=${SHOP.replaceAll('.', '\\.')};proto=https$`),
        );
        ctx.check.ok("the backend's peer is the proxy, not the client", s1.peer !== CLIENT, `peer ${s1.peer}`);
        const frames = tap.frames.map((f) => f.data);
        const withText = (t: string): number => frames.filter((f) => contains(f, Buffer.from(t, 'latin1'))).length;
        ctx.check.equal(
          'netlab: the request lines are in clear in 2 frames (the backend side)',
          withText('GET /whoami?id=1 HTTP/1.1\r\n') + withText('GET /whoami?id=2 HTTP/1.1\r\n'),
          2,
        );
        ctx.check.equal(`netlab: ${FORGED} is in no frame (encrypted, then dropped)`, withText(FORGED), 0);
        ctx.check.ok('the key log holds TLS 1.3 traffic secrets', keyLog.labels.includes('CLIENT_TRAFFIC_SECRET_0'), keyLog.labels.join(' '));
        if (!tsharkInstalled()) {
          ctx.show.skipped('tshark is not installed: the decryption with the key log is not confirmed');
          return;
        }
        const read = (prefs: readonly string[]): string[][] =>
          tsharkFields(out.pathOf('termination'), ['tcp.dstport', 'http.request.uri', 'http.x_forwarded_for'], prefs).filter((r) =>
            (r[1] ?? '').includes('id=2'),
          );
        const without = read([]);
        const withKeys = read([`tls.keylog_file:${keysPath}`]);
        ctx.check.equal(
          'tshark without the key log: id=2 only on the backend side',
          without.map((r) => Number(r[0])),
          [backend.port],
        );
        ctx.check.equal(
          "tshark with -o tls.keylog_file: the client's request to the proxy, then the proxy's to the backend",
          withKeys.map((r) => [Number(r[0]), r[2]]),
          [
            [port, FORGED],
            [backend.port, CLIENT],
          ],
        );
      },
    },
    {
      title: "TLS again to the upstream, verified against the lab's CA",
      explain:
        'When the path behind the proxy is not trusted, the proxy opens TLS again to the backend (re-encryption) and ' +
        `must check the backend's certificate as a browser would: signed by a CA it trusts (the lab's root), for the ` +
        `name it expects (serverName ${UPSTREAM_NAME}, also sent as SNI). Three clusters: the right backend; one whose ` +
        "certificate comes from another CA (the same name); and the right backend asked for as db.netlab.test. The proxy's " +
        'TLS client refuses the last two, and the proxy answers the client itself.',
      async run(ctx) {
        const files = pkiFiles(ctx);
        const pki = need(ctx.state.pki, 'the PKI');
        const good = await EchoBackend.start({ host: TLS_BACKEND, identity: identityOf(pki.issuing.issueServer({ dns: [UPSTREAM_NAME] })) });
        ctx.onStepEnd(() => good.close());
        const other = labPki('another');
        const rogue = await EchoBackend.start({ host: ROGUE_BACKEND, identity: identityOf(other.issuing.issueServer({ dns: [UPSTREAM_NAME] })) });
        ctx.onStepEnd(() => rogue.close());
        const tls = (serverName: string) => ({ ca: files.rootCa, serverName });
        const proxy = await startProxy(
          {
            listeners: [httpsListener(files)],
            routes: [
              { name: 'good', match: { path: { prefix: '/good' } }, cluster: 'good' },
              { name: 'other-ca', match: { path: { prefix: '/other-ca' } }, cluster: 'other-ca' },
              { name: 'mismatch', match: { path: { prefix: '/mismatch' } }, cluster: 'mismatch' },
            ],
            clusters: [
              { name: 'good', endpoints: [{ name: 'tls-backend', address: TLS_BACKEND, port: good.port }], tls: tls(UPSTREAM_NAME) },
              { name: 'other-ca', endpoints: [{ name: 'rogue', address: ROGUE_BACKEND, port: rogue.port }], tls: tls(UPSTREAM_NAME) },
              { name: 'mismatch', endpoints: [{ name: 'tls-backend', address: TLS_BACKEND, port: good.port }], tls: tls('db.netlab.test') },
            ],
          },
          { graceMs: 500 },
        );
        ctx.onStepEnd(() => proxy.close(500));
        const port = proxy.address().port;
        const results: Record<string, { status: number; body: string }> = {};
        for (const path of ['/good', '/other-ca', '/mismatch']) {
          const r = await askProxy(port, pki.root.certPem, get(path));
          results[path] = { status: r.status, body: r.body.trim() };
        }
        const seen = good.seen[0];
        ctx.show.table(
          ['upstream', 'its certificate', 'client got', 'detail'],
          [
            [`${UPSTREAM_NAME} (lab CA)`, 'lab CA', results['/good'].status, seen === undefined ? '-' : `backend saw TLS ${seen.tls}, SNI ${seen.servername}`],
            [`${UPSTREAM_NAME} (another CA)`, 'another CA', results['/other-ca'].status, results['/other-ca'].body],
            ['asked for db.netlab.test', 'lab CA', results['/mismatch'].status, results['/mismatch'].body],
          ],
        );
        ctx.state.mismatchStatus = results['/mismatch'].status;
        ctx.check.equal('right CA, right name: 200', results['/good'].status, 200);
        ctx.check.equal(
          '...the backend read TLS, with SNI from serverName, and X-Forwarded-Proto https',
          [seen?.tls, seen?.servername, seen?.xForwardedProto],
          [true, UPSTREAM_NAME, 'https'],
        );
        ctx.check.equal('another CA: the proxy answers 502', results['/other-ca'].status, 502);
        ctx.check.match("...saying why (its TLS client's verdict)", results['/other-ca'].body, /certificate|issuer|verify/i);
        ctx.check.equal('...and the rogue backend got no request', rogue.seen.length, 0);
        ctx.check.equal('another name: 502', results['/mismatch'].status, 502);
        ctx.check.match("...the name is not in the certificate's altnames", results['/mismatch'].body, /altnames|does not match/i);
        ctx.check.equal('...and the backend got only the good request', good.seen.length, 1);
      },
    },
    {
      title: 'What termination costs, measured',
      explain:
        'Sequential GETs through the proxy, three ways: plain HTTP end to end; TLS terminated at the proxy (plain to the ' +
        'backend); TLS on both sides. Each with a new connection per request (a TCP handshake, plus a TLS 1.3 handshake ' +
        'with an ECDSA P-256 certificate, every time) and on one keep-alive connection. The proxy keeps its upstream ' +
        'connections alive, so upstream TLS handshakes are paid once per pooled connection, not per request. At most ' +
        '150 (new connections) or 400 (keep-alive) requests, and 800 ms, per row.',
      async run(ctx) {
        const files = pkiFiles(ctx);
        const pki = need(ctx.state.pki, 'the PKI');
        const plainUp = await EchoBackend.start({ host: BACKEND });
        ctx.onStepEnd(() => plainUp.close());
        const tlsUp = await EchoBackend.start({ host: TLS_BACKEND, identity: identityOf(pki.issuing.issueServer({ dns: [UPSTREAM_NAME] })) });
        ctx.onStepEnd(() => tlsUp.close());
        const proxy: ReverseProxy = await startProxy(
          {
            listeners: [{ name: 'http', address: PROXY, port: 0 }, httpsListener(files, 'https'), httpsListener(files, 'https-both')],
            routes: [
              { name: 'to-plain', listeners: ['http', 'https'], cluster: 'plain' },
              { name: 'to-tls', listeners: ['https-both'], cluster: 'tls' },
            ],
            clusters: [
              { name: 'plain', endpoints: [{ address: BACKEND, port: plainUp.port }] },
              { name: 'tls', endpoints: [{ address: TLS_BACKEND, port: tlsUp.port }], tls: { ca: files.rootCa, serverName: UPSTREAM_NAME } },
            ],
          },
          { graceMs: 500 },
        );
        ctx.onStepEnd(() => proxy.close(500));
        const ca = pki.root.certPem;
        const target = (listener: string, tls: boolean) => ({
          host: PROXY,
          port: proxy.address(listener).port,
          localAddress: CLIENT,
          ...(tls ? { tls: { servername: SHOP, ca } } : {}),
        });
        const rows: (string | number)[][] = [];
        const r: Record<string, CostResult> = {};
        for (const [key, what, listener, tls] of [
          ['plain', 'plain HTTP', 'http', false],
          ['term', 'TLS terminated', 'https', true],
          ['both', 'TLS both sides', 'https-both', true],
        ] as const) {
          r[`${key}-new`] = await measure(target(listener, tls), false, 150, 800);
          r[`${key}-ka`] = await measure(target(listener, tls), true, 400, 800);
          rows.push(costRow(what, 'new per request', r[`${key}-new`]));
          rows.push(costRow(what, 'keep-alive', r[`${key}-ka`]));
        }
        ctx.show.table(['client to proxy to backend', 'connection', 'requests', 'req/s', 'connect ms'], rows);
        const ratio = (a: number, b: number): string => (a / b).toFixed(1);
        ctx.show.text(
          `This run: a new TLS connection per request gives ${ratio(r['plain-new'].perSecond, r['term-new'].perSecond)}x fewer requests/s than a new ` +
            `plain one; keep-alive makes TLS ${ratio(r['term-ka'].perSecond, r['term-new'].perSecond)}x faster. The handshake (TCP + TLS 1.3) ` +
            `took ${r['term-new'].connectMs.toFixed(2)} ms against ${r['plain-new'].connectMs.toFixed(2)} ms for TCP alone. Upstream TLS ` +
            `connections opened for ${r['both-new'].requests + r['both-ka'].requests} requests: ${tlsUp.accepted}.`,
        );
        ctx.check.ok(
          'a TLS handshake per request costs requests/s (TLS new < plain new)',
          r['term-new'].perSecond < r['plain-new'].perSecond,
          `${Math.round(r['term-new'].perSecond)} < ${Math.round(r['plain-new'].perSecond)} req/s`,
        );
        ctx.check.ok(
          'the TLS handshake takes longer than the TCP handshake alone',
          r['term-new'].connectMs > r['plain-new'].connectMs,
          `${r['term-new'].connectMs.toFixed(2)} > ${r['plain-new'].connectMs.toFixed(2)} ms`,
        );
        ctx.check.ok(
          'keep-alive wins back most of it (TLS keep-alive > TLS new per request)',
          r['term-ka'].perSecond > r['term-new'].perSecond,
          `${Math.round(r['term-ka'].perSecond)} > ${Math.round(r['term-new'].perSecond)} req/s`,
        );
        ctx.check.ok(
          'the proxy reused its upstream TLS connections (far fewer than requests)',
          tlsUp.accepted * 4 <= r['both-new'].requests + r['both-ka'].requests,
          `${tlsUp.accepted} connections for ${r['both-new'].requests + r['both-ka'].requests} requests`,
        );
      },
    },
  ],
});
