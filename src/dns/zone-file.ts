// RFC 1035 §5 master files -> records. Supported: $ORIGIN (absolute or relative to the current
// origin), $TTL (RFC 2308 §4), $INCLUDE FILE [ORIGIN] (when the caller gives a way to read files:
// `loadZoneFile` does, relative to the including file, at most 8 deep; the included file's $ORIGIN and
// $TTL do not leak back, RFC 1035 §5.1), `@`, relative names, an omitted owner (the previous one), an
// omitted TTL (the $TTL, else the last TTL written, else an SOA's MINIMUM as BIND does) and class
// (the last class written, else IN), TTL and class in either order, parentheses across lines,
// comments, quoted strings with escapes, \X and \DDD. Refused, with the reason: $GENERATE and other
// BIND directives, meta types (ANY, AXFR, OPT, ...), and types without a text form unless written
// in RFC 3597's generic form. Every error is a ZoneFileError naming the file, line and column.

import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { labelsToName, nameToLabels } from '../wire/dns-name.ts';
import { DNS_CLASS, DNS_TYPE, DnsEncodeError, dnsClassNumber, dnsTypeName, dnsTypeNumber, type DnsRecord } from '../wire/dns-types.ts';
import { lexZoneText, ZoneFileError, type ZoneEntry, type ZoneToken } from './zone-file-lexer.ts';
import { parseRdata, parseTtlText, TokenError } from './zone-file-rdata.ts';

export { ZoneFileError } from './zone-file-lexer.ts';

/** A record and where it was written. */
export interface ZoneFileRecord {
  record: DnsRecord;
  file: string;
  line: number;
  column: number;
}

export interface ZoneTextOptions {
  /** The name errors give the text (default "<zone>"). */
  file?: string;
  /** The origin before any $ORIGIN (absolute, no trailing dot needed). Without it, relative names before a $ORIGIN are errors. */
  origin?: string;
  /** A TTL for records before any $TTL and without their own. */
  defaultTtl?: number;
  /** Reads an $INCLUDE file (path as written, the including file's name); without it $INCLUDE is refused. */
  readInclude?: (path: string, from: string) => { text: string; file: string };
}

const META_TYPES = new Set<number>([DNS_TYPE.OPT, DNS_TYPE.ANY, DNS_TYPE.AXFR, DNS_TYPE.IXFR, DNS_TYPE.MAILA, DNS_TYPE.MAILB, DNS_TYPE.TKEY, DNS_TYPE.TSIG]);
const MAX_INCLUDE_DEPTH = 8;

interface State {
  origin: string | undefined;
  ttl: number | undefined;
  lastTtl: number | undefined;
  lastClass: number;
  lastOwner: string | undefined;
}

/** True when a name as written ends with an unescaped dot (it is absolute). */
function endsWithUnescapedDot(raw: string): boolean {
  if (!raw.endsWith('.')) return false;
  let n = 0;
  for (let i = raw.length - 2; i >= 0 && raw[i] === '\\'; i--) n++;
  return n % 2 === 0;
}

/** Parses master-file text into records. Throws ZoneFileError. */
export function parseZoneText(text: string, options: ZoneTextOptions = {}): ZoneFileRecord[] {
  const out: ZoneFileRecord[] = [];
  const file = options.file ?? '<zone>';
  const state: State = {
    origin: options.origin === undefined ? undefined : absolute(options.origin, file),
    ttl: options.defaultTtl,
    lastTtl: undefined,
    lastClass: DNS_CLASS.IN,
    lastOwner: undefined,
  };
  parseInto(text, file, state, options, 0, out);
  return out;
}

/** Reads a master file from disk ($INCLUDE supported, relative to the including file). */
export function loadZoneFile(path: string, options: Omit<ZoneTextOptions, 'file' | 'readInclude'> = {}): ZoneFileRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZoneFileError(path, 0, 0, `cannot read the zone file: ${(err as Error).message}`);
  }
  return parseZoneText(text, {
    ...options,
    file: path,
    readInclude: (p, from) => {
      const full = resolvePath(dirname(from), p);
      return { text: readFileSync(full, 'utf8'), file: full };
    },
  });
}

function absolute(origin: string, file: string): string {
  try {
    return labelsToName(nameToLabels(origin));
  } catch (err) {
    throw new ZoneFileError(file, 0, 0, `origin '${origin}': ${(err as Error).message}`);
  }
}

function parseInto(text: string, file: string, state: State, options: ZoneTextOptions, depth: number, out: ZoneFileRecord[]): void {
  const entries = lexZoneText(text, file);
  for (const entry of entries) {
    try {
      parseEntry(entry, file, state, options, depth, out);
    } catch (err) {
      if (err instanceof TokenError) {
        const t = err.token ?? entry.tokens[entry.tokens.length - 1];
        throw new ZoneFileError(file, t?.line ?? entry.line, t?.column ?? entry.column, err.reason);
      }
      throw err;
    }
  }
}

function nameIn(token: ZoneToken, origin: string | undefined, what: string): string {
  const raw = token.raw;
  if (raw === '@') {
    if (origin === undefined) throw new TokenError(token, `${what} '@' needs an origin: set $ORIGIN first`);
    return origin;
  }
  let text: string;
  if (endsWithUnescapedDot(raw)) text = raw === '.' ? '' : raw.slice(0, -1);
  else {
    if (origin === undefined) throw new TokenError(token, `${what} '${raw}' is relative but there is no origin: set $ORIGIN or end the name with '.'`);
    text = origin === '' ? raw : `${raw}.${origin}`;
  }
  try {
    return labelsToName(nameToLabels(text));
  } catch (err) {
    if (err instanceof DnsEncodeError) throw new TokenError(token, `${what}: ${err.reason}`);
    throw err;
  }
}

