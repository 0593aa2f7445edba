// Lab: mutual TLS between two services that trust one CA, as a study guide describes: a root and an intermediate, a
// leaf for serviceA.default.svc.cluster.local (the server) and one for serviceB (the client), each
// valid for 24 hours. The server asks for the client's certificate in its first flight; clients with
// no certificate, one from another CA, an expired one, a revoked one (CRL) and one with the wrong name
// are each refused with the reason; the server's certificate is rotated while a connection stays open.

import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TapRecorder } from '../src/capture/index.ts';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import {
  CertificateAuthority,
  expiredWindow,
  KeyLog,
  TlsLabServer,
  tlsConnect,
  validFor,
  type ClientAuthOptions,
  type Leaf,
  type Refusal,
  type TlsClient,
  type TlsConnectionInfo,
  type TlsServerOptions,
} from '../src/tls/index.ts';
import { askOrRefusal } from './tls/connect.ts';
import { askHttp1, serveHttp1 } from './tls/http.ts';
import { HANDSHAKE_TYPE } from './tls/names.ts';
import { tlsOutput } from './tls/output.ts';
import { certRow, identityOf, labPki, signedBy, type LabPki } from './tls/pki.ts';
import { handshakeSequence, tsharkOrSkip } from './tls/tshark-tls.ts';
import { need } from './common/need.ts';
import { mtlsExercises } from './mtls/exercises.ts';

const HOST = '127.0.0.1';
const SERVICE_A = 'serviceA.default.svc.cluster.local';
const SERVICE_B = 'serviceB.default.svc.cluster.local';
const SPIFFE_B = 'spiffe://cluster.local/ns/default/sa/serviceB';
const HOURS_24 = 1;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

interface State {
  pki?: LabPki;
  serviceA?: Leaf;
  serviceB?: Leaf;
}

const request = (path: string, close = true): string => `GET ${path} HTTP/1.1\r\nHost: ${SERVICE_A}\r\n${close ? 'connection: close\r\n' : ''}\r\n`;

/** What serviceA's server checks a client certificate against: the CA, its CRLs, serviceB's names. */
function clientAuthOf(pki: LabPki): ClientAuthOptions {
  return { ca: pki.root.certPem, crl: pki.issuing.crlChain(), allowedNames: [`DNS:${SERVICE_B}`] };
}

/** serviceA: an mTLS server that answers HTTP/1.1 and reports who it let in and whom it refused. */
async function serviceA(
  pki: LabPki,
  leaf: Leaf,
  extra: Partial<TlsServerOptions> = {},
): Promise<{ server: TlsLabServer; secure: TlsConnectionInfo[]; refused: Refusal[] }> {
  const secure: TlsConnectionInfo[] = [];
  const refused: Refusal[] = [];
  const server = await TlsLabServer.start({
    host: HOST,
    identity: identityOf(leaf),
    alpn: ['http/1.1'],
    clientAuth: clientAuthOf(pki),
    onConnection: (socket, info) => {
      secure.push(info);
      serveHttp1(socket, 'serviceA');
    },
    ...extra,
  });
  server.on('refused', (r) => refused.push(r));
  return { server, secure, refused };
}

/** The key log of a step: into the capture and into a fresh FILE.keys beside it. */
function keyLogFor(path: string, tap: TapRecorder): KeyLog {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  return new KeyLog({ tap, path });
}

const refusalText = (r: Refusal | undefined): string => (r === undefined ? 'not refused' : `${r.stage}: ${r.code ?? '?'} (${r.reason})`);

