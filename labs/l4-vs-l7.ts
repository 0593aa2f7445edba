// Lab: the same backends behind netlab's L4 balancer (src/l4: it copies bytes between two TCP
// connections) and its L7 reverse proxy (src/proxy: it reads each HTTP request). What each can see
// (paths and cookies, or addresses and ports), when each chooses a backend (at the connection, before
// any request byte; or after the request head), what each costs per request (measured), where TLS
// ends (passthrough by SNI, or termination), the client address a backend sees with and without the
// PROXY protocol, and sticky sessions, and a study guide's ELB/ALB/NLB comparison table checked row by row.

import { createServer, connect, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { defineLab, selectedFrames } from '../src/lab/index.ts';
import { TlsLabServer, tlsConnect } from '../src/tls/index.ts';
import { LAB_INFO } from './info.ts';
import { need } from './common/need.ts';
import { serveHttp1 } from './tls/http.ts';
import { tlsOutput } from './tls/output.ts';
import { identityOf, labPki } from './tls/pki.ts';
import { clientConnection, get, hangUp, type LabBackend, startBackend } from './l4-vs-l7/backends.ts';
import { ADDR, l4Cluster, startL4, startL7, startStickyL7, type Target } from './l4-vs-l7/balancers.ts';
import { l4VsL7Exercises } from './l4-vs-l7/exercises.ts';
import type { State } from './l4-vs-l7/state.ts';

export type { State } from './l4-vs-l7/state.ts';

/** How long the client waits between connecting and sending its request (step 3). */
const PAUSE_MS = 100;
/** The cost measurement: this many requests on each path, and no longer than this. */
const COST_REQUESTS = 200;
const COST_LIMIT_MS = 6_000;
const SECURE = 'secure.netlab.test';

const targetOf = (b: LabBackend): Target => ({ name: b.name, address: b.address, port: b.port });
const ms = (v: number): string => v.toFixed(1);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(s.length * q))];
};

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, ADDR.echo, () => r()));
  const a = server.address();
  return { server, port: typeof a === 'object' && a !== null ? a.port : 0 };
}

/** Writes raw bytes on a fresh connection from the client address; what came back before the close. */
function rawExchange(port: number, host: string, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port, localAddress: ADDR.client });
    let got = '';
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\n') && !got.startsWith('HTTP/')) s.end();
      if (got.startsWith('HTTP/') && got.includes('\r\n\r\n')) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

/**
 * Writes a request that asks the server to close (Connection: close) and reads until it does. The
 * sending side stays open: a proxy may take a client's FIN for the end of the conversation.
 */
function askUntilClose(socket: TLSSocket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(request);
  });
}

