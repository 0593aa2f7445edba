// Handshake messages over several records (RFC 8446 §5.1) beside tshark 4.0: a ClientHello in two
// records of two segments; a Certificate in three records of three segments (first, middle and last
// fragment); a header split two bytes in, in one segment and across two; a certificate chain cut into
// records of 600 bytes over several segments. tshark reassembles them and shows the message once
// whole, under `[N Reassembled Handshake Fragments ...]`; every field netlab emits and every summary
// line must be tshark's.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dissection } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { treeLines } from '../../src/dissect/tree-output.ts';
import { CONTENT_TYPE, encodeClientHello, encodeHandshake, encodeRecord, encodeServerHello, HANDSHAKE_TYPE, tlsExt } from '../../src/wire/tls.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { continuePending, MAX_HANDSHAKE_MESSAGE, startPending } from '../../src/dissect/protocols/tls-handshake-reassembly.ts';
import { cat, certificateMessage, Conversation, pseudoBytes, tls12Handshake, u24, writeFrames } from './tls-capture.ts';
import { testCertificates } from './x509-certs.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-tlsfrag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Handshake records holding `stream` cut at the given offsets. */
function records(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const b = [0, ...cuts, stream.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < b.length; i++) out.push(encodeRecord({ contentType: CONTENT_TYPE.handshake, fragment: stream.subarray(b[i], b[i + 1]) }));
  return out;
}

/** Segment boundaries that put each record in its own segment. */
const eachRecord = (rs: readonly Uint8Array[]): number[] => {
  const ends: number[] = [];
  for (const r of rs.slice(0, -1)) ends.push((ends[ends.length - 1] ?? 0) + r.length);
  return ends;
};

