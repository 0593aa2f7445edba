// Checkpoints: claims a lab checks against what really happened. Each one states the value it
// observed and the value (or rule) it expected, so a reader sees the evidence, pass or fail.
//
//   ctx.check.equal('UDP length counts the 8-byte header', udp.length, 12);
//   ctx.check.equal('UDP checksum', sum, 0xb4d0, hex16);
//   ctx.check.ok('server saw the client port', seen.has(port), `ports seen: ${[...seen].join(', ')}`, `contains ${port}`);
//   ctx.check.match('kernel chose an ephemeral port', String(port), /^\d+$/);
//   ctx.check.between('ephemeral port in Linux range', port, 32768, 60999);

export interface CheckResult {
  readonly label: string;
  readonly passed: boolean;
  /** The value observed, as printed. */
  readonly observed: string;
  /** What was expected, as printed (a value or a rule such as `32768..60999`). */
  readonly expected: string;
}

/** Turns a value into the text a checkpoint prints. */
export type Formatter<T> = (value: T) => string;

export interface Check {
  /** Passes when observed equals expected (deep for arrays, plain objects and byte arrays). */
  equal<T>(label: string, observed: T, expected: T, format?: Formatter<T>): boolean;
  /** Passes when observed differs from the value given (e.g. a checksum changed). */
  notEqual<T>(label: string, observed: T, unexpected: T, format?: Formatter<T>): boolean;
  /** Passes when condition holds; `observed` says what was seen (required, non-empty). */
  ok(label: string, condition: boolean, observed: string, expected?: string): boolean;
  /** Passes when the text matches the pattern. */
  match(label: string, observed: string, pattern: RegExp): boolean;
  /** Passes when min <= observed <= max. */
  between(label: string, observed: number, min: number, max: number, unit?: string): boolean;
  /** Passes when observed >= min. */
  atLeast(label: string, observed: number, min: number, unit?: string): boolean;
}

/** Formats 0xb4d0 as `0xb4d0` (4 hex digits). */
export const hex16: Formatter<number> = (v) => `0x${v.toString(16).padStart(4, '0')}`;
/** Formats a 32-bit value as `0x12345678`. */
export const hex32: Formatter<number> = (v) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

const MAX_BYTES_SHOWN = 32;

/** The default way a checkpoint prints a value: plain words, never `undefined` or `{ ... }`. */
export function formatValue(v: unknown): string {
  return formatInner(v, true);
}

function formatInner(v: unknown, top: boolean): string {
  if (v instanceof Uint8Array) {
    const shown = Array.from(v.subarray(0, MAX_BYTES_SHOWN), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return v.length > MAX_BYTES_SHOWN ? `${shown} ... (${v.length} bytes)` : v.length === 0 ? '(0 bytes)' : shown;
  }
  if (typeof v === 'string') {
    if (v === '') return '(empty)';
    return /^\s|\s$|, /.test(v) ? JSON.stringify(v) : v;
  }
  if (typeof v === 'bigint') return String(v);
  if (v === undefined) return '(nothing)';
  if (v === null) return '(none)';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '(none)';
    const items = v.map((x) => formatInner(x, false)).join(', ');
    return top ? items : `[${items}]`;
  }
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k} ${formatInner(x, false)}`)
      .join(', ');
    return top ? items : `(${items})`;
  }
  return String(v);
}

/** Structural equality for the values checkpoints compare. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
  }
  return false;
}

/** A Check that hands every result to `record` and returns whether it passed. */
export function createCheck(record: (r: CheckResult) => void): Check {
  const put = (label: string, passed: boolean, observed: string, expected: string): boolean => {
    if (label.trim() === '') throw new TypeError('a checkpoint needs a label that says what is claimed');
    record({ label, passed, observed, expected });
    return passed;
  };
  return {
    equal<T>(label: string, observed: T, expected: T, format: Formatter<T> = formatValue): boolean {
      return put(label, deepEqual(observed, expected), format(observed), format(expected));
    },
    notEqual<T>(label: string, observed: T, unexpected: T, format: Formatter<T> = formatValue): boolean {
      return put(label, !deepEqual(observed, unexpected), format(observed), `not ${format(unexpected)}`);
    },
    ok(label: string, condition: boolean, observed: string, expected = 'true'): boolean {
      if (observed.trim() === '') throw new TypeError(`checkpoint "${label}": say what was observed (the observed text is empty)`);
      return put(label, condition === true, observed, expected);
    },
    match(label: string, observed: string, pattern: RegExp): boolean {
      pattern.lastIndex = 0;
      return put(label, pattern.test(observed), formatValue(observed), `matches ${pattern}`);
    },
    between(label: string, observed: number, min: number, max: number, unit = ''): boolean {
      const u = unit === '' ? '' : ` ${unit}`;
      return put(label, observed >= min && observed <= max, `${observed}${u}`, `${min}..${max}${u}`);
    },
    atLeast(label: string, observed: number, min: number, unit = ''): boolean {
      const u = unit === '' ? '' : ` ${unit}`;
      return put(label, observed >= min, `${observed}${u}`, `>= ${min}${u}`);
    },
  };
}
