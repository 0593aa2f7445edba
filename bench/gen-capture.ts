// The benchmark's capture: N Ethernet frames of mixed TCP (60%), UDP (30%) and ARP (10%), built with
// netlab's own encoder from a few hundred templates whose ports and sequence numbers vary, written
// as classic pcap. Cached in the OS temp folder by frame count, so repeated runs skip the writing.

import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/capture/index.ts';
import { arp, encode, ethernet, ipv4, payload, tcp, udp } from '../src/wire/index.ts';
import { put16, put32 } from '../src/wire/layer.ts';

export interface BenchCapture {
  path: string;
  frames: number;
  bytes: number;
}

/** Frames per template kind, in the order they repeat: 6 TCP, 3 UDP, 1 ARP. */
const PATTERN = ['tcp', 'tcp', 'udp', 'tcp', 'arp', 'tcp', 'udp', 'tcp', 'udp', 'tcp'] as const;

function templates(): Record<(typeof PATTERN)[number], Uint8Array[]> {
  const tcps: Uint8Array[] = [];
  const udps: Uint8Array[] = [];
  const arps: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    const src = `10.${i % 8}.${i}.${((i * 7) % 250) + 1}`;
    const dst = `192.168.${i % 4}.${((i * 13) % 250) + 1}`;
    const eth = ethernet({
      src: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      dst: '02:00:00:00:ff:01',
    });
    tcps.push(
      encode([
        eth,
        ipv4({ src, dst, ttl: 64, id: i }),
        tcp({ sport: 40000 + i, dport: 443, seq: i * 1000, ack: 1, flags: 'PA' }),
        payload(new Uint8Array(20 + ((i * 37) % 1200))),
      ]),
    );
    udps.push(encode([eth, ipv4({ src, dst, ttl: 63, id: i }), udp({ sport: 50000 + i, dport: 53 }), payload(new Uint8Array(30 + ((i * 11) % 200)))]));
    arps.push(
      encode([
        ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }),
        arp({ op: 'request', senderMac: '02:00:00:00:00:01', senderIp: src, targetIp: dst }),
      ]),
    );
  }
  return { tcp: tcps, udp: udps, arp: arps };
}

/** Writes (or finds in the cache) a capture of `frames` frames; returns its path and size. */
export async function benchCapture(frames: number): Promise<BenchCapture> {
  const dir = join(tmpdir(), 'netlab-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `mixed-${frames}.pcap`);
  if (existsSync(path)) return { path, frames, bytes: statSync(path).size };
  const t = templates();
  const tmp = `${path}.part`;
  const w = PcapWriter.toFile(tmp, { linkType: 1 });
  let sec = 1_700_000_000;
  for (let n = 0; n < frames; n++) {
    const kind = PATTERN[n % PATTERN.length];
    const list = t[kind];
    const frame = list[(n >>> 3) % list.length].slice();
    // Vary the frames a little so no two neighbours are identical: ports, sequence, IP ID.
    if (kind === 'tcp') {
      put32(frame, 38, n);
      put16(frame, 18, n & 0xffff);
    } else if (kind === 'udp') {
      put16(frame, 34, 1024 + (n % 60000));
      put16(frame, 18, n & 0xffff);
    }
    if (n % 1000 === 0) sec++;
    if (!w.write({ tsSec: sec, tsNsec: (n % 1000) * 1000, data: frame })) await w.drained();
  }
  await w.close();
  renameSync(tmp, path);
  return { path, frames, bytes: statSync(path).size };
}
