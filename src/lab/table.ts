// Plain-text tables: a header, a rule, aligned columns. Numbers align right, text left.
//
//   field          bytes  value
//   -------------  -----  ------
//   source port        2  54321

import { stripAnsi } from './colour.ts';
import { wrapWords } from './layout.ts';

export type Cell = string | number | bigint | boolean | null | undefined;

export interface TableOptions {
  /** A line above the table. */
  readonly title?: string;
  /** Per column: 'left' | 'right'; default right for numeric cells, left otherwise. */
  readonly align?: readonly ('left' | 'right' | undefined)[];
  /**
   * The widest the table may be. A wider table has its text columns narrowed, their cells wrapped
   * within the row; when even that does not fit, each row is printed as `column: value` lines.
   */
  readonly maxWidth?: number;
}

/** The narrowest a wrapped text column gets. */
const MIN_COLUMN = 8;
/** A column is not narrowed below its longest word, up to this many characters (longer words are cut). */
const MAX_FLOOR = 18;

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '';
  return String(c);
}

function isNumeric(c: Cell): boolean {
  return typeof c === 'number' || typeof c === 'bigint';
}

/** Renders a table as lines (no trailing newline). Cells may carry ANSI colour. */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string[] {
  const cols = Math.max(head.length, ...rows.map((r) => r.length));
  const width = (s: string): number => stripAnsi(s).length;
  const natural: number[] = [];
  for (let c = 0; c < cols; c++) {
    natural.push(Math.max(width(head[c] ?? ''), ...rows.map((r) => width(cellText(r[c])))));
  }
  const total = (ws: readonly number[]): number => ws.reduce((a, b) => a + b, 0) + 2 * (ws.length - 1);
  const max = options.maxWidth ?? Number.POSITIVE_INFINITY;
  const widths = [...natural];
  if (total(widths) > max) {
    // Numbers and short cells keep their width. Text columns give up room, widest first: first down
    // to their longest word (cells wrap at spaces), then, if need be, down to MAX_FLOOR (words are cut).
    const numeric = widths.map((w, c) => w <= MIN_COLUMN || rows.every((r) => isNumeric(r[c]) || cellText(r[c]) === ''));
    const longestWord = widths.map((_w, c) =>
      Math.max(
        ...[head[c] ?? '', ...rows.map((r) => cellText(r[c]))].flatMap((t) =>
          stripAnsi(t)
            .split(' ')
            .map((x) => x.length),
        ),
      ),
    );
    const shrink = (floor: readonly number[]): void => {
      while (total(widths) > max) {
        let widest = -1;
        for (let c = 0; c < cols; c++) if (widths[c] > floor[c] && (widest < 0 || widths[c] > widths[widest])) widest = c;
        if (widest < 0) return;
        widths[widest]--;
      }
    };
    shrink(widths.map((w, c) => (numeric[c] ? w : Math.max(MIN_COLUMN, Math.min(w, longestWord[c])))));
    shrink(widths.map((w, c) => (numeric[c] ? w : Math.max(MIN_COLUMN, Math.min(w, longestWord[c], MAX_FLOOR)))));
    if (total(widths) > max) return renderRecords(head, rows, cols, max, options.title);
  }
  const pad = (s: string, w: number, right: boolean): string => {
    const fill = ' '.repeat(Math.max(0, w - width(s)));
    return right ? fill + s : s + fill;
  };
  const rightAligned = (c: number, cell: Cell): boolean => {
    const a = options.align?.[c];
    return a === undefined ? isNumeric(cell) : a === 'right';
  };
  const line = (cells: readonly string[], right: (c: number) => boolean): string[] => {
    const wrapped = cells.map((s, c) => (width(s) <= widths[c] ? [s] : wrapWords(s, widths[c])));
    const height = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++)
      out.push(
        wrapped
          .map((w, c) => pad(w[i] ?? '', widths[c], right(c)))
          .join('  ')
          .trimEnd(),
      );
    return out;
  };
  const out: string[] = [];
  if (options.title !== undefined) out.push(...wrapWords(options.title, max === Number.POSITIVE_INFINITY ? 1e9 : max));
  out.push(
    ...line(
      Array.from({ length: cols }, (_, c) => head[c] ?? ''),
      (c) => options.align?.[c] === 'right',
    ),
  );
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) {
    out.push(
      ...line(
        Array.from({ length: cols }, (_, c) => cellText(r[c])),
        (c) => rightAligned(c, r[c]),
      ),
    );
  }
  return out;
}

/** A table too wide even narrowed: each row as `column: value` lines, rows apart by a blank line. */
function renderRecords(head: readonly string[], rows: readonly (readonly Cell[])[], cols: number, max: number, title?: string): string[] {
  const names = Array.from({ length: cols }, (_, c) => head[c] ?? `column ${c + 1}`);
  const nameWidth = Math.min(Math.max(...names.map((n) => stripAnsi(n).length)), Math.floor(max / 3));
  const out: string[] = [];
  if (title !== undefined) out.push(...wrapWords(title, max));
  rows.forEach((r, i) => {
    if (i > 0) out.push('');
    for (let c = 0; c < cols; c++) {
      const label = `${names[c]}:`.padEnd(nameWidth + 1);
      out.push(...wrapWords(cellText(r[c]) === '' ? '-' : cellText(r[c]), max, `${label} `, ' '.repeat(nameWidth + 2)));
    }
  });
  return out;
}