export default defineLab<State>({
  ...LAB_INFO['l4-vs-l7'],
  state: () => ({}),
  exercises: l4VsL7Exercises,
  steps: [
    {
      title: 'The same two backends behind an L4 and an L7 balancer',
      explain:
        `Two HTTP backends: users on ${ADDR.users} and products on ${ADDR.products}. In front of them,\n` +
        `netlab's L4 balancer on ${ADDR.l4} (round robin over both, per connection) and its L7 reverse\n` +
        `proxy on ${ADDR.l7} (/users... to users, /products... to products). The client connects from\n` +
        `${ADDR.client}, so a backend can tell the client's address from a balancer's. Ports are chosen by\n` +
        'the system (port 0) and printed below.',
      async run(ctx) {
        const users = await startBackend('users', ADDR.users);
        const products = await startBackend('products', ADDR.products);
        const proxied = await startBackend('proxied', ADDR.proxied, { requireProxy: true });
        const echo = await echoServer();
        ctx.state.users = users;
        ctx.state.products = products;
        ctx.state.proxied = proxied;
        ctx.state.echoPort = echo.port;
        ctx.onLabEnd(async () => {
          await Promise.all([users.close(), products.close(), proxied.close(), new Promise<void>((r) => echo.server.close(() => r()))]);
        });
        const direct = await clientConnection(ADDR.client, users.address, users.port);
        const r = await get(direct.http, '/users/1');
        await hangUp(direct);
        ctx.show.table(
          ['what', 'address', 'role'],
          [
            ['users', `${users.address}:${users.port}`, 'HTTP backend'],
            ['products', `${products.address}:${products.port}`, 'HTTP backend'],
            ['proxied', `${proxied.address}:${proxied.port}`, 'HTTP backend that requires PROXY'],
            ['echo', `${ADDR.echo}:${echo.port}`, 'TCP echo (not HTTP)'],
            ['L4', `${ADDR.l4}:(per step)`, 'copies bytes, chooses per connection'],
            ['L7', `${ADDR.l7}:(per step)`, 'reads requests, chooses per request'],
          ],
        );
        ctx.check.equal('users answers directly', `${r.status} ${r.body.trim()}`, '200 users GET /users/1');
        ctx.check.equal('... and saw the client address itself', users.requests[0]?.peer.split(':')[0], ADDR.client);
      },
    },
    {
      title: 'What each one sees: paths and cookies, or addresses and ports',
      explain:
        'One keep-alive connection through each balancer carries two requests: GET /users/42 with a\n' +
        'cookie, then GET /products/7. The L7 parses each request and routes it by its path. The L4 chose a\n' +
        'backend when the connection opened and copies bytes: both requests go to that backend, whatever\n' +
        'their paths, and its log can only name addresses, ports and byte counts.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const products = need(ctx.state.products, 'the products backend');
        const out = tlsOutput(ctx);
        const tap = out.tap('see', {
          filter: 'http.request.uri == "/products/7"',
          frames: 4,
          about: 'the second request: client side and backend side, through the L4 then the L7',
          also: [
            { filter: 'http.request.line contains "session=alice"', frames: 4, about: 'the cookie, readable by the L7 (and passed on by the L4 unread)' },
            { filter: `ip.dst == ${ADDR.users} && http.request`, frames: 3, about: 'what reached users: both L4 requests, one L7 request' },
          ],
        });
        users.tap = tap;
        products.tap = tap;
        ctx.onStepEnd(() => {
          users.tap = undefined;
          products.tap = undefined;
        });
        const l4 = await startL4([targetOf(users), targetOf(products)]);
        const l7 = await startL7([
          { prefix: '/users', target: targetOf(users) },
          { prefix: '/products', target: targetOf(products) },
        ]);
        ctx.onStepEnd(() => l4.close());
        ctx.onStepEnd(() => l7.close());
        const rows: string[][] = [];
        const backendsOf: Record<string, string[]> = {};
        for (const [name, port, host] of [
          ['L4', l4.port, ADDR.l4],
          ['L7', l7.port, ADDR.l7],
        ] as const) {
          const c = await clientConnection(ADDR.client, host, port, tap);
          const a = await get(c.http, '/users/42', { Cookie: 'session=alice' });
          const b = await get(c.http, '/products/7');
          await hangUp(c);
          backendsOf[name] = [a.backend, b.backend];
          rows.push([name, 'GET /users/42', a.backend, a.backend === 'users' ? 'yes' : 'NO']);
          rows.push([name, 'GET /products/7', b.backend, b.backend === 'products' ? 'yes' : 'NO']);
        }
        await l4.close();
        await l7.close();
        await tap.close();
        ctx.show.table(['via', 'request', 'answered by', 'right backend?'], rows);
        const l4Log = l4.log[0] ?? '';
        ctx.show.text(`The L4's log line:  ${l4Log}`);
        ctx.show.text(`The L7's access log:\n  ${l7.log.join('\n  ')}`);
        const cookieAtBackend = [...users.requests, ...products.requests].filter((r) => r.cookie === 'session=alice').length;
        ctx.state.see = { l4Backends: backendsOf.L4, l7Backends: backendsOf.L7, l4Log, l7Log: l7.log, cookieAtBackend };
        ctx.check.equal('L7: /users/42 to users, /products/7 to products (routing by path)', backendsOf.L7, ['users', 'products']);
        ctx.check.ok(
          'L4: both requests of the connection went to one backend',
          backendsOf.L4[0] === backendsOf.L4[1],
          backendsOf.L4.join(', '),
          'the same backend twice',
        );
        ctx.check.ok(
          'L4: so one request reached the wrong pool (it cannot read a path)',
          backendsOf.L4[0] !== 'users' || backendsOf.L4[1] !== 'products',
          backendsOf.L4.join(', '),
          'not users, products',
        );
        ctx.check.ok(
          'L4: its log has addresses and byte counts, no path, no cookie',
          !/\/users\/42|\/products\/7|alice/.test(l4Log) && /up=\d+ down=\d+/.test(l4Log),
          l4Log,
        );
        ctx.check.ok(
          'L7: its access log names each path',
          l7.log.length === 2 && l7.log[0].includes('/users/42') && l7.log[1].includes('/products/7'),
          l7.log.join(' | '),
        );
        ctx.check.equal('the cookie reached a backend through both (2 requests)', cookieAtBackend, 2);
      },
    },
    {
      title: 'The L4 chooses at the SYN, before any request byte exists',
      explain:
        `The client connects, waits ${PAUSE_MS} ms, then sends GET /products/7. The L4 opens its connection\n` +
        'to a backend as soon as it accepts the client: the backend is chosen before there is any byte to\n' +
        'look at. The L7 must wait for the request head to know the path, so its upstream connection comes\n' +
        `after the request. A second client connects and leaves after ${PAUSE_MS} ms without a byte: the L4\n` +
        'has already used a backend connection for it; the L7 never bothered a backend.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const products = need(ctx.state.products, 'the products backend');
        const out = tlsOutput(ctx);
        const result: Record<'L4' | 'L7', { upstream: number; request: number; silent: number; framesOk: boolean }> = {
          L4: { upstream: Number.NaN, request: Number.NaN, silent: 0, framesOk: false },
          L7: { upstream: Number.NaN, request: Number.NaN, silent: 0, framesOk: false },
        };
        for (const which of ['L4', 'L7'] as const) {
          const file = which === 'L4' ? 'syn-l4' : 'syn-l7';
          const tap = out.tap(file, {
            filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0',
            frames: which === 'L4' ? 4 : 3,
            about:
              which === 'L4'
                ? 'SYNs: the client, the L4 to products at once, then the silent client and the L4 again'
                : 'SYNs: the client, the L7 to products only after the request, the silent client',
            also: [{ filter: 'http.request', frames: 2, about: `the request, ${PAUSE_MS} ms later: client side, backend side` }],
          });
          products.tap = tap;
          const idx = products.connections.length;
          const lb = which === 'L4' ? await startL4([targetOf(products)]) : await startL7([{ prefix: '/products', target: targetOf(products) }]);
          const host = which === 'L4' ? ADDR.l4 : ADDR.l7;
          const t0 = performance.now();
          const c = await clientConnection(ADDR.client, host, lb.port, tap);
          await new Promise((r) => setTimeout(r, PAUSE_MS));
          const sentAt = performance.now();
          const reply = await get(c.http, '/products/7');
          await hangUp(c);
          const first = products.connections[idx];
          result[which].upstream = first === undefined ? Number.NaN : first.at - t0;
          result[which].request = sentAt - t0;
          ctx.check.equal(`${which}: the request was answered by products`, reply.backend, 'products');
          const mid = products.connections.length + users.connections.length;
          const silent = await clientConnection(ADDR.client, host, lb.port, tap);
          await new Promise((r) => setTimeout(r, PAUSE_MS));
          await hangUp(silent);
          await lb.close();
          const after = products.connections.length + users.connections.length;
          result[which].silent = after - mid;
          products.tap = undefined;
          await tap.close();
          // The capture says the same: the first SYN to the backend, against the first request frame.
          const syn = await selectedFrames(out.pathOf(file), `tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == ${products.port}`);
          const req = await selectedFrames(out.pathOf(file), 'http.request');
          if (Array.isArray(syn) && Array.isArray(req) && syn.length > 0 && req.length > 0)
            result[which].framesOk = which === 'L4' ? syn[0] < req[0] : syn[0] > req[0];
        }
        const { L4, L7 } = result;
        ctx.show.table(
          ['via', 'backend connected at', 'request sent at', 'silent client: backend conns'],
          [
            ['L4', `${ms(L4.upstream)} ms`, `${ms(L4.request)} ms`, L4.silent],
            ['L7', `${ms(L7.upstream)} ms`, `${ms(L7.request)} ms`, L7.silent],
          ],
          { align: ['left', 'right', 'right', 'right'] },
        );
        ctx.state.syn = {
          l4UpstreamMs: L4.upstream,
          l4RequestMs: L4.request,
          l7UpstreamMs: L7.upstream,
          l7RequestMs: L7.request,
          silentL4: L4.silent,
          silentL7: L7.silent,
          framesOk: [L4.framesOk, L7.framesOk],
        };
        ctx.check.ok('L4: connected to the backend before the request was sent', L4.upstream < L4.request, `${ms(L4.upstream)} ms < ${ms(L4.request)} ms`);
        ctx.check.ok('L7: connected to the backend only after the request was sent', L7.upstream > L7.request, `${ms(L7.upstream)} ms > ${ms(L7.request)} ms`);
        ctx.check.equal('L4: a client that sent nothing still cost one backend connection', L4.silent, 1);
        ctx.check.equal('L7: a client that sent nothing reached no backend', L7.silent, 0);
        ctx.check.ok("capture: the L4's SYN to the backend comes before the request frame", L4.framesOk, String(L4.framesOk), 'true');
        ctx.check.ok("capture: the L7's SYN to the backend comes after the request frame", L7.framesOk, String(L7.framesOk), 'true');
      },
    },
    {
      title: 'What each costs: latency and requests per second, measured',
      explain:
        `${COST_REQUESTS} GET requests on each of three keep-alive connections, taken in turn: straight to\n` +
        'users, through the L4, through the L7 (one request at a time, so the paths share the machine\n' +
        'fairly). The L4 copies bytes from one socket to the other; the L7 parses each request, applies\n' +
        'its rules, rewrites headers and sends a new request on a pooled upstream connection. The numbers\n' +
        "are this machine's (loopback, shared CPU): the difference between the paths is the point.",
      timeoutMs: 20_000,
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const l4 = await startL4([targetOf(users)]);
        const l7 = await startL7([{ prefix: '/', target: targetOf(users) }]);
        ctx.onStepEnd(() => l4.close());
        ctx.onStepEnd(() => l7.close());
        const paths = [
          { name: 'direct', conn: await clientConnection(ADDR.client, users.address, users.port), times: [] as number[], ok: 0 },
          { name: 'L4', conn: await clientConnection(ADDR.client, ADDR.l4, l4.port), times: [] as number[], ok: 0 },
          { name: 'L7', conn: await clientConnection(ADDR.client, ADDR.l7, l7.port), times: [] as number[], ok: 0 },
        ];
        const start = performance.now();
        for (let i = 0; i < COST_REQUESTS && performance.now() - start < COST_LIMIT_MS; i++) {
          for (const p of paths) {
            const t = performance.now();
            const r = await get(p.conn.http, `/users/${i}`);
            p.times.push((performance.now() - t) * 1000);
            if (r.status === 200 && r.backend === 'users') p.ok++;
          }
        }
        for (const p of paths) await hangUp(p.conn);
        await l4.close();
        await l7.close();
        const p50 = paths.map((p) => median(p.times));
        const rows = paths.map((p, i) => {
          const mean = p.times.reduce((a, b) => a + b, 0) / Math.max(p.times.length, 1);
          return [
            p.name,
            p.ok,
            Math.round(p50[i]),
            Math.round(quantile(p.times, 0.9)),
            Math.round(1e6 / mean),
            i === 0 ? '-' : `+${Math.round(p50[i] - p50[0])}`,
          ];
        });
        ctx.show.table(['path', 'answered', 'p50 µs', 'p90 µs', 'req/s', 'added p50 µs'], rows);
        const l4Added = p50[1] - p50[0];
        const l7Added = p50[2] - p50[0];
        ctx.state.cost = { l4AddedUs: l4Added, l7AddedUs: l7Added, answered: [paths[0].ok, paths[1].ok, paths[2].ok] };
        const n = paths[0].times.length;
        ctx.check.atLeast('requests measured on each path (bounded by time)', n, 50);
        ctx.check.equal('every request answered 200 by users, on all three paths', [paths[0].ok, paths[1].ok, paths[2].ok], [n, n, n]);
        ctx.check.ok(
          'the L7 adds more per request than the L4 (median)',
          l7Added > l4Added,
          `L7 +${Math.round(l7Added)} µs, L4 +${Math.round(l4Added)} µs`,
          'L7 > L4',
        );
      },
    },
    {
      title: 'Where TLS ends: passthrough by SNI, or termination',
      explain:
        `A client opens https://${SECURE}/account. Through the L4, TLS passes through: the L4 reads only the\n` +
        'server name in the ClientHello (in clear) to pick the cluster and copies the rest; the backend holds\n' +
        'the certificate and the key, and the L4 never sees the request. To route by name the L4 must wait\n' +
        'for the ClientHello: with SNI routes it chooses after the first bytes, not at the SYN. The L7\n' +
        'terminates TLS with its own certificate, reads the request, and sends it on to a plain HTTP\n' +
        'backend: between the L7 and the backend the path is readable by anyone on that network.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const out = tlsOutput(ctx);
        const pki = labPki('l4-vs-l7');
        const backendLeaf = pki.issuing.issueServer({ dns: [SECURE] });
        const l7Leaf = pki.issuing.issueServer({ dns: [SECURE] });
        const certFile = out.pathOf('l7-cert.pem');
        const keyFile = out.pathOf('l7-key.pem');
        writeFileSync(certFile, l7Leaf.chainPem);
        writeFileSync(keyFile, l7Leaf.keyPem);
        const kindOf = (fp: string | undefined): 'backend' | 'balancer' | 'other' =>
          fp === backendLeaf.cert.x509.fingerprint256 ? 'backend' : fp === l7Leaf.cert.x509.fingerprint256 ? 'balancer' : 'other';
        const request = `GET /account HTTP/1.1\r\nHost: ${SECURE}\r\nConnection: close\r\n\r\n`;
        // Through the L4: the TLS backend is the only one with a key.
        const tapL4 = out.tap('tls-l4', {
          filter: `tls.handshake.extensions_server_name == "${SECURE}"`,
          frames: 2,
          about: 'one ClientHello seen twice: client to L4, and the same bytes L4 to backend',
          also: [{ filter: 'http', frames: 0, about: 'no HTTP anywhere: the L4 and the wire carry only TLS' }],
        });
        const seenTls: string[] = [];
        const secure = await TlsLabServer.start({
          host: ADDR.secure,
          identity: identityOf(backendLeaf),
          tap: tapL4,
          onConnection: (s) => serveHttp1(s, 'secure', seenTls),
        });
        ctx.onStepEnd(() => secure.close());
        const securePort = secure.port;
        const l4 = await startL4([], {
          sni: [{ host: SECURE, cluster: l4Cluster('secure', [{ name: 'secure', address: ADDR.secure, port: securePort }]) }],
          noSni: 'close',
        });
        ctx.onStepEnd(() => l4.close());
        const viaL4 = await tlsConnect({ host: ADDR.l4, port: l4.port, servername: SECURE, ca: pki.root.certPem, tap: tapL4 });
        const l4Reply = await askUntilClose(viaL4.socket, request);
        await l4.close();
        await secure.close();
        await tapL4.close();
        const hello = await selectedFrames(out.pathOf('tls-l4'), 'tls.handshake.type == 1');
        const upSyn = await selectedFrames(out.pathOf('tls-l4'), `tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == ${securePort}`);
        const waited = Array.isArray(hello) && Array.isArray(upSyn) && hello.length > 0 && upSyn.length > 0 && upSyn[0] > hello[0];
        // Through the L7: it terminates, the backend gets plain HTTP.
        const tapL7 = out.tap('tls-l7', {
          filter: 'http.request.uri == "/account"',
          frames: 1,
          about: 'the request in clear, between the L7 and the backend',
          also: [{ filter: `tls.handshake.extensions_server_name == "${SECURE}"`, frames: 1, about: 'the ClientHello, on the client side only' }],
        });
        users.tap = tapL7;
        ctx.onStepEnd(() => {
          users.tap = undefined;
        });
        const before = users.requests.length;
        const l7 = await startL7([{ prefix: '/', target: targetOf(users) }], { cert: certFile, key: keyFile });
        ctx.onStepEnd(() => l7.close());
        const viaL7 = await tlsConnect({ host: ADDR.l7, port: l7.port, servername: SECURE, ca: pki.root.certPem, tap: tapL7 });
        const l7Reply = await askUntilClose(viaL7.socket, request);
        await l7.close();
        users.tap = undefined;
        await tapL7.close();
        const l4Log = l4.log.join(' ');
        const plain = users.requests.slice(before).map((r) => r.path);
        ctx.state.tls = {
          l4Cert: kindOf(viaL4.info.peer?.fingerprint256),
          l7Cert: kindOf(viaL7.info.peer?.fingerprint256),
          l4SawPath: l4Log.includes('/account'),
          backendPlainPaths: plain,
        };
        ctx.show.table(
          ['via', 'certificate the client got', 'answer', 'balancer read'],
          [
            ['L4', `the backend's (${ctx.state.tls.l4Cert})`, l4Reply.split('\r\n')[0], `sni=${SECURE} only`],
            ['L7', `the L7's own (${ctx.state.tls.l7Cert})`, l7Reply.split('\r\n')[0], 'the whole request'],
          ],
        );
        ctx.show.text(`The L4's log line: ${l4Log}`);
        ctx.check.equal('L4: the client got the backend certificate (TLS ends at the backend)', ctx.state.tls.l4Cert, 'backend');
        ctx.check.match('L4: ... and the backend answered over TLS', l4Reply, /^HTTP\/1\.1 200 OK[\s\S]*secure: GET \/account/);
        ctx.check.ok(
          "L4: it routed on the ClientHello's server name, never saw the path",
          /sni=secure\.netlab\.test/.test(l4Log) && !ctx.state.tls.l4SawPath,
          l4Log,
        );
        ctx.check.ok(
          'capture: with SNI routes the L4 connected to the backend only after the ClientHello',
          waited,
          `ClientHello frame ${Array.isArray(hello) ? hello[0] : hello}, SYN to the backend frame ${Array.isArray(upSyn) ? upSyn[0] : upSyn}`,
        );
        ctx.check.match('L7: users answered, over TLS to the client', l7Reply, /^HTTP\/1\.1 200 OK[\s\S]*users GET \/account/);
        ctx.check.equal("L7: the client got the L7's certificate (TLS ends at the L7)", ctx.state.tls.l7Cert, 'balancer');
        ctx.check.equal('L7: the backend got the request in plain HTTP', plain, ['/account']);
      },
    },
    {
      title: "The client's address at the backend, with and without PROXY",
      explain:
        `The client connects from ${ADDR.client}. Both of netlab's balancers are proxies: each opens its own\n` +
        "connection to the backend, so the backend's socket sees the balancer (127.0.0.1), not the client.\n" +
        'The L7 adds X-Forwarded-For. The L4 cannot add a header to bytes it does not parse: it sends a\n' +
        'PROXY protocol header (v1: one text line; v2: binary) before the first byte, and the backend must\n' +
        'be configured to read it. A backend that requires it and gets none refuses the connection.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const proxied = need(ctx.state.proxied, 'the proxied backend');
        const out = tlsOutput(ctx);
        const tap = out.tap('client-address', {
          filter: `proxy.src.ipv4 == ${ADDR.client}`,
          frames: 2,
          about: "the PROXY headers (v1, v2) carrying the client's address, backend side",
          also: [
            { filter: 'proxy.version == 2', frames: 1, about: 'the binary v2 header' },
            { filter: `http.x_forwarded_for == "${ADDR.client}"`, frames: 1, about: "the L7's X-Forwarded-For" },
          ],
        });
        users.tap = tap;
        proxied.tap = tap;
        ctx.onStepEnd(() => {
          users.tap = undefined;
          proxied.tap = undefined;
        });
        const clientPort: Record<string, number> = {};
        const ask = async (name: string, port: number, host: string): Promise<{ status: number; peer: string; proxyClient: string; xff: string }> => {
          const b = name === 'L7' || name === 'L4' ? users : proxied;
          const before = b.requests.length;
          const c = await clientConnection(ADDR.client, host, port, tap);
          clientPort[name] = c.socket.localPort ?? 0;
          const r = await get(c.http, '/whoami');
          await hangUp(c);
          const seen = b.requests[before];
          return { status: r.status, peer: seen?.peer ?? '-', proxyClient: seen?.proxyClient ?? '-', xff: seen?.forwardedFor ?? '-' };
        };
        const plainL4 = await startL4([targetOf(users)]);
        const v1 = await startL4([targetOf(proxied)], { sendProxy: 1 });
        const v2 = await startL4([targetOf(proxied)], { sendProxy: 2 });
        const noHeader = await startL4([targetOf(proxied)]);
        const l7 = await startL7([{ prefix: '/', target: targetOf(users) }]);
        for (const x of [plainL4, v1, v2, noHeader, l7]) ctx.onStepEnd(() => x.close());
        const rPlain = await ask('L4', plainL4.port, ADDR.l4);
        const rV1 = await ask('L4+v1', v1.port, ADDR.l4);
        const rV2 = await ask('L4+v2', v2.port, ADDR.l4);
        const rL7 = await ask('L7', l7.port, ADDR.l7);
        // The mismatch: a backend that requires PROXY, behind an L4 that does not send it.
        const refusedBefore = proxied.connections.filter((c) => c.proxy === 'no PROXY header').length;
        let refusal = '';
        try {
          const c = await clientConnection(ADDR.client, ADDR.l4, noHeader.port, tap);
          await get(c.http, '/whoami').then(
            (r) => {
              refusal = `answered ${r.status}`;
            },
            (e: Error) => {
              refusal = e.message;
            },
          );
          c.http.destroy();
        } catch (e) {
          refusal = (e as Error).message;
        }
        const refused = proxied.connections.filter((c) => c.proxy === 'no PROXY header').length > refusedBefore && !refusal.startsWith('answered');
        for (const x of [plainL4, v1, v2, noHeader, l7]) await x.close();
        await tap.close();
        const me = (name: string): string => `${ADDR.client}:${clientPort[name]}`;
        ctx.show.table(
          ['via', "backend's socket peer", 'PROXY header says', 'X-Forwarded-For'],
          [
            ['L4', rPlain.peer, '-', rPlain.xff],
            ['L4 + PROXY v1', rV1.peer, rV1.proxyClient, rV1.xff],
            ['L4 + PROXY v2', rV2.peer, rV2.proxyClient, rV2.xff],
            ['L7', rL7.peer, '-', rL7.xff],
          ],
        );
        ctx.show.text(`L4 without PROXY, to a backend that requires it: ${refusal.slice(0, 60)}`);
        ctx.state.addr = { clientPort, plainPeer: rPlain.peer, v1: rV1.proxyClient, v2: rV2.proxyClient, l7Peer: rL7.peer, xff: rL7.xff, refused };
        ctx.check.equal("L4: the backend's socket sees the balancer, not the client", rPlain.peer.split(':')[0], '127.0.0.1');
        ctx.check.equal("L4 + PROXY v1: the header carries the client's address and port", rV1.proxyClient, me('L4+v1'));
        ctx.check.equal('L4 + PROXY v2: the same, in binary', rV2.proxyClient, me('L4+v2'));
        ctx.check.equal("L7: the backend's socket sees the L7", rL7.peer.split(':')[0], '127.0.0.1');
        ctx.check.equal("L7: X-Forwarded-For carries the client's address", rL7.xff, ADDR.client);
        ctx.check.ok('a backend that requires PROXY refuses a connection without it', refused, refusal || 'answered', 'refused');
      },
    },
    {
      title: 'Not HTTP at all: a protocol only the L4 can carry',
      explain:
        `A client speaks a line protocol ("PING 42") to a TCP echo service on ${ADDR.echo}. The L4 copies\n` +
        'the bytes both ways and the echo comes back. The L7 expects an HTTP request: it answers 400 Bad\n' +
        'Request itself, and no backend is ever contacted.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const echoPort = need(ctx.state.echoPort, 'the echo service');
        const l4 = await startL4([{ name: 'echo', address: ADDR.echo, port: echoPort }]);
        const l7 = await startL7([{ prefix: '/', target: targetOf(users) }]);
        ctx.onStepEnd(() => l4.close());
        ctx.onStepEnd(() => l7.close());
        const before = users.connections.length;
        const viaL4 = await rawExchange(l4.port, ADDR.l4, 'PING 42\n');
        const viaL7 = await rawExchange(l7.port, ADDR.l7, 'PING 42\n');
        await l4.close();
        await l7.close();
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(viaL7)?.[1] ?? 0);
        ctx.state.other = { l4Echo: viaL4.trim(), l7Status: status, l7Backend: users.connections.length - before };
        ctx.show.table(
          ['via', 'the client got back'],
          [
            ['L4', viaL4.trim()],
            ['L7', viaL7.split('\r\n')[0]],
          ],
        );
        ctx.check.equal('L4: the echo came back through it', viaL4.trim(), 'PING 42');
        ctx.check.equal('L7: refused with 400, by itself', status, 400);
        ctx.check.equal('L7: no backend was contacted', ctx.state.other.l7Backend, 0);
      },
    },
    {
      title: 'Sticky sessions: a cookie at L7, the client address at L4',
      explain:
        'Four connections from one client, one request each. Through the L4 in round robin they spread\n' +
        "over both backends; with ip_hash (a hash of the client's address) they all go to one. The L7\n" +
        'in round robin spreads requests too, until the client returns the balancer cookie it was given\n' +
        '(LBSESSIONID): then every request goes to the backend named in it. The L4 cannot set or read a\n' +
        'cookie: the client address is all it has, and every client behind one NAT address shares it.',
      async run(ctx) {
        const users = need(ctx.state.users, 'the users backend');
        const products = need(ctx.state.products, 'the products backend');
        const both = [targetOf(users), targetOf(products)];
        const rr = await startL4(both);
        const hash = await startL4([], { cluster: l4Cluster('hash', both, 'ip_hash') });
        const l7 = await startStickyL7(both);
        for (const x of [rr, hash, l7]) ctx.onStepEnd(() => x.close());
        const fourTimes = async (host: string, port: number, cookie?: string): Promise<{ backends: string[]; setCookie: string }> => {
          const backends: string[] = [];
          let setCookie = '';
          for (let i = 0; i < 4; i++) {
            const c = await clientConnection(ADDR.client, host, port);
            const r = await get(c.http, `/cart/${i}`, cookie === undefined ? {} : { Cookie: cookie });
            await hangUp(c);
            backends.push(r.backend);
            if (setCookie === '' && r.setCookie !== undefined) setCookie = r.setCookie;
          }
          return { backends, setCookie };
        };
        const l4RoundRobin = (await fourTimes(ADDR.l4, rr.port)).backends;
        const l4IpHash = (await fourTimes(ADDR.l4, hash.port)).backends;
        const first = await fourTimes(ADDR.l7, l7.port);
        const cookie = first.setCookie;
        const l7Cookie = (await fourTimes(ADDR.l7, l7.port, cookie === '' ? undefined : cookie)).backends;
        for (const x of [rr, hash, l7]) await x.close();
        ctx.state.sticky = { l4RoundRobin, l4IpHash, l7NoCookie: first.backends, l7Cookie, cookie };
        ctx.show.table(
          ['via', 'keeps a client on one backend by', '4 new connections went to'],
          [
            ['L4 round robin', 'nothing', l4RoundRobin.join(', ')],
            ['L4 ip_hash', "the client's address", l4IpHash.join(', ')],
            ['L7, no cookie sent back', 'nothing yet', first.backends.join(', ')],
            ['L7, cookie sent back', cookie === '' ? '(no cookie set)' : cookie, l7Cookie.join(', ')],
          ],
        );
        const distinct = (xs: readonly string[]): number => new Set(xs).size;
        ctx.check.equal('L4 round robin: one client spread over both backends', distinct(l4RoundRobin), 2);
        ctx.check.equal('L4 ip_hash: every connection of one address to one backend', distinct(l4IpHash), 1);
        ctx.check.match('L7: the first answers set the balancer cookie', cookie, /^LBSESSIONID=/);
        ctx.check.ok(
          'L7: with the cookie sent back, every request to the backend it names',
          distinct(l7Cookie) === 1 && cookie.includes(l7Cookie[0]),
          `${l7Cookie.join(', ')} (${cookie})`,
        );
      },
    },
    {
      title: "A study guide's ELB/ALB/NLB table, checked row by row",
      explain:
        "A study guide's table compares a cloud's three balancers: the Classic ELB (a TCP or an HTTP\n" +
        'listener, without routing by path), the ALB (layer 7) and the NLB (layer 4). A Classic ELB is one\n' +
        'or the other by its listener, so the rows set the NLB against the ALB: each is one of its\n' +
        "claims, against what netlab's L4 and L7 did in the steps above. Where netlab differs, the row\n" +
        'says why.',
      run(ctx) {
        const see = need(ctx.state.see, 'step 2');
        const syn = need(ctx.state.syn, 'step 3');
        const cost = need(ctx.state.cost, 'step 4');
        const tls = need(ctx.state.tls, 'step 5');
        const addr = need(ctx.state.addr, 'step 6');
        const other = need(ctx.state.other, 'step 7');
        const sticky = need(ctx.state.sticky, 'step 8');
        const rows: [string, string, string, string][] = [
          ['sees IP/port vs HTTP', 'no path in its log', 'paths in its log', 'holds'],
          ['routes by path/host: ALB only', `${see.l4Backends.join(',')}`, `${see.l7Backends.join(',')}`, 'holds'],
          ['balances connections vs requests', `picked at +${ms(syn.l4UpstreamMs)} ms`, `after the request`, 'holds'],
          ['any TCP vs HTTP only', other.l4Echo, `${other.l7Status}, no backend`, 'holds'],
          ['NLB passes TLS, ALB ends it', `cert: ${tls.l4Cert}`, `cert: ${tls.l7Cert}`, 'holds'],
          ['NLB keeps the client IP', addr.plainPeer.split(':')[0], `XFF ${addr.xff}`, 'only with PROXY'],
          ['NLB has lower latency', `+${Math.round(cost.l4AddedUs)} µs`, `+${Math.round(cost.l7AddedUs)} µs`, 'holds here'],
          ['sticky: NLB by source IP, ALB by cookie', `ip_hash: ${sticky.l4IpHash[0]} x4`, `cookie: ${sticky.l7Cookie[0]} x4`, 'holds'],
        ];
        ctx.show.table(['a study guide says', 'netlab L4', 'netlab L7', 'verdict'], rows);
        ctx.show.text(
          'On the client IP: a cloud NLB forwards packets without a connection of its own, so the target\n' +
            "sees the client's address. netlab's L4 is a proxy (two TCP connections), like HAProxy in TCP\n" +
            'mode: the address reaches the backend only in a PROXY header.',
        );
        ctx.check.ok(
          'row 1: the L4 saw no path, the L7 did',
          !/\/users\/42|\/products\/7/.test(see.l4Log) && see.l7Log.some((l) => l.includes('/products/7')),
          `${see.l4Log.slice(0, 40)} | ${see.l7Log[1] ?? ''}`.slice(0, 120),
        );
        ctx.check.ok(
          'row 2: only the L7 split the requests by path',
          see.l7Backends.join() === 'users,products' && see.l4Backends[0] === see.l4Backends[1],
          `L4 ${see.l4Backends.join(',')}, L7 ${see.l7Backends.join(',')}`,
        );
        ctx.check.ok(
          'row 3: the L4 chose per connection (before the request), the L7 per request',
          syn.l4UpstreamMs < syn.l4RequestMs && syn.l7UpstreamMs > syn.l7RequestMs,
          `L4 ${ms(syn.l4UpstreamMs)} < ${ms(syn.l4RequestMs)} ms; L7 ${ms(syn.l7UpstreamMs)} > ${ms(syn.l7RequestMs)} ms`,
        );
        ctx.check.ok(
          'row 4: the L4 carried a non-HTTP protocol, the L7 refused it',
          other.l4Echo === 'PING 42' && other.l7Status === 400,
          `${other.l4Echo} / ${other.l7Status}`,
        );
        ctx.check.ok(
          'row 5: TLS ended at the backend through the L4, at the L7 through the L7',
          tls.l4Cert === 'backend' && tls.l7Cert === 'balancer',
          `${tls.l4Cert} / ${tls.l7Cert}`,
        );
        ctx.check.ok(
          "row 6: netlab's L4 does not keep the client address by itself, PROXY carries it",
          addr.plainPeer.startsWith('127.0.0.1:') && addr.v1.startsWith(`${ADDR.client}:`) && addr.v2.startsWith(`${ADDR.client}:`),
          `${addr.plainPeer} / ${addr.v1} / ${addr.v2}`,
        );
        ctx.check.ok(
          'row 7: the L4 added less latency than the L7 here',
          cost.l4AddedUs < cost.l7AddedUs,
          `${Math.round(cost.l4AddedUs)} < ${Math.round(cost.l7AddedUs)} µs`,
        );
      },
    },
  ],
});
