// Rewriting IPv4 datagrams in place for a NAT, every checksum updated incrementally (RFC 1624 eqn. 3)
// one 16-bit word at a time: the IPv4 header checksum for an address, the TCP/UDP checksum for an
// address (its pseudo-header) and a port, the ICMP checksum for a query identifier; and for an ICMP
// error, the quoted datagram inside it (its addresses, ports or identifier, its header checksum and,
// when the quote holds it, its transport checksum), each change also carried into the ICMP checksum.
// A UDP checksum of 0 (none) stays 0; a computed 0 is sent as 0xffff (RFC 768).
// Offsets are of the IPv4 header inside `b` (14 after an Ethernet header); callers check the headers
// are whole first (`transportReady`).

import { incrementalUpdate16 } from '../wire/checksum.ts';

const TCP = 6;
const UDP = 17;
const ICMP = 1;

function word(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

/** Updates the checksum field at `cs` for a word changing from oldW to newW (RFC 1624 eqn. 3). */
function fix(b: Uint8Array, cs: number, oldW: number, newW: number, udp: boolean): void {
  const c = word(b, cs);
  if (udp && c === 0) return;
  let n = incrementalUpdate16(c, oldW, newW);
  if (udp && n === 0) n = 0xffff;
  b[cs] = n >>> 8;
  b[cs + 1] = n & 0xff;
}

/**
 * Writes a 16-bit word, fixing the checksums that cover it: `cs1` (and `cs2`), each -1 for none; a
 * UDP checksum flag per field. When a fixed checksum is itself covered by `outer` (the ICMP checksum
 * over a quoted datagram), that change is carried into `outer` too.
 */
function setWord(b: Uint8Array, at: number, v: number, cs1: number, udp1: boolean, cs2: number, udp2: boolean, outer: number): void {
  const old = word(b, at);
  if (old === v) return;
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
  for (let k = 0; k < 2; k++) {
    const cs = k === 0 ? cs1 : cs2;
    if (cs < 0) continue;
    const before = word(b, cs);
    fix(b, cs, old, v, k === 0 ? udp1 : udp2);
    if (outer >= 0) fix(b, outer, before, word(b, cs), false);
  }
  if (outer >= 0) fix(b, outer, old, v, false);
}

/** Where the checksum that covers the pseudo-header sits (-1 for ICMP, none, or not inside `end`). */
function transportChecksumAt(_b: Uint8Array, l4: number, proto: number, end: number): number {
  const at = proto === TCP ? l4 + 16 : proto === UDP ? l4 + 6 : -1;
  return at >= 0 && at + 2 <= end ? at : -1;
}

/** Where the port (or ICMP query identifier) of one side sits. */
function portAt(l4: number, proto: number, source: boolean): number {
  if (proto === ICMP) return l4 + 4;
  return source ? l4 : l4 + 2;
}

/** Where the checksum covering the port/identifier sits: the transport checksum, or ICMP's own. */
function portChecksumAt(b: Uint8Array, l4: number, proto: number, end: number): number {
  if (proto === ICMP) return l4 + 4 <= end ? l4 + 2 : -1;
  return transportChecksumAt(b, l4, proto, end);
}

/** True when the datagram at `ip` has a whole IPv4 header and the transport header the NAT rewrites. */
export function transportReady(b: Uint8Array, ip: number): boolean {
  if (ip + 20 > b.length || b[ip] >>> 4 !== 4) return false;
  const ihl = (b[ip] & 0x0f) * 4;
  const end = Math.min(b.length, ip + word(b, ip + 2));
  const proto = b[ip + 9];
  const need = proto === TCP ? 20 : 8;
  return ihl >= 20 && ip + ihl + need <= end && (word(b, ip + 6) & 0x1fff) === 0;
}

/** Adds ~old + new for one 16-bit word to a running RFC 1624 sum of changes. */
function change(oldW: number, newW: number): number {
  return (~oldW & 0xffff) + newW;
}

/**
 * Applies a sum of word changes (RFC 1624 eqn. 3 over several words at once: HC' = ~(~HC + sum of
 * (~m + m'))) to the checksum field at `cs`; a UDP checksum of 0 stays 0 and a computed 0 is sent as 0xffff.
 */
function applyChanges(b: Uint8Array, cs: number, sum: number, udp: boolean): void {
  const c = word(b, cs);
  if (udp && c === 0) return;
  let x = (~c & 0xffff) + sum;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  let n = ~x & 0xffff;
  if (udp && n === 0) n = 0xffff;
  b[cs] = n >>> 8;
  b[cs + 1] = n & 0xff;
}

/**
 * Rewrites one side of the datagram at `ip`: the source (or destination) address and the TCP/UDP port
 * or ICMP query identifier on that side, with the IPv4, transport and ICMP checksums updated, each
 * once for all the words that changed. `port` -1 leaves the port alone (1:1 NAT). The transport header
 * must be whole (transportReady).
 */
export function rewriteEndpoint(b: Uint8Array, ip: number, source: boolean, addr: number, port: number): void {
  const ihl = (b[ip] & 0x0f) * 4;
  const end = Math.min(b.length, ip + word(b, ip + 2));
  const proto = b[ip + 9];
  const l4 = ip + ihl;
  const a = ip + (source ? 12 : 16);
  const hi = addr >>> 16;
  const lo = addr & 0xffff;
  const addrSum = change(word(b, a), hi) + change(word(b, a + 2), lo);
  b[a] = hi >>> 8;
  b[a + 1] = hi & 0xff;
  b[a + 2] = lo >>> 8;
  b[a + 3] = lo & 0xff;
  applyChanges(b, ip + 10, addrSum, false);
  let transportSum = addrSum;
  if (port >= 0 && (proto === TCP || proto === UDP || proto === ICMP)) {
    const at = portAt(l4, proto, source);
    const portSum = change(word(b, at), port);
    b[at] = port >>> 8;
    b[at + 1] = port & 0xff;
    if (proto === ICMP) {
      // ICMP has no pseudo-header: only the identifier is under its checksum.
      if (l4 + 4 <= end) applyChanges(b, l4 + 2, portSum, false);
      return;
    }
    transportSum += portSum;
  }
  const tcs = transportChecksumAt(b, l4, proto, end);
  if (tcs >= 0) applyChanges(b, tcs, transportSum, proto === UDP);
}

/** Where the quoted datagram of an ICMP error starts, or -1 when the quote is too short to read. */
export function quotedDatagramAt(b: Uint8Array, ip: number): number {
  const ihl = (b[ip] & 0x0f) * 4;
  const inner = ip + ihl + 8;
  const end = Math.min(b.length, ip + word(b, ip + 2));
  if (inner + 20 > end || b[inner] >>> 4 !== 4) return -1;
  const innerIhl = (b[inner] & 0x0f) * 4;
  if (innerIhl < 20 || inner + innerIhl + (b[inner + 9] === ICMP ? 8 : 4) > end) return -1;
  return inner;
}

/**
 * Rewrites an ICMP error at `ip`: the outer address on side `outerSource` becomes `outerAddr`, and in
 * the quoted datagram the address and port (or identifier) on side `innerSource` become innerAddr and
 * innerPort, with the quoted header checksum, the quoted transport checksum when the quote holds it,
 * the ICMP checksum and the outer header checksum all updated. Returns false when the quote cannot be read.
 */
export function rewriteIcmpError(
  b: Uint8Array,
  ip: number,
  outerSource: boolean,
  outerAddr: number,
  innerSource: boolean,
  innerAddr: number,
  innerPort: number,
): boolean {
  const inner = quotedDatagramAt(b, ip);
  if (inner < 0) return false;
  const ihl = (b[ip] & 0x0f) * 4;
  const icmpcs = ip + ihl + 2;
  const end = Math.min(b.length, ip + word(b, ip + 2));
  const innerIhl = (b[inner] & 0x0f) * 4;
  const proto = b[inner + 9];
  const l4 = inner + innerIhl;
  const udp = proto === UDP;
  const tcs = transportChecksumAt(b, l4, proto, end);
  const a = inner + (innerSource ? 12 : 16);
  setWord(b, a, innerAddr >>> 16, inner + 10, false, tcs, udp, icmpcs);
  setWord(b, a + 2, innerAddr & 0xffff, inner + 10, false, tcs, udp, icmpcs);
  if (innerPort >= 0 && (proto === TCP || proto === UDP || proto === ICMP)) {
    setWord(b, portAt(l4, proto, innerSource), innerPort, portChecksumAt(b, l4, proto, end), udp, -1, false, icmpcs);
  }
  const o = ip + (outerSource ? 12 : 16);
  setWord(b, o, outerAddr >>> 16, ip + 10, false, -1, false, -1);
  setWord(b, o + 2, outerAddr & 0xffff, ip + 10, false, -1, false, -1);
  return true;
}
