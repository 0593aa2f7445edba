// IP hash: hash(client address) % (number of endpoints), over the full list of the cluster, so a
// client keeps its endpoint while the list does not change. When the chosen endpoint cannot take the
// request, the key is hashed again with a counter (as nginx re-hashes, up to 20 times) and then the
// first candidate after the hashed position is taken. Adding one endpoint to four moves about 4/5 of
// the clients: the reason consistent hashing exists.

import type { Endpoint } from './endpoint.ts';
import { fnv1a32 } from './hash.ts';
import type { PickContext, Policy } from './policy.ts';

const REHASHES = 20;

export class IpHash implements Policy {
  readonly name = 'ip_hash' as const;

  pick(ctx: PickContext): Endpoint | undefined {
    const { all, candidates } = ctx;
    if (candidates.length === 0 || all.length === 0) return undefined;
    const key = ctx.hashKey ?? ctx.clientAddress ?? '';
    let h = fnv1a32(key);
    if (candidates.length === all.length) return all[h % all.length];
    const ok = new Set(candidates);
    for (let attempt = 0; attempt <= REHASHES; attempt++) {
      const e = all[h % all.length];
      if (ok.has(e)) return e;
      h = fnv1a32(`${key}#${attempt + 1}`);
    }
    const start = h % all.length;
    for (let i = 0; i < all.length; i++) {
      const e = all[(start + i) % all.length];
      if (ok.has(e)) return e;
    }
    return candidates[0];
  }
}
