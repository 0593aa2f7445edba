// IP fragment reassembly for the dissector, as Wireshark's reassembly code does it (not as a host
// must: the virtual network keeps wire/ipv4-reassembly.ts, which refuses overlaps as Linux does).
// Fragments of one datagram are kept in offset order (a fragment goes after those with the same
// offset); the datagram is complete once the fragments cover [0, end of the last fragment) without a
// hole. The bytes are then laid down in that order: a fragment that starts inside the bytes laid so
// far is marked as an overlap (and a conflict when its bytes differ from them), and only its bytes
// past them are copied, so the earlier fragment's bytes win. Repeated and overlapping fragments are
// listed with those marks.
//
// Memory is bounded like the wire reassembler's: bytes per datagram, bytes over all datagrams,
// datagrams pending, and a timeout in capture time.

import { reassemblyKey } from '../../wire/ipv4-reassembly.ts';
import { registerFields } from '../known-fields.ts';

export interface DefragFragment {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  id: number;
  /** Byte offset of the fragment's payload in the datagram. */
  offset: number;
  moreFragments: boolean;
  payload: Uint8Array;
  /** The frame number. */
  tag?: number;
}

export interface DefragPiece {
  offset: number;
  length: number;
  tag?: number;
  /** Starts inside bytes earlier fragments already gave. */
  overlap?: boolean;
  /** ... and its bytes there differ from them. */
  conflict?: boolean;
}

export type DefragResult =
  | { status: 'incomplete'; key: string }
  | { status: 'complete'; key: string; payload: Uint8Array; fragments: DefragPiece[] }
  | { status: 'refused'; key: string; reason: string };

interface Held {
  firstSeen: number;
  pieces: { offset: number; data: Uint8Array; tag?: number }[];
  bytes: number;
  /** End of the datagram, from the first fragment without MF. */
  end?: number;
}

export interface DefragOptions {
  maxDatagramBytes?: number;
  maxTotalBytes?: number;
  maxDatagrams?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class WiresharkDefragmenter {
  private readonly held = new Map<string, Held>();
  private total = 0;
  private readonly maxDatagramBytes: number;
  private readonly maxTotalBytes: number;
  private readonly maxDatagrams: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(o: DefragOptions = {}) {
    this.maxDatagramBytes = o.maxDatagramBytes ?? 65535;
    this.maxTotalBytes = o.maxTotalBytes ?? 8 * 1024 * 1024;
    this.maxDatagrams = o.maxDatagrams ?? 1024;
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Datagrams waiting for fragments. */
  get pendingCount(): number {
    return this.held.size;
  }

  push(f: DefragFragment): DefragResult {
    this.expire();
    const key = reassemblyKey(f);
    const end = f.offset + f.payload.length;
    if (end > this.maxDatagramBytes)
      return { status: 'refused', key, reason: `fragment ends at byte ${end}, past the ${this.maxDatagramBytes}-byte datagram limit` };
    let h = this.held.get(key);
    if (h === undefined) {
      if (!f.moreFragments && f.offset === 0)
        return { status: 'complete', key, payload: f.payload.slice(), fragments: [{ offset: 0, length: f.payload.length, tag: f.tag }] };
      if (this.held.size >= this.maxDatagrams) this.dropOldest();
      h = { firstSeen: this.now(), pieces: [], bytes: 0 };
      this.held.set(key, h);
    }
    while (this.total + f.payload.length > this.maxTotalBytes && this.held.size > 1) this.dropOldest(key);
    if (this.total + f.payload.length > this.maxTotalBytes)
      return { status: 'refused', key, reason: `reassembly memory budget of ${this.maxTotalBytes} bytes exhausted` };
    // After every fragment with an offset not greater than this one's.
    let at = h.pieces.length;
    while (at > 0 && h.pieces[at - 1].offset > f.offset) at--;
    h.pieces.splice(at, 0, { offset: f.offset, data: f.payload.slice(), tag: f.tag });
    h.bytes += f.payload.length;
    this.total += f.payload.length;
    if (!f.moreFragments && h.end === undefined) h.end = end;
    if (h.end === undefined) return { status: 'incomplete', key };
    let covered = 0;
    for (const p of h.pieces) if (p.offset <= covered) covered = Math.max(covered, p.offset + p.data.length);
    if (covered < h.end) return { status: 'incomplete', key };
    const payload = new Uint8Array(h.end);
    const fragments: DefragPiece[] = [];
    let laid = 0;
    for (const p of h.pieces) {
      const piece: DefragPiece = { offset: p.offset, length: p.data.length, tag: p.tag };
      if (p.offset < laid) {
        piece.overlap = true;
        const n = Math.min(p.data.length, laid - p.offset, h.end - p.offset);
        for (let i = 0; i < n; i++) {
          if (payload[p.offset + i] !== p.data[i]) {
            piece.conflict = true;
            break;
          }
        }
      }
      // Only the bytes past those already laid are copied.
      const from = Math.max(laid, p.offset);
      const to = Math.min(p.offset + p.data.length, h.end);
      if (to > from) payload.set(p.data.subarray(from - p.offset, to - p.offset), from);
      laid = Math.max(laid, p.offset + p.data.length);
      fragments.push(piece);
    }
    this.drop(key, h);
    return { status: 'complete', key, payload, fragments };
  }

  private expire(): void {
    const t = this.now();
    for (const [key, h] of this.held) if (t - h.firstSeen >= this.timeoutMs) this.drop(key, h);
  }

  private dropOldest(keep?: string): void {
    for (const [key, h] of this.held) {
      if (key === keep) continue;
      this.drop(key, h);
      return;
    }
  }

  private drop(key: string, h: Held): void {
    this.total -= h.bytes;
    this.held.delete(key);
  }
}

registerFields({
  'ip.fragment.error': 'FT_FRAMENUM',
  'ip.fragment.overlap': 'FT_BOOLEAN',
  'ip.fragment.overlap.conflict': 'FT_BOOLEAN',
  'ipv6.fragment.error': 'FT_FRAMENUM',
  'ipv6.fragment.overlap': 'FT_BOOLEAN',
  'ipv6.fragment.overlap.conflict': 'FT_BOOLEAN',
});
