// The real `netlab` command with bad values for dig, topo, pki and decode: one line on stderr naming
// what was wrong, no stack trace, the exit code (1 for bad input, 2 for a damaged capture as before).
// The matrices run in-process on the same functions; the real command is run for one case of each kind.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDigArgs } from '../../src/cli/dig.ts';
import { CliError, checkWritableFile } from '../../src/cli/io.ts';
import { PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { initPki, loadPki, makeFolder } from '../../src/tls/pki-store.ts';
import { expectRefusal, netlabAll } from './cli-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-hostile-'));
const TOPO = join(import.meta.dirname, '..', '..', 'topologies', 'two-lans.json');

function cliError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return `${e.exitCode} ${e.message}`;
  }
  return 'accepted';
}

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

describe('dig: names and options', () => {
  it('refuses invalid names with exit 1 (not "communications error", exit 9)', () => {
    const dig = (name: string): string => cliError(() => parseDigArgs([name, '@127.0.0.1'], 5300, 2000));
    expect(dig('a..b')).toBe('1 invalid name "a..b" (has an empty label)');
    expect(dig(`${'a'.repeat(64)}.test`)).toMatch(/^1 invalid name "a{64}\.test" \(has a label of 64 octets \(at most 63\)\)$/);
    expect(dig(`${'a'.repeat(200)}.test`)).toMatch(/^1 invalid name "a{60}\.\.\. \(205 characters\)" \(has a label of 200 octets/);
    expect(dig('a\\')).toMatch(/^1 invalid name "a\\" \(ends with a lone backslash\)$/);
    expect(dig('a\\300.test')).toMatch(/escape \\300 is over 255/);
    expect(dig(`${'abcdefgh.'.repeat(30)}test`)).toMatch(/octets in wire form \(at most 255\)/);
    expect(dig('.')).toBe('accepted');
    expect(dig('example.test.')).toBe('accepted');
    expect(dig('a\\.b.test')).toBe('accepted');
  });

  it('refuses --timeout 0, -5, abc (NaN), over an hour, and a fraction', () => {
    for (const t of [0, -5, Number.NaN, 3_600_001, 1.5]) {
      expect(cliError(() => parseDigArgs(['a.test'], 53, t))).toMatch(/^1 --timeout/);
    }
    expect(cliError(() => parseDigArgs(['a.test'], 53, 1))).toBe('accepted');
  });
});

describe('paths checked before the work starts', () => {
  it('names a missing folder, a folder given as a file, a parent that is a file', () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'plain'), 'x');
    expect(cliError(() => checkWritableFile('--tap', join(dir, 'missing', 'x.pcapng')))).toMatch(/^1 --tap .*: the folder .*missing does not exist$/);
    expect(cliError(() => checkWritableFile('--tap', join(dir, 'sub')))).toMatch(/^1 --tap .*sub: is a folder; give a file name inside it$/);
    expect(cliError(() => checkWritableFile('--tap', join(dir, 'plain', 'x.pcapng')))).toMatch(/plain is a file, not a folder$/);
    expect(cliError(() => checkWritableFile('--tap', join(dir, 'sub', 'ok.pcapng')))).toBe('accepted');
  });
});

