// Captures for the tests of letting ended TCP conversations go: whole short connections (handshake,
// an HTTP request and answer, both FINs) at chosen times, ports used again, a late segment.

import type { CapturedPacket } from '../../src/capture/types.ts';
import { encode, ethernet, ipv4, payload, tcp, udp } from '../../src/wire/index.ts';
import { packet } from './hand-made.ts';

const eth = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });
export const T0 = 1_700_000_000;

/** Frames in capture order, each with its time in milliseconds from T0. */
export class Frames {
  readonly list: { ms: number; data: Uint8Array }[] = [];
  add(ms: number, data: Uint8Array): void {
    this.list.push({ ms, data });
  }
  packets(): CapturedPacket[] {
    return this.list.map((f, i) =>
      packet(f.data, {
        number: i + 1,
        tsSec: T0 + Math.floor(f.ms / 1000),
        tsNsec: (f.ms % 1000) * 1_000_000,
        iface: { ...packet(f.data).iface, linkType: 1 },
      }),
    );
  }
}

/** One whole connection at `ms` (a few ms long): handshake, a request and answer, both FINs. */
export function connection(f: Frames, ms: number, client: string, sport: number, isn: number, body = 'x'): void {
  const c = { src: client, dst: '10.9.0.2' };
  const s = { src: '10.9.0.2', dst: client };
  const sIsn = (isn * 7 + 12345) >>> 0;
  const seg = (from: 'c' | 's', flags: string, seq: number, ack: number, data?: string): Uint8Array =>
    encode([
      eth,
      ipv4(from === 'c' ? c : s),
      tcp({ sport: from === 'c' ? sport : 80, dport: from === 'c' ? 80 : sport, flags: flags as 'S', seq: seq >>> 0, ack: ack >>> 0, window: 64240 }),
      ...(data === undefined ? [] : [payload(data)]),
    ]);
  const req = `GET /${body} HTTP/1.1\r\nHost: a\r\n\r\n`;
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  f.add(ms, seg('c', 'S', isn, 0));
  f.add(ms + 1, seg('s', 'SA', sIsn, isn + 1));
  f.add(ms + 2, seg('c', 'A', isn + 1, sIsn + 1));
  f.add(ms + 3, seg('c', 'PA', isn + 1, sIsn + 1, req));
  f.add(ms + 4, seg('s', 'PA', sIsn + 1, isn + 1 + req.length, res));
  f.add(ms + 5, seg('c', 'FA', isn + 1 + req.length, sIsn + 1 + res.length));
  f.add(ms + 6, seg('s', 'FA', sIsn + 1 + res.length, isn + 2 + req.length));
  f.add(ms + 7, seg('c', 'A', isn + 2 + req.length, sIsn + 2 + res.length));
}

/** 60 connections GAP_MS apart (each let go before the next: GAP_MS is longer than the grace), the first ten ports again, a late FIN, UDP between. */
/** Spacing of reuseCapture's connections: a little more than the 60 s grace of tcp-conversation-end.ts. */
export const GAP_MS = 61_000;

export function reuseCapture(): Frames {
  const f = new Frames();
  const isn = (i: number): number => (0x9e3779b9 * (i + 1)) >>> 0;
  for (let i = 0; i < 60; i++) {
    connection(f, i * GAP_MS, '10.9.0.1', 40000 + i, isn(i));
    if (i % 10 === 0)
      f.add(i * GAP_MS + 500, encode([eth, ipv4({ src: '10.9.0.1', dst: '10.9.0.3' }), udp({ sport: 50000 + (i % 20), dport: 9999 }), payload('u')]));
  }
  for (let j = 0; j < 10; j++) connection(f, (70 + j) * GAP_MS, '10.9.0.1', 40000 + j, isn(100 + j), 'again');
  // A late retransmission of connection 20's client FIN, long after that connection ended.
  const req = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  const sIsn = (isn(20) * 7 + 12345) >>> 0;
  f.add(
    81 * GAP_MS,
    encode([
      eth,
      ipv4({ src: '10.9.0.1', dst: '10.9.0.2' }),
      tcp({ sport: 40020, dport: 80, flags: 'FA', seq: (isn(20) + 1 + req.length) >>> 0, ack: (sIsn + 1 + res.length) >>> 0, window: 64240 }),
    ]),
  );
  connection(f, 82 * GAP_MS, '10.9.0.1', 41000, isn(200));
  return f;
}

// (tcp.analysis.reused_ports is not among them: netlab prints it empty where tshark prints 1, with or
// without letting conversations go; the summary's "[TCP Port numbers reused]" is checked instead.)
