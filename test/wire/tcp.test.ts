// TCP: real segments both ways (options included), checksum traps (IPv4 options, recomputation,
// a value set on purpose), option parsing (unknown kept raw, bad lengths noted, never thrown),
// truncation, and random values through encode/decode.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import { ipv6 } from '../../src/wire/ipv6.ts';
import type { DecodedLayer } from '../../src/wire/layer.ts';
import { decodeTcp, tcp, tcpFlagBits, type Tcp } from '../../src/wire/tcp.ts';
import { encodeTcpOptions, parseTcpOptions } from '../../src/wire/tcp-options.ts';

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** tcp-handshake-options-http-zeek.pcap frame 1: SYN with MSS, NOPs, SACK permitted, WS, timestamps. */
const SYN = bytes(
  '0010dbff3008000e0ca9b008080045000040c0a2400040069f8ab2c864c8607e627c9c28005027387bdb00000000b0024000c2690000020405b401010402010303000101080aed372c4800000000',
);
/** Same capture, frame 13: ACK with timestamps and a SACK block. */
const SACK = bytes(
  '000e0ca9b0080010dbff3008080045000040f41e40003606760e607e627cb2c864c800509c28848dc1e227387c76b01000eb245100000101080a249f34cbed372c490101050a27387c7527387c76',
);
/** ipv4-options-pcapplusplus.pcap frame 4: TCP under an IPv4 header with 40 bytes of options. */
const IP_OPTIONS = bytes(
  '080027191c78c412f5ff72e808004f000050000040004006ead80a00008a0a000006072710010203040a00008a0a00008a0000000000000000000000000000000000000000000000000000000a85000000001928c73a50140000b0590000',
);

function tcpOf(layers: readonly DecodedLayer[]): DecodedLayer<string, Tcp> {
  const l = layers.find((x) => x.kind === 'tcp');
  if (l === undefined) throw new Error('no tcp layer');
  return l as DecodedLayer<string, Tcp>;
}

function packet(data: Uint8Array, linkType = 1, n = 1): CapturedPacket {
  return {
    number: n,
    interfaceId: 0,
    iface: { linkType, snapLength: 262144, tsResolution: 1e6, fcsLength: 0, container: 'pcap' },
    tsSec: 1_600_000_000 + n,
    tsNsec: 0,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  };
}

describe('tcp: real segments', () => {
  it('decodes a SYN with its options and their absolute offsets', () => {
    const { layers, malformed } = decode(SYN, 1);
    expect(malformed).toEqual([]);
    const t = tcpOf(layers).value;
    expect(t).toMatchObject({
      srcPort: 39976,
      dstPort: 80,
      seq: 658013147,
      ack: 0,
      dataOffset: 11,
      headerLength: 44,
      window: 16384,
      checksum: 0xc269,
      checksumStatus: 'good',
      urgentPointer: 0,
      segmentLength: 0,
    });
    expect(t.flags).toMatchObject({ syn: true, ack: false, raw: 0x002 });
    expect(t.options.map((o) => `${o.type}@${o.offset}`)).toEqual([
      'mss@54',
      'nop@58',
      'nop@59',
      'sack-permitted@60',
      'nop@62',
      'wscale@63',
      'nop@66',
      'nop@67',
      'timestamp@68',
    ]);
    expect(t.options[0]).toMatchObject({ mss: 1460 });
    expect(t.options[5]).toMatchObject({ shift: 0 });
    expect(t.options[8]).toMatchObject({ tsval: 3979816008, tsecr: 0 });
  });

  it('re-emits the SYN byte for byte from the decoded fields', () => {
    const t = tcpOf(decode(SYN, 1).layers).value;
    const out = encode([
      ethernet({ src: '00:0e:0c:a9:b0:08', dst: '00:10:db:ff:30:08' }),
      ipv4({ src: '178.200.100.200', dst: '96.126.98.124', id: 0xc0a2, df: true, ttl: 64 }),
      tcp({ sport: t.srcPort, dport: t.dstPort, seq: t.seq, ack: t.ack, flags: t.flags.raw, window: t.window, options: t.options }),
    ]);
    expect(hexOf(out)).toBe(hexOf(SYN));
  });

  it('re-emits a segment with a SACK block byte for byte', () => {
    const t = tcpOf(decode(SACK, 1).layers).value;
    expect(t.options.find((o) => o.type === 'sack')).toMatchObject({ blocks: [{ left: 658013301, right: 658013302 }] });
    const out = encode([
      ethernet({ src: '00:10:db:ff:30:08', dst: '00:0e:0c:a9:b0:08' }),
      ipv4({ src: '96.126.98.124', dst: '178.200.100.200', id: 0xf41e, df: true, ttl: 54 }),
      tcp({ sport: t.srcPort, dport: t.dstPort, seq: t.seq, ack: t.ack, flags: 'A', window: t.window, options: t.options }),
    ]);
    expect(hexOf(out)).toBe(hexOf(SACK));
  });

  it('decodes every prefix of the frame without throwing', () => {
    for (let n = 0; n <= SYN.length; n++) {
      const r = decode(SYN.subarray(0, n), 1);
      expect(r.layers.length).toBeGreaterThan(0);
    }
  });
});

