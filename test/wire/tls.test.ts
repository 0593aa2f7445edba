// The TLS codec: real records from the shared captures decoded field by field and rebuilt byte for
// byte with the builders; built hellos decoded back; records cut short at every length; bad builder
// input refused with a clear error.

import { describe, expect, it } from 'vitest';
import {
  cipherSuiteName,
  clientHelloRecord,
  CONTENT_TYPE,
  decodeClientHello,
  decodeHandshakeMessages,
  decodeTlsRecords,
  encodeAlert,
  encodeApplicationData,
  encodeChangeCipherSpec,
  encodeClientHello,
  encodeRecord,
  encodeServerHello,
  EXTENSION,
  findExtension,
  groupName,
  looksLikeTlsRecord,
  parseHandshakeHeader,
  signatureSchemeName,
  splitRecords,
  tlsExt,
  tlsRecordPduLength,
  type ClientHello,
  type ServerHello,
} from '../../src/wire/tls.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** The TLS payload of tls12-clienthello-sni-alpn-pcapplusplus.pcap (Chrome's ClientHello to www.google.com). */
const CLIENT_HELLO = hex(`
16030100b7010000b303033e7b4a3efdf77a8878eb8c7d4033e053580eb00eb7
8f688a1871a8e562f2f7f5000016c02bc02fc00ac009c013c01400330039002f
0035000a0100007400000013001100000e7777772e676f6f676c652e636f6dff
01000100000a00080006001700180019000b0002010000230000337400000010
0017001502683208737064792f332e3108687474702f312e3100050005010000
0000000d001600140401050106010201040305030603020304020202`);

/** The first records of frame 6 of tls13-handshake-sni-alpn-zeek.pcap: ServerHello, CCS, one app data record, the start of the next. */
const SERVER_FLIGHT = hex(`
160303007a020000760303391e35cc472a7a67098c6f6831d8a876203b0a93d3
464c0da9b3d7deac02d15d20a14023aebdc70f8d832511dd646b823f52c5afb3
46835af730d498318dcdc5ad130200002e002b0002030400330024001d0020cc
30adaf1198c54a66db3d3fea75f8289e8133ef6ac6188b13f9e901897d487814
03030001011703030032a64b4629404a2b22f3f04345e3bfd7853dea6a87ebc1
65a33c00b1984f65ed441ccf1fc92c90dd2f20c9946bae61a2d5304a1703030b
d8c41f1cdbc397df`);

