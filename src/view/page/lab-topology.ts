/// <reference lib="dom" />
// The live topology in the lab page: each virtual network as SVG (routers on top, switches in the
// middle, hosts below, each row in the order the links join them), a dot crossing a link for each
// frame, and each node's tables (MAC table, ARP cache, routes, NAT) as they change.

import type { TopoFrameJson, TopologyJson } from '../lab-types.ts';
import { svgEl } from './lab-figures.ts';

const W = 720;
const ROWS: Record<string, number> = { router: 60, switch: 170, host: 280 };
const MAX_DOTS = 60;

interface Drawn {
  topo: TopologyJson;
  section: HTMLElement;
  svg: SVGSVGElement;
  dots: SVGGElement;
  log: HTMLOListElement;
  tables: HTMLElement;
  pos: Map<string, { x: number; y: number }>;
  frames: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** Node positions: one row per kind, nodes spread evenly, ordered by the first link that names them. */
export function layout(t: TopologyJson): Map<string, { x: number; y: number }> {
  const order = new Map<string, number>();
  for (const l of t.links) for (const n of [l.aNode, l.bNode]) if (!order.has(n)) order.set(n, order.size);
  const kinds = new Set(t.nodes.map((n) => n.kind));
  const pos = new Map<string, { x: number; y: number }>();
  for (const kind of ['router', 'switch', 'host'] as const) {
    const row = t.nodes.filter((n) => n.kind === kind).sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9));
    // With a single row kind (hosts wired to each other), the row sits in the middle.
    const y = kinds.size === 1 ? 170 : ROWS[kind];
    row.forEach((n, i) => pos.set(n.name, { x: ((i + 1) * W) / (row.length + 1), y }));
  }
  return pos;
}

export class TopologyView {
  private readonly drawn = new Map<number, Drawn>();
  readonly root = el('section', { id: 'topology', 'aria-label': 'Virtual network', hidden: '' });
  private readonly reduceMotion = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

  constructor() {
    this.root.append(el('h2', {}, 'Virtual network'));
  }

  update(t: TopologyJson): void {
    this.root.hidden = false;
    let d = this.drawn.get(t.id);
    if (d === undefined) {
      const svg = svgEl('svg', { viewBox: `0 0 ${W} 330`, class: 'topo', role: 'img', 'aria-label': `network ${t.name}` });
      const dots = svgEl('g', { class: 'dots' });
      const log = el('ol', { class: 'frame-log', 'aria-label': 'Frames just sent', 'aria-live': 'off' });
      const tables = el('div', { class: 'node-tables' });
      const section = el('div', { class: 'net', 'data-net': String(t.id) }, el('h3', {}, `${t.name} `, el('span', { class: 'frames' })), svg, log, tables);
      // The newest network is shown; the earlier ones of the lab are hidden (their steps are over).
      for (const other of this.drawn.values()) other.section.hidden = true;
      this.root.append(section);
      d = { topo: t, section, svg, dots, log, tables, pos: new Map(), frames: 0 };
      this.drawn.set(t.id, d);
    }
    d.topo = t;
    this.draw(d);
  }

  private draw(d: Drawn): void {
    const t = d.topo;
    d.pos = layout(t);
    d.svg.replaceChildren();
    for (const l of t.links) {
      const a = d.pos.get(l.aNode);
      const b = d.pos.get(l.bNode);
      if (a === undefined || b === undefined) continue;
      const line = svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'link', 'data-link': l.name });
      line.append(svgEl('title', {}, `${l.name}: ${l.a} - ${l.b}`));
      d.svg.append(line);
    }
    for (const n of t.nodes) {
      const p = d.pos.get(n.name);
      if (p === undefined) continue;
      const g = svgEl('g', { class: `node ${n.kind}`, 'data-node': n.name, transform: `translate(${p.x} ${p.y})` });
      if (n.kind === 'switch') g.append(svgEl('rect', { x: -34, y: -16, width: 68, height: 32, rx: 4 }));
      else if (n.kind === 'router') g.append(svgEl('circle', { r: 22 }));
      else g.append(svgEl('rect', { x: -26, y: -18, width: 52, height: 36, rx: 10 }));
      g.append(svgEl('text', { y: 5, 'text-anchor': 'middle' }, n.name));
      d.svg.append(g);
    }
    d.svg.append(d.dots);
    (d.section.querySelector('.frames') as HTMLElement).textContent = `${t.frames} frames sent${t.closed ? ', closed' : ''}`;
    d.tables.replaceChildren(
      ...t.nodes
        .filter((n) => n.tables.some((tb) => tb.rows.length > 0))
        .map((n) => {
          const box = el('div', { class: 'node-box', 'data-node': n.name }, el('h4', {}, `${n.name} (${n.kind})`));
          for (const tb of n.tables) {
            if (tb.rows.length === 0) continue;
            const table = el('table', { class: 'tbl', 'data-table': tb.title });
            table.append(el('caption', {}, tb.title));
            if (tb.head.length > 0) table.append(el('thead', {}, el('tr', {}, ...tb.head.map((h) => el('th', {}, h)))));
            table.append(el('tbody', {}, ...tb.rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
            box.append(table);
          }
          return box;
        }),
    );
  }

  /** A dot from the sending port's node to the other end's. */
  frame(f: TopoFrameJson): void {
    const d = this.drawn.get(f.net);
    if (d === undefined) return;
    d.frames++;
    d.svg.dataset.framesSeen = String(d.frames);
    const link = d.topo.links.find((l) => l.name === f.link);
    const li = el('li', {}, `${f.link}: ${f.summary}`);
    d.log.prepend(li);
    while (d.log.childElementCount > 6) d.log.lastElementChild?.remove();
    if (link === undefined) return;
    const fromNode = link.a === f.from ? link.aNode : link.bNode;
    const toNode = fromNode === link.aNode ? link.bNode : link.aNode;
    const a = d.pos.get(fromNode);
    const b = d.pos.get(toNode);
    if (a === undefined || b === undefined) return;
    const lineEl = d.svg.querySelector(`line[data-link="${CSS.escape(f.link)}"]`);
    lineEl?.classList.add('busy');
    setTimeout(() => lineEl?.classList.remove('busy'), 700);
    if (d.dots.childElementCount >= MAX_DOTS) return;
    const dot = svgEl('circle', { r: 6, class: f.summary.startsWith('ARP') ? 'frame-dot arp' : 'frame-dot' });
    dot.append(svgEl('title', {}, f.summary));
    d.dots.append(dot);
    const duration = this.reduceMotion ? 1 : 800;
    const anim = dot.animate([{ transform: `translate(${a.x}px, ${a.y}px)` }, { transform: `translate(${b.x}px, ${b.y}px)` }], {
      duration,
      easing: 'ease-in-out',
      fill: 'forwards',
    });
    anim.onfinish = () => dot.remove();
  }
}