describe('tcp: checksums', () => {
  it('verifies a segment under an IPv4 header with options (pseudo-header: addresses only)', () => {
    const t = tcpOf(decode(IP_OPTIONS, 1).layers).value;
    expect(t.checksum).toBe(0xb059);
    expect(t.checksumStatus).toBe('good');
    // The builder computes the same value under the same IPv4 options.
    const out = encode([
      ethernet({ src: 'c4:12:f5:ff:72:e8', dst: '08:00:27:19:1c:78' }),
      ipv4({ src: '10.0.0.138', dst: '10.0.0.6', df: true, ttl: 64, options: IP_OPTIONS.subarray(34, 74) }),
      tcp({ sport: t.srcPort, dport: t.dstPort, seq: t.seq, ack: t.ack, flags: 'RA', window: t.window }),
    ]);
    expect(hexOf(out)).toBe(hexOf(IP_OPTIONS));
  });

  it('recomputes over a filled checksum field, and uses an explicit value as is', () => {
    const good = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1, dport: 2, flags: 'PA' }), payload('hello')]);
    const sum = (good[36] << 8) | good[37];
    const broken = Uint8Array.from(good);
    broken[36] ^= 0xff;
    const t = tcpOf(decode(broken, 228).layers).value;
    expect(t.checksumStatus).toBe('bad');
    expect(t.checksumComputed).toBe(sum);
    const wrong = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1, dport: 2, checksum: 0xbeef }), payload('hello')]);
    expect((wrong[36] << 8) | wrong[37]).toBe(0xbeef);
    expect(dissect(packet(wrong, 228)).columns.info).toBe('1 \u2192 2 [SYN] Seq=0 Win=8192 [TCP CHECKSUM INCORRECT] Len=5');
  });

  it('verifies over IPv6', () => {
    const f = encode([ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }), tcp({ sport: 443, dport: 5555, flags: 'SA', seq: 9, ack: 10 })]);
    expect(tcpOf(decode(f, 229).layers).value.checksumStatus).toBe('good');
  });

  it('leaves a segment cut by the capture unverified', () => {
    const f = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1, dport: 2, flags: 'PA' }), payload('hello world')]);
    const t = tcpOf(decode(f.subarray(0, f.length - 3), 228).layers);
    expect(t.value.checksumStatus).toBe('unverified');
    expect(t.value.segmentLength).toBe(11);
  });
});

describe('tcp: options', () => {
  it('keeps unknown options raw with kind and length', () => {
    const o = parseTcpOptions(Uint8Array.of(0x63, 4, 1, 2, 1, 0), 0, 6);
    expect(o.options[0]).toMatchObject({ type: 'unknown', kind: 0x63, length: 4, offset: 0 });
    expect(Array.from((o.options[0] as { data: Uint8Array }).data)).toEqual([1, 2]);
    expect(o.options.map((x) => x.type)).toEqual(['unknown', 'nop', 'eol']);
  });

  it('notes a bad option length instead of throwing, and stops there', () => {
    const tooShort = parseTcpOptions(Uint8Array.of(2, 1, 1, 1), 0, 4);
    expect(tooShort.options).toEqual([{ type: 'invalid-length', kind: 2, offset: 0, length: 1, reason: 'too-short' }]);
    const pastEnd = parseTcpOptions(Uint8Array.of(1, 2, 9, 5), 0, 4);
    expect(pastEnd.options.map((x) => x.type)).toEqual(['nop', 'invalid-length']);
    expect(pastEnd.options[1]).toMatchObject({ reason: 'past-end', length: 9 });
    const wrong = parseTcpOptions(Uint8Array.of(2, 3, 5, 0), 0, 4);
    expect(wrong.options[0]).toMatchObject({ type: 'wrong-length', kind: 2, expected: 4 });
    expect([tooShort, pastEnd, wrong].every((r) => r.malformed.length === 0)).toBe(true);
  });

  it('marks a SACK option without a whole block malformed', () => {
    const r = parseTcpOptions(Uint8Array.of(1, 1, 5, 2), 0, 4);
    expect(r.malformed).toHaveLength(1);
  });

  it('flags non-zero bytes after an EOL, and lists zero padding as EOLs', () => {
    expect(parseTcpOptions(Uint8Array.of(0, 1, 0, 0), 0, 4).options).toEqual([{ type: 'eol', kind: 0, offset: 0, length: 1, nonZeroPadding: true }]);
    expect(parseTcpOptions(Uint8Array.of(4, 2, 0, 0), 0, 4).options.map((o) => o.type)).toEqual(['sack-permitted', 'eol', 'eol']);
  });

  it('emits the scapy-style forms and pads to 4 bytes', () => {
    const b = encodeTcpOptions([{ mss: 1460 }, 'sack-permitted', { timestamp: [1, 2] }, 'nop', { wscale: 7 }]);
    expect(hexOf(b)).toBe('020405b40402080a00000001000000020103030700'.slice(0, 40));
    expect(b.length % 4).toBe(0);
    expect(hexOf(encodeTcpOptions([{ kind: 'mss', value: 536 }]))).toBe('02040218');
  });
});