export default defineLab<State>({
  ...LAB_INFO['mtls'],
  state: () => ({}),
  exercises: mtlsExercises,
  steps: [
    {
      title: 'One CA for the cluster: root, intermediate, a certificate per service, valid 24 hours',
      explain:
        'Both services trust one root. An intermediate (online, replaceable) issues the leaves; the root only\n' +
        `signs the intermediate. ${SERVICE_A} gets a server certificate (extendedKeyUsage serverAuth),\n` +
        `${SERVICE_B} a client certificate (clientAuth) naming it by DNS name and SPIFFE ID. As in a study guide,\n` +
        'the leaves live 24 hours: rotation is routine, so a stolen key is only good for a day.',
      run(ctx) {
        const pki = labPki('mtls');
        const a = pki.issuing.issueServer({ dns: [SERVICE_A], validity: validFor(HOURS_24) });
        const b = pki.issuing.issueClient({ commonName: SERVICE_B, dns: [SERVICE_B], uris: [SPIFFE_B], validity: validFor(HOURS_24) });
        ctx.state.pki = pki;
        ctx.state.serviceA = a;
        ctx.state.serviceB = b;
        ctx.show.table(
          ['certificate', 'subject', 'issuer', 'subjectAltName', 'valid until'],
          [
            certRow('root', pki.root.cert.x509),
            certRow('intermediate', pki.issuing.cert.x509),
            certRow('serviceA (server)', a.cert.x509),
            certRow('serviceB (client)', b.cert.x509),
          ],
        );
        ctx.check.ok(
          'both leaves are signed by the one intermediate, itself signed by the root',
          signedBy(a.certPem, pki.issuing.certPem) && signedBy(b.certPem, pki.issuing.certPem) && signedBy(pki.issuing.certPem, pki.root.certPem),
          'all three signatures verify',
        );
        ctx.check.equal(
          "serviceA's certificate is for servers, serviceB's for clients (extendedKeyUsage)",
          [a.cert.x509.keyUsage, b.cert.x509.keyUsage],
          [[SERVER_AUTH], [CLIENT_AUTH]],
        );
        const minutes = (x: Leaf): number => Math.round((Date.parse(x.cert.x509.validTo) - Date.parse(x.cert.x509.validFrom)) / 60_000);
        const span = (v: number[]): string => v.map((m) => `${Math.floor(m / 60)} h ${m % 60} min`).join(', ');
        ctx.check.equal('each leaf is valid for 24 hours (from 5 minutes back, for clock skew)', [minutes(a), minutes(b)], [24 * 60 + 5, 24 * 60 + 5], span);
      },
    },
    {
      title: 'serviceB calls serviceA: each side proves who it is',
      explain:
        "A study guide's eight steps, as TLS 1.3 runs them. serviceB sends its ClientHello (1). serviceA answers with\n" +
        'ServerHello and, already encrypted, EncryptedExtensions, a CertificateRequest (in its first flight,\n' +
        "not later), its Certificate, CertificateVerify and Finished (2, 4). serviceB checks serviceA's chain\n" +
        'and name (3), then sends its own Certificate, CertificateVerify and Finished (5). serviceA checks\n' +
        'that chain, the CRL and the name it allows (6). The keys come from the ECDHE shares of the two hellos\n' +
        '(7), and the request travels encrypted (8).',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const a = need(ctx.state.serviceA, "serviceA's certificate");
        const b = need(ctx.state.serviceB, "serviceB's certificate");
        const out = tlsOutput(ctx);
        const tap = out.tap('mtls-handshake', {
          filter: 'tls.handshake.type == 13',
          frames: 'unchecked',
          about: "the CertificateRequest, in serviceA's first flight (decrypted with the key log in the file)",
          also: [
            { filter: 'tls.handshake.type == 11', frames: 'unchecked', about: "both Certificate messages: serviceA's, then serviceB's" },
            { filter: `tls.handshake.extensions_server_name == "${SERVICE_A}"`, frames: 1, about: "serviceB's ClientHello, naming serviceA in clear text" },
            { filter: 'tcp.len > 0', about: 'the segments that carry TLS records' },
          ],
        });
        const keyLog = keyLogFor(out.pathOf('mtls-handshake.keys'), tap);
        const { server, secure } = await serviceA(pki, a);
        ctx.onStepEnd(() => server.close());
        const port = server.port;
        const client = await tlsConnect({
          host: HOST,
          port,
          servername: SERVICE_A,
          ca: pki.root.certPem,
          identity: identityOf(b),
          alpn: ['http/1.1'],
          tap,
          keyLog,
        });
        const reply = (await client.exchange(request('/orders'))).toString('latin1');
        await server.close();
        await tap.close();
        const seen = secure[0];
        ctx.show.table(
          ['who', "checked the other's certificate", 'the other is'],
          [
            [
              'serviceB (client)',
              client.info.authorized ? 'chain to the root: ok; name: ok' : `no: ${client.info.authorizationError ?? ''}`,
              client.info.peer?.subjectAltName ?? '(none)',
            ],
            ['serviceA (server)', seen?.authorized === true ? 'chain to the root and CRL: ok; allowed name: ok' : 'no', seen?.peer?.subjectAltName ?? '(none)'],
          ],
        );
        ctx.check.equal("serviceB sees serviceA's name in its certificate", client.info.peer?.subjectAltName, `DNS:${SERVICE_A}`);
        ctx.check.equal(
          "serviceA sees serviceB's certificate, verified",
          [seen?.authorized, seen?.peer?.subjectAltName],
          [true, `DNS:${SERVICE_B}, URI:${SPIFFE_B}`],
        );
        ctx.check.match('serviceA answered the request', reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*serviceA: GET \/orders/);
        const frames = tsharkOrSkip(ctx.show, out.pathOf('mtls-handshake'));
        if (frames === undefined) return;
        const seq = handshakeSequence(frames, port);
        const fin = seq.findIndex((m) => m.from === 'server' && m.type === 20);
        const firstClientAfterHello = seq.findIndex((m, i) => i > 0 && m.from === 'client');
        ctx.show.table(
          ['#', 'sent by', 'message', 'frame'],
          seq.map((m, i) => [i + 1, m.from === 'server' ? 'serviceA' : 'serviceB', HANDSHAKE_TYPE[m.type] ?? String(m.type), m.frame]),
        );
        const names = seq.map((m) => `${m.from === 'server' ? 'A' : 'B'} ${HANDSHAKE_TYPE[m.type] ?? m.type}`);
        ctx.check.equal("tshark: the handshake, with the client's certificate", names.slice(0, 10), [
          'B ClientHello',
          'A ServerHello',
          'A EncryptedExtensions',
          'A CertificateRequest',
          'A Certificate',
          'A CertificateVerify',
          'A Finished',
          'B Certificate',
          'B CertificateVerify',
          'B Finished',
        ]);
        const cr = seq.findIndex((m) => m.type === 13);
        ctx.check.ok(
          "the CertificateRequest is in serviceA's first flight (before its Finished and before serviceB says anything more)",
          cr > 0 && cr < fin && fin < firstClientAfterHello,
          `CertificateRequest #${cr + 1}, serviceA Finished #${fin + 1}, serviceB's next message #${firstClientAfterHello + 1}`,
        );
        const clientCerts = frames.filter((f) => f.srcPort !== port && f.handshakeTypes.includes(11)).flatMap((f) => f.certificates);
        ctx.check.equal(
          "serviceB's Certificate carries its leaf and the intermediate",
          clientCerts,
          [b.cert.der.toString('hex'), pki.issuing.cert.der.toString('hex')],
          (v) =>
            v
              .map(
                (x) =>
                  `${x.length / 2} bytes${x === b.cert.der.toString('hex') ? ' (serviceB)' : x === pki.issuing.cert.der.toString('hex') ? ' (intermediate)' : ''}`,
              )
              .join(', '),
        );
      },
    },
    {
      title: 'Five clients serviceA refuses, each for its reason',
      explain:
        "serviceA lets in only a certificate that chains to the cluster's root, is in its validity window, is not\n" +
        `on its CA's CRL, and names ${SERVICE_B}. Five clients try: one with no certificate, one from\n` +
        "another CA (same names), one expired yesterday, one revoked (its serial on the intermediate's CRL),\n" +
        'and one from the right CA for another service. In TLS 1.3 the client finishes its side before the\n' +
        'server has checked its certificate, so the server reports why and resets the connection: the client\n' +
        'sees ECONNRESET on its first read. (OCSP, the online alternative to CRLs, is not shown.)',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const a = need(ctx.state.serviceA, "serviceA's certificate");
        const other = CertificateAuthority.root({ commonName: 'Other Root CA' });
        const names = { commonName: SERVICE_B, dns: [SERVICE_B], uris: [SPIFFE_B] };
        const stranger = other.issueClient(names);
        const expired = pki.issuing.issueClient({ ...names, validity: expiredWindow() });
        const revoked = pki.issuing.issueClient({ ...names, validity: validFor(HOURS_24) });
        const wrong = pki.issuing.issueClient({
          commonName: 'serviceC.default.svc.cluster.local',
          dns: ['serviceC.default.svc.cluster.local'],
          validity: validFor(HOURS_24),
        });
        pki.issuing.revoke(revoked.serial);
        const out = tlsOutput(ctx);
        const tap = out.tap('mtls-refused', {
          filter: 'tcp.flags.reset == 1',
          frames: 5,
          about: "each refused client's connection ends in a reset from serviceA",
          also: [
            { filter: 'tls.handshake.type == 1', frames: 5, about: 'five clients try' },
            { filter: 'tls.handshake.type == 11', frames: 'unchecked', about: 'the certificates serviceA and the refused clients sent (decrypted)' },
          ],
        });
        const keyLog = keyLogFor(out.pathOf('mtls-refused.keys'), tap);
        // The server starts after the revocation: its CRL lists the revoked serial.
        const { server, refused } = await serviceA(pki, a);
        ctx.onStepEnd(() => server.close());
        const cases: { what: string; leaf: Leaf | undefined; code: string }[] = [
          { what: 'no certificate', leaf: undefined, code: 'NO_CLIENT_CERTIFICATE' },
          { what: 'from another CA', leaf: stranger, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
          { what: 'expired yesterday', leaf: expired, code: 'CERT_HAS_EXPIRED' },
          { what: 'revoked (on the CRL)', leaf: revoked, code: 'CERT_REVOKED' },
          { what: 'serviceC, right CA', leaf: wrong, code: 'CLIENT_NAME_NOT_ALLOWED' },
        ];
        const rows: string[][] = [];
        const results: { client: string; server: Refusal | undefined }[] = [];
        for (const c of cases) {
          const before = refused.length;
          const r = await askOrRefusal(
            () =>
              tlsConnect({
                host: HOST,
                port: server.port,
                servername: SERVICE_A,
                ca: pki.root.certPem,
                alpn: ['http/1.1'],
                tap,
                keyLog,
                ...(c.leaf !== undefined ? { identity: identityOf(c.leaf) } : {}),
              }),
            request('/orders'),
          );
          const mine = refused[before];
          results.push({ client: r.outcome, server: mine });
          rows.push([c.what, mine?.code ?? '-', mine?.reason ?? 'not refused', r.outcome]);
        }
        await server.close();
        await tap.close();
        ctx.show.table(['client certificate', 'serviceA refuses with', 'reason', 'the client sees'], rows);
        cases.forEach((c, i) => {
          ctx.check.equal(
            `${c.what}: serviceA refuses it after the handshake`,
            [results[i].server?.stage, results[i].server?.code],
            ['client-certificate', c.code],
            () => refusalText(results[i].server),
          );
          ctx.check.equal(`${c.what}: the client's first read fails`, results[i].client, 'ECONNRESET');
        });
        ctx.check.ok(
          'the wrong-name refusal says which name it saw',
          (results[4].server?.reason ?? '').includes('DNS:serviceC.default.svc.cluster.local'),
          results[4].server?.reason ?? 'none',
        );
        const frames = tsharkOrSkip(ctx.show, out.pathOf('mtls-refused'));
        if (frames === undefined) return;
        const port = tap.flowInfo[0]?.server.port ?? -1;
        const seq = handshakeSequence(frames, port);
        const count = (from: 'client' | 'server', type: number): number => seq.filter((m) => m.from === from && m.type === type).length;
        ctx.check.equal(
          'tshark: five CertificateRequests, five client Certificate messages (one of them empty)',
          [count('server', 13), count('client', 11)],
          [5, 5],
        );
      },
    },
    {
      title: 'Rotation: a new certificate for serviceA while a connection stays open',
      explain:
        'Leaves that live 24 hours are replaced every day, without a restart and without cutting anyone off.\n' +
        'serviceB opens a connection and keeps it (HTTP keep-alive). serviceA then swaps in a new certificate\n' +
        "(Node's setSecureContext): new handshakes get the new one at once, the open connection keeps the\n" +
        'keys and the certificate it was made with and goes on working.',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const a = need(ctx.state.serviceA, "serviceA's certificate");
        const b = need(ctx.state.serviceB, "serviceB's certificate");
        const out = tlsOutput(ctx);
        const tap = out.tap('mtls-rotation', {
          filter: 'tls.handshake.type == 11',
          frames: 'unchecked',
          about: 'serviceA sends the old leaf to the first connection, the new one to the second (and serviceB its own, twice)',
          also: [{ filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0', frames: 2, about: 'two connections' }],
        });
        const keyLog = keyLogFor(out.pathOf('mtls-rotation.keys'), tap);
        const { server } = await serviceA(pki, a);
        ctx.onStepEnd(() => server.close());
        const connect = (): Promise<TlsClient> =>
          tlsConnect({ host: HOST, port: server.port, servername: SERVICE_A, ca: pki.root.certPem, identity: identityOf(b), alpn: ['http/1.1'], tap, keyLog });
        const first = await connect();
        const before = await askHttp1(first.socket, request('/before', false));
        const rotated = pki.issuing.issueServer({ dns: [SERVICE_A], validity: validFor(HOURS_24) });
        server.rotate(identityOf(rotated));
        const openDuring = server.openConnections;
        const second = await connect();
        const after = await askHttp1(first.socket, request('/after', false));
        const replySecond = (await second.exchange(request('/new'))).toString('latin1');
        const lastFirst = (await first.exchange(request('/bye'))).toString('latin1');
        await server.close();
        await tap.close();
        ctx.show.table(
          ['connection', 'made', 'serviceA certificate serial', 'requests answered'],
          [
            ['first', 'before the rotation', first.info.peer?.serial ?? '?', [before, after, lastFirst].filter((r) => r.startsWith('HTTP/1.1 200')).length],
            ['second', 'after the rotation', second.info.peer?.serial ?? '?', replySecond.startsWith('HTTP/1.1 200') ? 1 : 0],
          ],
        );
        ctx.check.equal('the first connection got the old certificate', first.info.peer?.serial, a.serial);
        ctx.check.equal('the connection was still open when the certificate changed', openDuring, 1);
        ctx.check.equal('the second connection gets the new certificate', second.info.peer?.serial, rotated.serial);
        ctx.check.match('the first connection still works after the rotation', after, /^HTTP\/1\.1 200 OK\r\n[\s\S]*serviceA: GET \/after/);
        ctx.check.match('... until it closes by itself', lastFirst, /serviceA: GET \/bye/);
        const frames = tsharkOrSkip(ctx.show, out.pathOf('mtls-rotation'));
        if (frames === undefined) return;
        const serverPort = tap.flowInfo[0]?.server.port ?? -1;
        const leafOfServer = frames.filter((f) => f.srcPort === serverPort && f.handshakeTypes.includes(11)).map((f) => f.certificates[0] ?? '');
        ctx.check.equal(
          'tshark: serviceA sent the old leaf, then the new one',
          leafOfServer.map((x) => (x === a.cert.der.toString('hex') ? 'old' : x === rotated.cert.der.toString('hex') ? 'new' : 'other')),
          ['old', 'new'],
        );
        const firstPort = tap.flowInfo[0]?.client.port ?? -1;
        ctx.check.equal(
          'tshark: three requests on the first connection, across the rotation',
          frames.filter((f) => f.srcPort === firstPort && f.httpMethod !== '').map((f) => f.httpUri),
          ['/before', '/after', '/bye'],
        );
      },
    },
  ],
});