describe('pki', () => {
  it('refuses a 100 KB common name and an over-long organization (RFC 5280 upper bounds)', () => {
    const pkiDir = join(dir, 'pki');
    initPki(pkiDir);
    const pki = loadPki(pkiDir);
    expect(thrown(() => pki.ca.issueServer({ dns: ['a.test'], commonName: 'x'.repeat(100_000) }))).toBe('common name (CN) is 100000 characters; X.509 allows at most 64 (RFC 5280, upper bounds)');
    expect(thrown(() => pki.ca.issueServer({ dns: ['a.test'], commonName: 'x'.repeat(65) }))).toMatch(/65 characters; X.509 allows at most 64/);
    expect(thrown(() => pki.ca.issueServer({ dns: ['a.test'], commonName: 'x'.repeat(64) }))).toBe('accepted');
    expect(thrown(() => pki.ca.issueServer({ dns: ['a.test'], commonName: '' }))).toBe('common name (CN) is empty');
    expect(thrown(() => pki.ca.issueServer({ dns: [`${'a'.repeat(63)}.${'b'.repeat(10)}.test`] }))).toMatch(/taken from the first subjectAltName; give one explicitly\) is 79 characters/);
    expect(thrown(() => pki.ca.issueClient({ commonName: 'alice', organization: 'o'.repeat(65) }))).toMatch(/organization \(O\) is 65 characters/);
  });

  it('names the revocation file when it is not JSON', () => {
    const pkiDir = join(dir, 'pki-corrupt');
    initPki(pkiDir);
    writeFileSync(join(pkiDir, 'revoked.json'), '{not json');
    expect(thrown(() => loadPki(pkiDir))).toMatch(new RegExp(`^${join(pkiDir, 'revoked.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the revocation list is not valid JSON \\(`));
  });

  it('fails at once on a folder that cannot be created', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const t0 = Date.now();
    expect(thrown(() => makeFolder(join(dir, 'a-file', 'pki')))).toMatch(/a-file is a file, not a folder$/);
    expect(thrown(() => makeFolder('/proc/netlab-cannot-exist/pki'))).toMatch(/^cannot create the folder \/proc\/netlab-cannot-exist\/pki: /);
    expect(Date.now() - t0).toBeLessThan(5000);
    makeFolder(join(dir, 'x', 'y', 'z'));
    expect(existsSync(join(dir, 'x', 'y', 'z'))).toBe(true);
  });
});

describe('the real command: one line, no stack, the exit code', () => {
  it('dig, topo, pki and decode refuse cleanly', async () => {
    // A capture whose third block is an Enhanced Packet Block of 12 bytes (shorter than its header).
    const w = new PcapngWriter({ interfaces: [{ linkType: 101 }] });
    for (let i = 0; i < 2; i++) w.write({ tsSec: 1_700_000_000, tsNsec: 0, data: Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) });
    const good = w.toBytes();
    const short = new Uint8Array(good.length + 12);
    short.set(good);
    new DataView(short.buffer).setUint32(good.length, 6, true);
    new DataView(short.buffer).setUint32(good.length + 4, 12, true);
    new DataView(short.buffer).setUint32(good.length + 8, 12, true);
    writeFileSync(join(dir, 'short.pcapng'), short);
    writeFileSync(join(dir, 'blocker'), 'x');
    const pkiDir = join(dir, 'pki-cli');
    const runs: [string[], number, RegExp][] = [
      [['dig', 'a..b', '@127.0.0.1', '-p', '9'], 1, /^netlab: invalid name "a\.\.b" \(has an empty label\)$/],
      [['dig', 'a.test', '@127.0.0.1', '--timeout', 'abc'], 1, /^netlab: --timeout: not a number \(give a whole number of milliseconds from 1 to 3600000\)$/],
      [['dig', 'a.test', '@127.0.0.1', '--timeout', '0'], 1, /^netlab: --timeout 0: out of range/],
      [['topo', 'run', TOPO, '--links', 'memory', '--tap', join(dir, 'nope', 'net.pcapng')], 1, /^netlab: --tap .*nope\/net\.pcapng: the folder .*nope does not exist$/],
      [['topo', 'run', TOPO, '--links', 'memory', '--tap', dir], 1, /: is a folder; give a file name inside it$/],
      [['pki', 'init', '--dir', join(dir, 'blocker', 'pki')], 1, /^netlab: cannot create the folder .*blocker is a file, not a folder$/],
      [['pki', 'issue', 'big', '--dir', pkiDir, '--dns', 'a.test', '--cn', 'x'.repeat(100_000)], 1, /^netlab: (common name \(CN\) is 100000 characters; X\.509 allows at most 64|.*is missing: run "netlab pki init)/],
      [['decode', '-r', join(dir, 'short.pcapng')], 2, /damaged at frame 3 \(byte \d+\): pcapng: an Enhanced Packet Block of 12 bytes is shorter than its header/],
      [['nosuchcommand'], 1, /Unknown argument: nosuchcommand/],
    ];
    const results = await netlabAll(runs.map(([a]) => a), 3);
    results.forEach((r, i) => expectRefusal(r, runs[i][1], runs[i][2]));
    // topo run refused before running: nothing printed on stdout, no capture written.
    expect(results[3].stdout).toBe('');
    expect(results[4].stdout).toBe('');
    // decode printed the two good frames before reporting the short block.
    expect(results[7].stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(readFileSync(join(dir, 'blocker'), 'utf8')).toBe('x');
  }, 240_000);
});
