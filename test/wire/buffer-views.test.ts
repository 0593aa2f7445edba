// Decoding a Node Buffer (what file and socket readers hand out) must neither write into the frame
// nor hand out values that share its memory.

import { describe, expect, it } from 'vitest';
import { decode, encode, ethernet, ipv4, udp, payload } from '../../src/wire/index.ts';

const LINKTYPE_ETHERNET = 1;

function frameAsBuffer(): Buffer {
  const bytes = encode([
    ethernet({ src: '11:22:33:44:55:66', dst: 'aa:bb:cc:dd:ee:ff' }),
    ipv4({ src: '192.168.1.10', dst: '142.250.183.110', options: Uint8Array.from([1, 1, 1, 0]) }), // NOP, NOP, NOP, EOL: a 24-byte header
    udp({ sport: 54321, dport: 53 }),
    payload('Hola'),
  ]);
  return Buffer.from(bytes);
}

describe('decoding Node Buffers', () => {
  it('leaves the frame bytes exactly as they were (the IPv4 checksum check works on a copy)', () => {
    const buf = frameAsBuffer();
    const before = Buffer.from(buf);
    const result = decode(buf, LINKTYPE_ETHERNET, { verifyChecksums: true });
    const ip = result.layers.find((l) => l.kind === 'ipv4');
    expect(ip?.value).toMatchObject({ checksumStatus: 'good' });
    expect(buf.equals(before)).toBe(true);
  });

  it('hands out addresses that are copies, not views of the frame', () => {
    const buf = frameAsBuffer();
    const result = decode(buf, LINKTYPE_ETHERNET);
    const eth = result.layers.find((l) => l.kind === 'ethernet')?.value as { src: Uint8Array };
    const ip = result.layers.find((l) => l.kind === 'ipv4')?.value as { src: Uint8Array };
    buf.fill(0);
    expect([...eth.src]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
    expect([...ip.src]).toEqual([192, 168, 1, 10]);
    expect(Buffer.isBuffer(ip.src)).toBe(false);
  });
});
