// The DNS codec: a real response from the shared captures decoded field by field, exact bytes for a
// hand-built message (compression included), hostile names and lying counts, TXT, EDNS (extended
// RCODE, DO, client subnet), presentation text, and a property test: random messages survive
// encode -> decode.

import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCapture } from '../../src/capture/read.ts';
import {
  decodeDnsMessage,
  DnsEncodeError,
  dnsFlags,
  encodeDnsMessage,
  frameDnsTcp,
  genericRdataText,
  nameToLabels,
  labelsToName,
  recordText,
  questionText,
  dnsNamesEqual,
  isSubdomain,
  txtFromStrings,
  txtStrings,
  dnsTypeNumber,
  dnsTypeName,
  type DnsMessage,
  type DnsRecord,
  type DnsRecordData,
} from '../../src/wire/dns.ts';
import { decode } from '../../src/wire/decode.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;

function bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

function mustDecode(b: Uint8Array): DnsMessage {
  const r = decodeDnsMessage(b);
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

function errorOf(b: Uint8Array): { offset: number; reason: string } {
  const r = decodeDnsMessage(b);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('decoded');
  return { offset: r.error.offset, reason: r.error.reason };
}

const HEADER_1Q = '1234 0100 0001 0000 0000 0000';

describe('a real response (dns-a-ns-mx-aaaa-pcapplusplus.pcap)', () => {
  it('decodes every section with compression pointers', () => {
    const packets = parseCapture(readFileSync(join(CAPTURES, 'dns-a-ns-mx-aaaa-pcapplusplus.pcap'))).packets;
    const layers = decode(packets[0].data, 1).layers;
    const dns = layers.find((l) => l.kind === 'dns');
    expect(dns).toBeDefined();
    const m = mustDecode(packets[0].data.subarray(dns!.offset));
    expect(m.id).toBe(0x0264);
    expect(m.flags).toEqual(dnsFlags({ qr: true, rd: true, ra: true }));
    expect(m.questions).toEqual([{ name: 'yahoo.com', type: 15, class: 1 }]);
    expect(m.answers.map((r) => r.data)).toEqual([
      { type: 'MX', preference: 1, exchange: 'mta5.am0.yahoodns.net' },
      { type: 'MX', preference: 1, exchange: 'mta7.am0.yahoodns.net' },
      { type: 'MX', preference: 1, exchange: 'mta6.am0.yahoodns.net' },
    ]);
    expect(m.answers[0].ttl).toBe(187);
    expect(m.authorities.map((r) => (r.data as { name: string }).name)).toEqual([
      'ns4.yahoo.com',
      'ns6.yahoo.com',
      'ns2.yahoo.com',
      'ns3.yahoo.com',
      'ns1.yahoo.com',
      'ns5.yahoo.com',
    ]);
    expect(m.additionals[2]).toEqual({ name: 'ns2.yahoo.com', type: 28, class: 1, ttl: 602, data: { type: 'AAAA', address: '2001:4998:140::1002' } });
    expect(m.edns).toBeUndefined();
    // Encoding again compresses at least as well as the server did, and decodes to the same message.
    const again = encodeDnsMessage(m);
    expect(again.length).toBeLessThanOrEqual(packets[0].data.length - dns!.offset);
    expect(mustDecode(again)).toEqual(m);
  });

  it('decodes EDNS client subnet and the DO bit (dns-edns-ecs-tc-tcp-retry-zeek.pcap frame 2)', () => {
    const packets = parseCapture(readFileSync(join(CAPTURES, 'dns-edns-ecs-tc-tcp-retry-zeek.pcap'))).packets;
    const layers = decode(packets[1].data, 1).layers;
    const dns = layers.find((l) => l.kind === 'dns')!;
    const m = mustDecode(packets[1].data.subarray(dns.offset));
    expect(m.edns).toEqual({
      udpSize: 4096,
      extendedRcode: 0,
      version: 0,
      do: true,
      z: 0,
      name: '',
      options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, address: '213.61.29.0' }],
    });
  });
});

