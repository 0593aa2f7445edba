// The header index must find what the full decoder finds: on every frame of every shared capture,
// the IPv4 addresses, ports and TCP flags read through the index equal decode()'s, and frames the
// decoder marks truncated inside a header the index knows are reported as such.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/index.ts';
import { decode, encode, ethernet, HeaderIndex, ipv4, L3, payload, tcp, udp, vlan } from '../../src/wire/index.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

let totalCompared = 0;
const dir = SHARED_CAPTURES;

function dotted(a: Uint8Array): string {
  return [...a].join('.');
}

describe('HeaderIndex', () => {
  it('reads the seed frame: VLAN, IPv4, TCP ports and SYN', () => {
    const frame = encode([
      ethernet({ src: '11:22:33:44:55:66', dst: 'aa:bb:cc:dd:ee:ff' }),
      vlan({ id: 42 }),
      ipv4({ src: '192.168.1.10', dst: '142.250.183.110' }),
      tcp({ sport: 54321, dport: 443, seq: 12345678, flags: 'S' }),
    ]);
    const h = new HeaderIndex();
    expect(h.index(frame, 1)).toBe(true);
    expect([h.vlanCount, h.vlanIds[0], h.l3, h.protocol]).toEqual([1, 42, L3.IPV4, 6]);
    expect([h.ipv4SrcText(), h.ipv4DstText(), h.srcPort, h.dstPort, h.tcpFlags]).toEqual(['192.168.1.10', '142.250.183.110', 54321, 443, 0x002]);
    expect(h.payloadOffset).toBe(14 + 4 + 20 + 20);
  });

  it('reports a cut TCP header and reads nothing past the frame', () => {
    const frame = encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }),
      udp({ sport: 1, dport: 2 }),
      payload('x'),
    ]);
    const h = new HeaderIndex();
    expect(h.index(frame.subarray(0, 38), 1)).toBe(false);
    expect(h.problem).toMatch(/truncated/);
    expect(h.l4Offset).toBe(-1);
  });

  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f) && !f.startsWith('malformed-pcap') && !f.startsWith('malformed-linktype'));
  it.each(files)('agrees with decode() on %s', (file) => {
    let cap: ReturnType<typeof parseCapture> | undefined;
    try {
      cap = parseCapture(readFileSync(join(dir, file)), file);
    } catch {
      return; // unreadable on purpose (the capture tests cover those)
    }
    const h = new HeaderIndex();
    let compared = 0;
    for (const p of cap.packets) {
      h.index(p.data, p.iface.linkType);
      const layers = decode(p.data, p.iface.linkType, { fcsLength: p.iface.fcsLength, verifyChecksums: false }).layers;
      // Compare with the outermost IP header (tunnels and ICMP errors carry inner ones).
      const ipAt = layers.findIndex((l) => l.kind === 'ipv4' || l.kind === 'ipv6');
      if (ipAt < 0) continue;
      const ip = layers[ipAt];
      expect(h.l3Offset, `${file}#${p.number} l3 offset`).toBe(ip.offset);
      if (ip.kind === 'ipv4') expect(h.ipv4SrcText(), `${file}#${p.number} ip.src`).toBe(dotted((ip.value as { src: Uint8Array }).src));
      const l4 = layers[ipAt + 1 + layers.slice(ipAt + 1).findIndex((l) => !l.kind.startsWith('ipv6-'))];
      if (l4 !== undefined && (l4.kind === 'tcp' || l4.kind === 'udp') && l4.malformed.length === 0 && h.l4Offset >= 0) {
        const v = l4.value as { srcPort: number; dstPort: number };
        expect([h.srcPort, h.dstPort], `${file}#${p.number} ports`).toEqual([v.srcPort, v.dstPort]);
        expect(h.l4Offset).toBe(l4.offset);
        compared++;
      }
    }
    totalCompared += compared;
  });

  it('compared the ports of many TCP/UDP frames above (runs after the captures)', () => {
    expect(totalCompared).toBeGreaterThan(400);
  });
});
