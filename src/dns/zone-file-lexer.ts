// The lexical layer of RFC 1035 §5.1 master files: the text is cut into entries (one per logical
// line: parentheses join physical lines), each entry into tokens. What the lexer knows:
// - `;` starts a comment to the end of the line (outside quotes);
// - `(` and `)` group physical lines into one entry; they must balance within the entry;
// - `"..."` is one token that may hold blanks, `;` and parentheses; it may not cross a line;
// - `\X` quotes the character X, `\DDD` is the octet DDD (0..255); both are kept in the token's raw
//   text (names keep them for nameToLabels), and `tokenBytes` turns a token into its octets;
// - an entry whose first character is a blank has no owner (it is the previous owner's).
// Positions are 1-based lines and columns (columns count characters, a tab is one).

/** A problem in a master file, with the file, line and column it lies at. */
export class ZoneFileError extends Error {
  override readonly name = 'ZoneFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
  }
}

export interface ZoneToken {
  /** The token's text as written, escapes kept, quotes removed. */
  raw: string;
  /** True when it was written in double quotes. */
  quoted: boolean;
  line: number;
  column: number;
}

export interface ZoneEntry {
  tokens: ZoneToken[];
  /** True when the entry's line began with a blank (the owner is omitted). */
  ownerOmitted: boolean;
  /** Line and column where the entry starts. */
  line: number;
  column: number;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMI = 0x3b;
const BACKSLASH = 0x5c;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** Cuts master-file text into entries. Throws ZoneFileError (file, line, column) on bad syntax. */
export function lexZoneText(text: string, file: string): ZoneEntry[] {
  const entries: ZoneEntry[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let tokens: ZoneToken[] = [];
  let ownerOmitted = false;
  let entryLine = 1;
  let entryCol = 1;
  let atLineStart = true;
  let open: { line: number; column: number } | undefined;
  const fail = (l: number, c: number, reason: string): never => {
    throw new ZoneFileError(file, l, c, reason);
  };
  const finishEntry = (): void => {
    if (tokens.length > 0) entries.push({ tokens, ownerOmitted, line: entryLine, column: entryCol });
    tokens = [];
  };
  /** Reads an escape at i (the backslash); returns the raw text and advances. */
  const readEscape = (): string => {
    const l = line;
    const c = col;
    if (i + 1 >= text.length || text.charCodeAt(i + 1) === LF) fail(l, c, 'a backslash at the end of a line escapes nothing');
    const digits = text.slice(i + 1, i + 4);
    if (/^\d/.test(digits)) {
      if (!/^\d{3}$/.test(digits)) fail(l, c, `\\${digits.replace(/\D.*$/s, '')} is not a \\DDD escape (three decimal digits)`);
      if (Number(digits) > 255) fail(l, c, `\\${digits} is over 255 (a \\DDD escape is one octet)`);
      i += 4;
      col += 4;
      return `\\${digits}`;
    }
    const cp = text.codePointAt(i + 1) ?? 0;
    const ch = String.fromCodePoint(cp);
    i += 1 + ch.length;
    col += 2;
    return `\\${ch}`;
  };

  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      i++;
      line++;
      col = 1;
      if (open === undefined) {
        finishEntry();
        atLineStart = true;
      }
      continue;
    }
    if (isBlank(c)) {
      if (atLineStart && open === undefined && tokens.length === 0) ownerOmitted = true;
      atLineStart = false;
      i++;
      col++;
      continue;
    }
    if (atLineStart && open === undefined) ownerOmitted = false;
    atLineStart = false;
    if (c === SEMI) {
      while (i < text.length && text.charCodeAt(i) !== LF) {
        i++;
        col++;
      }
      continue;
    }
    if (tokens.length === 0 && open === undefined) {
      entryLine = line;
      entryCol = col;
    }
    if (c === LPAREN) {
      if (open !== undefined) fail(line, col, `'(' inside parentheses already open since line ${open.line}, column ${open.column}`);
      open = { line, column: col };
      if (tokens.length === 0) {
        entryLine = line;
        entryCol = col;
      }
      i++;
      col++;
      continue;
    }
    if (c === RPAREN) {
      if (open === undefined) fail(line, col, "')' without an opening '('");
      open = undefined;
      i++;
      col++;
      continue;
    }
    if (c === QUOTE) {
      const l = line;
      const start = col;
      i++;
      col++;
      let raw = '';
      for (;;) {
        if (i >= text.length || text.charCodeAt(i) === LF) fail(l, start, 'a quoted string is not closed on its line');
        const q = text.charCodeAt(i);
        if (q === QUOTE) {
          i++;
          col++;
          break;
        }
        if (q === BACKSLASH) {
          raw += readEscape();
          continue;
        }
        const cp = text.codePointAt(i) ?? 0;
        const ch = String.fromCodePoint(cp);
        raw += ch;
        i += ch.length;
        col++;
      }
      tokens.push({ raw, quoted: true, line: l, column: start });
      continue;
    }
    // A plain token runs to a blank, newline, comment, parenthesis or quote.
    const l = line;
    const start = col;
    let raw = '';
    while (i < text.length) {
      const t = text.charCodeAt(i);
      if (isBlank(t) || t === LF || t === SEMI || t === LPAREN || t === RPAREN || t === QUOTE) break;
      if (t === BACKSLASH) {
        raw += readEscape();
        continue;
      }
      const cp = text.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      raw += ch;
      i += ch.length;
      col++;
    }
    tokens.push({ raw, quoted: false, line: l, column: start });
  }
  if (open !== undefined) fail(open.line, open.column, "'(' is never closed");
  finishEntry();
  return entries;
}

/** The octets a token stands for: escapes resolved, other characters as UTF-8. */
export function tokenBytes(token: ZoneToken): Uint8Array {
  const out: number[] = [];
  const s = token.raw;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) {
      const digits = s.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        out.push(Number(digits));
        i += 4;
        continue;
      }
      i++;
    }
    const cp = s.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    for (const b of Buffer.from(ch, 'utf8')) out.push(b);
    i += ch.length;
  }
  return Uint8Array.from(out);
}