describe('encoding', () => {
  it('writes the exact bytes of a query, and a response with compression', () => {
    const q: DnsMessage = {
      id: 0x1234,
      flags: dnsFlags({ rd: true }),
      questions: [{ name: 'www.example.com', type: 1, class: 1 }],
      answers: [],
      authorities: [],
      additionals: [],
    };
    expect(Buffer.from(encodeDnsMessage(q)).toString('hex')).toBe('12340100000100000000000003777777076578616d706c6503636f6d0000010001');
    const r: DnsMessage = {
      ...q,
      flags: dnsFlags({ qr: true, aa: true, rd: true }),
      answers: [
        { name: 'www.example.com', type: 5, class: 1, ttl: 300, data: { type: 'CNAME', name: 'web.example.com' } },
        { name: 'web.example.com', type: 1, class: 1, ttl: 300, data: { type: 'A', address: '192.0.2.1' } },
      ],
    };
    const b = encodeDnsMessage(r);
    // Answer 1: owner = pointer to 12 (c00c); CNAME RDATA "web" + pointer to "example.com" at 16 (c010).
    // Answer 2: owner = pointer to the CNAME target at 45 (c02d).
    expect(Buffer.from(b.subarray(33)).toString('hex')).toBe('c00c000500010000012c000603776562c010' + 'c02d000100010000012c0004c0000201');
    expect(mustDecode(b)).toEqual(r);
    // Without compression every name is written in full.
    expect(encodeDnsMessage(r, { compress: false }).length).toBe(b.length + 15 + 11 + 15);
  });

  it('refuses what cannot be represented, naming it', () => {
    const base: DnsMessage = { id: 1, flags: dnsFlags(), questions: [], answers: [], authorities: [], additionals: [] };
    expect(() => encodeDnsMessage({ ...base, questions: [{ name: 'a..b', type: 1, class: 1 }] })).toThrow(/empty label/);
    expect(() => encodeDnsMessage({ ...base, questions: [{ name: 'x'.repeat(64), type: 1, class: 1 }] })).toThrow(/64 octets/);
    expect(() => encodeDnsMessage({ ...base, questions: [{ name: Array(64).fill('abc').join('.'), type: 1, class: 1 }] })).toThrow(
      /257 octets in wire form \(at most 255\)/,
    );
    expect(() => encodeDnsMessage({ ...base, flags: dnsFlags({ rcode: 16 }) })).toThrow(DnsEncodeError);
    expect(() => encodeDnsMessage({ ...base, answers: [{ name: 'a', type: 1, class: 1, ttl: 1, data: { type: 'A', address: '1.2.3' } }] })).toThrow(
      /not an IPv4 address/,
    );
    expect(() => encodeDnsMessage({ ...base, answers: [{ name: 'a', type: 28, class: 1, ttl: 1, data: { type: 'A', address: '1.2.3.4' } }] })).toThrow(
      /TYPE AAAA but A RDATA/,
    );
  });

  it('splits the extended RCODE between the header and the OPT TTL, with the DO bit', () => {
    const m: DnsMessage = {
      id: 7,
      flags: dnsFlags({ qr: true, rcode: 16 }),
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
      edns: { udpSize: 1232, version: 0, do: true, options: [] },
    };
    const b = encodeDnsMessage(m);
    expect(b[3] & 0x0f).toBe(0); // BADVERS = 16: header holds 0 ...
    // ... the OPT record: root name, type 41, class 1232, TTL = ext 0x01, version 0, DO (0x8000).
    expect(Buffer.from(b.subarray(12)).toString('hex')).toBe('00' + '0029' + '04d0' + '01008000' + '0000');
    const d = mustDecode(b);
    expect(d.flags.rcode).toBe(16);
    expect(d.edns).toMatchObject({ udpSize: 1232, extendedRcode: 1, do: true });
  });

  it('writes a client-subnet option with the address cut to the source prefix', () => {
    const m: DnsMessage = {
      id: 7,
      flags: dnsFlags(),
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
      edns: {
        udpSize: 4096,
        version: 0,
        do: false,
        options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: 20, scopePrefixLength: 0, address: '127.1.255.9' }],
      },
    };
    const b = encodeDnsMessage(m);
    expect(Buffer.from(b.subarray(b.length - 11)).toString('hex')).toBe('0008' + '0007' + '0001' + '14' + '00' + '7f01f0');
    expect(mustDecode(b).edns?.options).toEqual([{ type: 'client-subnet', family: 1, sourcePrefixLength: 20, scopePrefixLength: 0, address: '127.1.240.0' }]);
  });
});