describe('tcp: builder', () => {
  it('fills data offset, flags and checksum; any field set is used as given', () => {
    const f = encode([
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
      tcp({ sport: 1, dport: 2, dataOffset: 15, urgentPointer: 7, flags: { urg: true, ack: true } }),
    ]);
    const t = tcpOf(decode(f, 228).layers);
    expect(t.value.dataOffset).toBe(15);
    expect(t.value.flags).toMatchObject({ urg: true, ack: true, syn: false });
    expect(t.malformed.length).toBeGreaterThan(0);
    expect(tcpFlagBits('SEC')).toBe(0x0c2);
    expect(tcpFlagBits('N')).toBe(0x100);
    expect(() => tcpFlagBits('Z')).toThrow(/unknown flag letter/);
  });

  it('decodes a header with a data offset under 5 as bogus, not as a throw', () => {
    const f = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 1, dport: 2, dataOffset: 4 })]);
    const t = tcpOf(decode(f, 228).layers);
    expect(t.value.bogusHeaderLength).toBe(true);
    expect(dissect(packet(f, 228)).columns.info).toBe('1 \u2192 2 [SYN] Seq=0 Win=8192, bogus TCP header length (16, must be at least 20)');
  });
});

describe('tcp: what tshark computes per stream', () => {
  it('relative numbers, window scaling learnt from both SYNs, completeness shown before the update', () => {
    const state = new DissectState();
    const c = (o: Parameters<typeof tcp>[0], data = ''): Uint8Array => encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp(o), payload(data)]);
    const s = (o: Parameters<typeof tcp>[0], data = ''): Uint8Array => encode([ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), tcp(o), payload(data)]);
    const frames = [
      c({ sport: 4000, dport: 80, flags: 'S', seq: 1000, options: [{ mss: 1460 }, { wscale: 2 }] }),
      s({ sport: 80, dport: 4000, flags: 'SA', seq: 5000, ack: 1001, options: [{ mss: 1460 }, { wscale: 7 }] }),
      c({ sport: 4000, dport: 80, flags: 'PA', seq: 1001, ack: 5001, window: 100 }, 'hello'),
      s({ sport: 80, dport: 4000, flags: 'A', seq: 5001, ack: 1006, window: 10 }),
    ];
    const ds = frames.map((f, i) => dissect(packet(f, 228, i + 1), state));
    const col = (name: string): string[] => ds.map((d) => fieldText(d, name));
    expect(col('tcp.seq')).toEqual(['0', '0', '1', '1']);
    expect(col('tcp.ack')).toEqual(['0', '1', '1', '6']);
    expect(col('tcp.nxtseq')).toEqual(['1', '1', '6', '1']);
    expect(col('tcp.window_size')).toEqual(['8192', '8192', '400', '1280']);
    expect(col('tcp.window_size_scalefactor')).toEqual(['', '', '4', '128']);
    expect(col('tcp.completeness')).toEqual(['0', '1', '3', '11']);
    expect(col('tcp.flags')).toEqual(['0x0002', '0x0012', '0x0018', '0x0010']);
    expect(col('tcp.flags.str')[2]).toBe('\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7AP\u00b7\u00b7\u00b7');
    expect(ds[0].columns.info).toBe('4000 \u2192 80 [SYN] Seq=0 Win=8192 Len=0 MSS=1460 WS=4');
    expect(ds[2].columns.info).toBe('4000 \u2192 80 [PSH, ACK] Seq=1 Ack=1 Win=400 Len=5');
    expect(ds[2].protos.find((p) => p.proto === 'tcp')?.label).toBe('Transmission Control Protocol, Src Port: 4000, Dst Port: 80, Seq: 1, Ack: 1, Len: 5');
  });

  it('runs the SEQ/ACK analysis: acked frame and RTT, bytes in flight, dup ACKs, retransmissions', () => {
    const state = new DissectState();
    const c = (o: Parameters<typeof tcp>[0], data = ''): Uint8Array =>
      encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ window: 1000, ...o }), payload(data)]);
    const s = (o: Parameters<typeof tcp>[0]): Uint8Array => encode([ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }), tcp({ window: 1000, ...o })]);
    const x = 'x'.repeat(100);
    const frames = [
      c({ sport: 1000, dport: 5001, flags: 'S', seq: 100 }),
      s({ sport: 5001, dport: 1000, flags: 'SA', seq: 900, ack: 101 }),
      c({ sport: 1000, dport: 5001, flags: 'A', seq: 101, ack: 901 }),
      c({ sport: 1000, dport: 5001, flags: 'PA', seq: 101, ack: 901 }, x),
      s({ sport: 5001, dport: 1000, flags: 'A', seq: 901, ack: 201 }),
      s({ sport: 5001, dport: 1000, flags: 'A', seq: 901, ack: 201 }),
      c({ sport: 1000, dport: 5001, flags: 'PA', seq: 101, ack: 901 }, x),
    ];
    const ds = frames.map((f, i) => dissect({ ...packet(f, 228, i + 1), tsNsec: i * 1_000_000 }, state));
    const col = (name: string): string[] => ds.map((d) => fieldText(d, name));
    expect(col('tcp.analysis.acks_frame')).toEqual(['', '1', '2', '', '4', '', '']);
    expect(col('tcp.analysis.bytes_in_flight')).toEqual(['', '', '', '100', '', '', '100']);
    expect(col('tcp.analysis.duplicate_ack_frame')).toEqual(['', '', '', '', '', '5', '']);
    expect(ds[5].columns.info.startsWith('[TCP Dup ACK 5#1] 5001 \u2192 1000 [ACK]')).toBe(true);
    expect(ds[6].columns.info.startsWith('[TCP Spurious Retransmission] 1000 \u2192 5001')).toBe(true);
    expect(fieldText(ds[6], 'data.data')).toBe('');
  });

  it('starts relative numbers at 1 without a SYN, and reports the scale factor as unknown', () => {
    const f = encode([ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 5, dport: 6, flags: 'A', seq: 777, ack: 999 })]);
    const d = dissect(packet(f, 228));
    expect([fieldText(d, 'tcp.seq'), fieldText(d, 'tcp.ack'), fieldText(d, 'tcp.window_size_scalefactor')]).toEqual(['1', '1', '-1']);
  });
});

