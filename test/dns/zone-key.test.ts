import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ancestorKeys, nameKey } from '../../src/dns/zone.ts';
import { canonicalName, labelsToName, nameToLabels } from '../../src/wire/dns-name.ts';

// nameKey and ancestorKeys take a shortcut for plain host names; it must agree with the codec's
// canonical form for every name, plain or not.
const label = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_*-]{1,63}$/),
  fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => labelsToName([b])),
);
const name = fc
  .array(label, { minLength: 0, maxLength: 6 })
  .map((ls) => ls.join('.'))
  .filter((n) => {
    try {
      nameToLabels(n);
      return true;
    } catch {
      return false;
    }
  });

describe('name keys', () => {
  it('nameKey equals canonicalName, and ancestorKeys walks up to the root', () => {
    fc.assert(
      fc.property(name, (n) => {
        expect(nameKey(n)).toBe(canonicalName(n));
        const up = ancestorKeys(n);
        const labels = nameToLabels(canonicalName(n));
        expect(up).toEqual(labels.map((_, i) => labelsToName(labels.slice(i))).concat(['']));
      }),
      { numRuns: 500, seed: 42 },
    );
    expect(nameKey('WWW.Example.TEST')).toBe('www.example.test');
    expect(ancestorKeys('a.B.c')).toEqual(['a.b.c', 'b.c', 'c', '']);
    expect(() => nameKey('a..b')).toThrow(/empty label/);
  });
});