async function capture(): Promise<string> {
  const certs = testCertificates();
  const out: Uint8Array[] = [];
  const ch = encodeClientHello({
    random: pseudoBytes(32, 1),
    cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
    extensions: [tlsExt.serverName('split.example.test'), tlsExt.alpn(['h2'])],
  });
  const sh = encodeServerHello({ random: pseudoBytes(32, 2), cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', extensions: [] });
  const cert = certificateMessage([certs['pki-server']]);
  const done = encodeHandshake(HANDSHAKE_TYPE.serverHelloDone, new Uint8Array(0));
  const srv = cat(sh, cert, done);
  // 1. ClientHello in two records (two segments); the Certificate in three records (three segments).
  const a = new Conversation(out, 50000, 443, 1000);
  const chr = records(ch, [30]);
  a.send('c', cat(...chr), eachRecord(chr));
  const sr = records(srv, [sh.length, sh.length + 200, sh.length + 400, sh.length + cert.length]);
  a.send('s', cat(...sr), eachRecord(sr));
  // 2. A record ending two bytes into the Certificate's header; both records in one segment.
  const b = new Conversation(out, 50001, 443, 5000);
  b.send('c', cat(...records(ch, [])));
  b.send('s', cat(...records(srv, [sh.length + 2])));
  // 3. The same split with each record in its own segment.
  const c = new Conversation(out, 50002, 443, 9000);
  c.send('c', cat(...records(ch, [])));
  const cr = records(srv, [sh.length + 2]);
  c.send('s', cat(...cr), eachRecord(cr));
  // 4. A chain of three in records of 600 bytes, the flight in 1400-byte segments.
  tls12Handshake(out, 50003, [certificateMessage([certs['pki-rsa-leaf'], certs['pki-rsa-root'], certs['crafted-v3']])], { maxRecord: 600 });
  // 5. A message claiming more than netlab keeps (16 MiB): its records stay fragments.
  const d = new Conversation(out, 50004, 443, 13000);
  d.send('c', cat(...records(ch, [])));
  d.send('s', cat(...records(cat(sh, Uint8Array.of(HANDSHAKE_TYPE.certificate), u24(0xffffff), pseudoBytes(100, 9)), [])));
  const path = join(dir, 'fragments.pcapng');
  await writeFrames(path, out);
  return path;
}

describe('handshake messages over several records (netlab alone)', () => {
  let ds: Dissection[] = [];
  const line = (n: number): string => summaryLine(ds[n - 1]);
  const field = (n: number, name: string): string => fieldText(ds[n - 1], name);

  it('shows the fragments as they come and the message on the record that completes it', async () => {
    ds = await dissectAll(await capture());
    expect(line(4)).toMatch(/ TLSv1\.2 89 \[Client Hello Fragment\]$/);
    expect(line(6)).toMatch(/ TLSv1\.2 112 Client Hello$/);
    expect(field(6, 'tls.handshake.fragment')).toBe('4,6');
    expect(field(6, 'tls.handshake.extensions_server_name')).toBe('split.example.test');
    expect(line(10)).toMatch(/ \[Certificate Fragment\]$/);
    expect(line(12)).toMatch(/ TLSv1\.2 259 $/); // a middle fragment adds nothing to Info
    expect(line(14)).toMatch(/ TLSv1\.2 \d+ Certificate$/);
    expect(field(14, 'tls.handshake.fragment.count')).toBe('3');
    expect(field(14, 'x509ce.dNSName')).toBe('www.netlab.test,*.api.netlab.test');
    const tree = treeLines(ds[13]);
    const at = tree.findIndex((l) => l.includes('Reassembled Handshake Fragments'));
    expect(tree[at - 1]).toBe('        Handshake Protocol: Certificate (last fragment)');
    // The certificate's length varies by a byte or two with its random serial and ECDSA signature.
    expect(tree[at]).toMatch(/^ {8}\[3 Reassembled Handshake Fragments \((\d+) bytes\): #10\(200\), #12\(200\), #14\((\d+)\)\]$/);
    expect(tree[at + 1]).toBe('            [Frame: 10, payload: 0-199 (200 bytes)]');
    expect(line(23)).toMatch(/ Server Hello, Certificate, Server Hello Done$/);
    expect(field(23, 'tls.handshake.fragment')).toBe('23,23');
    expect(line(30)).toMatch(/ Server Hello$/);
    expect(line(32)).toMatch(/ Certificate, Server Hello Done$/);
  });

  it('does not keep a message longer than its bound', () => {
    const last = ds.filter((d) => fieldText(d, 'tcp.srcport') === '443' && fieldText(d, 'tls.record.length') !== '');
    const big = last[last.length - 1];
    expect(summaryLine(big)).toMatch(/ Server Hello$/);
    expect(treeLines(big)).toContain('        Handshake Protocol: Certificate (fragment)');
  });
});

describe('handshake reassembly bounds', () => {
  it('keeps a message within the budget, gives its bytes back when whole, and refuses past it', () => {
    const budget = { held: 0, limit: 800 };
    const msg = cat(Uint8Array.of(HANDSHAKE_TYPE.certificate), u24(596), pseudoBytes(596, 1));
    const p = startPending(msg.subarray(0, 300), 1, budget)!;
    expect(budget.held).toBe(300);
    expect(startPending(msg.subarray(0, 300), 2, budget)).toBeUndefined(); // 300 held + a 600-byte message would pass 800
    const r = continuePending(p, msg, 300, 300, 3, budget);
    expect([r.taken, r.message?.length, r.pieces]).toEqual([
      300,
      600,
      [
        { frame: 1, length: 300 },
        { frame: 3, length: 300 },
      ],
    ]);
    expect(budget.held).toBe(0);
    // The header itself split after two bytes, then a message longer than any kept.
    const huge = cat(Uint8Array.of(HANDSHAKE_TYPE.certificate), u24(MAX_HANDSHAKE_MESSAGE + 1));
    const q = startPending(huge.subarray(0, 2), 4, budget)!;
    expect(continuePending(q, huge, 2, 2, 5, budget).dropped).toBe(true);
    expect(budget.held).toBe(0);
  });
});

describe.skipIf(!requireTool('tshark'))('handshake messages over several records beside tshark', () => {
  it('every field and every summary line as tshark prints them', async () => {
    const path = await capture();
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining(['tls.handshake.fragment', 'tls.handshake.fragment.count', 'tls.handshake.certificate', 'x509af.serialNumber', 'frame.protocols']),
    );
    expect(result.filter((a) => a.agree !== a.frames && !/^_ws\.expert\./.test(a.field)).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS], { maxBuffer: 1 << 26 });
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = (await dissectAll(path)).map(summaryLine);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
  });
});
