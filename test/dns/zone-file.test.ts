import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadZoneFile, parseZoneText, ZoneFileError } from '../../src/dns/zone-file.ts';
import { lexZoneText, tokenBytes } from '../../src/dns/zone-file-lexer.ts';
import { parseTtlText } from '../../src/dns/zone-file-rdata.ts';
import { recordText } from '../../src/wire/dns-text.ts';
import { txtStrings } from '../../src/wire/dns-rdata.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

const ZONE = `; the seed's example zone, with every feature of the format
$ORIGIN example.test.
$TTL 1h
@   IN  SOA ns1 hostmaster.example.test. (
        2024010101 ; serial
        7200       ; refresh
        3600       ; retry
        1209600    ; expire
        300 )      ; minimum
    IN  NS  ns1
    IN  NS  ns2.example.test.
ns1 300 IN A 127.53.1.1
ns2 IN 300 A 127.53.1.2
www     A    93.184.216.34
        A    93.184.216.35
        AAAA 2001:DB8:0:0::1
mail 60 MX 10 mx1
txt TXT "hello world" "semi;colon (paren)" "quote\\"back\\\\slash" \\065BC "" plain
blob TXT "caf\\195\\169"
srv._tcp SRV 0 5 5060 sip
caa CAA 0 issue "letsencrypt.org"
weird\\.label A 192.0.2.1
$ORIGIN sub
host A 192.0.2.2
@ TXT "sub apex"
generic.example.test. TYPE65280 \\# 4 0A000001
typed-generic.example.test. A \\# 4 C0000207
`;

describe('master file lexer', () => {
  it('joins parentheses across lines, drops comments, keeps quoted strings whole', () => {
    const entries = lexZoneText('a ( 1 ; c\n 2 )\n  b "x y;z" \\040\n', 'f');
    expect(entries.map((e) => e.tokens.map((t) => t.raw))).toEqual([
      ['a', '1', '2'],
      ['b', 'x y;z', '\\040'],
    ]);
    expect(entries[1].ownerOmitted).toBe(true);
    expect(entries[0].ownerOmitted).toBe(false);
    expect(tokenBytes(entries[1].tokens[2])).toEqual(Uint8Array.of(40));
  });

  it('names the line and column of each syntax error', () => {
    const cases: [string, number, number, RegExp][] = [
      ['a A (\n 1\n', 1, 5, /never closed/],
      ['a A 1 )\n', 1, 7, /without an opening/],
      ['x TXT "abc\n', 1, 7, /not closed on its line/],
      ['x TXT \\256\n', 1, 7, /over 255/],
      ['x TXT \\12x\n', 1, 7, /three decimal digits/],
      ['x TXT ab\\\n', 1, 9, /backslash at the end/],
      ['x ( ( 1 ) )\n', 1, 5, /already open since line 1, column 3/],
    ];
    for (const [text, line, column, reason] of cases) {
      try {
        lexZoneText(text, 'bad.zone');
        expect.unreachable(`no error for ${JSON.stringify(text)}`);
      } catch (err) {
        expect(err).toBeInstanceOf(ZoneFileError);
        const e = err as ZoneFileError;
        expect([e.file, e.line, e.column], text).toEqual(['bad.zone', line, column]);
        expect(e.reason).toMatch(reason);
        expect(e.message).toMatch(/^bad\.zone:\d+:\d+: /);
      }
    }
  });
});

