// gzip-compressed captures (tcpdump -w - | gzip, Wireshark's "compress with gzip") are read
// transparently: the readers sniff the gzip magic and decompress as they go.

import { constants, gunzipSync } from 'node:zlib';

export function isGzip(first: Uint8Array): boolean {
  return first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

/** zlib's errors carry a Z_ code (Z_DATA_ERROR, Z_BUF_ERROR for a cut-short stream, ...). */
export function isZlibError(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error)) return false;
  const code: unknown = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Decompresses a whole gzip buffer. A damaged or cut-short stream yields what could be decompressed,
 * with the reason in `problem`.
 */
export function gunzipAll(bytes: Uint8Array): { data: Uint8Array; problem?: string } {
  try {
    return { data: gunzipSync(bytes) };
  } catch (e) {
    const problem = e instanceof Error ? e.message : String(e);
    try {
      return { data: gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }), problem };
    } catch {
      return { data: new Uint8Array(0), problem };
    }
  }
}
