// Figures: pictures a step draws (ctx.show.figure). A figure is a small typed record (the data of the
// picture, src/view/lab-types.ts): the lab page draws it as SVG, and the terminal prints its text
// form, the lab's own (`figure.text`) or the default one here.
//
//   ctx.show.figure(lineFigure('cwnd', 'time (ms)', 'segments', [{ name: 'cwnd', points, step: true }], chartText));
//   ctx.show.figure(checksumFigure('IPv4 header', words, ''));   // '' when a table already shows the numbers
//   ctx.show.figure(treeFigure('Referrals', [{ label: 'root', detail: addr, at: Date.now(), records }], cache, ''));

import type { BarFigure, ChecksumFigure, Figure, LineFigure, TreeFigure, TreeNode } from '../view/lab-types.ts';
import { renderTable } from './table.ts';

export type { BarFigure, ChecksumFigure, Figure, LineFigure, TreeFigure, TreeNode, TreeRecord } from '../view/lab-types.ts';

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const hexN = (n: number): string => `0x${n.toString(16)}`;

/** Lines against a shared x axis. */
export function lineFigure(title: string, xLabel: string, yLabel: string, series: LineFigure['series'], text?: string): LineFigure {
  return { kind: 'line', title, xLabel, yLabel, series, ...(text === undefined ? {} : { text }) };
}

/** Counts per category for each series: one bar per series, split by category. */
export function barFigure(title: string, categories: string[], series: BarFigure['series'], unit: string, text?: string): BarFigure {
  for (const s of series) {
    if (s.values.length !== categories.length)
      throw new RangeError(`bar figure "${title}": series ${s.name} has ${s.values.length} values for ${categories.length} categories`);
  }
  return { kind: 'bars', title, categories, series, unit, ...(text === undefined ? {} : { text }) };
}

/** The one's-complement sum of 16-bit words, worked: running sums, the carries folded, the complement. */
export function checksumFigure(title: string, words: readonly { label: string; value: number }[], text?: string): ChecksumFigure {
  let sum = 0;
  const rows: ChecksumFigure['words'] = [];
  for (const w of words) {
    if (!Number.isInteger(w.value) || w.value < 0 || w.value > 0xffff)
      throw new RangeError(`checksum figure "${title}": word ${w.label} is not 16 bits (${w.value})`);
    sum += w.value;
    rows.push({ label: w.label, value: w.value, sum });
  }
  const folds: ChecksumFigure['folds'] = [];
  while (sum > 0xffff) {
    const next = (sum & 0xffff) + (sum >>> 16);
    folds.push({ sum, low: sum & 0xffff, carry: sum >>> 16, next });
    sum = next;
  }
  return { kind: 'checksum', title, words: rows, folds, folded: sum, checksum: ~sum & 0xffff, ...(text === undefined ? {} : { text }) };
}

/** A tree of nodes (each with the records it sent), and optionally the cache they filled. */
export function treeFigure(title: string, nodes: TreeNode[], cache?: TreeFigure['cache'], text?: string): TreeFigure {
  nodes.forEach((n, i) => {
    if (n.parent !== undefined && (!Number.isInteger(n.parent) || n.parent < 0 || n.parent >= i))
      throw new RangeError(`tree figure "${title}": node ${i} (${n.label}) has parent ${n.parent}, not an earlier node`);
    if (!Number.isFinite(n.at)) throw new RangeError(`tree figure "${title}": node ${i} (${n.label}) has no time`);
  });
  return { kind: 'tree', title, nodes, ...(cache === undefined ? {} : { cache }), ...(text === undefined ? {} : { text }) };
}

/** Seconds left of a TTL read at `at` (ms since the epoch), at `now`: 0 once it has run out. */
export function ttlLeft(ttl: number, at: number, now: number): number {
  return Math.max(0, ttl - Math.floor((now - at) / 1000));
}

/** The figure's default text form, fitted to `width` columns. */
export function figureText(f: Figure, width = 78): string[] {
  switch (f.kind) {
    case 'line': {
      const rows = f.series.flatMap((s) => s.points.map(([x, y]) => [s.name, x, y]));
      return renderTable(['series', f.xLabel, f.yLabel], rows, { title: f.title, maxWidth: width });
    }
    case 'bars': {
      const rows = f.categories.map((c, i) => [c, ...f.series.map((s) => s.values[i])]);
      return renderTable([f.unit, ...f.series.map((s) => s.name)], rows, { title: f.title, maxWidth: width });
    }
    case 'checksum':
      return [
        ...renderTable(
          ['word', 'value', 'running sum'],
          f.words.map((w) => [w.label, hex4(w.value), hexN(w.sum)]),
          { title: f.title, maxWidth: width },
        ),
        ...f.folds.map((s) => `fold the carry: ${hexN(s.sum)}: ${hex4(s.low)} + carry ${hexN(s.carry)} = ${hexN(s.next)}`),
        `complement: ~${hex4(f.folded)} = ${hex4(f.checksum)}`,
      ];
    case 'tree': {
      const depth = (i: number): number => (f.nodes[i].parent === undefined ? 0 : 1 + depth(f.nodes[i].parent ?? 0));
      const rows = f.nodes.flatMap((n, i) => [
        [`${'  '.repeat(depth(i))}${n.label}`, n.edge ?? '', ''],
        ...n.records.map((r) => [`${'  '.repeat(depth(i) + 1)}${r.section}`, `${r.name} ${r.type} ${r.data}`, r.ttl]),
      ]);
      const out = renderTable(['server', 'record', 'TTL'], rows, { title: f.title, maxWidth: width });
      if (f.cache !== undefined)
        out.push(
          ...renderTable(
            ['name', 'type', 'TTL left (s)', 'data'],
            f.cache.entries.map((e) => [e.name, e.type, e.ttl, e.data]),
            { title: f.cache.title, maxWidth: width },
          ),
        );
      return out;
    }
  }
}
