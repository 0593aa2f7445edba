// The proof that a netlab capture of TLS decrypts by itself: a TLS 1.3 connection carrying an HTTP/1.1
// request, tapped on the server side and (in another capture) on the client side; tshark with no
// options finds the decrypted request and response using the keys in the pcapng's Decryption Secrets
// Block, and with the DSB-less copy plus -o tls.keylog_file it finds them from the SSLKEYLOGFILE.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { tlsConnect } from '../../src/tls/client.ts';
import { KeyLog } from '../../src/tls/keylog.ts';
import { TlsLabServer } from '../../src/tls/server.ts';
import { fixedClock } from '../../src/base/clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { requireTool } from '../helpers/tools.ts';
import { httpResponder, makePki, run, tempDir } from './helpers.ts';

const pki = makePki();
const tmp = tempDir('netlab-tls-cap-');
afterAll(() => tmp.remove());

/** One HTTPS request over a tapped connection (which side is tapped: `side`). */
async function capture(
  side: 'client' | 'server',
  name: string,
  maxVersion: 'TLSv1.3' | 'TLSv1.2' = 'TLSv1.3',
  fixed = false,
): Promise<{ pcap: string; keys: string; reply: string }> {
  const pcap = join(tmp.dir, `${name}.pcapng`);
  const keyFile = join(tmp.dir, `${name}.keys`);
  const tap = new TapRecorder(fixed ? { path: pcap, fixed, clock: fixedClock(), random32: seededRandom(name).uint32 } : { path: pcap });
  const keyLog = new KeyLog({ path: keyFile, tap });
  const server = await TlsLabServer.start({
    identity: { key: pki.www.keyPem, cert: pki.www.chainPem },
    alpn: ['http/1.1'],
    maxVersion,
    ...(side === 'server' ? { tap, keyLog } : {}),
    onConnection: (s) => httpResponder(s),
  });
  try {
    const client = await tlsConnect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'www.netlab.test',
      ca: pki.root.certPem,
      alpn: ['http/1.1'],
      ...(side === 'client' ? { tap, keyLog } : {}),
    });
    const reply = await client.exchange(`GET /secret/${name} HTTP/1.1\r\nHost: www.netlab.test\r\n\r\n`);
    return { pcap, keys: keyFile, reply: reply.toString('latin1') };
  } finally {
    await server.close();
    await tap.close();
  }
}

describe('the tap records the ciphertext of TLS connections', () => {
  it('writes the key log into the capture before the records it decrypts', async () => {
    const { pcap, reply } = await capture('server', 'order');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply).toContain('hello from /secret/order');
    const bytes = readFileSync(pcap);
    const parsed = parseCapture(bytes);
    const frames = parsed.packets.map((p) => Buffer.from(p.data));
    // No plaintext in any frame: the tap saw only TLS records.
    expect(frames.some((f) => f.includes('GET /secret'))).toBe(false);
    expect(frames.some((f) => f.includes('hello from'))).toBe(false);
    // The DSB (block type 0x0000000a) is in the file with the five TLS 1.3 secrets.
    const text = bytes.toString('latin1');
    for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
      expect(text).toContain(label);
    }
  });
});

describe('the tap and TLS sockets', () => {
  it('refuses to tap a TLS socket itself (its stream methods carry plaintext)', async () => {
    const server = await TlsLabServer.start({ identity: { key: pki.www.keyPem, cert: pki.www.chainPem } });
    const tap = new TapRecorder();
    try {
      const c = await tlsConnect({ host: '127.0.0.1', port: server.port, ca: pki.root.certPem });
      expect(() => tap.tcp(c.socket)).toThrow(/this is a TLS socket; tap the TCP connection under it/);
      await c.close();
    } finally {
      await server.close();
      await tap.close();
    }
  });

  it('writes each key log line once, in one DSB per batch', async () => {
    const tap = new TapRecorder();
    tap.tlsKeyLog('CLIENT_RANDOM aa bb\n');
    tap.tlsKeyLog('CLIENT_RANDOM aa bb\n# comment\n\nCLIENT_RANDOM cc dd\n');
    await tap.close();
    tap.tlsKeyLog('CLIENT_RANDOM ee ff\n'); // after close: ignored
    const text = Buffer.from(tap.toBytes()).toString('latin1');
    expect(text.match(/CLIENT_RANDOM/g)).toHaveLength(2);
    expect(text).not.toContain('comment');
  });
});

