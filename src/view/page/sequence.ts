/// <reference lib="dom" />
// The sequence diagram pane: hosts (or address:port endpoints) as columns, one arrow per frame from
// its source to its destination, time down the page, each labelled with the frame's short summary.
// Only the arrows in view are drawn (one SVG for the visible window, the rest is an empty spacer), so
// a 100,000-frame capture scrolls as a 14-frame one does. Arrow i is list row i: a click, or the
// arrow keys in the pane, select the frame in the list, the tree and the bytes.

import type { SequenceArrow, SequenceJson } from '../types.ts';
import { fetchSequence } from './api.ts';

const SVG = 'http://www.w3.org/2000/svg';
export const ARROW_HEIGHT = 26;
const PAGE = 500;
/** The left gutter (frame number and time; the number only in a narrow window) and the narrowest column. */
const gutter = (width: number): number => (width < 600 ? 56 : 150);
const minColumn = (width: number): number => (width < 600 ? 120 : 150);

export interface SequencePane {
  readonly element: HTMLElement;
  /** The pane's scrolling body (focusable). */
  readonly body: HTMLElement;
  /** A new list (filter applied or cleared): forget what was fetched. */
  reset(filter: string): void;
  /** The list's selection moved: highlight that arrow (and scroll to it when the pane is shown). */
  select(index: number): void;
  /** Draws the visible window (after the pane is shown or resized). */
  render(): void;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

/** The arrowhead marker the arrows point with (one per drawing). */
export function arrowHead(): SVGDefsElement {
  return svg(
    'defs',
    {},
    svg(
      'marker',
      { id: 'seq-head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M0 0 L10 5 L0 10 z' }),
    ),
  );
}

/**
 * One arrow at row top `y`, from x1 to x2 (a loop when they are equal), its label above the line and
 * `when` in the left gutter; the capture view's and the lab page's diagrams draw theirs with this.
 */
export function drawArrow(
  a: { index: number; label: string; protocol: string; bad?: boolean },
  y: number,
  x1: number,
  x2: number,
  when: string,
  selected: boolean,
): SVGGElement {
  const mid = y + ARROW_HEIGHT - 7;
  const g = svg('g', { class: `arrow proto-${a.protocol.toLowerCase().replace(/[^a-z0-9]/g, '')}`, 'data-index': a.index, role: 'option' });
  if (a.bad === true) g.classList.add('bad');
  if (selected) {
    g.classList.add('selected');
    g.setAttribute('aria-selected', 'true');
  }
  g.append(svg('rect', { class: 'hit', x: 0, y, width: '100%', height: ARROW_HEIGHT }));
  g.append(svg('text', { class: 'when', x: 6, y: mid }, when));
  if (x1 === x2) {
    g.append(svg('path', { class: 'line', d: `M${x1} ${mid - 8} h24 v8 h-24`, 'marker-end': 'url(#seq-head)' }));
    g.append(svg('text', { class: 'label', x: x1 + 30, y: mid - 2 }, a.label));
  } else {
    g.append(svg('line', { class: 'line', x1, y1: mid, x2: x2 + (x2 > x1 ? -2 : 2), y2: mid, 'marker-end': 'url(#seq-head)' }));
    g.append(svg('text', { class: 'label', x: (x1 + x2) / 2, y: mid - 4, 'text-anchor': 'middle' }, a.label));
  }
  return g;
}

