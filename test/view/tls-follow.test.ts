// Decrypted TLS in Follow stream against tshark: HTTPS exchanges captured here (TLS 1.3 and 1.2, with
// AES-GCM and ChaCha20-Poly1305, keys in the pcapng's Decryption Secrets Block or only in a key log
// file given as --keylog), followed by the view and by tshark's `-z follow,tls,raw,0`: the decrypted
// bytes each direction sent are the same, and are the request and response the two ends exchanged.
// Then the key log parser's errors, and a stream whose keys are missing says so.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyLog } from '../../src/dissect/tls-decrypt.ts';
import { CaptureModel } from '../../src/view/capture-model.ts';
import { CaptureRoutes } from '../../src/view/capture-routes.ts';
import type { FollowJson, RequestErrorJson } from '../../src/view/types.ts';
import { requireTool } from '../helpers/tools.ts';
import { makePki, tempDir } from '../tls/helpers.ts';
import { makeTlsCapture, type TlsCapture, type TlsCaptureOptions } from './tls-capture.ts';

const run = promisify(execFile);
const pki = makePki();
const tmp = tempDir('netlab-view-tls-');
afterAll(() => tmp.remove());

/** tshark's decrypted follow of stream 0: the hex each end sent. */
async function tsharkTls(c: TlsCapture, keysInCapture: boolean): Promise<[string, string]> {
  const opts = keysInCapture ? [] : ['-o', `tls.keylog_file:${c.keyFile}`];
  const { stdout } = await run('tshark', ['-r', c.pcap, ...opts, '-q', '-z', 'follow,tls,raw,0']);
  const bytes: [string, string] = ['', ''];
  for (const line of stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l))) {
    if (line.startsWith('\t')) bytes[1] += line.slice(1);
    else bytes[0] += line;
  }
  return bytes;
}

async function follow(c: TlsCapture, keysInCapture: boolean, kind: 'tcp' | 'tls'): Promise<FollowJson | RequestErrorJson> {
  const model = await CaptureModel.load(c.pcap);
  const routes = new CaptureRoutes(model, keysInCapture ? '' : (await import('node:fs')).readFileSync(c.keyFile, 'latin1'));
  return routes.answer('/api/follow', new URLSearchParams({ stream: '0', kind }))?.body as FollowJson | RequestErrorJson;
}

const bytesOf = (f: FollowJson): [string, string] => {
  const out: [string, string] = ['', ''];
  for (const c of f.chunks) out[c.dir] += c.hex;
  return out;
};

