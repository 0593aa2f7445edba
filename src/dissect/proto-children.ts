// The nesting of a frame's protocol nodes, as -V and -T json walk it. Most frames have none (every
// node at the top level, in order); an ICMP message holds what it carries.

import type { Dissection } from './dissection.ts';

/**
 * The nodes nested in each node, in order, with the top level last (at index `protos.length`);
 * undefined when every node is at the top level, so the writers can go through `protos` in order.
 */
export function protoChildren(d: Dissection): number[][] | undefined {
  const parents = d.parents;
  if (parents === undefined) return undefined;
  const n = d.protos.length;
  let nested = false;
  for (let i = 0; i < n; i++) {
    if ((parents[i] ?? -1) !== -1) {
      nested = true;
      break;
    }
  }
  if (!nested) return undefined;
  const children: number[][] = [];
  for (let i = 0; i <= n; i++) children.push([]);
  for (let i = 0; i < n; i++) {
    const parent = parents[i] ?? -1;
    // A parent that is no node leaves the node out, as a walk from the top level never reaches it.
    if (parent === -1) children[n].push(i);
    else if (parent >= 0 && parent < n) children[parent].push(i);
  }
  return children;
}
