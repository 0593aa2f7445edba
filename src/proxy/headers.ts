// The header rules of a reverse proxy: which fields are the connection's own and never forwarded
// (hop-by-hop, RFC 9110 §7.6.1, with every field the Connection header names), which fields may not
// travel in a trailer (RFC 9110 §6.5.1), and the forwarding fields that say who the client was
// (X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded). A client that is not a trusted proxy cannot
// forge those: its copies are dropped and the proxy writes its own.

import { isIP } from 'node:net';
import { splitList, type HttpField } from '../wire/http.ts';

/** Fields that describe one connection, not the message (RFC 9110 §7.6.1, plus the old Proxy-Connection). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Fields a trailer may not carry (framing, routing, authentication, controls; RFC 9110 §6.5.1). */
export const FORBIDDEN_TRAILERS: ReadonlySet<string> = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'content-range',
  'transfer-encoding',
  'host',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'set-cookie',
  'cookie',
  'cache-control',
  'expect',
  'max-forwards',
  'pragma',
  'range',
  'te',
  'trailer',
  'age',
  'expires',
  'date',
  'location',
  'retry-after',
  'vary',
  'warning',
]);

/** The forwarding fields a proxy writes; from an untrusted client they are dropped. */
export const FORWARDING_FIELDS: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'forwarded',
]);

/** Lower-cased names the Connection fields list (they are hop-by-hop for this message). */
export function connectionNamed(fields: readonly HttpField[]): Set<string> {
  const out = new Set<string>();
  for (const f of fields) {
    if (f.name.length !== 10 || f.name.toLowerCase() !== 'connection') continue;
    for (const s of splitList(f.value)) out.add(s.toLowerCase());
  }
  return out;
}

const NOTHING: ReadonlySet<string> = new Set();

/** The fields without the hop-by-hop ones (and without those `also` names). */
export function stripHopByHop(fields: readonly HttpField[], also: ReadonlySet<string> = NOTHING): HttpField[] {
  // Per request on the proxy's hot path: one pass, Connection's list read only when there is one.
  let named: ReadonlySet<string> = NOTHING;
  for (const f of fields) {
    if (f.name.length === 10 && f.name.toLowerCase() === 'connection') {
      named = connectionNamed(fields);
      break;
    }
  }
  const out: HttpField[] = [];
  for (const f of fields) {
    const n = f.name.toLowerCase();
    if (!HOP_BY_HOP.has(n) && !named.has(n) && !also.has(n)) out.push(f);
  }
  return out;
}

/** Bit n set: some hop-by-hop name is n characters long (n up to 31; 31 stands for 31 and more). */
const HOP_LENGTHS = lengthMask(HOP_BY_HOP, 0);

function lengthMask(names: Iterable<string>, start: number): number {
  let m = start;
  for (const n of names) m |= 1 << Math.min(n.length, 31);
  return m;
}

/**
 * The upstream head's field lines as the client gets them, cut from the bytes as received (`raw`, the
 * field section whose lines are `fields` in order): the hop-by-hop lines, those Connection names and
 * those `also` names are left out, the rest is relayed as it came: runs of lines as views of `raw`,
 * a line that is not written "name: value" exactly (other whitespace around the value) as that text,
 * so the client gets the bytes stripHopByHop and the serializer would give it. Undefined when `raw`
 * does not hold those lines (the caller then serializes the fields).
 */
export function relayFieldLines(raw: Uint8Array, fields: readonly HttpField[], also: ReadonlySet<string> = NOTHING): (Uint8Array | string)[] | undefined {
  let named: ReadonlySet<string> = NOTHING;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.name.length === 10 && f.name.toLowerCase() === 'connection') {
      named = connectionNamed(fields);
      break;
    }
  }
  // Only a name of a length some cut name has is lowercased and looked up.
  let mask = lengthMask(also, HOP_LENGTHS);
  if (named.size > 0) mask = lengthMask(named, mask);
  const out: (Uint8Array | string)[] = [];
  const end = raw.length;
  let pos = 0;
  let run = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const n = f.name.length;
    // "name: value" CRLF is exactly n + 2 + value + 2 bytes, with SP after the colon; any other
    // whitespace makes the line longer, and then its CRLF is searched for.
    let next = pos + n + f.value.length + 4;
    const exact = next <= end && raw[next - 2] === 0x0d && raw[next - 1] === 0x0a && raw[pos + n] === 0x3a && raw[pos + n + 1] === 0x20;
    if (!exact) {
      const cr = raw.indexOf(0x0d, pos + n);
      if (cr < 0 || raw[pos + n] !== 0x3a) return undefined;
      next = cr + 2;
    }
    let cut = false;
    if ((mask & (1 << Math.min(n, 31))) !== 0) {
      const lower = f.name.toLowerCase();
      cut = HOP_BY_HOP.has(lower) || named.has(lower) || also.has(lower);
    }
    if (cut || !exact) {
      if (pos > run) out.push(raw.subarray(run, pos));
      if (!cut) out.push(`${f.name}: ${f.value}\r\n`);
      run = next;
    }
    pos = next;
  }
  if (pos !== end) return undefined;
  if (pos > run) out.push(run === 0 ? raw : raw.subarray(run, pos));
  return out;
}

/** Trailer fields that may be forwarded. */
export function allowedTrailers(fields: readonly HttpField[]): HttpField[] {
  return fields.filter((f) => {
    const n = f.name.toLowerCase();
    return !FORBIDDEN_TRAILERS.has(n) && !HOP_BY_HOP.has(n);
  });
}

// ---- trusted proxies ------------------------------------------------------------------------------

interface Cidr {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
}

