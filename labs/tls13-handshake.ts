// Lab: the TLS 1.3 handshake a study guide describes, step by step, from one real HTTPS request on 127.0.0.1: the
// TCP handshake first, then ClientHello and ServerHello in plaintext, then EncryptedExtensions,
// Certificate, CertificateVerify and Finished, which only the key log in the capture lets Wireshark
// read; the HTTP request inside; where TLS sits in the OSI and TCP/IP models; and what the
// certificate check (not the encryption) does against a spoofed DNS answer.

import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { defineLab } from '../src/lab/index.ts';
import { LAB_INFO } from './info.ts';
import { hex16 } from '../src/lab/index.ts';
import type { SequenceMessage } from '../src/lab/index.ts';
import { tsharkFields, tsharkInstalled } from '../src/lab/index.ts';
import type { StepContext } from '../src/lab/index.ts';
import { CertificateAuthority, KeyLog, TlsLabServer, tlsConnect, type Leaf, type TlsConnectionInfo } from '../src/tls/index.ts';
import { decode, nearestLayer } from '../src/wire/index.ts';
import type { Tcp } from '../src/wire/index.ts';
import { askOrRefusal } from './tls/connect.ts';
import { serveHttp1 } from './tls/http.ts';
import { CIPHER_SUITE, CONTENT_TYPE, GROUP, HANDSHAKE_TYPE, named, SIGNATURE_SCHEME, VERSION } from './tls/names.ts';
import { tlsOutput } from './tls/output.ts';
import { certRow, identityOf, labPki, sanOf, signedBy, type LabPki } from './tls/pki.ts';
import { contains, recordsOnWire, type TlsRecordOnWire } from './tls/records.ts';
import { handshakeSequence, tsharkTlsFrames, type TsharkTlsFrame } from './tls/tshark-tls.ts';
import { netlabFields, unknownFields } from './tls/netlab-fields.ts';
import { keyLogOf, copyWithoutKeys } from './tls/without-keys.ts';
import { need } from './common/need.ts';
import { tls13Exercises } from './tls13-handshake/exercises.ts';

const HOST = '127.0.0.1';
/** A study guide's `domain.com`, under the .test domain the labs use (RFC 6761: never on the internet). */
const NAME = 'domain.netlab.test';
const REQUEST = `GET / HTTP/1.1\r\nHost: ${NAME}\r\nuser-agent: netlab-lab\r\nconnection: close\r\n\r\n`;
const CAPTURE = 'tls13-handshake';
const BARE = 'tls13-handshake-no-keys';
/** Fields of the plaintext part of a handshake, compared between netlab's dissector and tshark. */
const PLAIN_FIELDS = [
  'tls.record.content_type',
  'tls.record.opaque_type',
  'tls.record.version',
  'tls.record.length',
  'tls.handshake.type',
  'tls.handshake.random',
  'tls.handshake.ciphersuite',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.extensions_key_share_group',
];
const TLS13_LABELS = [
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'EXPORTER_SECRET',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_TRAFFIC_SECRET_0',
];

interface Run {
  /** Absolute paths of the capture with its key log and of the copy without it. */
  capture: string;
  bare: string;
  serverPort: number;
  client: TlsConnectionInfo;
  server: TlsConnectionInfo | undefined;
  group: string;
  keyLines: string[];
  reply: string;
  serverSaw: string[];
  records: TlsRecordOnWire[];
  frames: Uint8Array[];
  /** tshark's reading of the two files (undefined without tshark). */
  full?: TsharkTlsFrame[];
  noKeys?: TsharkTlsFrame[];
}

