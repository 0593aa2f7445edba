// Hostile EDNS parts of a query, sent to both DNS servers over UDP (and TCP where it matters):
// RFC 6891 §6.1.1-6.1.3 and RFC 7873 §5.2.2 say what each gets. The recursive server's cached-answer
// fast path must refuse what its slow path refuses, and dig (a real client) must see BADVERS.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServer } from '../../src/dns/auth-server.ts';
import type { RecursiveServer } from '../../src/dns/recursive-server.ts';
import { decodeDnsMessage } from '../../src/wire/dns-decode.ts';
import { DNS_RCODE } from '../../src/wire/dns-types.ts';
import { tcpExchange, udpExchange } from '../dns/dns-client.ts';
import { requireTool } from '../helpers/tools.ts';
import { A, optRecord, rawQuery, startAuth, startRecursive } from './servers.ts';

const run = promisify(execFile);
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i + 1);

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

interface Reply {
  rcode: number;
  ednsVersion?: number;
  answers: number;
}

async function ask(server: 'auth' | 'rec', q: Uint8Array, tcp = false): Promise<Reply> {
  const [address, port] = server === 'auth' ? ['127.0.0.1', auth.port] : ['127.0.0.2', rec.port];
  const raw = tcp ? (await tcpExchange(address, port, [q]))[0] : await udpExchange(address, port, q, 2000);
  if (raw === undefined) throw new Error('no reply');
  const d = decodeDnsMessage(raw);
  if (!d.ok) throw new Error(`reply does not decode: ${d.error.message}`);
  return { rcode: d.message.flags.rcode, ednsVersion: d.message.edns?.version, answers: d.message.answers.length };
}

const NAME = { auth: 'www.example.test', rec: 'www.example.test' } as const;
const cases: [string, () => Uint8Array[], number, { answerOpt?: boolean }?][] = [
  ['EDNS version 1: BADVERS', () => [optRecord({ version: 1 })], DNS_RCODE.BADVERS],
  ['EDNS version 255: BADVERS', () => [optRecord({ version: 255 })], DNS_RCODE.BADVERS],
  ['two OPT records: FORMERR', () => [optRecord(), optRecord()], DNS_RCODE.FORMERR],
  ['an OPT record owned by "x", not the root: FORMERR', () => [optRecord({ owner: [1, 0x78, 0] })], DNS_RCODE.FORMERR],
  ['an OPT record in the answer section: FORMERR', () => [optRecord()], DNS_RCODE.FORMERR, { answerOpt: true }],
  ['a client cookie of 4 bytes: FORMERR', () => [optRecord({ options: [[10, bytes(4)]] })], DNS_RCODE.FORMERR],
  ['a client cookie of 9 bytes: FORMERR', () => [optRecord({ options: [[10, bytes(9)]] })], DNS_RCODE.FORMERR],
  ['a server cookie of 6 bytes: FORMERR', () => [optRecord({ options: [[10, bytes(14)]] })], DNS_RCODE.FORMERR],
  ['a server cookie of 33 bytes: FORMERR', () => [optRecord({ options: [[10, bytes(41)]] })], DNS_RCODE.FORMERR],
  ['an OPT whose RDLENGTH runs past the message: FORMERR', () => [optRecord({ rdlengthExtra: 6 })], DNS_RCODE.FORMERR],
  ['a client cookie of 8 bytes: answered', () => [optRecord({ options: [[10, bytes(8)]] })], DNS_RCODE.NOERROR],
  ['client and server cookies (8 + 16 bytes): answered', () => [optRecord({ options: [[10, bytes(24)]] })], DNS_RCODE.NOERROR],
];

for (const server of ['auth', 'rec'] as const) {
  describe(`${server === 'auth' ? 'authoritative' : 'recursive'} server: EDNS checks`, () => {
    for (const [what, opts, rcode, o] of cases) {
      it(what, async () => {
        const q = rawQuery(NAME[server], A, opts(), { rd: server === 'rec', answerOpt: o?.answerOpt });
        const r = await ask(server, q);
        expect(r.rcode).toBe(rcode);
        if (rcode === DNS_RCODE.NOERROR) expect(r.answers).toBeGreaterThan(0);
        else expect(r.answers).toBe(0);
        // Every reply to a query with EDNS carries an OPT of version 0 (RFC 6891 §6.1.3, §7),
        // except when the query's OPT could not be read at all.
        if (!/RDLENGTH/.test(what)) expect(r.ednsVersion).toBe(0);
        if (server === 'auth') expect((await ask(server, q, true)).rcode).toBe(rcode);
      });
    }
  });
}

describe("recursive server: the cached-answer fast path validates as much as the slow path", () => {
  it('once the answer is kept, the same question with a broken OPT still gets FORMERR / BADVERS', async () => {
    const name = 'deep.sub.example.test';
    const good = rawQuery(name, A, [optRecord()], { rd: true });
    for (let i = 0; i < 3; i++) expect((await ask('rec', good)).rcode).toBe(DNS_RCODE.NOERROR);
    const broken: [Uint8Array[], number][] = [
      [[optRecord({ rdlengthExtra: 6 })], DNS_RCODE.FORMERR],
      [[optRecord({ options: [[10, bytes(12)]] })], DNS_RCODE.FORMERR],
      [[optRecord({ version: 1 })], DNS_RCODE.BADVERS],
      [[optRecord(), optRecord()], DNS_RCODE.FORMERR],
      [[optRecord({ options: [[8, Uint8Array.from([0, 1, 40, 0, 1])]] })], DNS_RCODE.FORMERR], // client subnet /40 of IPv4
    ];
    for (const [opts, rcode] of broken) {
      const r = await ask('rec', rawQuery(name, A, opts, { rd: true }));
      expect(r.rcode).toBe(rcode);
    }
    // And the good query is still answered from the kept bytes.
    expect((await ask('rec', good)).answers).toBe(1);
  });
});

describe.skipIf(!requireTool('dig'))('dig sees BADVERS', () => {
  for (const server of ['auth', 'rec'] as const) {
    it(`dig +edns=1 +noednsneg to the ${server === 'auth' ? 'authoritative' : 'recursive'} server`, async () => {
      const [address, port] = server === 'auth' ? ['127.0.0.1', auth.port] : ['127.0.0.2', rec.port];
      const { stdout } = await run('dig', [`@${address}`, '-p', String(port), '+tries=1', '+time=2', '+edns=1', '+noednsneg', 'www.example.test', 'A']);
      expect(stdout).toMatch(/status: BADVERS/);
      expect(stdout).toMatch(/EDNS: version: 0/);
    });
  }
});
