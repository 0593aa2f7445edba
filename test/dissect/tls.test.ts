// The TLS dissector and the TCP stream reassembly beside tshark 4.0, on captures this test writes:
//   - crafted TCP conversations carrying TLS built with netlab's codec: a TLS 1.3 handshake on port 443
//     with the ClientHello over three segments, several records per segment and records over several
//     segments; a TLS 1.2 handshake on a port Wireshark finds by its heuristic (certificate, ECDHE key
//     exchange, session ticket, alerts); a HelloRetryRequest; a retransmission and a bad checksum in
//     the middle of a record; printable text on port 443 (not TLS);
//   - real TLS 1.3 and TLS 1.2 sessions between Node's tls client and server on loopback, through a
//     tapped relay with a small MSS, so that the certificate and the application data span segments.
// Every field netlab emits must print what tshark prints, on every frame, and every summary line
// (Protocol and Info columns included) must be tshark's. The first block checks the same captures
// without tshark: the reassembly trees, columns and fields netlab shows.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer as netServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as tlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import type { Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import {
  clientHelloRecord,
  CONTENT_TYPE,
  encodeAlert,
  encodeApplicationData,
  encodeChangeCipherSpec,
  encodeHandshake,
  encodeRecord,
  encodeServerHello,
  HANDSHAKE_TYPE,
  tlsExt,
  type ClientHelloSpec,
} from '../../src/wire/tls.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS, type FieldAgreement } from '../interop/agreement.ts';
import { KNOWN_DIVERGENCES } from '../interop/known-divergences.ts';
import { requireTool } from '../helpers/tools.ts';
import { Conversation } from './tls-capture.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + 7) & 0xff);

function hello13(name: string): ClientHelloSpec {
  return {
    random: bytes(32, 1),
    sessionId: bytes(32, 2),
    cipherSuites: [
      0x0a0a,
      'TLS_AES_128_GCM_SHA256',
      'TLS_AES_256_GCM_SHA384',
      'TLS_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      0x00ff,
    ],
    extensions: [
      tlsExt.raw(0x1a1a),
      tlsExt.serverName(name),
      tlsExt.raw(23),
      tlsExt.raw(65281, Uint8Array.of(0)),
      tlsExt.supportedGroups([0x2a2a, 'x25519', 'secp256r1', 'secp384r1']),
      tlsExt.ecPointFormats([0]),
      tlsExt.raw(35),
      tlsExt.alpn(['h2', 'http/1.1']),
      tlsExt.raw(5, Uint8Array.of(1, 0, 0, 0, 0)),
      tlsExt.signatureAlgorithms(['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256', 'ed25519']),
      tlsExt.keyShare([
        { group: 0x2a2a, key: Uint8Array.of(0) },
        { group: 'x25519', key: bytes(32, 3) },
      ]),
      tlsExt.pskKeyExchangeModes([1]),
      tlsExt.supportedVersions([0x3a3a, 0x0304, 0x0303]),
      tlsExt.raw(28, Uint8Array.of(0x40, 0x01)),
      tlsExt.raw(0x7777, Uint8Array.of(1, 2, 3)),
      tlsExt.raw(21, new Uint8Array(40)),
    ],
  };
}

