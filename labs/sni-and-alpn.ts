// Lab: one TLS listener, two host names, two certificates: the server name the client puts in its
// ClientHello (SNI) chooses the certificate; the common failures (no SNI, a name the server does not
// have, an expired certificate); and ALPN choosing h2 or http/1.1 (or nothing in common), with a real
// HTTP/2 request on the connection that chose h2.

import { X509Certificate } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { TapRecorder } from '../src/capture/index.ts';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { expiredWindow, KeyLog, TlsLabServer, tlsConnect, type Leaf, type TlsClient, type TlsConnectionInfo } from '../src/tls/index.ts';
import { askOrRefusal } from './tls/connect.ts';
import { http2Get, http2Responder, serveHttp1 } from './tls/http.ts';
import { tlsOutput } from './tls/output.ts';
import { certRow, identityOf, labPki, sanOf, type LabPki } from './tls/pki.ts';
import { contains, recordsOnWire } from './tls/records.ts';
import { tsharkOrSkip } from './tls/tshark-tls.ts';
import { need } from './common/need.ts';
import { sniAlpnExercises } from './sni-and-alpn/exercises.ts';

const HOST = '127.0.0.1';
const SHOP = 'shop.netlab.test';
const BLOG = 'blog.netlab.test';
const SERVER_ALPN = ['h2', 'http/1.1'];

interface State {
  pki?: LabPki;
  shop?: Leaf;
  blog?: Leaf;
}