function v4Bits(a: string): bigint {
  return a.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6Bits(a: string): bigint {
  let s = a;
  const dot = s.lastIndexOf('.');
  if (dot >= 0) {
    const colon = s.lastIndexOf(':');
    const v4 = v4Bits(s.slice(colon + 1));
    s = `${s.slice(0, colon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** An address as the proxy writes it: IPv4-mapped IPv6 shown as IPv4, zone id dropped. */
export function plainAddress(a: string): string {
  const noZone = a.includes('%') ? a.slice(0, a.indexOf('%')) : a;
  if (!noZone.includes(':')) return noZone; // IPv4 (or empty): nothing to unwrap
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(noZone);
  return m === null ? noZone : m[1];
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = plainAddress(slash < 0 ? s : s.slice(0, slash));
  const fam = isIP(addr);
  if (fam === 0) return undefined;
  const width = fam === 4 ? 32 : 128;
  const prefix = slash < 0 ? width : Number(s.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  const bits = fam === 4 ? v4Bits(addr) : v6Bits(addr);
  return { family: fam as 4 | 6, bits: prefix === 0 ? 0n : bits >> BigInt(width - prefix), prefix };
}

/** A list of CIDR blocks (the config's trustedProxies); contains() answers for one address. */
export class AddressSet {
  private readonly blocks: Cidr[];

  constructor(cidrs: readonly string[]) {
    this.blocks = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  }

  get size(): number {
    return this.blocks.length;
  }

  contains(address: string): boolean {
    if (this.blocks.length === 0) return false; // the common case: no trusted proxies, no BigInt work
    const a = plainAddress(address);
    const fam = isIP(a);
    if (fam === 0) return false;
    const width = fam === 4 ? 32 : 128;
    const bits = fam === 4 ? v4Bits(a) : v6Bits(a);
    return this.blocks.some((b) => b.family === fam && (b.prefix === 0 ? true : bits >> BigInt(width - b.prefix) === b.bits));
  }
}

// ---- forwarding fields ----------------------------------------------------------------------------

export interface ForwardingInput {
  /** The peer's address (the socket's remote address). */
  readonly peer: string;
  /** Scheme the client spoke to the proxy. */
  readonly proto: 'http' | 'https';
  /** Host the client asked for (the request's authority). */
  readonly host: string;
  /** The proxy's own address on this connection (Forwarded by=). */
  readonly local?: string;
  readonly trusted: AddressSet;
}

export interface ForwardingResult {
  /** The fields to forward (the client's forwarding fields removed or extended). */
  readonly fields: HttpField[];
  /** The original client's address: the peer, or when the peer is trusted, the first untrusted hop named in X-Forwarded-For. */
  readonly clientAddress: string;
}

/** A node for Forwarded (RFC 7239 §6): IPv6 in brackets and quoted. */
export function forwardedNode(address: string): string {
  const a = plainAddress(address);
  return a.includes(':') && isIP(a) === 6 ? `"[${a}]"` : a;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The last host quoted (a proxy sees the same few hosts over and over: no regex per request).
let lastHost = '';
let lastQuoted = '';

function quoteIfNeeded(v: string): string {
  if (v === lastHost && lastQuoted !== '') return lastQuoted;
  const q = TOKEN.test(v) ? v : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  lastHost = v;
  lastQuoted = q;
  return q;
}

/**
 * Writes X-Forwarded-For/-Proto/-Host and Forwarded. From a trusted peer the chain it sent is kept and
 * extended; from anyone else the client's copies are dropped, so a client cannot choose the address
 * the upstream believes.
 */
export function applyForwarding(fields: readonly HttpField[], input: ForwardingInput): ForwardingResult {
  const peer = plainAddress(input.peer);
  const trusted = input.trusted.contains(peer);
  const out: HttpField[] = [];
  const priorXff: string[] = [];
  const priorForwarded: string[] = [];
  let priorProto: string | undefined;
  let priorHost: string | undefined;
  for (const f of fields) {
    const n = f.name.toLowerCase();
    if (!FORWARDING_FIELDS.has(n)) {
      out.push(f);
      continue;
    }
    if (!trusted) continue;
    if (n === 'x-forwarded-for') priorXff.push(...splitList(f.value));
    else if (n === 'forwarded') priorForwarded.push(f.value);
    else if (n === 'x-forwarded-proto') priorProto ??= f.value;
    else if (n === 'x-forwarded-host') priorHost ??= f.value;
    else out.push(f);
  }
  // The client: walking the chain from the right, the first address that is not a trusted proxy.
  let clientAddress = peer;
  for (let i = priorXff.length - 1; i >= 0; i--) {
    const hop = plainAddress(priorXff[i]);
    if (isIP(hop) === 0) break;
    clientAddress = hop;
    if (!input.trusted.contains(hop)) break;
  }
  out.push({ name: 'X-Forwarded-For', value: priorXff.length === 0 ? peer : `${priorXff.join(', ')}, ${peer}` });
  out.push({ name: 'X-Forwarded-Proto', value: priorProto ?? input.proto });
  if (input.host !== '' || priorHost !== undefined) out.push({ name: 'X-Forwarded-Host', value: priorHost ?? input.host });
  let element = `for=${forwardedNode(peer)}`;
  if (input.local !== undefined) element += `;by=${forwardedNode(input.local)}`;
  if (input.host !== '') element += `;host=${quoteIfNeeded(input.host)}`;
  element += `;proto=${input.proto}`;
  out.push({ name: 'Forwarded', value: priorForwarded.length === 0 ? element : `${priorForwarded.join(', ')}, ${element}` });
  return { fields: out, clientAddress };
}
