// Lab: a forward proxy and a reverse proxy side by side on real sockets. A study guide draws them as
// client A -> forward proxy B -> server C and client D -> reverse proxy E -> server F. netlab's proxy
// plays B (a listener with mode: forward on 127.80.0.2) and E (an http listener on 127.80.0.5); the
// clients and servers have addresses of their own in 127.80.0.0/16. Both sides of each proxy are
// captured: who names the destination, which addresses each side sees, a CONNECT tunnel carrying TLS
// that B relays without reading, and what X-Forwarded-For tells a server (and what it cannot).

import { CertificateAuthority } from '../src/tls/index.ts';
import { defineLab, type StepContext } from '../src/lab/index.ts';
import { startProxy } from '../src/proxy/index.ts';
import { need } from './common/need.ts';
import { fwdExercises } from './forward-vs-reverse-proxy/exercises.ts';
import { connectTls, header, Origin, request, TlsOrigin } from './forward-vs-reverse-proxy/parts.ts';
import type { FwdState, Lab } from './forward-vs-reverse-proxy/state.ts';
import { LAB_INFO } from './info.ts';
import { tlsOutput } from './tls/output.ts';

export const A = '127.80.1.1';
export const B = '127.80.0.2';
export const C = '127.80.2.1';
export const C_TLS = '127.80.2.2';
export const D = '127.80.3.1';
export const E = '127.80.0.5';
export const F = '127.80.4.1';
export const SECRET_PATH = '/private/statement';

const labOf = (ctx: StepContext<FwdState>): Lab => need(ctx.state.lab, 'the lab setup (step 1)');

async function setup(ctx: StepContext<FwdState>): Promise<Lab> {
  const c = new Origin('C', C);
  const f = new Origin('F', F);
  const root = CertificateAuthority.root({ commonName: 'netlab Lab Root CA' });
  const leaf = root.issueServer({ dns: ['www.netlab.test'] });
  const cTls = new TlsOrigin(C_TLS, leaf);
  await Promise.all([c.listen(), f.listen(), cTls.listen()]);
  const log: string[] = [];
  const allow = [{ hosts: ['127.80.2.0/24'], ports: [c.port, cTls.port] }];
  const proxy = await startProxy(
    {
      listeners: [
        { name: 'B', address: B, port: 0, mode: 'forward', forward: { allow, forwardedFor: ctx.state.forwardedFor } },
        { name: 'B-anon', address: B, port: 0, mode: 'forward', forward: { allow, forwardedFor: 'remove' } },
        { name: 'E', address: E, port: 0 },
      ],
      routes: [{ name: 'shop', listeners: ['E'], cluster: 'F' }],
      clusters: [{ name: 'F', endpoints: [{ name: 'F', address: F, port: f.port }] }],
    },
    { accessLog: (l) => log.push(l), graceMs: 200 },
  );
  ctx.onLabEnd(async () => {
    await proxy.close(200);
    await Promise.all([c.close(), f.close(), cTls.close()]);
  });
  return { c, f, cTls, ca: root.certPem, proxy, log };
}

