// Errors the virtual stack reports to its callers, with the errno-style code a real socket would give
// (ENETUNREACH: no route; EHOSTUNREACH: ARP got no answer; ECONNREFUSED: ICMP port unreachable or a
// TCP RST to a SYN; ECONNRESET: a RST on a connection; EPIPE: write after end), so
// labs can set the virtual stack's behaviour beside the kernel's.

export type NetsimErrorCode =
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ECONNREFUSED'
  | 'ETIMEDOUT'
  | 'EADDRINUSE'
  | 'EINVAL'
  | 'ECLOSED'
  | 'EPROTO'
  | 'ECONNRESET'
  | 'EPIPE'
  | 'ENOBUFS'
  | 'EMFILE'
  | 'EADDRNOTAVAIL';

export class NetsimError extends Error {
  readonly code: NetsimErrorCode;
  /** The message without the code in front. */
  readonly reason: string;
  constructor(code: NetsimErrorCode, reason: string) {
    super(`${code}: ${reason}`);
    this.name = 'NetsimError';
    this.code = code;
    this.reason = reason;
  }
}
