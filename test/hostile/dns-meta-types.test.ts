// Queries for meta types, to both DNS servers over UDP and TCP: zone transfers are REFUSED (as
// Unbound answers them, and BIND to a client its transfer ACL denies), pseudo and transaction types
// (OPT, TSIG, TKEY, MAILA, MAILB, 128..248) get FORMERR, and ANY gets a minimal answer (RFC 8482):
// one RRset from the authoritative server (§4.1), a synthesized HINFO from the recursive one (§4.2).
// None of them gets SERVFAIL. dig shows the client's view.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServer } from '../../src/dns/auth-server.ts';
import type { RecursiveServer } from '../../src/dns/recursive-server.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { DNS_RCODE, DNS_TYPE, type DnsMessage } from '../../src/wire/dns-types.ts';
import { query, tcpExchange, udpExchange } from '../dns/dns-client.ts';
import { requireTool } from '../helpers/tools.ts';
import { startAuth, startRecursive } from './servers.ts';

const run = promisify(execFile);
let auth: AuthServer;
let rec: RecursiveServer;
beforeAll(async () => {
  auth = await startAuth('127.0.0.1');
  rec = await startRecursive('127.0.0.2');
});
afterAll(async () => {
  await auth.close();
  await rec.close();
});

async function ask(server: 'auth' | 'rec', type: number, tcp: boolean): Promise<DnsMessage> {
  const [address, port] = server === 'auth' ? ['127.0.0.1', auth.port] : ['127.0.0.2', rec.port];
  const q = query('www.example.test', type, { rd: server === 'rec', edns: 1232 });
  const raw = tcp ? (await tcpExchange(address, port, [q]))[0] : await udpExchange(address, port, q, 2000);
  if (raw === undefined) throw new Error('no reply');
  const d = decodeDnsMessage(raw);
  if (!d.ok) throw new Error(d.error.message);
  return d.message;
}

const expected: [string, number, number][] = [
  ['AXFR', DNS_TYPE.AXFR, DNS_RCODE.REFUSED],
  ['IXFR', DNS_TYPE.IXFR, DNS_RCODE.REFUSED],
  ['OPT', DNS_TYPE.OPT, DNS_RCODE.FORMERR],
  ['TSIG', DNS_TYPE.TSIG, DNS_RCODE.FORMERR],
  ['TKEY', DNS_TYPE.TKEY, DNS_RCODE.FORMERR],
  ['MAILA', DNS_TYPE.MAILA, DNS_RCODE.FORMERR],
  ['MAILB', DNS_TYPE.MAILB, DNS_RCODE.FORMERR],
  ['TYPE128 (meta range)', 128, DNS_RCODE.FORMERR],
  ['TYPE248 (meta range)', 248, DNS_RCODE.FORMERR],
];

for (const server of ['auth', 'rec'] as const) {
  describe(`${server === 'auth' ? 'authoritative' : 'recursive'} server: meta types`, () => {
    for (const [name, type, rcode] of expected) {
      for (const tcp of [false, true]) {
        it(`${name} over ${tcp ? 'TCP' : 'UDP'}: ${rcode === DNS_RCODE.REFUSED ? 'REFUSED' : 'FORMERR'}`, async () => {
          const m = await ask(server, type, tcp);
          expect(m.flags.rcode).toBe(rcode);
          expect(m.answers).toEqual([]);
          expect(m.questions[0]?.type).toBe(type);
        });
      }
    }
    it('ANY: a minimal answer, not SERVFAIL', async () => {
      const m = await ask(server, DNS_TYPE.ANY, false);
      expect(m.flags.rcode).toBe(DNS_RCODE.NOERROR);
      const types = new Set(m.answers.map((r) => r.type));
      expect(types.size).toBe(1);
      if (server === 'rec') {
        expect(m.answers).toHaveLength(1);
        expect(m.answers[0]).toMatchObject({ type: DNS_TYPE.HINFO, ttl: 3600 });
      }
    });
  });
}

describe.skipIf(!requireTool('dig'))("dig's view", () => {
  const dig = async (server: 'auth' | 'rec', ...args: string[]): Promise<string> => {
    const [address, port] = server === 'auth' ? ['127.0.0.1', auth.port] : ['127.0.0.2', rec.port];
    try {
      return (await run('dig', [`@${address}`, '-p', String(port), '+tries=1', '+time=2', ...args])).stdout;
    } catch (err) {
      return String((err as { stdout?: string }).stdout);
    }
  };
  it('dig ANY to the recursive server: the RFC 8482 HINFO', async () => {
    expect(await dig('rec', 'www.example.test', 'ANY')).toMatch(/www\.example\.test\.\s+3600\s+IN\s+HINFO\s+"RFC8482" ""/);
  });
  it('dig AXFR (over TCP): the transfer fails, REFUSED', async () => {
    for (const s of ['auth', 'rec'] as const) expect(await dig(s, 'example.test', 'AXFR')).toMatch(/Transfer failed/);
  });
  it('dig IXFR over UDP and TYPE41: REFUSED and FORMERR', async () => {
    for (const s of ['auth', 'rec'] as const) {
      expect(await dig(s, 'example.test', 'IXFR=1', '+notcp', '+comments')).toMatch(/status: REFUSED/);
      expect(await dig(s, 'www.example.test', 'TYPE41')).toMatch(/status: FORMERR/);
    }
  });
});
