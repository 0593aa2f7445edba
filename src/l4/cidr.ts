// Address prefixes for the L4 balancer's trust lists (which downstreams may send a PROXY header):
// "127.0.0.0/8", "::1/128" or a bare address. An IPv4-mapped IPv6 peer ("::ffff:127.0.0.1", how a
// dual-stack socket reports an IPv4 client) matches IPv4 prefixes.

import { isIP } from 'node:net';
import { NetlabError } from '../base/errors.ts';
import { parseIpv4, parseIpv6 } from '../wire/address-text.ts';
import { stripMapped } from '../wire/proxy-protocol.ts';

export interface Cidr {
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  const bytes = family === 4 ? parseIpv4(addr) : family === 6 ? parseIpv6(addr) : undefined;
  const max = family === 4 ? 32 : 128;
  const bits = slash < 0 ? max : /^\d{1,3}$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : Number.NaN;
  if (bytes === undefined || !(bits >= 0 && bits <= max))
    throw new NetlabError('ERR_ARGUMENT', `expected an address or CIDR prefix (127.0.0.0/8, ::1/128), got "${text}"`, { layer: 'l4' });
  return { text, bytes, bits };
}

function addressBytes(a: string): Uint8Array | undefined {
  const s = stripMapped(a);
  return isIP(s) === 4 ? parseIpv4(s) : isIP(s) === 6 ? parseIpv6(s) : undefined;
}

/** True when `address` falls inside one of the prefixes. */
export function matchesAny(address: string, prefixes: readonly Cidr[]): boolean {
  const b = addressBytes(address);
  if (b === undefined) return false;
  for (const p of prefixes) {
    if (p.bytes.length !== b.length) continue;
    let ok = true;
    const whole = p.bits >> 3;
    for (let i = 0; i < whole && ok; i++) if (p.bytes[i] !== b[i]) ok = false;
    const rest = p.bits & 7;
    if (ok && rest > 0) {
      const mask = (0xff << (8 - rest)) & 0xff;
      if ((p.bytes[whole] & mask) !== (b[whole] & mask)) ok = false;
    }
    if (ok) return true;
  }
  return false;
}
