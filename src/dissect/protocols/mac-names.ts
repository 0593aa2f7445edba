// MAC address names as Wireshark shows them by default ("Netgear_23:fb:fa", "Broadcast",
// "IPv6mcast_fb"), from the name files of the Wireshark installed on this machine (its `manuf` and
// `wka` files), read once on first use. netlab ships no copy of them: without an installed
// Wireshark, or with resolution turned off, names are the plain addresses.
//
// Lookup order (Wireshark's): a whole-address entry; then the well-known ranges from the most
// specific prefix (47 bits) down to 24 bits, printing the address bytes the prefix leaves; then
// the 3-byte manufacturer prefix (also with the multicast bit cleared), printing the last 3 bytes;
// then ranges of 23 bits down to 0. The well-known range table is keyed by the address masked to
// the prefix being tried, whatever length the entry was declared with.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMac } from '../field.ts';

export interface NameTables {
  exact: Map<string, string>;
  ranges: Map<string, string>;
  /** 24-bit prefix -> [short name, long name]. */
  manuf: Map<number, [string, string | undefined]>;
}

const DATA_DIRS = [
  '/usr/share/wireshark',
  '/usr/local/share/wireshark',
  '/opt/homebrew/share/wireshark',
  '/Applications/Wireshark.app/Contents/Resources/share/wireshark',
];

let enabled = true;
let tables: NameTables | null | undefined;

/** Turns name resolution on or off (tshark -n turns it off). */
export function setMacNameResolution(on: boolean): void {
  enabled = on;
}

/** Forgets the name files and the names looked up (tests that point NETLAB_WIRESHARK_DATA elsewhere). */
export function resetMacNames(): void {
  tables = undefined;
  lazy = undefined;
  nameCache.clear();
}

