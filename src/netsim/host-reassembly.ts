// Putting a fragmented datagram back together on a host: each fragment goes to src/wire's bounded,
// overlap-refusing reassembler; once every fragment is in, the whole datagram is rebuilt behind a
// 20-byte header (DF kept, MF and the offset cleared, the checksum computed again) so the transports
// read it as if it had arrived whole.

import { ETH_HEADER_LEN, IPV4_MIN_HEADER_LEN, internetChecksum, type Ipv4Reassembler } from '../wire/index.ts';
import { datagramPayload, readDatagram, type Datagram } from './host-ipv4.ts';
import type { NodeStats } from './host-stats.ts';

/** Adds a fragment; returns the whole datagram once complete, else undefined (refusals counted in `stats`). */
export function reassembleDatagram(reassembler: Ipv4Reassembler, d: Datagram, stats: NodeStats): Datagram | undefined {
  const f = d.frame;
  const o = d.offset;
  const result = reassembler.push({
    src: f.subarray(o + 12, o + 16),
    dst: f.subarray(o + 16, o + 20),
    protocol: d.protocol,
    id: d.id,
    offset: (((f[o + 6] << 8) | f[o + 7]) & 0x1fff) * 8,
    moreFragments: (f[o + 6] & 0x20) !== 0,
    payload: datagramPayload(d),
  });
  if (result.status === 'refused' || result.status === 'overlap') stats.ipFragmentsDropped++;
  if (result.status !== 'complete') return undefined;
  const total = IPV4_MIN_HEADER_LEN + result.payload.length;
  if (total > 0xffff) {
    stats.ipFragmentsDropped++;
    return undefined;
  }
  const frame = new Uint8Array(ETH_HEADER_LEN + total);
  frame.set(f.subarray(0, ETH_HEADER_LEN));
  const h = ETH_HEADER_LEN;
  frame.set(f.subarray(o, o + IPV4_MIN_HEADER_LEN), h);
  frame[h] = 0x45;
  frame[h + 2] = total >>> 8;
  frame[h + 3] = total & 0xff;
  frame[h + 6] &= 0x40; // keep DF, clear MF and the offset
  frame[h + 7] = 0;
  frame[h + 10] = frame[h + 11] = 0;
  const sum = internetChecksum(frame, h, IPV4_MIN_HEADER_LEN);
  frame[h + 10] = sum >>> 8;
  frame[h + 11] = sum & 0xff;
  frame.set(result.payload, h + IPV4_MIN_HEADER_LEN);
  const whole = readDatagram(frame, h);
  if (typeof whole === 'string') return undefined;
  stats.ipReassembled++;
  return whole;
}
