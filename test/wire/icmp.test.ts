// ICMP: a real echo request and a real "port unreachable" both ways, the quoted datagram decoded as
// layers, checksum verdicts, echo matching and the data timestamp as tshark shows them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CapturedPacket } from '../../src/capture/types.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { fieldText } from '../../src/dissect/fields-output.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, payload } from '../../src/wire/encode.ts';
import { ethernet } from '../../src/wire/ethernet.ts';
import { decodeIcmp, icmp, type Icmp } from '../../src/wire/icmp.ts';
import { ipv4 } from '../../src/wire/ipv4.ts';
import type { DecodedLayer } from '../../src/wire/layer.ts';
import { tcp } from '../../src/wire/tcp.ts';
import { udp } from '../../src/wire/udp.ts';

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** icmp-echo-zeek.pcap frame 1: echo request with a timestamp in its data (Dec 8, 2020). */
const ECHO = bytes(
  'a683e70c9064000c29cf3015080045000054946a40004001bd04ac108502acd90b4e0800ef2404ca00018bcfcf5f00000000db0d0f0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);
/** icmp-many-types-pcapplusplus.pcapng frame 6: port unreachable quoting an IPv4/UDP probe. */
const UNREACHABLE = bytes(
  'c20966b00000c20d66d70000080045c0003800cc0000fb01a7350a0002020a0001020303b42a000000004500001c00e60000011101d80a000102ac100002c01e82a600080605',
);

function icmpLayers(layers: readonly DecodedLayer[]): DecodedLayer<string, Icmp>[] {
  return layers.filter((l) => l.kind === 'icmp') as DecodedLayer<string, Icmp>[];
}

function packet(data: Uint8Array, n = 1, tsSec = 1_607_454_603, tsNsec = 986_596_000): CapturedPacket {
  return {
    number: n,
    interfaceId: 0,
    iface: { linkType: 1, snapLength: 262144, tsResolution: 1e6, fcsLength: 0, container: 'pcap' },
    tsSec,
    tsNsec,
    data,
    origLength: data.length,
    comments: [],
    warnings: [],
  };
}

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

describe('icmp: echo', () => {
  it('decodes a real echo request and re-emits it byte for byte', () => {
    const { layers, malformed } = decode(ECHO, 1);
    expect(malformed).toEqual([]);
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'icmp', 'data']);
    const v = icmpLayers(layers)[0].value;
    expect(v).toMatchObject({ type: 8, code: 0, checksum: 0xef24, checksumStatus: 'good', id: 0x04ca, seq: 1, isError: false });
    const out = encode([
      ethernet({ src: '00:0c:29:cf:30:15', dst: 'a6:83:e7:0c:90:64' }),
      ipv4({ src: '172.16.133.2', dst: '172.217.11.78', id: 0x946a, df: true }),
      icmp({ type: 8, id: v.id, seq: v.seq }),
      payload(ECHO.subarray(42)),
    ]);
    expect(hexOf(out)).toBe(hexOf(ECHO));
  });

  it('shows the data timestamp and leaves 48 bytes of data, as tshark', () => {
    const d = dissect(packet(ECHO));
    expect(fieldText(d, 'icmp.ident')).toBe('1226');
    expect(fieldText(d, 'icmp.ident_le')).toBe('51716');
    expect(fieldText(d, 'icmp.seq_le')).toBe('256');
    expect(fieldText(d, 'icmp.data_time_relative')).toBe('0.986596000');
    expect(fieldText(d, 'data.len')).toBe('48');
    expect(d.columns.info).toBe('Echo (ping) request  id=0x04ca, seq=1/256, ttl=64');
  });

  it('matches a reply to its request (resp_to, resptime) and no second reply', () => {
    const state = new DissectState();
    const req = encode([ethernet(ETH), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 8, id: 9, seq: 3 }), payload('ping')]);
    const rep = encode([ethernet(ETH), ipv4({ src: '10.0.0.2', dst: '10.0.0.1', ttl: 60 }), icmp({ type: 0, id: 9, seq: 3 }), payload('ping')]);
    dissect(packet(req, 1, 100, 0), state);
    const r = dissect(packet(rep, 2, 100, 26_299_000), state);
    expect(fieldText(r, 'icmp.resp_to')).toBe('1');
    expect(fieldText(r, 'icmp.resptime')).toBe('26.299');
    expect(r.columns.info).toBe('Echo (ping) reply    id=0x0009, seq=3/768, ttl=60 (request in 1)');
    const again = dissect(packet(rep, 3, 101, 0), state);
    expect(fieldText(again, 'icmp.resp_to')).toBe('');
  });
});

