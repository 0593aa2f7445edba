/// <reference lib="dom" />
// Figures as SVG (src/view/lab-types.ts Figure): a line chart, grouped bars, and the one's-complement
// sum worked word by word, a tree of servers (DNS referrals) whose TTLs count down live. Plain DOM;
// sizes in the viewBox so the picture scales with the window.

import type { BarFigure, ChecksumFigure, Figure, LineFigure, TreeFigure } from '../lab-types.ts';

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];

export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function frame(w: number, h: number, title: string): SVGSVGElement {
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, class: 'figure', role: 'img', 'aria-label': title });
  svg.append(svgEl('title', {}, title), svgEl('text', { x: w / 2, y: 18, 'text-anchor': 'middle', class: 'fig-title' }, title));
  return svg;
}

const nice = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));

/** A round step (1, 2 or 5 times a power of ten) giving about five ticks up to `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function lineSvg(f: LineFigure): SVGSVGElement {
  const W = 720;
  const H = 340;
  const L = 56;
  const B = 44;
  const all = f.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const minX = Math.min(0, ...all.map(([x]) => x));
  const maxX = Math.max(minX + 1, ...all.map(([x]) => x));
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const x = (v: number): number => L + ((v - minX) / (maxX - minX)) * (W - L - 20);
  const y = (v: number): number => H - B - (v / maxY) * (H - B - 34);
  const svg = frame(W, H, f.title);
  svg.append(svgEl('line', { x1: L, y1: H - B, x2: W - 20, y2: H - B, class: 'axis' }), svgEl('line', { x1: L, y1: 34, x2: L, y2: H - B, class: 'axis' }));
  const sx = tickStep(maxX - minX);
  for (let t = Math.ceil(minX / sx) * sx; t <= maxX + 1e-9; t += sx)
    svg.append(svgEl('text', { x: x(t), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, nice(t)));
  const sy = tickStep(maxY);
  for (let t = 0; t <= maxY + 1e-9; t += sy) {
    svg.append(svgEl('line', { x1: L, y1: y(t), x2: W - 20, y2: y(t), class: 'grid' }));
    svg.append(svgEl('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, nice(t)));
  }
  svg.append(svgEl('text', { x: (W + L) / 2, y: H - 8, 'text-anchor': 'middle', class: 'label' }, f.xLabel));
  svg.append(svgEl('text', { x: 14, y: H / 2, transform: `rotate(-90 14 ${H / 2})`, 'text-anchor': 'middle', class: 'label' }, f.yLabel));
  f.series.forEach((s, i) => {
    let d = '';
    let started = false;
    for (const [px, py] of s.points) {
      if (!Number.isFinite(py)) continue;
      if (!started) d += `M${x(px).toFixed(1)},${y(py).toFixed(1)}`;
      else d += s.step === true ? ` H${x(px).toFixed(1)} V${y(py).toFixed(1)}` : ` L${x(px).toFixed(1)},${y(py).toFixed(1)}`;
      started = true;
    }
    const colour = COLOURS[i % COLOURS.length];
    svg.append(
      svgEl('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2, ...(s.dashed === true ? { 'stroke-dasharray': '6 4' } : {}), class: 'series' }),
    );
    svg.append(svgEl('text', { x: W - 150, y: 46 + i * 16, fill: colour, class: 'legend' }, s.name));
  });
  return svg;
}

/** One horizontal bar per series (a policy), split into its categories (the servers), counts inside. */
function barsSvg(f: BarFigure): SVGSVGElement {
  const ROW = 26;
  const W = 720;
  const L = Math.min(240, 12 + 7.5 * Math.max(...f.series.map((s) => s.name.length), 4));
  const R = 44;
  const top = 56;
  const H = top + f.series.length * ROW + 8;
  const svg = frame(W, H, f.title);
  const max = Math.max(1, ...f.series.map((s) => s.values.reduce((a, v) => a + v, 0)));
  const scale = (W - L - R) / max;
  f.categories.forEach((c, i) => {
    const lx = L + i * 110;
    svg.append(
      svgEl('rect', { x: lx, y: 30, width: 12, height: 12, fill: COLOURS[i % COLOURS.length] }),
      svgEl('text', { x: lx + 16, y: 40, class: 'legend' }, c),
    );
  });
  f.series.forEach((s, si) => {
    const y = top + si * ROW;
    const g = svgEl('g', { class: 'bar-row', 'data-series': s.name });
    g.append(svgEl('text', { x: L - 8, y: y + 15, 'text-anchor': 'end' }, s.name));
    let x = L;
    s.values.forEach((v, ci) => {
      const w = v * scale;
      const rect = svgEl('rect', { x, y: y + 2, width: Math.max(0, w - 1), height: ROW - 6, fill: COLOURS[ci % COLOURS.length], class: 'bar' });
      rect.append(svgEl('title', {}, `${s.name}, ${f.categories[ci]}: ${v} ${f.unit}`));
      g.append(rect);
      if (w >= 18) g.append(svgEl('text', { x: x + w / 2, y: y + 15, 'text-anchor': 'middle', class: 'in-bar' }, String(v)));
      x += w;
    });
    g.append(svgEl('text', { x: x + 6, y: y + 15, class: 'tick' }, String(s.values.reduce((a, v) => a + v, 0))));
    svg.append(g);
  });
  return svg;
}

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const hexN = (n: number): string => `0x${n.toString(16)}`;

