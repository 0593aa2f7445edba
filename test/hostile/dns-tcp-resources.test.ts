// Resource attacks on the DNS servers' TCP side (RFC 7766 §6.2): a client that pipelines queries and
// never reads the answers, one client holding many connections, idle connections, a client trickling
// a byte at a time. Bounds are asserted on counted work (messages read, connections refused, closes
// by cause) and on heap growth with generous margins, not on speed. dig +tcp shows a real client is
// still served.

import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthServer } from '../../src/dns/auth-server.ts';
import type { RecursiveServer } from '../../src/dns/recursive-server.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_RCODE } from '../../src/wire/dns-types.ts';
import { decoded, query, tcpExchange, udpExchange } from '../dns/dns-client.ts';
import { requireTool } from '../helpers/tools.ts';
import { startAuth, startRecursive } from './servers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const run = promisify(execFile);
const MB = 1024 * 1024;

const open: { close(): Promise<void> }[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of open.splice(0)) await s.close();
});

/** Heap and Buffer memory (answers waiting to be written are Buffers, outside the JS heap). */
function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function connectTo(port: number, host: string, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress });
    sockets.push(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** True once the server has closed the socket (an 'end' or 'close' within ms). */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    s.once('end', done);
    s.once('close', done);
    s.resume();
  });
}

/**
 * Writes up to `max` framed queries without ever reading, respecting the socket's own backpressure;
 * stops when a write has not drained for `stallMs` (the server stopped reading). Returns the count
 * sent and whether it stalled.
 */
async function floodWithoutReading(s: Socket, max: number, q: Uint8Array, stallMs = 1500): Promise<{ sent: number; stalled: boolean }> {
  s.pause();
  const frame = Buffer.from(frameDnsTcp(q));
  const batch = Buffer.concat(Array.from({ length: 500 }, () => frame));
  let sent = 0;
  while (sent < max) {
    const ok = s.write(batch);
    sent += 500;
    if (!ok) {
      const drained = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), stallMs);
        s.once('drain', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      if (!drained) return { sent, stalled: true };
    }
  }
  return { sent, stalled: false };
}

describe.each(['authoritative', 'recursive'] as const)('%s server: a client that pipelines and never reads', (kind) => {
  it('stalls itself: the server stops reading, holds little memory, and lets go when the client leaves', async () => {
    const server: AuthServer | RecursiveServer =
      kind === 'authoritative' ? await startAuth('127.0.0.1', { tcp: { writeMs: 60_000 } }) : await startRecursive('127.0.0.1', { tcp: { writeMs: 60_000 } });
    open.push(server);
    // Prime the recursive server's cache so every query is a cache hit (the worst case: no waiting).
    const q = query('www.example.test', 'A', { rd: true });
    expect(decoded((await tcpExchange('127.0.0.1', server.port, [q]))[0]).flags.rcode).toBe(DNS_RCODE.NOERROR);
    const before = heap();
    const s = await connectTo(server.port, '127.0.0.1');
    const r = await floodWithoutReading(s, 600_000, q);
    const during = heap();
    const read = server.tcpStats.messages;
    // The server stopped reading: the client could not send all it wanted, and what the server read
    // is bounded by what the kernel buffers hold, not by what the client sent.
    expect(r.stalled).toBe(true);
    expect(read).toBeLessThan(r.sent);
    expect(server.tcpStats.paused).toBeGreaterThan(0);
    expect(during - before).toBeLessThan(50 * MB);
    s.destroy();
    await until('the server to drop the connection', () => server.tcpConnections === 0);
    expect(heap() - before).toBeLessThan(20 * MB);
  }, 60_000);
});

describe('connection limits', () => {
  it('authoritative: one client gets its share (2 of 8); another client still connects and is answered', async () => {
    const server = await startAuth('127.0.0.1', { maxTcpConnections: 8, tcp: { maxPerClient: 2 } });
    open.push(server);
    const mine = await Promise.all(Array.from({ length: 5 }, () => connectTo(server.port, '127.0.0.1', '127.0.0.1')));
    const closed = await Promise.all(mine.map((s) => closedWithin(s, 1000)));
    expect(closed.filter(Boolean)).toHaveLength(3);
    expect(server.tcpStats.refusedPerClient).toBe(3);
    // Another client (another source address) is not locked out.
    const other = await connectTo(server.port, '127.0.0.1', '127.0.0.3');
    const reply = new Promise<Uint8Array>((resolve) => {
      const d = new DnsTcpDeframer();
      other.on('data', (c: Buffer) => {
        const m = d.push(c);
        if (m.length > 0) resolve(m[0]);
      });
    });
    other.write(frameDnsTcp(query('www.example.test', 'A')));
    expect(decoded(await reply).answers.length).toBeGreaterThan(0);
    expect(server.tcpConnections).toBe(3);
  });

  it('recursive: a cap on connections (it had none)', async () => {
    const server = await startRecursive('127.0.0.1', { maxTcpConnections: 3, tcp: { maxPerClient: 3 } });
    open.push(server);
    const conns = await Promise.all(Array.from({ length: 6 }, () => connectTo(server.port, '127.0.0.1')));
    const closed = await Promise.all(conns.map((s) => closedWithin(s, 1000)));
    expect(closed.filter(Boolean)).toHaveLength(3);
    expect(server.tcpStats.refusedFull).toBe(3);
    expect(server.tcpConnections).toBe(3);
  });
});

