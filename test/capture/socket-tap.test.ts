// The socket tap against tshark: real TCP and UDP exchanges on loopback, recorded by the tap, must
// give back in Wireshark exactly the bytes each side sent, with no malformed packet and no TCP
// analysis warning.

import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { TapRecorder } from '../../src/capture/socket-tap.ts';
import { fixedClock } from '../../src/base/clock.ts';
import { seededRandom } from '../../src/base/random.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-tap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pattern = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

/** Each byte inverted: the server's answer differs from the request, whatever the reads' sizes. */
const invert = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0xff));

/** An inverting echo server on host (port 0); `onSocket` sees each accepted socket first. */
async function echoServer(host: string, onSocket: (s: Socket) => void = () => undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    onSocket(s);
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      if (!s.destroyed) s.write(invert(d));
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, host, () => res());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((res) => server.close(() => res()));
}

/** Connects, sends each message in turn waiting for its echo, then ends; returns what came back. */
async function echoClient(host: string, port: number, messages: Buffer[], tap?: TapRecorder): Promise<Buffer> {
  const s = connect({ host, port });
  tap?.tcp(s);
  const got: Buffer[] = [];
  let total = 0;
  let waiter: (() => void) | undefined;
  let want = 0;
  s.on('data', (d: Buffer) => {
    got.push(d);
    total += d.length;
    if (total >= want) waiter?.();
  });
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  for (const m of messages) {
    want += m.length;
    const echoed = new Promise<void>((res) => (waiter = res));
    s.write(m);
    if (total < want) await echoed;
  }
  const closed = new Promise<void>((res) => s.once('close', () => res()));
  s.end();
  await closed;
  return Buffer.concat(got);
}