export default defineLab<FwdState>({
  ...LAB_INFO['forward-vs-reverse-proxy'],
  state: () => ({ forwardedFor: 'add' }),
  exercises: fwdExercises,
  steps: [
    {
      title: 'A -> B -> C: a forward proxy',
      explain:
        'Client A (127.80.1.1) is set up to use proxy B (127.80.0.2), as `curl -x` or a browser setting\n' +
        'does. A names the server it wants inside the request line, in absolute form:\n' +
        '  GET http://127.80.2.1:PORT/news HTTP/1.1\n' +
        'B checks its allow-list, opens its own connection to C and sends an ordinary request (GET /news)\n' +
        "with Via added and, as many forward proxies do, A's address in X-Forwarded-For. A chose C; B works\n" +
        'for A. B listens on 127.80.0.2, but its connection to C leaves from the address the kernel picks\n' +
        "for it (127.0.0.1 on loopback): a proxy's outgoing address need not be the one clients use.",
      async run(ctx) {
        const lab = await setup(ctx);
        ctx.state.lab = lab;
        // A fixture run writes nothing (TLS and system ports differ from run to run): tls/output.ts.
        const tap = tlsOutput(ctx).tap('forward', {
          filter: 'http.request',
          frames: 2,
          about: "A's absolute-form request to B, and B's own request to C",
          also: [
            { filter: `ip.src == ${A} && http.request`, frames: 1, about: 'the request as A sent it (to B, naming C)' },
            { filter: `http.x_forwarded_for == "${A}"`, frames: ctx.state.forwardedFor === 'add' ? 1 : 0, about: 'the request as C got it' },
            { filter: 'frame contains "Via: 1.1 netlab"', frames: 2, about: "B's Via on the request to C and on the answer to A" },
          ],
        });
        lab.c.tap = tap;
        const target = `http://${C}:${lab.c.port}/news`;
        const r = await request(A, { host: B, port: lab.proxy.address('B').port }, target, { Host: `${C}:${lab.c.port}` }, tap);
        lab.c.tap = undefined;
        await tap.close();
        const seen = lab.c.seen[lab.c.seen.length - 1];
        ctx.show.table(
          ['hop', 'TCP from', 'TCP to', 'request line target'],
          [
            ['A -> B', A, `${B} (the proxy)`, target],
            ['B -> C', seen?.peer ?? '?', `${C} (the server)`, seen?.target ?? '?'],
          ],
        );
        ctx.show.text(`C got: Via: ${header(seen?.fields ?? [], 'via') ?? '-'}; X-Forwarded-For: ${header(seen?.fields ?? [], 'x-forwarded-for') ?? '-'}`);
        ctx.check.equal("A gets C's answer through B", r.body, `C saw ${seen?.peer}\n`);
        ctx.check.ok("C's TCP peer is the proxy's outgoing address, not A", seen !== undefined && seen.peer !== A, seen?.peer ?? 'nothing');
        ctx.check.equal('B sent C an origin-form target (the URI minus scheme and host)', seen?.target, '/news');
        ctx.check.equal("C learns A's address only from X-Forwarded-For", header(seen?.fields ?? [], 'x-forwarded-for'), A);
        ctx.check.equal(
          'B added Via to both the request and the response',
          [header(seen?.fields ?? [], 'via'), header(r.fields, 'via')],
          ['1.1 netlab', '1.1 netlab'],
        );
        ctx.state.forwardPeer = seen?.peer;
      },
    },
    {
      title: 'D -> E -> F: a reverse proxy',
      explain:
        'Client D (127.80.3.1) has no proxy setting. It asks E (127.80.0.5) for /account, believing E is\n' +
        "the site: an origin-form request, GET /account. E's configuration, not the client, says the\n" +
        "request goes to server F (127.80.4.1). D never learns that F exists; F sees E's connection, and\n" +
        "D's address only in X-Forwarded-For. E works for the site, B worked for the client.",
      async run(ctx) {
        const lab = labOf(ctx);
        // A fixture run writes nothing (TLS and system ports differ from run to run): tls/output.ts.
        const tap = tlsOutput(ctx).tap('reverse', {
          filter: 'http.request.uri == "/account"',
          frames: 2,
          about: "D's request to E and E's request to F: the same origin-form target",
          also: [
            { filter: `ip.src == ${D} && http.request`, frames: 1, about: 'the request as D sent it (to E)' },
            { filter: `http.x_forwarded_for == "${D}"`, frames: 1, about: 'the request as F got it' },
            { filter: `ip.addr == ${F} && ip.addr == ${D}`, frames: 0, about: 'D and F never exchange a packet' },
          ],
        });
        lab.f.tap = tap;
        const r = await request(D, { host: E, port: lab.proxy.address('E').port }, '/account', { Host: 'shop.netlab.test' }, tap);
        lab.f.tap = undefined;
        await tap.close();
        const seen = lab.f.seen[lab.f.seen.length - 1];
        ctx.show.table(
          ['hop', 'TCP from', 'TCP to', 'request line target'],
          [
            ['D -> E', D, `${E} (the "site")`, '/account'],
            ['E -> F', seen?.peer ?? '?', `${F} (the server)`, seen?.target ?? '?'],
          ],
        );
        ctx.show.table(
          ['', 'forward proxy B', 'reverse proxy E'],
          [
            ['who configures it', 'the client (A)', "the site (F's owner)"],
            ['who names the server', 'A, in the URI', "E's routes"],
            ['request line from client', 'absolute-form', 'origin-form'],
            ['the server sees', 'B, A in XFF', 'E, D in XFF'],
          ],
        );
        ctx.check.equal('D got an answer from F without knowing F', r.body, `F saw ${seen?.peer}\n`);
        ctx.check.equal('F saw the origin-form target D wrote', seen?.target, '/account');
        ctx.check.ok("F's TCP peer is the proxy, not D", seen !== undefined && seen.peer !== D, seen?.peer ?? 'nothing');
        ctx.check.equal("F learns D's address from X-Forwarded-For", header(seen?.fields ?? [], 'x-forwarded-for'), D);
        ctx.state.reversePeer = seen?.peer;
      },
    },
    {
      title: 'CONNECT: TLS the proxy cannot read',
      explain:
        'For https:// a client asks the forward proxy for a tunnel: CONNECT 127.80.2.2:PORT. B checks the\n' +
        'allow-list (by default only port 443 may be tunnelled), connects, answers 200, and from then on\n' +
        'copies bytes both ways. A starts TLS with the server inside the tunnel and asks for\n' +
        `${SECRET_PATH}. B knows the host and port it connected to and, from the ClientHello that passes\n` +
        'through in clear, the server name (SNI): not the path, not the headers, not the page.',
      async run(ctx) {
        const lab = labOf(ctx);
        // A fixture run writes nothing (TLS and system ports differ from run to run): tls/output.ts.
        const tap = tlsOutput(ctx).tap('connect', {
          filter: `frame contains "CONNECT ${C_TLS}"`,
          frames: 1,
          about: "A's CONNECT request: all of HTTP that B reads",
          also: [
            { filter: 'frame contains "www.netlab.test"', frames: 2, about: 'the server name in the ClientHello, on both sides of B' },
            { filter: `frame contains "${SECRET_PATH}"`, frames: 0, about: 'the path never appears in clear' },
          ],
        });
        lab.cTls.tap = tap;
        const before = lab.log.length;
        const r = await connectTls(
          A,
          { host: B, port: lab.proxy.address('B').port },
          { host: C_TLS, port: lab.cTls.port, servername: 'www.netlab.test', ca: lab.ca },
          SECRET_PATH,
          tap,
        );
        lab.cTls.tap = undefined;
        await tap.close();
        // The tunnel's log line is written when the tunnel ends.
        for (let i = 0; i < 50 && !lab.log.slice(before).some((l) => l.includes('CONNECT')); i++) await new Promise((res) => setTimeout(res, 10));
        const lines = lab.log.slice(before);
        ctx.show.text(`B's access log for it:\n  ${lines.join('\n  ')}`);
        ctx.state.tunnelLog = lines.join('\n');
        ctx.check.equal('B answered CONNECT with 200', r.connectStatus, 200);
        ctx.check.match('A read the page through the tunnel', r.page ?? '', new RegExp(`secret page ${SECRET_PATH}`));
        ctx.check.equal('the server got the path', lab.cTls.paths[lab.cTls.paths.length - 1], SECRET_PATH);
        ctx.check.ok(
          "B's log names host:port only",
          lines.length === 1 && lines[0].includes(`"CONNECT ${C_TLS}:${lab.cTls.port} HTTP/1.1" 200`),
          lines.join(' | '),
        );
        ctx.check.ok("the path is nowhere in B's log", !lines.some((l) => l.includes(SECRET_PATH)), 'absent');
        const refused = await connectTls(A, { host: B, port: lab.proxy.address('B').port }, { host: C_TLS, port: 22, servername: 'x', ca: lab.ca }, '/');
        ctx.check.equal('a port off the allow-list gets 403', refused.connectStatus, 403);
      },
    },
    {
      title: 'What X-Forwarded-For reveals',
      explain:
        "X-Forwarded-For is whatever the proxies before the server wrote. B adds A's address (C learns who\n" +
        'is behind B); an anonymizing forward proxy (B-anon, forwardedFor: remove) sends none, so C sees only\n' +
        'the proxy. A client can write the header itself: D sends "X-Forwarded-For: 203.0.113.7". E does not\n' +
        "trust D (it is not in trustedProxies), drops D's copy and writes the address it saw.",
      async run(ctx) {
        const lab = labOf(ctx);
        await request(A, { host: B, port: lab.proxy.address('B-anon').port }, `http://${C}:${lab.c.port}/anon`, { Host: C });
        const anon = lab.c.seen[lab.c.seen.length - 1];
        await request(D, { host: E, port: lab.proxy.address('E').port }, '/forged', { Host: 'shop.netlab.test', 'X-Forwarded-For': '203.0.113.7' });
        const forged = lab.f.seen[lab.f.seen.length - 1];
        ctx.show.table(
          ['path', "server's TCP peer", 'X-Forwarded-For it got'],
          [
            ['A -> B -> C', ctx.state.forwardPeer ?? '?', A],
            ['A -> B-anon -> C', anon?.peer ?? '?', header(anon?.fields ?? [], 'x-forwarded-for') ?? '(none)'],
            ['D (forging) -> E -> F', forged?.peer ?? '?', header(forged?.fields ?? [], 'x-forwarded-for') ?? '(none)'],
          ],
        );
        ctx.check.equal('B-anon sends no X-Forwarded-For', header(anon?.fields ?? [], 'x-forwarded-for'), undefined);
        ctx.check.equal("E replaced D's forged X-Forwarded-For with D's real address", header(forged?.fields ?? [], 'x-forwarded-for'), D);
      },
    },
  ],
});
