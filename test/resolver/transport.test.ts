// The socket transport against small real servers on 127.0.0.1: answers accepted only from the
// server asked, with the query's ID and question; forged datagrams turned away with the reason; TCP
// framing; timeouts. IDs and source ports are random per query.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketTransport } from '../../src/dns/transport.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_TYPE, type DnsMessage } from '../../src/wire/dns-types.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

function answer(q: DnsMessage, address = '192.0.2.1'): DnsMessage {
  return {
    ...q,
    flags: { ...q.flags, qr: true, aa: true },
    answers: [{ name: q.questions[0].name, type: DNS_TYPE.A, class: 1, ttl: 60, data: { type: 'A', address } }],
    edns: undefined,
  };
}

async function udpServer(
  handle: (q: DnsMessage, reply: (m: DnsMessage) => void, s: UdpSocket, from: { address: string; port: number }) => void,
): Promise<number> {
  const s = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    const d = decodeDnsMessage(msg);
    if (d.ok) handle(d.message, (m) => s.send(encodeDnsMessage(m), rinfo.port, rinfo.address), s, rinfo);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => s.close(() => resolve())));
  return s.address().port;
}

const question = { name: 'www.example.test', type: DNS_TYPE.A, class: 1 };

describe('SocketTransport', () => {
  it('gets an answer over UDP, with a random ID and source port per query', async () => {
    const seen: { id: number; port: number }[] = [];
    const port = await udpServer((q, reply, _s, from) => {
      seen.push({ id: q.id, port: from.port });
      reply(answer(q));
    });
    const t = new SocketTransport({ timeoutMs: 2000 });
    for (let i = 0; i < 5; i++) {
      const r = await t.query({ server: { address: '127.0.0.1', port }, question, rd: false, tcp: false, edns: true });
      expect(r.ok && r.message.answers[0].data).toEqual({ type: 'A', address: '192.0.2.1' });
    }
    expect(new Set(seen.map((s) => s.port)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(seen.map((s) => s.id)).size).toBeGreaterThanOrEqual(4);
  });

  it('turns away a forged answer (wrong ID, wrong question, wrong source port) and takes the real one', async () => {
    const rejected: string[] = [];
    const port = await udpServer((q, reply, s, from) => {
      // A forger on another socket races the real answer.
      const forger = createSocket('udp4');
      forger.bind(0, '127.0.0.1', () => {
        forger.send(encodeDnsMessage(answer(q, '203.0.113.66')), from.port, from.address, () => forger.close());
      });
      reply({ ...answer(q, '203.0.113.66'), id: (q.id + 1) & 0xffff });
      reply({ ...answer(q, '203.0.113.66'), questions: [{ ...question, name: 'other.test' }] });
      setTimeout(() => reply(answer(q)), 50);
      void s;
    });
    const t = new SocketTransport({ timeoutMs: 2000, onRejected: (why) => rejected.push(why) });
    const r = await t.query({ server: { address: '127.0.0.1', port }, question, rd: false, tcp: false, edns: false });
    expect(r.ok && r.message.answers[0].data).toEqual({ type: 'A', address: '192.0.2.1' });
    expect(rejected.some((w) => w.startsWith('wrong ID'))).toBe(true);
    expect(rejected.some((w) => w.startsWith('wrong question'))).toBe(true);
    expect(rejected.some((w) => w.includes('not the server asked'))).toBe(true);
  });

  it('times out on a silent server', async () => {
    const port = await udpServer(() => undefined);
    const r = await new SocketTransport({ timeoutMs: 200 }).query({ server: { address: '127.0.0.1', port }, question, rd: false, tcp: false, edns: true });
    expect(r).toEqual({ ok: false, reason: 'timeout after 200 ms' });
  });

  it("moves a try's deadline back by the time the thread waited for a CPU (notRunningMs), within 10 timeouts", async () => {
    const port = await udpServer((q, reply) => setTimeout(() => reply(answer(q)), 250));
    const ask = (t: SocketTransport) => t.query({ server: { address: '127.0.0.1', port }, question, rd: false, tcp: false, edns: true });
    // No wait reported: the answer 250 ms later is too late for a 100 ms timeout.
    expect(await ask(new SocketTransport({ timeoutMs: 100, notRunningMs: () => 0 }))).toEqual({ ok: false, reason: 'timeout after 100 ms' });
    // 300 ms of run-queue wait inside the try: the deadline moves to 400 ms and the answer is taken.
    let readings = 0;
    const waited = (): number => 150 * readings++;
    const r = await ask(new SocketTransport({ timeoutMs: 100, notRunningMs: waited }));
    expect(r.ok).toBe(true);
    // A silent server still times out, however much waiting the counter reports: at most 10 timeouts more.
    const silent = await udpServer(() => undefined);
    const t0 = performance.now();
    let calls = 0;
    const huge = (): number => 1000 * ++calls;
    const s = await new SocketTransport({ timeoutMs: 50, notRunningMs: huge }).query({
      server: { address: '127.0.0.1', port: silent },
      question,
      rd: false,
      tcp: false,
      edns: true,
    });
    expect(s).toEqual({ ok: false, reason: 'timeout after 50 ms' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(540);
  });

  it('asks over TCP with the two-byte length framing', async () => {
    const server = createServer((sock) => {
      const d = new DnsTcpDeframer();
      sock.on('data', (chunk: Buffer) => {
        for (const m of d.push(chunk)) {
          const q = decodeDnsMessage(m);
          if (!q.ok) return;
          const bytes = frameDnsTcp(encodeDnsMessage(answer(q.message, '192.0.2.53')));
          // Sent in two pieces: the client must put them back together.
          sock.write(bytes.subarray(0, 5));
          setTimeout(() => sock.end(bytes.subarray(5)), 20);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const r = await new SocketTransport({ timeoutMs: 2000 }).query({ server: { address: '127.0.0.1', port }, question, rd: false, tcp: true, edns: true });
    expect(r.ok && r.tcp && r.message.answers[0].data).toEqual({ type: 'A', address: '192.0.2.53' });
  });
});