const CASES: (TlsCaptureOptions & { suite: string })[] = [
  { name: 'tls13-gcm-dsb', version: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384', keysInCapture: true, path: '/a', suite: 'TLS_AES_256_GCM_SHA384' },
  { name: 'tls13-aes128-file', version: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', keysInCapture: false, path: '/b', suite: 'TLS_AES_128_GCM_SHA256' },
  {
    name: 'tls13-chacha-file',
    version: 'TLSv1.3',
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
    keysInCapture: false,
    path: '/c',
    suite: 'TLS_CHACHA20_POLY1305_SHA256',
  },
  {
    name: 'tls12-gcm-dsb',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    keysInCapture: true,
    path: '/d',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  },
  {
    name: 'tls12-gcm384-file',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    keysInCapture: false,
    path: '/e',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  },
  {
    name: 'tls12-chacha-dsb',
    version: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    keysInCapture: true,
    path: '/f',
    suite: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  },
];

describe.skipIf(!requireTool('tshark'))('decrypted TLS in Follow stream, against tshark', () => {
  const made = new Map<string, TlsCapture>();
  beforeAll(async () => {
    for (const c of CASES) made.set(c.name, await makeTlsCapture(tmp.dir, pki, c));
  }, 60_000);

  it.each(CASES)('$name: the plaintext each end sent, as tshark decrypts it', async (c) => {
    const cap = made.get(c.name) as TlsCapture;
    expect(cap.received).toContain(`hello from ${c.path}`);
    const got = await follow(cap, c.keysInCapture, 'tls');
    if ('error' in got) throw new Error(got.message);
    expect(got.kind).toBe('tls');
    expect(got.notes[0]).toMatch(new RegExp(`^TLS 1\\.${c.version === 'TLSv1.3' ? 3 : 2}, ${c.suite}: \\d+ record\\(s\\) decrypted, 0 not$`));
    const ours = bytesOf(got);
    expect(Buffer.from(ours[0], 'hex').toString('latin1')).toBe(cap.sent);
    expect(Buffer.from(ours[1], 'hex').toString('latin1')).toBe(cap.received);
    // tshark 4.0 marks the directions of a TLS 1.3 follow the other way round (its Node lines name the
    // client twice over), so the two directions are compared as a pair; the checks above pin which is which.
    expect([...ours].sort()).toEqual([...(await tsharkTls(cap, c.keysInCapture))].sort());
    // The TCP view of the same stream says decrypted TLS is there, and shows only ciphertext.
    const tcp = await follow(cap, c.keysInCapture, 'tcp');
    if ('error' in tcp) throw new Error(tcp.message);
    expect(tcp.tlsAvailable).toBe(true);
    expect(Buffer.from(bytesOf(tcp)[0], 'hex').toString('latin1')).not.toContain('GET ');
  });

  it('without the keys, the stream is shown as ciphertext and the reason is given', async () => {
    const cap = made.get('tls13-aes128-file') as TlsCapture;
    const model = await CaptureModel.load(cap.pcap);
    const routes = new CaptureRoutes(model);
    const tcp = routes.answer('/api/follow', new URLSearchParams({ stream: '0' }))?.body as FollowJson;
    expect(tcp.tlsAvailable).toBeUndefined();
    const tls = routes.answer('/api/follow', new URLSearchParams({ stream: '0', kind: 'tls' }));
    expect(tls?.status).toBe(404);
    expect((tls as { body: RequestErrorJson }).body.message).toBe('tcp.stream 0 carries no TLS (and no key log was given)');
    // A key log for another session: the client random is named.
    const other = new CaptureRoutes(model, `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${'ab'.repeat(32)} ${'cd'.repeat(32)}\n`);
    const answer = other.answer('/api/follow', new URLSearchParams({ stream: '0', kind: 'tls' }))?.body as FollowJson;
    expect(answer.chunks).toEqual([]);
    expect(answer.notes[1]).toMatch(/^the key log has no secrets for client random [0-9a-f]{16}\.\.\.$/);
  });
});

describe('key log lines', () => {
  it('reads the NSS labels and reports lines that are not key log lines', () => {
    const log = parseKeyLog(
      [
        '# a comment',
        `CLIENT_RANDOM ${'11'.repeat(32)} ${'22'.repeat(48)}`,
        `SERVER_TRAFFIC_SECRET_0 ${'11'.repeat(32)} ${'33'.repeat(32)}`,
        `EXPORTER_SECRET ${'11'.repeat(32)} ${'44'.repeat(32)}`,
        'CLIENT_RANDOM 1234 5678',
        'HELLO there',
      ].join('\n'),
    );
    const s = log.sessions.get('11'.repeat(32));
    expect(Buffer.from(s?.master ?? []).toString('hex')).toBe('22'.repeat(48));
    expect(Buffer.from(s?.serverTraffic0 ?? []).toString('hex')).toBe('33'.repeat(32));
    expect(log.problems).toEqual([
      'line 5: expected "CLIENT_RANDOM <64 hex digits of client random> <secret in hex>"',
      'line 6: HELLO: not a key log label (CLIENT_RANDOM, CLIENT_TRAFFIC_SECRET_0, ...)',
    ]);
  });
});

describe('netlab view --keylog', () => {
  const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');

  it('names a key log file that is not there', async () => {
    const file = join(import.meta.dirname, '..', 'captures', 'http-get-zeek.pcap');
    const err = await run(process.execPath, [BIN, 'view', file, '--no-open', '--keylog', '/nonexistent/keys.log']).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect('code' in err ? err.code : 0).toBe(1);
    expect('stderr' in err ? err.stderr : '').toContain('--keylog /nonexistent/keys.log: no such file');
  });

  it('decrypts a capture without keys in it with the key log file given', async () => {
    const cap = await makeTlsCapture(tmp.dir, pki, { name: 'cli', version: 'TLSv1.3', keysInCapture: false, path: '/cli' });
    const child = spawn(process.execPath, [BIN, 'view', cap.pcap, '--no-open', '--for', '20', '--keylog', cap.keyFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (b: Buffer) => {
          text += b.toString();
          const m = / on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`netlab view exited (${code}): ${text}`)));
      });
      let body: FollowJson | RequestErrorJson | undefined;
      // The capture is read in the background: ask until its frames are there.
      for (let i = 0; i < 100; i++) {
        const res = await fetch(new URL('/api/follow?stream=0&kind=tls', url));
        body = (await res.json()) as FollowJson | RequestErrorJson;
        if (res.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (body === undefined || 'error' in body) throw new Error(`no decrypted stream: ${JSON.stringify(body)}`);
      expect(Buffer.from(bytesOf(body)[0], 'hex').toString('latin1')).toBe(cap.sent);
      expect(Buffer.from(bytesOf(body)[1], 'hex').toString('latin1')).toBe(cap.received);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
    }
  });
});