/** The crafted conversations, as Ethernet frames (`der`: a real certificate, which tshark parses as X.509). */
function craftedFrames(der: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  // 1. TLS 1.3 on 443: ClientHello over three segments; the server flight in one segment; then
  //    application data records that straddle segments.
  const a = new Conversation(out, 50001, 443);
  const ch = clientHelloRecord(hello13('example.test'));
  a.send('c', ch, [40, 150]);
  const sh = encodeRecord({
    contentType: CONTENT_TYPE.handshake,
    fragment: encodeServerHello({
      random: bytes(32, 4),
      sessionId: bytes(32, 2),
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      extensions: [tlsExt.keyShareServer({ group: 'x25519', key: bytes(32, 5) }), tlsExt.selectedVersion(0x0304)],
    }),
  });
  const flight = cat(sh, encodeChangeCipherSpec(), encodeApplicationData(bytes(120, 6)), encodeApplicationData(bytes(300, 7)));
  a.send('s', flight);
  const appData = cat(
    encodeApplicationData(bytes(900, 8)),
    encodeApplicationData(bytes(30, 9)),
    encodeApplicationData(bytes(1200, 10)),
    encodeApplicationData(bytes(25, 11)),
  );
  a.send('s', appData, [300, 600, 905 + 5, 1000, 2000]);
  a.send('c', encodeApplicationData(bytes(40, 12)), [3]);
  // 2. TLS 1.2 on a port Wireshark has no dissector for: its heuristic finds the ClientHello.
  const b = new Conversation(out, 50002, 40443, 5000);
  b.send(
    'c',
    clientHelloRecord({
      random: bytes(32, 13),
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
      extensions: [
        tlsExt.serverName('heuristic.test'),
        tlsExt.supportedGroups(['x25519']),
        tlsExt.ecPointFormats(),
        tlsExt.alpn(['http/1.1']),
        tlsExt.signatureAlgorithms(['rsa_pkcs1_sha256']),
      ],
    }),
  );
  const u24 = (n: number): Uint8Array => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
  const cert = encodeHandshake(HANDSHAKE_TYPE.certificate, cat(u24(der.length + 3), u24(der.length), der));
  const ske = encodeHandshake(
    HANDSHAKE_TYPE.serverKeyExchange,
    cat(Uint8Array.of(3, 0, 29, 32), bytes(32, 15), Uint8Array.of(0x04, 0x01, 0, 64), bytes(64, 16)),
  );
  const serverFlight = cat(
    encodeRecord({
      contentType: 22,
      fragment: encodeServerHello({
        random: bytes(32, 17),
        cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        extensions: [tlsExt.raw(65281, Uint8Array.of(0)), tlsExt.alpn(['http/1.1']), tlsExt.raw(23)],
      }),
    }),
    encodeRecord({ contentType: 22, fragment: cert }),
    encodeRecord({ contentType: 22, fragment: cat(ske, encodeHandshake(HANDSHAKE_TYPE.serverHelloDone, new Uint8Array(0))) }),
  );
  b.send('s', serverFlight, [200, 400]);
  const cke = encodeHandshake(HANDSHAKE_TYPE.clientKeyExchange, cat(Uint8Array.of(32), bytes(32, 18)));
  b.send(
    'c',
    cat(
      encodeRecord({ contentType: 22, fragment: cke }),
      encodeChangeCipherSpec(),
      encodeRecord({ contentType: 22, fragment: cat(new Uint8Array(8), bytes(32, 19)) }),
    ),
  );
  const ticket = encodeHandshake(HANDSHAKE_TYPE.newSessionTicket, cat(Uint8Array.of(0, 0, 0x1c, 0x20, 0, 48), bytes(48, 20)));
  b.send('s', cat(encodeRecord({ contentType: 22, fragment: ticket }), encodeChangeCipherSpec(), encodeRecord({ contentType: 22, fragment: bytes(40, 21) })));
  b.send('c', encodeApplicationData(bytes(80, 22)));
  b.send('s', encodeAlert(2, 40));
  b.send('c', encodeRecord({ contentType: CONTENT_TYPE.alert, fragment: bytes(26, 23) }));
  // 3. A HelloRetryRequest, then the second ClientHello and the ServerHello.
  const c = new Conversation(out, 50003, 443, 9000);
  c.send('c', clientHelloRecord(hello13('retry.test')));
  c.send(
    's',
    encodeRecord({
      contentType: 22,
      fragment: encodeServerHello({
        helloRetryRequest: true,
        sessionId: bytes(32, 2),
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        extensions: [tlsExt.selectedVersion(0x0304), tlsExt.keyShareSelectedGroup('secp256r1')],
      }),
    }),
  );
  c.send(
    'c',
    cat(
      encodeChangeCipherSpec(),
      clientHelloRecord({
        ...hello13('retry.test'),
        extensions: [tlsExt.supportedVersions([0x0304]), tlsExt.keyShare([{ group: 'secp256r1', key: bytes(65, 24) }])],
      }),
    ),
  );
  // 4. A retransmission and a bad checksum in the middle of a record that spans segments.
  const d = new Conversation(out, 50004, 443, 12000);
  d.send('c', clientHelloRecord({ random: bytes(32, 25), cipherSuites: ['TLS_AES_128_GCM_SHA256'], extensions: [tlsExt.supportedVersions([0x0304])] }));
  const big = encodeApplicationData(bytes(1000, 26));
  const start = d.clientSeq;
  d.frame('c', 'PA', big.subarray(0, 400));
  d.frame('c', 'PA', big.subarray(0, 400), { seq: start });
  d.frame('c', 'PA', big.subarray(400, 800));
  d.frame('c', 'PA', big.subarray(800));
  d.send('c', cat(encodeApplicationData(bytes(10, 27)), encodeApplicationData(bytes(600, 28)).subarray(0, 100)));
  d.frame('c', 'PA', encodeApplicationData(bytes(20, 29)), { checksum: 0x1234 });
  // 5. Plain text on port 443 is not TLS.
  const e = new Conversation(out, 50005, 443, 15000);
  e.send('c', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'));
  // 6. A record header split after 3 bytes, the next segment carrying its rest, a whole record and
  //    the start of another: Wireshark then reassembles the whole segment.
  const g = new Conversation(out, 50006, 443, 18000);
  g.send('c', clientHelloRecord({ random: bytes(32, 31), cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
  g.send(
    'c',
    cat(
      encodeApplicationData(bytes(50, 32)),
      encodeApplicationData(bytes(30, 33)),
      encodeApplicationData(bytes(200, 34)),
      encodeApplicationData(bytes(10, 35)),
    ),
    [3, 150],
  );
  return out;
}

function unexplained(file: string, result: readonly FieldAgreement[]): string[] {
  return result
    .filter((a) => a.agree !== a.frames && !KNOWN_DIVERGENCES[`${file}:${a.field}`] && !KNOWN_DIVERGENCES[`*:${a.field}`])
    .map((a) => `${a.field} ${a.agree}/${a.frames} e.g. ${JSON.stringify(a.examples[0])}`);
}

/** tshark's summary lines beside netlab's, as [frame, ours, tshark] for each that differs. */
async function summaryDiffs(path: string): Promise<[number, string, string][]> {
  const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS], { maxBuffer: 1 << 26 });
  const theirs = stdout.split('\n').filter((l) => l !== '');
  const ours = (await dissectAll(path)).map(summaryLine);
  expect(ours.length).toBe(theirs.length);
  return ours.flatMap((o, i): [number, string, string][] => (o.trimEnd() === theirs[i].trimEnd() ? [] : [[i + 1, o, theirs[i]]]));
}

async function writeCapture(path: string, frames: readonly Uint8Array[]): Promise<Dissection[]> {
  const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'crafted' }] });
  frames.forEach((frame, i) => w.write({ tsSec: 1_700_000_000, tsNsec: i * 1000, data: frame }));
  await w.close();
  return dissectAll(path);
}

