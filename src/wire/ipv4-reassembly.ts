// IPv4 fragment reassembly (RFC 791 §3.2, RFC 815), hardened:
//   - datagrams are keyed by (src, dst, protocol, id);
//   - overlapping fragments are refused: the whole datagram is dropped and reported, and later
//     fragments of it are dropped too until it times out (the spirit of RFC 5722; an overlap is
//     how fragment-overlap attacks rewrite headers). An exact duplicate (same offset, same bytes) is
//     ignored, as retransmissions produce them;
//   - memory is bounded: at most `maxDatagramBytes` per datagram (65535: an IPv4 datagram cannot be
//     longer), `maxTotalBytes` over all pending datagrams and `maxDatagrams` pending at once;
//     nothing is allocated from a length a fragment claims, only from bytes actually received;
//   - pending datagrams are evicted `timeoutMs` after their first fragment, on an injectable clock.
// Pure: no timers. Call evictExpired() (push() does it too) with the clock you gave.

export interface Ipv4ReassemblyOptions {
  /** Largest reassembled payload in bytes (default 65535 - 20). */
  maxDatagramBytes?: number;
  /** Payload bytes held over all pending datagrams (default 4 MiB). */
  maxTotalBytes?: number;
  /** Pending datagrams at once (default 1024). */
  maxDatagrams?: number;
  /** Milliseconds a datagram may wait for its fragments (default 30000, RFC 791's upper TTL bound is 15 s; Linux uses 30 s). */
  timeoutMs?: number;
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number;
}

/** One fragment as the IPv4 layer gives it. */
export interface Ipv4Fragment {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  id: number;
  /** Offset of this fragment's payload in the datagram, in bytes (the header field times 8). */
  offset: number;
  moreFragments: boolean;
  /** This fragment's payload (after the IPv4 header). */
  payload: Uint8Array;
  /** A caller's tag for the fragment (a frame number), reported back with the result. */
  tag?: number;
}

export interface FragmentPiece {
  offset: number;
  length: number;
  tag?: number;
}

export type ReassemblyResult =
  | { status: 'incomplete'; key: string; received: number }
  | { status: 'complete'; key: string; payload: Uint8Array; fragments: FragmentPiece[] }
  /** The fragment is an exact copy of one already held; nothing changed. */
  | { status: 'duplicate'; key: string }
  /** The fragment overlaps one already held: the datagram is dropped (and stays refused until it times out). */
  | { status: 'overlap'; key: string; fragment: FragmentPiece; overlapped: FragmentPiece[] }
  /** The fragment was refused for a limit or a contradiction; `reason` says which. */
  | { status: 'refused'; key: string; reason: string };

interface Pending {
  firstSeen: number;
  pieces: { offset: number; data: Uint8Array; tag?: number }[];
  bytes: number;
  /** Known once the last fragment (MF clear) arrives. */
  totalLength?: number;
  /** Set when the datagram was dropped for an overlap: later fragments are refused. */
  poisoned: boolean;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The reassembly key of a fragment: source, destination, protocol and identification. */
export function reassemblyKey(f: Pick<Ipv4Fragment, 'src' | 'dst' | 'protocol' | 'id'>): string {
  return `${hex(f.src)}>${hex(f.dst)}/${f.protocol}/${f.id}`;
}

export class Ipv4Reassembler {
  readonly maxDatagramBytes: number;
  readonly maxTotalBytes: number;
  readonly maxDatagrams: number;
  readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly pending = new Map<string, Pending>();
  private totalBytes = 0;