function checksumSvg(f: ChecksumFigure): SVGSVGElement {
  const ROW = 20;
  const W = 720;
  const lines = f.words.length + f.folds.length + 1;
  const H = 40 + (lines + 1) * ROW;
  const svg = frame(W, H, f.title);
  const maxSum = Math.max(1, ...f.words.map((w) => w.sum));
  const head = 46;
  svg.append(
    svgEl('text', { x: 10, y: head, class: 'head' }, 'word'),
    svgEl('text', { x: 330, y: head, 'text-anchor': 'end', class: 'head' }, 'value'),
    svgEl('text', { x: 440, y: head, 'text-anchor': 'end', class: 'head' }, 'running sum'),
  );
  f.words.forEach((w, i) => {
    const ry = head + (i + 1) * ROW;
    const g = svgEl('g', { class: 'word' });
    g.append(
      svgEl('text', { x: 10, y: ry }, w.label),
      svgEl('text', { x: 330, y: ry, 'text-anchor': 'end', class: 'mono' }, hex4(w.value)),
      svgEl('text', { x: 440, y: ry, 'text-anchor': 'end', class: 'mono' }, hexN(w.sum)),
      // The running sum as a bar; the part above 0xffff (the carries still to fold) in red.
      svgEl('rect', { x: 452, y: ry - 11, width: (Math.min(w.sum, 0xffff) / maxSum) * 250, height: 12, class: 'sum' }),
    );
    if (w.sum > 0xffff)
      g.append(svgEl('rect', { x: 452 + (0xffff / maxSum) * 250, y: ry - 11, width: ((w.sum - 0xffff) / maxSum) * 250, height: 12, class: 'carry' }));
    svg.append(g);
  });
  let ry = head + (f.words.length + 1) * ROW;
  for (const s of f.folds) {
    svg.append(svgEl('text', { x: 10, y: ry, class: 'fold' }, `fold the carry: ${hexN(s.sum)}: ${hex4(s.low)} + carry ${hexN(s.carry)} = ${hexN(s.next)}`));
    ry += ROW;
  }
  svg.append(svgEl('text', { x: 10, y: ry, class: 'result' }, `complement: ~${hex4(f.folded)} = ${hex4(f.checksum)}`));
  return svg;
}

// ---- the tree, with TTLs counting down ---------------------------------------------------------------

/** The text of a TTL counting down to `expires` (ms since the epoch), at `now`. */
export function countdownText(expires: number, now: number): string {
  const left = Math.ceil((expires - now) / 1000);
  return left > 0 ? `${left} s` : 'expired';
}

/** Sets every TTL on the page (elements with data-expires) to what is left now. */
export function updateCountdowns(root: ParentNode = document, now = Date.now()): void {
  for (const e of root.querySelectorAll<SVGElement>('[data-expires]')) {
    const text = countdownText(Number(e.dataset.expires), now);
    if (e.textContent !== text) e.textContent = text;
    e.classList.toggle('expired', text === 'expired');
  }
}

let countdownTimer: ReturnType<typeof setInterval> | undefined;

/** Updates the countdowns once a second, from now on (one timer for the page). */
export function startCountdowns(): void {
  if (countdownTimer !== undefined) return;
  countdownTimer = setInterval(() => updateCountdowns(), 1000);
}

