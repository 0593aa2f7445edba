// `netlab pki`: a small PKI in a folder (default netlab-out/pki).
//
//   netlab pki init                                   root CA + intermediate (EC P-256; --key rsa)
//   netlab pki issue www --dns www.netlab.test --ip 127.0.0.1
//   netlab pki issue alice --client --uri spiffe://netlab.test/alice
//   netlab pki issue old --dns old.netlab.test --expired      (or --not-yet-valid, --days, --not-before/--not-after)
//   netlab pki show www                               like openssl x509 -text, plus the SHA-256 fingerprint
//   netlab pki revoke alice                           writes crl.pem

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { certificatesFromFile, certificateText } from '../tls/cert-text.ts';
import { KEY_TYPES, type KeyType } from '../tls/keys.ts';
import { NAME_BOUNDS } from '../tls/pki.ts';
import { DEFAULT_PKI_DIR, initPki, loadPki, PKI_FILES, revokeInPki, saveLeaf } from '../tls/pki-store.ts';
import { expiredWindow, notYetValidWindow, validFor, type ValidityWindow } from '../tls/validity.ts';
import { CliError } from './io.ts';

interface Out {
  write(text: string): unknown;
}

interface CommonArgs {
  dir: string;
}

interface InitArgs extends CommonArgs {
  key: string;
  org: string;
  force: boolean;
}

interface IssueArgs extends CommonArgs {
  name: string;
  dns: string[];
  ip: string[];
  uri: string[];
  cn?: string;
  client: boolean;
  server: boolean;
  days: number;
  expired: boolean;
  'not-yet-valid': boolean;
  'not-before'?: string;
  'not-after'?: string;
  key?: string;
  force: boolean;
}

interface ShowArgs extends CommonArgs {
  file: string;
}

interface RevokeArgs extends CommonArgs {
  cert: string;
}

/** Runs `f`, turning its plain errors (bad input, missing files) into user-facing ones. */
async function userErrors(f: () => void | Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message, 1);
  }
}

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

function keyType(v: string | undefined): KeyType | undefined {
  if (v === undefined) return undefined;
  if (!(KEY_TYPES as readonly string[]).includes(v)) throw new CliError(`--key ${v}: use ec (P-256) or rsa (2048 bits)`);
  return v as KeyType;
}

function parseDate(flag: string, v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new CliError(`--${flag} ${v}: not a date (use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`);
  // A certificate's times are UTCTime (1950-2049) or GeneralizedTime (to 9999-12-31 23:59:59, RFC 5280 4.1.2.5).
  if (d.getTime() < Date.UTC(1950, 0, 1) || d.getTime() > Date.UTC(9999, 11, 31, 23, 59, 59)) {
    throw new CliError(`--${flag} ${v}: a certificate's validity runs from 1950-01-01 to 9999-12-31T23:59:59Z (RFC 5280)`);
  }
  return d;
}

/** Longest --days: a hundred years (the end must stay a date a certificate can hold). */
const MAX_DAYS = 36525;

