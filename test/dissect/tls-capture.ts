// Crafted TCP conversations for the TLS and X.509 dissector tests: frames with consistent sequence
// numbers, written to pcapng, and TLS 1.2 server flights carrying chosen certificates.

import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { encode, ethernet, ipv4, payload, tcp } from '../../src/wire/index.ts';
import { concatBytes } from '../../src/wire/layer.ts';
import { clientHelloRecord, CONTENT_TYPE, encodeHandshake, encodeRecord, encodeServerHello, HANDSHAKE_TYPE, tlsExt } from '../../src/wire/tls.ts';

export const cat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

export const pseudoBytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + 7) & 0xff);

export const u24 = (n: number): Uint8Array => Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
export const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);

/** One TCP conversation between a client and a server, written frame by frame with consistent numbers. */
export class Conversation {
  private cseq: number;
  private sseq: number;
  constructor(
    private readonly out: Uint8Array[],
    private readonly cport: number,
    private readonly sport: number,
    isn = 1000,
    private readonly addrs: { client: string; server: string } = { client: '10.0.0.1', server: '10.0.0.2' },
  ) {
    this.cseq = isn;
    this.sseq = isn * 7;
    this.frame('c', 'S', new Uint8Array(0));
    this.cseq++;
    this.frame('s', 'SA', new Uint8Array(0));
    this.sseq++;
    this.frame('c', 'A', new Uint8Array(0));
  }

  /** A segment from the client ('c') or the server ('s'); `opts` can resend or break it. */
  frame(from: 'c' | 's', flags: string, data: Uint8Array, opts: { seq?: number; checksum?: number; advance?: boolean } = {}): void {
    const c = from === 'c';
    const seq = opts.seq ?? (c ? this.cseq : this.sseq);
    const ack = flags === 'S' ? 0 : c ? this.sseq : this.cseq;
    this.out.push(
      encode([
        ethernet({ src: c ? '02:00:00:00:00:01' : '02:00:00:00:00:02', dst: c ? '02:00:00:00:00:02' : '02:00:00:00:00:01' }),
        ipv4({ src: c ? this.addrs.client : this.addrs.server, dst: c ? this.addrs.server : this.addrs.client }),
        tcp({
          sport: c ? this.cport : this.sport,
          dport: c ? this.sport : this.cport,
          seq,
          ack,
          flags,
          window: 65535,
          ...(opts.checksum !== undefined ? { checksum: opts.checksum } : {}),
        }),
        payload(data),
      ]),
    );
    if (opts.advance !== false && opts.seq === undefined) {
      if (c) this.cseq += data.length;
      else this.sseq += data.length;
    }
  }

  get clientSeq(): number {
    return this.cseq;
  }

  /** Sends `data` in segments cut at the given offsets, each acknowledged. */
  send(from: 'c' | 's', data: Uint8Array, cuts: number[] = []): void {
    const b = [0, ...cuts, data.length];
    for (let i = 0; i + 1 < b.length; i++) {
      this.frame(from, 'PA', data.subarray(b[i], b[i + 1]));
      this.frame(from === 'c' ? 's' : 'c', 'A', new Uint8Array(0));
    }
  }
}

/** A TLS 1.2 Certificate handshake message holding `chain`. */
export function certificateMessage(chain: readonly Uint8Array[]): Uint8Array {
  const list = cat(...chain.map((c) => cat(u24(c.length), c)));
  return encodeHandshake(HANDSHAKE_TYPE.certificate, cat(u24(list.length), list));
}

/** ClientHello from the client, then ServerHello + `messages` (handshake messages) from the server. */
export function tls12Handshake(
  out: Uint8Array[],
  port: number,
  messages: readonly Uint8Array[],
  opts: { records?: 'one' | 'each'; maxRecord?: number; cuts?: number[] } = {},
): void {
  const conv = new Conversation(out, port, 443, 1000 + port);
  conv.send(
    'c',
    clientHelloRecord({
      random: pseudoBytes(32, port),
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
      extensions: [tlsExt.serverName('example.test')],
    }),
  );
  const hello = encodeServerHello({
    random: pseudoBytes(32, port + 1),
    sessionId: new Uint8Array(0),
    cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    extensions: [],
  });
  const done = encodeHandshake(HANDSHAKE_TYPE.serverHelloDone, new Uint8Array(0));
  const stream = cat(hello, ...messages, done);
  const max = opts.maxRecord ?? 16384;
  const records: Uint8Array[] = [];
  if (opts.records === 'each') {
    for (const m of [hello, ...messages, done]) records.push(encodeRecord({ contentType: CONTENT_TYPE.handshake, fragment: m }));
  } else {
    for (let o = 0; o < stream.length; o += max) records.push(encodeRecord({ contentType: CONTENT_TYPE.handshake, fragment: stream.subarray(o, o + max) }));
  }
  const flight = cat(...records);
  const cuts = opts.cuts ?? [];
  if (opts.cuts === undefined) for (let o = 1400; o < flight.length; o += 1400) cuts.push(o);
  conv.send('s', flight, cuts);
}

/** Writes frames to a pcapng file (Ethernet, one interface). */
export async function writeFrames(path: string, frames: readonly Uint8Array[]): Promise<void> {
  const w = PcapngWriter.toFile(path, { interfaces: [{ linkType: 1, name: 'crafted' }] });
  frames.forEach((frame, i) => w.write({ tsSec: 1_700_000_000, tsNsec: i * 1000, data: frame }));
  await w.close();
}
