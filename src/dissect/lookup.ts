// Looking things up in a dissection without pulling in the decoders (the output formats and the
// display filter only need these).

import type { Dissection } from './dissection.ts';
import type { Field, ProtoNode } from './field.ts';

/** Every occurrence of a field name in tree order, as tshark's -T fields visits them. */
export function findFields(d: Dissection, name: string): Field[] {
  const out: Field[] = [];
  for (const p of d.protos) collect(p.fields, name, out);
  return out;
}

/** Depth first, in tree order (a plain loop: a generator costs more than the walk itself here). */
function collect(fields: readonly Field[], name: string, out: Field[]): void {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name === name) out.push(f);
    if (f.children !== undefined) collect(f.children, name, out);
  }
}

/** The first top-level field of that name in the frame node (frame.time_relative and its kin). */
export function frameField(d: Dissection, name: string): Field | undefined {
  for (const p of d.protos) {
    if (p.proto !== 'frame') continue;
    for (const f of p.fields) if (f.name === name) return f;
    return undefined;
  }
  return undefined;
}

/** True when the protocol (by filter name) is in the frame. */
export function hasProtocol(d: Dissection, proto: string): boolean {
  return d.protos.some((p) => p.proto === proto);
}

/** The frame node (always present). */
export function frameOf(d: Dissection): ProtoNode | undefined {
  return d.protos.find((p) => p.proto === 'frame');
}