describe('TLS records', () => {
  it('reads a real ClientHello record field by field', () => {
    const [d] = decodeTlsRecords(CLIENT_HELLO);
    expect(d.record).toMatchObject({ offset: 0, contentType: 22, version: 0x0301, length: 183, fragmentOffset: 5, available: 183 });
    const m = d.handshakes?.[0];
    expect(m?.header).toMatchObject({ type: 1, length: 179, bodyOffset: 9 });
    expect(m?.complete).toBe(true);
    const h = m?.body as ClientHello;
    expect(h.kind).toBe('client-hello');
    expect(h.error).toBeUndefined();
    expect(h.version).toBe(0x0303);
    expect(Buffer.from(h.random).toString('hex')).toBe('3e7b4a3efdf77a8878eb8c7d4033e053580eb00eb78f688a1871a8e562f2f7f5');
    expect(h.sessionIdLength).toBe(0);
    expect(h.cipherSuites.map(cipherSuiteName).slice(0, 3)).toEqual([
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
    ]);
    expect(h.cipherSuites).toHaveLength(11);
    expect(h.compressionMethods).toEqual([0]);
    expect(h.extensions.map((e) => e.type)).toEqual([0, 65281, 10, 11, 35, 13172, 16, 5, 13]);
    expect(findExtension(h.extensions, EXTENSION.serverName, 'server_name')?.names.map((n) => n.name)).toEqual(['www.google.com']);
    expect(findExtension(h.extensions, EXTENSION.alpn, 'alpn')?.protocols.map((p) => p.name)).toEqual(['h2', 'spdy/3.1', 'http/1.1']);
    expect(findExtension(h.extensions, EXTENSION.supportedGroups, 'supported_groups')?.groups.map(groupName)).toEqual(['secp256r1', 'secp384r1', 'secp521r1']);
    const sigs = findExtension(h.extensions, EXTENSION.signatureAlgorithms, 'signature_algorithms')?.schemes ?? [];
    expect(sigs.slice(0, 2).map(signatureSchemeName)).toEqual(['rsa_pkcs1_sha256', 'rsa_pkcs1_sha384']);
    // Offsets point at the bytes they name.
    const sni = h.extensions[0];
    expect(CLIENT_HELLO[sni.offset + 1]).toBe(0);
    expect(Buffer.from(CLIENT_HELLO.subarray(sni.dataOffset + 5, sni.dataOffset + 19)).toString()).toBe('www.google.com');
  });

  it('rebuilds the real ClientHello byte for byte from its decoded values', () => {
    const h = decodeTlsRecords(CLIENT_HELLO)[0].handshakes?.[0].body as ClientHello;
    const rebuilt = clientHelloRecord({
      version: h.version,
      random: h.random,
      sessionId: h.sessionId,
      cipherSuites: h.cipherSuites,
      compressionMethods: h.compressionMethods,
      extensions: h.extensions.map((e) => tlsExt.raw(e.type, e.data)),
    });
    expect(Buffer.from(rebuilt).toString('hex')).toBe(Buffer.from(CLIENT_HELLO).toString('hex'));
  });

  it('reads a TLS 1.3 server flight: ServerHello, ChangeCipherSpec, application data, a record cut short', () => {
    const recs = decodeTlsRecords(SERVER_FLIGHT);
    expect(recs.map((r) => [r.record.contentType, r.record.length, r.record.available])).toEqual([
      [22, 122, 122],
      [20, 1, 1],
      [23, 50, 50],
      [23, 3032, 7],
    ]);
    const sh = recs[0].handshakes?.[0].body as ServerHello;
    expect(sh.kind).toBe('server-hello');
    expect(sh.helloRetryRequest).toBe(false);
    expect(sh.version).toBe(0x0303);
    expect(sh.selectedVersion).toBe(0x0304);
    expect(cipherSuiteName(sh.cipherSuite)).toBe('TLS_AES_256_GCM_SHA384');
    const ks = findExtension(sh.extensions, EXTENSION.keyShare, 'key_share');
    expect(ks?.entries.map((e) => [groupName(e.group), e.keyLength, e.key.length])).toEqual([['x25519', 32, 32]]);
    expect(splitRecords(SERVER_FLIGHT)).toMatchObject({ rest: SERVER_FLIGHT.length });
    expect(tlsRecordPduLength(SERVER_FLIGHT.subarray(recs[3].record.offset))).toBe(5 + 3032);
  });

  it('builds hellos that decode to what was asked for', () => {
    const key = new Uint8Array(32).fill(7);
    const ch = encodeClientHello({
      random: new Uint8Array(32).fill(1),
      sessionId: new Uint8Array(32).fill(2),
      cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', 0x00ff],
      extensions: [
        tlsExt.serverName('example.test'),
        tlsExt.alpn(['h2', 'http/1.1']),
        tlsExt.supportedVersions([0x0304, 0x0303]),
        tlsExt.supportedGroups(['x25519', 'secp256r1']),
        tlsExt.keyShare([{ group: 'x25519', key }]),
        tlsExt.signatureAlgorithms(['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256', 0x0401]),
        tlsExt.pskKeyExchangeModes([1]),
      ],
    });
    const header = parseHandshakeHeader(ch, 0);
    expect(header).toMatchObject({ type: 1, length: ch.length - 4 });
    const h = decodeClientHello(ch, 4, ch.length);
    expect(h.error).toBeUndefined();
    expect(h.cipherSuites).toEqual([0x1301, 0x1303, 0x00ff]);
    expect(findExtension(h.extensions, EXTENSION.serverName, 'server_name')?.names[0].name).toBe('example.test');
    expect(findExtension(h.extensions, EXTENSION.supportedVersions, 'supported_versions')?.versions).toEqual([0x0304, 0x0303]);
    expect(findExtension(h.extensions, EXTENSION.keyShare, 'key_share')?.entries[0]).toMatchObject({ group: 29, keyLength: 32, key });
    expect(findExtension(h.extensions, EXTENSION.signatureAlgorithms, 'signature_algorithms')?.schemes).toEqual([0x0403, 0x0804, 0x0401]);
    expect(findExtension(h.extensions, EXTENSION.pskKeyExchangeModes, 'psk_key_exchange_modes')?.modes).toEqual([1]);

    const hrr = encodeServerHello({
      helloRetryRequest: true,
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      sessionId: new Uint8Array(32).fill(2),
      extensions: [tlsExt.selectedVersion(0x0304), tlsExt.keyShareSelectedGroup('secp256r1')],
    });
    const r = decodeHandshakeMessages(hrr, 0, hrr.length)[0].body as ServerHello;
    expect(r.helloRetryRequest).toBe(true);
    expect(r.selectedVersion).toBe(0x0304);
    expect(findExtension(r.extensions, EXTENSION.keyShare, 'key_share')?.selectedGroup).toBe(23);
  });

  it('builds alerts, ChangeCipherSpec and application data records', () => {
    const bytes = Uint8Array.from([...encodeChangeCipherSpec(), ...encodeApplicationData(new Uint8Array(20).fill(9)), ...encodeAlert(2, 40)]);
    const recs = decodeTlsRecords(bytes);
    expect(recs.map((r) => r.record.contentType)).toEqual([CONTENT_TYPE.changeCipherSpec, CONTENT_TYPE.applicationData, CONTENT_TYPE.alert]);
    expect(recs[2].alert).toEqual({ level: 2, description: 40 });
    // A wrong length is one argument away.
    expect(encodeRecord({ contentType: 23, fragment: new Uint8Array(3), length: 1000 }).subarray(3, 5)).toEqual(Uint8Array.of(0x03, 0xe8));
  });

  it('decodes every prefix of a record without throwing, saying where it stopped', () => {
    for (let n = 0; n <= CLIENT_HELLO.length; n++) {
      const cut = CLIENT_HELLO.subarray(0, n);
      const recs = decodeTlsRecords(cut);
      if (n < 5) {
        expect(recs).toEqual([]);
        continue;
      }
      expect(recs[0].record.available).toBe(Math.min(183, n - 5));
      const m = recs[0].handshakes?.[0];
      if (m === undefined) continue;
      expect(m.complete).toBe(n === CLIENT_HELLO.length);
      const h = m.body as ClientHello;
      if (!m.complete) {
        expect(h.error?.offset).toBeLessThanOrEqual(n);
        expect(h.error?.reason).toMatch(/cut short/);
      }
      expect(h.cipherSuites.length * 2).toBeLessThanOrEqual(n);
    }
  });

  it('recognises record headers as Wireshark heuristics do', () => {
    expect(looksLikeTlsRecord(CLIENT_HELLO)).toBe(true);
    expect(looksLikeTlsRecord(hex('1503030002'))).toBe(false); // alerts are not among the heuristic's types
    expect(looksLikeTlsRecord(hex('1603040010'))).toBe(false); // record version 0x0304 is never sent
    expect(looksLikeTlsRecord(hex('1703034a00'))).toBe(false); // 18944 bytes: over 2^14 + 2048
    expect(tlsRecordPduLength(hex('16'))).toBe(0);
    expect(tlsRecordPduLength(hex('47455420'))).toBe(-1);
  });

  it('refuses bad builder input with an error that names it', () => {
    expect(() => encodeClientHello({ cipherSuites: ['TLS_NOT_A_SUITE'] })).toThrow(/unknown TLS cipher suite "TLS_NOT_A_SUITE"/);
    expect(() => encodeClientHello({ cipherSuites: [0x1301], random: new Uint8Array(31) })).toThrow(/random must be 32 bytes, got 31/);
    expect(() => encodeClientHello({ cipherSuites: [0x1301], sessionId: new Uint8Array(33) })).toThrow(/session ID is at most 32 bytes/);
    expect(() => tlsExt.supportedGroups(['x99999'])).toThrow(/unknown TLS group "x99999"/);
    expect(() => tlsExt.serverName('bücher.example')).toThrow(/not ASCII/);
    expect(() => encodeRecord({ contentType: 23, fragment: new Uint8Array(20000) })).toThrow(/over 2\^14 \+ 2048/);
    expect(() => encodeAlert(2, 40, 0x10000)).toThrow(/does not fit in 16 bits/);
  });
});
