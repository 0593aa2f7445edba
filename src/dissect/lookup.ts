// Looking things up in a dissection without pulling in the decoders (the output formats and the
// display filter only need these).

import type { Dissection } from './dissection.ts';
import { type Field, type ProtoNode, walkFields } from './field.ts';

/** Every occurrence of a field name in tree order, as tshark's -T fields visits them. */
export function findFields(d: Dissection, name: string): Field[] {
  const out: Field[] = [];
  for (const p of d.protos) {
    for (const f of walkFields(p.fields)) if (f.name === name) out.push(f);
  }
  return out;
}

/** True when the protocol (by filter name) is in the frame. */
export function hasProtocol(d: Dissection, proto: string): boolean {
  return d.protos.some((p) => p.proto === proto);
}

/** The frame node (always present). */
export function frameOf(d: Dissection): ProtoNode | undefined {
  return d.protos.find((p) => p.proto === 'frame');
}
