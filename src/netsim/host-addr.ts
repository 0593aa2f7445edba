// IPv4 and MAC addresses as the virtual stack holds them: an IPv4 address is an unsigned 32-bit
// number (192.168.1.10 = 0xc0a8010a), which makes masks and longest-prefix match plain arithmetic;
// a MAC is 6 bytes. Text forms are parsed with clear errors and printed the usual way.

import { formatIpv4Number as ipv4Text } from '../wire/address-text.ts';
import { parseIpv4Address, parseMac } from '../wire/index.ts';
import { NetlabRangeError } from '../base/errors.ts';

/** An IPv4 address and prefix length: `10.0.1.10/24`. */
export interface Ipv4Prefix {
  address: number;
  prefixLen: number;
}

/** 4 bytes (at `off`) as a 32-bit number. */
export function ipv4FromBytes(b: Uint8Array, off = 0): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** A 32-bit number as 4 bytes. */
export function ipv4ToBytes(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Writes a 32-bit address into `b` at `off`. */
export function putIpv4(b: Uint8Array, off: number, n: number): void {
  b[off] = n >>> 24;
  b[off + 1] = (n >>> 16) & 0xff;
  b[off + 2] = (n >>> 8) & 0xff;
  b[off + 3] = n & 0xff;
}

/** Dotted text ('10.0.1.10'), 4 bytes or a number, as a number. Throws a RangeError naming bad text. */
export function ipv4Number(addr: string | Uint8Array | number): number {
  if (typeof addr === 'number') {
    if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) throw new NetlabRangeError(`not an IPv4 address: ${addr} (expected 0 to 4294967295)`);
    return addr;
  }
  if (typeof addr === 'string') return ipv4FromBytes(parseIpv4Address(addr));
  if (addr.length !== 4) throw new NetlabRangeError(`an IPv4 address has 4 bytes, got ${addr.length}`);
  return ipv4FromBytes(addr);
}

export { formatIpv4Number as ipv4Text } from '../wire/address-text.ts';

/** The netmask of a prefix length as a number (24 -> 0xffffff00). */
export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** True when `addr` lies in `network/prefixLen`. */
export function inPrefix(addr: number, network: number, prefixLen: number): boolean {
  const mask = prefixMask(prefixLen);
  return (addr & mask) >>> 0 === (network & mask) >>> 0;
}

/** 'a.b.c.d/len' (or a bare address, taken as /32) as an address and prefix length. */
export function parsePrefix(text: string): Ipv4Prefix {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) return { address: ipv4Number(t), prefixLen: 32 };
  const lenText = t.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw new NetlabRangeError(`bad prefix length in '${text}': expected 0 to 32 after the slash, like 10.0.1.10/24`);
  }
  return { address: ipv4Number(t.slice(0, slash)), prefixLen: Number(lenText) };
}

/** The prefix as text: '10.0.1.0/24'. */
export function prefixText(address: number, prefixLen: number): string {
  return `${ipv4Text(address)}/${prefixLen}`;
}

/** A MAC as text, as bytes, as 6 bytes (a copy). */
export function macOf(mac: string | Uint8Array): Uint8Array {
  if (typeof mac === 'string') return parseMac(mac);
  if (mac.length !== 6) throw new NetlabRangeError(`a MAC address has 6 bytes, got ${mac.length}`);
  return Uint8Array.from(mac);
}

export { formatMac as macText } from '../wire/address-text.ts';

/** True when two MACs (at offsets) are equal. */
export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** True for ff:ff:ff:ff:ff:ff at `off`. */
export function isBroadcastMac(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 6; i++) if (b[off + i] !== 0xff) return false;
  return true;
}
