// How tshark 4.0 prints HTTP text: a string field (FT_STRING read as ASCII) ends at a NUL byte and
// shows each byte outside ASCII as U+FFFD; the Info column and tree labels show the raw bytes. Both
// escape control bytes as format_text does (\r, \n, \t..., else \ooo).

const C_ESCAPES: Readonly<Record<number, string>> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

function escapeByte(c: number): string {
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  if (c >= 0x80) return '\ufffd';
  return C_ESCAPES[c] ?? '\\' + c.toString(8).padStart(3, '0');
}

/** A string field's text: up to the first NUL, escaped. */
export function httpFieldText(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0) break;
    s += escapeByte(c);
  }
  return s;
}

/** The value a display filter compares: the string up to the first NUL, unescaped. */
export function httpFieldValue(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0) break;
    s += c < 0x80 ? String.fromCharCode(c) : '\ufffd';
  }
  return s;
}

/** Bytes as the Info column shows them (format_text over the whole range, NULs included). */
export function httpColumnText(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += escapeByte(b[i]);
  return s;
}