/** What tshark's follow,tcp,raw says each side of stream N sent (hex joined per direction). */
function follow(file: string, stream: number): { client: Buffer; server: Buffer } {
  const out = execFileSync('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let client = '';
  let server = '';
  let inBody = false;
  for (const line of out.split('\n')) {
    if (/^Node 1:/.test(line)) {
      inBody = true;
      continue;
    }
    if (!inBody || line.startsWith('====')) continue;
    if (line.startsWith('\t')) server += line.trim();
    else client += line.trim();
  }
  return { client: Buffer.from(client, 'hex'), server: Buffer.from(server, 'hex') };
}

function tsharkLines(file: string, args: string[]): string[] {
  return execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .filter((l) => l.trim() !== '');
}

const PROBLEMS = 'tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning';

describe('socket tap, TCP over IPv4', () => {
  const file = join(dir, 'tcp4.pcapng');
  const sent: { client: Buffer; server: Buffer }[] = [];
  let start = 0;
  let end = 0;
  let serverPort = 0;
  let resetCode: string | undefined;

  beforeAll(async () => {
    start = Date.now();
    const tap = new TapRecorder({ path: file });
    // Stream 0: tapped on the client side; stream 1: tapped on the server side; both a large and a small write.
    let serverSideTap = false;
    let resetNext = false;
    const { server, port } = await echoServer('127.0.0.1', (s) => {
      if (serverSideTap) tap.tcp(s);
      if (resetNext) s.once('data', () => s.resetAndDestroy());
    });
    serverPort = port;
    const m0 = [pattern(5000, 1), Buffer.from('hello\n')];
    const back0 = await echoClient('127.0.0.1', port, m0, tap);
    serverSideTap = true;
    const m1 = [Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\n\r\n'), pattern(3000, 2)];
    const back1 = await echoClient('127.0.0.1', port, m1);
    // Stream 2: the client resets the connection.
    serverSideTap = false;
    const s = connect({ host: '127.0.0.1', port });
    tap.tcp(s);
    await new Promise<void>((res) => s.once('connect', () => res()));
    s.write('bye');
    await new Promise<void>((res) => s.once('data', () => res()));
    const closed = new Promise<void>((res) => s.once('close', () => res()));
    s.resetAndDestroy();
    await closed;
    // Stream 3: the server resets the connection; the tapped client sees ECONNRESET.
    resetNext = true;
    const c = connect({ host: '127.0.0.1', port });
    tap.tcp(c);
    const failed = new Promise<string | undefined>((res) => c.once('error', (e: NodeJS.ErrnoException) => res(e.code)));
    c.write('reset me');
    resetCode = await failed;
    await closeServer(server);
    await tap.close();
    end = Date.now();
    sent.push(
      { client: Buffer.concat(m0), server: back0 },
      { client: Buffer.concat(m1), server: back1 },
      { client: Buffer.from('bye'), server: invert(Buffer.from('bye')) },
    );
  });

  it('the exchanges really happened', () => {
    for (const x of sent) expect(x.server.toString('hex')).toBe(invert(x.client).toString('hex'));
  });

  it('has real timestamps, in order', () => {
    const cap = parseCapture(new Uint8Array(readFileSync(file)));
    const ms = cap.packets.map((p) => p.tsSec * 1000 + p.tsNsec / 1e6);
    expect(ms[0]).toBeGreaterThanOrEqual(start - 1);
    expect(ms.at(-1)).toBeLessThanOrEqual(end + 1);
    for (let i = 1; i < ms.length; i++) expect(ms[i]).toBeGreaterThanOrEqual(ms[i - 1]);
    expect(cap.interfaces[0].name).toBe('netlab-tap');
  });

  describe.skipIf(!requireTool('tshark'))('with tshark', () => {
    it('follow,tcp,raw gives back exactly the bytes each side sent', () => {
      for (let i = 0; i < 3; i++) {
        const f = follow(file, i);
        expect(f.client.toString('hex')).toBe(sent[i].client.toString('hex'));
        expect(f.server.toString('hex')).toBe(sent[i].server.toString('hex'));
      }
    });

    it('shows no malformed packet and no TCP analysis flag', () => {
      expect(tsharkLines(file, ['-Y', 'tcp.analysis.flags || _ws.malformed'])).toEqual([]);
      // Wireshark marks every RST as an expert warning ("Connection reset"): streams 2 and 3 reset on purpose.
      expect(tsharkLines(file, ['-Y', `(${PROBLEMS}) && !((tcp.stream == 2 || tcp.stream == 3) && tcp.flags.reset == 1)`])).toEqual([]);
      expect(tsharkLines(file, ['-Y', PROBLEMS, '-T', 'fields', '-e', '_ws.expert.message'])).toEqual(['Connection reset (RST)', 'Connection reset (RST)']);
    });

    it('uses the real addresses and ports, the MSS option, and ends with FINs or a RST', () => {
      const syn = tsharkLines(file, [
        '-Y',
        'tcp.flags.syn == 1 && tcp.flags.ack == 0',
        '-T',
        'fields',
        '-e',
        'ip.src',
        '-e',
        'tcp.options.mss_val',
        '-e',
        'eth.src',
      ]);
      expect(syn.length).toBe(4);
      for (const r of syn) {
        const [src, mss, mac] = r.split('\t');
        expect(src).toBe('127.0.0.1');
        expect(mss).toBe('1460');
        expect(mac).toBe('02:00:7f:00:00:01');
      }
      const fins = tsharkLines(file, ['-Y', 'tcp.flags.fin == 1', '-T', 'fields', '-e', 'tcp.stream']);
      expect(fins).toEqual(['0', '0', '1', '1']);
      // Stream 2: the client reset (resetAndDestroy); stream 3: the server did (the client saw ECONNRESET).
      expect(resetCode).toBe('ECONNRESET');
      const rsts = tsharkLines(file, ['-Y', 'tcp.flags.reset == 1', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.srcport']);
      expect(rsts.map((r) => r.split('\t'))).toEqual([
        ['2', expect.not.stringMatching(`^${serverPort}$`)],
        ['3', String(serverPort)],
      ]);
      expect(follow(file, 3).client.toString()).toBe('reset me');
      const segLens = tsharkLines(file, ['-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.len']).map(Number);
      expect(Math.max(...segLens)).toBe(1460);
    });
  });
});

describe('socket tap, TCP over IPv6 and UDP', () => {
  const file = join(dir, 'mixed.pcapng');
  let udpSent: { a: Buffer[]; b: Buffer[] } = { a: [], b: [] };
  let tcpSent = Buffer.alloc(0);

  beforeAll(async () => {
    const tap = new TapRecorder({ path: file });
    const { server, port } = await echoServer('::1');
    tcpSent = Buffer.from('over IPv6');
    const back = await echoClient('::1', port, [tcpSent], tap);
    expect(back.toString('hex')).toBe(invert(tcpSent).toString('hex'));
    await closeServer(server);
    // UDP: both sockets tapped; each datagram must appear once.
    const a = createSocket('udp4');
    const b = createSocket('udp4');
    await Promise.all([bind(a, '127.0.0.1'), bind(b, '127.0.0.2')]);
    tap.udp(a);
    tap.udp(b);
    udpSent = { a: [Buffer.from('ping'), Buffer.from('second ping')], b: [Buffer.from('pong')] };
    const bPort = b.address().port;
    const aPort = a.address().port;
    const gotB: Buffer[] = [];
    const gotA: Buffer[] = [];
    b.on('message', (m) => gotB.push(m));
    a.on('message', (m) => gotA.push(m));
    a.send(udpSent.a[0], bPort, '127.0.0.2');
    await until(() => gotB.length === 1);
    b.send(udpSent.b[0], 0, 4, aPort, '127.0.0.1');
    await until(() => gotA.length === 1);
    a.send(udpSent.a[1], bPort, '127.0.0.2');
    await until(() => gotB.length === 2);
    await Promise.all([closeDgram(a), closeDgram(b)]);
    await tap.close();
  });

  describe.skipIf(!requireTool('tshark'))('with tshark', () => {
    it('IPv6 TCP follows back and has no warnings', () => {
      const f = follow(file, 0);
      expect(f.client.toString()).toBe('over IPv6');
      expect(f.server.toString('hex')).toBe(invert(tcpSent).toString('hex'));
      expect(tsharkLines(file, ['-Y', PROBLEMS])).toEqual([]);
      expect(tsharkLines(file, ['-Y', 'ipv6 && tcp', '-T', 'fields', '-e', 'ipv6.src']).every((l) => l === '::1')).toBe(true);
    });

    it('each datagram appears once, with its real addresses, and a good checksum', () => {
      const rows = tsharkLines(file, [
        '-Y',
        'udp',
        '-T',
        'fields',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'data.data',
        '-e',
        'udp.checksum.status',
        '-o',
        'udp.check_checksum:TRUE',
      ]);
      expect(rows).toEqual([
        `127.0.0.1\t127.0.0.2\t${udpSent.a[0].toString('hex')}\t1`,
        `127.0.0.2\t127.0.0.1\t${udpSent.b[0].toString('hex')}\t1`,
        `127.0.0.1\t127.0.0.2\t${udpSent.a[1].toString('hex')}\t1`,
      ]);
    });
  });
});

describe('socket tap, fixed mode', () => {
  async function run(): Promise<Uint8Array> {
    const tap = new TapRecorder({ fixed: true, clock: fixedClock(), random32: seededRandom('tap-test').uint32 });
    const { server, port } = await echoServer('127.0.0.1');
    tap.fixPort(port, 7);
    // The server's reply comes in pieces the kernel chooses; fixed mode must not care.
    await echoClient('127.0.0.1', port, [pattern(4000, 3), Buffer.from('x')], tap);
    await echoClient('127.0.0.1', port, [Buffer.from('again')], tap);
    await closeServer(server);
    await tap.close();
    return tap.toBytes();
  }

  it('writes byte-identical captures on every run, with remapped ports', async () => {
    const a = await run();
    const b = await run();
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const cap = parseCapture(a);
    const first = cap.packets[0].data;
    const sport = (first[34] << 8) | first[35];
    const dport = (first[36] << 8) | first[37];
    expect([sport, dport]).toEqual([49152, 7]);
    expect(cap.packets[0].tsSec).toBe(1_704_067_200);
    if (findTool('tshark') !== undefined) {
      const file = join(dir, 'fixed.pcapng');
      writeFileSync(file, a);
      expect(tsharkLines(file, ['-Y', PROBLEMS])).toEqual([]);
      expect(follow(file, 0).server.toString('hex')).toBe(invert(Buffer.concat([pattern(4000, 3), Buffer.from('x')])).toString('hex'));
    }
  });
});

function bind(s: DgramSocket, address: string): Promise<void> {
  return new Promise((res, rej) => {
    s.once('error', rej);
    s.bind(0, address, () => res());
  });
}

function closeDgram(s: DgramSocket): Promise<void> {
  return new Promise((res) => s.close(() => res()));
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('socket tap, a 4-tuple used again', () => {
  // Two connections from the same client port to the same server port, one after the other (the
  // kernel does this on loopback: tcp_tw_reuse defaults to loopback-only). The second is a new
  // connection, not "the other end of one already tapped": both are in the capture, as two streams.
  it.skipIf(!requireTool('tshark'))('records both connections, each with its own SYN', async () => {
    const file = join(dir, 'reuse.pcapng');
    const tap = new TapRecorder({ path: file });
    const { server, port } = await echoServer('127.0.0.1', (s) => {
      s.once('data', () => setImmediate(() => s.end())); // the server closes first: TIME_WAIT stays on its side
    });
    let clientPort = 0;
    const got: string[] = [];
    for (const word of ['first', 'second']) {
      const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', ...(clientPort === 0 ? {} : { localPort: clientPort }) });
      tap.tcp(s);
      await new Promise<void>((res, rej) => {
        s.once('connect', () => res());
        s.once('error', rej);
      });
      clientPort = s.localPort ?? 0;
      const closed = new Promise<void>((res) => s.once('close', () => res()));
      s.on('data', (d: Buffer) => got.push(invert(d).toString()));
      s.on('end', () => s.end());
      s.write(word);
      await closed;
    }
    await closeServer(server);
    await tap.close();
    expect(got).toEqual(['first', 'second']);
    const syns = tsharkLines(file, ['-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.stream']);
    expect(syns).toEqual([`${clientPort}\t0`, `${clientPort}\t1`]);
    expect(follow(file, 1).client.toString()).toBe('second');
    expect(tsharkLines(file, ['-Y', '_ws.malformed'])).toEqual([]);
  });
});
