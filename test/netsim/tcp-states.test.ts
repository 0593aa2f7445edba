// The edges of TCP's state machine: RST to a closed port, RFC 5961's challenge ACK to an in-window RST
// or SYN, simultaneous open and simultaneous close, half-close, a SYN flood against a listener
// (memory stays bounded and a real client still connects), and the lab-only predictable ISN mode.

import { describe, expect, it } from 'vitest';
import { encode, ethernet, ipv4, tcp } from '../../src/wire/index.ts';
import type { TcpStateChange, VirtualTcpSocket } from '../../src/netsim/tcp/index.ts';
import { WEAK_ISN_PER_CONNECTION } from '../../src/netsim/tcp/index.ts';
import { pair, segments, type Pair } from './tcp-testbed.ts';

const H1_MAC = '02:00:00:00:00:01';
const H2_MAC = '02:00:00:00:00:02';

/** A segment put on h1's wire toward h2 (it may claim any source). */
function inject(p: Pair, t: { src?: string; sport: number; dport: number; seq: number; ack?: number; flags: string; data?: string }): void {
  const layers = [
    ethernet({ src: H1_MAC, dst: H2_MAC }),
    ipv4({ src: t.src ?? '10.0.0.1', dst: '10.0.0.2', ttl: 64 }),
    tcp({ sport: t.sport, dport: t.dport, seq: t.seq, ack: t.ack ?? 0, flags: t.flags, window: 1024 }),
  ];
  const frame = encode(t.data === undefined ? layers : [...layers, { kind: 'raw', emit: () => new TextEncoder().encode(t.data) } as never]);
  p.ports.h1.send(frame);
}

const states = (s: VirtualTcpSocket): string[] => {
  const out: string[] = [];
  s.on('state', (c: TcpStateChange) => out.push(c.to));
  return out;
};

describe('TCP resets', () => {
  it('answers a SYN to a closed port with RST+ACK (ack = ISN+1); connect fails with ECONNREFUSED', async () => {
    const p = pair();
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 81 });
    const errors: string[] = [];
    let hadError: boolean | undefined;
    client.on('error', (e) => errors.push(e.code));
    client.on('close', (e) => (hadError = e));
    p.run(20);
    const [syn, rst] = segments(p.log);
    expect(rst).toMatchObject({ from: 'h2', flags: 'R.', seq: 0, ack: (syn.seq + 1) >>> 0, len: 0 });
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(hadError).toBe(true);
    expect(p.h2.tcp.stats.noPort).toBe(1);
    await p.close();
  });

  it('answers a stray ACK with a RST whose seq is the ACK number, and never answers a RST', async () => {
    const p = pair();
    inject(p, { sport: 4000, dport: 9, seq: 100, ack: 5555, flags: 'A' });
    inject(p, { sport: 4000, dport: 9, seq: 100, flags: 'R' });
    p.run(20);
    const fromH2 = segments(p.log).filter((s) => s.from === 'h2');
    expect(fromH2).toHaveLength(1);
    expect(fromH2[0]).toMatchObject({ flags: 'R', seq: 5555 });
    await p.close();
  });

  it('RFC 5961: an in-window RST that is not exactly RCV.NXT gets a challenge ACK; the exact one resets', async () => {
    const p = pair();
    let server: VirtualTcpSocket | undefined;
    p.h2.tcp.listen(80, (s) => (server = s));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    const rcvNxt = server!.info().rcvNxt;
    p.log.length = 0;
    inject(p, { sport: client.localPort, dport: 80, seq: (rcvNxt + 1000) >>> 0, flags: 'R' });
    p.run(10);
    expect(server?.state).toBe('ESTABLISHED');
    expect(
      segments(p.log)
        .filter((s) => s.from === 'h2')
        .map((s) => s.flags),
    ).toEqual(['.']);
    expect(server?.info().counters.challengeAcks).toBe(1);
    // A SYN on an established connection: a challenge ACK too, never a reset.
    inject(p, { sport: client.localPort, dport: 80, seq: 12345, flags: 'S' });
    p.run(10);
    expect(server?.state).toBe('ESTABLISHED');
    expect(server?.info().counters.challengeAcks).toBe(2);
    const errors: string[] = [];
    server?.on('error', (e) => errors.push(e.code));
    inject(p, { sport: client.localPort, dport: 80, seq: rcvNxt, flags: 'R' });
    p.run(10);
    expect(server?.state).toBe('CLOSED');
    expect(errors).toEqual(['ECONNRESET']);
    await p.close();
  });
});

