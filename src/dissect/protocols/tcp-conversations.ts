// TCP conversations by address/port pair with numeric keys: an IPv4 endpoint is one number (address
// * 65536 + port, below 2^48), a conversation one entry under a small-integer hash of its two
// endpoints (entries with the same hash chained).
// Other addresses (IPv6, none) use the string keys of udp.ts's endpointKey. One counter numbers both
// kinds in order of first sight (tcp.stream). Finding a conversation allocates nothing.

import { endpointKey } from './udp.ts';

interface Entry<T> {
  /** The endpoint that sent the conversation's first packet. */
  first: number | string;
  data: T;
}

/** An IPv4 conversation: its two endpoints (lower first) and the next entry with the same hash. */
interface V4Entry<T> extends Entry<T> {
  lo: number;
  hi: number;
  next: V4Entry<T> | undefined;
}

/**
 * A small-integer hash of an IPv4 endpoint pair (lower first): Map keys that V8 stores unboxed. The
 * entries under one hash are chained and told apart by their endpoints.
 */
function pairHash(lo: number, hi: number): number {
  const a = (lo / 65536) | 0;
  const b = (hi / 65536) | 0;
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(lo & 0xffff, 0x27d4eb2f) ^ (hi & 0xffff);
  h ^= h >>> 15;
  return h & 0x3fffffff;
}

export class TcpConversationTable<T> {
  private readonly v4 = new Map<number, V4Entry<T>>();
  private readonly other = new Map<string, Entry<T>>();
  /** Conversations made so far: the next one's stream index. */
  count = 0;
  /** After find(): true when the packet went the way the conversation's first one went. */
  forward = true;

  /**
   * The conversation of a packet from `src`:`sp` to `dst`:`dp` (addresses as bytes; undefined when
   * no IP layer carries the segment), or undefined; sets `forward`.
   */
  find(src: Uint8Array | undefined, sp: number, dst: Uint8Array | undefined, dp: number): T | undefined {
    if (src !== undefined && dst !== undefined && src.length === 4 && dst.length === 4) {
      const s = endpointNumber(src, sp);
      const d = endpointNumber(dst, dp);
      const lo = Math.min(s, d);
      const hi = Math.max(s, d);
      let e = this.v4.get(pairHash(lo, hi));
      while (e !== undefined && (e.lo !== lo || e.hi !== hi)) e = e.next;
      if (e === undefined) return undefined;
      this.forward = e.first === s;
      return e.data;
    }
    const s = endpointKey(src, sp);
    const d = endpointKey(dst, dp);
    const e = this.other.get(s < d ? `${s}|${d}` : `${d}|${s}`);
    if (e === undefined) return undefined;
    this.forward = e.first === s;
    return e.data;
  }

  /**
   * Makes `data` the pair's conversation (a new one, or a new connection on reused ports), the
   * sender first; its stream index is `count`, which moves on.
   */
  add(src: Uint8Array | undefined, sp: number, dst: Uint8Array | undefined, dp: number, data: T): T {
    this.count++;
    this.forward = true;
    if (src !== undefined && dst !== undefined && src.length === 4 && dst.length === 4) {
      const s = endpointNumber(src, sp);
      const d = endpointNumber(dst, dp);
      const lo = Math.min(s, d);
      const hi = Math.max(s, d);
      const h = pairHash(lo, hi);
      const head = this.v4.get(h);
      let e = head;
      while (e !== undefined && (e.lo !== lo || e.hi !== hi)) e = e.next;
      if (e !== undefined) {
        e.first = s;
        e.data = data;
      } else this.v4.set(h, { first: s, data, lo, hi, next: head });
      return data;
    }
    const s = endpointKey(src, sp);
    const d = endpointKey(dst, dp);
    this.other.set(s < d ? `${s}|${d}` : `${d}|${s}`, { first: s, data });
    return data;
  }
}

/** An IPv4 endpoint as a number: the address (unsigned) * 65536 + the port. */
export function endpointNumber(a: Uint8Array, port: number): number {
  return (((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0) * 65536 + port;
}