describe('master file parser', () => {
  const recs = parseZoneText(ZONE, { file: 'example.zone' });
  const text = recs.map((r) => recordText(r.record));

  it('reads every record with origin, @, relative names and carried-over owner, TTL and class', () => {
    expect(text).toEqual([
      'example.test.\t3600\tIN\tSOA\tns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300',
      'example.test.\t3600\tIN\tNS\tns1.example.test.',
      'example.test.\t3600\tIN\tNS\tns2.example.test.',
      'ns1.example.test.\t300\tIN\tA\t127.53.1.1',
      'ns2.example.test.\t300\tIN\tA\t127.53.1.2',
      'www.example.test.\t3600\tIN\tA\t93.184.216.34',
      'www.example.test.\t3600\tIN\tA\t93.184.216.35',
      'www.example.test.\t3600\tIN\tAAAA\t2001:db8::1',
      'mail.example.test.\t60\tIN\tMX\t10 mx1.example.test.',
      'txt.example.test.\t3600\tIN\tTXT\t"hello world" "semi;colon (paren)" "quote\\"back\\\\slash" "ABC" "" "plain"',
      'blob.example.test.\t3600\tIN\tTXT\t"caf\\195\\169"',
      'srv._tcp.example.test.\t3600\tIN\tSRV\t0 5 5060 sip.example.test.',
      'caa.example.test.\t3600\tIN\tCAA\t0 issue "letsencrypt.org"',
      'weird\\.label.example.test.\t3600\tIN\tA\t192.0.2.1',
      'host.sub.example.test.\t3600\tIN\tA\t192.0.2.2',
      'sub.example.test.\t3600\tIN\tTXT\t"sub apex"',
      'generic.example.test.\t3600\tIN\tTYPE65280\t\\# 4 0A000001',
      'typed-generic.example.test.\t3600\tIN\tA\t192.0.2.7',
    ]);
  });

  it('an SOA without a TTL takes the $TTL, else its MINIMUM (as BIND does)', () => {
    const soa = parseZoneText('$TTL 2h\n@ SOA a. b. 1 2 3 4 5\n', { origin: 'x.test' });
    expect(soa[0].record.ttl).toBe(7200);
    const noTtl = parseZoneText('@ SOA a. b. 1 2 3 4 5\n', { origin: 'x.test' });
    expect(noTtl[0].record.ttl).toBe(5);
  });

  it('keeps TXT strings as octets and the line each record came from', () => {
    const blob = recs.find((r) => r.record.name === 'blob.example.test');
    expect(blob?.record.data.type).toBe('TXT');
    if (blob?.record.data.type === 'TXT') expect(txtStrings(blob.record.data)).toEqual(['café']);
    expect(blob?.line).toBe(19);
    expect(recs.find((r) => r.record.name === 'ns2.example.test')?.line).toBe(13);
  });

  it('refuses bad records, naming the file, line and column', () => {
    const bad: [string, number, number, RegExp][] = [
      ['www A 1.2.3.4\n', 1, 1, /relative but there is no origin/],
      ['$ORIGIN x.test.\nwww 300 A 1.2.3\n', 2, 11, /not an IPv4 address/],
      ['$ORIGIN x.test.\nwww 300 A 1.2.3.4 5.6.7.8\n', 2, 19, /one too many/],
      ['$ORIGIN x.test.\nwww A 1.2.3.4\n', 2, 5, /no TTL/],
      ['$ORIGIN x.test.\n$TTL 1\n  A 1.2.3.4\n', 3, 3, /no owner/],
      ['$ORIGIN x.test.\n$TTL 1\nwww FOO 1\n', 3, 5, /'FOO' is not a TTL, class or record type/],
      ['$ORIGIN x.test.\n$TTL 1\nwww ANY 1\n', 3, 5, /meta type/],
      ['$ORIGIN x.test.\n$TTL 1\nwww HINFO a b\n', 3, 5, /generic form/],
      ['$ORIGIN x.test.\n$TTL 1\nwww MX 70000 a\n', 3, 8, /not a number 0\.\.65535/],
      ['$ORIGIN x.test.\n$TTL 1\nwww MX 10\n', 3, 5, /MX record has no exchange/],
      ['$ORIGIN x.test.\n$TTL 1\nwww TXT "' + 'x'.repeat(256) + '"\n', 3, 9, /256 octets/],
      ['$ORIGIN x.test.\n$TTL 1\nwww TYPE99 \\# 4 0A0000\n', 3, 15, /says 4 octets but holds 3/],
      ['$ORIGIN x.test.\n$TTL 1\nwww A \\# 3 0A0000\n', 3, 10, /not valid A RDATA/],
      ['$ORIGIN x.test.\n$TTL 1\n' + 'a'.repeat(64) + ' A 1.2.3.4\n', 3, 1, /label of 64 octets/],
      ['$GENERATE 1-3 h$ A 1.2.3.$\n', 1, 1, /not a directive netlab reads/],
      ['$TTL soon\n', 1, 6, /not a time/],
      ['$INCLUDE other.zone\n', 1, 1, /not allowed here/],
    ];
    for (const [zone, line, column, reason] of bad) {
      let caught: unknown;
      try {
        parseZoneText(zone, { file: 'bad.zone' });
      } catch (err) {
        caught = err;
      }
      expect(caught, zone).toBeInstanceOf(ZoneFileError);
      const e = caught as ZoneFileError;
      expect(e.reason, zone).toMatch(reason);
      expect([e.file, e.line, e.column], zone).toEqual(['bad.zone', line, column]);
    }
  });

  it('reads BIND TTL units', () => {
    expect(parseTtlText('1h30m')).toBe(5400);
    expect(parseTtlText('1W')).toBe(604800);
    expect(parseTtlText('2d1s')).toBe(172801);
    expect(parseTtlText('h')).toBeUndefined();
    expect(parseTtlText('4294967296')).toBeUndefined();
  });
});

describe('$INCLUDE from disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-zone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('includes relative to the including file, with its own origin that does not leak back', () => {
    writeFileSync(join(dir, 'main.zone'), '$ORIGIN example.test.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n$INCLUDE hosts.inc lab.example.test.\nafter A 192.0.2.9\n');
    writeFileSync(join(dir, 'hosts.inc'), 'a A 192.0.2.1\n$ORIGIN deep.example.test.\nb A 192.0.2.2\n');
    const r = loadZoneFile(join(dir, 'main.zone')).map((x) => `${x.record.name} ${x.file.endsWith('hosts.inc') ? 'inc' : 'main'}:${x.line}`);
    expect(r).toEqual(['example.test main:3', 'a.lab.example.test inc:1', 'b.deep.example.test inc:3', 'after.example.test main:5']);
  });

  it('stops an include loop and names the file', () => {
    writeFileSync(join(dir, 'loop.zone'), '$ORIGIN l.test.\n$INCLUDE loop.zone\n');
    expect(() => loadZoneFile(join(dir, 'loop.zone'))).toThrow(/loop\.zone:2:1: \$INCLUDE nested more than 8 deep/);
    expect(() => loadZoneFile(join(dir, 'missing.zone'))).toThrow(/cannot read the zone file/);
  });
});

describe.skipIf(!requireTool('named-checkzone'))('agrees with BIND named-checkzone', () => {
  it('reads the same records as BIND from the same file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-zone-'));
    try {
      const path = join(dir, 'example.zone');
      writeFileSync(path, ZONE);
      const bind = execFileSync(findTool('named-checkzone') as string, ['-q', '-D', '-o', '-', 'example.test', path], { encoding: 'utf8' });
      // named-checkzone -D prints one record per line: name ttl class type rdata (canonical text).
      const norm = (line: string): string => line.trim().split(/\s+/).join(' ').toLowerCase();
      const theirs = bind
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith(';'))
        .map(norm)
        .sort();
      const ours = loadZoneFile(path)
        .map((r) => norm(recordText(r.record)))
        .sort();
      expect(ours).toEqual(theirs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
