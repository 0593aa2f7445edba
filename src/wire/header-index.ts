// A zero-copy header index: one pass over a frame that records where each header starts (link,
// VLAN tags, IPv4/IPv6 and its extension headers, TCP/UDP/ICMP) and reads fields on demand, the way
// smoltcp's views do. Nothing is allocated per frame: one HeaderIndex is reused for every frame.
// It is the fast path for code that needs a few fields of many frames (the 5-tuple for a switch,
// a router or a NAT, `ip.src` of a million frames); decode() gives the full layer list with every
// field, span and malformation when a frame is to be shown.

import { nullFamily, nullFamilyKind } from './null-loopback.ts';

/** What the index found at layer 3. */
export const L3 = { NONE: 0, IPV4: 4, IPV6: 6, ARP: 0x0806, OTHER: -1 } as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const MAX_TAGS = 4;
const MAX_IPV6_EXT = 8;

/** Link types the index starts from (pcap LINKTYPE_ numbers). */
const LINK_ETHERNET = 1;
const LINK_NULL = 0;
const LINK_RAW = [101, 228, 229, 12, 14];
const LINK_SLL = 113;
const LINK_SLL2 = 276;

const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

export class HeaderIndex {
  frame: Uint8Array = new Uint8Array(0);
  /** EtherType (or SLL protocol) of the layer-3 header, 0 when there is none. */
  etherType = 0;
  /** VLAN IDs of the 802.1Q / 802.1ad tags, outermost first (vlanCount of them). */
  readonly vlanIds = new Uint16Array(MAX_TAGS);
  vlanCount = 0;
  /** One of L3. */
  l3: number = L3.NONE;
  l3Offset = -1;
  /** Where the IP datagram ends (Total Length / Payload Length, never past the frame). */
  l3End = -1;
  /** IP protocol / last next header, -1 without IP. */
  protocol = -1;
  /** Offset of the TCP/UDP/ICMP header; -1 when absent (no IP, a non-first fragment, truncated). */
  l4Offset = -1;
  /** First byte after the transport header (TCP data, UDP payload), -1 when absent. */
  payloadOffset = -1;
  /** Why the index stopped early, or '' when every header it knows was whole. */
  problem = '';

