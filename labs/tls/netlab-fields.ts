// What netlab's own dissector reads in a capture, field by field, in the shape tshark's -T fields
// gives (occurrences joined by ','): the labs hold the two side by side.

import { readCapture } from '../../src/capture/index.ts';
import { DissectState, parsePrefs } from '../../src/dissect/index.ts';
import { dissect } from '../../src/dissect/index.ts';
import { fieldShows, invalidFields } from '../../src/dissect/index.ts';

/** Field names netlab's dissector does not know (empty: it can print them all). */
export const unknownFields = (fields: readonly string[]): string[] => invalidFields(fields);

/** One row per frame, one column per field, as `netlab decode -T fields -e ...` prints them. */
export async function netlabFields(path: string, fields: readonly string[]): Promise<string[][]> {
  const state = new DissectState(parsePrefs([]));
  const rows: string[][] = [];
  for await (const packet of readCapture(path)) {
    const d = dissect(packet, state);
    rows.push(fields.map((f) => fieldShows(d, f).join(',')));
  }
  return rows;
}
