/// <reference lib="dom" />
// Figures as SVG (src/view/lab-types.ts Figure): a line chart, grouped bars, and the one's-complement
// sum worked word by word. Plain DOM; sizes in the viewBox so the picture scales with the window.

import type { BarFigure, ChecksumFigure, Figure, LineFigure } from '../lab-types.ts';

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

function lineSvg(f: LineFigure): SVGSVGElement {
  const W = 720;
  const H = 340;
  const L = 56;
  const B = 44;
  const all = f.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const x = (v: number): number => L + (v / maxX) * (W - L - 20);
  const y = (v: number): number => H - B - (v / maxY) * (H - B - 34);
  const svg = frame(W, H, f.title);
  svg.append(svgEl('line', { x1: L, y1: H - B, x2: W - 20, y2: H - B, class: 'axis' }), svgEl('line', { x1: L, y1: 34, x2: L, y2: H - B, class: 'axis' }));
  for (let i = 0; i <= 5; i++) {
    svg.append(svgEl('text', { x: x((maxX * i) / 5), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, nice((maxX * i) / 5)));
    svg.append(svgEl('text', { x: L - 6, y: y((maxY * i) / 5) + 4, 'text-anchor': 'end', class: 'tick' }, nice((maxY * i) / 5)));
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

function barsSvg(f: BarFigure): SVGSVGElement {
  const W = 720;
  const H = 320;
  const L = 56;
  const B = 58;
  const max = Math.max(1, ...f.series.flatMap((s) => s.values)) * 1.1;
  const groupW = (W - L - 20) / Math.max(1, f.categories.length);
  const barW = Math.max(4, (groupW - 12) / Math.max(1, f.series.length));
  const y = (v: number): number => H - B - (v / max) * (H - B - 34);
  const svg = frame(W, H, f.title);
  svg.append(svgEl('line', { x1: L, y1: H - B, x2: W - 20, y2: H - B, class: 'axis' }));
  svg.append(svgEl('text', { x: 14, y: H / 2, transform: `rotate(-90 14 ${H / 2})`, 'text-anchor': 'middle', class: 'label' }, f.unit));
  f.categories.forEach((c, ci) => {
    const gx = L + ci * groupW + 6;
    f.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const bx = gx + si * barW;
      const rect = svgEl('rect', { x: bx, y: y(v), width: barW - 2, height: H - B - y(v), fill: COLOURS[si % COLOURS.length], class: 'bar' });
      rect.append(svgEl('title', {}, `${s.name}, ${c}: ${v} ${f.unit}`));
      svg.append(rect);
      if (f.series.length <= 3) svg.append(svgEl('text', { x: bx + (barW - 2) / 2, y: y(v) - 3, 'text-anchor': 'middle', class: 'tick' }, String(v)));
    });
    svg.append(svgEl('text', { x: gx + (groupW - 12) / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, c));
  });
  if (f.series.length > 1) {
    f.series.forEach((s, i) => {
      const lx = L + (i % 4) * 160;
      const ly = H - 22 + Math.floor(i / 4) * 14;
      svg.append(
        svgEl('rect', { x: lx, y: ly - 9, width: 10, height: 10, fill: COLOURS[i % COLOURS.length] }),
        svgEl('text', { x: lx + 14, y: ly, class: 'legend' }, s.name),
      );
    });
  }
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

export function figureSvg(f: Figure): SVGSVGElement {
  switch (f.kind) {
    case 'line':
      return lineSvg(f);
    case 'bars':
      return barsSvg(f);
    case 'checksum':
      return checksumSvg(f);
  }
}