/** The validity window the flags ask for. */
export function validityFromArgs(a: Pick<IssueArgs, 'days' | 'expired' | 'not-yet-valid' | 'not-before' | 'not-after'>, now = new Date()): ValidityWindow {
  const chosen = [a.expired, a['not-yet-valid'], a['not-before'] !== undefined || a['not-after'] !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new CliError('choose one of --expired, --not-yet-valid, or --not-before/--not-after');
  if (a.expired) return expiredWindow(now);
  if (a['not-yet-valid']) return notYetValidWindow(now);
  if (a['not-before'] !== undefined || a['not-after'] !== undefined) {
    const nb = a['not-before'] !== undefined ? parseDate('not-before', a['not-before']) : validFor(1, now).notBefore;
    const na = a['not-after'] !== undefined ? parseDate('not-after', a['not-after']) : new Date(nb.getTime() + a.days * 86_400_000);
    if (na.getTime() <= nb.getTime()) throw new CliError(`--not-after (${na.toISOString()}) must come after --not-before (${nb.toISOString()})`);
    return { notBefore: nb, notAfter: na };
  }
  if (typeof a.days !== 'number' || Number.isNaN(a.days)) throw new CliError('--days: not a number (give a positive number of days, at most 36525)');
  if (!Number.isFinite(a.days) || a.days <= 0 || a.days > MAX_DAYS)
    throw new CliError(`--days ${a.days}: give a positive number of days, at most ${MAX_DAYS} (100 years)`);
  return validFor(a.days, now);
}

/** What `show` reads: a path, or NAME (NAME.pem in the folder). */
export function showText(file: string, dir: string): string {
  const candidates = [file, join(dir, file), join(dir, `${file}.pem`)];
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) throw new CliError(`no certificate at ${file} (nor ${join(dir, `${file}.pem`)})`);
  let ders: Buffer[];
  try {
    ders = certificatesFromFile(readFileSync(path), path);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  return ders.map((d) => certificateText(d)).join('\n');
}

export function buildPkiCommand(out: Out = process.stdout): CommandModule {
  const dirOption = { type: 'string', default: DEFAULT_PKI_DIR, describe: 'The PKI folder' } as const;

  const init: CommandModule<object, InitArgs> = {
    command: 'init',
    describe: 'Create a root CA and an intermediate CA',
    builder: (y) =>
      y
        .option('dir', dirOption)
        .option('key', { type: 'string', default: 'ec', describe: 'Key type of the CAs: ec (P-256) or rsa (2048)' })
        .option('org', { type: 'string', default: 'netlab', describe: 'Organization (O) of the CA names' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace a PKI already in the folder' }),
    handler: (a) =>
      userErrors(() => {
        // The CA names are "ORG Root CA" and "ORG Intermediate CA": both must fit a common name (64).
        const maxOrg = NAME_BOUNDS.commonName - ' Intermediate CA'.length;
        if ([...a.org].length > maxOrg)
          throw new CliError(
            `--org: ${[...a.org].length} characters; at most ${maxOrg} (the CA common names "ORG Root CA" and "ORG Intermediate CA" hold ${NAME_BOUNDS.commonName})`,
            1,
          );
        const t0 = performance.now();
        const pki = initPki(a.dir, { keyType: keyType(a.key), organization: a.org, force: a.force });
        const ms = performance.now() - t0;
        out.write(
          [
            `Created a PKI in ${a.dir} (${pki.root.cert.key.type === 'rsa' ? 'RSA 2048' : 'EC P-256'}, ${ms.toFixed(1)} ms):`,
            `  ${join(a.dir, PKI_FILES.rootCert)}   ${pki.root.cert.x509.subject.replace(/\n/g, ', ')}, valid to ${pki.root.cert.x509.validTo}`,
            `  ${join(a.dir, PKI_FILES.caCert)}   ${pki.ca.cert.x509.subject.replace(/\n/g, ', ')}, valid to ${pki.ca.cert.x509.validTo}`,
            `  ${join(a.dir, PKI_FILES.chain)}   trust this (or ${PKI_FILES.rootCert}) in clients and servers`,
            `Next: netlab pki issue www --dns www.netlab.test --ip 127.0.0.1${a.dir === DEFAULT_PKI_DIR ? '' : ` --dir ${a.dir}`}`,
          ].join('\n') + '\n',
        );
      }),
  };

  const issue: CommandModule<object, IssueArgs> = {
    command: 'issue <name>',
    describe: 'Issue a server or client certificate (NAME.pem, NAME.key, NAME-chain.pem)',
    builder: (y) =>
      y
        .positional('name', { type: 'string', demandOption: true, describe: 'File name for the certificate (NAME.pem ...)' })
        .option('dir', dirOption)
        .option('dns', { type: 'string', array: true, default: [], describe: 'DNS subjectAltName (repeat or comma-separate)' })
        .option('ip', { type: 'string', array: true, default: [], describe: 'IP address subjectAltName' })
        .option('uri', { type: 'string', array: true, default: [], describe: 'URI subjectAltName (e.g. spiffe://netlab.test/alice)' })
        .option('cn', { type: 'string', describe: 'Common name (default: the first SAN)' })
        .option('client', { type: 'boolean', default: false, describe: 'A client certificate (clientAuth), for mTLS' })
        .option('server', { type: 'boolean', default: false, describe: 'A server certificate (serverAuth; the default)' })
        .option('days', { type: 'number', default: 90, describe: 'Valid for this many days from now' })
        .option('expired', { type: 'boolean', default: false, describe: 'Already expired (ended yesterday)' })
        .option('not-yet-valid', { type: 'boolean', default: false, describe: 'Valid only from tomorrow' })
        .option('not-before', { type: 'string', describe: 'Start of validity (ISO 8601)' })
        .option('not-after', { type: 'string', describe: 'End of validity (ISO 8601)' })
        .option('key', { type: 'string', describe: "Key type: ec or rsa (default: the CA's)" })
        .option('force', { type: 'boolean', default: false, describe: 'Replace NAME.pem if it exists' })
        .example('$0 pki issue www --dns www.netlab.test --ip 127.0.0.1', 'a server certificate')
        .example('$0 pki issue alice --client --uri spiffe://netlab.test/alice', 'a client certificate for mTLS'),
    handler: (a) =>
      userErrors(() => {
        const pki = loadPki(a.dir);
        const options = {
          commonName: a.cn,
          dns: list(a.dns),
          ips: list(a.ip),
          uris: list(a.uri),
          keyType: keyType(a.key),
          validity: validityFromArgs(a),
        };
        const t0 = performance.now();
        const leaf = a.client && a.server ? pki.ca.issueServerClient(options) : a.client ? pki.ca.issueClient(options) : pki.ca.issueServer(options);
        const ms = performance.now() - t0;
        const files = saveLeaf(pki, a.name, leaf, a.force);
        const x = leaf.cert.x509;
        out.write(
          [
            `Issued ${a.name} (${leaf.kind}, ${ms.toFixed(1)} ms): serial ${leaf.serial}`,
            `  subject ${x.subject.replace(/\n/g, ', ')}; ${x.subjectAltName ?? 'no subjectAltName'}`,
            `  valid ${x.validFrom} to ${x.validTo}`,
            ...files.map((f) => `  ${f}`),
          ].join('\n') + '\n',
        );
      }),
  };

  const show: CommandModule<object, ShowArgs> = {
    command: 'show <file>',
    describe: 'Print a certificate as openssl x509 -text does, with its SHA-256 fingerprint',
    builder: (y) =>
      y.positional('file', { type: 'string', demandOption: true, describe: 'A PEM or DER file, or a NAME in the PKI folder' }).option('dir', dirOption),
    handler: (a) =>
      userErrors(() => {
        out.write(showText(a.file, a.dir));
      }),
  };

  const revoke: CommandModule<object, RevokeArgs> = {
    command: 'revoke <cert>',
    describe: 'Revoke a certificate (NAME or serial) and write crl.pem',
    builder: (y) =>
      y.positional('cert', { type: 'string', demandOption: true, describe: 'NAME given to "pki issue", or a serial in hex' }).option('dir', dirOption),
    handler: (a) =>
      userErrors(() => {
        const pki = loadPki(a.dir);
        const r = revokeInPki(pki, a.cert);
        out.write(`Revoked serial ${r.serial}; CRLs (intermediate, root) in ${r.crl}\n`);
      }),
  };

  return {
    command: 'pki',
    describe: 'A small PKI: root and intermediate CAs, server and client certificates (init, issue, show, revoke)',
    builder: (y) =>
      y.command(init).command(issue).command(show).command(revoke).demandCommand(1, 'Name a pki command: init, issue NAME, show FILE, or revoke NAME.'),
    handler: () => undefined,
  };
}

/** Adds `netlab pki` to the command line (the form src/cli/main.ts lists). */
export function registerPki(y: Argv): Argv {
  return y.command(buildPkiCommand());
}
