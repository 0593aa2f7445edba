// Encoded answers kept for reuse, so that a repeated query skips decoding, lookup and encoding (the
// way NSD and Knot answer from prepared data). The key is what decides the answer: the query's bytes
// after the ID (flags, question as sent, EDNS size and options), the transport (truncation differs)
// and the client's view. Round-robin rotation stays exact: an entry remembers which RRsets rotated
// and keeps one encoded variant per combination of their rotation offsets, chosen by the offsets the
// responder would use now. Answers touched by failover records are never kept (health changes them),
// nor anything while faults are set; a zone change empties the cache.

import type { AnswerMeta } from './auth-meta.ts';

/** One RRset whose order rotated in the answer: its rotation key and its size. */
export interface RotationUse {
  key: string;
  size: number;
}

interface Entry {
  rotations: readonly RotationUse[];
  variants: Map<string, { bytes: Uint8Array; meta: AnswerMeta }>;
  zoneVersion: number;
}

const MAX_ENTRIES = 10_000;
const MAX_VARIANTS = 64;

/**
 * The cache key of a query, read from its bytes without decoding; undefined for anything that is not
 * a plain standard query (QR 0, opcode QUERY, one question, no answer or authority records, at most
 * one additional record: the OPT).
 */
export function answerCacheKey(b: Uint8Array, tcp: boolean, view: string | undefined): string | undefined {
  if (b.length < 17 || b.length > 512) return undefined;
  if ((b[2] & 0xf8) !== 0) return undefined; // QR and opcode
  if (b[4] !== 0 || b[5] !== 1 || b[6] !== 0 || b[7] !== 0 || b[8] !== 0 || b[9] !== 0 || b[10] !== 0 || b[11] > 1) return undefined;
  return `${tcp ? 't' : 'u'}${view ?? ''}|${Buffer.from(b.buffer, b.byteOffset + 2, b.length - 2).toString('latin1')}`;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly rotationOf: (key: string) => number) {}

  private offsets(rotations: readonly RotationUse[]): string {
    let s = '';
    for (const r of rotations) s += `${this.rotationOf(r.key) % r.size},`;
    return s;
  }

  /** The stored reply for this key at the current rotation offsets (with the query's ID), if any. */
  get(key: string, id: number, zoneVersion: number): { bytes: Uint8Array; meta: AnswerMeta; rotations: readonly RotationUse[] } | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.zoneVersion !== zoneVersion) {
      this.entries.delete(key);
      return undefined;
    }
    const v = e.variants.get(this.offsets(e.rotations));
    if (v === undefined) return undefined;
    const bytes = v.bytes.slice();
    bytes[0] = id >>> 8;
    bytes[1] = id & 0xff;
    return { bytes, meta: { ...v.meta, id }, rotations: e.rotations };
  }

  put(key: string, offsets: string, rotations: readonly RotationUse[], bytes: Uint8Array, meta: AnswerMeta, zoneVersion: number): void {
    let e = this.entries.get(key);
    if (
      e === undefined ||
      e.zoneVersion !== zoneVersion ||
      e.rotations.map((r) => `${r.key}/${r.size}`).join() !== rotations.map((r) => `${r.key}/${r.size}`).join()
    ) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      e = { rotations, variants: new Map(), zoneVersion };
      this.entries.set(key, e);
    }
    if (e.variants.size >= MAX_VARIANTS) return;
    e.variants.set(offsets, { bytes, meta });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