export function makeSequencePane(onSelect: (index: number) => void): SequencePane {
  const byButton = document.createElement('button');
  byButton.type = 'button';
  byButton.id = 'seq-by';
  byButton.textContent = 'Columns: hosts';
  byButton.title = 'Switch the columns between hosts (addresses) and endpoints (address:port)';
  const heads = document.createElement('div');
  heads.className = 'seq-heads';
  const spacer = document.createElement('div');
  spacer.className = 'seq-spacer';
  const body = document.createElement('div');
  body.id = 'sequence';
  body.tabIndex = 0;
  body.setAttribute('role', 'listbox');
  body.setAttribute('aria-label', 'Sequence diagram: one arrow per frame');
  body.append(spacer);
  const bar = document.createElement('div');
  bar.className = 'seq-bar';
  bar.append(byButton);
  const element = document.createElement('div');
  element.className = 'seq-pane';
  element.hidden = true;
  element.append(bar, heads, body);

  let filter = '';
  let by: SequenceJson['by'] = 'hosts';
  let hosts: string[] = [];
  let total = 0;
  let selected = -1;
  let generation = 0;
  const arrows = new Map<number, SequenceArrow>();
  const loading = new Map<number, Promise<void>>();

  const columnWidth = (): number => Math.max(minColumn(body.clientWidth), (body.clientWidth - gutter(body.clientWidth)) / Math.max(1, hosts.length));
  const x = (col: number): number => gutter(body.clientWidth) + columnWidth() * (col + 0.5);

  function loadPage(page: number): Promise<void> {
    const pending = loading.get(page);
    if (pending !== undefined) return pending;
    const gen = generation;
    const done = (async () => {
      const answer = await fetchSequence(page * PAGE, PAGE, filter, by);
      if (gen !== generation || 'error' in answer) return;
      hosts = answer.hosts;
      total = answer.total;
      for (const a of answer.arrows) arrows.set(a.index, a);
      render();
    })();
    loading.set(page, done);
    return done;
  }

  function drawHeads(width: number): void {
    heads.replaceChildren();
    heads.style.width = `${width}px`;
    const w = columnWidth();
    hosts.forEach((h, i) => {
      const d = document.createElement('div');
      d.className = 'seq-host';
      d.textContent = h;
      d.title = h;
      d.style.left = `${gutter(body.clientWidth) + w * i}px`;
      d.style.width = `${w}px`;
      heads.append(d);
    });
    heads.scrollLeft = body.scrollLeft;
  }

  function arrowElement(a: SequenceArrow, y: number): SVGGElement {
    const g = drawArrow(a, y, x(a.from), x(a.to), body.clientWidth < 600 ? String(a.no) : `${a.no}  ${a.time}`, a.index === selected);
    g.setAttribute('data-no', String(a.no));
    g.append(svg('title', {}, `${a.no}: ${a.label}`));
    return g;
  }

  function render(): void {
    if (element.hidden) return;
    const width = Math.max(body.clientWidth, gutter(body.clientWidth) + hosts.length * minColumn(body.clientWidth));
    spacer.style.height = `${total * ARROW_HEIGHT}px`;
    spacer.style.width = `${width}px`;
    drawHeads(width);
    const first = Math.max(0, Math.floor(body.scrollTop / ARROW_HEIGHT) - 3);
    const last = Math.min(total - 1, Math.ceil((body.scrollTop + body.clientHeight) / ARROW_HEIGHT) + 3);
    const top = first * ARROW_HEIGHT;
    const height = Math.max(0, (last - first + 1) * ARROW_HEIGHT);
    const drawing = svg('svg', { class: 'seq-svg', width, height, viewBox: `0 ${top} ${width} ${height}` });
    drawing.style.top = `${top}px`;
    drawing.append(arrowHead());
    hosts.forEach((_, i) => drawing.append(svg('line', { class: 'lifeline', x1: x(i), y1: top, x2: x(i), y2: top + height })));
    for (let i = first; i <= last; i++) {
      const a = arrows.get(i);
      if (a === undefined) {
        void loadPage(Math.floor(i / PAGE));
        continue;
      }
      drawing.append(arrowElement(a, i * ARROW_HEIGHT));
    }
    spacer.replaceChildren(drawing);
  }

  function scrollTo(index: number): void {
    const top = index * ARROW_HEIGHT;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + ARROW_HEIGHT > body.scrollTop + body.clientHeight) body.scrollTop = top + ARROW_HEIGHT - body.clientHeight;
  }

  body.addEventListener('scroll', () => render());
  window.addEventListener('resize', () => render());
  body.addEventListener('click', (ev) => {
    const g = (ev.target as Element).closest('g.arrow');
    const index = g?.getAttribute('data-index');
    if (index !== null && index !== undefined) onSelect(Number(index));
  });
  body.addEventListener('keydown', (ev) => {
    const visible = Math.max(1, Math.floor(body.clientHeight / ARROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: visible, PageUp: -visible, Home: -Infinity, End: Infinity };
    const move = moves[ev.key];
    if (move === undefined || total === 0) return;
    ev.preventDefault();
    const from = selected < 0 ? (move > 0 ? -1 : total) : selected;
    onSelect(Math.max(0, Math.min(total - 1, from + move)));
  });
  byButton.addEventListener('click', () => {
    by = by === 'hosts' ? 'endpoints' : 'hosts';
    byButton.textContent = `Columns: ${by}`;
    reset(filter);
  });

  function reset(f: string): void {
    filter = f;
    generation++;
    arrows.clear();
    loading.clear();
    total = 0;
    hosts = [];
    if (!element.hidden)
      void loadPage(0).then(() => {
        if (selected >= 0) scrollTo(selected);
        render();
      });
  }

  return {
    element,
    body,
    reset,
    select(index: number): void {
      selected = index;
      if (element.hidden) return;
      scrollTo(index);
      render();
    },
    render(): void {
      if (element.hidden) return;
      if (arrows.size === 0) {
        void loadPage(0).then(() => {
          if (selected >= 0) scrollTo(selected);
          render();
        });
        return;
      }
      if (selected >= 0) scrollTo(selected);
      render();
    },
  };
}
