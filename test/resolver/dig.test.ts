// `netlab dig` beside the real dig, against one small server on 127.0.0.1 (UDP and TCP): the same
// answer, authority and header, dig's TCP retry on truncation, and +trace through a hierarchy.

import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigArgs, runDig } from '../../src/cli/dig.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { encodeDnsMessage } from '../../src/wire/dns-encode.ts';
import { DnsTcpDeframer, frameDnsTcp } from '../../src/wire/dns-tcp.ts';
import { DNS_TYPE, type DnsMessage, type DnsRecord } from '../../src/wire/dns-types.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const A = (name: string, address: string): DnsRecord => ({ name, type: DNS_TYPE.A, class: 1, ttl: 300, data: { type: 'A', address } });

/** Answers www.example.test with two addresses; big.example.test with 40 (truncated over UDP). */
function respond(q: DnsMessage, udp: boolean): DnsMessage {
  const name = q.questions[0]?.name ?? '';
  const r: DnsMessage = {
    ...q,
    flags: { ...q.flags, qr: true, aa: true, ra: false, ad: false },
    answers: [],
    authorities: [],
    additionals: [],
    edns: q.edns ? { udpSize: 1232, version: 0, do: false, options: [] } : undefined,
  };
  if (name === 'www.example.test') r.answers = [A(name, '192.0.2.1'), A(name, '192.0.2.2')];
  else if (name === 'big.example.test') {
    if (udp) r.flags.tc = true;
    else r.answers = Array.from({ length: 40 }, (_, i) => A(name, `192.0.2.${i + 1}`));
  } else {
    r.flags.rcode = 3;
    r.authorities = [
      {
        name: 'example.test',
        type: DNS_TYPE.SOA,
        class: 1,
        ttl: 3600,
        data: { type: 'SOA', mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 7, refresh: 7200, retry: 900, expire: 1209600, minimum: 300 },
      },
    ];
  }
  return r;
}

let port = 0;
const udp = createSocket('udp4');
const tcp = createServer((s) => {
  const d = new DnsTcpDeframer();
  s.on('data', (c: Buffer) => {
    for (const m of d.push(c)) {
      const q = decodeDnsMessage(m);
      if (q.ok) s.write(frameDnsTcp(encodeDnsMessage(respond(q.message, false))));
    }
  });
  s.on('error', () => undefined);
});
beforeAll(async () => {
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  port = (tcp.address() as AddressInfo).port;
  udp.on('message', (msg, rinfo) => {
    const q = decodeDnsMessage(msg);
    if (q.ok) udp.send(encodeDnsMessage(respond(q.message, true)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', () => resolve()));
});
afterAll(async () => {
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
});

/** The lines of a dig output that do not change from run to run (no id, time, date). */
function stable(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        l !== '' &&
        !l.startsWith('; <<>>') &&
        !l.startsWith(';; global') &&
        !l.startsWith(';; Query time') &&
        !l.startsWith(';; WHEN') &&
        !l.startsWith(';; SERVER'),
    )
    .map((l) =>
      l
        .replace(/id: \d+/, 'id: N')
        .replace(/\s+/g, ' ')
        .trim(),
    );
}

describe('netlab dig', () => {
  it("parses dig's free-form arguments", () => {
    expect(parseDigArgs(['www.example.test.', 'AAAA', '@127.0.0.1', '+tcp', '+norec'], 5300, 1000)).toMatchObject({
      name: 'www.example.test',
      type: 28,
      server: '127.0.0.1',
      port: 5300,
      tcp: true,
      rd: false,
    });
    expect(() => parseDigArgs(['x', '+bogus'], 53, 1000)).toThrow(/unknown option \+bogus/);
    expect(() => parseDigArgs(['x', '@not-an-ip'], 53, 1000)).toThrow(/IP address/);
  });

  describe.skipIf(!requireTool('dig'))('beside dig', () => {
    for (const args of [
      ['www.example.test', 'A'],
      ['nope.example.test', 'A'],
      ['www.example.test', 'A', '+tcp'],
      ['www.example.test', 'A', '+noedns'],
      ['big.example.test', 'A'],
    ]) {
      it(`prints what dig prints for ${args.join(' ')}`, async () => {
        const ours = await runDig(parseDigArgs([...args, '@127.0.0.1'], port, 2000), args.join(' '));
        const theirs = await run('dig', [...args, '@127.0.0.1', '-p', String(port), '+tries=1', '+time=2']);
        expect(stable(ours.text)).toEqual(stable(theirs.stdout));
      });
    }
  });
});

describe('traceText', () => {
  it('prints a malformed reply and the EDNS fallback as their own lines', async () => {
    const { traceText } = await import('../../src/dns/dig-format.ts');
    const server = { name: 'ns1.example.test', address: '127.53.0.3', port: 5300 };
    const text = traceText([
      { kind: 'no-response', server, reason: 'compression pointer loop at byte 12', malformed: true },
      { kind: 'no-response', server, reason: 'timed out after 1000 ms' },
      { kind: 'edns-fallback', server },
    ]);
    expect(text).toBe(
      '   <- malformed reply: compression pointer loop at byte 12\n' +
        '   <- no answer: timed out after 1000 ms\n' +
        '   FORMERR to an EDNS query: asking again without EDNS (RFC 6891 6.2.2)\n',
    );
  });
});
