// cwnd against time, twice: an SVG file (a line for cwnd, a dashed one for ssthresh once it is finite,
// axes in ms and segments) and a terminal chart of the same points.

import type { CongestionEvent } from '../../src/netsim/tcp/index.ts';

export interface Point {
  readonly t: number;
  readonly cwnd: number;
  readonly ssthresh: number;
}

export function points(events: readonly CongestionEvent[], t0: number): Point[] {
  return events.map((e) => ({ t: e.time - t0, cwnd: e.cwnd / e.mss, ssthresh: Number.isFinite(e.ssthresh) ? e.ssthresh / e.mss : NaN }));
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An SVG line chart of cwnd (and ssthresh) in segments against time in ms. */
export function cwndSvg(ps: readonly Point[], title: string): string {
  const W = 720;
  const H = 360;
  const L = 60;
  const B = 40;
  const maxT = Math.max(1, ...ps.map((p) => p.t));
  const maxY = Math.max(1, ...ps.map((p) => Math.max(p.cwnd, Number.isNaN(p.ssthresh) ? 0 : p.ssthresh))) * 1.1;
  const x = (t: number): number => L + (t / maxT) * (W - L - 20);
  const y = (v: number): number => H - B - (v / maxY) * (H - B - 30);
  const step = (f: (p: Point) => number): string => {
    let d = '';
    let prev: number | undefined;
    for (const p of ps) {
      const v = f(p);
      if (Number.isNaN(v)) continue;
      d += prev === undefined ? `M${x(p.t).toFixed(1)},${y(v).toFixed(1)}` : ` H${x(p.t).toFixed(1)} V${y(v).toFixed(1)}`;
      prev = v;
    }
    return d;
  };
  const ticks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const t = (maxT * i) / 5;
    const v = (maxY * i) / 5;
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${t.toFixed(0)}</text>`);
    ticks.push(`<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${W / 2}" y="18" font-size="14" text-anchor="middle">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="30" x2="${L}" y2="${H - B}" stroke="black"/>`,
    ...ticks,
    `<text x="${W / 2}" y="${H - 6}" font-size="12" text-anchor="middle">time (ms)</text>`,
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">segments</text>`,
    `<path d="${step((p) => p.cwnd)}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    `<path d="${step((p) => p.ssthresh)}" fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    `<text x="${W - 150}" y="44" font-size="12" fill="#1f77b4">cwnd</text>`,
    `<text x="${W - 150}" y="60" font-size="12" fill="#d62728">ssthresh</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** The same as a terminal chart: `*` for cwnd, `-` for ssthresh, one column per time slice. */
export function cwndChart(ps: readonly Point[], cols = 60, rows = 14): string {
  const maxT = Math.max(1, ...ps.map((p) => p.t));
  const maxY = Math.max(1, ...ps.map((p) => p.cwnd));
  const grid = Array.from({ length: rows }, () => Array<string>(cols).fill(' '));
  const at = (t: number): Point | undefined => [...ps].reverse().find((p) => p.t <= t);
  for (let c = 0; c < cols; c++) {
    const p = at((maxT * c) / (cols - 1));
    if (p === undefined) continue;
    const r = (v: number): number => rows - 1 - Math.min(rows - 1, Math.round((v / maxY) * (rows - 1)));
    if (!Number.isNaN(p.ssthresh) && p.ssthresh <= maxY) grid[r(p.ssthresh)][c] = '-';
    grid[r(p.cwnd)][c] = '*';
  }
  const label = (i: number): string => (i === 0 ? maxY.toFixed(0) : i === rows - 1 ? '0' : '').padStart(5);
  return [
    ...grid.map((row, i) => `${label(i)} |${row.join('')}`),
    `      +${'-'.repeat(cols)}`,
    `       0 ms${' '.repeat(Math.max(1, cols - 14))}${maxT.toFixed(0)} ms`,
    '       * cwnd (segments)   - ssthresh',
  ].join('\n');
}
