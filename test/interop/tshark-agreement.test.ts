// netlab decode vs tshark 4.0, field by field, on every shared capture tshark can read.
// Every field netlab emits must print exactly what tshark prints, frame for frame.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.ts';
import { compareCapture } from './agreement.ts';
import { KNOWN_DIVERGENCES } from './known-divergences.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;
/** Files tshark itself refuses to open (file-level corruption); the capture tests cover them. */
const UNREADABLE = new Set([
  'malformed-linktype-reserved-bits-libpcap.pcap',
  'malformed-pcap-version-1-4-libpcap.pcap',
  'malformed-pcapng-shb-version-0-1-libpcap.pcapng',
]);

const files = (() => {
  try {
    return readdirSync(CAPTURES)
      .filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f) && !UNREADABLE.has(f))
      .sort();
  } catch {
    return [];
  }
})();

describe.skipIf(!requireTool('tshark'))('field agreement with tshark on the shared captures', () => {
  it('finds the shared captures', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  for (const file of files) {
    it(file, async () => {
      const result = await compareCapture(join(CAPTURES, file));
      const bad = result.filter(
        (a) => a.agree !== a.frames && !KNOWN_DIVERGENCES[`${file}:${a.field}`] && !KNOWN_DIVERGENCES[`*:${a.field}`] && !KNOWN_DIVERGENCES[`${file}:*`],
      );
      expect(bad.map((a) => `${a.field} ${a.agree}/${a.frames} e.g. ${JSON.stringify(a.examples[0])}`)).toEqual([]);
    });
  }
});
