// `-V`: the protocol tree as tshark prints it. Each protocol's header line at its depth, its fields
// indented by 4 per level, generated fields in [brackets], hidden fields not shown. What an ICMP
// message carries is nested in its tree. Like tshark, a `data` protocol is followed by a hex dump
// of its bytes (unless the whole frame is dumped with -x anyway).

import type { Dissection } from './dissection.ts';
import type { Field, ProtoNode } from './field.ts';
import { hexDump } from './hex-output.ts';

export interface TreeOptions {
  /** The whole frame is dumped after the tree (-x): no separate dump under `data`. */
  hexFollows?: boolean;
}

/** The line -V prints for a field (without indentation). */
export function fieldLine(f: Field): string {
  let line = f.text ?? (f.kind === 'none' ? f.label : `${f.label}: ${f.show}`);
  if (f.generated && !line.startsWith('[')) line = `[${line}]`;
  return line;
}

function pushFields(out: string[], fields: readonly Field[], depth: number): void {
  const indent = ' '.repeat(depth * 4);
  for (const f of fields) {
    if (f.hidden) continue;
    out.push(indent + fieldLine(f));
    if (f.children) pushFields(out, f.children, depth + 1);
  }
}

/** The -V lines of one frame (no trailing blank line). */
export function treeLines(d: Dissection, opts: TreeOptions = {}): string[] {
  const out: string[] = [];
  const children = new Map<number, number[]>();
  d.protos.forEach((_, i) => {
    const parent = d.parents?.[i] ?? -1;
    const list = children.get(parent) ?? [];
    list.push(i);
    children.set(parent, list);
  });
  const visit = (i: number, depth: number): void => {
    const p: ProtoNode = d.protos[i];
    if (!p.noTree) {
      out.push(' '.repeat(depth * 4) + p.label);
      if (p.proto === 'data' && !opts.hexFollows) {
        out.push('');
        out.push(
          ...hexDump(
            p.fields[0]?.name === 'data.data' && p.fields[0].value instanceof Uint8Array
              ? p.fields[0].value
              : d.packet.data.subarray(p.offset, p.offset + p.length),
          ),
        );
      }
      pushFields(out, p.fields, depth + 1);
    }
    for (const c of children.get(i) ?? []) visit(c, p.noTree ? depth : depth + 1);
  };
  for (const i of children.get(-1) ?? []) visit(i, 0);
  return out;
}