/** Nodes by depth, top to bottom, each level spread across; under each node its records with TTLs. */
function treeSvg(f: TreeFigure): SVGSVGElement {
  const W = 720;
  const LINE = 16;
  const BOX_W = 660;
  const depth: number[] = [];
  for (const n of f.nodes) depth.push(n.parent === undefined ? 0 : depth[n.parent] + 1);
  const levels: number[][] = [];
  f.nodes.forEach((_, i) => {
    levels[depth[i]] = [...(levels[depth[i]] ?? []), i];
  });
  const boxH = (i: number): number => 40 + f.nodes[i].records.length * LINE;
  const pos: { x: number; y: number; w: number; h: number }[] = [];
  let y = 34;
  for (const level of levels) {
    const w = Math.min(BOX_W, (W - 20) / level.length - 12);
    level.forEach((i, k) => {
      pos[i] = { x: 10 + ((W - 20) / level.length) * k + ((W - 20) / level.length - w) / 2, y: y + 24, w, h: boxH(i) };
    });
    y += 24 + Math.max(...level.map(boxH)) + 12;
  }
  const entries = f.cache?.entries ?? [];
  const cacheTop = y + 8;
  const H = f.cache === undefined ? y : cacheTop + 26 + entries.length * LINE + 10;
  const svg = frame(W, H, f.title);
  svg.classList.add('tree');
  f.nodes.forEach((n, i) => {
    const p = pos[i];
    if (n.parent !== undefined) {
      const q = pos[n.parent];
      const x1 = q.x + q.w / 2;
      svg.append(svgEl('line', { x1, y1: q.y + q.h, x2: p.x + p.w / 2, y2: p.y, class: 'edge' }));
      if (n.edge !== undefined) svg.append(svgEl('text', { x: (x1 + p.x + p.w / 2) / 2 + 8, y: p.y - 8, class: 'edge-label' }, n.edge));
    }
    const g = svgEl('g', { class: 'tree-node', 'data-node': n.label, transform: `translate(${p.x} ${p.y})` });
    g.append(svgEl('rect', { width: p.w, height: p.h, rx: 6 }));
    g.append(
      svgEl('text', { x: 10, y: 18, class: 'node-label' }, n.label),
      svgEl('text', { x: p.w - 10, y: 18, 'text-anchor': 'end', class: 'node-detail' }, n.detail),
    );
    n.records.forEach((r, k) => {
      const ry = 38 + k * LINE;
      const row = svgEl('text', { x: 10, y: ry, class: `record ${r.section}` });
      row.append(svgEl('tspan', { class: 'section' }, `${r.section} `), svgEl('tspan', {}, `${r.name} ${r.type} ${r.data}`));
      row.append(svgEl('title', {}, `${r.section} section, TTL ${r.ttl} s as sent`));
      g.append(row, svgEl('text', { x: p.w - 10, y: ry, 'text-anchor': 'end', class: 'ttl', 'data-expires': n.at + r.ttl * 1000 }, ''));
    });
    svg.append(g);
  });
  if (f.cache !== undefined) {
    const g = svgEl('g', { class: 'tree-cache', transform: `translate(10 ${cacheTop})` });
    g.append(svgEl('rect', { width: W - 20, height: 20 + entries.length * LINE + 6, rx: 6 }));
    g.append(
      svgEl('text', { x: 10, y: 16, class: 'node-label' }, f.cache.title),
      svgEl('text', { x: W - 30, y: 16, 'text-anchor': 'end', class: 'node-detail' }, 'TTL left'),
    );
    entries.forEach((e, k) => {
      const ry = 34 + k * LINE;
      g.append(
        svgEl('text', { x: 10, y: ry, class: 'record' }, `${e.name} ${e.type} ${e.data}`),
        svgEl('text', { x: W - 30, y: ry, 'text-anchor': 'end', class: 'ttl', 'data-expires': e.expires }, ''),
      );
    });
    svg.append(g);
  }
  updateCountdowns(svg);
  return svg;
}

export function figureSvg(f: Figure): SVGSVGElement {
  switch (f.kind) {
    case 'line':
      return lineSvg(f);
    case 'bars':
      return barsSvg(f);
    case 'checksum':
      return checksumSvg(f);
    case 'tree':
      return treeSvg(f);
  }
}
