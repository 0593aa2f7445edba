// `netlab pki` end to end: the files it writes, what openssl says about them, and `show` beside
// `openssl x509 -text` for the same file.

import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { buildPkiCommand, validityFromArgs } from '../../src/cli/pki.ts';
import { CliError } from '../../src/cli/io.ts';
import { requireTool } from '../helpers/tools.ts';
import { run, tempDir } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'netlab.js');
const tmp = tempDir('netlab-cli-pki-');
afterAll(() => tmp.remove());
const dir = join(tmp.dir, 'pki');
/** The real command line (a child process): used once, for init. */
const netlabBin = (...args: string[]) => run('node', [BIN, 'pki', ...args, '--dir', dir], { timeoutMs: 30_000 });

/** The same command in this process (yargs with the pki command), so the tests stay fast. */
async function netlab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const y = yargs(['pki', ...args, '--dir', dir])
    .command(buildPkiCommand({ write: (t: string) => (stdout += t) }))
    .strict()
    .fail((msg, err) => {
      throw err ?? new CliError(msg);
    });
  try {
    await y.parseAsync();
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    if (e instanceof CliError) return { code: e.exitCode, stdout, stderr: `netlab: ${e.message}\n` };
    throw e;
  }
}

describe('validity flags', () => {
  const base = { days: 90, expired: false, 'not-yet-valid': false } as const;
  const now = new Date('2026-03-01T12:00:00Z');
  it('days, expired, not yet valid, explicit dates', () => {
    expect(validityFromArgs({ ...base, days: 10 }, now).notAfter.toISOString()).toBe('2026-03-11T12:00:00.000Z');
    expect(validityFromArgs({ ...base, expired: true }, now).notAfter.getTime()).toBeLessThan(now.getTime());
    expect(validityFromArgs({ ...base, 'not-yet-valid': true }, now).notBefore.getTime()).toBeGreaterThan(now.getTime());
    const w = validityFromArgs({ ...base, 'not-before': '2030-01-01', 'not-after': '2030-02-01T00:00:00Z' }, now);
    expect([w.notBefore.toISOString(), w.notAfter.toISOString()]).toEqual(['2030-01-01T00:00:00.000Z', '2030-02-01T00:00:00.000Z']);
  });
  it('says what is wrong', () => {
    expect(() => validityFromArgs({ ...base, expired: true, 'not-yet-valid': true }, now)).toThrow(CliError);
    expect(() => validityFromArgs({ ...base, 'not-before': 'soon' }, now)).toThrow(/--not-before soon: not a date/);
    expect(() => validityFromArgs({ ...base, 'not-before': '2030-02-01', 'not-after': '2030-01-01' }, now)).toThrow(/must come after/);
    expect(() => validityFromArgs({ ...base, days: -1 }, now)).toThrow(/positive number of days/);
  });
});