describe('icmp: errors quote the datagram as layers', () => {
  it('decodes the quoted IPv4/UDP and re-emits the frame byte for byte', () => {
    const { layers, malformed } = decode(UNREACHABLE, 1);
    expect(malformed).toEqual([]);
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'udp']);
    const v = icmpLayers(layers)[0].value;
    expect(v).toMatchObject({ type: 3, code: 3, isError: true, checksumStatus: 'good', length: 0 });
    const out = encode([
      ethernet({ src: 'c2:0d:66:d7:00:00', dst: 'c2:09:66:b0:00:00' }),
      ipv4({ src: '10.0.2.2', dst: '10.0.1.2', id: 0x00cc, ttl: 251, dscp: 48 }),
      icmp({ type: 3, code: 3 }),
      ipv4({ src: '10.0.1.2', dst: '172.16.0.2', id: 0x00e6, ttl: 1 }),
      udp({ sport: 49182, dport: 33446 }),
    ]);
    expect(hexOf(out)).toBe(hexOf(UNREACHABLE));
  });

  it('keeps the outer addresses in the columns; the quoted UDP gets a stream and a verified checksum', () => {
    const d = dissect(packet(UNREACHABLE));
    expect(d.columns).toMatchObject({ src: '10.0.2.2', dst: '10.0.1.2', protocol: 'ICMP', info: 'Destination unreachable (Port unreachable)' });
    expect(fieldText(d, 'udp.checksum.status')).toBe('1');
    expect(fieldText(d, 'udp.stream')).toBe('0');
    expect(fieldText(d, 'icmp.unused')).toBe('00000000');
  });

  it('takes a quoted TCP header of 8 bytes without calling it malformed', () => {
    const quoted = encode([ipv4({ src: '10.0.0.2', dst: '10.0.0.9' }), tcp({ sport: 1111, dport: 80, seq: 1000 })]).subarray(0, 28);
    const f = encode([ethernet(ETH), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 11 }), payload(quoted)]);
    const r = decode(f, 1);
    expect(r.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'tcp']);
    expect(r.malformed).toEqual([]);
    const d = dissect(packet(f));
    expect(fieldText(d, 'tcp.seq')).toBe('1000');
    expect(fieldText(d, 'icmp.checksum.status')).toBe('1');
    expect(fieldText(d, 'tcp.srcport')).toBe('1111');
  });

  it('finds an RFC 4884 extension after 128 bytes of quoted datagram', () => {
    const quoted = new Uint8Array(128);
    quoted.set(encode([ipv4({ src: '10.0.0.2', dst: '10.0.0.9', ttl: 1 }), udp({ sport: 1, dport: 33435 })]));
    const ext = Uint8Array.of(0x20, 0, 0, 0, 0, 8, 1, 1, 0, 1, 0x61, 1);
    const f = encode([ethernet(ETH), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 11 }), payload(Uint8Array.from([...quoted, ...ext]))]);
    const v = icmpLayers(decode(f, 1).layers)[0].value;
    expect(v.extension).toMatchObject({ version: 2, objects: [{ length: 8, classNum: 1, cType: 1 }] });
    expect(fieldText(dissect(packet(f)), 'icmp.mpls.label')).toBe('22');
  });
});

describe('icmp: checksum and truncation', () => {
  it('a bad checksum is one argument away', () => {
    const f = encode([ethernet(ETH), ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), icmp({ type: 8, id: 1, seq: 2, checksum: 0x1234 }), payload('aaaa')]);
    const v = icmpLayers(decode(f, 1).layers)[0].value;
    expect(v.checksumStatus).toBe('bad');
    expect(fieldText(dissect(packet(f)), 'icmp.checksum.status')).toBe('0');
  });

  it('decodes every prefix of a frame without throwing', () => {
    for (const frame of [ECHO, UNREACHABLE]) {
      for (let n = 0; n <= frame.length; n++) expect(() => decode(frame.subarray(0, n), 1)).not.toThrow();
    }
  });
});

describe('icmp: property', () => {
  it('random type, code and second word survive encode/decode', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 40 }),
        (type, code, rest, data) => {
          const f = encode([ipv4({ src: '192.0.2.1', dst: '192.0.2.2' }), icmp({ type, code, rest }), payload(data)]);
          const v = icmpLayers(decode(f, 228).layers)[0].value;
          expect(v).toMatchObject({ type, code, rest, checksumStatus: 'good' });
        },
      ),
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const step = decodeIcmp({ frame: b, layers: [], options: { fcsLength: 0, verifyChecksums: true } }, 0, b.length);
        expect(step.payloadEnd).toBeLessThanOrEqual(b.length);
      }),
    );
  });
});