describe('tcp: property', () => {
  it('random header fields and payloads survive encode/decode with a good checksum', () => {
    fc.assert(
      fc.property(
        fc.record({
          sport: fc.integer({ min: 0, max: 65535 }),
          dport: fc.integer({ min: 0, max: 65535 }),
          seq: fc.nat({ max: 0xffffffff }),
          ack: fc.nat({ max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 0xfff }),
          window: fc.integer({ min: 0, max: 65535 }),
          urgentPointer: fc.integer({ min: 0, max: 65535 }),
        }),
        fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
        fc.uint8Array({ maxLength: 48 }),
        (h, mss, data) => {
          const options = mss === undefined ? [] : [{ mss }, 'nop' as const, 'nop' as const, { timestamp: [h.seq, h.ack] as const }];
          const f = encode([ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }), tcp({ ...h, options }), payload(data)]);
          const t = tcpOf(decode(f, 228).layers).value;
          const { sport, dport, flags, ...rest } = h;
          expect(t).toMatchObject({ ...rest, srcPort: sport, dstPort: dport, checksumStatus: 'good', segmentLength: data.length });
          expect(t.flags.raw).toBe(flags);
          if (mss !== undefined) expect(t.options[0]).toMatchObject({ type: 'mss', mss });
        },
      ),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const step = decodeTcp({ frame: b, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, 0, b.length);
        expect(step.payloadOffset).toBeLessThanOrEqual(b.length);
      }),
    );
  });
});
