// Hostile DNS messages built to make name decompression expensive: a chain of thousands of pointers
// each pointing at the one before (backwards, so no loop), with every name of a 64 KB message leading
// into it; and thousands of two-byte names pointing at one 127-label name. Decoding must stop within
// a bounded number of steps (counted, not timed), a real message of the same size must still decode,
// and the authoritative server must keep answering while such messages arrive over TCP.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServer } from '../../src/dns/auth-server.ts';
import { parseDns } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { MAX_DECOMPRESS_STEPS, MAX_NAME_POINTERS } from '../../src/wire/dns-name.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_RCODE, dnsFlags, type DnsRecord } from '../../src/wire/dns-types.ts';
import { decoded, query } from '../dns/dns-client.ts';
import { exampleZone } from '../dns/zones.ts';

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

/**
 * A query-shaped message (QR 0, one question) of up to 65535 bytes: the question's name is "a"; the
 * first answer record (a NULL record owned by the root) carries in its RDATA either a pointer chain
 * reaching up to offset 16368 ('chain') or a 127-label name ('wide'); every further answer record
 * is 12 bytes whose owner is a pointer to the chain's last link or the wide name.
 */
export function hostileMessage(kind: 'chain' | 'wide', size = 65535): Uint8Array {
  const b = new Uint8Array(size);
  put16(b, 0, 0x4242);
  put16(b, 4, 1);
  let p = 12;
  b.set([1, 0x61, 0, 0, 1, 0, 1], p); // question: a. A IN
  p += 7;
  b[p++] = 0; // owner: root
  put16(b, p, 10); // NULL
  put16(b, p + 2, 1);
  p += 8;
  const rdlenAt = p;
  p += 2;
  const rd = p;
  let target: number;
  if (kind === 'chain') {
    b.set([1, 0x62, 0], p);
    p += 3;
    let prev = rd;
    while (p < 0x3ff0) {
      put16(b, p, 0xc000 | prev);
      prev = p;
      p += 2;
    }
    target = prev;
  } else {
    for (let i = 0; i < 127; i++) b.set([1, 0x63], p + 2 * i);
    p += 254;
    b[p++] = 0;
    target = rd;
  }
  put16(b, rdlenAt, p - rd);
  let n = 1;
  while (p + 12 <= size) {
    put16(b, p, 0xc000 | target);
    put16(b, p + 2, 10);
    put16(b, p + 4, 1);
    p += 12;
    n++;
  }
  put16(b, 6, n);
  return b.subarray(0, p);
}

describe('name decompression work is bounded per message', () => {
  it('a chain of thousands of pointers: the first name into it stops after MAX_NAME_POINTERS', () => {
    const m = hostileMessage('chain');
    expect(m.length).toBeGreaterThan(65000);
    const r = parseDns(m);
    expect(r.error?.reason).toMatch(/answer record 2 of \d+: name follows more than 128 compression pointers/);
    expect(r.pointerFollows).toBeLessThanOrEqual(MAX_NAME_POINTERS);
  });

  it('thousands of names re-reading one 127-label name: stops at the message budget of steps', () => {
    const m = hostileMessage('wide');
    const r = parseDns(m);
    expect(r.error?.reason).toMatch(/more than 65536 decompression steps/);
    expect(r.decompressSteps).toBeLessThanOrEqual(MAX_DECOMPRESS_STEPS);
    // Without the budget this message re-reads 5,400 x 127 labels; with it, at most the budget.
    expect(r.records.length).toBeLessThan(600);
  });

  it('a real compressed message of nearly 64 KB (4,000 records) still decodes, well inside the budget', () => {
    const answers: DnsRecord[] = [];
    for (let i = 0; i < 4000; i++) {
      answers.push({ name: `host${i % 50}.deep.sub.example.test`, type: 1, class: 1, ttl: 60, data: { type: 'A', address: `192.0.2.${i % 250}` } });
    }
    const bytes = encodeDnsMessage({ id: 1, flags: dnsFlags({ qr: true }), questions: [{ name: 'sub.example.test', type: 1, class: 1 }], answers, authorities: [], additionals: [] });
    expect(bytes.length).toBeGreaterThan(60_000);
    const r = parseDns(bytes);
    expect(r.error).toBeUndefined();
    expect(r.records.length).toBe(4000);
    expect(r.decompressSteps).toBeGreaterThan(20_000);
    expect(r.decompressSteps).toBeLessThan(MAX_DECOMPRESS_STEPS * 0.6);
  });
});

describe('the authoritative server under hostile TCP messages', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = new AuthServer({ address: '127.0.0.1', zones: [exampleZone()] });
    await server.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 40 hostile 64 KB messages with FORMERR, then a normal query on the same connection', async () => {
    const msgs: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) msgs.push(hostileMessage('chain'), hostileMessage('wide'));
    msgs.push(query('www.example.test', 'A', { id: 7 }));
    const replies = await new Promise<Uint8Array[]>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: server.port });
      const d = new DnsTcpDeframer();
      const out: Uint8Array[] = [];
      const timer = setTimeout(() => {
        s.destroy();
        resolve(out);
      }, 15_000);
      s.on('error', reject);
      s.on('data', (c: Buffer) => {
        out.push(...d.push(c));
        if (out.length >= msgs.length) {
          clearTimeout(timer);
          s.destroy();
          resolve(out);
        }
      });
      s.on('connect', () => {
        for (const m of msgs) s.write(frameDnsTcp(m));
      });
    });
    expect(replies).toHaveLength(41);
    for (const r of replies.slice(0, 40)) expect(decoded(r).flags.rcode).toBe(DNS_RCODE.FORMERR);
    const last = decoded(replies[40]);
    expect(last.id).toBe(7);
    expect(last.answers.length).toBeGreaterThan(0);
  });
});
