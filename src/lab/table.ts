// Plain-text tables: a header, a rule, aligned columns. Numbers align right, text left.
//
//   field          bytes  value
//   -------------  -----  ------
//   source port        2  54321

import { stripAnsi } from './colour.ts';

export type Cell = string | number | bigint | boolean | null | undefined;

export interface TableOptions {
  /** A line above the table. */
  readonly title?: string;
  /** Per column: 'left' | 'right'; default right for numeric cells, left otherwise. */
  readonly align?: readonly ('left' | 'right' | undefined)[];
}

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
  const widths: number[] = [];
  for (let c = 0; c < cols; c++) {
    widths.push(Math.max(width(head[c] ?? ''), ...rows.map((r) => width(cellText(r[c])))));
  }
  const pad = (s: string, w: number, right: boolean): string => {
    const fill = ' '.repeat(Math.max(0, w - width(s)));
    return right ? fill + s : s + fill;
  };
  const rightAligned = (c: number, cell: Cell): boolean => {
    const a = options.align?.[c];
    return a === undefined ? isNumeric(cell) : a === 'right';
  };
  const line = (cells: readonly string[], right: (c: number) => boolean): string =>
    cells.map((s, c) => pad(s, widths[c], right(c))).join('  ').trimEnd();
  const out: string[] = [];
  if (options.title !== undefined) out.push(options.title);
  out.push(line(Array.from({ length: cols }, (_, c) => head[c] ?? ''), (c) => options.align?.[c] === 'right'));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) {
    out.push(line(Array.from({ length: cols }, (_, c) => cellText(r[c])), (c) => rightAligned(c, r[c])));
  }
  return out;
}