  /** Indexes one frame; returns false when a header it knows was cut short (see `problem`). */
  index(frame: Uint8Array, linkType: number): boolean {
    this.frame = frame;
    this.etherType = 0;
    this.vlanCount = 0;
    this.l3 = L3.NONE;
    this.l3Offset = this.l3End = this.l4Offset = this.payloadOffset = this.protocol = -1;
    this.problem = '';
    const n = frame.length;
    let off: number;
    let type: number;
    if (linkType === LINK_ETHERNET) {
      if (n < 14) return this.fail('Ethernet header truncated');
      type = (frame[12] << 8) | frame[13];
      off = 14;
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && this.vlanCount < MAX_TAGS) {
        if (off + 4 > n) return this.fail('802.1Q tag truncated');
        this.vlanIds[this.vlanCount++] = ((frame[off] << 8) | frame[off + 1]) & 0x0fff;
        type = (frame[off + 2] << 8) | frame[off + 3];
        off += 4;
      }
      if (type < 0x0600) return true; // 802.3 length field: LLC follows, not indexed
    } else if (linkType === LINK_NULL) {
      if (n < 4) return this.fail('loopback header truncated');
      const family = nullFamily((frame[0] | (frame[1] << 8) | (frame[2] << 16) | (frame[3] << 24)) >>> 0);
      const kind = nullFamilyKind(family);
      type = kind === 'ipv4' ? ETHERTYPE_IPV4 : kind === 'ipv6' ? ETHERTYPE_IPV6 : family > 1500 ? family & 0xffff : 0;
      off = 4;
    } else if (LINK_RAW.includes(linkType)) {
      if (n < 1) return this.fail('raw IP packet empty');
      type = frame[0] >>> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
      off = 0;
    } else if (linkType === LINK_SLL) {
      if (n < 16) return this.fail('SLL header truncated');
      type = (frame[14] << 8) | frame[15];
      off = 16;
    } else if (linkType === LINK_SLL2) {
      if (n < 20) return this.fail('SLL2 header truncated');
      type = (frame[0] << 8) | frame[1];
      off = 20;
    } else {
      return true;
    }
    this.etherType = type;
    if (type === ETHERTYPE_IPV4) return this.ipv4(off);
    if (type === ETHERTYPE_IPV6) return this.ipv6(off);
    if (type === ETHERTYPE_ARP) {
      this.l3 = L3.ARP;
      this.l3Offset = off;
      this.l3End = Math.min(n, off + 28);
      return off + 28 <= n || this.fail('ARP packet truncated');
    }
    this.l3 = L3.OTHER;
    this.l3Offset = off;
    return true;
  }

  private fail(reason: string): false {
    this.problem = reason;
    return false;
  }

  private ipv4(off: number): boolean {
    const f = this.frame;
    const n = f.length;
    this.l3 = L3.IPV4;
    this.l3Offset = off;
    if (off + 20 > n) return this.fail('IPv4 header truncated');
    const ihl = (f[off] & 0x0f) * 4;
    if (f[off] >>> 4 !== 4 || ihl < 20) return this.fail('IPv4 version or header length bogus');
    if (off + ihl > n) return this.fail('IPv4 options truncated');
    const total = (f[off + 2] << 8) | f[off + 3];
    this.l3End = total === 0 ? n : Math.min(n, off + total);
    this.protocol = f[off + 9];
    if ((((f[off + 6] << 8) | f[off + 7]) & 0x1fff) !== 0) return true; // not the first fragment
    return this.transport(off + ihl);
  }

  private ipv6(off: number): boolean {
    const f = this.frame;
    const n = f.length;
    this.l3 = L3.IPV6;
    this.l3Offset = off;
    if (off + 40 > n) return this.fail('IPv6 header truncated');
    this.l3End = Math.min(n, off + 40 + ((f[off + 4] << 8) | f[off + 5]));
    let next = f[off + 6];
    let p = off + 40;
    for (let i = 0; i < MAX_IPV6_EXT; i++) {
      if (next === 0 || next === 43 || next === 60) {
        if (p + 2 > n) return this.fail('IPv6 extension header truncated');
        const len = (f[p + 1] + 1) * 8;
        next = f[p];
        p += len;
      } else if (next === 44) {
        if (p + 8 > n) return this.fail('IPv6 fragment header truncated');
        const fragOffset = ((f[p + 2] << 8) | f[p + 3]) >>> 3;
        next = f[p];
        p += 8;
        if (fragOffset !== 0) {
          this.protocol = next;
          return true;
        }
      } else break;
    }
    this.protocol = next;
    return this.transport(p);
  }

  private transport(off: number): boolean {
    const f = this.frame;
    const end = this.l3End;
    const proto = this.protocol;
    let headerLength: number;
    if (proto === 6) {
      if (off + 20 > end) return this.fail('TCP header truncated');
      headerLength = (f[off + 12] >>> 4) * 4;
      if (headerLength < 20) return this.fail('TCP header length bogus');
    } else if (proto === 17) headerLength = 8;
    else if (proto === 1 || proto === 58) headerLength = 8;
    else return true;
    if (off + headerLength > end) return this.fail('transport header truncated');
    this.l4Offset = off;
    this.payloadOffset = off + headerLength;
    return true;
  }

  /** IPv4 source address as a 32-bit number (192.168.1.10 = 0xc0a8010a), -1 when the frame has none. */
  ipv4Src(): number {
    const at = this.l3Offset + 12;
    if (this.l3 !== L3.IPV4 || at + 4 > this.frame.length) return -1;
    const f = this.frame;
    return ((f[at] << 24) | (f[at + 1] << 16) | (f[at + 2] << 8) | f[at + 3]) >>> 0;
  }

  /** IPv4 source address as text (`192.168.1.10`), '' when the frame has none. */
  ipv4SrcText(): string {
    return this.l3 === L3.IPV4 ? this.dotted(this.l3Offset + 12) : '';
  }

  /** IPv4 destination address as text, '' when the frame has none. */
  ipv4DstText(): string {
    return this.l3 === L3.IPV4 ? this.dotted(this.l3Offset + 16) : '';
  }

  /** TCP/UDP source port, -1 without one. */
  get srcPort(): number {
    return this.l4Offset >= 0 && (this.protocol === 6 || this.protocol === 17) ? (this.frame[this.l4Offset] << 8) | this.frame[this.l4Offset + 1] : -1;
  }

  /** TCP/UDP destination port, -1 without one. */
  get dstPort(): number {
    return this.l4Offset >= 0 && (this.protocol === 6 || this.protocol === 17) ? (this.frame[this.l4Offset + 2] << 8) | this.frame[this.l4Offset + 3] : -1;
  }

  /** TCP flags (the 12 bits after the data offset nibble), -1 without TCP. */
  get tcpFlags(): number {
    return this.l4Offset >= 0 && this.protocol === 6 ? ((this.frame[this.l4Offset + 12] & 0x0f) << 8) | this.frame[this.l4Offset + 13] : -1;
  }

  private dotted(at: number): string {
    const f = this.frame;
    if (at + 4 > f.length) return '';
    return OCTET[f[at]] + '.' + OCTET[f[at + 1]] + '.' + OCTET[f[at + 2]] + '.' + OCTET[f[at + 3]];
  }
}
