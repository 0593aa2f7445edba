// Help under a filter error, beside tshark's own message (which stays word for word tshark's): the
// field a misspelt name most likely meant (`ip.source` -> `ip.src`), and `==` for a lone `=`.

import { knownFieldNames } from '../known-fields.ts';

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** Is `short` what is left of `long` with some letters dropped (src in source, dst in destination)? */
function abbreviates(short: string, long: string): boolean {
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length && short[0] === long[0];
}

/** The known field a name that is not one most likely meant, or undefined. */
export function suggestField(name: string): string | undefined {
  const lower = name.toLowerCase();
  const proto = lower.split('.')[0];
  const last = lower.slice(lower.lastIndexOf('.') + 1);
  let best: { name: string; score: number } | undefined;
  for (const f of knownFieldNames()) {
    const fl = f.toLowerCase();
    if (fl.split('.')[0] !== proto && distance(fl, lower) > 2) continue;
    const fLast = fl.slice(fl.lastIndexOf('.') + 1);
    const sameParent = fl.slice(0, fl.lastIndexOf('.')) === lower.slice(0, lower.lastIndexOf('.'));
    let score = distance(fl, lower);
    if (sameParent && (abbreviates(fLast, last) || abbreviates(last, fLast))) score = Math.min(score, 1);
    if (best === undefined || score < best.score) best = { name: f, score };
  }
  return best !== undefined && best.score <= Math.max(2, Math.floor(lower.length / 5)) ? best.name : undefined;
}

/** A line of help for a filter error, or undefined. */
export function filterHint(filter: string, message: string, pos?: number, len = 1): string | undefined {
  const unknown = /^(\S+) is neither a field nor a protocol name\.$/.exec(message);
  if (unknown !== null) {
    const s = suggestField(unknown[1]);
    return s === undefined ? undefined : `Did you mean "${s}"?`;
  }
  if (pos !== undefined && /^"=" was unexpected/.test(message) && filter.slice(pos, pos + len) === '=')
    return 'To compare, use == (or eq): a single = is not an operator.';
  return undefined;
}