function hex12(b: readonly number[]): string {
  return b.map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** The value of one hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The common manuf line `hh:hh:hh<TAB>Short[<TAB>Long]`, read without splitting: the 24-bit prefix,
 * or -1 when the line has another shape (ranges, whole addresses, comments), which parseLine reads.
 */
function plainPrefix(text: string, at: number): number {
  if (text.charCodeAt(at + 2) !== 58 || text.charCodeAt(at + 5) !== 58 || text.charCodeAt(at + 8) !== 9) return -1;
  let v = 0;
  for (const k of [0, 1, 3, 4, 6, 7]) {
    const d = hexDigit(text.charCodeAt(at + k));
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/**
 * The range line `hh:hh:hh:hh:hh:hh/NN<TAB>Short...` (manuf has ~16,000 of /28 and /36): stores it and
 * returns true, or returns false for any other shape.
 */
function rangeLine(text: string, at: number, end: number, t: NameTables): boolean {
  if (end - at < 20 || text.charCodeAt(at + 17) !== 47) return false;
  const bytes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const p = at + i * 3;
    if (i < 5 && text.charCodeAt(p + 2) !== 58) return false;
    const hi = hexDigit(text.charCodeAt(p));
    const lo = hexDigit(text.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return false;
    bytes.push((hi << 4) | lo);
  }
  let p = at + 18;
  let mask = 0;
  while (p < end && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) mask = mask * 10 + text.charCodeAt(p++) - 48;
  if (p === at + 18 || p >= end || text.charCodeAt(p) !== 9 || mask === 0 || mask >= 48) return false;
  while (p < end && text.charCodeAt(p) === 9) p++;
  let q = text.indexOf('\t', p);
  if (q < 0 || q > end) q = end;
  while (q > p && (text.charCodeAt(q - 1) === 13 || text.charCodeAt(q - 1) === 32)) q--;
  if (q === p) return false;
  t.ranges.set(hex12(masked(bytes, mask)), text.slice(p, q));
  return true;
}

function parseLine(raw: string, t: NameTables): void {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return;
  const cols = line.split('\t').filter((c) => c !== '');
  if (cols.length < 2) return;
  const [addrText, maskText] = cols[0].split('/');
  const bytes = addrText.split(/[:.-]/).map((h) => parseInt(h, 16));
  if (bytes.some((x) => Number.isNaN(x) || x < 0 || x > 255) || bytes.length < 3 || bytes.length > 6) return;
  const short = cols[1];
  const long = cols[2] !== undefined && !cols[2].startsWith('#') ? cols[2] : undefined;
  const mask = maskText !== undefined ? Number(maskText) : bytes.length === 3 ? 0 : 48;
  while (bytes.length < 6) bytes.push(0);
  if (mask >= 48) t.exact.set(hex12(bytes), short);
  else if (mask === 0) t.manuf.set((bytes[0] << 16) | (bytes[1] << 8) | bytes[2], [short, long]);
  else t.ranges.set(hex12(masked(bytes, mask)), short);
}

/** Reads a name file: the common 3-byte lines by char codes (manuf has ~50,000), the rest by parseLine. */
function parseFile(text: string, t: NameTables, lineByLine = false): void {
  if (lineByLine) {
    for (const raw of text.split('\n')) parseLine(raw, t);
    return;
  }
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const prefix = end - at > 9 ? plainPrefix(text, at) : -1;
    if (prefix >= 0) {
      const tab = text.indexOf('\t', at + 9);
      let stop = end;
      while (stop > at + 9 && (text.charCodeAt(stop - 1) === 13 || text.charCodeAt(stop - 1) === 32)) stop--;
      if (tab < 0 || tab >= stop) {
        const short = text.slice(at + 9, stop);
        if (short !== '') t.manuf.set(prefix, [short, undefined]);
      } else {
        const short = text.slice(at + 9, tab);
        let l = tab + 1;
        while (l < stop && text.charCodeAt(l) === 9) l++;
        let r = text.indexOf('\t', l);
        if (r < 0 || r > stop) r = stop;
        const long = text.slice(l, r);
        if (short !== '') t.manuf.set(prefix, [short, long === '' || long.startsWith('#') ? undefined : long]);
      }
    } else if (!rangeLine(text, at, end, t)) {
      parseLine(text.slice(at, end), t);
    }
    at = end + 1;
  }
}

function masked(addr: readonly number[], bits: number): number[] {
  return addr.map((x, i) => {
    const left = bits - i * 8;
    if (left >= 8) return x;
    if (left <= 0) return 0;
    return x & ((0xff << (8 - left)) & 0xff);
  });
}

/**
 * Wireshark's manuf file is 2.3 MB (about 52,000 lines): parsing all of it costs more than the rest of
 * a one-frame `netlab decode`. So it is read as text and searched per 3-byte prefix on first use
 * (every manuf line starts with its prefix in upper case); after LAZY_PREFIXES distinct prefixes the
 * whole file is parsed once. The wka file (11 KB) is parsed at once, and its entries win over
 * manuf's, as in a full reading (wka is read second).
 */
const LAZY_PREFIXES = 64;

interface Lazy {
  /** The manuf file's bytes with a newline in front, searched with Buffer.indexOf (no 2.3 MB string). */
  bytes: Buffer | undefined;
  scanned: Set<number>;
  wka: NameTables;
}

let lazy: Lazy | undefined;

function merge(into: NameTables, from: NameTables, keep: NameTables): void {
  for (const [k, v] of from.exact) if (!keep.exact.has(k)) into.exact.set(k, v);
  for (const [k, v] of from.ranges) if (!keep.ranges.has(k)) into.ranges.set(k, v);
  for (const [k, v] of from.manuf) if (!keep.manuf.has(k)) into.manuf.set(k, v);
}

/** Makes sure every manuf line for this 24-bit prefix is in the tables. */
function ensurePrefix(t: NameTables, prefix: number): void {
  const l = lazy;
  if (t !== tables || l === undefined || l.bytes === undefined || l.scanned.has(prefix)) return;
  l.scanned.add(prefix);
  const found: NameTables = { exact: new Map(), ranges: new Map(), manuf: new Map() };
  const bytes = l.bytes;
  if (l.scanned.size > LAZY_PREFIXES) {
    parseFile(bytes.toString('latin1'), found);
    l.bytes = undefined;
  } else {
    const needle = `\n${HEX_UPPER[prefix >> 16]}:${HEX_UPPER[(prefix >> 8) & 0xff]}:${HEX_UPPER[prefix & 0xff]}`;
    for (let i = bytes.indexOf(needle, 0, 'latin1'); i >= 0; i = bytes.indexOf(needle, i + 1, 'latin1')) {
      let end = bytes.indexOf(10, i + 1);
      if (end < 0) end = bytes.length;
      parseFile(bytes.toString('latin1', i + 1, end), found);
    }
  }
  merge(t, found, l.wka);
}

const HEX_UPPER = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

function load(): NameTables | null {
  if (tables !== undefined) return tables;
  const env = process.env.NETLAB_WIRESHARK_DATA;
  const dir = [env, ...DATA_DIRS].find((d) => d !== undefined && d !== '' && existsSync(join(d, 'manuf')));
  if (dir === undefined) {
    tables = null;
    return tables;
  }
  try {
    const wka: NameTables = { exact: new Map(), ranges: new Map(), manuf: new Map() };
    if (existsSync(join(dir, 'wka'))) parseFile(readFileSync(join(dir, 'wka'), 'latin1'), wka);
    const t: NameTables = { exact: new Map(wka.exact), ranges: new Map(wka.ranges), manuf: new Map(wka.manuf) };
    lazy = { bytes: Buffer.concat([Buffer.from('\n'), readFileSync(join(dir, 'manuf'))]), scanned: new Set(), wka };
    tables = t;
  } catch {
    tables = null;
  }
  return tables;
}

/** The tables a name file gives (exported for the test that holds the fast reading equal to the line-by-line one). */
export function parseNameFile(text: string, lineByLine = false): NameTables {
  const t: NameTables = { exact: new Map(), ranges: new Map(), manuf: new Map() };
  parseFile(text, t, lineByLine);
  return t;
}

const h = (x: number): string => x.toString(16).padStart(2, '0');

/** Names already looked up, by the address as a 48-bit number; cleared when it reaches NAME_CACHE_MAX. */
const nameCache = new Map<number, string>();
const NAME_CACHE_MAX = 65_536;

/** The name Wireshark shows for a MAC address, or the address itself when it has none. */
export function macName(b: Uint8Array, off = 0): string {
  const t = enabled ? load() : null;
  if (t === null) return formatMac(b, off);
  const key = (b[off] * 0x10000 + ((b[off + 1] << 8) | b[off + 2])) * 0x1000000 + ((b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]);
  const cached = nameCache.get(key);
  if (cached !== undefined) return cached;
  const name = lookupName(t, b, off);
  if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
  nameCache.set(key, name);
  return name;
}

/** The name of the address at `off` in tables `t` (exported for the test that holds the lazy reading equal to the full one). */
export function lookupName(t: NameTables, b: Uint8Array, off: number): string {
  const prefix = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
  ensurePrefix(t, prefix);
  if ((prefix & 0x010000) !== 0) ensurePrefix(t, prefix & 0xfeffff);
  const plain = formatMac(b, off);
  const a = Array.from(b.subarray(off, off + 6));
  const exact = t.exact.get(hex12(a));
  if (exact !== undefined) return exact;
  const range = (bits: number): string | undefined => (t.ranges.size === 0 ? undefined : t.ranges.get(hex12(masked(a, bits))));
  const tail = (bits: number): string => {
    const first = Math.floor(bits / 8);
    const m = bits % 8;
    const parts = [h(a[first] & (0xff >> m))];
    for (let i = first + 1; i < 6; i++) parts.push(h(a[i]));
    return parts.join(':');
  };
  for (let bits = 47; bits >= 24; bits--) {
    const n = range(bits);
    if (n !== undefined) return `${n}_${tail(bits)}`;
  }
  const manuf = manufOf(t, a);
  if (manuf !== undefined) return `${manuf[0]}_${h(a[3])}:${h(a[4])}:${h(a[5])}`;
  for (let bits = 23; bits >= 0; bits--) {
    const n = range(bits);
    if (n !== undefined) return `${n}_${tail(bits)}`;
  }
  return plain;
}

function manufOf(t: NameTables, a: readonly number[]): [string, string | undefined] | undefined {
  const key = (a[0] << 16) | (a[1] << 8) | a[2];
  return t.manuf.get(key) ?? ((key & 0x010000) !== 0 ? t.manuf.get(key & 0xfeffff) : undefined);
}

/** The manufacturer's long name for the address's first 3 bytes (eth.*.oui_resolved), if known. */
export function ouiName(b: Uint8Array, off = 0): string | undefined {
  const t = enabled ? load() : null;
  if (t === null) return undefined;
  const prefix = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
  ensurePrefix(t, prefix);
  const e = t.manuf.get(prefix);
  return e === undefined ? undefined : (e[1] ?? e[0]);
}

/** "Name (aa:bb:cc:dd:ee:ff)", the way -V shows a resolved MAC address; the plain address when off. */
export function macWithName(b: Uint8Array, off = 0): string {
  const plain = formatMac(b, off);
  return enabled && load() !== null ? `${macName(b, off)} (${plain})` : plain;
}

/** True when names are shown (resolution on and Wireshark's name files found). */
export function macNamesAvailable(): boolean {
  return enabled && load() !== null;
}
