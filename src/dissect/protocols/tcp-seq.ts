// Comparing TCP sequence numbers modulo 2^32.

/** True when a is at or before b in sequence space (RFC 1982 style, as Wireshark's LE_SEQ). */
export function leSeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** True when a is before b in sequence space (Wireshark's LT_SEQ). */
export function ltSeq(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
