// Turning what is wrong in a configuration file into messages a person can act on: the key path
// (`clusters[0].policy`), what was expected and what was found, and where in the file (line and column,
// counted from 1, as editors do). Positions come from the YAML document's nodes, so they are right
// for JSON files too (JSON is read by the same parser).

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { NetlabError } from '../base/errors.ts';

export type ConfigPath = readonly (string | number)[];

export interface ConfigIssue {
  /** The key path as written in messages: `clusters[0].endpoints[1].weight`; `(top level)` for the root. */
  readonly path: string;
  readonly message: string;
  /** 1-based; undefined when the file has no position for it (an empty file). */
  readonly line?: number;
  readonly col?: number;
}

/** A configuration that does not parse or validate; `issues` lists every problem found. */
export class ConfigError extends NetlabError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string | undefined;

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const shown = issues.slice(0, 20).map(formatIssue);
    if (issues.length > 20) shown.push(`... and ${issues.length - 20} more`);
    super('ERR_CONFIG', (source === undefined ? '' : `${source}: `) + shown.join(source === undefined ? '\n' : `\n${source}: `), { layer: 'proxy' });
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}

/** `clusters[0].policy: expected one of ... at line 12 col 13`. */
export function formatIssue(i: ConfigIssue): string {
  const at = i.line === undefined ? '' : ` at line ${i.line} col ${i.col}`;
  return `${i.path}: ${i.message}${at}`;
}

export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? '(top level)' : out;
}

/** What a path points at in the document. */
export interface Located {
  /** The node found (the deepest one that exists). */
  readonly node: Node | undefined;
  /** The key node when the last segment named a key of a mapping. */
  readonly keyNode: Node | undefined;
  /** How much of the path exists in the document. */
  readonly depth: number;
  /** The path stopped at a scalar with segments left (`policy: round_robin` read as `policy.name`). */
  readonly throughScalar: boolean;
}

export class DocumentLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  locate(path: ConfigPath): Located {
    let node = this.doc.contents as Node | null;
    let keyNode: Node | undefined;
    let depth = 0;
    for (const seg of path) {
      if (node !== null && isAlias(node)) node = (node.resolve(this.doc) as Node | undefined) ?? null;
      if (node === null) break;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (pair === undefined) return { node, keyNode: undefined, depth, throughScalar: false };
        keyNode = pair.key as Node;
        node = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (item === undefined) return { node, keyNode: undefined, depth, throughScalar: false };
        keyNode = undefined;
        node = item;
      } else {
        return { node, keyNode: undefined, depth, throughScalar: true };
      }
      depth++;
    }
    return { node: node ?? undefined, keyNode, depth, throughScalar: false };
  }

  /** Line and column (1-based) of a node's start. */
  position(node: Node | undefined): { line?: number; col?: number } {
    const start = node?.range?.[0];
    if (start === undefined) return {};
    const p = this.lines.linePos(start);
    return { line: p.line, col: p.col };
  }

  /** The value at a path as plain data (undefined when absent; the scalar when the path runs through one). */
  value(path: ConfigPath): unknown {
    const l = this.locate(path);
    if ((l.depth < path.length && !l.throughScalar) || l.node === undefined) return undefined;
    const n = l.node as Node & { toJSON?: () => unknown };
    if (isScalar(n)) return n.value;
    return typeof n.toJSON === 'function' ? n.toJSON() : undefined;
  }

  /** An issue at `path`: the position of its value, or of its key (`onKey`), or of the nearest parent. */
  issue(path: ConfigPath, message: string, onKey = false): ConfigIssue {
    const l = this.locate(path);
    const shown = l.throughScalar ? path.slice(0, l.depth) : path;
    const node = onKey && l.depth === path.length && l.keyNode !== undefined ? l.keyNode : l.node;
    return { path: formatPath(shown), message, ...this.position(node) };
  }
}

/** "a string", "a list", ... for a value found in the file. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}
