// The fast reading of Wireshark's name files (char codes for the common `hh:hh:hh<TAB>Short<TAB>Long`
// line) must give exactly the tables the line-by-line reading gives.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNameFile } from '../../src/dissect/protocols/mac-names.ts';

const SAMPLE = [
  '# comment',
  '00:00:18\tWebsterC\tWebster Computer Corporation\t# Appletalk/Ethernet Gateway',
  '00:00:5A\tSkSchnei\tSK\t# (Schneider & Koch)',
  '00:01:02\tShortOnly',
  '00:01:03\tTrail\tLong name  ',
  '00:01:04\tTwoTabs\t\tLong after two tabs',
  '00:01:05\tComment\t# not a long name',
  '00-01-06\tDashes\tDash form',
  '00:55:DA:00:00:00/28\tRange\tA /28 range',
  '8C:1F:64:F5:A0:00/36\tLastRange',
  '8C:1F:64:F5:B0:00/36\tTrailing \r',
  '00:55:DA:00:00:00/4x\tBadMask',
  'FF:FF:FF:FF:FF:FF\tBroadcast',
  '01:00:5E/25\tIPv4mcast',
  '00:01:0G\tBadHex\tnot hex',
  '',
  '00:01:07\tWindows\tCRLF line\r',
].join('\n');

describe('Wireshark name files', () => {
  it('reads the sample the same both ways', () => {
    const fast = parseNameFile(SAMPLE);
    expect(fast).toEqual(parseNameFile(SAMPLE, true));
    expect(fast.manuf.get(0x000018)).toEqual(['WebsterC', 'Webster Computer Corporation']);
    expect(fast.manuf.get(0x000105)).toEqual(['Comment', undefined]);
    expect(fast.manuf.get(0x000104)).toEqual(['TwoTabs', 'Long after two tabs']);
    expect(fast.manuf.has(0x00010f)).toBe(false);
  });

  it.skipIf(!existsSync('/usr/share/wireshark/manuf'))('reads the installed manuf file the same both ways', () => {
    const text = readFileSync('/usr/share/wireshark/manuf', 'latin1');
    const fast = parseNameFile(text);
    const slow = parseNameFile(text, true);
    expect(fast.manuf.size).toBeGreaterThan(30_000);
    expect(fast).toEqual(slow);
  });
});

describe('reading manuf per prefix on demand', () => {
  it.skipIf(!existsSync('/usr/share/wireshark/manuf'))('names every address as the full reading does', async () => {
    const { lookupName, macName, resetMacNames, setMacNameResolution } = await import('../../src/dissect/protocols/mac-names.ts');
    setMacNameResolution(true);
    resetMacNames();
    const manuf = readFileSync('/usr/share/wireshark/manuf', 'latin1');
    const full = parseNameFile(manuf);
    const wka = parseNameFile(readFileSync('/usr/share/wireshark/wka', 'latin1'));
    for (const [k, v] of wka.exact) full.exact.set(k, v);
    for (const [k, v] of wka.ranges) full.ranges.set(k, v);
    for (const [k, v] of wka.manuf) full.manuf.set(k, v);
    // Addresses under prefixes that have ranges, plain prefixes, multicast variants, wka's, random ones.
    const prefixes = [...new Set([...manuf.matchAll(/^([0-9A-F]{2}):([0-9A-F]{2}):([0-9A-F]{2})/gm)].map((m) => parseInt(m[1] + m[2] + m[3], 16)))];
    const addrs: Uint8Array[] = [];
    let seed = 7;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    for (let i = 0; i < 40; i++) {
      const p = prefixes[next() % prefixes.length];
      for (const m of [p, p | 0x010000]) addrs.push(Uint8Array.of(m >> 16, (m >> 8) & 0xff, m & 0xff, next() & 0xff, next() & 0xff, next() & 0xff));
    }
    addrs.push(
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb),
      Uint8Array.of(0x33, 0x33, 0x00, 0x00, 0x00, 0x01),
    );
    for (const a of addrs) expect(macName(a), Buffer.from(a).toString('hex')).toBe(lookupName(full, a, 0));
  });
});
