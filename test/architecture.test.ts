// The layer rule of ARCHITECTURE.md, enforced: an import may point down the layer list or stay in its
// own layer, never up; and no module takes part in an import cycle (type-only imports included: a
// cycle of types is still two files that cannot be read alone). Imports are read with TypeScript's
// own pre-processor, so comments and strings that look like imports do not count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Bottom to top. A file may import from its own layer and from layers before it in this list. */
const LAYERS = ['base', 'wire', 'capture', 'dissect', 'balance', 'netsim', 'nat', 'dns', 'tls', 'http', 'proxy', 'l4', 'view', 'lab', 'labs', 'cli'] as const;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): string {
  const rel = relative(ROOT, file).split('\\').join('/');
  if (rel.startsWith('labs/')) return 'labs';
  return rel.split('/')[1];
}

interface Edge {
  from: string;
  to: string;
  dynamic: boolean;
}

function importsOf(file: string): Edge[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const edges: Edge[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const to = normalize(join(dirname(file), ref.fileName));
    // preProcessFile reports import() too; tell them apart by the text before the specifier.
    const text = readFileSync(file, 'utf8');
    const before = text.slice(Math.max(0, ref.pos - 20), ref.pos);
    edges.push({ from: file, to, dynamic: /import\(\s*['"]$/.test(before) });
  }
  return edges;
}

const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'labs'))];
const edges = files.flatMap(importsOf);
const rel = (f: string): string => relative(ROOT, f).split('\\').join('/');

describe('architecture', () => {
  it('knows the layer of every folder under src/', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((l) => !(LAYERS as readonly string[]).includes(l));
    expect(unknown).toEqual([]);
  });

  it('has no import that points up the layer list', () => {
    const rank = (f: string): number => (LAYERS as readonly string[]).indexOf(layerOf(f));
    const up = edges.filter((e) => rank(e.to) > rank(e.from)).map((e) => `${rel(e.from)} (${layerOf(e.from)}) imports ${rel(e.to)} (${layerOf(e.to)})`);
    expect(up).toEqual([]);
  });

  it('has no import cycle (static imports)', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) if (!e.dynamic) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    // Tarjan's strongly connected components: any component of two or more files is a cycle.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          on.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1) cycles.push(comp.map(rel).sort());
      }
    };
    for (const f of files) if (!idx.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('lets the wire layer import nothing but base and itself', () => {
    const bad = edges.filter((e) => layerOf(e.from) === 'wire' && !['wire', 'base'].includes(layerOf(e.to))).map((e) => rel(e.from));
    expect(bad).toEqual([]);
  });

  it("lets labs import src/ only through each layer's index.ts", () => {
    const inner = edges
      .filter((e) => layerOf(e.from) === 'labs' && rel(e.to).startsWith('src/') && !rel(e.to).endsWith('/index.ts'))
      .map((e) => `${rel(e.from)} imports ${rel(e.to)}`);
    expect(inner).toEqual([]);
  });

  it('has a file map in ARCHITECTURE.md that matches the tree (node scripts/file-map.mjs --write)', async () => {
    // @ts-expect-error: a plain ESM script without types
    const { withFileMap } = (await import('../scripts/file-map.mjs')) as { withFileMap(text: string): string };
    const text = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    expect(withFileMap(text)).toBe(text);
  });
});