describe('TXT is a list of character-strings', () => {
  const rr = (data: DnsRecordData): DnsRecord => ({ name: 't.example', type: 16, class: 1, ttl: 60, data });
  const msg = (r: DnsRecord): DnsMessage => ({ id: 1, flags: dnsFlags({ qr: true }), questions: [], answers: [r], authorities: [], additionals: [] });

  it('keeps several strings apart, and an empty string, and no string at all', () => {
    for (const strings of [['v=spf1 -all', 'second'], [''], []]) {
      const d = mustDecode(encodeDnsMessage(msg(rr(txtFromStrings(strings)))));
      expect(txtStrings(d.answers[0].data as { strings: Uint8Array[] })).toEqual(strings);
    }
    const two = encodeDnsMessage(msg(rr(txtFromStrings(['ab', 'c']))));
    expect(Buffer.from(two.subarray(two.length - 7)).toString('hex')).toBe('0005' + '026162' + '0163');
  });

  it('refuses a string over 255 bytes, and one whose length runs past RDLENGTH', () => {
    expect(() => encodeDnsMessage(msg(rr({ type: 'TXT', strings: [new Uint8Array(256)] })))).toThrow(/256 bytes/);
    const b = encodeDnsMessage(msg(rr(txtFromStrings(['abc']))));
    b[b.length - 4] = 9; // the character-string now claims 9 bytes in a 4-byte RDATA
    expect(errorOf(b)).toEqual({ offset: b.length - 4, reason: 'answer record 1 of 1: TXT character-string of 9 bytes runs past RDLENGTH' });
  });
});