describe('RFC 5961 §7: challenge ACKs are rate-limited', () => {
  it('sends at most challengeAcksPerSecond in one second, counts the rest, and sends again in the next second', async () => {
    const p = pair({ tcp: { challengeAcksPerSecond: 3 } });
    let server: VirtualTcpSocket | undefined;
    p.h2.tcp.listen(80, (s) => (server = s));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    const rcvNxt = server!.info().rcvNxt;
    p.log.length = 0;
    for (let i = 0; i < 10; i++) inject(p, { sport: client.localPort, dport: 80, seq: (rcvNxt + 1000 + i) >>> 0, flags: 'R' });
    p.run(10);
    expect(segments(p.log).filter((s) => s.from === 'h2')).toHaveLength(3);
    expect(server?.info().counters.challengeAcks).toBe(3);
    expect(server?.info().counters.challengeAcksSuppressed).toBe(7);
    p.run(1000);
    inject(p, { sport: client.localPort, dport: 80, seq: (rcvNxt + 2000) >>> 0, flags: 'R' });
    p.run(10);
    expect(server?.info().counters.challengeAcks).toBe(4);
    expect(server?.state).toBe('ESTABLISHED');
    await p.close();
  });
});

describe('TCP simultaneous open and close, half-close', () => {
  it('opens simultaneously: SYN crossing SYN, both SYN-RECEIVED, both ESTABLISHED after the SYN-ACKs', async () => {
    const p = pair();
    const a = p.h1.tcp.connect({ host: '10.0.0.2', port: 6000, localPort: 5000 });
    const b = p.h2.tcp.connect({ host: '10.0.0.1', port: 5000, localPort: 6000 });
    const sa = states(a);
    const sb = states(b);
    let connects = 0;
    a.on('connect', () => connects++);
    b.on('connect', () => connects++);
    p.run(30);
    expect(segments(p.log).map((s) => `${s.from} ${s.flags}`)).toEqual(['h1 S', 'h2 S', 'h2 S.', 'h1 S.']);
    expect(sa).toEqual(['SYN-RECEIVED', 'ESTABLISHED']);
    expect(sb).toEqual(['SYN-RECEIVED', 'ESTABLISHED']);
    expect(connects).toBe(2);
    // Data flows both ways on it.
    const got: string[] = [];
    a.on('data', (d) => got.push(`a:${d}`));
    b.on('data', (d) => got.push(`b:${d}`));
    a.write('ping');
    b.write('pong');
    p.run(300);
    expect(got.sort()).toEqual(['a:pong', 'b:ping']);
    await p.close();
  });

  it('closes simultaneously: FIN crossing FIN, both CLOSING, both TIME-WAIT, then CLOSED after 2 MSL', async () => {
    const p = pair({ tcp: { mslMs: 1000 } });
    let server: VirtualTcpSocket | undefined;
    p.h2.tcp.listen(80, (s) => (server = s));
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    const sc = states(client);
    const ss = states(server!);
    client.resume();
    server!.resume();
    p.log.length = 0;
    client.end();
    server!.end();
    p.run(20);
    expect(segments(p.log).map((s) => `${s.from} ${s.flags}`)).toEqual(['h1 F.', 'h2 F.', 'h2 .', 'h1 .']);
    expect(sc).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    expect(ss).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    expect(p.h1.tcp.table().map((r) => r.state)).toEqual(['TIME-WAIT']);
    p.run(2000);
    expect(sc.at(-1)).toBe('CLOSED');
    expect(ss.at(-1)).toBe('CLOSED');
    expect(p.h1.tcp.connectionCount + p.h2.tcp.connectionCount).toBe(0);
    await p.close();
  });

  it('half-closes: after the client ends, the server still sends, and the client still reads', async () => {
    const p = pair({ tcp: { mslMs: 100 } });
    p.h2.tcp.listen(80, (s) => {
      const parts: Buffer[] = [];
      s.on('data', (b) => parts.push(b));
      s.on('end', () => {
        // The client has finished sending; answer at length, then close.
        const req = Buffer.concat(parts).toString();
        s.write(`you said ${req.length} bytes; `);
        p.clock.setTimer(() => s.end('goodbye'), 500);
      });
    });
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    const got: Buffer[] = [];
    client.on('data', (b) => got.push(b));
    client.on('connect', () => client.end('hello there'));
    const sc = states(client);
    p.run(100);
    expect(client.state).toBe('FIN-WAIT-2');
    expect(client.readyState).toBe('readOnly');
    p.run(1000);
    expect(Buffer.concat(got).toString()).toBe('you said 11 bytes; goodbye');
    expect(sc).toEqual(['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
    await p.close();
  });
});

describe('TCP under a SYN flood', () => {
  it('keeps at most maxHalfOpen half-open connections (oldest evicted), and a real client still connects', async () => {
    const p = pair({ tcp2: { maxHalfOpen: 64, synAckRetries: 1 } });
    const server = p.h2.tcp.listen(80, (s) => s.on('data', (b) => s.end(b)));
    let n = 0;
    const flood = (count: number): void => {
      for (let i = 0; i < count; i++, n++) {
        inject(p, { src: `10.0.${1 + ((n >>> 8) % 200)}.${n & 0xff}`, sport: 1024 + (n % 60000), dport: 80, seq: n * 7919, flags: 'S' });
      }
    };
    flood(2000);
    p.run(5);
    expect(server.halfOpen.size).toBe(64);
    expect(p.h2.tcp.connectionCount).toBe(64);
    expect(p.h2.tcp.stats.halfOpenEvicted).toBe(2000 - 64);
    // The flood goes on at 2 SYNs per ms while a real client connects and talks.
    const client = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    let echoed = '';
    client.on('data', (b) => (echoed += b.toString()));
    client.on('connect', () => client.write('still here'));
    for (let t = 0; t < 200; t++) {
      flood(2);
      p.run(1);
    }
    expect(echoed).toBe('still here');
    expect(p.h2.tcp.connectionCount).toBeLessThanOrEqual(64 + 1);
    // Once the flood stops, the half-open entries time out (SYN-ACK retried once).
    p.run(10_000);
    expect(server.halfOpen.size).toBe(0);
    await p.close();
  });
});

describe('ISN modes', () => {
  it('the lab-only weak mode makes ISNs predictable (+64000 per connection, +128000 per second)', async () => {
    const p = pair({ tcp2: { isn: 'weak-predictable-for-spoofing-lab' } });
    expect(p.h2.tcp.isnMode).toBe('weak-predictable-for-spoofing-lab');
    p.h2.tcp.listen(80);
    p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    const synAcks = segments(p.log).filter((s) => s.flags === 'S.');
    expect(synAcks).toHaveLength(2);
    expect((synAcks[1].seq - synAcks[0].seq) >>> 0).toBe(WEAK_ISN_PER_CONNECTION);
    await p.close();
  });
});

describe('TCP socket API errors', () => {
  it('names what was wrong: bad port, bad address, no route, write after end, a taken port', async () => {
    const p = pair();
    expect(() => p.h1.tcp.connect({ host: '10.0.0.2', port: 70000 })).toThrow(/EINVAL: connect: port must be 1 to 65535, got 70000/);
    expect(() => p.h1.tcp.connect({ host: '10.0.0.999', port: 80 })).toThrow(/EINVAL: connect:/);
    expect(() => p.h1.tcp.connect({ host: '192.0.2.1', port: 80 })).toThrow(/ENETUNREACH: connect: h1 has no route to 192.0.2.1/);
    p.h2.tcp.listen(80);
    expect(() => p.h2.tcp.listen(80)).toThrow(/EADDRINUSE/);
    expect(() => p.h2.tcp.listen({ port: 81, host: '10.0.0.9' })).toThrow(/EADDRNOTAVAIL: listen: h2 has no address 10.0.0.9/);
    const s = p.h1.tcp.connect({ host: '10.0.0.2', port: 80 });
    p.run(20);
    s.end();
    expect(() => s.write('late')).toThrow(/EPIPE: .*write after end\(\)/);
    await p.close();
  });
});
