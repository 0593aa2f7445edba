// dig (BIND 9, Debian dnsutils) against netlab's authoritative server: the answers match the zone,
// over UDP and TCP, with and without EDNS0; truncation, NXDOMAIN with the SOA, REFUSED, minimal ANY,
// and geo answers by client subnet (+subnet).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthServer } from '../../src/dns/auth-server.ts';
import { parseZoneText } from '../../src/dns/zone-file.ts';
import { recordText } from '../../src/wire/dns-text.ts';
import { findTool, requireTool } from '../helpers/tools.ts';
import { EXAMPLE_ZONE, exampleZone } from './zones.ts';

const run = promisify(execFile);
const ADDR = '127.53.9.1';

interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  opt: boolean;
  text: string;
}

/** Parses dig's default output: the header line, the flags, the sections. */
function parseDig(text: string): DigResult {
  const status = /status: (\w+)/.exec(text)?.[1] ?? '';
  const flags = (/;; flags: ([a-z ]*);/.exec(text)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const section = (name: string): string[] => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(text);
    if (m === null) return [];
    return m[1]
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith(';'))
      .map((l) => l.trim().split(/\s+/).join(' '));
  };
  return {
    status,
    flags,
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    opt: text.includes('OPT PSEUDOSECTION'),
    text,
  };
}

/** The zone's records for a name and type, as dig prints them (one space between fields). */
function zoneLines(name: string, type: string): string[] {
  return parseZoneText(EXAMPLE_ZONE, { origin: 'example.test' })
    .map((r) => recordText(r.record))
    .map((l) => l.split('\t').join(' '))
    .filter((l) => l.startsWith(`${name}. `) && l.split(' ')[3] === type);
}

describe.skipIf(!requireTool('dig'))('dig against the authoritative server', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = new AuthServer({
      address: ADDR,
      zones: [exampleZone()],
      views: [
        { name: 'India', networks: ['127.1.0.0/16'], records: parseZoneText('geo 60 A 127.30.1.1', { origin: 'example.test' }).map((r) => r.record) },
        { name: 'US', networks: ['127.2.0.0/16'], records: parseZoneText('geo 60 A 127.30.2.1', { origin: 'example.test' }).map((r) => r.record) },
      ],
    });
    await server.start();
  });
  afterAll(() => server.close());

  const dig = async (...args: string[]): Promise<DigResult> => {
    const { stdout } = await run(findTool('dig') as string, [`@${ADDR}`, '-p', String(server.port), '+norec', '+time=2', '+tries=1', ...args], {
      timeout: 10_000,
    });
    return parseDig(stdout);
  };

  for (const mode of [[], ['+tcp'], ['+noedns'], ['+tcp', '+noedns']]) {
    it(`answers match the zone (${mode.join(' ') || 'UDP, EDNS0'})`, async () => {
      for (const [name, type] of [
        ['www.example.test', 'A'],
        ['www.example.test', 'AAAA'],
        ['example.test', 'MX'],
        ['example.test', 'NS'],
        ['big.example.test', 'TXT'],
        ['_sip._udp.example.test', 'SRV'],
      ]) {
        if (name.startsWith('big') && !mode.includes('+tcp')) continue; // truncated over UDP: its own test
        const r = await dig(name, type, ...mode);
        expect(r.status, `${name} ${type}`).toBe('NOERROR');
        expect(r.flags).toContain('aa');
        expect(r.flags).not.toContain('tc');
        expect([...r.answer].sort(), `${name} ${type}`).toEqual(zoneLines(name, type).sort());
        expect(r.opt).toBe(!mode.includes('+noedns'));
      }
    });
  }

  it('a CNAME chain comes back in order and the MX target in the additional section', async () => {
    const r = await dig('chain.example.test', 'A');
    expect(r.answer.slice(0, 2)).toEqual(['chain.example.test. 300 IN CNAME alias.example.test.', 'alias.example.test. 300 IN CNAME www.example.test.']);
    expect(r.answer.slice(2).sort()).toEqual(zoneLines('www.example.test', 'A').sort());
    const mx = await dig('example.test', 'MX');
    expect(mx.additional).toEqual(['mail.example.test. 300 IN A 127.53.1.25']);
  });

  it('sets TC over 512 bytes without EDNS; dig retries over TCP and gets it all', async () => {
    const cut = await dig('many.example.test', 'A', '+noedns', '+ignore');
    expect(cut.flags).toContain('tc');
    expect(cut.answer).toEqual([]);
    const retried = await dig('many.example.test', 'A', '+noedns');
    expect(retried.text).toMatch(/Truncated, retrying in TCP mode/);
    expect(retried.answer).toHaveLength(32);
    const edns = await dig('many.example.test', 'A', '+bufsize=1232');
    expect(edns.flags).not.toContain('tc');
    expect(edns.answer).toHaveLength(32);
    const big = await dig('big.example.test', 'TXT', '+bufsize=1232', '+ignore');
    expect(big.flags).toContain('tc');
  });

  it('NXDOMAIN and NODATA with the SOA in the authority section', async () => {
    const nx = await dig('nope.example.test', 'A');
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.flags).toContain('aa');
    expect(nx.authority).toEqual(['example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 60']);
    const nodata = await dig('www.example.test', 'TXT', '+tcp');
    expect([nodata.status, nodata.answer.length, nodata.authority.length]).toEqual(['NOERROR', 0, 1]);
  });

  it('REFUSED outside its zones; a referral with glue for the delegated child', async () => {
    const r = await dig('www.example.org', 'A');
    expect(r.status).toBe('REFUSED');
    expect(r.flags).not.toContain('aa');
    const ref = await dig('host.sub.example.test', 'A');
    expect([ref.status, ref.flags.includes('aa'), ref.authority, ref.additional]).toEqual([
      'NOERROR',
      false,
      ['sub.example.test. 300 IN NS ns.sub.example.test.'],
      ['ns.sub.example.test. 300 IN A 127.53.2.1'],
    ]);
  });

  it('answers ANY minimally: one RRset', async () => {
    const r = await dig('www.example.test', 'ANY');
    expect(r.status).toBe('NOERROR');
    expect(new Set(r.answer.map((l) => l.split(' ')[3]))).toEqual(new Set(['A']));
  });

  it('geo answers follow dig +subnet, and the reply carries the scope', async () => {
    const india = await dig('geo.example.test', 'A', '+subnet=127.1.0.0/16');
    expect(india.answer).toEqual(['geo.example.test. 60 IN A 127.30.1.1']);
    expect(india.text).toMatch(/CLIENT-SUBNET: 127\.1\.0\.0\/16\/16/);
    const us = await dig('geo.example.test', 'A', '+subnet=127.2.3.0/24');
    expect(us.answer).toEqual(['geo.example.test. 60 IN A 127.30.2.1']);
    const none = await dig('geo.example.test', 'A');
    expect(none.answer).toEqual(['geo.example.test. 300 IN A 127.30.0.1']);
  });
});
