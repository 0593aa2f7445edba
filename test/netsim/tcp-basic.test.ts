// TCP between two virtual hosts on a ManualClock: the handshake's bytes (options, windows, ISNs from
// the seeded key), data with exact sequence and acknowledgment numbers, the close both ways and
// TIME-WAIT, RST to a closed port, simultaneous open and close, half-close.

import { describe, expect, it } from 'vitest';
import { pair, segments } from './tcp-testbed.ts';
import type { VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';

const rel = (segs: ReturnType<typeof segments>, isn1: number, isn2: number) =>
  segs.map((s, _i, all) => {
    const fromH1 = s.from === 'h1';
    const seq = (s.seq - (fromH1 ? isn1 : isn2)) >>> 0;
    const ack = s.flags.includes('.') ? (s.ack - (fromH1 ? isn2 : isn1)) >>> 0 : 0;
    return `${s.t - all[0].t} ${s.from} [${s.flags}] seq=${seq} ack=${ack} len=${s.len}`;
  });

describe('TCP handshake and data', () => {
  it('opens with SYN, SYN-ACK, ACK carrying MSS, SACK permitted, timestamps and window scale', async () => {
    const p = pair();
    const server = p.h2.tcp.listen(80);
    let accepted: VirtualTcpSocket | undefined;
    server.on('connection', (s) => (accepted = s));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    let connectedAt = -1;
    client.on('connect', () => (connectedAt = p.clock.now()));
    p.run(20);
    const segs = segments(p.log);
    expect(segs.map((s) => s.flags)).toEqual(['S', 'S.', '.']);
    const [syn, synAck, ack] = segs;
    expect(syn.len + synAck.len + ack.len).toBe(0);
    expect(syn.options.mss).toBe(1460);
    expect(syn.options.sackPermitted).toBe(true);
    expect(syn.options.wscale).toBe(2); // 131072 bytes need a shift of 2
    expect(syn.options.timestamp?.tsecr).toBe(0);
    expect(synAck.options.timestamp?.tsecr).toBe(syn.options.timestamp?.tsval);
    expect(synAck.ack).toBe((syn.seq + 1) >>> 0);
    expect(ack.seq).toBe((syn.seq + 1) >>> 0);
    expect(ack.ack).toBe((synAck.seq + 1) >>> 0);
    expect(syn.win).toBe(65535); // the window in a SYN is never scaled
    expect(ack.win).toBe(131072 >> 2);
    expect(synAck.t - syn.t).toBe(5);
    expect(connectedAt - syn.t).toBe(10);
    expect(client.state).toBe('ESTABLISHED');
    expect(accepted?.state).toBe('ESTABLISHED');
    expect(accepted?.remotePort).toBe(client.localPort);
    expect(client.info().srttMs).toBe(10);
    expect(client.info().mss).toBe(1448); // 1460 less the 12 bytes of timestamps
    await p.close();
  });

  it('gives the same ISNs for the same seed and different ones for another (RFC 6528 keyed hash)', async () => {
    const isnOf = async (seed: string): Promise<number> => {
      const p = pair({ seed });
      p.h2.tcp.listen(80);
      p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
      p.run(20);
      const isn = segments(p.log)[0].seq;
      await p.close();
      return isn;
    };
    expect(await isnOf('a')).toBe(await isnOf('a'));
    expect(await isnOf('a')).not.toBe(await isnOf('b'));
  });

  it('numbers data by bytes: ACKs grow by the bytes received, and the close is FIN/ACK both ways', async () => {
    const p = pair({ tcp: { mslMs: 500 } });
    const got: Buffer[] = [];
    let serverSide: VirtualTcpSocket | undefined;
    p.h2.tcp.listen(80, (s) => {
      serverSide = s;
      s.on('data', (b) => got.push(b));
      s.on('end', () => s.end('bye'));
    });
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    const clientGot: Buffer[] = [];
    const events: string[] = [];
    client.on('data', (b) => clientGot.push(b));
    client.on('end', () => events.push(`end@${p.clock.now()}`));
    client.on('close', (e) => events.push(`close@${p.clock.now()}:${e}`));
    p.run(20);
    client.write('hello');
    p.run(300);
    client.write(' world');
    client.end();
    p.run(100);
    const segs = segments(p.log);
    const isn1 = segs[0].seq;
    const isn2 = segs[1].seq;
    expect(rel(segs, isn1, isn2)).toEqual([
      '0 h1 [S] seq=0 ack=0 len=0',
      '5 h2 [S.] seq=0 ack=1 len=0',
      '10 h1 [.] seq=1 ack=1 len=0',
      '20 h1 [P.] seq=1 ack=1 len=5',
      // The server's ACK is delayed 200 ms (no data to carry it, not a second full segment).
      '225 h2 [.] seq=1 ack=6 len=0',
      '320 h1 [P.] seq=6 ack=1 len=6',
      '320 h1 [F.] seq=12 ack=1 len=0',
      '325 h2 [.] seq=1 ack=13 len=0',
      '325 h2 [FP.] seq=1 ack=13 len=3',
      '330 h1 [.] seq=13 ack=5 len=0',
    ]);
    expect(Buffer.concat(got).toString()).toBe('hello world');
    expect(Buffer.concat(clientGot).toString()).toBe('bye');
    expect(client.state).toBe('TIME-WAIT');
    expect(serverSide?.state).toBe('CLOSED');
    // TIME-WAIT lasts 2 x MSL (here MSL 500 ms), then the connection is gone.
    const t0 = segs[0].t;
    expect(events).toEqual([`end@${t0 + 330}`]);
    p.run(1000);
    expect(events).toEqual([`end@${t0 + 330}`, `close@${t0 + 1330}:false`]);
    expect(p.h1.tcp.connectionCount).toBe(0);
    await p.close();
  });
});