describe('hostile input: a clear error with the offset, never a hang', () => {
  it('a compression pointer loop', () => {
    // Question name at 12: label "a", then a pointer back to 12.
    const e = errorOf(bytes(HEADER_1Q + '0161 c00c 0001 0001'));
    expect(e).toEqual({ offset: 14, reason: 'question 1 of 1: compression pointer loop (to 12, inside the labels that lead to it)' });
  });

  it('a pointer to itself, and a forward pointer', () => {
    expect(errorOf(bytes(HEADER_1Q + 'c00c 0001 0001')).reason).toMatch(/pointer to itself/);
    expect(errorOf(bytes(HEADER_1Q + 'c00e 0001 0001 00')).reason).toMatch(/forward compression pointer to 14/);
  });

  it('a pointer into the labels of its own name, one question later', () => {
    // Question 1: root; question 2 at 17: label "b", then a pointer back to 17.
    const e = errorOf(bytes('1234 0100 0002 0000 0000 0000' + '00 0001 0001' + '0162 c011 0001 0001'));
    expect(e).toEqual({ offset: 19, reason: 'question 2 of 2: compression pointer loop (to 17, inside the labels that lead to it)' });
  });

  it('label lengths 64..191 (types 01 and 10)', () => {
    expect(errorOf(bytes(HEADER_1Q + '40' + '00'.repeat(70))).reason).toMatch(/label length 0x40: label type 01/);
    expect(errorOf(bytes(HEADER_1Q + '80' + '00'.repeat(70))).reason).toMatch(/label type 10/);
  });

  it('a name over 255 octets, built from pointers to earlier labels', () => {
    // 5 names of 60-octet labels, each pointing at the previous: the fifth is 5*61+1 = 306 octets.
    let hex = '1234 8100 0005 0000 0000 0000';
    let prev = -1;
    let at = 12;
    for (let i = 0; i < 5; i++) {
      const start = at;
      hex += '3c' + '61'.repeat(60) + (prev < 0 ? '00' : 'c0' + prev.toString(16).padStart(2, '0')) + '00010001';
      at += 1 + 60 + (prev < 0 ? 1 : 2) + 4;
      prev = start;
    }
    const e = errorOf(bytes(hex));
    expect(e.reason).toMatch(/question 5 of 5: name longer than 255 octets/);
  });

  it('counts that lie', () => {
    const e = errorOf(bytes('1234 8100 0001 ffff 0000 0000' + '00 0001 0001'));
    expect(e).toEqual({ offset: 17, reason: 'answer record 1 of 65535: name runs past the end of its data' });
    expect(errorOf(bytes('1234 8100 ffff 0000 0000 0000' + '00 0001')).reason).toBe('question 1 of 65535: type and class truncated (QDCOUNT says 65535)');
  });

  it('truncated RDATA, and RDATA the wrong size for its type', () => {
    expect(errorOf(bytes('1234 8100 0000 0001 0000 0000' + '00 0001 0001 00000000 0010 c0000201'))).toEqual({
      offset: 21,
      reason: 'answer record 1 of 1: RDLENGTH 16 runs past the end of the message (4 bytes left)',
    });
    expect(errorOf(bytes('1234 8100 0000 0001 0000 0000' + '00 0001 0001 00000000 0003 c00002'))).toEqual({
      offset: 23,
      reason: 'answer record 1 of 1: A RDATA must be 4 bytes, RDLENGTH is 3',
    });
    // An NS name that runs past RDLENGTH (the name continues into the next bytes).
    expect(errorOf(bytes('1234 8100 0000 0001 0000 0000' + '00 0002 0001 00000000 0002 0161 00')).reason).toBe(
      'answer record 1 of 1: NS: name runs past the end of its data',
    );
  });

  it('a header cut short', () => {
    expect(errorOf(bytes('1234 81'))).toEqual({ offset: 3, reason: 'header truncated: 3 of 12 bytes' });
  });
});

describe('names and types', () => {
  it('escapes and parses presentation names', () => {
    const labels = nameToLabels('a\\.b.c\\032d.\\\\');
    expect(labels.map((l) => Buffer.from(l).toString('latin1'))).toEqual(['a.b', 'c d', '\\']);
    expect(labelsToName(labels)).toBe('a\\.b.c\\032d.\\\\');
    expect(nameToLabels('example.com.')).toEqual(nameToLabels('example.com'));
    expect(nameToLabels('.')).toEqual([]);
    expect(dnsNamesEqual('WWW.Example.com.', 'www.example.com')).toBe(true);
    expect(isSubdomain('a.b.Example.COM', 'example.com')).toBe(true);
    expect(isSubdomain('example.com', 'a.example.com')).toBe(false);
    expect(isSubdomain('xexample.com', 'example.com')).toBe(false);
  });

  it('maps type names both ways, RFC 3597 generic forms included', () => {
    expect(dnsTypeNumber('aaaa')).toBe(28);
    expect(dnsTypeNumber('TYPE65280')).toBe(65280);
    expect(dnsTypeNumber('TYPE70000')).toBeUndefined();
    expect(dnsTypeName(65280)).toBe('TYPE65280');
  });

  it('prints records as dig does, unknown types as \\# len hex', () => {
    expect(recordText({ name: 'example.com', type: 15, class: 1, ttl: 300, data: { type: 'MX', preference: 10, exchange: 'mail.example.com' } })).toBe(
      'example.com.\t300\tIN\tMX\t10 mail.example.com.',
    );
    expect(recordText({ name: 'example.com', type: 16, class: 1, ttl: 1, data: txtFromStrings(['say "hi"', '']) })).toBe(
      'example.com.\t1\tIN\tTXT\t"say \\"hi\\"" ""',
    );
    expect(recordText({ name: '', type: 65280, class: 1, ttl: 0, data: { type: 65280, raw: bytes('0a000001') } })).toBe('.\t0\tIN\tTYPE65280\t\\# 4 0A000001');
    expect(genericRdataText(new Uint8Array(0))).toBe('\\# 0');
    expect(questionText({ name: 'example.com', type: 1, class: 1 })).toBe(';example.com.\t\tIN\tA');
  });
});