  constructor(options: Ipv4ReassemblyOptions = {}) {
    this.maxDatagramBytes = options.maxDatagramBytes ?? 65535 - 20;
    this.maxTotalBytes = options.maxTotalBytes ?? 4 * 1024 * 1024;
    this.maxDatagrams = options.maxDatagrams ?? 1024;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Datagrams waiting for fragments (including refused ones remembered until they time out). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Payload bytes held. */
  get heldBytes(): number {
    return this.totalBytes;
  }

  /** Drops datagrams older than the timeout; returns their keys. */
  evictExpired(): string[] {
    const t = this.now();
    const gone: string[] = [];
    for (const [key, p] of this.pending) {
      if (t - p.firstSeen >= this.timeoutMs) {
        this.drop(key, p);
        gone.push(key);
      }
    }
    return gone;
  }

  /** Adds a fragment; returns what became of its datagram. */
  push(f: Ipv4Fragment): ReassemblyResult {
    this.evictExpired();
    const key = reassemblyKey(f);
    const piece: FragmentPiece = { offset: f.offset, length: f.payload.length, tag: f.tag };
    const end = f.offset + f.payload.length;
    if (f.offset < 0 || !Number.isInteger(f.offset)) return { status: 'refused', key, reason: `bad fragment offset ${f.offset}` };
    if (end > this.maxDatagramBytes) {
      return this.refuse(key, `fragment ends at byte ${end}, past the ${this.maxDatagramBytes}-byte datagram limit`);
    }
    if (f.moreFragments && f.payload.length % 8 !== 0) {
      return this.refuse(key, `a fragment with more to follow must carry a multiple of 8 bytes (got ${f.payload.length})`);
    }
    let p = this.pending.get(key);
    if (p?.poisoned) return { status: 'refused', key, reason: 'datagram already dropped for overlapping fragments' };
    if (p === undefined) {
      // A lone unfragmented datagram needs no state.
      if (!f.moreFragments && f.offset === 0) return { status: 'complete', key, payload: f.payload.slice(), fragments: [piece] };
      if (this.pending.size >= this.maxDatagrams) return { status: 'refused', key, reason: `${this.maxDatagrams} datagrams already pending` };
      p = { firstSeen: this.now(), pieces: [], bytes: 0, poisoned: false };
      this.pending.set(key, p);
    }
    // The end of the datagram, once known, must agree with every fragment.
    if (!f.moreFragments) {
      if (p.totalLength !== undefined && p.totalLength !== end) return this.refuse(key, `two different last fragments (ending at ${p.totalLength} and ${end})`);
      if (p.pieces.some((x) => x.offset + x.data.length > end)) return this.refuse(key, `last fragment ends at ${end}, before data already received`);
    } else if (p.totalLength !== undefined && end > p.totalLength) {
      return this.refuse(key, `fragment ends at ${end}, past the last fragment's end ${p.totalLength}`);
    }
    const overlapped: FragmentPiece[] = [];
    for (const x of p.pieces) {
      const xEnd = x.offset + x.data.length;
      if (x.offset < end && f.offset < xEnd) {
        if (x.offset === f.offset && x.data.length === f.payload.length && x.data.every((v, i) => v === f.payload[i])) return { status: 'duplicate', key };
        overlapped.push({ offset: x.offset, length: x.data.length, tag: x.tag });
      }
    }
    if (overlapped.length > 0) {
      this.release(p);
      p.poisoned = true;
      return { status: 'overlap', key, fragment: piece, overlapped };
    }
    if (this.totalBytes + f.payload.length > this.maxTotalBytes) {
      return this.refuse(key, `reassembly memory budget of ${this.maxTotalBytes} bytes exhausted`);
    }
    p.pieces.push({ offset: f.offset, data: f.payload.slice(), tag: f.tag });
    p.bytes += f.payload.length;
    this.totalBytes += f.payload.length;
    if (!f.moreFragments) p.totalLength = end;
    if (p.totalLength === undefined || p.bytes !== p.totalLength) return { status: 'incomplete', key, received: p.bytes };
    // No overlaps and as many bytes as the datagram holds: the pieces tile it exactly.
    const payload = new Uint8Array(p.totalLength);
    const sorted = [...p.pieces].sort((a, b) => a.offset - b.offset);
    for (const x of sorted) payload.set(x.data, x.offset);
    this.drop(key, p);
    return { status: 'complete', key, payload, fragments: sorted.map((x) => ({ offset: x.offset, length: x.data.length, tag: x.tag })) };
  }

  /** Drops a datagram and refuses the fragment that broke a rule. */
  private refuse(key: string, reason: string): ReassemblyResult {
    const p = this.pending.get(key);
    if (p !== undefined) this.drop(key, p);
    return { status: 'refused', key, reason };
  }

  private release(p: Pending): void {
    this.totalBytes -= p.bytes;
    p.bytes = 0;
    p.pieces = [];
  }

  private drop(key: string, p: Pending): void {
    this.release(p);
    this.pending.delete(key);
  }
}
