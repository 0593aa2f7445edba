// The quick-reuse experiment of the tcp-handshake-and-close lab: two hosts with a 2 ms TIME-WAIT fetch
// a 14600-byte answer over connection A, close, and at once fetch another over connection B on the
// same 4-tuple, while a copy of A's tenth data segment, held on a slow path, arrives during B. What B's
// answer holds afterwards says whether the old copy was taken for new data.

import type { LabNet } from '../../src/netsim/index.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { segViews, tcpPair } from './net.ts';

export const ANSWER_BYTES = 14600;

export interface ReuseResult {
  readonly portA: number;
  readonly portB: number;
  readonly isnA: number;
  readonly isnB: number;
  /** The old copy's sequence number relative to B's ISN (B's SYN is 0). */
  readonly oldSeqInB: number;
  /** Bytes of B's answer that are not B's. */
  readonly wrongBytes: number;
  readonly pawsDropped: number;
  readonly error: string;
  /** B's answer around the first wrong byte. */
  readonly sample: string;
}

export async function quickReuse(net: LabNet, o: { link: string; subnet: number; timestamps: boolean }): Promise<ReuseResult> {
  const tcp = { mslMs: 1, timestamps: o.timestamps };
  const pair = await tcpPair(net, { link: o.link, subnet: o.subnet, client: tcp, server: tcp });
  const mark = net.frames.length;
  let conns = 0;
  let lastServer: VirtualTcpSocket | undefined;
  const server = pair.server.tcp.listen(80, (s) => {
    const letter = conns++ === 0 ? 'A' : 'B';
    lastServer = s;
    s.once('data', () => s.write(Buffer.alloc(ANSWER_BYTES, letter)));
    s.on('end', () => s.end());
  });
  let dataFrames = 0;
  pair.slow.server.keep = (f) => f.length > 100 && ++dataFrames === 10;

  const fetch = async (localPort?: number, beforeRequest?: () => Promise<void>): Promise<{ sock: VirtualTcpSocket; body: Buffer; error: string }> => {
    const sock = pair.client.tcp.connect({ host: pair.serverAddr, port: 80, localPort });
    const parts: Buffer[] = [];
    let n = 0;
    let error = '(none)';
    sock.on('error', (e) => (error = e.code));
    sock.on('data', (b) => {
      parts.push(b);
      n += b.length;
      if (n >= ANSWER_BYTES) sock.end();
    });
    await net.runUntil(() => sock.state === 'ESTABLISHED' && lastServer?.state === 'ESTABLISHED', 1000, 'the connection did not open');
    if (beforeRequest !== undefined) await beforeRequest();
    sock.write('GET / HTTP/1.0\r\n\r\n');
    await net.runUntil(() => sock.state === 'CLOSED' && lastServer?.state === 'CLOSED', 5000, 'the connection did not close');
    return { sock, body: Buffer.concat(parts), error };
  };
  const a = await fetch();
  const b = await fetch(a.sock.localPort, async () => {
    pair.slow.server.release();
    await net.wait(5);
  });
  server.close();
  const segs = segViews(
    net,
    net.since(mark).filter((f) => f.link === o.link),
    pair.clientAddr,
  );
  const synAcks = segs.filter((s) => s.from === 'server' && s.syn);
  const isnA = synAcks[0]?.rawSeq ?? 0;
  const isnB = synAcks[1]?.rawSeq ?? 0;
  const old = segs.filter((s) => s.from === 'server' && s.len > 0 && s.atMs > (synAcks[1]?.atMs ?? Infinity))[0];
  let wrong = 0;
  let first = -1;
  for (let i = 0; i < b.body.length; i++) {
    if (b.body[i] !== 0x42) {
      wrong++;
      if (first < 0) first = i;
    }
  }
  const at = first < 0 ? 0 : Math.max(0, first - 8);
  return {
    portA: a.sock.localPort,
    portB: b.sock.localPort,
    isnA,
    isnB,
    oldSeqInB: old === undefined ? -1 : (old.rawSeq - isnB) >>> 0,
    wrongBytes: wrong + Math.max(0, ANSWER_BYTES - b.body.length),
    pawsDropped: b.sock.info().counters.pawsDropped,
    error: b.error,
    sample: `bytes ${at}-${at + 23}: ${b.body.subarray(at, at + 24).toString('latin1')}`,
  };
}
