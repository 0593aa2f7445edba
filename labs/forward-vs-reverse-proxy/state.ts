// What the forward-vs-reverse-proxy lab's steps leave for later steps and for the exercises.

import type { ReverseProxy } from '../../src/proxy/index.ts';
import type { Origin, TlsOrigin } from './parts.ts';

export interface Lab {
  readonly c: Origin;
  readonly f: Origin;
  readonly cTls: TlsOrigin;
  /** The root certificate (PEM) the TLS origin's certificate chains to. */
  readonly ca: string;
  /** One netlab proxy playing both B (forward listeners) and E (an http listener). */
  readonly proxy: ReverseProxy;
  /** The proxy's access log lines. */
  readonly log: string[];
}

export interface FwdState {
  lab?: Lab;
  /** B's X-Forwarded-For mode (a test sets remove to see the checkpoints fail). */
  forwardedFor: 'add' | 'remove';
  /** The TCP peer C and F saw (the proxy's outgoing address). */
  forwardPeer?: string;
  reversePeer?: string;
  /** B's access log lines for the CONNECT tunnel. */
  tunnelLog?: string;
}
