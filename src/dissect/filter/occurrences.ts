// Where the filter finds a field's values in one frame: every occurrence in tree order, optionally
// only those of the n-th protocol layer that carries the field (`ip.src#2`, Wireshark's layer
// operator). The per-frame index is built once, however many fields the filter names.

import type { Dissection } from '../dissection.ts';
import type { Field } from '../field.ts';
import { fieldVal, type Val } from './values.ts';

/** name -> occurrences grouped by the protocol node they sit in (one group per layer), filled on demand. */
type FrameIndex = Map<string, Field[][]>;

const indexes = new WeakMap<Dissection, FrameIndex>();

/** The occurrences of one name, grouped by layer; walked once per frame and name. */
function occurrenceGroups(d: Dissection, name: string): Field[][] {
  let idx = indexes.get(d);
  if (idx === undefined) {
    idx = new Map();
    indexes.set(d, idx);
  }
  let groups = idx.get(name);
  if (groups !== undefined) return groups;
  groups = [];
  for (const p of d.protos) {
    const found: Field[] = [];
    collect(p.fields, name, found);
    if (found.length > 0) groups.push(found);
  }
  idx.set(name, groups);
  return groups;
}

/** Every occurrence in tree order (what the groups hold, flattened), without the per-frame index. */
function allOccurrences(d: Dissection, name: string): Field[] {
  const found: Field[] = [];
  for (const p of d.protos) collect(p.fields, name, found);
  return found;
}

/** Depth first, in tree order. */
function collect(fields: readonly Field[], name: string, out: Field[]): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name) out.push(f);
    if (f.children !== undefined) collect(f.children, name, out);
  }
}

/** Values of every occurrence of a field (or only those in its `layer`-th protocol layer, 1-based). */
export function fieldOccurrences(d: Dissection, name: string, layer?: number): Val[] {
  if (layer === undefined) return allOccurrences(d, name).map(fieldVal);
  const groups = occurrenceGroups(d, name);
  if (groups.length === 0) return [];
  const picked = layer === undefined ? groups.flat() : (groups[layer - 1] ?? []);
  return picked.map(fieldVal);
}

/**
 * A protocol's value is its bytes: from where the protocol starts to the end of the captured frame
 * (so `eth contains "GET"` looks into the payload, as in Wireshark). Some protocols are items inside
 * another protocol's tree (TCP options, IPv6 extension headers, expert info): their value is the
 * item's own bytes.
 */
export function protocolOccurrences(d: Dissection, proto: string, layer?: number): Val[] {
  const data = d.packet.data;
  const nodes: Val[] = d.protos
    .filter((p) => p.proto === proto && !p.noTree)
    .map((p): Val => ({ t: 'bytes', v: data.subarray(Math.min(p.offset, data.length)) }));
  const items: Val[] = (layer === undefined ? allOccurrences(d, proto) : occurrenceGroups(d, proto).flat()).map(
    (f): Val => ({ t: 'bytes', v: data.subarray(f.offset, f.offset + f.length) }),
  );
  // A tree-less protocol node (listed in frame.protocols only) still makes the protocol present.
  const bare = nodes.length === 0 && items.length === 0 && d.protos.some((p) => p.proto === proto) ? [{ t: 'bytes', v: new Uint8Array(0) } as Val] : [];
  const all = [...nodes, ...items, ...bare];
  return layer === undefined ? all : all.slice(layer - 1, layer);
}

/** True when some field of the frame has this name (fieldOccurrences would find one). */
export function fieldPresent(d: Dissection, name: string): boolean {
  const protos = d.protos;
  for (let i = 0; i < protos.length; i++) if (anyNamed(protos[i].fields, name)) return true;
  return false;
}

/** True when the protocol is in the frame: a node of it, or an item of that name (protocolOccurrences would find one). */
export function protocolPresent(d: Dissection, proto: string): boolean {
  const protos = d.protos;
  for (let i = 0; i < protos.length; i++) if (protos[i].proto === proto) return true;
  return fieldPresent(d, proto);
}

function anyNamed(fields: readonly Field[], name: string): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name) return true;
    if (f.children !== undefined && anyNamed(f.children, name)) return true;
  }
  return false;
}

/** True when some occurrence of the field, in tree order, passes the test (which may stop the walk early). */
export function someOccurrence(d: Dissection, name: string, test: (f: Field) => boolean): boolean {
  const protos = d.protos;
  for (let i = 0; i < protos.length; i++) {
    const fields = protos[i].fields;
    if (fields.length > 0 && someNamed(fields, name, test)) return true;
  }
  return false;
}

function someNamed(fields: readonly Field[], name: string, test: (f: Field) => boolean): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name && test(f)) return true;
    if (f.children !== undefined && someNamed(f.children, name, test)) return true;
  }
  return false;
}
