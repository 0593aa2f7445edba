// Port rewriting in captured frames: each UDP or TCP port found in a map is replaced, and the
// checksum updated incrementally (RFC 1624), so a capture can show a server's kernel-chosen port as
// the well-known port a dissector expects (the DNS labs show their servers' ports as 53).

import { incrementalUpdate16 } from '../wire/checksum.ts';
import { decode } from '../wire/decode.ts';

/** The byte offset of the UDP or TCP header of an Ethernet/IPv4 frame, and which one it is. */
function transportAt(frame: Uint8Array): { kind: 'udp' | 'tcp'; offset: number } | undefined {
  const layers = decode(frame, 1).layers;
  const t = layers.find((l) => l.kind === 'udp' || l.kind === 'tcp');
  if (t === undefined || (t.kind !== 'udp' && t.kind !== 'tcp')) return undefined;
  return { kind: t.kind, offset: t.offset };
}

/**
 * A copy of the frame with each port found in `ports` replaced by its mapped value and the UDP or TCP
 * checksum updated incrementally (a zero UDP checksum, "none", stays zero).
 */
export function remapPorts(frame: Uint8Array, ports: ReadonlyMap<number, number>): Uint8Array {
  const at = transportAt(frame);
  const out = Uint8Array.from(frame);
  if (at === undefined) return out;
  const sumAt = at.offset + (at.kind === 'udp' ? 6 : 16);
  if (sumAt + 2 > out.length) return out;
  let sum = (out[sumAt] << 8) | out[sumAt + 1];
  const noSum = at.kind === 'udp' && sum === 0;
  for (const field of [at.offset, at.offset + 2]) {
    const old = (out[field] << 8) | out[field + 1];
    const mapped = ports.get(old);
    if (mapped === undefined || mapped === old) continue;
    out[field] = mapped >> 8;
    out[field + 1] = mapped & 0xff;
    if (!noSum) sum = incrementalUpdate16(sum, old, mapped);
  }
  if (!noSum) {
    if (at.kind === 'udp' && sum === 0) sum = 0xffff; // RFC 768: a computed zero is sent as all ones
    out[sumAt] = sum >> 8;
    out[sumAt + 1] = sum & 0xff;
  }
  return out;
}
