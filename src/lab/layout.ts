// Fitting text to the terminal: the width a run prints at, word wrapping (ANSI colour kept, widths
// measured without it), prose reflowed into paragraphs and list items, and shell commands broken
// with `\` continuations so that a copied command still runs.

import { stripAnsi } from './colour.ts';

/** The narrowest width the runner lays text out for. */
export const MIN_WIDTH = 80;
/** The width when output is not a terminal (a file, a pipe, a test). */
export const DEFAULT_WIDTH = 100;

/** The width to print at: the terminal's columns (at least MIN_WIDTH), or DEFAULT_WIDTH off a terminal. */
export function outputWidth(stream: { readonly isTTY?: boolean; readonly columns?: number }, override?: number): number {
  if (override !== undefined) return Math.max(MIN_WIDTH, Math.floor(override));
  const cols = stream.columns;
  if (typeof cols === 'number' && cols > 0) return Math.max(MIN_WIDTH, cols);
  return DEFAULT_WIDTH;
}

/** Visible width of a line (ANSI escapes do not count). */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Splits a word that is wider than `width` into pieces of at most `width` visible characters. */
function splitLong(word: string, width: number): string[] {
  if (visibleWidth(word) <= width) return [word];
  const plain = [...stripAnsi(word)];
  const out: string[] = [];
  for (let i = 0; i < plain.length; i += width) out.push(plain.slice(i, i + width).join(''));
  return out;
}

/**
 * Wraps one paragraph of words to `width`: the first line starts with `first`, the others with
 * `rest`. Spaces between words on one line are kept as written; a line break takes their place.
 */
export function wrapWords(text: string, width: number, first = '', rest = first): string[] {
  const parts = text.trim().split(/( +)/);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  let gap = '';
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) {
      gap = parts[i];
      continue;
    }
    const word = parts[i];
    if (word === '') continue;
    const prefix = lines.length === 0 ? first : rest;
    const room = Math.max(8, width - visibleWidth(prefix));
    for (const piece of splitLong(word, room)) {
      const need = visibleWidth(line) + (empty ? 0 : visibleWidth(gap)) + visibleWidth(piece);
      if (!empty && need > width) {
        lines.push(line);
        line = rest + piece;
      } else {
        line = empty ? line + piece : line + gap + piece;
      }
      empty = false;
      gap = ' ';
    }
  }
  lines.push(empty ? first.trimEnd() : line);
  return lines;
}

/**
 * Wraps a line that is too wide, keeping its own indentation; continuation lines are indented two
 * more. Lines that fit are returned as they are.
 */
export function wrapLine(line: string, width: number): string[] {
  if (visibleWidth(line) <= width) return [line];
  const indent = /^ */.exec(stripAnsi(line))?.[0] ?? '';
  const body = line.slice(line.indexOf(line.trimStart()));
  return wrapWords(body, width, indent, `${indent}  `);
}

/** Lines at least this long were wrapped by the writer, so the next line continues them. */
const JOIN_AFTER = 60;

const LIST_ITEM = /^(\s*)([-*•]|\d+[.)])\s+/;

/** Is this line laid out by hand (columns, a diagram) rather than prose? */
function preformatted(line: string): boolean {
  return /^\s{2,}\S/.test(line) || /\S {3,}\S/.test(line) || /[|+]-{2,}|-{3,}[>|+]/.test(line);
}

/**
 * Reflows prose to `width`: lines of one paragraph are joined and wrapped again (a line joins the
 * one before when that one is long, i.e. was wrapped by its writer); a blank line ends a paragraph; `- `, `* ` and `1. ` start list items (wrapped under their text); lines laid out by
 * hand (indented, with columns or arrows) are kept, and only wrapped when too wide.
 */
export function reflow(text: string, width: number): string[] {
  const out: string[] = [];
  let para: { first: string; rest: string; words: string[] } | undefined;
  let prevLength = Number.POSITIVE_INFINITY;
  const flush = (): void => {
    if (para !== undefined) out.push(...wrapWords(para.words.join(' '), width, para.first, para.rest));
    para = undefined;
  };
  for (const raw of text.replace(/\s+$/, '').split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') {
      flush();
      out.push('');
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item !== null) {
      flush();
      const marker = item[0];
      para = { first: marker, rest: ' '.repeat(marker.length), words: [line.slice(marker.length)] };
      prevLength = line.length;
      continue;
    }
    if (preformatted(line)) {
      flush();
      out.push(...wrapLine(line, width));
      continue;
    }
    // A short line ends its paragraph: it was broken by hand (a list of facts, a sum and its fold).
    // After a list item that ends a sentence, a line that is not an item starts a new paragraph.
    if (para !== undefined && (prevLength < JOIN_AFTER || (para.first !== '' && /[.;:!?]$/.test(para.words[para.words.length - 1] ?? '')))) flush();
    if (para === undefined) para = { first: '', rest: '', words: [] };
    para.words.push(line.trim());
    prevLength = line.length;
  }
  flush();
  return out;
}

/** Splits a command line into shell words, keeping quotes with their word. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of command) {
    if (quote !== undefined) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      cur += ch;
      quote = ch;
    } else if (ch === ' ') {
      if (cur !== '') words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') words.push(cur);
  return words;
}

/**
 * A command line broken to fit `width` with `\` continuations (the lines after the first indented
 * by `indent` plus two). An option and its value stay together; a double-quoted value that is still
 * too wide is broken inside its quotes at a space, which the shell also joins (a display filter
 * does not mind the spaces).
 */
export function wrapCommand(command: string, width: number, indent = ''): string[] {
  if (visibleWidth(indent + command) <= width) return [indent + command];
  const words = shellWords(command);
  // Keep `-o VALUE`, `-Y VALUE`, `-r VALUE` together.
  const units: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (/^-[A-Za-z]$/.test(words[i]) && i + 1 < words.length) {
      units.push(`${words[i]} ${words[i + 1]}`);
      i++;
    } else units.push(words[i]);
  }
  const cont = `${indent}  `;
  const lines: string[] = [];
  let line = indent;
  for (const unit of units) {
    const sep = line.trim() === '' ? '' : ' ';
    if (visibleWidth(line + sep + unit) + 2 <= width) {
      line += sep + unit;
      continue;
    }
    if (line.trim() !== '') {
      lines.push(`${line} \\`);
      line = cont;
    }
    if (visibleWidth(line + unit) + 2 <= width) {
      line += unit;
      continue;
    }
    // Too wide on its own line: break at spaces (inside double quotes the shell joins `\`-newline).
    const parts = unit.split(' ');
    for (const part of parts) {
      const s = line.trim() === '' ? '' : ' ';
      if (line.trim() !== '' && visibleWidth(line + s + part) + 2 > width) {
        lines.push(`${line} \\`);
        line = cont + part;
      } else line += s + part;
    }
  }
  lines.push(line);
  return lines;
}
