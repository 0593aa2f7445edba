import { describe, expect, it } from 'vitest';
import { addressBytes, parseCidr, prefixMatch, ViewTable } from '../../src/dns/views.ts';
import { parseZoneText } from '../../src/dns/zone-file.ts';

const recs = (text: string) => parseZoneText(text, { origin: 'example.test', defaultTtl: 60 }).map((r) => r.record);

describe('networks', () => {
  it('parses CIDR text and refuses what is not a network', () => {
    expect(parseCidr('127.1.0.0/16')).toMatchObject({ family: 4, prefix: 16 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr('127.0.0.1').prefix).toBe(32);
    for (const bad of ['127.1.0.0/33', 'fd00::/129', 'india', '127.1.0.0/16/2', '127.1.0.0/x']) expect(() => parseCidr(bad), bad).toThrow(RangeError);
    expect(() => parseCidr('india')).toThrow(/'india' is not a network/);
  });

  it('matches prefixes bit by bit, and reads IPv4-mapped IPv6 as IPv4', () => {
    expect(prefixMatch(Uint8Array.of(10, 0b1010_0000), Uint8Array.of(10, 0b1011_1111), 11)).toBe(true);
    expect(prefixMatch(Uint8Array.of(10, 0b1010_0000), Uint8Array.of(10, 0b1011_1111), 12)).toBe(false);
    expect(addressBytes('::ffff:127.1.2.3')).toEqual({ family: 4, bytes: Uint8Array.of(127, 1, 2, 3) });
    expect(addressBytes('nope')).toBeUndefined();
  });
});

describe('ViewTable', () => {
  const t = new ViewTable([
    { name: 'India', networks: ['127.1.0.0/16', 'fd00:91::/32'], records: recs('geo A 127.30.1.1\ngeo A 127.30.1.2') },
    { name: 'Mumbai', networks: ['127.1.5.0/24'], records: recs('geo A 127.30.5.1') },
    { name: 'US', networks: ['127.2.0.0/16'], records: recs('geo A 127.30.2.1') },
  ]);

  it('places an address in the longest matching network', () => {
    expect(t.matchAddress('127.1.9.9')).toEqual({ view: 'India', prefix: 16 });
    expect(t.matchAddress('127.1.5.9')).toEqual({ view: 'Mumbai', prefix: 24 });
    expect(t.matchAddress('::ffff:127.2.0.1')).toEqual({ view: 'US', prefix: 16 });
    expect(t.matchAddress('fd00:91::7')).toEqual({ view: 'India', prefix: 32 });
    expect(t.matchAddress('127.3.0.1')).toBeUndefined();
  });

  it('places a client subnet only in networks no longer than its source prefix', () => {
    const ecs = (address: string, source: number) => ({ type: 'client-subnet' as const, family: 1, sourcePrefixLength: source, scopePrefixLength: 0, address });
    expect(t.matchSubnet(ecs('127.1.5.0', 24))).toEqual({ view: 'Mumbai', prefix: 24 });
    expect(t.matchSubnet(ecs('127.1.0.0', 20))).toEqual({ view: 'India', prefix: 16 });
    expect(t.matchSubnet(ecs('127.0.0.0', 8))).toBeUndefined();
  });

  it('overrides only the RRsets a view names, with the query name as owner', () => {
    expect(t.dependsOnView('GEO.example.test', 1)).toBe(true);
    expect(t.dependsOnView('geo.example.test', 28)).toBe(false);
    expect(t.override('India', 'GEO.example.test', 1)?.records.map((r) => [r.name, r.data])).toEqual([
      ['GEO.example.test', { type: 'A', address: '127.30.1.1' }],
      ['GEO.example.test', { type: 'A', address: '127.30.1.2' }],
    ]);
    expect(t.override(undefined, 'geo.example.test', 1)).toBeUndefined();
    expect(() => new ViewTable([{ name: 'X', networks: [], records: [] }])).toThrow(/has no networks/);
    expect(
      () =>
        new ViewTable([
          { name: 'X', networks: ['127.0.0.0/8'], records: [] },
          { name: 'X', networks: ['10.0.0.0/8'], records: [] },
        ]),
    ).toThrow(/defined twice/);
  });
});