describe('timeouts (RFC 7766 §6.2.3)', () => {
  it('an idle connection is closed', async () => {
    const server = await startAuth('127.0.0.1', { tcpIdleMs: 300 });
    open.push(server);
    const s = await connectTo(server.port, '127.0.0.1');
    expect(await closedWithin(s, 3000)).toBe(true);
    expect(server.tcpStats.closedIdle).toBe(1);
  });

  it('a client trickling one byte at a time is closed when its message is not whole in time', async () => {
    const server = await startRecursive('127.0.0.1', { tcpIdleMs: 10_000, tcp: { messageMs: 500 } });
    open.push(server);
    const s = await connectTo(server.port, '127.0.0.1');
    const frame = frameDnsTcp(query('www.example.test', 'A', { rd: true }));
    const closed = closedWithin(s, 5000);
    let gone = false;
    void closed.then(() => (gone = true));
    // One byte every 150 ms: the idle timer never fires, the message timer does.
    for (let i = 0; i < frame.length && !gone; i++) {
      s.write(frame.subarray(i, i + 1));
      await sleep(150);
    }
    expect(await closed).toBe(true);
    expect(server.tcpStats.closedSlowSender).toBe(1);
    expect(server.tcpStats.messages).toBe(0);
  });

  it('a client that stops reading is closed once its answers have not drained in writeMs', async () => {
    const server = await startAuth('127.0.0.1', { tcp: { writeMs: 500 } });
    open.push(server);
    const s = await connectTo(server.port, '127.0.0.1');
    const r = await floodWithoutReading(s, 600_000, query('many.example.test', 'A'), 3000);
    expect(r.sent).toBeLessThan(600_000);
    await until('the slow reader to be closed', () => server.tcpStats.closedSlowReader === 1, 10_000);
  }, 60_000);
});

describe.skipIf(!requireTool('dig'))('dig +tcp, a real client', () => {
  it('is answered by both servers', async () => {
    const auth = await startAuth('127.0.0.1');
    const rec = await startRecursive('127.0.0.2');
    open.push(auth, rec);
    for (const [addr, port] of [
      ['127.0.0.1', auth.port],
      ['127.0.0.2', rec.port],
    ] as const) {
      const { stdout } = await run('dig', [`@${addr}`, '-p', String(port), '+tcp', '+tries=1', '+time=3', 'www.example.test', 'A']);
      expect(stdout).toMatch(/status: NOERROR/);
      expect(stdout).toMatch(/\(TCP\)/);
    }
  });
});

describe.skipIf(!requireTool('prlimit'))('at the descriptor limit (a server process limited to 64 descriptors)', () => {
  it('counts the descriptor shortage, backs off accepting, keeps answering over UDP, and takes TCP again afterwards', async () => {
    const child = spawn('prlimit', ['--nofile=64:64', process.execPath, '--import', 'tsx', join(import.meta.dirname, 'emfile-child.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, number>> => JSON.parse(String((await lines.next()).value)) as Record<string, number>;
    try {
      const { port } = await next();
      const q = query('www.example.test', 'A', { rd: true });
      expect(decoded(await udpExchange('127.0.0.1', port, q, 5000)).answers.length).toBeGreaterThan(0);
      // 100 connections from 100 addresses (each within its per-client share, the cap of 128 not
      // reached): more than the process has descriptors for.
      const conns = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => connectTo(port, '127.0.0.1', `127.0.1.${i + 1}`)));
      expect(conns.filter((c) => c.status === 'fulfilled').length).toBeGreaterThan(0);
      await sleep(300);
      // UDP and the answers it needs no new descriptor for keep working.
      for (let i = 0; i < 5; i++) expect(decoded(await udpExchange('127.0.0.1', port, q, 5000)).answers.length).toBeGreaterThan(0);
      child.stdin.write('stats\n');
      const st = await next();
      expect(st.descriptorShortages).toBeGreaterThan(0);
      expect(st.open).toBeLessThan(64);
      // Once the clients leave and the back-off is over, TCP is served again.
      for (const s of sockets.splice(0)) s.destroy();
      await sleep(800);
      expect(decoded((await tcpExchange('127.0.0.1', port, [q], 1, 5000))[0]).answers.length).toBeGreaterThan(0);
      child.stdin.write('quit\n');
      await new Promise((r) => child.once('exit', r));
    } finally {
      child.kill();
    }
  }, 60_000);
});
