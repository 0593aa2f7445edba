// TLS benchmark, one run, one machine: certificate issuance and TLS 1.3 handshakes per second.
//
//   npx tsx bench/tls-pki.ts [--seconds 3] [--concurrency 4] [--rounds 20]
//
// Issuance (CA + leaf, median of --rounds): netlab with EC P-256 and RSA 2048 keys from Node's crypto,
// beside forge's own API (forge.pki.rsa.generateKeyPair, which hands key generation to Node's crypto
// when it can, and cert.sign, which signs in JavaScript) and the openssl command line (ecparam + req + x509 -req for the same two certificates).
// Handshakes: full TLS 1.3 handshakes (no resumption) from one Node client loop with --concurrency
// connections in flight, against a netlab TlsLabServer and against `openssl s_server` with the same
// certificate and key, one after the other on 127.0.0.1.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import forge from 'node-forge';
import { CertificateAuthority } from '../src/tls/pki.ts';
import { TlsLabServer } from '../src/tls/server.ts';
import { hasCommand } from './peers.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const SECONDS = arg('seconds', 3);
const CONCURRENCY = arg('concurrency', 4);
const ROUNDS = arg('rounds', 20);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function timeIt(rounds: number, f: () => void): number {
  f(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function netlabIssue(keyType: 'ec' | 'rsa'): void {
  const root = CertificateAuthority.root({ commonName: 'bench root', keyType });
  root.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1'] });
}

function forgeIssue(): void {
  const pki = forge.pki;
  const make = (subject: string, issuer: string, keys: forge.pki.rsa.KeyPair, signer: forge.pki.rsa.PrivateKey, ca: boolean): void => {
    const c = pki.createCertificate();
    c.publicKey = keys.publicKey;
    c.serialNumber = '01';
    c.validity.notBefore = new Date();
    c.validity.notAfter = new Date(Date.now() + 86_400_000);
    c.setSubject([{ name: 'commonName', value: subject }]);
    c.setIssuer([{ name: 'commonName', value: issuer }]);
    c.setExtensions([{ name: 'basicConstraints', cA: ca }, ...(ca ? [] : [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'www.netlab.test' }] }])]);
    c.sign(signer, forge.md.sha256.create());
  };
  const caKeys = pki.rsa.generateKeyPair({ bits: 2048 });
  make('bench root', 'bench root', caKeys, caKeys.privateKey, true);
  const leafKeys = pki.rsa.generateKeyPair({ bits: 2048 });
  make('www.netlab.test', 'bench root', leafKeys, caKeys.privateKey, false);
}

function opensslIssue(dir: string): void {
  const f = (n: string): string => join(dir, n);
  const o = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  o('req', '-x509', '-key', f('ca.key'), '-out', f('ca.pem'), '-days', '30', '-subj', '/CN=bench root');
  o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('leaf.key'));
  o('req', '-new', '-key', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=www.netlab.test');
  o('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '30');
}

/** Full TLS 1.3 handshakes per second against host:port (no session reuse). */
async function handshakesPerSecond(port: number, ca: string): Promise<{ perSecond: number; count: number; errors: number; firstError?: string }> {
  const end = performance.now() + SECONDS * 1000;
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port, servername: 'www.netlab.test', ca, minVersion: 'TLSv1.3' });
      s.once('secureConnect', () => {
        count++;
        s.destroy();
        resolve();
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        errors++;
        firstError ??= `${e.code ?? ''} ${e.message}`.trim();
        s.destroy();
        resolve();
      });
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { perSecond: count / s, count, errors, firstError };
}

async function startSServer(cert: string, key: string, chain: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key, '-cert_chain', chain, '-naccept', '1000000', '-www'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(text);
      if (m !== null) resolve(Number(m[1]));
    });
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.once('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${text}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-tls-'));
  try {
    console.log(
      `TLS benchmark (node ${process.version}, ${process.versions.openssl}; median of ${ROUNDS} rounds; handshakes for ${SECONDS} s at concurrency ${CONCURRENCY})\n`,
    );
    console.log('Certificate issuance, a CA and a leaf (keys included):');
    const ec = timeIt(ROUNDS, () => netlabIssue('ec'));
    const rsa = timeIt(Math.max(3, Math.floor(ROUNDS / 4)), () => netlabIssue('rsa'));
    console.log(`  netlab, EC P-256 keys      ${ec.toFixed(2).padStart(9)} ms`);
    console.log(`  netlab, RSA 2048 keys      ${rsa.toFixed(2).padStart(9)} ms`);
    const forgeMs = timeIt(2, forgeIssue);
    console.log(
      `  forge's API, RSA 2048      ${forgeMs.toFixed(2).padStart(9)} ms   (netlab EC is ${(forgeMs / ec).toFixed(0)}x faster, netlab RSA ${(forgeMs / rsa).toFixed(1)}x)`,
    );
    if (hasCommand('openssl')) {
      const os = timeIt(Math.min(ROUNDS, 5), () => opensslIssue(dir));
      console.log(`  openssl CLI, EC P-256      ${os.toFixed(2).padStart(9)} ms   (5 processes; netlab EC is ${(os / ec).toFixed(1)}x faster)`);
    } else console.log('  openssl CLI: skipped (apt-get install openssl)');

    console.log('\nTLS 1.3 full handshakes per second (EC P-256 certificate, chain of 2):');
    const root = CertificateAuthority.root({ commonName: 'bench root' });
    const inter = root.intermediate({ commonName: 'bench intermediate' });
    const leaf = inter.issueServer({ dns: ['www.netlab.test'], ips: ['127.0.0.1'] });
    const srv = await TlsLabServer.start({ identity: { key: leaf.keyPem, cert: leaf.chainPem }, onConnection: (s) => s.resume() });
    const ours = await handshakesPerSecond(srv.port, root.certPem);
    await srv.close();
    console.log(
      `  netlab TlsLabServer        ${ours.perSecond.toFixed(0).padStart(9)} /s   (${ours.count} handshakes, ${ours.errors} errors${ours.firstError !== undefined ? `: ${ours.firstError}` : ''})`,
    );
    if (hasCommand('openssl')) {
      const cert = join(dir, 'leaf.pem');
      const key = join(dir, 'leaf.key');
      const chain = join(dir, 'inter.pem');
      writeFileSync(cert, leaf.certPem);
      writeFileSync(key, leaf.keyPem);
      writeFileSync(chain, inter.certPem);
      const s = await startSServer(cert, key, chain);
      const theirs = await handshakesPerSecond(s.port, root.certPem);
      await s.stop();
      console.log(
        `  openssl s_server           ${theirs.perSecond.toFixed(0).padStart(9)} /s   (${theirs.count} handshakes, ${theirs.errors} errors${theirs.firstError !== undefined ? `: ${theirs.firstError}` : ''})`,
      );
      console.log(`  ratio netlab / openssl     ${(ours.perSecond / theirs.perSecond).toFixed(2).padStart(9)}`);
    } else console.log('  openssl s_server: skipped (apt-get install openssl)');
    console.log('\nThe client is the same Node loop for both servers and shares the CPU with them: the ratio is the figure to read.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
