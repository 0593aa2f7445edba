// A capture of one HTTPS exchange made for the view's TLS tests: a TLS server (netlab's, on
// 127.187.0.1) and a Node TLS client whose cipher suites the test picks, the client's TCP connection
// tapped (the ciphertext), its key log either in the pcapng (a Decryption Secrets Block) or only in
// an SSLKEYLOGFILE beside it.
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { KeyLog } from '../../src/tls/keylog.ts';
import { TlsLabServer } from '../../src/tls/server.ts';
import { tapTls } from '../../src/tls/tap-transport.ts';
import { httpResponder, type TestPki } from '../tls/helpers.ts';

export const TLS_HOST = '127.187.0.1';

export interface TlsCaptureOptions {
  name: string;
  version: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for the client (TLS 1.2 names and/or TLS 1.3 suite names). */
  ciphers?: string;
  /** Keys in the capture (a DSB) or only in the key log file. */
  keysInCapture: boolean;
  /** The request path (its body is 'hello from PATH'). */
  path: string;
}

export interface TlsCapture {
  pcap: string;
  keyFile: string;
  /** The bytes the client sent and the bytes it received (the plaintext). */
  sent: string;
  received: string;
}

export async function makeTlsCapture(dir: string, pki: TestPki, o: TlsCaptureOptions): Promise<TlsCapture> {
  const pcap = join(dir, `${o.name}.pcapng`);
  const keyFile = join(dir, `${o.name}.keys`);
  const tap = new TapRecorder({ path: pcap });
  const keyLog = new KeyLog(o.keysInCapture ? { path: keyFile, tap } : { path: keyFile });
  const server = await TlsLabServer.start({
    host: TLS_HOST,
    identity: { key: pki.www.keyPem, cert: pki.www.chainPem },
    alpn: ['http/1.1'],
    maxVersion: o.version,
    onConnection: (s) => httpResponder(s),
  });
  try {
    const raw = netConnect({ host: TLS_HOST, port: server.port, localAddress: '127.187.0.2' });
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', reject);
    });
    const sent = `GET ${o.path} HTTP/1.1\r\nHost: www.netlab.test\r\n\r\n`;
    const socket: TLSSocket = tapTls(tap, raw, 'client', (transport) =>
      tlsConnect({
        socket: transport,
        servername: 'www.netlab.test',
        ca: pki.root.certPem,
        ALPNProtocols: ['http/1.1'],
        minVersion: o.version,
        maxVersion: o.version,
        ...(o.ciphers === undefined ? {} : { ciphers: o.ciphers }),
      }),
    );
    socket.on('keylog', (line) => keyLog.add(line));
    const received = await new Promise<string>((resolve, reject) => {
      let got = '';
      socket.once('secureConnect', () => socket.write(sent));
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
      });
      socket.once('end', () => resolve(got));
      socket.once('error', reject);
    });
    socket.end();
    await new Promise<void>((resolve) => (raw.destroyed ? resolve() : raw.once('close', () => resolve())));
    return { pcap, keyFile, sent, received };
  } finally {
    await server.close();
    await tap.close();
  }
}
