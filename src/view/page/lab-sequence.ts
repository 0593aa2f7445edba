/// <reference lib="dom" />
// A lab step's sequence diagram in the lab page: the nodes of its virtual networks as columns, one
// arrow per frame they carried (time down the page), labelled as the capture view labels its arrows
// and drawn with its drawArrow. Only the arrows in view are drawn. A click, or the arrow keys in the
// diagram, select an arrow: its summary, layer tree and bytes show below it. Live, arrows are
// appended as the step's frames arrive (the last MAX_STEP_ARROWS kept).

import { type CaptureJson, type LabArrowJson, mergeSequence, type StepSequenceJson } from '../lab-types.ts';
import { bytesOf, hexRows, hexRowText } from './hex-rows.ts';
import { ARROW_HEIGHT, arrowHead, drawArrow, svg } from './sequence.ts';

const GUTTER = 76;
const MIN_COLUMN = 100;
/** Rows visible before the diagram scrolls. */
const ROWS_SHOWN = 12;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export class StepSequenceView {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  private readonly heading = el('h3');
  private readonly heads = el('div', { class: 'seq-heads' });
  private readonly spacer = el('div', { class: 'seq-spacer' });
  private readonly detail = el('div', { class: 'seq-detail', 'aria-live': 'polite' });
  private readonly open = el('span', { class: 'seq-open' });
  private data: StepSequenceJson | undefined;
  /** Index in data.arrows of the selected arrow (-1: none). */
  private selected = -1;
  private scroll = 0;
  /** Follow the newest arrow while the learner has not scrolled up. */
  private follow = true;

  constructor(readonly key: string) {
    this.body = el(
      'div',
      { class: 'seq-body', tabindex: '0', role: 'listbox', 'aria-label': 'Sequence diagram of the step: one arrow per frame' },
      this.spacer,
    );
    this.body.style.maxHeight = `${ROWS_SHOWN * ARROW_HEIGHT}px`;
    this.element = el(
      'section',
      { class: 'lab-seq', 'data-step': key },
      el('div', { class: 'seq-title' }, this.heading, this.open),
      this.heads,
      this.body,
      this.detail,
    );
    this.body.addEventListener('scroll', () => {
      this.scroll = this.body.scrollTop;
      this.follow = this.body.scrollTop + this.body.clientHeight >= this.body.scrollHeight - ARROW_HEIGHT;
      this.render();
    });
    this.body.addEventListener('click', (ev) => {
      const g = (ev.target as Element).closest('g.arrow');
      const index = g?.getAttribute('data-index');
      if (index !== null && index !== undefined) this.select(this.position(Number(index)));
    });
    this.body.addEventListener('keydown', (ev) => {
      const n = this.data?.arrows.length ?? 0;
      const visible = Math.max(1, Math.floor(this.body.clientHeight / ARROW_HEIGHT) - 1);
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: visible, PageUp: -visible, Home: -Infinity, End: Infinity };
      const move = moves[ev.key];
      if (move === undefined || n === 0) return;
      ev.preventDefault();
      const from = this.selected < 0 ? (move > 0 ? -1 : n) : this.selected;
      this.select(Math.max(0, Math.min(n - 1, from + move)));
    });
    window.addEventListener('resize', () => this.render());
  }

  /** Where the arrow numbered `index` sits among those kept. */
  private position(index: number): number {
    const first = this.data?.arrows[0]?.index ?? 0;
    return index - first;
  }

  /** New arrows (or the whole diagram): merged, drawn. */
  update(s: StepSequenceJson): void {
    const before = this.data?.arrows[0]?.index ?? 0;
    const selectedIndex = this.selected >= 0 ? before + this.selected : -1;
    this.data = mergeSequence(this.data, s);
    const first = this.data.arrows[0]?.index ?? 0;
    // The selection keeps its frame while older arrows drop off (or goes when its frame did).
    this.selected = selectedIndex < first ? -1 : selectedIndex - first;
    const kept = this.data.arrows.length;
    this.heading.textContent = `Sequence diagram: ${this.data.total} frame${this.data.total === 1 ? '' : 's'}${kept < this.data.total ? ` (the last ${kept} shown)` : ''}`;
    if (this.follow) this.body.scrollTop = this.data.arrows.length * ARROW_HEIGHT;
    this.render();
  }

  /** The step's captures: the first opens in the capture view (live) or as the file (static). */
  captures(list: CaptureJson[], live: boolean): void {
    const c = list[0];
    if (c === undefined) return;
    const a = el(
      'a',
      { href: live ? `/capture/${c.id}` : encodeURI(c.file), target: '_blank', rel: 'noopener' },
      live ? 'Open the capture in the capture view' : `Open ${c.file}`,
    );
    this.open.replaceChildren(a);
  }

  /** After the element moved (the step's article was drawn again): its scroll position back. */
  restore(): void {
    if (this.body.scrollTop !== this.scroll) this.body.scrollTop = this.scroll;
    this.render();
  }

  private columnWidth(): number {
    const hosts = this.data?.hosts.length ?? 1;
    return Math.max(MIN_COLUMN, (this.body.clientWidth - GUTTER) / Math.max(1, hosts));
  }

  private x(col: number): number {
    return GUTTER + this.columnWidth() * (col + 0.5);
  }

  select(i: number): void {
    const d = this.data;
    if (d === undefined || i < 0 || i >= d.arrows.length) return;
    this.selected = i;
    const top = i * ARROW_HEIGHT;
    if (top < this.body.scrollTop) this.body.scrollTop = top;
    else if (top + ARROW_HEIGHT > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = top + ARROW_HEIGHT - this.body.clientHeight;
    this.scroll = this.body.scrollTop;
    this.showDetail(d.arrows[i], d.hosts);
    this.render();
  }

  private showDetail(a: LabArrowJson, hosts: string[]): void {
    const rows = hexRows(bytesOf(a.hex)).map(hexRowText);
    this.detail.replaceChildren(
      el(
        'p',
        { class: 'seq-summary' },
        `Frame ${a.index + 1} at ${a.time}, ${hosts[a.from] ?? '?'} \u2192 ${hosts[a.to] ?? '?'} on ${a.link}: ${a.protocol} ${a.info}`,
      ),
      el('pre', { class: 'seq-tree', 'aria-label': 'Layers of the frame' }, a.tree.join('\n')),
      el('pre', { class: 'seq-hex', 'aria-label': 'Bytes of the frame' }, rows.join('\n')),
    );
  }

  render(): void {
    const d = this.data;
    if (d === undefined || !this.element.isConnected) return;
    const n = d.arrows.length;
    const width = Math.max(this.body.clientWidth, GUTTER + d.hosts.length * MIN_COLUMN);
    this.spacer.style.height = `${n * ARROW_HEIGHT}px`;
    this.spacer.style.width = `${width}px`;
    const w = this.columnWidth();
    this.heads.replaceChildren(
      ...d.hosts.map((h, i) => {
        const head = el('div', { class: 'seq-host', title: h }, h);
        head.style.left = `${GUTTER + w * i}px`;
        head.style.width = `${w}px`;
        return head;
      }),
    );
    const first = Math.max(0, Math.floor(this.body.scrollTop / ARROW_HEIGHT) - 3);
    const last = Math.min(n - 1, Math.ceil((this.body.scrollTop + Math.max(this.body.clientHeight, ROWS_SHOWN * ARROW_HEIGHT)) / ARROW_HEIGHT) + 3);
    const top = first * ARROW_HEIGHT;
    const height = Math.max(0, (last - first + 1) * ARROW_HEIGHT);
    const drawing = svg('svg', { class: 'seq-svg', width, height, viewBox: `0 ${top} ${width} ${height}` });
    drawing.style.top = `${top}px`;
    drawing.append(arrowHead());
    d.hosts.forEach((_, i) => drawing.append(svg('line', { class: 'lifeline', x1: this.x(i), y1: top, x2: this.x(i), y2: top + height })));
    for (let i = first; i <= last; i++) {
      const a = d.arrows[i];
      const g = drawArrow(a, i * ARROW_HEIGHT, this.x(a.from), this.x(a.to), a.time, i === this.selected);
      g.append(svg('title', {}, `${a.index + 1}: ${a.label}`));
      drawing.append(g);
    }
    this.spacer.replaceChildren(drawing);
    this.heads.scrollLeft = this.body.scrollLeft;
  }
}