describe.skipIf(!requireTool('openssl'))('netlab pki init | issue | show | revoke', () => {
  const path = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => run('openssl', args);

  it('init writes the CAs (keys private), refuses to overwrite', async () => {
    const r = await netlabBin('init');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Created a PKI in .* \(EC P-256, [\d.]+ ms\):/);
    expect(statSync(path('root-ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path('intermediate-ca.key')).mode & 0o777).toBe(0o600);
    const v = await openssl('verify', '-CAfile', path('root-ca.pem'), path('intermediate-ca.pem'));
    expect(v.stdout).toContain(': OK');
    const again = await netlabBin('init');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a PKI.*--force/);
  });

  it('issue: a server certificate openssl verifies for its name and IP, a client one, an expired one', async () => {
    const www = await netlab('issue', 'www', '--dns', 'www.netlab.test,localhost', '--ip', '127.0.0.1');
    expect(www.code, www.stderr).toBe(0);
    expect(www.stdout).toMatch(/^Issued www \(server, [\d.]+ ms\): serial [0-9a-f]{32}/);
    const ok = await openssl(
      'verify',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-purpose',
      'sslserver',
      '-verify_hostname',
      'www.netlab.test',
      '-verify_ip',
      '127.0.0.1',
      path('www.pem'),
    );
    expect(ok.stdout, ok.stderr).toContain(': OK');
    const chain = await openssl('verify', '-CAfile', path('root-ca.pem'), '-untrusted', path('www-chain.pem'), path('www.pem'));
    expect(chain.stdout).toContain(': OK');
    const alice = await netlab('issue', 'alice', '--client', '--uri', 'spiffe://netlab.test/alice');
    expect(alice.code, alice.stderr).toBe(0);
    const asClient = await openssl(
      'verify',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-purpose',
      'sslclient',
      path('alice.pem'),
    );
    expect(asClient.stdout).toContain(': OK');
    const notServer = await openssl(
      'verify',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-purpose',
      'sslserver',
      path('alice.pem'),
    );
    expect(notServer.stdout + notServer.stderr).toMatch(/unsuitable certificate purpose/);
    const old = await netlab('issue', 'old', '--dns', 'old.netlab.test', '--expired');
    expect(old.code, old.stderr).toBe(0);
    const expired = await openssl('verify', '-CAfile', path('root-ca.pem'), '-untrusted', path('intermediate-ca.pem'), path('old.pem'));
    expect(expired.stdout + expired.stderr).toMatch(/certificate has expired/);
    const rsa = await netlab(
      'issue',
      'rsa',
      '--dns',
      'rsa.netlab.test',
      '--key',
      'rsa',
      '--not-before',
      '2026-01-01T00:00:00Z',
      '--not-after',
      '2060-01-01T00:00:00Z',
    );
    expect(rsa.stdout).toContain('valid Jan  1 00:00:00 2026 GMT to Jan  1 00:00:00 2060 GMT');
  });

  it('issue refuses bad input with the reason', async () => {
    const bad = await netlab('issue', 'bad', '--ip', '1.2.3');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"1.2.3" is not an IPv4 or IPv6 address');
    const none = await netlab('issue', 'empty');
    expect(none.stderr).toContain('at least one DNS name or IP address');
    const dup = await netlab('issue', 'www', '--dns', 'www.netlab.test');
    expect(dup.stderr).toMatch(/www\.pem exists; use --force/);
    const name = await netlab('issue', 'root-ca', '--dns', 'x.test');
    expect(name.stderr).toMatch(/cannot name a certificate/);
    const key = await netlab('issue', 'k', '--dns', 'x.test', '--key', 'dsa');
    expect(key.stderr).toContain('--key dsa: use ec (P-256) or rsa (2048 bits)');
    const nopki = await run('node', [BIN, 'pki', 'issue', 'x', '--dns', 'x.test', '--dir', join(tmp.dir, 'none')]);
    expect(nopki.stderr).toMatch(/root-ca\.pem is missing: run "netlab pki init --dir/);
  });

  it('show prints what openssl x509 -text prints, and the SHA-256 fingerprint', async () => {
    for (const name of ['www', 'alice', 'old', 'rsa', 'root-ca', 'intermediate-ca']) {
      const ours = await netlab('show', name);
      expect(ours.code, ours.stderr).toBe(0);
      const text = await openssl('x509', '-in', path(`${name}.pem`), '-noout', '-text');
      const fp = await openssl('x509', '-in', path(`${name}.pem`), '-noout', '-fingerprint', '-sha256');
      expect(ours.stdout).toBe(text.stdout + fp.stdout);
    }
    // A DER file given by path.
    const der = join(tmp.dir, 'www.der');
    await openssl('x509', '-in', path('www.pem'), '-outform', 'DER', '-out', der);
    expect((await netlab('show', der)).stdout).toBe((await netlab('show', 'www')).stdout);
    writeFileSync(join(tmp.dir, 'junk.pem'), 'not a certificate');
    const junk = await netlab('show', join(tmp.dir, 'junk.pem'));
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('neither PEM nor DER');
    expect((await netlab('show', 'www.key')).stderr).toContain('PEM without a CERTIFICATE block');
  });

  it('revoke writes crl.pem and openssl then refuses the certificate', async () => {
    const r = await netlab('revoke', 'alice');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Revoked serial [0-9a-f]{32}; CRLs \(intermediate, root\) in .*crl\.pem/);
    const v = await openssl(
      'verify',
      '-crl_check_all',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-CRLfile',
      path('crl.pem'),
      path('alice.pem'),
    );
    expect(v.stdout + v.stderr).toMatch(/certificate revoked/);
    const www = await openssl(
      'verify',
      '-crl_check_all',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-CRLfile',
      path('crl.pem'),
      path('www.pem'),
    );
    expect(www.stdout).toContain(': OK');
    // A second revocation keeps the first (revoked.json) in the new CRL.
    await netlab('revoke', 'old');
    const v2 = await openssl(
      'verify',
      '-crl_check_all',
      '-CAfile',
      path('root-ca.pem'),
      '-untrusted',
      path('intermediate-ca.pem'),
      '-CRLfile',
      path('crl.pem'),
      path('alice.pem'),
    );
    expect(v2.stdout + v2.stderr).toMatch(/certificate revoked/);
    const unknown = await netlab('revoke', 'nobody');
    expect(unknown.stderr).toContain('no certificate called "nobody"');
  });
});
