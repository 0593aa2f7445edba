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
