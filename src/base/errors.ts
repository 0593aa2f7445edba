// Errors with stable codes. Every layer throws these (or subclasses of them) instead of a bare
// Error, so a caller, a test or the CLI's top-level handler can tell what went wrong from `code`
// without matching message text. `layer` names the layer that threw, `offset` the byte where a codec
// found the problem.

/** The layers of src/, bottom to top (ARCHITECTURE.md). */
export type Layer = 'base' | 'wire' | 'capture' | 'dissect' | 'netsim' | 'nat' | 'dns' | 'tls' | 'http' | 'balance' | 'proxy' | 'l4' | 'view' | 'lab' | 'cli';

/**
 * Stable codes. A code says what kind of thing was wrong; the message says exactly what.
 * - ERR_RANGE: a number outside what a field or option can hold.
 * - ERR_ARGUMENT: an argument of the wrong shape (not a number, an unknown name, a bad address).
 * - ERR_TRUNCATED: bytes end before a structure does.
 * - ERR_MALFORMED: bytes that do not follow the format.
 * - ERR_LIMIT: a configured bound was reached (size, count, depth, time).
 * - ERR_STATE: an operation the object's state does not allow (closed, not started, already bound).
 * - ERR_CONFIG: a configuration file or object that does not validate.
 * - ERR_NOT_FOUND: a named thing that does not exist (a file, a lab, a zone).
 * - ERR_IO: the operating system refused (a socket, a file).
 * - ERR_TIMEOUT: something did not answer in time.
 * - ERR_UNSUPPORTED: valid input that netlab does not implement.
 */
export type ErrorCode =
  | 'ERR_RANGE'
  | 'ERR_ARGUMENT'
  | 'ERR_TRUNCATED'
  | 'ERR_MALFORMED'
  | 'ERR_LIMIT'
  | 'ERR_STATE'
  | 'ERR_CONFIG'
  | 'ERR_NOT_FOUND'
  | 'ERR_IO'
  | 'ERR_TIMEOUT'
  | 'ERR_UNSUPPORTED';

export interface ErrorDetail {
  readonly layer?: Layer;
  /** Byte offset where a codec found the problem. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/** An error of netlab's own: a stable `code`, and where known the layer and byte offset. */
export class NetlabError extends Error {
  readonly code: ErrorCode;
  readonly layer?: Layer;
  readonly offset?: number;

  constructor(code: ErrorCode, message: string, detail: ErrorDetail = {}) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'NetlabError';
    this.code = code;
    if (detail.layer !== undefined) this.layer = detail.layer;
    if (detail.offset !== undefined) this.offset = detail.offset;
  }
}

/**
 * A value out of range. It is also a RangeError, so code that catches RangeError keeps working;
 * `code` is always ERR_RANGE.
 */
export class NetlabRangeError extends RangeError {
  readonly code = 'ERR_RANGE' as const;
  readonly layer?: Layer;
  readonly offset?: number;

  constructor(message: string, detail: ErrorDetail = {}) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'NetlabRangeError';
    if (detail.layer !== undefined) this.layer = detail.layer;
    if (detail.offset !== undefined) this.offset = detail.offset;
  }
}

/** The code of any error netlab threw, or undefined for a foreign one. */
export function errorCode(err: unknown): ErrorCode | undefined {
  if (err instanceof NetlabError || err instanceof NetlabRangeError) return err.code;
  return undefined;
}

/** One line for a user: the message, without a stack. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