const get = (host: string, path = '/'): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nconnection: close\r\n\r\n`;

function keyLogFor(path: string, tap: TapRecorder): KeyLog {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  return new KeyLog({ tap, path });
}

/** The one listener: SNI picks shop's or blog's certificate (shop's without SNI), ALPN h2 or http/1.1. */
async function listener(shop: Leaf, blog: Leaf): Promise<{ server: TlsLabServer; seen: TlsConnectionInfo[]; close(): Promise<void> }> {
  const seen: TlsConnectionInfo[] = [];
  const h2 = http2Responder('one listener');
  const server = await TlsLabServer.start({
    host: HOST,
    identity: identityOf(shop),
    sni: { [SHOP]: identityOf(shop), [BLOG]: identityOf(blog) },
    alpn: SERVER_ALPN,
    onConnection: (socket: TLSSocket, info) => {
      seen.push(info);
      if (info.alpn === 'h2') h2.emit('connection', socket);
      else serveHttp1(socket, info.servername ?? '(no SNI)');
    },
  });
  return {
    server,
    seen,
    close: async () => {
      await server.close();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
    },
  };
}

/** The names in the certificate a client was given. */
const peerSan = (c: TlsClient): string => c.info.peer?.subjectAltName ?? '(none)';

export default defineLab<State>({
  ...LAB_INFO['sni-and-alpn'],
  state: () => ({}),
  exercises: sniAlpnExercises,
  steps: [
    {
      title: 'Two sites, two certificates, one address and port',
      explain:
        `${SHOP} and ${BLOG} are served by one listener on ${HOST}, one port. Each site has its own\n` +
        'certificate (from the same CA here; it could be two CAs). The server must send the right one before\n' +
        'it has seen any HTTP (the Host header comes later, encrypted): the client names the site in its\n' +
        'ClientHello, in the server_name extension (SNI).',
      run(ctx) {
        const pki = labPki('sni-and-alpn');
        ctx.state.pki = pki;
        ctx.state.shop = pki.issuing.issueServer({ dns: [SHOP] });
        ctx.state.blog = pki.issuing.issueServer({ dns: [BLOG] });
        ctx.show.table(
          ['certificate', 'subject', 'issuer', 'subjectAltName', 'valid until'],
          [certRow('shop', ctx.state.shop.cert.x509), certRow('blog', ctx.state.blog.cert.x509)],
        );
        ctx.check.equal('each certificate names one site', [sanOf(ctx.state.shop.certPem), sanOf(ctx.state.blog.certPem)], [`DNS:${SHOP}`, `DNS:${BLOG}`]);
      },
    },
    {
      title: 'SNI chooses the certificate',
      explain:
        'Two clients connect to the same port, one asking for shop, one for blog. Each gets the certificate\n' +
        'for the name it asked for. The name travels in clear text in the ClientHello: anyone on the path sees\n' +
        'which site you visit, even though TLS 1.3 encrypts the certificate itself.',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const shop = need(ctx.state.shop, "shop's certificate");
        const blog = need(ctx.state.blog, "blog's certificate");
        const out = tlsOutput(ctx);
        const tap = out.tap('sni', {
          filter: 'tls.handshake.extensions_server_name',
          frames: 2,
          about: 'the two ClientHellos, each naming its site in clear text',
          also: [
            { filter: `tls.handshake.extensions_server_name == "${BLOG}"`, frames: 1, about: 'the client that asks for blog' },
            { filter: 'tls.handshake.type == 11', frames: 'unchecked', about: 'the two certificates (decrypted with the key log in the file)' },
            { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', frames: 2, about: 'two connections to one port' },
          ],
        });
        const keyLog = keyLogFor(out.pathOf('sni.keys'), tap);
        const l = await listener(shop, blog);
        ctx.onStepEnd(() => l.close());
        const port = l.server.port;
        const rows: string[][] = [];
        const got: Record<string, { san: string; reply: string; serverName: string | undefined }> = {};
        for (const name of [SHOP, BLOG]) {
          const c = await tlsConnect({ host: HOST, port, servername: name, ca: pki.root.certPem, alpn: ['http/1.1'], tap, keyLog });
          const reply = (await c.exchange(get(name))).toString('latin1');
          const serverName = l.seen[l.seen.length - 1]?.servername;
          got[name] = { san: peerSan(c), reply, serverName };
          rows.push([name, `${HOST}:${port}`, serverName ?? '(none)', peerSan(c), reply.slice(reply.indexOf('\r\n\r\n') + 4).trim()]);
        }
        await l.close();
        await tap.close();
        ctx.show.table(['client asks for', 'connects to', 'server read SNI', 'certificate received', 'answer'], rows);
        for (const name of [SHOP, BLOG]) {
          ctx.check.equal(`asking for ${name}: the server read the name from SNI`, got[name].serverName, name);
          ctx.check.equal(`asking for ${name}: the certificate names ${name}`, got[name].san, `DNS:${name}`);
        }
        const frames = tap.frames.map((f) => f.data);
        ctx.check.ok(
          'netlab: both names are on the wire in clear text',
          [SHOP, BLOG].every((n) => frames.some((f) => contains(f, Buffer.from(n)))),
          'found in the ClientHellos',
        );
        ctx.check.ok(
          'netlab: the certificates are not (TLS 1.3 encrypts them)',
          ![shop, blog].some((x) => frames.some((f) => contains(f, x.cert.der.subarray(0, 200)))),
          "neither certificate's DER is in any frame",
        );
        const wire = recordsOnWire(tap.frames);
        ctx.check.ok("netlab: the first connection's records parse end to end", !wire.truncated && wire.records.length > 0, `${wire.records.length} records`);
        const t = tsharkOrSkip(ctx.show, out.pathOf('sni'));
        if (t === undefined) return;
        const sniByClient = new Map(t.filter((f) => f.handshakeTypes.includes(1)).map((f) => [f.srcPort, f.serverNames.join(',')]));
        const pairs = t
          .filter((f) => f.srcPort === port && f.handshakeTypes.includes(11))
          .map((f) => {
            const der = f.certificates[0] ?? '';
            const san = der === '' ? '' : (new X509Certificate(Buffer.from(der, 'hex')).subjectAltName ?? '');
            return `${sniByClient.get(f.dstPort) ?? '?'} -> ${san}`;
          });
        ctx.check.equal("tshark: each ClientHello's server_name and the certificate that answered it", pairs, [
          `${SHOP} -> DNS:${SHOP}`,
          `${BLOG} -> DNS:${BLOG}`,
        ]);
      },
    },
    {
      title: 'The common failures: no SNI, a name the server does not have, an expired certificate',
      explain:
        "A client that sends no SNI (an old client, or one connecting by IP address) gets the server's default\n" +
        `certificate, here shop's: if it wanted ${BLOG}, the name does not match. So does a client asking for\n` +
        'a name the listener has no certificate for. And a certificate past its notAfter is refused whatever\n' +
        'its name. Each time the client stops the handshake itself (with an alert) and reports why; with\n' +
        'verification off, the lab shows which certificate the server did send.',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const shop = need(ctx.state.shop, "shop's certificate");
        const blog = need(ctx.state.blog, "blog's certificate");
        const l = await listener(shop, blog);
        ctx.onStepEnd(() => l.close());
        const expiredLeaf = pki.issuing.issueServer({ dns: [BLOG], validity: expiredWindow() });
        const old = await TlsLabServer.start({ host: HOST, identity: identityOf(expiredLeaf), onConnection: (s) => serveHttp1(s, BLOG) });
        ctx.onStepEnd(() => old.close());
        const cases: { what: string; port: number; servername: string | undefined; want: string }[] = [
          { what: `no SNI, wants ${BLOG} (by IP address)`, port: l.server.port, servername: undefined, want: 'ERR_TLS_CERT_ALTNAME_INVALID' },
          { what: 'asks for www.netlab.test (not served here)', port: l.server.port, servername: 'www.netlab.test', want: 'ERR_TLS_CERT_ALTNAME_INVALID' },
          { what: `asks for ${BLOG}, certificate expired yesterday`, port: old.port, servername: BLOG, want: 'CERT_HAS_EXPIRED' },
        ];
        const rows: string[][] = [];
        const outcomes: string[] = [];
        const sent: string[] = [];
        for (const c of cases) {
          const r = await askOrRefusal(
            () => tlsConnect({ host: HOST, port: c.port, servername: c.servername, ca: pki.root.certPem }),
            get(c.servername ?? BLOG),
          );
          const look = await tlsConnect({ host: HOST, port: c.port, servername: c.servername, ca: pki.root.certPem, verify: false });
          const peer = `${look.info.peer?.subjectAltName ?? '(none)'}, until ${look.info.peer?.validTo ?? '?'}`;
          await look.close();
          outcomes.push(r.outcome);
          sent.push(look.info.peer?.subjectAltName ?? '(none)');
          rows.push([c.what, peer, r.outcome]);
        }
        ctx.show.table(['client', 'certificate the server sent', 'client refuses with'], rows);
        cases.forEach((c, i) => ctx.check.equal(`${c.what}: refused`, outcomes[i], c.want));
        ctx.check.equal("without SNI and for an unknown name the listener sends its default certificate (shop's)", sent.slice(0, 2), [
          `DNS:${SHOP}`,
          `DNS:${SHOP}`,
        ]);
      },
    },
    {
      title: 'ALPN: h2 or http/1.1, chosen in the handshake',
      explain:
        'The client lists the application protocols it speaks in its ClientHello (ALPN); the server picks one\n' +
        'from its own order of preference (here h2, then http/1.1) and answers in EncryptedExtensions: in TLS\n' +
        '1.3 the choice is encrypted, not in the ServerHello. A client that offers h2 gets h2 and speaks\n' +
        'HTTP/2 at once (no Upgrade round trip); one that offers only http/1.1 gets that; one that offers no\n' +
        'ALPN gets none (HTTP/1.1 by default); one with nothing in common is refused with the alert\n' +
        'no_application_protocol (120).',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const shop = need(ctx.state.shop, "shop's certificate");
        const blog = need(ctx.state.blog, "blog's certificate");
        const out = tlsOutput(ctx);
        const tap = out.tap('alpn', {
          filter: 'tls.handshake.extensions_alpn_str',
          frames: 'some',
          about: 'the offers in the ClientHellos and, decrypted, the answers in EncryptedExtensions',
          also: [
            { filter: 'http2.header.name == ":authority"', frames: 'unchecked', about: 'the HTTP/2 request on the connection that chose h2' },
            { filter: 'tls.alert_message.desc == 120', frames: 1, about: 'no_application_protocol: nothing in common (sent before any key, in clear)' },
            { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', frames: 4, about: 'four connections' },
          ],
        });
        const keyLog = keyLogFor(out.pathOf('alpn.keys'), tap);
        const l = await listener(shop, blog);
        ctx.onStepEnd(() => l.close());
        const port = l.server.port;
        const connect = (alpn: string[] | undefined): Promise<TlsClient> =>
          tlsConnect({ host: HOST, port, servername: SHOP, ca: pki.root.certPem, ...(alpn !== undefined ? { alpn } : {}), tap, keyLog });
        const h2c = await connect(['h2', 'http/1.1']);
        const h2 = await http2Get(h2c.socket, SHOP, '/cart');
        await h2c.close();
        const h1c = await connect(['http/1.1']);
        const h1 = (await h1c.exchange(get(SHOP, '/cart'))).toString('latin1');
        const none = await connect(undefined);
        const noneReply = (await none.exchange(get(SHOP, '/cart'))).toString('latin1');
        const bad = await askOrRefusal(() => connect(['http/1.0']), get(SHOP));
        await l.close();
        await tap.close();
        ctx.show.table(
          ['client offers', 'server chose', 'what followed'],
          [
            ['h2, http/1.1', h2c.info.alpn ?? '(none)', `HTTP/2 ${h2.status}: ${h2.body.trim()}`],
            ['http/1.1', h1c.info.alpn ?? '(none)', h1.split('\r\n')[0]],
            ['(no ALPN)', none.info.alpn ?? '(none)', noneReply.split('\r\n')[0]],
            ['http/1.0', '-', bad.outcome],
          ],
        );
        ctx.check.equal('offering h2 and http/1.1: the server chooses h2', h2c.info.alpn, 'h2');
        ctx.check.match(
          '... and answers a real HTTP/2 request on it',
          `${h2.status} ${h2.body}`,
          /^200 one listener: GET \/cart \(HTTP\/2, :authority shop\.netlab\.test\)/,
        );
        ctx.check.equal('offering http/1.1 only: http/1.1', h1c.info.alpn, 'http/1.1');
        ctx.check.match('... and an HTTP/1.1 answer', h1, /^HTTP\/1\.1 200 OK\r\n/);
        ctx.check.equal('offering nothing: no ALPN (HTTP/1.1 by default)', [none.info.alpn, noneReply.split('\r\n')[0]], [undefined, 'HTTP/1.1 200 OK']);
        ctx.check.equal('nothing in common: refused with no_application_protocol', bad.outcome, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
        const t = tsharkOrSkip(ctx.show, out.pathOf('alpn'));
        if (t === undefined) return;
        const offers = t.filter((f) => f.handshakeTypes.includes(1)).map((f) => f.alpn.join(',') || '(none)');
        const answers = t.filter((f) => f.srcPort === port && f.handshakeTypes.includes(8)).map((f) => f.alpn.join(',') || '(none)');
        ctx.check.equal('tshark: the four offers, in the ClientHellos', offers, ['h2,http/1.1', 'http/1.1', '(none)', 'http/1.0']);
        ctx.check.equal('tshark: the answers, in EncryptedExtensions (the fourth connection has none)', answers, ['h2', 'http/1.1', '(none)']);
        ctx.check.ok(
          'tshark: the h2 connection carries HTTP/2 with an :authority pseudo-header',
          t.some((f) => f.http2Headers.includes(':authority')),
          t
            .filter((f) => f.http2Headers.length > 0)
            .map((f) => `frame ${f.frame}: ${f.http2Headers.join(' ')}`)
            .join('; ') || 'no HTTP/2 headers',
        );
        // Alert 0 is close_notify, the orderly end of the other connections.
        ctx.check.equal(
          "tshark: the server's only error alert is no_application_protocol (120)",
          t
            .filter((f) => f.srcPort === port)
            .flatMap((f) => f.alerts)
            .filter((a) => a !== 0),
          [120],
        );
      },
    },
  ],
});
