import { describe, expect, it } from 'vitest';
import { TcpSynth, type TcpSegment } from '../../src/capture/tcp-synth.ts';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const brief = (s: TcpSegment): string => `${s.from[0]} ${s.flags} ${s.seq}/${s.ack} ${s.payload.length}`;

describe('TcpSynth', () => {
  it('opens with SYN, SYN-ACK, ACK carrying the MSS on the SYNs only', () => {
    const t = new TcpSynth();
    const segs = t.handshake();
    expect(segs.map(brief)).toEqual(['c S 0/0 0', 's SA 0/1 0', 'c A 1/1 0']);
    expect(segs.map((s) => s.mss)).toEqual([1460, 1460, undefined]);
    expect(segs.every((s) => s.window === 65535)).toBe(true);
  });

  it('cuts data to the MSS, pushes the last segment and is ACKed every second segment and at the end', () => {
    const t = new TcpSynth({ mss: 1000, window: 4000 });
    t.handshake();
    const segs = t.data('client', bytes(3500));
    expect(segs.map(brief)).toEqual(['c A 1/1 1000', 'c A 1001/1 1000', 's A 1/2001 0', 'c A 2001/1 1000', 'c PA 3001/1 500', 's A 1/3501 0']);
    // The data is the bytes given, in order.
    const joined = Buffer.concat(segs.filter((s) => s.from === 'client').map((s) => s.payload));
    expect(Buffer.compare(joined, Buffer.from(bytes(3500)))).toBe(0);
  });

  it('answers a request and a response, then closes with FIN/ACK both ways', () => {
    const t = new TcpSynth();
    t.handshake();
    const segs = [...t.data('client', bytes(5)), ...t.data('server', bytes(7)), ...t.fin('client'), ...t.fin('server')];
    expect(segs.map(brief)).toEqual(['c PA 1/1 5', 's A 1/6 0', 's PA 1/6 7', 'c A 6/8 0', 'c FA 6/8 0', 's A 8/7 0', 's FA 8/7 0', 'c A 7/9 0']);
    expect(t.closed).toBe(true);
  });

  it('never sends two pure ACKs with the same number from one side', () => {
    const t = new TcpSynth({ mss: 100, window: 1000 });
    const all = [...t.handshake()];
    for (const n of [1, 100, 101, 250, 7, 400]) all.push(...t.data(n % 2 === 0 ? 'client' : 'server', bytes(n)));
    all.push(...t.fin('server'), ...t.fin('client'));
    for (const side of ['client', 'server'] as const) {
      const acks = all.filter((s) => s.from === side && s.flags === 'A' && s.payload.length === 0).map((s) => s.ack);
      expect(new Set(acks).size).toBe(acks.length);
      expect([...acks].sort((a, b) => a - b)).toEqual(acks);
    }
  });

  it('resets with RST/ACK at the next sequence number and ignores what follows', () => {
    const t = new TcpSynth();
    t.handshake();
    t.data('client', bytes(10));
    expect(t.reset('server').map(brief)).toEqual(['s RA 1/11 0']);
    expect(t.data('client', bytes(3))).toEqual([]);
    expect(t.fin('client')).toEqual([]);
    expect(t.state).toBe('reset');
    expect(t.anomalies.length).toBe(1);
  });

  it('refuses a window that cannot hold two segments', () => {
    expect(() => new TcpSynth({ mss: 1460, window: 2000 })).toThrow(/two segments/);
  });

  it('wraps sequence numbers past 2^32 - 1', () => {
    const t = new TcpSynth({ mss: 30000, window: 65535 });
    t.handshake();
    const chunk = bytes(30000);
    const n = Math.ceil(2 ** 32 / 30000) + 3;
    let last: TcpSegment[] = [];
    for (let i = 0; i < n; i++) last = t.data('client', chunk);
    expect(last[0].seq).toBe((1 + (n - 1) * 30000) % 2 ** 32);
    expect(last[1].ack).toBe((1 + n * 30000) % 2 ** 32);
  });
});
