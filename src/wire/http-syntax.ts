// The character classes and small grammars of RFC 9110 / RFC 9112 / RFC 3986 the HTTP codec checks
// against: tokens, field values, request-targets, Host, Content-Length. Pure functions on bytes or
// latin1 strings (one char per byte).

const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** RFC 9110 §5.6.2 tchar. */
export function isTchar(b: number): boolean {
  return TCHAR[b] === 1;
}

/** RFC 9110 §5.6.2 token: 1*tchar. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** A byte a field value may hold: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5). */
export function isFieldValueByte(b: number): boolean {
  return b === 0x09 || (b >= 0x20 && b !== 0x7f);
}

/** The first byte of `s` a field value may not hold, or -1. */
export function invalidFieldValueIndex(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || !isFieldValueByte(c)) return i;
  }
  return -1;
}

export function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Names a byte for a message: 'NUL (0x00)', '"a"'. */
export function describeByte(b: number): string {
  if (b === 0) return 'NUL (0x00)';
  if (b === 0x0d) return 'CR (0x0d)';
  if (b === 0x0a) return 'LF (0x0a)';
  if (b === 0x09) return 'HTAB (0x09)';
  if (b === 0x20) return 'SP (0x20)';
  if (b < 0x20 || b === 0x7f) return `control byte 0x${b.toString(16).padStart(2, '0')}`;
  if (b >= 0x80) return `byte 0x${b.toString(16)}`;
  return `"${String.fromCharCode(b)}"`;
}

/** Decodes bytes one char per byte (field values may carry obs-text, RFC 9110 §5.5). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Socket data is a Buffer already: decode in place instead of making a Buffer view first.
  if (bytes instanceof Buffer) return bytes.toString('latin1', start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** Encodes a latin1 string (every char below 0x100) to bytes. */
export function latin1Bytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

// RFC 3986 §2: unreserved, sub-delims, pchar.
const UNRESERVED = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
for (const c of '-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const SUB_DELIMS = "!$&'()*+,;=";

function isUnreserved(c: number): boolean {
  return c < 128 && UNRESERVED[c] === 1;
}

function isSubDelim(c: number): boolean {
  return SUB_DELIMS.includes(String.fromCharCode(c));
}

/** True when s[i..i+3) is a valid pct-encoded triplet. */
function pctAt(s: string, i: number): boolean {
  return s.charCodeAt(i) === 0x25 && i + 2 < s.length && isHexDigit(s.charCodeAt(i + 1)) && isHexDigit(s.charCodeAt(i + 2));
}

/**
 * Checks path-abempty ["?" query] (RFC 3986 §3.3, §3.4): pchar, "/" and, after "?", "?" too.
 * Returns the first invalid index, or -1.
 */
export function invalidPathQueryIndex(s: string, start = 0): number {
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (!pctAt(s, i)) return i;
      i += 2;
      continue;
    }
    // pchar, "/" and "?" ("?" opens the query, where "?" and "/" stay allowed).
    if (isUnreserved(c) || isSubDelim(c) || c === 0x3a || c === 0x40 || c === 0x2f || c === 0x3f) continue;
    return i;
  }
  return -1;
}

/** RFC 3986 §3.2.2 reg-name / IPv4address (both fit in reg-name's characters). */
function isRegName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (!pctAt(s, i)) return false;
      i += 2;
      continue;
    }
    if (!isUnreserved(c) && !isSubDelim(c)) return false;
  }
  return true;
}

/** RFC 3986 §3.2.2 IP-literal: "[" ( IPv6address / IPvFuture ) "]", checked for its characters. */
function isIpLiteral(s: string): boolean {
  if (s.length < 3 || s[0] !== '[' || s[s.length - 1] !== ']') return false;
  const inner = s.slice(1, -1);
  if (/^[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/.test(inner)) return true;
  return /^[0-9A-Fa-f:.]+$/.test(inner) && inner.includes(':');
}

export interface ParsedAuthority {
  readonly host: string;
  /** The port as written, or undefined when there was none. */
  readonly port: string | undefined;
}

/**
 * Parses uri-host [":" port] (RFC 3986 §3.2.2, §3.2.3; no userinfo). Returns undefined when invalid.
 * Commas are refused although reg-name allows them: Host is a singleton, and a comma makes one field
 * read as a list by anyone combining field lines (RFC 9110 §5.3).
 */
export function parseAuthority(s: string): ParsedAuthority | undefined {
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    host = s.slice(0, close + 1);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (rest[0] !== ':') return undefined;
      port = rest.slice(1);
    }
    if (!isIpLiteral(host)) return undefined;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
    if (host.includes(',') || host.includes(':') || !isRegName(host)) return undefined;
  }
  if (port !== undefined && !/^[0-9]{0,5}$/.test(port)) return undefined;
  if (port !== undefined && port !== '' && Number(port) > 65535) return undefined;
  return { host, port };
}

/**
 * Content-Length = 1*DIGIT (RFC 9110 §8.6). Returns the length, 'invalid', or 'huge' for a valid
 * number too large to hold exactly (more than 15 digits once leading zeros are gone).
 */
export function parseContentLength(value: string): number | 'invalid' | 'huge' {
  if (value.length === 0) return 'invalid';
  for (let i = 0; i < value.length; i++) if (!isDigit(value.charCodeAt(i))) return 'invalid';
  const trimmed = value.replace(/^0+(?=.)/, '');
  if (trimmed.length > 15) return 'huge';
  return Number(trimmed);
}

/** Splits a list-valued field (RFC 9110 §5.6.1) into trimmed elements, dropping empty ones. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const comma = value.indexOf(',', from);
    const to = comma < 0 ? value.length : comma;
    let s = from;
    let e = to;
    while (s < e && (value.charCodeAt(s) === 0x20 || value.charCodeAt(s) === 0x09)) s++;
    while (e > s && (value.charCodeAt(e - 1) === 0x20 || value.charCodeAt(e - 1) === 0x09)) e--;
    if (e > s) out.push(s === 0 && e === value.length ? value : value.slice(s, e));
    if (comma < 0) return out;
    from = comma + 1;
  }
}

/** The values of every field named `name` (case-insensitive), in order. */
export function fieldValues(fields: readonly { name: string; value: string }[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const f of fields) if (f.name.toLowerCase() === lower) out.push(f.value);
  return out;
}

/** The one value of `name`, joined with ", " when it came on several lines; undefined when absent. */
export function fieldValue(fields: readonly { name: string; value: string }[], name: string): string | undefined {
  const vals = fieldValues(fields, name);
  return vals.length === 0 ? undefined : vals.join(', ');
}

/** The reason phrases of RFC 9110 §15 (and RFC 6585), for the serializer's default. */
export const REASON_PHRASES: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue',
  101: 'Switching Protocols',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
});
