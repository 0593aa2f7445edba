// Fuzz: the two DNS servers over TCP, running on 127.0.0.x. Each connection gets a few
// length-prefixed messages: valid queries (plain, EDNS, cookies, meta types), mutated ones (bytes
// flipped, cut, grown), random bytes, and now and then a length prefix that lies. Fixed seeds, a
// bounded number of connections. The servers must never crash and never hang a connection: each one
// is answered (every reply a decodable message carrying an ID that was sent) or closed by the server;
// afterwards both still answer a plain query over UDP and TCP.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServer } from '../../src/dns/auth-server.ts';
import type { RecursiveServer } from '../../src/dns/recursive-server.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_TYPE } from '../../src/wire/dns-types.ts';
import { decoded, query, tcpExchange, udpExchange } from '../dns/dns-client.ts';
import { optRecord, rawQuery, startAuth, startRecursive } from '../hostile/servers.ts';
import { rng } from '../helpers/rng.ts';

let auth: AuthServer;
let rec: RecursiveServer;
beforeAll(async () => {
  // Short timeouts: a connection left waiting for bytes that never come is closed quickly.
  auth = await startAuth('127.0.0.1', { tcpIdleMs: 400, tcp: { messageMs: 300, writeMs: 1000 } });
  rec = await startRecursive('127.0.0.2', { tcpIdleMs: 400, tcp: { messageMs: 300, writeMs: 1000 } });
});
afterAll(async () => {
  await auth.close();
  await rec.close();
});

function seeds(): Uint8Array[] {
  const names = ['www.example.test', 'example.test', 'many.example.test', 'nope.example.test', 'deep.sub.example.test', 'a.b.c'];
  const types = [DNS_TYPE.A, DNS_TYPE.AAAA, DNS_TYPE.MX, DNS_TYPE.TXT, DNS_TYPE.ANY, DNS_TYPE.AXFR, DNS_TYPE.OPT, DNS_TYPE.SOA, 128];
  const out: Uint8Array[] = [];
  for (const n of names) {
    for (const t of types) {
      out.push(query(n, t, { rd: true }));
      out.push(query(n, t, { rd: true, edns: 1232 }));
    }
    out.push(rawQuery(n, DNS_TYPE.A, [optRecord({ options: [[10, new Uint8Array(8)]] })], { rd: true }));
    out.push(rawQuery(n, DNS_TYPE.A, [optRecord({ version: 1 })], { rd: true }));
    out.push(rawQuery(n, DNS_TYPE.A, [optRecord(), optRecord()], { rd: true }));
  }
  return out;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  if (kind === 0) return Uint8Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256));
  const b = src.slice();
  if (kind === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (kind === 2) {
    const grown = new Uint8Array(b.length + Math.floor(r() * 40));
    grown.set(b);
    for (let i = b.length; i < grown.length; i++) grown[i] = Math.floor(r() * 256);
    return grown;
  }
  const flips = 1 + Math.floor(r() * 6);
  for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  return b;
}

/** Sends the bytes on one connection; resolves with the replies and how the connection ended. */
function exchange(address: string, port: number, bytes: Uint8Array, halfClose: boolean): Promise<{ replies: Uint8Array[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    const d = new DnsTcpDeframer();
    const replies: Uint8Array[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean): void => {
      if (quiet !== undefined) clearTimeout(quiet);
      clearTimeout(limit);
      s.destroy();
      resolve({ replies, closedByServer });
    };
    // The server's own timeouts are 300-400 ms: by 3 s every connection must have ended.
    const limit = setTimeout(() => reject(new Error('the server neither answered nor closed the connection within 3 s')), 3000);
    s.on('error', () => finish(true));
    s.on('end', () => finish(true));
    s.on('data', (c: Buffer) => replies.push(...d.push(c)));
    s.on('connect', () => {
      s.write(bytes);
      // Half-closing says "no more queries": the server answers what it has and ends its side.
      if (halfClose) s.end();
    });
  });
}

describe.each(['authoritative', 'recursive'] as const)('%s server over TCP: fuzz', (kind) => {
  it('150 connections of mutated, random and mis-framed messages: answered or closed, never a crash', async () => {
    const [address, port] = kind === 'authoritative' ? ['127.0.0.1', auth.port] : ['127.0.0.2', rec.port];
    const r = rng(kind === 'authoritative' ? 0x7cd : 0x7ce);
    const corpus = seeds();
    let replies = 0;
    let closed = 0;
    for (let c = 0; c < 150; c++) {
      const msgs: Uint8Array[] = [];
      const n = 1 + Math.floor(r() * 6);
      for (let i = 0; i < n; i++) {
        const seed = corpus[Math.floor(r() * corpus.length)];
        msgs.push(r() < 0.3 ? seed : mutate(seed, r));
      }
      const ids = new Set(msgs.filter((m) => m.length >= 2).map((m) => (m[0] << 8) | m[1]));
      const parts = msgs.map((m) => frameDnsTcp(m));
      // Now and then a prefix that promises more than follows, and the connection stays open: the
      // server must time it out.
      const lying = r() < 0.12;
      if (lying) parts.push(Uint8Array.from([0x01, 0xf4, 1, 2, 3]));
      const bytes = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
      let o = 0;
      for (const p of parts) {
        bytes.set(p, o);
        o += p.length;
      }
      const res = await exchange(address, port, bytes, !lying);
      replies += res.replies.length;
      if (res.closedByServer) closed++;
      expect(res.replies.length).toBeLessThanOrEqual(msgs.length);
      for (const rep of res.replies) {
        expect(rep.length).toBeGreaterThanOrEqual(12);
        expect(ids.has((rep[0] << 8) | rep[1])).toBe(true);
        expect(rep[2] & 0x80).toBe(0x80); // QR: a response
      }
    }
    expect(replies).toBeGreaterThan(100);
    expect(closed).toBe(150);
    // Still serving, over both transports.
    const q = query('www.example.test', 'A', { rd: true });
    expect(decoded(await udpExchange(address, port, q, 2000)).answers.length).toBeGreaterThan(0);
    expect(decoded((await tcpExchange(address, port, [q]))[0]).answers.length).toBeGreaterThan(0);
  }, 60_000);
});
