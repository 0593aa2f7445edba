// Shared by the TLS tests: one PKI (EC P-256, made once per test file), an HTTP/1.1 responder for the
// TLS servers, temp folders and running real tools.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { CertificateAuthority, type Leaf } from '../../src/tls/pki.ts';

export interface TestPki {
  root: CertificateAuthority;
  ca: CertificateAuthority;
  /** www.netlab.test, 127.0.0.1, ::1 */
  www: Leaf;
  /** api.netlab.test */
  api: Leaf;
  /** spiffe://netlab.test/alice */
  alice: Leaf;
}

export function makePki(): TestPki {
  const root = CertificateAuthority.root({ commonName: 'netlab Test Root CA' });
  const ca = root.intermediate({ commonName: 'netlab Test Issuing CA' });
  return {
    root,
    ca,
    www: ca.issueServer({ dns: ['www.netlab.test', 'localhost'], ips: ['127.0.0.1', '::1'] }),
    api: ca.issueServer({ dns: ['api.netlab.test'] }),
    alice: ca.issueClient({ commonName: 'alice', uris: ['spiffe://netlab.test/alice'] }),
  };
}

/** Reads one HTTP/1.1 request head and answers 200 with a body naming the path, then closes. */
export function httpResponder(socket: TLSSocket, body = (path: string) => `hello from ${path}\n`): void {
  let head = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    head += d;
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const path = head.split(' ')[1] ?? '/';
    const text = body(path);
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    head = '';
  });
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; never rejects (the exit code is in the result). */
export function run(cmd: string, args: readonly string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { timeout: options.timeoutMs ?? 15_000, cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
