// `-T fields -e NAME ... [-E occurrence=f|l|a] [-E aggregator=,] [-E separator=\t]`: one line per frame
// with each field's occurrences printed as tshark prints them.

import { type Dissection, findFields } from './dissect.ts';

export interface FieldsOptions {
  separator?: string;
  /** 'a' all occurrences (default), 'f' first, 'l' last, or a 1-based index as tshark accepts. */
  occurrence?: 'a' | 'f' | 'l' | number;
  aggregator?: string;
}

/** The text tshark prints for one field of one frame (occurrences joined by the aggregator). */
export function fieldText(d: Dissection, name: string, opts: FieldsOptions = {}): string {
  const occ = findFields(d, name);
  const shows = occ.map((f) => f.show);
  const o = opts.occurrence ?? 'a';
  if (shows.length === 0) return '';
  if (o === 'f') return shows[0];
  if (o === 'l') return shows[shows.length - 1];
  if (typeof o === 'number') return shows[o - 1] ?? '';
  return shows.join(opts.aggregator ?? ',');
}

/** One -T fields line. */
export function fieldsLine(d: Dissection, names: readonly string[], opts: FieldsOptions = {}): string {
  return names.map((n) => fieldText(d, n, opts)).join(opts.separator ?? '\t');
}