interface State {
  pki?: LabPki;
  leaf?: Leaf;
  run?: Run;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A certificate (DER, hex) as `sha256 0123456789abcdef... (N bytes)`: short enough to print. */
const fingerprint = (derHex: string): string =>
  `sha256 ${createHash('sha256').update(Buffer.from(derHex, 'hex')).digest('hex').slice(0, 16)}... (${derHex.length / 2} bytes)`;
const hexList = (v: number[]): string => v.map((x) => hex16(x)).join(', ');

/** The client random every TLS 1.3 key log line carries (its second field). */
const clientRandomOf = (lines: readonly string[]): string[] => [...new Set(lines.map((l) => l.split(' ')[1] ?? ''))];

/** tshark's reading of both files (read once), or a skipped note when tshark is not installed. */
function tshark(ctx: StepContext<State>, run: Run): { full: TsharkTlsFrame[]; noKeys: TsharkTlsFrame[] } | undefined {
  if (!tsharkInstalled()) {
    ctx.show.skipped(
      "tshark is not installed (on Debian: apt-get install tshark): Wireshark's reading of the capture is not compared; netlab's own checks still run.",
    );
    return undefined;
  }
  run.full ??= tsharkTlsFrames(run.capture);
  run.noKeys ??= tsharkTlsFrames(run.bare);
  return { full: run.full, noKeys: run.noKeys };
}

function describeRecord(r: TlsRecordOnWire): string {
  if (r.handshakeType !== undefined) return HANDSHAKE_TYPE[r.handshakeType] ?? `handshake ${r.handshakeType}`;
  if (r.contentType === 20) return 'ChangeCipherSpec';
  if (r.contentType === 23) return `encrypted (${r.length} B)`;
  return CONTENT_TYPE[r.contentType] ?? `type ${r.contentType}`;
}

/** The connection as a sequence diagram: TCP's opening and closing, and the TLS records of each segment. */
function sequenceOf(run: Run): SequenceMessage[] {
  const { streams } = recordsOnWire(run.frames.map((data) => ({ data })));
  const out: SequenceMessage[] = [];
  for (const s of streams.segments) {
    const to = s.from === 'client' ? 'server' : 'client';
    if (s.syn || s.fin || s.rst) {
      out.push({
        from: s.from,
        to,
        label: `${[s.syn ? 'SYN' : '', s.fin ? 'FIN' : '', s.rst ? 'RST' : '', s.ack ? 'ACK' : ''].filter((x) => x !== '').join(', ')}`,
      });
      continue;
    }
    if (s.length === 0) {
      if (out.length === 2) out.push({ from: s.from, to, label: 'ACK' }); // the handshake's third segment
      continue;
    }
    const here = run.records.filter((r) => r.frame === s.frame && r.from === s.from);
    out.push({ from: s.from, to, label: here.length > 0 ? here.map(describeRecord).join(' + ') : `${s.length} bytes (rest of a record)` });
  }
  return out;
}

export default defineLab<State>({
  ...LAB_INFO['tls13-handshake'],
  state: () => ({}),
  exercises: tls13Exercises,
  steps: [
    {
      title: 'A certificate chain for domain.netlab.test',
      explain:
        `A study guide's client asks for domain.com. The lab uses ${NAME} (.test never resolves on the internet) and\n` +
        'makes its own small PKI with node-forge: a root CA (self-signed: the one the client trusts), an\n' +
        `intermediate CA signed by the root, and a leaf for ${NAME} signed by the intermediate. The server\n` +
        'sends the leaf and the intermediate; the client checks the chain up to the root it holds.',
      run(ctx) {
        const pki = labPki('tls13-handshake');
        const leaf = pki.issuing.issueServer({ dns: [NAME] });
        ctx.state.pki = pki;
        ctx.state.leaf = leaf;
        ctx.show.table(
          ['certificate', 'subject', 'issuer', 'subjectAltName', 'valid until'],
          [
            certRow('root (the client trusts it)', pki.root.cert.x509),
            certRow('intermediate (the server sends it)', pki.issuing.cert.x509),
            certRow('leaf (the server sends it)', leaf.cert.x509),
          ],
        );
        ctx.check.ok(
          'the leaf is signed by the intermediate',
          signedBy(leaf.certPem, pki.issuing.certPem),
          "signature verifies with the intermediate's public key",
        );
        ctx.check.ok(
          'the intermediate is signed by the root',
          signedBy(pki.issuing.certPem, pki.root.certPem),
          "signature verifies with the root's public key",
        );
        ctx.check.equal('the leaf names the server', sanOf(leaf.certPem), `DNS:${NAME}`);
      },
    },
    {
      title: 'One HTTPS request on a real connection: TCP first, then TLS',
      explain:
        `A TLS server on ${HOST} (Node's tls, TLS 1.3) and a client that asks for ${NAME} (SNI) offering ALPN\n` +
        '"http/1.1" and "h2", as a study guide has it. The socket tap records the connection as Ethernet/IP/TCP frames and\n' +
        "every key the two ends log (Node's keylog event) goes into the same pcapng as a Decryption Secrets\n" +
        'Block, so Wireshark decrypts it with no settings. A second file holds the same frames without the keys:\n' +
        "what a sniffer on the path would have. TCP's three-way handshake comes first and carries no data; the\n" +
        'first byte of TLS is the ClientHello, in the fourth segment.',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const leaf = need(ctx.state.leaf, 'the leaf');
        const out = tlsOutput(ctx);
        const tap = out.tap(CAPTURE, {
          filter: 'tls.handshake',
          frames: 'some',
          about: 'ClientHello, ServerHello and, decrypted with the key log in the file, EncryptedExtensions, Certificate, CertificateVerify, Finished',
          also: [
            { filter: 'tls.handshake.type == 1', frames: 1, about: 'the ClientHello, in plaintext' },
            { filter: 'tls.handshake.type == 2', frames: 1, about: 'the ServerHello, in plaintext (the frame also carries the encrypted flight)' },
            { filter: 'tcp.flags.syn == 1', frames: 2, about: 'SYN and SYN-ACK: TCP opens before any TLS byte' },
            { filter: 'tcp.len > 0', about: 'the segments that carry TLS records' },
            { filter: 'http', frames: 'unchecked', about: 'the HTTP request and response inside TLS' },
          ],
        });
        mkdirSync(out.dir, { recursive: true });
        const keyFile = out.pathOf(`${CAPTURE}.keys`);
        rmSync(keyFile, { force: true });
        const keyLog = new KeyLog({ tap, path: keyFile });
        let serverInfo: TlsConnectionInfo | undefined;
        const serverSaw: string[] = [];
        const server = await TlsLabServer.start({
          host: HOST,
          identity: identityOf(leaf),
          alpn: ['http/1.1'],
          onConnection: (socket, info) => {
            serverInfo = info;
            serveHttp1(socket, NAME, serverSaw);
          },
        });
        ctx.onStepEnd(() => server.close());
        const started = performance.now();
        const client = await tlsConnect({ host: HOST, port: server.port, servername: NAME, ca: pki.root.certPem, alpn: ['http/1.1', 'h2'], tap, keyLog });
        const connectMs = performance.now() - started;
        const key = client.socket.getEphemeralKeyInfo();
        const group = key !== null && 'name' in key && typeof key.name === 'string' ? key.name : 'none';
        const reply = (await client.exchange(REQUEST)).toString('latin1');
        const port = server.port;
        await server.close();
        await tap.close();
        const frames = tap.frames.map((f) => f.data);
        const wire = recordsOnWire(tap.frames);
        const capture = out.pathOf(CAPTURE);
        const bare = out.pathOf(BARE);
        const copy = out.capture(BARE, {
          filter: 'tls.handshake',
          frames: 2,
          about: 'the same frames without the key log: only ClientHello and ServerHello are readable, the rest is application data',
          also: [{ filter: 'tcp.len > 0', about: 'the same TLS records, undecryptable' }],
        });
        copyWithoutKeys(capture, copy);
        const run: Run = {
          capture,
          bare,
          serverPort: port,
          client: client.info,
          server: serverInfo,
          group,
          keyLines: keyLog.text.trim().split('\n'),
          reply,
          serverSaw,
          records: wire.records,
          frames,
        };
        ctx.state.run = run;

        ctx.show.sequence({ title: `client -> ${HOST}:${port} (${NAME})`, participants: ['client', 'server'], messages: sequenceOf(run) });
        const segs = wire.streams.segments;
        const ms = (i: number): number => {
          const f = tap.frames[i - 1];
          return f.sec * 1000 + f.nsec / 1e6;
        };
        const firstData = segs.find((s) => s.length > 0);
        const clientFinished = run.records.filter((r) => r.from === 'client' && r.contentType === 23)[0];
        if (firstData !== undefined && clientFinished !== undefined && !ctx.deterministic) {
          ctx.show.table(
            ['phase', 'on this loopback', 'a study guide (over the internet)'],
            [
              ['TCP connect + TLS handshake, as the client timed it', `${connectMs.toFixed(3)} ms`, '140 ms (TCP 210-230 ms, TLS 230-350 ms)'],
              [
                "TLS alone: ClientHello to the client's Finished (capture times)",
                `${(ms(clientFinished.frame) - ms(firstData.frame)).toFixed(3)} ms`,
                '120 ms',
              ],
            ],
          );
        }
        ctx.show.text(`Keys: ${out.kept ? keyFile : '(fixture run: the capture and the key log are written to a scratch folder and deleted)'}`);

        const opening = segs.slice(0, 3).map((s) => `${s.from}:${s.syn ? 'SYN' : ''}${s.syn && s.ack ? '-' : ''}${s.ack ? 'ACK' : ''}/${s.length}`);
        ctx.check.equal('TCP opens first: SYN, SYN-ACK, ACK, none of them carrying data', opening, ['client:SYN/0', 'server:SYN-ACK/0', 'client:ACK/0']);
        ctx.check.equal(
          'the first data segment is the fourth, from the client',
          firstData === undefined ? 'none' : `frame ${firstData.frame} from the ${firstData.from}`,
          'frame 4 from the client',
        );
        const first = run.records[0];
        ctx.check.equal(
          'its first byte starts a TLS handshake record holding a ClientHello',
          first === undefined
            ? 'no record'
            : `${named(CONTENT_TYPE, first.contentType)}, ${first.handshakeType === undefined ? '-' : named(HANDSHAKE_TYPE, first.handshakeType)}`,
          'handshake (22), ClientHello (1)',
        );
        ctx.check.equal('the connection is TLS 1.3', run.client.protocol, 'TLSv1.3');
        ctx.check.match('the server answered the request', reply, /^HTTP\/1\.1 200 OK\r\n/);
        ctx.check.equal('the server read the request line', serverSaw, ['GET / HTTP/1.1']);
        ctx.check.ok(
          'the records of both directions fill the streams exactly (nothing cut off)',
          !wire.truncated,
          `${run.records.length} records, ${wire.streams.client.length} + ${wire.streams.server.length} bytes`,
        );
      },
    },
    {
      title: 'ClientHello: what the client offers',
      explain:
        'The ClientHello is plaintext: anyone on the path reads it. It offers the versions the client speaks\n' +
        '(supported_versions: TLS 1.3 and 1.2; the record layer still says 0x0301 for old middleboxes), its\n' +
        'cipher suites (the three TLS 1.3 ones first), the server name it wants (SNI, in clear text), the\n' +
        'application protocols it speaks (ALPN: http/1.1 and h2) and an ECDHE key share: its half of the key\n' +
        'exchange, sent at once so that the server can answer in one round trip. Its 32-byte random is the\n' +
        'label of every line of the key log.',
      run(ctx) {
        const run = need(ctx.state.run, 'the connection');
        const ch = run.records.find((r) => r.from === 'client' && r.handshakeType === 1);
        if (
          !ctx.check.ok(
            'netlab finds the ClientHello record on the wire',
            ch !== undefined,
            ch === undefined ? 'none' : `frame ${ch.frame}, ${ch.length} bytes`,
          )
        )
          return;
        const b = (ch as TlsRecordOnWire).bytes;
        ctx.show.hex(b.subarray(0, 48), {
          title: 'The first 48 bytes of the ClientHello record',
          spans: [
            { label: 'record header: type 22, version 0x0301, length', offset: 0, length: 5 },
            { label: 'handshake header: type 1 (ClientHello), length', offset: 5, length: 4 },
            { label: 'legacy_version 0x0303', offset: 9, length: 2 },
            { label: 'random (32 bytes)', offset: 11, length: 32 },
            { label: 'session id (length, then id)', offset: 43, length: 5 },
          ],
        });
        const random = hex(b.subarray(11, 43));
        ctx.check.equal('record layer version: 0x0301 (legacy, for middleboxes)', (ch as TlsRecordOnWire).version, 0x0301, hex16);
        ctx.check.equal("the ClientHello's random is the client random every key log line names", clientRandomOf(run.keyLines), [random]);
        ctx.check.ok(
          `the server name "${NAME}" is on the wire in clear text`,
          contains(b, Buffer.from(NAME)),
          `found in the ${b.length}-byte ClientHello record`,
        );
        ctx.check.ok(
          'so are the ALPN protocols offered ("\\x08http/1.1", "\\x02h2")',
          contains(b, Buffer.from('\x08http/1.1\x02h2', 'latin1')),
          'found in the ClientHello record',
        );
        const t = tshark(ctx, run);
        if (t === undefined) return;
        const f = t.full.find((x) => x.handshakeTypes.includes(1));
        if (!ctx.check.ok('tshark finds the ClientHello', f !== undefined, f === undefined ? 'none' : `frame ${f.frame}`)) return;
        const hello = f as TsharkTlsFrame;
        ctx.show.table(
          ['ClientHello field', 'Wireshark field', 'value'],
          [
            ['supported versions', 'tls.handshake.extensions.supported_version', hello.supportedVersions.map((v) => named(VERSION, v, true)).join(', ')],
            [
              'cipher suites',
              'tls.handshake.ciphersuite',
              `${hello.cipherSuites.length}: ${hello.cipherSuites
                .slice(0, 3)
                .map((c) => named(CIPHER_SUITE, c, true))
                .join(', ')}, ... (TLS 1.2 suites)`,
            ],
            ['server name (SNI)', 'tls.handshake.extensions_server_name', hello.serverNames.join(', ')],
            ['ALPN', 'tls.handshake.extensions_alpn_str', hello.alpn.join(', ')],
            [
              'key share',
              'tls.handshake.extensions_key_share_group',
              hello.keyShareGroups.map((g) => `${named(GROUP, g)}, ${(hello.keyShares[0] ?? '').length / 2} bytes`).join('; '),
            ],
            ['random', 'tls.handshake.random', hello.randoms[0] ?? ''],
          ],
        );
        ctx.check.equal('tshark: supported_versions offers TLS 1.3 and 1.2', hello.supportedVersions, [0x0304, 0x0303], hexList);
        const first3 = hello.cipherSuites.slice(0, 3);
        ctx.check.ok(
          "tshark: the three TLS 1.3 suites come first, in the client's order of preference as the table shows",
          [...first3].sort((a, b) => a - b).join() === [0x1301, 0x1302, 0x1303].join(),
          first3.map((c) => named(CIPHER_SUITE, c, true)).join(', '),
          'TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256, in any order',
        );
        ctx.check.equal('tshark: SNI', hello.serverNames, [NAME]);
        ctx.check.equal('tshark: ALPN offers http/1.1 and h2', hello.alpn, ['http/1.1', 'h2']);
        ctx.check.equal('tshark: one key share, x25519 (29), 32 bytes', [hello.keyShareGroups, (hello.keyShares[0] ?? '').length / 2], [[29], 32]);
        ctx.check.equal('tshark reads the same random as netlab', hello.randoms, [random]);
      },
    },
    {
      title: "ServerHello: the server's selection and its key share",
      explain:
        'The ServerHello (still plaintext) picks: TLS 1.3 (in supported_versions), one cipher suite, and the key\n' +
        "share group, with the server's own ephemeral public key for it. It does not carry \"the server's public\n" +
        'key": that is in the certificate, sent later and encrypted, and used only to sign. Both ends now\n' +
        'compute the same secret from the two ephemeral shares (ECDHE); nothing is encrypted with the\n' +
        "certificate's key. There is no RSA key transport and no pre-master secret in TLS 1.3.",
      run(ctx) {
        const run = need(ctx.state.run, 'the connection');
        const leaf = need(ctx.state.leaf, 'the leaf');
        const sh = run.records.find((r) => r.from === 'server' && r.handshakeType === 2);
        const ch = run.records.find((r) => r.from === 'client' && r.handshakeType === 1);
        if (
          !ctx.check.ok(
            "netlab finds the ServerHello record, the server's first",
            sh !== undefined && run.records.filter((r) => r.from === 'server')[0] === sh,
            sh === undefined ? 'none' : `frame ${sh.frame}, ${sh.length} bytes`,
          )
        )
          return;
        const shBytes = (sh as TlsRecordOnWire).bytes;
        ctx.show.table(
          ['what the server chose', 'as the sockets report it'],
          [
            ['version', run.client.protocol],
            ['cipher suite', run.client.cipher],
            ['key exchange group', `${run.group} (ECDHE, ephemeral: a new key pair for this connection)`],
            ['ALPN', `${run.client.alpn ?? '(none)'} (the answer is not in the ServerHello: see the next step)`],
          ],
        );
        ctx.check.equal('the client reports TLS 1.3', run.client.protocol, 'TLSv1.3');
        ctx.check.equal('the key exchange is ECDHE over X25519', run.group, 'X25519');
        ctx.check.notEqual(
          'the server random differs from the client random',
          hex(shBytes.subarray(11, 43)),
          ch === undefined ? '' : hex(ch.bytes.subarray(11, 43)),
        );
        // The leaf's EC public key (the last 65 bytes of its SPKI: 04 || X || Y) is nowhere in the ServerHello.
        const certKey = leaf.cert.key.spki.subarray(leaf.cert.key.spki.length - 65);
        ctx.check.ok(
          "the certificate's public key is not in the ServerHello (its key share is an ephemeral key)",
          !contains(shBytes, certKey),
          `${certKey.length}-byte key searched in the ${shBytes.length}-byte ServerHello: not found`,
        );
        const labels = [...new Set(run.keyLines.map((l) => l.split(' ')[0]))].sort();
        ctx.check.equal('the key log holds TLS 1.3 traffic secrets only (no CLIENT_RANDOM master secret of TLS 1.2)', labels, TLS13_LABELS);
        const t = tshark(ctx, run);
        if (t === undefined) return;
        const f = t.full.find((x) => x.handshakeTypes.includes(2));
        if (!ctx.check.ok('tshark finds the ServerHello', f !== undefined, f === undefined ? 'none' : `frame ${f.frame}`)) return;
        const hello = f as TsharkTlsFrame;
        ctx.check.equal('tshark: supported_versions selects TLS 1.3', hello.supportedVersions, [0x0304], hexList);
        ctx.check.equal(
          'tshark: the selected suite is the one the sockets report',
          hello.cipherSuites.map((c) => CIPHER_SUITE[c] ?? hex16(c)),
          [run.client.cipher],
        );
        ctx.check.equal("tshark: the server's key share is x25519 (29), 32 bytes", [hello.keyShareGroups, (hello.keyShares[0] ?? '').length / 2], [[29], 32]);
        const types = handshakeSequence(t.full, run.serverPort).map((m) => m.type);
        ctx.check.ok(
          'tshark: no ClientKeyExchange (16) in the whole handshake',
          !types.includes(16),
          types.map((x) => HANDSHAKE_TYPE[x] ?? x).join(', '),
          'no ClientKeyExchange',
        );
      },
    },
    {
      title: 'EncryptedExtensions, Certificate, CertificateVerify, Finished: visible only with the keys',
      explain:
        'Right after the ServerHello the server switches to the handshake keys: EncryptedExtensions (with the\n' +
        "ALPN answer), Certificate (leaf + intermediate), CertificateVerify (a signature with the certificate's\n" +
        'key over the handshake so far) and Finished all travel as records of type application_data (23); the\n' +
        'ChangeCipherSpec between them is a dummy for middleboxes. The client answers with its Finished.\n' +
        'Without keys (the copy without the Decryption Secrets Block) Wireshark sees ClientHello, ServerHello\n' +
        'and opaque application data; with the key log in the file it reads every message.',
      async run(ctx) {
        const run = need(ctx.state.run, 'the connection');
        const leaf = need(ctx.state.leaf, 'the leaf');
        const pki = need(ctx.state.pki, 'the PKI');
        const afterHello = (side: 'client' | 'server'): number[] =>
          run.records.filter((r) => r.from === side && r.handshakeType === undefined).map((r) => r.contentType);
        const plain = run.records.filter((r) => r.handshakeType !== undefined).map((r) => HANDSHAKE_TYPE[r.handshakeType ?? 0]);
        ctx.show.table(
          ['side', 'records on the wire (content types)'],
          [
            [
              'client',
              run.records
                .filter((r) => r.from === 'client')
                .map((r) => r.contentType)
                .join(', '),
            ],
            [
              'server',
              run.records
                .filter((r) => r.from === 'server')
                .map((r) => r.contentType)
                .join(', '),
            ],
          ],
        );
        ctx.check.equal('netlab: the only plaintext handshake messages on the wire are the two hellos', plain, ['ClientHello', 'ServerHello']);
        ctx.check.ok(
          'netlab: after the hellos every record is application_data (23) or the dummy ChangeCipherSpec (20)',
          [...afterHello('client'), ...afterHello('server')].every((x) => x === 23 || x === 20),
          `client ${afterHello('client').join(',')}; server ${afterHello('server').join(',')}`,
        );
        const inFile = keyLogOf(run.capture);
        const same = [...inFile.lines].sort().join('\n') === [...run.keyLines].sort().join('\n');
        ctx.check.ok(
          'netlab: the capture carries the key log, the same lines the sockets logged',
          same,
          `${inFile.lines.length} lines in the file's Decryption Secrets Block, ${run.keyLines.length} logged${same ? ', identical' : ', different'}`,
        );
        ctx.check.equal('netlab: the copy without keys carries none', keyLogOf(run.bare).lines, []);
        const t = tshark(ctx, run);
        if (t === undefined) return;
        const noKeys = handshakeSequence(t.noKeys, run.serverPort);
        const seq = handshakeSequence(t.full, run.serverPort);
        const name = (m: { from: string; type: number }): string => `${m.from} ${HANDSHAKE_TYPE[m.type] ?? m.type}`;
        ctx.show.table(
          ['#', 'sent by', 'message', 'frame', 'without the keys'],
          seq.map((m, i) => [
            i + 1,
            m.from,
            named(HANDSHAKE_TYPE, m.type),
            m.frame,
            noKeys.some((x) => x.frame === m.frame && x.type === m.type) ? 'readable' : 'application data',
          ]),
        );
        ctx.check.equal('tshark without keys: only ClientHello and ServerHello', noKeys.map(name), ['client ClientHello', 'server ServerHello']);
        // netlab's TLS dissector does not decrypt: on the copy without keys it must read what tshark reads.
        const unknown = unknownFields(PLAIN_FIELDS);
        if (unknown.length > 0) ctx.show.skipped(`netlab's dissector does not know ${unknown.join(', ')} yet: its reading is not compared with tshark's.`);
        else {
          const mine = await netlabFields(run.bare, PLAIN_FIELDS);
          const theirs = tsharkFields(run.bare, PLAIN_FIELDS, []);
          const differ = mine
            .map((row, i) =>
              row.join('|') === (theirs[i] ?? []).join('|') ? '' : `frame ${i + 1}: netlab ${row.join('|')} / tshark ${(theirs[i] ?? []).join('|')}`,
            )
            .filter((x) => x !== '');
          ctx.check.ok(
            `netlab's TLS dissector reads the copy without keys as tshark does (${PLAIN_FIELDS.length} fields, every frame)`,
            differ.length === 0 && mine.length === theirs.length,
            differ.length === 0 ? `${mine.length} frames, identical` : differ.slice(0, 3).join('; '),
            'identical',
          );
        }
        ctx.check.equal('tshark with the key log in the file: the whole handshake, in order', seq.slice(0, 7).map(name), [
          'client ClientHello',
          'server ServerHello',
          'server EncryptedExtensions',
          'server Certificate',
          'server CertificateVerify',
          'server Finished',
          'client Finished',
        ]);
        // The server's messages, however its flight was cut into segments: only EncryptedExtensions
        // carries ALPN, only Certificate certificates, only CertificateVerify a signature scheme.
        const fromServer = t.full.filter((f) => f.srcPort === run.serverPort);
        const serverAlpn = t.noKeys.filter((f) => f.srcPort === run.serverPort).flatMap((f) => f.alpn);
        ctx.check.equal(
          "ALPN's answer is in EncryptedExtensions",
          fromServer.filter((f) => f.handshakeTypes.includes(8)).flatMap((f) => f.alpn),
          [run.client.alpn ?? '(none)'],
        );
        ctx.check.equal('... and nowhere in what the server sent in clear (the ServerHello has none)', serverAlpn, []);
        ctx.check.equal(
          'Certificate carries the leaf, then the intermediate (not the root)',
          fromServer.flatMap((f) => f.certificates).map(fingerprint),
          [leaf.cert.der, pki.issuing.cert.der].map((d) => fingerprint(hex(d))),
        );
        ctx.check.equal(
          "CertificateVerify is signed with the leaf's P-256 key",
          fromServer.flatMap((f) => f.signatureSchemes).map((s) => named(SIGNATURE_SCHEME, s, true)),
          ['ecdsa_secp256r1_sha256 (0x0403)'],
        );
      },
    },
    {
      title: 'The HTTP request inside',
      explain:
        'Once both Finished messages are through, the client sends its HTTP/1.1 request with the application\n' +
        'traffic keys: on the wire an application_data record; with the key log, Wireshark shows the request\n' +
        "itself. The tap saw ciphertext only: no frame holds the request's bytes.",
      run(ctx) {
        const run = need(ctx.state.run, 'the connection');
        const plain = Buffer.from('GET / HTTP/1.1');
        ctx.show.text(`The request the client wrote:\n  ${REQUEST.trimEnd().split('\r\n').join('\n  ')}`);
        ctx.check.ok(
          'no frame of the capture holds the request in plaintext',
          !run.frames.some((f) => contains(f, plain)),
          `${run.frames.length} frames searched for "GET / HTTP/1.1"`,
        );
        ctx.check.equal('the server read it all the same', run.serverSaw, ['GET / HTTP/1.1']);
        const t = tshark(ctx, run);
        if (t === undefined) return;
        const req = t.full.filter((f) => f.httpMethod !== '');
        ctx.check.equal(
          'tshark, with the key log in the file: the request',
          req.map((f) => [f.httpMethod, f.httpUri, f.httpHost]),
          [['GET', '/', NAME]],
        );
        ctx.check.equal('tshark, without it: no HTTP at all', t.noKeys.filter((f) => f.protocols.includes(':http')).length, 0);
      },
    },
    {
      title: 'Where TLS sits: the OSI and TCP/IP models',
      explain:
        'The frame with the request, layer by layer. TLS runs on top of TCP and under HTTP: in the TCP/IP model\n' +
        'it is part of the application layer (the kernel sees it as TCP payload); in OSI terms it does the work\n' +
        'of the presentation layer (encryption) and some of the session layer. Ethernet, IP and TCP stay in\n' +
        'clear: addresses and ports are visible, only what TCP carries is encrypted.',
      run(ctx) {
        const run = need(ctx.state.run, 'the connection');
        // The client's first application_data record is its Finished; the second carries the request.
        const req = run.records.filter((r) => r.from === 'client' && r.contentType === 23)[1];
        if (
          !ctx.check.ok(
            'netlab finds the record that carries the request',
            req !== undefined,
            req === undefined ? 'none' : `frame ${req.frame}, ${req.length} bytes`,
          )
        )
          return;
        const frame = run.frames[(req as TlsRecordOnWire).frame - 1];
        const { layers } = decode(frame, 1);
        const tcp = nearestLayer<Tcp>(layers, 'tcp');
        const payload = tcp === undefined ? new Uint8Array() : frame.subarray(tcp.payloadOffset ?? frame.length);
        ctx.show.hex(frame.subarray(0, Math.min(frame.length, 64)), { title: `Frame ${(req as TlsRecordOnWire).frame}, first 64 bytes` });
        ctx.show.table(
          ['OSI layer', 'TCP/IP model', 'in this frame', 'encrypted?'],
          [
            ['7 application', 'application', 'HTTP/1.1 GET /', 'yes'],
            [
              '6 presentation / 5 session',
              'application',
              `TLS 1.3 record: application_data, ${(req as TlsRecordOnWire).length} bytes`,
              'its 5-byte header is not',
            ],
            ['4 transport', 'transport', `TCP ${tcp?.value.srcPort ?? '?'} -> ${tcp?.value.dstPort ?? '?'}`, 'no'],
            ['3 network', 'internet', `IPv4 ${HOST} -> ${HOST}`, 'no'],
            ['2 data link / 1 physical', 'link', 'Ethernet (synthesized by the tap: loopback has no Ethernet)', 'no'],
          ],
        );
        ctx.check.equal('netlab decodes Ethernet, IPv4, TCP and hands the rest on as payload', layers.map((l) => l.kind).slice(0, 3), [
          'ethernet',
          'ipv4',
          'tcp',
        ]);
        ctx.check.equal('the TCP payload starts with a TLS record header: application_data (23), 0x0303', Array.from(payload.subarray(0, 3)), [23, 3, 3]);
        const t = tshark(ctx, run);
        if (t === undefined) return;
        const f = t.full.find((x) => x.frame === (req as TlsRecordOnWire).frame);
        ctx.check.equal("tshark: the frame's protocols, outermost first", f?.protocols ?? '', 'eth:ethertype:ip:tcp:tls:http');
      },
    },
    {
      title: 'What HTTPS does against a spoofed DNS answer: the certificate check',
      explain:
        `Suppose a forged DNS answer sends the client to an impostor's server for ${NAME}. Encryption alone does\n` +
        'not help: the client would happily encrypt to the impostor. What stops it is the certificate check:\n' +
        'the impostor has no certificate for the name from a CA the client trusts. Three impostors: one with a\n' +
        'certificate from its own CA, one with a genuine certificate for another name, and the first again with\n' +
        'a client that skips the check (as `curl -k` does): that one connects, encrypted, to the wrong server.',
      async run(ctx) {
        const pki = need(ctx.state.pki, 'the PKI');
        const own = CertificateAuthority.root({ commonName: 'Impostor Root CA' });
        const forged = own.issueServer({ dns: [NAME] });
        const otherName = pki.issuing.issueServer({ dns: ['attacker.netlab.test'] });
        const cases: { what: string; leaf: Leaf; verify: boolean; want: string }[] = [
          { what: `certificate for ${NAME} from the impostor's own CA`, leaf: forged, verify: true, want: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
          { what: 'genuine certificate, for attacker.netlab.test', leaf: otherName, verify: true, want: 'ERR_TLS_CERT_ALTNAME_INVALID' },
          { what: "impostor's CA, client does not check (curl -k)", leaf: forged, verify: false, want: 'connected' },
        ];
        const results: { outcome: string; detail: string }[] = [];
        for (const c of cases) {
          const impostor = await TlsLabServer.start({ host: HOST, identity: identityOf(c.leaf), onConnection: (s) => serveHttp1(s, 'impostor') });
          try {
            results.push(
              await askOrRefusal(() => tlsConnect({ host: HOST, port: impostor.port, servername: NAME, ca: pki.root.certPem, verify: c.verify }), REQUEST),
            );
          } finally {
            await impostor.close();
          }
        }
        ctx.show.table(
          ['the impostor presents', 'client outcome', 'detail'],
          cases.map((c, i) => [c.what, results[i].outcome, results[i].detail]),
        );
        cases.forEach((c, i) => {
          ctx.check.equal(`impostor with ${c.what}: ${c.want === 'connected' ? 'the client talks to it' : 'refused'}`, results[i].outcome, c.want);
          if (c.want === 'connected')
            ctx.check.match('... over TLS 1.3, encrypted, to the wrong server', results[i].detail, /^TLSv1\.3, authorized false, answer "impostor: GET \/"/);
        });
      },
    },
  ],
});
