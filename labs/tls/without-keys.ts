// A copy of a capture without its key log: the same frames at the same times, no Decryption Secrets
// Block. It is what a sniffer on the path holds, and shows what TLS 1.3 hides from it.

import { readFileSync } from 'node:fs';
import { parseCapture } from '../../src/capture/index.ts';
import type { LabCapture } from '../../src/lab/index.ts';

/** Secrets type of an NSS key log in a Decryption Secrets Block ('TLSK'). */
const TLS_KEY_LOG = 0x544c534b;

export interface KeyLogInCapture {
  /** The key log lines of the capture's Decryption Secrets Blocks. */
  readonly lines: string[];
  readonly frames: number;
}

/** The key log lines a capture carries (netlab's own pcapng reader). */
export function keyLogOf(path: string): KeyLogInCapture {
  const cap = parseCapture(readFileSync(path), path);
  const lines = cap.secrets
    .filter((s) => s.type === TLS_KEY_LOG)
    .flatMap((s) => Buffer.from(s.data).toString('latin1').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return { lines, frames: cap.packets.length };
}

/** Writes every frame of `path` into `copy`, leaving the secrets out; returns the number of frames. */
export function copyWithoutKeys(path: string, copy: LabCapture): number {
  const cap = parseCapture(readFileSync(path), path);
  for (const p of cap.packets)
    copy.write(p.data, { time: { sec: p.tsSec, nsec: p.tsNsec }, ...(p.comments.length > 0 ? { comment: p.comments.join('; ') } : {}) });
  return cap.packets.length;
}
