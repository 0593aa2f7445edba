// The field names netlab knows, with their Wireshark types: `-T fields -e NAME` refuses a name that
// is not here (as tshark does: "Some fields aren't valid"), and the display filter uses the type to
// read the literal on the other side of an operator (`ip.src == 10.0.0.0/8`, `eth.type == 0x0800`).
//
// The static table lists what netlab's mappers emit (names and types as `tshark -G fields` gives
// them); test/dissect/known-fields.test.ts fails when a mapper emits a name missing here. Protocol
// dissectors added later register their own names with registerFields().

import type { FieldType } from './filter/types.ts';
import { KNOWN_FIELD_TABLE, KNOWN_PROTOCOLS } from './known-fields-table.ts';

const fields = new Map<string, FieldType>();
const protocols = new Set<string>(KNOWN_PROTOCOLS);

for (const line of KNOWN_FIELD_TABLE.split('\n')) {
  const [name, type] = line.trim().split(/\s+/);
  if (name && type) fields.set(name, `FT_${type}` as FieldType);
}

/** The type of a known field or protocol ('FT_PROTOCOL'), or undefined when netlab does not know it. */
export function fieldType(name: string): FieldType | undefined {
  if (protocols.has(name)) return 'FT_PROTOCOL';
  return fields.get(name);
}

/** True for a field or protocol name netlab can produce. */
export function isKnownField(name: string): boolean {
  return protocols.has(name) || fields.has(name);
}

export function isProtocolName(name: string): boolean {
  return protocols.has(name);
}

/** Adds fields (and, with type 'FT_PROTOCOL', protocols) that a dissector produces. */
export function registerFields(entries: Readonly<Record<string, FieldType>>): void {
  for (const [name, type] of Object.entries(entries)) {
    if (type === 'FT_PROTOCOL') protocols.add(name);
    else fields.set(name, type);
  }
}

/** Every known field name (not protocols), sorted. */
export function knownFieldNames(): string[] {
  return [...fields.keys()].sort();
}
