// A display filter that cannot be compiled: the message, and where in the filter text it went wrong.

import { filterHint } from './suggest.ts';

export class FilterError extends Error {
  /**
   * @param pos 0-based column of the offending token, or undefined when no spot can be named
   *            (tshark's "Unexpected end of filter expression." has no caret either).
   * @param len length of the offending token (the caret and its tildes cover it).
   */
  constructor(
    message: string,
    readonly pos?: number,
    readonly len = 1,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/**
 * The error as tshark prints it: the message, then the filter and a caret under the bad spot.
 *
 *     "foo" is not a valid hostname or IPv4 address.
 *         ip.src == foo
 *                   ^~~
 */
export function formatFilterError(filter: string, err: FilterError, prefix = ''): string {
  const lines = [prefix + err.message];
  if (err.pos !== undefined) {
    lines.push('    ' + filter);
    const len = Math.max(1, err.len);
    lines.push('    ' + ' '.repeat(err.pos) + '^' + '~'.repeat(len - 1));
  }
  const hint = filterHint(filter, err.message, err.pos, err.len);
  if (hint !== undefined) lines.push(hint);
  return lines.join('\n');
}