describe('TLS dissector and TCP reassembly (netlab alone)', () => {
  /**
   * A stand-in for a certificate, well-formed DER of a real certificate's size that is no X.509: its
   * tree shows a BER error (x509.test.ts covers real certificates), the TLS around it is what counts here.
   */
  const der = Uint8Array.from([0x30, 0x82, 0x01, 0x9c, 0x04, 0x82, 0x01, 0x98, ...bytes(0x198, 30)]);
  let ds: Dissection[] = [];
  const line = (n: number): string => summaryLine(ds[n - 1]);
  const field = (n: number, name: string): string => fieldText(ds[n - 1], name);

  it('shows a ClientHello over three segments on the frame that completes it', async () => {
    ds = await writeCapture(join(dir, 'alone.pcapng'), craftedFrames(der));
    expect(line(4)).toMatch(/ TCP 94 \[TCP segment of a reassembled PDU\]$/);
    expect(line(6)).toMatch(/ TCP 164 50001 → 443 \[PSH, ACK\] Seq=41 Ack=1 Win=65535 Len=110 \[TCP segment of a reassembled PDU\]$/);
    expect(line(8)).toMatch(/ TLSv1 218 Client Hello$/);
    expect(field(4, 'frame.protocols')).toBe('eth:ethertype:ip:tcp:tls');
    expect(field(6, 'frame.protocols')).toBe('eth:ethertype:ip:tcp');
    expect(field(8, 'tcp.segment')).toBe('4,6,8');
    expect(field(8, 'tcp.segment.count')).toBe('3');
    expect(field(8, 'tcp.segment_data').length).toBe(2 * 164);
    const tree = treeLines(ds[7]);
    const at = tree.findIndex((l) => l.startsWith('[3 Reassembled TCP Segments ('));
    expect(tree[at]).toMatch(/^\[3 Reassembled TCP Segments \(314 bytes\): #4\(40\), #6\(110\), #8\(164\)\]$/);
    expect(tree[at + 1]).toBe('    [Frame: 4, payload: 0-39 (40 bytes)]');
    expect(tree[at + 7]).toBe('Transport Layer Security');
    expect(field(8, 'tls.handshake.extensions_server_name')).toBe('example.test');
    expect(field(8, 'tls.handshake.extensions.supported_version')).toBe('0x3a3a,0x0304,0x0303');
    expect(field(8, 'tls.handshake.extensions_key_share_group')).toBe('10794,29');
    expect(field(8, 'tls.handshake.ja3_full')).toMatch(/^771,4865-4866-4867-49195-255,0-23-65281-10-11-35-16-5-13-51-45-43-28-30583-21,29-23-24,0$/);
  });

  it('shows several records of a segment, the version the ServerHello chose, and records that straddle segments', () => {
    expect(line(10)).toMatch(/ TLSv1\.3 617 Server Hello, Change Cipher Spec, Application Data, Application Data$/);
    expect(field(10, 'tls.record.opaque_type')).toBe('23,23');
    expect(field(10, 'tls.record.content_type')).toBe('22,20');
    expect(field(10, 'tls.app_data_proto')).toBe('Hypertext Transfer Protocol,Hypertext Transfer Protocol');
    expect(line(22)).toMatch(/ TLSv1\.3 229 Application Data, Application Data$/);
    expect(field(22, 'tcp.reassembled.length')).toBe('1205');
  });

  it('finds TLS on another port by its first record, and reads a TLS 1.2 handshake', () => {
    expect(line(31)).toMatch(/ TLSv1 168 Client Hello$/);
    expect(line(37)).toMatch(/ TLSv1\.2 275 Certificate, Server Key Exchange, Server Hello Done$/);
    expect(field(37, 'tls.handshake.server_named_curve')).toBe('0x001d');
    expect(field(37, 'tls.handshake.sig_hash_alg')).toBe('0x0401');
    expect(line(39)).toMatch(/ Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message$/);
    expect(field(41, 'tls.handshake.session_ticket_lifetime_hint')).toBe('7200');
    expect(field(43, 'tls.app_data_proto')).toBe('Hypertext Transfer Protocol');
    expect(field(45, 'tls.alert_message.desc')).toBe('40');
    expect(line(47)).toMatch(/ Encrypted Alert$/);
  });

  it('names a HelloRetryRequest and its selected group', () => {
    expect(line(54)).toMatch(/ TLSv1\.3 147 Hello Retry Request$/);
    expect(field(54, 'tls.handshake.extensions_key_share_selected_group')).toBe('23');
    expect(line(56)).toMatch(/ Change Cipher Spec, Client Hello$/);
  });

  it('leaves retransmissions to TCP, does not desegment a bad checksum, and leaves plain text alone', () => {
    expect(line(64)).toMatch(/\[TCP Retransmission\] 50004 → 443 /);
    expect(field(64, 'tls.record.length')).toBe('');
    expect(field(66, 'tcp.segment')).toBe('63,65,66');
    expect(field(69, 'tls.record.length')).toBe('20');
    expect(field(69, 'tcp.segment_data')).toBe('');
    expect(field(73, 'frame.protocols')).toBe('eth:ethertype:ip:tcp');
  });

  it('reassembles the whole segment after a split record header', () => {
    const n = ds.length - 3;
    expect(line(n - 2)).toMatch(/ TCP 57 \[TCP segment of a reassembled PDU\]$/);
    expect(line(n)).toMatch(/ TLSv1\.2 201 Application Data, Application Data$/);
    expect(field(n, 'tcp.reassembled.length')).toBe('150');
    expect(field(n, 'tls.record.length')).toBe('50,30');
    expect(line(n + 2)).toMatch(/ TLSv1\.2 214 Application Data, Application Data$/);
    expect(field(n + 2, 'tcp.segment')).toBe(`${n},${n + 2}`);
  });
});

const TLS_FIELDS = [
  'tls.record.content_type',
  'tls.record.version',
  'tls.record.length',
  'tls.handshake.type',
  'tls.handshake.ciphersuite',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.extensions_key_share_group',
  'tls.handshake.sig_hash_alg',
  'tls.app_data',
  'tcp.segment',
  'tcp.reassembled.length',
  'tcp.segment_data',
];

describe.skipIf(!requireTool('tshark'))('TLS dissector and TCP reassembly beside tshark', () => {
  it("summary lines of the shared TLS captures are tshark's", async () => {
    const shared = SHARED_CAPTURES;
    const files = readdirSync(shared).filter((f) => /^tls1[23]-/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect([f, await summaryDiffs(join(shared, f))]).toEqual([f, []]);
  });

  it.skipIf(!requireTool('openssl'))('crafted conversations: every field and every summary line as tshark prints them', async () => {
    const path = join(dir, 'crafted.pcapng');
    const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'crafted' }] });
    const frames = craftedFrames(certificate().der);
    frames.forEach((frame, i) => w.write({ tsSec: 1_700_000_000, tsNsec: i * 1000, data: frame }));
    await w.close();
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        ...TLS_FIELDS,
        'tls.handshake.extensions_key_share_selected_group',
        'tls.alert_message.desc',
        'tls.handshake.server_named_curve',
        'tls.handshake.certificate',
        'tls.handshake.session_ticket',
      ]),
    );
    expect(unexplained('crafted.pcapng', result)).toEqual([]);
    // The plain text on port 443 (frame 73) is HTTP to tshark's HTTP heuristic; netlab has
    // no HTTP dissector yet and must show it as TCP, not TLS. Every other line is tshark's.
    const diffs = await summaryDiffs(path);
    expect(diffs.map(([n]) => n)).toEqual([73]);
    expect(diffs[0][1]).toMatch(/ TCP 92 50005 → 443 \[PSH, ACK\] .* Len=38$/);
    // tshark finds nothing malformed in what the codec built.
    const malformed = execFileSync('tshark', ['-r', path, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    expect(malformed).toBe('');
  });

  it.skipIf(!requireTool('openssl'))('real TLS 1.3, TLS 1.2 and TLS 1.2 mTLS sessions from Node, tapped with a small MSS', async () => {
    const { key, cert } = certificate();
    const runs = [
      ['TLSv1.3', false],
      ['TLSv1.2', false],
      ['TLSv1.2', true],
    ] as const;
    for (const [version, mtls] of runs) {
      const name = `node-${version}${mtls ? '-mtls' : ''}.pcapng`;
      const path = join(dir, name);
      await tappedSession(path, version, key, cert, mtls);
      const result = await compareCapture(path);
      const expected = ['tls.record.content_type', 'tls.handshake.ciphersuite', 'tcp.segment', 'tcp.reassembled.length'];
      if (mtls) expected.push('tls.handshake.cert_type', 'tls.handshake.dname_len', 'tls.handshake.client_cert_vrfy.sig');
      expect(result.map((a) => a.field)).toEqual(expect.arrayContaining(expected));
      expect(unexplained(name, result)).toEqual([]);
      expect(await summaryDiffs(path)).toEqual([]);
    }
  });
});

