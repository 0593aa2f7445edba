// The hex pane's rows, laid out as `netlab decode -x` (tshark) prints them: the offset, 16 bytes in
// hex, their ASCII. Pure, so the server's tests and the page share it.

export interface HexRow {
  offset: string;
  /** Index in the frame of the row's first byte. */
  start: number;
  bytes: number[];
}

/** Bytes from the lower-case hex the server sends. */
export function bytesOf(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The offset column's digits: at least 4, more for frames longer than 64 KiB (as tshark). */
export function hexRows(data: Uint8Array): HexRow[] {
  const digits = Math.max(4, (Math.max(data.length, 1) - 1).toString(16).length);
  const rows: HexRow[] = [];
  for (let off = 0; off < data.length; off += 16) {
    rows.push({ offset: off.toString(16).padStart(digits, '0'), start: off, bytes: Array.from(data.subarray(off, off + 16)) });
  }
  return rows;
}

export function printable(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/** A row as one line of text, exactly as `netlab decode -x` prints it. */
export function hexRowText(r: HexRow): string {
  const hex = r.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${r.offset}  ${hex}${' '.repeat((16 - r.bytes.length) * 3)}   ${r.bytes.map(printable).join('')}`;
}
