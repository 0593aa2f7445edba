// DNS over TCP through the dissector's stream reassembly, beside tshark 4.0: three queries in one
// segment, a response over three segments, a response whose length prefix is split (the next segment
// finishing two messages), a segment that ends inside a message and the next that finishes it and
// carries another, and a bad checksum in the middle of a message. Every dns.* and
// tcp.* field netlab emits, frame.protocols and every summary line must be tshark's.

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
import { dnsFlags, encodeDnsMessage, frameDnsTcp, type DnsRecord } from '../../src/wire/dns.ts';
import { encode, ethernet, ipv4, payload, tcp } from '../../src/wire/index.ts';
import { compareCapture, dissectAll, TSHARK_CHECKSUM_OPTS } from '../interop/agreement.ts';
import { requireTool } from '../helpers/tools.ts';
import { cat, Conversation, writeFrames } from './tls-capture.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'netlab-dnstcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const query = (id: number, name: string): Uint8Array =>
  encodeDnsMessage({ id, flags: dnsFlags({ rd: true }), questions: [{ name, type: 1, class: 1 }], answers: [], authorities: [], additionals: [] });
function response(id: number, name: string, n: number): Uint8Array {
  const answers: DnsRecord[] = Array.from({ length: n }, (_, i) => ({ name, type: 1, class: 1, ttl: 300, data: { type: 'A', address: `192.0.2.${i + 1}` } }));
  return encodeDnsMessage({
    id,
    flags: dnsFlags({ qr: true, rd: true, ra: true }),
    questions: [{ name, type: 1, class: 1 }],
    answers,
    authorities: [],
    additionals: [],
  });
}

async function capture(): Promise<string> {
  const out: Uint8Array[] = [];
  const c = new Conversation(out, 40000, 53, 1000);
  c.send('c', cat(frameDnsTcp(query(1, 'a.example.test')), frameDnsTcp(query(2, 'b.example.test')), frameDnsTcp(query(3, 'c.example.test'))));
  c.send('s', frameDnsTcp(response(1, 'a.example.test', 60)), [300, 700]);
  c.send('s', cat(frameDnsTcp(response(2, 'b.example.test', 2)), frameDnsTcp(response(3, 'c.example.test', 1))), [1]);
  c.send('s', cat(frameDnsTcp(response(4, 'd.example.test', 3)), frameDnsTcp(response(5, 'e.example.test', 3))), [40]);
  // A segment with a bad checksum in the middle of a message: TCP does not desegment it, and DNS
  // dissects what it holds from its first byte.
  const d = new Conversation(out, 40001, 53, 7000);
  const q = frameDnsTcp(query(9, 'r.example.test'));
  d.send('c', q.subarray(0, 10));
  out.push(
    encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
      tcp({ sport: 40001, dport: 53, seq: 7001 + 10, ack: 7000 * 7 + 1, flags: 'PA', window: 65535, checksum: 0xbad }),
      payload(q.subarray(10)),
    ]),
  );
  const path = join(dir, 'dns-tcp.pcapng');
  await writeFrames(path, out);
  return path;
}

describe('DNS over TCP through the stream reassembly (netlab alone)', () => {
  let ds: Dissection[] = [];
  const line = (n: number): string => summaryLine(ds[n - 1]);
  const field = (n: number, name: string): string => fieldText(ds[n - 1], name);

  it('shows each message of a segment, and a message over segments where it ends', async () => {
    ds = await dissectAll(await capture());
    expect(field(4, 'dns.id')).toBe('0x0001,0x0002,0x0003');
    expect(field(4, 'dns.length')).toBe('32,32,32');
    expect(field(4, 'frame.protocols')).toBe('eth:ethertype:ip:tcp:dns');
    expect(line(4)).toMatch(/ DNS 156 Standard query 0x0003 A c\.example\.test$/);
    expect(line(6)).toMatch(/ TCP 354 53 → 40000 \[PSH, ACK\] Seq=1 Ack=103 Win=65535 Len=300 \[TCP segment of a reassembled PDU\]$/);
    expect(field(10, 'tcp.segment')).toBe('6,8,10');
    expect(field(10, 'dns.a').split(',')).toHaveLength(60);
    expect(treeLines(ds[9]).some((l) => /^\[3 Reassembled TCP Segments \(994 bytes\): #6\(300\), #8\(400\), #10\(294\)\]$/.test(l))).toBe(true);
    expect(field(14, 'dns.id')).toBe('0x0002,0x0003');
    expect(line(14)).toMatch(/ Standard query response 0x0003 A c\.example\.test A 192\.0\.2\.1$/);
    expect(line(18)).toMatch(/ A 192\.0\.2\.3Standard query response 0x0005 A e\.example\.test A 192\.0\.2\.1 A 192\.0\.2\.2 A 192\.0\.2\.3$/);
  });
});

describe.skipIf(!requireTool('tshark'))('DNS over TCP beside tshark', () => {
  it('every field, frame.protocols and every summary line as tshark prints them', async () => {
    const path = await capture();
    const result = await compareCapture(path);
    expect(result.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'dns.length',
        'dns.id',
        'dns.qry.name',
        'dns.a',
        'tcp.segment',
        'tcp.reassembled.length',
        'tcp.segment_data',
        'tcp.pdu.size',
        'frame.protocols',
      ]),
    );
    expect(result.filter((a) => a.agree !== a.frames && !/^_ws\.expert\./.test(a.field)).map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    const { stdout } = await run('tshark', ['-r', path, ...TSHARK_CHECKSUM_OPTS], { maxBuffer: 1 << 26 });
    const theirs = stdout.split('\n').filter((l) => l !== '');
    const ours = (await dissectAll(path)).map(summaryLine);
    expect(ours.map((l, i) => (l.trimEnd() === theirs[i]?.trimEnd() ? '' : `${l} | ${theirs[i]}`)).filter((x) => x !== '')).toEqual([]);
  });
});
