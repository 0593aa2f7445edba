// The display filter (`-Y`): a Wireshark 4.0 subset.
//
//   const f = compileFilter('ip.addr == 10.0.0.0/8 && tcp.flags.syn == 1');
//   if (f.matches(dissection)) ...
//
// Supported: field and protocol presence; == != === !== ~= < <= > >= (and eq ne any_eq all_ne ...);
// contains; matches (case-insensitive regex); in {a, b, c..d}; and/or/not, && || !, parentheses;
// numbers (decimal, 0x, 0 octal, 0b), 'c' character constants, "strings" with escapes, r"raw";
// IPv4/IPv6 addresses with /prefix, MAC addresses and byte strings; True/False; slices
// (eth.src[0:3]); the layer operator (ip.src#2); len(), count(), upper(), lower().
// Errors are FilterError with the column of the bad token (formatFilterError draws the caret).

import type { Dissection } from '../dissect.ts';
import { compile } from './compile.ts';
import { parseFilter } from './parser.ts';

export { FilterError, formatFilterError } from './errors.ts';

export interface Filter {
  /** The filter as written. */
  readonly text: string;
  /** Field and protocol names it refers to. */
  readonly fields: readonly string[];
  matches(d: Dissection): boolean;
  /** What went wrong while matching (a `matches` pattern abandoned for taking too long), each once. */
  readonly problems: readonly string[];
}

export interface FilterOptions {
  /** Called once for each problem met while matching (also kept in `problems`). */
  onProblem?: (message: string) => void;
}

/**
 * Compiles a display filter. Throws FilterError (with a column) when it cannot be compiled, also for
 * filters nested too deeply or too long (parser.ts). The work of each `matches` is bounded
 * (regex-guard.ts): a pattern that backtracks too long is abandoned and reported once.
 */
export function compileFilter(text: string, options: FilterOptions = {}): Filter {
  const { predicate, fields, regexes } = compile(parseFilter(text));
  const problems: string[] = [];
  for (const g of regexes) {
    g.onAbandon = (message) => {
      problems.push(message);
      options.onProblem?.(message);
    };
  }
  return { text, fields, matches: predicate, problems };
}