describe.skipIf(!requireTool('tshark'))('tshark decrypts netlab captures with no settings', () => {
  const fields = async (pcap: string, filter: string, extra: string[] = [], ...names: string[]): Promise<string[]> => {
    const r = await run('tshark', ['-r', pcap, ...extra, '-Y', filter, '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  for (const side of ['server', 'client'] as const) {
    it(`TLS 1.3, tapped on the ${side} side: the HTTP request and response from the DSB alone`, async () => {
      const { pcap } = await capture(side, `tls13-${side}`);
      expect(await fields(pcap, 'http.request', [], 'http.request.method', 'http.request.uri', 'http.host')).toEqual([
        `GET\t/secret/tls13-${side}\twww.netlab.test`,
      ]);
      expect(await fields(pcap, 'http.response', [], 'http.response.code')).toEqual(['200']);
      // The encrypted handshake (Finished is type 20) decrypts too, one from each side.
      expect(await fields(pcap, 'tls.handshake.type == 20', [], 'tcp.srcport')).toHaveLength(2);
      // And nothing malformed or out of order.
      expect(await fields(pcap, '_ws.malformed || tcp.analysis.flags', [], 'frame.number')).toEqual([]);
    });
  }

  it('fixed mode (fixtures): the keys are written before all frames, and the capture decrypts', async () => {
    const { pcap } = await capture('client', 'fixed', 'TLSv1.3', true);
    expect(await fields(pcap, 'http.request', [], 'http.request.uri', 'tcp.srcport')).toEqual(['/secret/fixed\t49152']);
    expect(await fields(pcap, 'http.response', [], 'tcp.srcport')).toEqual(['8000']);
  });

  it('a 300 kB answer (many records, many segments, back-pressure) decrypts byte for byte', async () => {
    const pcap = join(tmp.dir, 'big.pcapng');
    const tap = new TapRecorder({ path: pcap });
    const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => 97 + ((i * 7) % 26)));
    const server = await TlsLabServer.start({
      identity: { key: pki.www.keyPem, cert: pki.www.chainPem },
      tap,
      keyLog: new KeyLog({ tap }),
      onConnection: (s) => httpResponder(s, () => body.toString('latin1')),
    });
    let reply: Buffer;
    try {
      const c = await tlsConnect({ host: '127.0.0.1', port: server.port, servername: 'www.netlab.test', ca: pki.root.certPem });
      reply = await c.exchange('GET /big HTTP/1.1\r\nHost: www.netlab.test\r\n\r\n');
    } finally {
      await server.close();
      await tap.close();
    }
    expect(reply.subarray(reply.length - body.length).equals(body)).toBe(true);
    const follow = await run('tshark', ['-r', pcap, '-q', '-z', 'follow,tls,raw,0']);
    // Lines of hex; the client's are indented with a tab, the server's are not. Joined, the server's
    // are exactly what it sent.
    const serverHex = follow.stdout
      .split('\n')
      .filter((l) => /^[0-9a-f]+$/.test(l))
      .join('');
    expect(Buffer.from(serverHex, 'hex').equals(reply)).toBe(true);
    expect(await fields(pcap, '_ws.malformed || tcp.analysis.flags', [], 'frame.number')).toEqual([]);
  });

  it('TLS 1.2: CLIENT_RANDOM from the DSB', async () => {
    const { pcap } = await capture('client', 'tls12', 'TLSv1.2');
    expect(await fields(pcap, 'tls.record.version == 0x0303 && tls.handshake.type == 2', [], 'tls.handshake.version')).toEqual(['0x0303']);
    expect(await fields(pcap, 'http.request', [], 'http.request.uri')).toEqual(['/secret/tls12']);
  });

  it.skipIf(!requireTool('editcap'))('the SSLKEYLOGFILE works with -o tls.keylog_file, and without keys nothing decrypts', async () => {
    const { pcap, keys } = await capture('server', 'keyfile');
    // A copy without the DSB: the same packets rewritten by editcap --discard-all-secrets.
    const bare = join(tmp.dir, 'keyfile-bare.pcapng');
    const strip = await run('editcap', ['--discard-all-secrets', pcap, bare]);
    expect(strip.code, strip.stderr).toBe(0);
    expect(await fields(bare, 'http', [], 'frame.number')).toEqual([]);
    expect(await fields(bare, 'http.request', ['-o', `tls.keylog_file:${keys}`], 'http.request.uri')).toEqual(['/secret/keyfile']);
    const lines = readFileSync(keys, 'latin1').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
  });
});
