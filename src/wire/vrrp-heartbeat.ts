// netlab's own VRRP-like heartbeat (not VRRP's wire format: a small protocol for two balancer
// instances heartbeating over loopback UDP). One 28-byte message:
//
//   0  magic "NLHB" (4)      4  version = 1 (1)     5  type: 1 ADVERT, 2 RESIGN (1)
//   6  priority 1..254 (1)   7  flags: bit 0 preempt (1)
//   8  interval ms (2)       10 reserved = 0 (2)
//   12 virtual IPv4 address (4)
//   16 instance id (4)       20 sequence number (4)
//   24 CRC-32C over bytes 0..23 (4)
//
// ADVERT: "I hold the virtual address, at this priority". RESIGN: "I am letting it go now" (a clean
// shutdown, so the standby takes over at once instead of after interval × threshold). The decoder
// never throws: it answers a value or the offset and reason of the first thing wrong.

import { NetlabRangeError } from '../base/errors.ts';
import { formatIpv4, parseIpv4 } from './address-text.ts';
import { crc32c } from './proxy-protocol.ts';

export const HEARTBEAT_LENGTH = 28;
export const HEARTBEAT_MAGIC = Uint8Array.of(0x4e, 0x4c, 0x48, 0x42); // "NLHB"
export const HEARTBEAT_TYPE = { advert: 1, resign: 2 } as const;

export interface Heartbeat {
  readonly type: 'advert' | 'resign';
  readonly priority: number;
  readonly preempt: boolean;
  readonly intervalMs: number;
  readonly vip: string;
  readonly instance: number;
  readonly seq: number;
}

export type HeartbeatVerdict = { readonly ok: true; readonly value: Heartbeat } | { readonly ok: false; readonly offset: number; readonly reason: string };

export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  if (!(Number.isInteger(h.priority) && h.priority >= 1 && h.priority <= 254))
    throw new NetlabRangeError(`heartbeat priority must be 1..254, got ${h.priority}`, { layer: 'wire' });
  if (!(Number.isInteger(h.intervalMs) && h.intervalMs >= 1 && h.intervalMs <= 65535))
    throw new NetlabRangeError(`heartbeat interval must be 1..65535 ms, got ${h.intervalMs}`, { layer: 'wire' });
  for (const [k, v] of [
    ['instance', h.instance],
    ['seq', h.seq],
  ] as const)
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new NetlabRangeError(`heartbeat ${k} must be 0..2^32-1, got ${v}`, { layer: 'wire' });
  const vip = parseIpv4(h.vip);
  if (vip === undefined) throw new NetlabRangeError(`heartbeat virtual address must be IPv4, got ${h.vip}`, { layer: 'wire' });
  const b = new Uint8Array(HEARTBEAT_LENGTH);
  const d = new DataView(b.buffer);
  b.set(HEARTBEAT_MAGIC, 0);
  b[4] = 1;
  b[5] = HEARTBEAT_TYPE[h.type];
  b[6] = h.priority;
  b[7] = h.preempt ? 1 : 0;
  d.setUint16(8, h.intervalMs);
  b.set(vip, 12);
  d.setUint32(16, h.instance);
  d.setUint32(20, h.seq);
  d.setUint32(24, crc32c(b, 0, 24));
  return b;
}

export function decodeHeartbeat(b: Uint8Array): HeartbeatVerdict {
  const bad = (offset: number, reason: string): HeartbeatVerdict => ({ ok: false, offset, reason });
  if (b.length < HEARTBEAT_LENGTH) return bad(b.length, `${b.length} bytes, a heartbeat is ${HEARTBEAT_LENGTH}`);
  if (b.length > HEARTBEAT_LENGTH) return bad(HEARTBEAT_LENGTH, `${b.length - HEARTBEAT_LENGTH} byte(s) after the heartbeat`);
  for (let i = 0; i < 4; i++) if (b[i] !== HEARTBEAT_MAGIC[i]) return bad(i, 'not a netlab heartbeat (magic "NLHB")');
  if (b[4] !== 1) return bad(4, `version ${b[4]}, expected 1`);
  const type = b[5] === 1 ? 'advert' : b[5] === 2 ? 'resign' : undefined;
  if (type === undefined) return bad(5, `type ${b[5]}, expected 1 (ADVERT) or 2 (RESIGN)`);
  if (b[6] === 0 || b[6] === 255) return bad(6, `priority ${b[6]}, expected 1..254`);
  if ((b[7] & 0xfe) !== 0) return bad(7, `flags 0x${b[7].toString(16)}: only bit 0 (preempt) is defined`);
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const interval = d.getUint16(8);
  if (interval === 0) return bad(8, 'interval 0 ms');
  if (d.getUint16(10) !== 0) return bad(10, 'reserved bytes are not zero');
  if (crc32c(b, 0, 24) !== d.getUint32(24)) return bad(24, 'CRC-32C does not match');
  return {
    ok: true,
    value: { type, priority: b[6], preempt: (b[7] & 1) === 1, intervalMs: interval, vip: formatIpv4(b, 12), instance: d.getUint32(16), seq: d.getUint32(20) },
  };
}