describe('the decode loop', () => {
  it('chains several DNS-over-TCP messages in one segment and leaves a partial one as data', async () => {
    const { encode, ethernet, ipv4, tcp, payload } = await import('../../src/wire/index.ts');
    const m = (id: number): Uint8Array =>
      encodeDnsMessage({ id, flags: dnsFlags(), questions: [{ name: 'a.example', type: 1, class: 1 }], answers: [], authorities: [], additionals: [] });
    const partial = frameDnsTcp(m(3)).subarray(0, 10);
    const seg = new Uint8Array([...frameDnsTcp(m(1)), ...frameDnsTcp(m(2)), ...partial]);
    const frame = encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
      tcp({ sport: 40000, dport: 53, flags: 'PA' }),
      payload(seg),
    ]);
    const kinds = decode(frame, 1).layers.map((l) => l.kind);
    expect(kinds).toEqual(['ethernet', 'ipv4', 'tcp', 'dns-tcp', 'dns-tcp', 'data']);
    const ids = decode(frame, 1)
      .layers.filter((l) => l.kind === 'dns-tcp')
      .map((l) => (l.value as { message?: DnsMessage }).message?.id);
    expect(ids).toEqual([1, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random messages survive encode -> decode.

const label = fc.uint8Array({ minLength: 1, maxLength: 20 });
const nameArb = fc.array(label, { maxLength: 5 }).map((ls) => labelsToName(ls));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ipv6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  return g.join(':');
});
// Types netlab models, with RDATA of that shape; others raw.
const recordArb: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record({ name: nameArb, ttl: u32, a: ipv4Arb }).map(({ name, ttl, a }) => ({ name, type: 1, class: 1, ttl, data: { type: 'A' as const, address: a } })),
  fc
    .record({ name: nameArb, ttl: u32, a: ipv6Arb })
    .map(({ name, ttl, a }) => ({ name, type: 28, class: 1, ttl, data: { type: 'AAAA' as const, address: a } })),
  fc.record({ name: nameArb, ttl: u32, t: nameArb }).map(({ name, ttl, t }) => ({ name, type: 2, class: 1, ttl, data: { type: 'NS' as const, name: t } })),
  fc.record({ name: nameArb, ttl: u32, t: nameArb }).map(({ name, ttl, t }) => ({ name, type: 5, class: 1, ttl, data: { type: 'CNAME' as const, name: t } })),
  fc.record({ name: nameArb, ttl: u32, t: nameArb }).map(({ name, ttl, t }) => ({ name, type: 12, class: 1, ttl, data: { type: 'PTR' as const, name: t } })),
  fc
    .record({ name: nameArb, ttl: u32, p: u16, t: nameArb })
    .map(({ name, ttl, p, t }) => ({ name, type: 15, class: 1, ttl, data: { type: 'MX' as const, preference: p, exchange: t } })),
  fc.record({ name: nameArb, ttl: u32, m: nameArb, r: nameArb, n: fc.array(u32, { minLength: 5, maxLength: 5 }) }).map(({ name, ttl, m, r, n }) => ({
    name,
    type: 6,
    class: 1,
    ttl,
    data: { type: 'SOA' as const, mname: m, rname: r, serial: n[0], refresh: n[1], retry: n[2], expire: n[3], minimum: n[4] },
  })),
  fc
    .record({ name: nameArb, ttl: u32, s: fc.array(fc.uint8Array({ maxLength: 255 }), { maxLength: 4 }) })
    .map(({ name, ttl, s }) => ({ name, type: 16, class: 1, ttl, data: { type: 'TXT' as const, strings: s } })),
  fc
    .record({ name: nameArb, ttl: u32, p: u16, w: u16, port: u16, t: nameArb })
    .map(({ name, ttl, p, w, port, t }) => ({ name, type: 33, class: 1, ttl, data: { type: 'SRV' as const, priority: p, weight: w, port, target: t } })),
  fc
    .record({ name: nameArb, ttl: u32, f: fc.nat(255), tag: fc.stringMatching(/^[a-z0-9]{1,15}$/), v: fc.uint8Array({ maxLength: 40 }) })
    .map(({ name, ttl, f, tag, v }) => ({
      name,
      type: 257,
      class: 1,
      ttl,
      data: { type: 'CAA' as const, flags: f, tag, value: v },
    })),
  fc
    .record({ name: nameArb, ttl: u32, type: fc.constantFrom(10, 13, 99, 65280, 65535), cls: u16, raw: fc.uint8Array({ maxLength: 30 }) })
    .map(({ name, ttl, type, cls, raw }) => ({ name, type, class: cls, ttl, data: { type, raw } })),
);
// AAAA text decodes in RFC 5952 form: compare the decoded message with itself re-encoded instead.
const messageArb: fc.Arbitrary<DnsMessage> = fc.record({
  id: u16,
  flags: fc.record({
    qr: fc.boolean(),
    opcode: fc.nat(15),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    z: fc.boolean(),
    ad: fc.boolean(),
    cd: fc.boolean(),
    rcode: fc.nat(15),
  }),
  questions: fc.array(fc.record({ name: nameArb, type: u16, class: u16 }), { maxLength: 3 }),
  answers: fc.array(recordArb, { maxLength: 4 }),
  authorities: fc.array(recordArb, { maxLength: 3 }),
  additionals: fc.array(recordArb, { maxLength: 3 }),
});

describe('property: encode -> decode', () => {
  it('random messages come back as they went in (compressed and not)', () => {
    fc.assert(
      fc.property(messageArb, fc.boolean(), (m, compress) => {
        const first = mustDecode(encodeDnsMessage(m, { compress }));
        // Every field but AAAA text (normalised to RFC 5952) is as given.
        const norm = (x: DnsMessage): DnsMessage =>
          JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))) as DnsMessage;
        const a = norm(m);
        const b = norm(first);
        for (const sec of ['answers', 'authorities', 'additionals'] as const) {
          b[sec].forEach((r, i) => {
            if (r.data.type === 'AAAA') (a[sec][i].data as { address: string }).address = (r.data as { address: string }).address;
          });
        }
        expect(b).toEqual(a);
        // And a second round trip is byte-identical.
        expect(encodeDnsMessage(first, { compress })).toEqual(encodeDnsMessage(mustDecode(encodeDnsMessage(first, { compress })), { compress }));
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it('EDNS with a random extended RCODE and client subnet survives', () => {
    fc.assert(
      fc.property(fc.nat(0xfff), fc.boolean(), u16, fc.nat(32), ipv4Arb, (rcode, dobit, size, prefix, addr) => {
        const m: DnsMessage = {
          id: 9,
          flags: dnsFlags({ qr: true, rcode }),
          questions: [],
          answers: [],
          authorities: [],
          additionals: [],
          edns: {
            udpSize: size,
            version: 0,
            do: dobit,
            options: [{ type: 'client-subnet', family: 1, sourcePrefixLength: prefix, scopePrefixLength: 0, address: addr }],
          },
        };
        const d = mustDecode(encodeDnsMessage(m));
        expect(d.flags.rcode).toBe(rcode);
        expect(d.edns?.do).toBe(dobit);
        expect(d.edns?.udpSize).toBe(size);
        const ecs = d.edns?.options[0];
        expect(ecs?.type === 'client-subnet' && ecs.sourcePrefixLength).toBe(prefix);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