let made: { key: Buffer; cert: Buffer; der: Uint8Array } | undefined;

/** A self-signed P-256 certificate for example.test, made once with openssl. */
function certificate(): { key: Buffer; cert: Buffer; der: Uint8Array } {
  if (made !== undefined) return made;
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=example.test',
      '-addext',
      'subjectAltName=DNS:example.test',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile);
  const der = Uint8Array.from(Buffer.from(cert.toString().replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64'));
  made = { key: readFileSync(keyFile), cert, der };
  return made;
}

function close(server: Server): Promise<void> {
  return new Promise((res) => server.close(() => res()));
}

/** A Node TLS client and server talking through a relay whose TCP side the tap records. */
async function tappedSession(path: string, version: 'TLSv1.3' | 'TLSv1.2', key: Buffer, cert: Buffer, mtls: boolean): Promise<void> {
  const tap = new TapRecorder({ path, mss: 500 });
  const server = tlsServer(
    {
      key,
      cert,
      ca: cert,
      requestCert: mtls,
      rejectUnauthorized: mtls,
      ALPNProtocols: ['h2', 'http/1.1'],
      minVersion: version,
      maxVersion: version,
      handshakeTimeout: 5000,
    },
    (s) => {
      s.setTimeout(5000, () => s.destroy());
      s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
      s.on('end', () => s.end());
      s.on('error', () => s.destroy());
    },
  );
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const tlsPort = (server.address() as AddressInfo).port;
  const relay = netServer((a) => {
    tap.tcp(a);
    const b = netConnect(tlsPort, '127.0.0.1');
    a.pipe(b);
    b.pipe(a);
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
    a.setTimeout(5000, () => a.destroy());
  });
  await new Promise<void>((res) => relay.listen(0, '127.0.0.1', res));
  const port = (relay.address() as AddressInfo).port;
  try {
    const c = tlsConnect({ host: '127.0.0.1', port, servername: 'example.test', ca: cert, ALPNProtocols: ['http/1.1'], ...(mtls ? { key, cert } : {}) });
    await new Promise<void>((res, rej) => c.once('secureConnect', res).once('error', rej));
    const got = new Promise<void>((res) => c.once('data', () => res()));
    c.write(`GET / HTTP/1.1\r\nHost: example.test\r\n\r\n${'x'.repeat(3000)}`);
    await got;
    await new Promise<void>((res) => {
      c.once('close', () => res());
      c.end();
    });
  } finally {
    await close(server);
    await close(relay);
    await tap.close();
  }
}
