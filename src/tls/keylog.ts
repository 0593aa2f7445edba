// TLS key logs: the lines Node's 'keylog' event gives (NSS key log format: CLIENT_RANDOM for TLS 1.2,
// CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_/SERVER_TRAFFIC_SECRET_0 and EXPORTER_SECRET for
// TLS 1.3), appended to an SSLKEYLOGFILE and/or written into a capture's Decryption Secrets Block.

import { appendFileSync } from 'node:fs';
import type { TapRecorder } from '../capture/socket-tap.ts';

export interface KeyLogOptions {
  /** An SSLKEYLOGFILE to append to (created if missing). */
  readonly path?: string;
  /** A capture to put the keys in (as a pcapng Decryption Secrets Block). */
  readonly tap?: TapRecorder;
}

/** Collects key log lines; each line is kept and written once. */
export class KeyLog {
  private readonly seen = new Set<string>();
  private readonly kept: string[] = [];

  constructor(private readonly options: KeyLogOptions = {}) {}

  /** Adds one 'keylog' line (Buffer or text, with or without its newline). */
  add(line: Buffer | string): void {
    const text = (typeof line === 'string' ? line : line.toString('latin1')).trim();
    if (text === '' || this.seen.has(text)) return;
    this.seen.add(text);
    this.kept.push(text);
    if (this.options.path !== undefined) appendFileSync(this.options.path, text + '\n');
    this.options.tap?.tlsKeyLog(text + '\n');
  }

  /** The lines so far, as an SSLKEYLOGFILE's text. */
  get text(): string {
    return this.kept.map((l) => l + '\n').join('');
  }

  /** The label of each line (CLIENT_RANDOM, SERVER_TRAFFIC_SECRET_0, ...). */
  get labels(): string[] {
    return this.kept.map((l) => l.split(' ')[0]);
  }
}

/** Anything that takes key log lines: a KeyLog, or a plain function. */
export type KeyLogTarget = KeyLog | ((line: Buffer) => void);

export const keyLogFn = (t: KeyLogTarget): ((line: Buffer) => void) => (typeof t === 'function' ? t : (line: Buffer) => t.add(line));
