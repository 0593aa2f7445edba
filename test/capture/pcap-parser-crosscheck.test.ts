// pcap-parser (npm) as an independent reader: on every little-endian microsecond pcap of the shared
// captures, its global header, record headers and packet bytes agree with ours.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pcapParser, { type GlobalHeader, type Packet } from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/capture/read.ts';
import { CaptureFormatError } from '../../src/capture/types.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const DIR = SHARED_CAPTURES;

const leUsec = readFileSync(join(DIR, 'MANIFEST.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((f) => f[3] === 'pcap-le-usec')
  .map((f) => f[0]);

function theirs(path: string): Promise<{ header: GlobalHeader | undefined; packets: Packet[] }> {
  return new Promise((resolve, reject) => {
    const packets: Packet[] = [];
    let header: GlobalHeader | undefined;
    const p = pcapParser.parse(path);
    p.on('globalHeader', (h) => {
      header = h;
    });
    p.on('packet', (pkt) => packets.push(pkt));
    p.on('error', reject);
    p.on('end', () => resolve({ header, packets }));
  });
}

describe('cross-check with pcap-parser on the little-endian usec pcaps', () => {
  it('finds the files', () => {
    expect(leUsec.length).toBeGreaterThan(40);
  });

  for (const name of leUsec) {
    it(name, async () => {
      const path = join(DIR, name);
      const t = await theirs(path);
      let ours: ReturnType<typeof parseCapture> | undefined;
      try {
        ours = parseCapture(readFileSync(path), name);
      } catch (e) {
        // Files we refuse as tshark does. pcap-parser checks neither the link-type reserved bits nor,
        // really, the version (its test is `major != 2 && minor != 4`, so it reads version 1.4).
        expect(e).toBeInstanceOf(CaptureFormatError);
        expect(name).toMatch(/^malformed-(linktype-reserved|pcap-version)/);
        return;
      }
      expect(t.header?.snapshotLength).toBe(ours.interfaces[0].snapLength);
      expect((t.header?.linkLayerType ?? -1) & 0xffff).toBe(ours.interfaces[0].linkType);
      expect(ours.packets).toHaveLength(t.packets.length);
      ours.packets.forEach((p, i) => {
        const h = t.packets[i].header;
        expect(p.tsSec).toBe(h.timestampSeconds);
        // pcap-parser gives the raw microsecond field; ours is tshark's nanoseconds from it.
        expect(p.tsNsec).toBe((h.timestampMicroseconds * 1000) | 0);
        expect(p.data.length).toBe(h.capturedLength);
        expect(p.origLength).toBe(h.originalLength);
        expect(Buffer.from(p.data).equals(t.packets[i].data)).toBe(true);
      });
    });
  }
});
