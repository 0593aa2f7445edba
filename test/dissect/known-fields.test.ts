// The field registry must know every name the mappers emit (else `-e NAME` and `-Y NAME` would refuse
// a field that netlab prints), with a type that matches the field's kind.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { walkFields, type FieldKind } from '../../src/dissect/field.ts';
import { typeClass, type TypeClass } from '../../src/dissect/filter/types.ts';
import { fieldType, isKnownField, isProtocolName } from '../../src/dissect/known-fields.ts';
import { promisify } from 'node:util';
import { findTool } from '../helpers/tools.ts';
import { dissectAll } from '../interop/agreement.ts';
import { CAPTURES as SHARED_CAPTURES } from '../helpers/captures.ts';

const CAPTURES = SHARED_CAPTURES;
const UNREADABLE = /^malformed-(linktype|pcap-version|pcapng-shb)/;

/** Which registry classes a field kind may carry. */
const KIND_CLASSES: Readonly<Record<FieldKind, readonly TypeClass[]>> = {
  uint: ['int', 'bool'],
  int: ['int'],
  bool: ['bool'],
  ipv4: ['ipv4'],
  ipv6: ['ipv6'],
  ether: ['ether'],
  bytes: ['bytes', 'protocol'],
  // Wireshark registers TCP options, IPv6 extension headers and expert info as protocols.
  string: ['string'],
  float: ['float', 'reltime'],
  // frame.time_epoch is an FT_RELATIVE_TIME in Wireshark 4.0.
  time: ['time', 'reltime'],
  reltime: ['reltime'],
  none: ['none', 'protocol'],
};

/** `name TYPE` lines for the table (types from `tshark -G fields` when tshark is there). */
async function withTypes(names: string[]): Promise<string[]> {
  if (names.length === 0 || findTool('tshark') === undefined) return names;
  const { stdout } = await promisify(execFile)('tshark', ['-G', 'fields'], { maxBuffer: 1 << 28 });
  const types = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [kind, , name, type] = line.split('\t');
    if (kind === 'F' || kind === 'P') types.set(name, kind === 'P' ? 'PROTOCOL' : type.replace(/^FT_/, ''));
  }
  return names.map((n) => `${n} ${types.get(n) ?? '(not a Wireshark field)'}`);
}

describe('known fields', () => {
  it('knows every protocol and field the mappers emit on the shared captures, with a matching type', async () => {
    const files = readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f) && !UNREADABLE.test(f));
    const missing = new Set<string>();
    const mistyped = new Set<string>();
    for (const f of files) {
      for (const d of await dissectAll(join(CAPTURES, f))) {
        for (const p of d.protos) {
          // `[N Reassembled TCP Segments]` is a tree of its own, no protocol (tcp.segments is a field).
          if (!isProtocolName(p.proto) && p.proto !== 'tcp.segments') missing.add(p.proto);
          for (const fl of walkFields(p.fields)) {
            if (fl.name === '' || fl.name === 'text') continue;
            const t = fieldType(fl.name);
            if (t === undefined) missing.add(fl.name);
            else if (!KIND_CLASSES[fl.kind].includes(typeClass(t))) mistyped.add(`${fl.name}: kind ${fl.kind}, registry ${t}`);
          }
        }
      }
    }
    // The failure lists each missing name with its Wireshark type, ready for known-fields-table.ts.
    expect(await withTypes([...missing].sort())).toEqual([]);
    expect([...mistyped].sort()).toEqual([]);
  });

  it('refuses what it does not know', () => {
    expect(isKnownField('ip.src')).toBe(true);
    expect(isKnownField('tcp')).toBe(true);
    expect(isKnownField('foo.bar')).toBe(false);
    expect(fieldType('ip.ttl')).toBe('FT_UINT8');
    expect(fieldType('ip')).toBe('FT_PROTOCOL');
  });
});
