import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  encodeProxyHeader,
  encodeProxyV1,
  encodeProxyV2,
  parseProxyHeader,
  PROXY_TLV,
  PROXY_V2_SIGNATURE,
  proxyTlv,
  type ProxyFamily,
} from '../../src/wire/proxy-protocol.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function ok(b: Uint8Array) {
  const v = parseProxyHeader(b);
  if (v.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(v)}`);
  return v.header;
}

describe('CRC32C', () => {
  it('has the check value of RFC 3720', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
});

describe('PROXY v1', () => {
  it('encodes and parses TCP4, TCP6 and UNKNOWN', () => {
    const b = encodeProxyV1({ family: 'tcp4', source: '192.0.2.1', destination: '198.51.100.2', sourcePort: 51234, destinationPort: 443 });
    expect(new TextDecoder().decode(b)).toBe('PROXY TCP4 192.0.2.1 198.51.100.2 51234 443\r\n');
    const h = ok(concat(b, ascii('GET / HTTP/1.1\r\n')));
    expect(h).toMatchObject({
      version: 1,
      family: 'tcp4',
      source: '192.0.2.1',
      destination: '198.51.100.2',
      sourcePort: 51234,
      destinationPort: 443,
      length: b.length,
    });
    const six = ok(encodeProxyV1({ family: 'tcp6', source: '2001:db8::1', destination: '::1', sourcePort: 1, destinationPort: 65535 }));
    expect(six).toMatchObject({ family: 'tcp6', source: '2001:db8::1', destination: '::1', sourcePort: 1, destinationPort: 65535 });
    expect(ok(encodeProxyV1({ family: 'unspec' }))).toMatchObject({ family: 'unspec', length: 15 });
    expect(ok(ascii('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n')).family).toBe('unspec');
  });

  it('says incomplete for every strict prefix of a header, and absent for other protocols', () => {
    const b = encodeProxyV1({ family: 'tcp4', source: '10.0.0.1', destination: '10.0.0.2', sourcePort: 1000, destinationPort: 80 });
    for (let n = 1; n < b.length; n++) expect(parseProxyHeader(b.subarray(0, n)).status).toBe('incomplete');
    expect(parseProxyHeader(ascii('GET / HTTP/1.1\r\n')).status).toBe('absent');
    expect(parseProxyHeader(Uint8Array.of(0x16, 3, 1)).status).toBe('absent');
    expect(parseProxyHeader(ascii('PROXZ')).status).toBe('absent');
  });

  it.each([
    ['PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', 6, 'TCP4, TCP6 or UNKNOWN'],
    ['PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', 11, 'not an IPv4'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 27, 'not a port'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', 29, 'not a port'],
    ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 6, '6 space-separated'],
    ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 11, 'not an IPv6'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', 31, 'CR not followed by LF'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 30, 'not allowed'],
  ])('rejects %j at offset %i', (text, offset, reason) => {
    const v = parseProxyHeader(ascii(text));
    expect(v).toMatchObject({ status: 'invalid', version: 1, offset });
    expect(v.status === 'invalid' && v.reason).toContain(reason);
  });

  it('rejects a line without CRLF in 107 bytes', () => {
    const v = parseProxyHeader(ascii(`PROXY UNKNOWN ${'x'.repeat(200)}`));
    expect(v).toMatchObject({ status: 'invalid', offset: 107 });
  });
});

describe('PROXY v2', () => {
  it('round-trips every family, both commands and the TLVs', () => {
    const cases: [ProxyFamily, string | undefined, string | undefined][] = [
      ['tcp4', '192.0.2.1', '198.51.100.2'],
      ['udp4', '10.1.2.3', '10.3.2.1'],
      ['tcp6', '2001:db8::1', '2001:db8::2'],
      ['udp6', '::1', 'fe80::1'],
      ['unix-stream', '/run/client.sock', '/run/server.sock'],
      ['unix-dgram', '@abstract', '/x'],
      ['unspec', undefined, undefined],
    ];
    for (const [family, source, destination] of cases) {
      const ports = family.startsWith('unix') || family === 'unspec' ? {} : { sourcePort: 40000, destinationPort: 53 };
      const b = encodeProxyV2({
        family,
        source,
        destination,
        ...ports,
        tlvs: [
          proxyTlv.alpn('h2'),
          proxyTlv.authority('www.example.test'),
          proxyTlv.uniqueId('conn-1'),
          proxyTlv.netns('blue'),
          proxyTlv.ssl({ version: 'TLSv1.3', cn: 'client', cipher: 'TLS_AES_128_GCM_SHA256', sigAlg: 'SHA256', keyAlg: 'RSA2048' }),
          proxyTlv.noop(3),
        ],
        crc32c: true,
      });
      const h = ok(concat(b, ascii('payload')));
      expect(h).toMatchObject({
        version: 2,
        command: 'proxy',
        family,
        ...(source === undefined ? {} : { source, destination }),
        ...ports,
        checksum: 'good',
        length: b.length,
      });
      if (source === undefined) expect(h.source).toBeUndefined();
      const names = h.tlvs.map((t) => t.type);
      expect(names).toEqual([PROXY_TLV.alpn, PROXY_TLV.authority, PROXY_TLV.uniqueId, PROXY_TLV.netns, PROXY_TLV.ssl, PROXY_TLV.noop, PROXY_TLV.crc32c]);
      expect(h.tlvs[0].text).toBe('h2');
      expect(h.tlvs[1].text).toBe('www.example.test');
      expect(h.tlvs[3].text).toBe('blue');
      const ssl = h.tlvs[4].ssl;
      expect(ssl?.client).toBe(1);
      expect(ssl?.verify).toBe(0);
      expect(ssl?.tlvs.map((t) => t.text)).toEqual(['TLSv1.3', 'client', 'TLS_AES_128_GCM_SHA256', 'SHA256', 'RSA2048']);
    }
    const local = ok(encodeProxyV2({ family: 'unspec', command: 'local' }));
    expect(local).toMatchObject({ command: 'local', family: 'unspec', length: 16, v2Length: 0 });
  });

  it('encodes v1 or v2 from socket addresses, IPv4-mapped ones included', () => {
    const h = ok(encodeProxyHeader(2, { source: '::ffff:127.0.0.5', sourcePort: 1234, destination: '127.0.0.1', destinationPort: 80 }));
    expect(h).toMatchObject({ family: 'tcp4', source: '127.0.0.5' });
    const m = ok(encodeProxyHeader(1, { source: '::1', sourcePort: 1, destination: '127.0.0.1', destinationPort: 2 }));
    expect(m).toMatchObject({ family: 'tcp6', source: '::1', destination: '::ffff:127.0.0.1' });
  });

  it('a wrong CRC32C makes the header invalid (or is reported when not verified)', () => {
    const b = encodeProxyV2({ family: 'tcp4', source: '1.2.3.4', destination: '5.6.7.8', sourcePort: 1, destinationPort: 2, crc32c: true });
    b[17] ^= 1;
    expect(parseProxyHeader(b)).toMatchObject({ status: 'invalid', version: 2, offset: 16 + 12 + 3 });
    const lax = parseProxyHeader(b, 0, b.length, { verifyChecksum: false });
    expect(lax.status === 'ok' && lax.header.checksum).toBe('bad');
  });

  it('says incomplete for every strict prefix', () => {
    const b = encodeProxyV2({ family: 'tcp6', source: '::1', destination: '::2', sourcePort: 1, destinationPort: 2, tlvs: [proxyTlv.alpn('http/1.1')] });
    for (let n = 1; n < b.length; n++) expect(parseProxyHeader(b.subarray(0, n)).status).toBe('incomplete');
  });

  const base = (): Uint8Array => encodeProxyV2({ family: 'tcp4', source: '1.2.3.4', destination: '5.6.7.8', sourcePort: 1, destinationPort: 2 });
  it.each([
    ['version 1 in v2', (b: Uint8Array) => (b[12] = 0x11), 12, 'version'],
    ['command 2', (b: Uint8Array) => (b[12] = 0x22), 12, 'command'],
    ['family 0x13', (b: Uint8Array) => (b[13] = 0x13), 13, 'family'],
    ['family 0x41', (b: Uint8Array) => (b[13] = 0x41), 13, 'family'],
  ])('rejects %s', (_n, mutate, offset, reason) => {
    const b = base();
    mutate(b);
    const v = parseProxyHeader(b);
    expect(v).toMatchObject({ status: 'invalid', offset });
    expect(v.status === 'invalid' && v.reason).toContain(reason);
  });

  it('rejects a length shorter than the addresses, and TLVs that overrun', () => {
    const b = base();
    b[15] = 11;
    expect(parseProxyHeader(b.subarray(0, 27))).toMatchObject({ status: 'invalid', offset: 14 });
    const t = encodeProxyV2({ family: 'tcp4', source: '1.2.3.4', destination: '5.6.7.8', sourcePort: 1, destinationPort: 2, tlvs: [proxyTlv.alpn('h2')] });
    t[29] = 9; // the ALPN TLV's length low byte
    expect(parseProxyHeader(t)).toMatchObject({ status: 'invalid', offset: 29 });
    const short = encodeProxyV2({
      family: 'tcp4',
      source: '1.2.3.4',
      destination: '5.6.7.8',
      sourcePort: 1,
      destinationPort: 2,
      tlvs: [{ type: PROXY_TLV.crc32c, value: new Uint8Array(2) }],
    });
    expect(parseProxyHeader(short)).toMatchObject({ status: 'invalid', offset: 29 });
    const uid = encodeProxyV2({ family: 'unspec', tlvs: [{ type: PROXY_TLV.uniqueId, value: new Uint8Array(129) }] });
    expect(parseProxyHeader(uid)).toMatchObject({ status: 'invalid', offset: 17 });
    const ssl = encodeProxyV2({ family: 'unspec', tlvs: [{ type: PROXY_TLV.ssl, value: Uint8Array.of(1, 0, 0, 0, 0, PROXY_TLV.alpn, 0, 0) }] });
    expect(parseProxyHeader(ssl)).toMatchObject({ status: 'invalid', offset: 16 + 8 });
    const dangling = encodeProxyV2({ family: 'unspec', tlvs: [{ type: 0xe0, value: new Uint8Array(0) }] });
    const cut = concat(dangling.subarray(0, 16), Uint8Array.of(0xe0, 0));
    cut[15] = 2;
    expect(parseProxyHeader(cut)).toMatchObject({ status: 'invalid', offset: 16 });
  });

  it('refuses to encode what the format cannot carry', () => {
    expect(() => encodeProxyV1({ family: 'udp4', source: '1.2.3.4', destination: '1.2.3.4', sourcePort: 1, destinationPort: 1 })).toThrow(/TCP/);
    expect(() => encodeProxyV1({ family: 'tcp4', source: '::1', destination: '1.2.3.4', sourcePort: 1, destinationPort: 1 })).toThrow(/IPv4/);
    expect(() => encodeProxyV2({ family: 'tcp4', source: '1.2.3.4', destination: '1.2.3.4', sourcePort: 70000, destinationPort: 1 })).toThrow(/port/);
    expect(() => proxyTlv.uniqueId(new Uint8Array(129))).toThrow(/128/);
  });

  it('never throws on hostile bytes, and ok verdicts stay inside the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.nat(30), (tail, v2, cut) => {
        const head = v2 ? concat(PROXY_V2_SIGNATURE, tail) : concat(ascii('PROXY '), tail);
        const b = head.subarray(0, Math.max(0, head.length - cut));
        const v = parseProxyHeader(b);
        if (v.status === 'ok') expect(v.header.length).toBeLessThanOrEqual(b.length);
        if (v.status === 'invalid') expect(v.offset).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid headers either parse within bounds or are invalid with a reason', () => {
    const good = encodeProxyV2({
      family: 'tcp6',
      source: '::1',
      destination: '::2',
      sourcePort: 1,
      destinationPort: 2,
      tlvs: [proxyTlv.ssl({ cn: 'x' }), proxyTlv.authority('a.test')],
    });
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const b = good.slice();
        b[at] = byte;
        const v = parseProxyHeader(b);
        expect(['ok', 'invalid', 'incomplete', 'absent']).toContain(v.status);
        if (v.status === 'invalid') expect(v.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