function parseEntry(entry: ZoneEntry, file: string, state: State, options: ZoneTextOptions, depth: number, out: ZoneFileRecord[]): void {
  const tokens = entry.tokens;
  const first = tokens[0];
  if (!entry.ownerOmitted && !first.quoted && first.raw.startsWith('$')) {
    directive(entry, file, state, options, depth, out);
    return;
  }
  let i = 0;
  let owner: string;
  if (entry.ownerOmitted) {
    if (state.lastOwner === undefined)
      throw new TokenError(first, 'the line starts with a blank (no owner) but no record came before it to take the owner from');
    owner = state.lastOwner;
  } else {
    owner = nameIn(first, state.origin, 'owner');
    i = 1;
  }
  let ttl: number | undefined;
  let cls: number | undefined;
  let type: number | undefined;
  let typeToken: ZoneToken | undefined;
  for (; i < tokens.length && type === undefined; i++) {
    const t = tokens[i];
    const asTtl = t.quoted ? undefined : parseTtlText(t.raw);
    if (asTtl !== undefined) {
      if (ttl !== undefined) throw new TokenError(t, `a second TTL '${t.raw}' (the TTL was already given)`);
      ttl = asTtl;
      continue;
    }
    const asClass = t.quoted ? undefined : dnsClassNumber(t.raw);
    if (asClass !== undefined && !/^(ANY|NONE)$/i.test(t.raw)) {
      if (cls !== undefined) throw new TokenError(t, `a second class '${t.raw}'`);
      cls = asClass;
      continue;
    }
    const asType = t.quoted ? undefined : dnsTypeNumber(t.raw);
    if (asType === undefined) throw new TokenError(t, `'${t.raw}' is not a TTL, class or record type`);
    if (META_TYPES.has(asType)) throw new TokenError(t, `${dnsTypeName(asType)} is a query or meta type; it cannot be a record in a zone`);
    type = asType;
    typeToken = t;
  }
  if (type === undefined || typeToken === undefined) throw new TokenError(tokens[tokens.length - 1], 'the record has no type');
  const data = parseRdata(type, tokens.slice(i), (t, what) => nameIn(t ?? typeToken, state.origin, what), typeToken);
  if (ttl !== undefined) state.lastTtl = ttl;
  else if (state.ttl !== undefined) ttl = state.ttl;
  else if (state.lastTtl !== undefined) ttl = state.lastTtl;
  else if (data.type === 'SOA') ttl = data.minimum;
  else throw new TokenError(typeToken, 'the record has no TTL and none came before it: write one, or set $TTL');
  if (cls !== undefined) state.lastClass = cls;
  state.lastOwner = owner;
  out.push({ record: { name: owner, type, class: cls ?? state.lastClass, ttl, data }, file, line: entry.line, column: entry.column });
}

function directive(entry: ZoneEntry, file: string, state: State, options: ZoneTextOptions, depth: number, out: ZoneFileRecord[]): void {
  const [d, ...args] = entry.tokens;
  const name = d.raw.toUpperCase();
  const extra = (n: number, what: string): void => {
    if (args.length > n) throw new TokenError(args[n], `${name} takes ${what}; '${args[n].raw}' is extra`);
  };
  switch (name) {
    case '$ORIGIN': {
      if (args.length === 0) throw new TokenError(d, '$ORIGIN needs a domain name');
      extra(1, 'one domain name');
      state.origin = nameIn(args[0], state.origin, '$ORIGIN');
      return;
    }
    case '$TTL': {
      if (args.length === 0) throw new TokenError(d, '$TTL needs a time');
      extra(1, 'one time');
      const v = parseTtlText(args[0].raw);
      if (v === undefined) throw new TokenError(args[0], `$TTL '${args[0].raw}' is not a time (seconds, or units like 1h30m)`);
      state.ttl = v;
      return;
    }
    case '$INCLUDE': {
      if (args.length === 0) throw new TokenError(d, '$INCLUDE needs a file name');
      extra(2, 'a file name and an optional origin');
      if (options.readInclude === undefined) throw new TokenError(d, '$INCLUDE is not allowed here (zone text given without a file system; use loadZoneFile)');
      if (depth >= MAX_INCLUDE_DEPTH) throw new TokenError(d, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep (an include loop?)`);
      let inc: { text: string; file: string };
      try {
        inc = options.readInclude(args[0].raw, file);
      } catch (err) {
        throw new TokenError(args[0], `cannot read '${args[0].raw}': ${(err as Error).message}`);
      }
      const child: State = { ...state, origin: args[1] === undefined ? state.origin : nameIn(args[1], state.origin, '$INCLUDE origin') };
      parseInto(inc.text, inc.file, child, options, depth + 1, out);
      // The owner carries on (RFC 1035 leaves it unsaid; BIND does the same); origin and $TTL do not.
      state.lastOwner = child.lastOwner;
      state.lastTtl = child.lastTtl;
      state.lastClass = child.lastClass;
      return;
    }
    default:
      throw new TokenError(d, `${d.raw} is not a directive netlab reads (only $ORIGIN, $TTL and $INCLUDE)`);
  }
}
